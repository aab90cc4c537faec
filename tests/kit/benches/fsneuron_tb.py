"""cocotb bench of a generated FS-neuron core, driven by its manifest.

Environment:

* ``FS_MANIFEST``: path of the core's ``NAME.json`` (widths, lanes, T/h/d, latency, ii);
* ``FS_SEED``: seed of the stimuli and of the gap/back-pressure patterns (default 1);
* ``FS_EXHAUSTIVE_MAX_W``: exhaustive inputs up to this width (default 12);
* ``FS_RANDOM``: number of random vectors for the handshake patterns (default 300).

Scoreboard: ``sim.fs.fs_int`` on the manifest's T, h, d (:mod:`fsneuron_model`). Every run
checks that each accepted vector produces exactly one output, in order, equal to the golden model,
and that nothing comes out afterwards.
"""

import random

import cocotb
from cocotb.triggers import ReadOnly, RisingEdge

from fsneuron_model import CoreSpec, boundary_inputs
from streams import TB, compare, env_int, env_str

#: (p_valid, p_ready) handshake patterns: full rate, balanced, bursty input into a slow sink,
#: trickling input into a fast sink
PATTERNS = ((1.0, 1.0), (0.5, 0.5), (0.9, 0.2), (0.2, 0.9))


def _spec():
    return CoreSpec(env_str("FS_MANIFEST"))


def _decode(spec):
    return lambda p: spec.unpack(p)


async def _quiet(tb, spec, cycles):
    """Nothing may come out of an idle core (no duplicates, no spurious outputs)."""
    tb.i_valid.value = 0
    tb.o_ready.value = 1
    for _ in range(cycles):
        await ReadOnly()
        if tb.o_valid.value:
            raise AssertionError(f"spurious output {spec.unpack(int(tb.o_payload.value))} "
                                 f"from an idle core")
        await RisingEdge(tb.dut.clk)


async def _check(tb, spec, vectors, p_valid, p_ready, what):
    payloads = [spec.pack(v) for v in vectors]
    timeout = (spec.ii + spec.latency + 8) * len(payloads) * 8 + 1000
    outputs, _, _ = await tb.run(payloads, p_valid=p_valid, p_ready=p_ready,
                                 timeout_cycles=timeout)
    compare(outputs, spec.expected(vectors), decode=_decode(spec),
            what=f"{what} (p_valid={p_valid}, p_ready={p_ready}) output")
    await _quiet(tb, spec, spec.latency + spec.ii + 4)


@cocotb.test()
async def timing(dut):
    """latency and ii as the manifest states them, measured at the ports."""
    spec = _spec()
    tb = TB(dut, seed=env_int("FS_SEED", 1))
    await tb.reset()
    rng = random.Random(env_int("FS_SEED", 1))
    # one vector into an idle core, sink always ready
    vec = spec.random_vectors(1, rng)
    outputs, acc, emit = await tb.run([spec.pack(v) for v in vec])
    compare(outputs, spec.expected(vec), decode=_decode(spec))
    assert emit[0] - acc[0] == spec.latency, \
        f"latency {emit[0] - acc[0]} cycles, manifest says {spec.latency}"
    await _quiet(tb, spec, spec.latency + 4)
    # a stream at full rate: one output every ii cycles, and the inputs keep pace
    n = 12
    vecs = spec.random_vectors(n, rng)
    outputs, acc, emit = await tb.run([spec.pack(v) for v in vecs])
    compare(outputs, spec.expected(vecs), decode=_decode(spec))
    assert emit[0] - acc[0] == spec.latency, f"latency {emit[0] - acc[0]} at full rate"
    gaps = {b - a for a, b in zip(emit, emit[1:])}
    assert gaps == {spec.ii}, f"outputs every {sorted(gaps)} cycles, manifest ii={spec.ii}"
    # input side: the double buffer takes the second vector early, then one every ii cycles
    steady = {b - a for a, b in zip(acc[2:], acc[3:])}
    assert steady == {spec.ii}, f"inputs every {sorted(steady)} cycles, manifest ii={spec.ii}"
    assert acc[-1] - acc[0] <= (n - 1) * spec.ii, "input side slower than ii"


@cocotb.test()
async def all_inputs(dut):
    """Every W-bit input in every lane (W <= FS_EXHAUSTIVE_MAX_W), else random plus
    boundaries, under random gaps and back-pressure."""
    spec = _spec()
    seed = env_int("FS_SEED", 1)
    tb = TB(dut, seed=seed)
    await tb.reset()
    rng = random.Random(seed)
    if spec.W <= env_int("FS_EXHAUSTIVE_MAX_W", 12):
        values = spec.all_inputs()
        what = f"exhaustive ({len(values)} inputs per lane)"
    else:
        values = boundary_inputs(spec) + [rng.randint(spec.x_min, spec.x_max)
                                          for _ in range(4096)]
        what = f"random ({len(values)} inputs per lane)"
    dut._log.info(f"{spec.m['top']}: {what}")
    await _check(tb, spec, spec.vectors(values, rng), 0.8, 0.7, what)


@cocotb.test()
async def handshakes(dut):
    """Boundary inputs and random vectors under each gap/back-pressure pattern."""
    spec = _spec()
    seed = env_int("FS_SEED", 1)
    tb = TB(dut, seed=seed + 1)
    await tb.reset()
    rng = random.Random(seed + 1)
    bounds = spec.vectors(boundary_inputs(spec), rng)
    count = env_int("FS_RANDOM", 300)
    for p_valid, p_ready in PATTERNS:
        vecs = bounds + spec.random_vectors(count, rng)
        await _check(tb, spec, vecs, p_valid, p_ready, "boundary+random")


@cocotb.test()
async def reset_mid_stream(dut):
    """A reset in the middle of a stream empties the core: afterwards it works as new."""
    spec = _spec()
    seed = env_int("FS_SEED", 1)
    tb = TB(dut, seed=seed + 2)
    await tb.reset()
    rng = random.Random(seed + 2)
    # fill the core (input buffer, engine or stages, output register) with the output stalled
    tb.o_ready.value = 0
    tb.i_payload.value = spec.pack(spec.random_vectors(1, rng)[0])
    tb.i_valid.value = 1
    for _ in range(3 * (spec.ii + spec.latency)):
        await RisingEdge(dut.clk)
    await tb.reset()
    await _quiet(tb, spec, spec.latency + spec.ii + 4)
    await _check(tb, spec, spec.random_vectors(20, rng), 0.7, 0.7, "after reset")
