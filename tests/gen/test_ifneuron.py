"""The rate-coded IF baseline core: its golden model and the Amaranth core against it."""

import random

import numpy as np
import pytest
from amaranth.sim import Simulator

from common.checks import InputError
from gen.ifneuron import resolve
from sim.fs import fs_int, relu_schedule
from sim.ifneuron import if_int


def test_if_model_is_relu_clamp():
    """With theta = 2^K - 1 the rate-coded IF neuron counts exactly clamp(x, 0, 2^K - 1): the
    function of the FS ReLU core with the same K, over every 12-bit input."""
    K = 10
    x = np.arange(-2048, 2048)
    want, _ = fs_int(x, *relu_schedule(K))
    assert np.array_equal(if_int(x, K), want)
    assert np.array_equal(if_int(x, K), np.clip(x, 0, 1023))


def test_if_parameter_checks():
    with pytest.raises(InputError, match="K must be between 1 and 24, not 0"):
        resolve(K=0, width=6)
    with pytest.raises(InputError, match="input width must be between 2 and 32, not 1"):
        resolve(K=4, width=1)
    with pytest.raises(InputError, match="theta must be at least 1, not 0"):
        resolve(K=4, width=6, theta=0)
    with pytest.raises(TypeError, match="K must be an integer"):
        resolve(K=4.0, width=6)


@pytest.mark.parametrize("theta", [None, 5])
def test_if_core_exhaustive(theta):
    """Every 6-bit input through the Amaranth core under random gaps and back-pressure,
    compared with if_int; one output per input, one value every 2^K - 1 cycles at full
    rate."""
    K, W = 3, 6
    dut = resolve(K=K, width=W, theta=theta).component()
    xs = list(range(-32, 32)) * 2
    outs, accepts = [], []

    async def bench(ctx):
        rng = random.Random(7)
        sent = cycle = 0
        full_rate = True
        while len(outs) < len(xs):
            if cycle == 40 * 7:
                full_rate = False
            offer = sent < len(xs) and (full_rate or rng.random() < 0.6)
            ctx.set(dut.i.valid, offer)
            if sent < len(xs):
                ctx.set(dut.i.payload, xs[sent])
            ctx.set(dut.o.ready, full_rate or rng.random() < 0.4)
            _, _, iv, ir, ov, orr, op = await ctx.tick().sample(
                dut.i.valid, dut.i.ready, dut.o.valid, dut.o.ready, dut.o.payload)
            if iv and ir:
                accepts.append(cycle)
                sent += 1
            if ov and orr:
                outs.append(op.value)
            cycle += 1

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    assert outs == [int(v) for v in if_int(xs, K, theta)]
    gaps = np.diff(accepts[:30])
    assert set(gaps) == {(1 << K) - 1}, gaps
