"""Fast checks of the FS-neuron cores in the Amaranth simulator.

Many small configurations (K = 1.. , Q = 2..16, negative and positive input fractions, 1 to 3
lanes, both architectures), each under every handshake pattern as its own test (the
Amaranth-simulator stream kit, ``tests/kit/amaranth_streams.py``), exhaustive where W is small;
expected outputs from ``sim.fs.fs_int`` via the manifest; latency and ii measured at the ports
at full rate. The same checks must reject broken variants.
"""

import functools
import random
import zlib

import pytest

from amaranth_streams import PATTERNS, check_beats, run_stream, stream_ports
from fs_broken import GtShared, GtUnrolled, NoStallShared, NoStallUnrolled
from fsneuron_model import CoreSpec, boundary_inputs
from fsneuron_sets import published_set, random_set
from gen.fsneuron import FSConfig, SharedCore, UnrolledCore, resolve


def build(config):
    """``(component, manifest)`` of a configuration."""
    ir = resolve(config)
    return ir.component(), ir.manifest()


def spec_of(core, manifest):
    """The manifest as a bench reads it (``ports`` from the component's signature where the
    in-memory manifest has none yet, as the writer adds them)."""
    return CoreSpec({"ports": stream_ports(core), **manifest})


def check_core(core, manifest, vectors, pattern, seed=0):
    """Outputs equal the golden model under ``pattern``; at full rate, latency and ii hold."""
    spec = spec_of(core, manifest)
    run = run_stream(core, vectors, pattern=pattern, seed=seed,
                     patience=25 * (spec.ii + spec.latency) + 200,
                     quiet=spec.latency + spec.ii + 2)
    check_beats(run.outputs, spec.expected(vectors), vectors)
    if pattern == "no_stalls":
        assert run.emits[0] - run.accepts[0] == spec.latency, "latency"
        assert {b - a for a, b in zip(run.emits, run.emits[1:])} <= {spec.ii}, "ii"


def stimuli(spec, limit, rng):
    """All inputs when there are at most ``limit``, else boundaries plus random ones."""
    if spec.x_max - spec.x_min + 1 <= limit:
        values = spec.all_inputs()
    else:
        values = boundary_inputs(spec) + [rng.randint(spec.x_min, spec.x_max)
                                          for _ in range(limit)]
    return spec.vectors(values, rng)


CASES = {
    "relu_k1": dict(act="relu", K=1),
    "relu_k2_x3": dict(act="relu", K=2, lanes=3),
    "relu_k3": dict(act="relu", K=3),
    "relu_k5_f2_x2": dict(act="relu", K=5, frac=2, lanes=2),
    "q2_k2": dict(act=random_set(2, 2, seed=1)),                # F = -2
    "q3_k4_x2": dict(act=random_set(4, 3, seed=2), lanes=2),    # F = -1
    "q8_k7": dict(act=random_set(7, 8, seed=3)),
    "q16_k3": dict(act=random_set(3, 16, seed=4)),              # W = 17: random inputs
    "q5_k1_x3": dict(act=random_set(1, 5, seed=5), lanes=3),
    "sigmoid_k12_q8_w12f6": dict(act=published_set("sigmoid_K12", 8), width=12, frac=6),
}


@functools.cache
def built(case, arch):
    return build(FSConfig(arch=arch, **CASES[case]))


@pytest.mark.parametrize("pattern", PATTERNS)
@pytest.mark.parametrize("arch", ["shared", "unrolled"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_core_matches_golden_model(case, arch, pattern):
    core, man = built(case, arch)
    rng = random.Random(zlib.crc32(case.encode()))
    vectors = stimuli(spec_of(core, man), 160, rng)
    check_core(core, man, vectors, pattern, seed=PATTERNS.index(pattern))


@pytest.mark.parametrize("pattern", PATTERNS)
def test_silu_card_core_four_lanes(pattern):
    core, man = build(FSConfig(act=published_set("silu_K16", 8), lanes=4))
    spec = spec_of(core, man)
    rng = random.Random(4)
    vectors = spec.vectors(boundary_inputs(spec), rng) + spec.random_vectors(40, rng)
    check_core(core, man, vectors, pattern)


@functools.cache
def k32(arch):
    return build(FSConfig(act="relu", K=32, arch=arch))


@pytest.mark.parametrize("pattern", PATTERNS)
@pytest.mark.parametrize("arch", ["shared", "unrolled"])
def test_k32_extremes(arch, pattern):
    """The largest K: the spike mask uses all 32 bits."""
    core, man = k32(arch)
    spec = spec_of(core, man)
    vectors = [{"lane0": v} for v in (spec.x_min, -1, 0, 1, (1 << 31), (1 << 32) - 1, 1 << 32,
                                      spec.x_max)]
    check_core(core, man, vectors, pattern)


#: broken variant -> (architecture, patterns that expose it, message)
BROKEN = {
    GtShared: ("shared", PATTERNS, "beats differ"),
    GtUnrolled: ("unrolled", PATTERNS, "beats differ"),
    # finishing a vector into a full output register loses or changes a beat: only
    # back-pressure fills the output register
    NoStallShared: ("shared", ("random_backpressure", "both"), "changed|dropped|beats"),
    NoStallUnrolled: ("unrolled", ("random_backpressure", "both"), "changed|dropped|beats"),
}


@pytest.mark.parametrize("cls", list(BROKEN), ids=lambda c: c.__name__)
def test_checks_catch_broken_cores(cls):
    arch, patterns, match = BROKEN[cls]
    ir = resolve(FSConfig(act="relu", K=3, arch=arch))
    good = {"shared": SharedCore, "unrolled": UnrolledCore}[arch](ir)
    broken = cls(ir)
    spec = spec_of(good, ir.manifest())
    vectors = spec.vectors(spec.all_inputs())
    for pattern in patterns:
        check_core(good, ir.manifest(), vectors, pattern)
        with pytest.raises(AssertionError, match=match):
            check_core(broken, ir.manifest(), vectors, pattern)
