"""cocotb bench of a generated FS-neuron core, driven by its manifest.

Environment:

* ``FS_MANIFEST``: path of the core's ``NAME.json`` (ports, T/h/d, latency, ii);
* ``FS_SEED``: seed of the stimuli and of the pause patterns (default 1);
* ``FS_EXHAUSTIVE_MAX_W``: exhaustive inputs up to this width (default 12);
* ``FS_RANDOM``: random vectors per pattern above that width (default 1000).

Tests: ``timing`` (latency and ii at the ports, as the manifest states them), ``stream`` under
each handshake pattern (boundary inputs plus one quarter of every input in every lane, so the
four patterns together cover all of them; random inputs above ``FS_EXHAUSTIVE_MAX_W``), and
``reset_mid_stream``. Scoreboard: ``sim.fs.fs_int`` on the manifest's T, h, d
(:mod:`fsneuron_model`); the monitor checks the stream rules on ``o`` throughout.
"""

import itertools
import json
import random

import cocotb

from fsneuron_model import CoreSpec, boundary_inputs
from streams import PATTERNS, CoreTB, check_beats, env_int, env_str, for_each_pattern


def _setup(dut, pattern="no_stalls", salt=0):
    with open(env_str("FS_MANIFEST")) as f:
        manifest = json.load(f)
    seed = env_int("FS_SEED", 1) + salt
    return CoreSpec(manifest), CoreTB(dut, manifest, pattern, seed), random.Random(seed)


async def _check(tb, spec, vectors):
    run = await tb.run(vectors)
    check_beats(run.outputs, spec.expected(vectors), vectors)
    return run


@cocotb.test()
async def timing(dut):
    """Latency and ii as the manifest states them, measured at the ports."""
    spec, tb, rng = _setup(dut)
    await tb.reset()
    # one vector into an idle core
    run = await _check(tb, spec, spec.random_vectors(1, rng))
    assert run.emits[0] - run.accepts[0] == spec.latency, \
        f"latency {run.emits[0] - run.accepts[0]} cycles, manifest says {spec.latency}"
    # a stream at full rate: one output every ii cycles, and the inputs keep pace
    n = 12
    run = await _check(tb, spec, spec.random_vectors(n, rng))
    acc, emit = run.accepts, run.emits
    assert emit[0] - acc[0] == spec.latency, f"latency {emit[0] - acc[0]} at full rate"
    gaps = {b - a for a, b in zip(emit, emit[1:])}
    assert gaps == {spec.ii}, f"outputs every {sorted(gaps)} cycles, manifest ii={spec.ii}"
    # input side: a buffer may take the second vector early, then one every ii cycles
    steady = {b - a for a, b in zip(acc[2:], acc[3:])}
    assert steady == {spec.ii}, f"inputs every {sorted(steady)} cycles, manifest ii={spec.ii}"
    assert acc[-1] - acc[0] <= (n - 1) * spec.ii, "input side slower than ii"


@cocotb.test()
@for_each_pattern
async def stream(dut, pattern):
    """Boundary inputs and this pattern's share of all inputs, bit-exact, in order."""
    salt = PATTERNS.index(pattern)
    spec, tb, rng = _setup(dut, pattern, salt)
    await tb.reset()
    if spec.W <= env_int("FS_EXHAUSTIVE_MAX_W", 12):
        # every input in every lane, the same shuffle for every pattern, split four ways
        everything = spec.vectors(spec.all_inputs(), random.Random(env_int("FS_SEED", 1)))
        share = everything[salt::len(PATTERNS)]
    else:
        share = spec.random_vectors(env_int("FS_RANDOM", 1000), rng)
    vectors = spec.vectors(boundary_inputs(spec), rng) + share
    dut._log.info(f"{spec.m['top']} {pattern}: {len(vectors)} vectors")
    await _check(tb, spec, vectors)


@cocotb.test()
async def reset_mid_stream(dut):
    """A reset in the middle of a stream empties the core: afterwards it works as new."""
    spec, tb, rng = _setup(dut, "both", salt=7)
    await tb.reset()
    # fill the core (input buffer, engine or stages, output register) with the output stalled
    pauses = tb.sink.pauses
    tb.sink.set_pause_generator(itertools.repeat(True))
    tb.source.send_all(spec.random_vectors(8, rng))
    await tb.cycles(3 * (spec.ii + spec.latency))
    await tb.reset()
    tb.sink.set_pause_generator(pauses)
    await tb.expect_quiet()
    await _check(tb, spec, spec.random_vectors(20, rng))
