"""Stream kit for cocotb benches, in the style of cocotbext-axi: a source, a sink and a monitor,
each a separate object bound to one stream port as the core's manifest describes it
(``ports.<name>``: signal names and payload layout), with payloads as field dicts packed and
unpacked by :mod:`common.payload`.

Race-free on every simulator: one loop per clock (:class:`Bench`) wakes right after each rising
edge, lets every agent write its inputs (they settle before the next phase), then samples every
agent in the ReadOnly phase of the same time step, when everything combinational has settled. A
transfer seen there (valid and ready high) completes at the next edge; agents skip the cycles in
which reset is held, so a beat "taken" during reset is not counted.

The stream rules are those of ``amaranth.lib.stream``: once valid is high it stays high, with
the same payload, until the beat is taken. The source obeys them; the monitor checks them.

Typical bench::

    tb = CoreTB(dut, manifest, pattern="both", seed=1)
    await tb.reset()
    run = await tb.run(inputs)                 # field dicts in, field dicts out
    check_beats(run.outputs, expected, inputs)
"""

import os
from collections import deque
from dataclasses import dataclass, field

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, Event, ReadOnly, RisingEdge

from common.payload import pack, unpack
from handshake import PATTERNS, check_beats, pattern_pauses, random_pauses  # noqa: F401

__all__ = ["PATTERNS", "for_each_pattern", "Bench", "StreamSource", "StreamSink",
           "StreamMonitor", "CoreTB", "Run", "check_beats", "random_pauses", "pattern_pauses",
           "env_str", "env_int"]


def for_each_pattern(test):
    """Make one cocotb test per handshake pattern, named ``TEST/pattern=NAME`` (the names
    :func:`handshake.pattern_test` gives), each receiving ``pattern``."""
    return cocotb.parametrize(pattern=[cocotb.Param(p, name=p) for p in PATTERNS])(test)


def env_str(name, default=None):
    """A bench setting from the environment (how pytest passes settings to the simulator)."""
    value = os.environ.get(name, default)
    if value is None:
        raise RuntimeError(f"bench needs the environment variable {name}")
    return value


def env_int(name, default=None):
    return int(env_str(name, None if default is None else str(default)))


class Bench:
    """Clock, reset and the per-cycle loop that drives and samples every attached agent.

    Parameters
    ----------
    dut : cocotb handle
        Top level with ``clk`` and ``rst`` (names configurable).
    period_ns : int
        Clock period.

    Attributes
    ----------
    cycle : int
        Number of rising edges so far: the time base of every recorded transfer.
    in_reset : bool
        Whether reset is held this cycle (agents ignore transfers then).
    """

    def __init__(self, dut, period_ns=10, clk="clk", rst="rst"):
        self.dut = dut
        self.clk = getattr(dut, clk)
        self.rst = getattr(dut, rst)
        self.period_ns = period_ns
        self.cycle = 0
        self.in_reset = False
        self._agents = []
        self._waiters = []
        cocotb.start_soon(Clock(self.clk, period_ns, unit="ns").start())
        cocotb.start_soon(self._loop())

    def attach(self, agent):
        """Add an agent: ``agent.drive()`` runs after each edge, ``agent.sample()`` in the
        ReadOnly phase that follows."""
        self._agents.append(agent)
        return agent

    def on_sample(self, fn):
        """Call ``fn(bench)`` every cycle in the ReadOnly phase (for probes and counters)."""
        return self.attach(_Probe(self, fn))

    async def _loop(self):
        edge, settled = RisingEdge(self.clk), ReadOnly()
        while True:
            await edge
            self.cycle += 1
            for agent in self._agents:
                agent.drive()
            await settled
            for agent in self._agents:
                agent.sample()
            for check in list(self._waiters):
                check()

    async def reset(self, cycles=3):
        """Hold reset for ``cycles`` edges; every agent forgets its beat in flight."""
        await RisingEdge(self.clk)
        self.rst.value = 1
        self.in_reset = True
        for agent in self._agents:
            agent.reset()
        await ClockCycles(self.clk, cycles)
        self.rst.value = 0
        self.in_reset = False

    async def cycles(self, n):
        """Wait ``n`` rising edges (resuming right after the last one)."""
        await ClockCycles(self.clk, n)

    async def wait_until(self, done, patience, progress=lambda: 0):
        """Wait until ``done()`` holds (checked every cycle after sampling), or until
        ``progress()`` has not changed for ``patience`` cycles.

        Returns ``True`` when done, ``False`` when stuck; resumes right after a rising edge.
        """
        event = Event()
        state = {"last": self.cycle, "mark": progress(), "done": None}

        def check():
            if done():
                state["done"] = True
            elif progress() != state["mark"]:
                state["last"], state["mark"] = self.cycle, progress()
            elif self.cycle - state["last"] > patience:
                state["done"] = False
            if state["done"] is not None:
                self._waiters.remove(check)
                event.set()

        self._waiters.append(check)
        await event.wait()
        await RisingEdge(self.clk)             # out of the ReadOnly phase
        return state["done"]


class _Probe:
    def __init__(self, bench, fn):
        self.bench, self.fn = bench, fn

    def drive(self):
        pass

    def sample(self):
        self.fn(self.bench)

    def reset(self):
        pass


class _Port:
    """Handles and layout of one stream port of the manifest's ``ports``."""

    def __init__(self, bench, port, name):
        self.bench = bench
        self.name = name
        self.layout = port["payload"]
        signals = port["signals"]
        self.valid = getattr(bench.dut, signals["valid"])
        self.ready = getattr(bench.dut, signals["ready"])
        self.payload = getattr(bench.dut, signals["payload"])


class StreamSource(_Port):
    """Drives a stream into the core: ``valid`` and ``payload``, with optional pauses.

    A beat, once offered, stays offered with the same payload until taken; pauses only delay
    offering the next one.

    Parameters
    ----------
    bench : Bench
    port : dict
        The manifest's description of the port (``ports.i``).
    pauses : iterator of bool, optional
        Pause generator (``True``: offer nothing new this cycle); ``None``: never pause.

    Attributes
    ----------
    accepts : list of int
        Cycle of every transfer.
    """

    def __init__(self, bench, port, pauses=None, name="i"):
        super().__init__(bench, port, name)
        self.pauses = pauses
        self.queue = deque()
        self.accepts = []
        self.offering = False
        self.valid.value = 0
        self.payload.value = 0
        self._valid = False
        bench.attach(self)

    def set_pause_generator(self, pauses):
        self.pauses = pauses

    def send_nowait(self, value):
        """Queue one beat (a value as the port's layout says: field dict, list or int)."""
        self.queue.append(pack(self.layout, value))

    def send_all(self, values):
        for value in values:
            self.send_nowait(value)

    def idle(self):
        return not self.queue and not self.offering

    def drive(self):
        if self.bench.in_reset:
            self.offering = False
        elif not self.offering and self.queue and not (self.pauses and next(self.pauses)):
            self.payload.value = self.queue.popleft()
            self.offering = True
        if self._valid is not self.offering:         # a write costs as much as a read
            self.valid.value = int(self.offering)
            self._valid = self.offering

    def sample(self):
        if self.offering and not self.bench.in_reset and self.ready.value:
            self.accepts.append(self.bench.cycle)
            self.offering = False

    def reset(self):
        self.queue.clear()
        self.offering = False
        self.valid.value = 0
        self._valid = False


class StreamSink(_Port):
    """Takes a stream out of the core: drives ``ready`` (optional back-pressure) and collects
    every beat as a value of the port's layout.

    Attributes
    ----------
    beats : list
        Received payload values, in order.
    cycles : list of int
        Cycle of every transfer.
    """

    def __init__(self, bench, port, pauses=None, name="o"):
        super().__init__(bench, port, name)
        self.pauses = pauses
        self.beats, self.cycles = [], []
        self.ready.value = 0
        self._ready = False
        bench.attach(self)

    def set_pause_generator(self, pauses):
        self.pauses = pauses

    def count(self):
        return len(self.beats)

    def clear(self):
        self.beats, self.cycles = [], []

    def drive(self):
        ready = not (self.pauses and next(self.pauses))
        if ready is not self._ready:
            self.ready.value = int(ready)
            self._ready = ready

    def sample(self):
        if self._ready and not self.bench.in_reset and self.valid.value:
            self.beats.append(unpack(self.layout, self.payload.value))
            self.cycles.append(self.bench.cycle)

    def reset(self):
        pass


class StreamMonitor(_Port):
    """Watches a stream passively: records every transfer and checks the stream rules.

    Once ``valid`` is high it must stay high, with the same payload, until the beat is taken;
    a violation fails the test at the cycle it happens (message names the cycle and both
    payloads).

    Attributes
    ----------
    beats, cycles : list
        Every transfer's payload value and cycle.
    """

    def __init__(self, bench, port, name="o"):
        super().__init__(bench, port, name)
        self.beats, self.cycles = [], []
        self._held = None
        bench.attach(self)

    def drive(self):
        pass

    def sample(self):
        if self.bench.in_reset:
            self._held = None
            return
        valid = bool(self.valid.value)
        payload = int(self.payload.value) if valid else None
        if self._held is not None:
            if not valid:
                raise AssertionError(f"{self.name}: cycle {self.bench.cycle}: valid dropped "
                                     f"before the beat {self._show(self._held)} was taken")
            if payload != self._held:
                raise AssertionError(f"{self.name}: cycle {self.bench.cycle}: payload changed "
                                     f"from {self._show(self._held)} to {self._show(payload)} "
                                     f"while the beat waited to be taken")
        if valid and self.ready.value:
            self.beats.append(unpack(self.layout, payload))
            self.cycles.append(self.bench.cycle)
            self._held = None
        else:
            self._held = payload if valid else None

    def _show(self, bits):
        return repr(unpack(self.layout, bits))

    def reset(self):
        self._held = None


@dataclass
class Run:
    """What one :meth:`CoreTB.run` saw: values and transfer cycles, in order."""

    outputs: list = field(default_factory=list)
    accepts: list = field(default_factory=list)
    emits: list = field(default_factory=list)


class CoreTB(Bench):
    """A one-input, one-output core from its manifest: a source on ``i``, a sink and a monitor
    on ``o``, with the pauses of a named handshake pattern.

    Parameters
    ----------
    dut : cocotb handle
    manifest : dict
        The core's manifest (``ports``, ``latency``, ``ii``).
    pattern : str
        One of :data:`PATTERNS`.
    seed : int
        Seed of the pause generators.
    """

    def __init__(self, dut, manifest, pattern="no_stalls", seed=0, period_ns=10):
        super().__init__(dut, period_ns)
        self.manifest = manifest
        ports = manifest["ports"]
        self.pattern = pattern
        gaps, stalls = pattern_pauses(pattern, seed)
        self.source = StreamSource(self, ports["i"], gaps, "i")
        self.sink = StreamSink(self, ports["o"], stalls, "o")
        self.monitor = StreamMonitor(self, ports["o"], "o")

    def patience(self):
        """Cycles without any transfer after which a run stops waiting: generous for any
        pattern (in a phase, each end may pause 90 % of the cycles)."""
        return 25 * (self.manifest.get("ii", 1) + self.manifest.get("latency", 0)) + 200

    async def run(self, values, quiet=None, patience=None):
        """Send ``values`` and wait for as many output beats, then check that nothing more
        comes out for ``quiet`` cycles (default latency + ii + 4) with the sink always ready.

        Waiting ends early when nothing moves for ``patience`` cycles (default
        :meth:`patience`): a core that stops taking input fails here; one that loses beats
        returns fewer outputs, for the scoreboard to report.

        Returns
        -------
        Run
            The output values and the transfer cycles of this run's beats.
        """
        values = list(values)
        n_in, n_out = len(self.source.accepts), self.sink.count()
        self.source.send_all(values)
        done = await self.wait_until(
            lambda: self.source.idle() and self.sink.count() >= n_out + len(values),
            self.patience() if patience is None else patience,
            lambda: len(self.source.accepts) + self.sink.count())
        if not self.source.idle():
            raise AssertionError(f"{self.source.name}: the core stopped taking beats; "
                                 f"{len(self.source.queue) + 1} of {len(values)} left to send")
        if done:
            await self.expect_quiet(quiet)
        return Run(self.sink.beats[n_out:], self.source.accepts[n_in:], self.sink.cycles[n_out:])

    async def expect_quiet(self, cycles=None):
        """Nothing may come out of an idle core: no duplicate, no spurious beat."""
        if cycles is None:
            cycles = self.manifest.get("latency", 8) + self.manifest.get("ii", 1) + 4
        pauses = self.sink.pauses
        self.sink.set_pause_generator(None)
        count = self.sink.count()
        await self.cycles(cycles)
        self.sink.set_pause_generator(pauses)
        extra = self.sink.beats[count:]
        assert not extra, f"{len(extra)} beats from an idle core, first {extra[0]!r}"
