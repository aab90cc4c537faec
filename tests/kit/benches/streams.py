"""Stream test-bench kit for cocotb: clock and reset, a driver with random gaps, a sink with
random back-pressure, and an in-order scoreboard.

Handshake sampling is race-free on every simulator: all inputs are written right after a rising
edge, and ``valid``/``ready``/``payload`` are sampled in the ReadOnly phase of the same time step,
when everything combinational has settled. A transfer seen there completes at the next edge.

The driver follows the stream rules the cores rely on (amaranth.lib.stream): once ``valid`` is
high it stays high with the same payload until the beat is taken.
"""

import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge

__all__ = ["TB", "compare", "env_int", "env_float", "env_str"]


def env_str(name, default=None):
    value = os.environ.get(name, default)
    if value is None:
        raise RuntimeError(f"bench needs the environment variable {name}")
    return value


def env_int(name, default=None):
    return int(env_str(name, None if default is None else str(default)))


def env_float(name, default=None):
    return float(env_str(name, None if default is None else str(default)))


class TB:
    """Clock, reset and one input/one output stream of a core.

    Parameters
    ----------
    dut : cocotb handle
        Top level with ``clk``, ``rst``, ``i__valid/ready/payload``, ``o__valid/ready/payload``.
    seed : int
        Seed of the gap and back-pressure pattern.
    period_ns : int
        Clock period.
    """

    def __init__(self, dut, seed=0, period_ns=10, i="i", o="o"):
        self.dut = dut
        self.rng = random.Random(seed)
        self.i_valid = getattr(dut, f"{i}__valid")
        self.i_ready = getattr(dut, f"{i}__ready")
        self.i_payload = getattr(dut, f"{i}__payload")
        self.o_valid = getattr(dut, f"{o}__valid")
        self.o_ready = getattr(dut, f"{o}__ready")
        self.o_payload = getattr(dut, f"{o}__payload")
        self.cycles = 0
        cocotb.start_soon(Clock(dut.clk, period_ns, unit="ns").start())

    async def reset(self, cycles=3):
        self.i_valid.value = 0
        self.i_payload.value = 0
        self.o_ready.value = 0
        self.dut.rst.value = 1
        for _ in range(cycles):
            await RisingEdge(self.dut.clk)
        self.dut.rst.value = 0
        await RisingEdge(self.dut.clk)

    async def run(self, payloads, p_valid=1.0, p_ready=1.0, timeout_cycles=None,
                  on_cycle=None):
        """Send ``payloads`` (ints) and collect outputs until as many came back.

        Parameters
        ----------
        p_valid : float
            Chance that the driver offers the next beat on a cycle (1.0: no gaps).
        p_ready : float
            Chance that the sink is ready on a cycle (1.0: no back-pressure).
        timeout_cycles : int, optional
            Fail if the run takes longer; default 50 cycles per beat plus 1000.
        on_cycle : callable, optional
            Called once per cycle in the ReadOnly phase (for counters and probes).

        Returns
        -------
        outputs : list of int
            Output payloads in order.
        accept_cycles, emit_cycles : list of int
            Cycle of each input and output transfer (for latency and throughput checks).
        """
        payloads = [int(p) for p in payloads]
        if timeout_cycles is None:
            timeout_cycles = 50 * len(payloads) + 1000
        outputs, accept_cycles, emit_cycles = [], [], []
        sent = 0
        offering = False
        for cycle in range(timeout_cycles):
            # drive: right after the edge, so it settles before ReadOnly
            if not offering and sent < len(payloads) and self.rng.random() < p_valid:
                offering = True
                self.i_payload.value = payloads[sent]
            self.i_valid.value = 1 if offering else 0
            self.o_ready.value = 1 if self.rng.random() < p_ready else 0
            await ReadOnly()
            if on_cycle is not None:
                on_cycle(self)
            if offering and self.i_ready.value:
                accept_cycles.append(self.cycles)
                sent += 1
                offering = False
            if self.o_valid.value and self.o_ready.value:
                outputs.append(int(self.o_payload.value))
                emit_cycles.append(self.cycles)
            await RisingEdge(self.dut.clk)
            self.cycles += 1
            if len(outputs) >= len(payloads) and sent == len(payloads):
                break
        else:
            raise AssertionError(f"timed out after {timeout_cycles} cycles: sent {sent} of "
                                 f"{len(payloads)}, received {len(outputs)}")
        # hold still a few cycles: nothing more may come out
        self.i_valid.value = 0
        self.o_ready.value = 1
        for _ in range(8):
            await ReadOnly()
            if self.o_valid.value:
                outputs.append(int(self.o_payload.value))
                emit_cycles.append(self.cycles)
            await RisingEdge(self.dut.clk)
            self.cycles += 1
        return outputs, accept_cycles, emit_cycles


def compare(outputs, expected, decode=None, what="output"):
    """Assert ``outputs == expected`` in order, naming the first difference."""
    if len(outputs) != len(expected):
        raise AssertionError(f"{len(outputs)} {what}s for {len(expected)} inputs")
    for n, (got, want) in enumerate(zip(outputs, expected)):
        if got != want:
            detail = f"got {got:#x}, want {want:#x}"
            if decode is not None:
                detail = f"got {decode(got)}, want {decode(want)}"
            raise AssertionError(f"{what} {n}: {detail}")
