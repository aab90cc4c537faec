"""The network's small hardware helpers against their definitions: exhaustive for narrow
vectors, random for wide ones (the carry-chain form of :func:`gen.network.hw.first_set`)."""

import numpy as np
import pytest
from amaranth import Module, Signal
from amaranth.sim import Simulator

from gen.network.hw import NARROW, at_least_two, first_set


def run_comb(n, values):
    """(index, one-hot, at-least-two) of the circuits for every value of ``values``."""
    m = Module()
    bits = Signal(n)
    low = Signal(n)
    idx = first_set(m, bits, "idx", onehot=low)
    two = Signal()
    m.d.comb += two.eq(at_least_two(bits))
    sim = Simulator(m)
    out = []

    async def bench(ctx):
        for v in values:
            ctx.set(bits, v)
            out.append((ctx.get(idx), ctx.get(low), ctx.get(two)))

    sim.add_testbench(bench)
    sim.run()
    return out


def want(v):
    low = v & -v
    return (low.bit_length() - 1 if v else 0), low, bin(v).count("1") >= 2


@pytest.mark.parametrize("n", [1, 2, 5, 10])
def test_narrow_exhaustive(n):
    assert n <= NARROW
    values = range(1 << n)
    assert run_comb(n, values) == [want(v) for v in values]


@pytest.mark.parametrize("n", [NARROW + 1, 40])
def test_wide_random(n):
    rng = np.random.default_rng(n)
    values = [0, 1, 1 << (n - 1), (1 << n) - 1]
    values += [int(rng.integers(0, 1 << 16)) << int(rng.integers(0, n - 15)) for _ in range(300)]
    values += [1 << int(k) for k in rng.integers(0, n, 50)]
    assert run_comb(n, values) == [want(v) for v in values]
