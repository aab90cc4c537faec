"""cocotb bench for AMOS cores: every output against the integer golden model (sim.amos).

Reads only the manifest the generator wrote (``AMOS_MANIFEST``): ports (payload layouts), c
(c2), T, h, d, latency, ii. Inputs: all 2^W values of x (or pairs x, y) when the input payload
has at most ``AMOS_EXHAUSTIVE_BITS`` bits (default 12), otherwise boundary values plus
``AMOS_RANDOM`` random ones. Tests: ``timing`` (latency and ii = 1 at full rate) and ``stream``
under each handshake pattern, which takes a quarter of the inputs (the four together cover all
of them) plus the boundaries.

Environment: ``AMOS_MANIFEST`` (path), ``AMOS_SEED``, ``AMOS_RANDOM``, ``AMOS_EXHAUSTIVE_BITS``.
"""

import json
import random

import cocotb

from amos_model import AmosSpec
from streams import PATTERNS, CoreTB, check_beats, env_int, env_str, for_each_pattern


def _setup(dut, pattern="no_stalls", salt=0):
    with open(env_str("AMOS_MANIFEST")) as f:
        manifest = json.load(f)
    seed = env_int("AMOS_SEED", 1)
    return AmosSpec(manifest), CoreTB(dut, manifest, pattern, seed + salt), seed


async def _check(tb, spec, pairs):
    payloads = [spec.payload(p) for p in pairs]
    run = await tb.run(payloads)
    check_beats(run.outputs, spec.expected(pairs), payloads)
    return run


@cocotb.test()
async def timing(dut):
    """Full rate: one input per clock in, each out after exactly ``latency`` cycles."""
    spec, tb, seed = _setup(dut)
    await tb.reset()
    pairs = spec.boundaries()[:64]
    run = await _check(tb, spec, pairs)
    lat = {e - a for a, e in zip(run.accepts, run.emits)}
    assert lat == {spec.m["latency"]}, f"latency {sorted(lat)}, manifest says " \
                                       f"{spec.m['latency']}"
    gaps = {b - a for a, b in zip(run.accepts, run.accepts[1:])}
    assert gaps == {spec.m["ii"]}, f"accepted every {sorted(gaps)} cycles, ii is " \
                                   f"{spec.m['ii']}"


@cocotb.test()
@for_each_pattern
async def stream(dut, pattern):
    """Boundaries and this pattern's quarter of the inputs: nothing lost, duplicated,
    reordered or wrong."""
    salt = PATTERNS.index(pattern)
    spec, tb, seed = _setup(dut, pattern, salt)
    await tb.reset()
    everything = spec.inputs(env_int("AMOS_EXHAUSTIVE_BITS", 12),
                             env_int("AMOS_RANDOM", 2000), random.Random(seed))
    await _check(tb, spec, spec.boundaries() + everything[salt::len(PATTERNS)])
