"""A rate-coded integrate-and-fire (IF) neuron: the baseline the FS-neuron is measured against.

Rate coding spends one time step per output level: to give the same output precision as a
K-spike FS neuron (2^K levels) an IF neuron needs N = 2^K - 1 steps per value. Each step::

    v = max(v + x, 0)              integrate (the membrane cannot go below rest)
    s = [v >= theta]               fire
    if s: v -= theta               soft reset (subtract the threshold)
    count += s

The output is the spike count after N steps. With ``theta = N`` the membrane stays in [0, N)
after every reset, so after N steps ``count = floor(N x / N) = x`` for 0 <= x <= N, N for larger
x (it fires every step) and 0 for x <= 0: the IF neuron computes ``clamp(x, 0, 2^K - 1)``, the
very function of the FS ReLU core with the same K (T = h = d = 2^(K-t)), on the same integer
input. So the two are compared on equal terms: same function, same precision, same input and
output bits; the FS neuron needs K steps, the IF neuron 2^K - 1.

This module holds the exact integer model (:func:`if_int`), the Amaranth core
(:class:`IFNeuron`, same stream interface as every generated core) and :func:`write_if_core`,
which writes it as Verilog + manifest through the same writer the generators use, so the
synthesis flow treats it like any other generated core.
"""

import numpy as np
from amaranth import Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from common.checks import check_int
from gen.widths import unsigned_width
from gen.writer import write_core

__all__ = ["if_int", "IFNeuron", "if_manifest", "write_if_core", "K_MAX"]

#: Largest K: 2^K - 1 steps per value, so beyond this a value takes seconds.
K_MAX = 24


def _check(K, width, theta=None):
    K = check_int("K", K, 1, K_MAX)
    width = check_int("input width", width, 2, 32)
    theta = (1 << K) - 1 if theta is None else check_int("theta", theta, 1)
    return K, width, theta


def if_int(x, K, theta=None):
    """Exact integer model: spike count of the rate-coded IF neuron after 2^K - 1 steps.

    Parameters
    ----------
    x : array_like of int
        Inputs (signed integers), any shape.
    K : int
        Output precision: 2^K - 1 steps, counts 0 .. 2^K - 1.
    theta : int, optional
        Threshold; default 2^K - 1, which makes the count ``clamp(x, 0, 2^K - 1)``.

    Returns
    -------
    ndarray of int64
        The spike counts, shaped like ``x``.
    """
    K, _, theta = _check(K, 32, theta)
    x = np.asarray(x, dtype=np.int64)
    v = np.zeros_like(x)
    count = np.zeros_like(x)
    for _ in range((1 << K) - 1):
        v = np.maximum(v + x, 0)
        s = v >= theta
        v -= np.where(s, theta, 0)
        count += s
    return count


class IFNeuron(wiring.Component):
    """Rate-coded IF neuron core, one value per 2^K - 1 cycles (one step per cycle).

    Parameters
    ----------
    K : int
        2^K - 1 steps per value; the output count has K bits.
    width : int
        Input width W (signed, integer units: same input as the FS ReLU core, W = K + 2).
    theta : int, optional
        Threshold, default 2^K - 1.

    Ports: ``i`` (payload: signed W-bit x), ``o`` (payload: struct {``value``: unsigned K-bit
    spike count}). One output per accepted input, in order; the next input is accepted in the
    cycle of the previous value's last step, so ``ii = 2^K - 1`` and ``latency = 2^K`` cycles.
    """

    def __new__(cls, K, width, theta=None, *, src_loc_at=0):
        # parameters are checked before the object exists: a rejected core is then not
        # reported as an elaboratable created but never used
        _check(K, width, theta)
        return super().__new__(cls, src_loc_at=src_loc_at + 1)

    def __init__(self, K, width, theta=None):
        self.K, self.width, self.theta = _check(K, width, theta)
        self.steps = (1 << self.K) - 1
        self.out_layout = data.StructLayout({"value": unsigned(self.K)})
        super().__init__({
            "i": In(stream.Signature(signed(self.width))),
            "o": Out(stream.Signature(self.out_layout)),
        })

    def elaborate(self, platform):
        m = Module()
        K, W, theta, N = self.K, self.width, self.theta, self.steps
        # The input current is clamped to [0, theta] when accepted: a step can fire at most
        # once, so any x >= theta fires every step (count N) and any x <= 0 never fires
        # (count 0), exactly as the unclamped neuron (and the model if_int) does. With the
        # clamp the membrane stays in [0, theta) after every step and v + x_c < 2 theta, so
        # K+1 bits hold the sum when theta = 2^K - 1 (width derived from 2 theta - 1 below).
        x_c = Signal(range(theta + 1))
        v = Signal(unsigned_width(theta - 1))
        count = Signal(K)                   # at most N = 2^K - 1 spikes: K bits
        step = Signal(unsigned_width(N))    # steps still to run in this value
        busy = Signal()

        # integrate, fire, soft reset
        s_sum = Signal(unsigned_width(2 * theta - 1))
        m.d.comb += s_sum.eq(v + x_c)
        fire = Signal()
        m.d.comb += fire.eq(s_sum >= theta)
        v_next = Signal.like(v)
        m.d.comb += v_next.eq(Mux(fire, s_sum - theta, s_sum))

        last = Signal()
        m.d.comb += last.eq(busy & (step == 1))
        out_free = Signal()
        m.d.comb += out_free.eq(~self.o.valid | self.o.ready)
        advance = Signal()                  # run a step this cycle
        m.d.comb += advance.eq(busy & (~last | out_free))

        with m.If(self.o.valid & self.o.ready):
            m.d.sync += self.o.valid.eq(0)
        with m.If(advance):
            m.d.sync += [v.eq(v_next), count.eq(count + fire), step.eq(step - 1)]
            with m.If(last):
                # the last step's spike goes straight into the output register
                m.d.sync += [self.o.payload.value.eq(count + fire), self.o.valid.eq(1),
                             busy.eq(0)]

        # accept when idle, or in the cycle the last step retires (so ii = N)
        m.d.comb += self.i.ready.eq(~busy | (last & out_free))
        with m.If(self.i.valid & self.i.ready):
            with m.If(self.i.payload <= 0):
                m.d.sync += x_c.eq(0)
            with m.Elif(self.i.payload >= theta):
                m.d.sync += x_c.eq(theta)
            with m.Else():
                m.d.sync += x_c.eq(self.i.payload)
            m.d.sync += [v.eq(0), count.eq(0), step.eq(N), busy.eq(1)]
        return m


def if_manifest(K, width, theta=None):
    """Manifest of an IF core (``top``/``verilog`` are added by the writer)."""
    K, width, theta = _check(K, width, theta)
    N = (1 << K) - 1
    return {
        "core": "ifneuron",
        "K": K,
        "steps": N,
        "theta": theta,
        "lanes": 1,
        "input": {"width": width, "frac": 0},
        "output": {"width": K, "frac": 0},
        "latency": N + 1,
        "ii": N,
        "function": f"spike count after {N} steps = clamp(x, 0, {N})" if theta == N
                    else f"spike count after {N} steps, theta = {theta}",
    }


def write_if_core(out_dir, K, width=None, theta=None, name=None):
    """Write ``out_dir/NAME.v`` and ``NAME.json`` for an IF core; return the manifest path."""
    width = K + 2 if width is None else width
    name = name or f"if_k{K}_w{width}"
    core = IFNeuron(K, width, theta)
    _, jpath = write_core(core, name, out_dir, if_manifest(K, width, theta))
    return jpath
