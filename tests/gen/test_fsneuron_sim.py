"""Fast checks of the FS-neuron cores in the Amaranth simulator.

Many small configurations (K = 1.. , Q = 2..16, negative and positive input fractions, 1 to 3
lanes, both architectures) under random gaps and back-pressure, exhaustive where W is small;
expected outputs from ``sim.fs.fs_int`` via the manifest; latency and ii measured at the ports.
The same checker must reject broken variants.
"""

import random
import sys
import zlib
from pathlib import Path

import pytest
from amaranth.sim import Simulator

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "kit" / "benches"))
from fs_broken import GtShared, GtUnrolled, NoStallShared, NoStallUnrolled  # noqa: E402
from fsneuron_model import CoreSpec, boundary_inputs  # noqa: E402
from fsneuron_sets import published_set, random_set  # noqa: E402
from gen.fsneuron import FSConfig, SharedCore, UnrolledCore, resolve  # noqa: E402


def build(config):
    ir = resolve(config)
    return ir.component(), ir.manifest()

PATTERNS = ((1.0, 1.0), (0.5, 0.5), (0.9, 0.25), (0.25, 0.9))


def simulate(core, spec, vectors, p_valid=1.0, p_ready=1.0, seed=0):
    """Drive ``vectors`` through ``core``; return (outputs, accept cycles, emit cycles).

    Inputs follow the stream rules (an offered beat stays until taken); the sink samples
    ``o.valid``/``o.payload`` every cycle and checks they hold while stalled.
    """
    rng = random.Random(seed)
    payloads = [spec.pack(v) for v in vectors]
    outputs, accepts, emits = [], [], []
    limit = (spec.ii + spec.latency + 4) * (len(payloads) + 2) * 8 + 100

    async def bench(ctx):
        ipay, opay = core.i.payload.as_value(), core.o.payload.as_value()
        sent, offering, cycle, held = 0, False, 0, None
        while len(outputs) < len(payloads) or cycle < len(payloads) + 3:
            if cycle > limit:
                raise AssertionError(f"timed out: sent {sent}, received {len(outputs)}")
            if not offering and sent < len(payloads) and rng.random() < p_valid:
                offering = True
                ctx.set(ipay, payloads[sent])
            ready = rng.random() < p_ready
            ctx.set(core.i.valid, offering)
            ctx.set(core.o.ready, ready)
            o_valid, o_payload = ctx.get(core.o.valid), ctx.get(opay)
            if held is not None:
                assert o_valid and o_payload == held, "o.valid/o.payload changed while stalled"
            if offering and ctx.get(core.i.ready):
                accepts.append(cycle)
                sent += 1
                offering = False
            if o_valid and ready:
                outputs.append(o_payload)
                emits.append(cycle)
            held = o_payload if (o_valid and not ready) else None
            await ctx.tick()
            cycle += 1
        # idle afterwards: nothing more comes out
        ctx.set(core.i.valid, 0)
        ctx.set(core.o.ready, 1)
        for _ in range(spec.latency + spec.ii + 2):
            assert not ctx.get(core.o.valid), "spurious output from an idle core"
            await ctx.tick()

    sim = Simulator(core)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    return outputs, accepts, emits


def check_core(core, manifest, vectors, patterns=PATTERNS, seed=0):
    """Every pattern: outputs equal the golden model; at full rate, latency and ii hold."""
    spec = CoreSpec(manifest)
    expected = spec.expected(vectors)
    for k, (p_valid, p_ready) in enumerate(patterns):
        outputs, accepts, emits = simulate(core, spec, vectors, p_valid, p_ready, seed + k)
        if outputs != expected:
            n = next((i for i, (a, b) in enumerate(zip(outputs, expected)) if a != b),
                     min(len(outputs), len(expected)))
            got = spec.unpack(outputs[n]) if n < len(outputs) else "nothing"
            want = spec.unpack(expected[n]) if n < len(expected) else "nothing"
            raise AssertionError(f"pattern {p_valid}/{p_ready}: output {n} for {vectors[n]} "
                                 f"is {got}, want {want} ({len(outputs)} outputs for "
                                 f"{len(vectors)} inputs)")
        if (p_valid, p_ready) == (1.0, 1.0):
            assert emits[0] - accepts[0] == spec.latency, "latency"
            assert {b - a for a, b in zip(emits, emits[1:])} <= {spec.ii}, "ii"


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


@pytest.mark.parametrize("arch", ["shared", "unrolled"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_core_matches_golden_model(case, arch):
    core, man = build(FSConfig(arch=arch, **CASES[case]))
    rng = random.Random(zlib.crc32(case.encode()))
    vectors = stimuli(CoreSpec(man), 160, rng)
    check_core(core, man, vectors)


def test_silu_card_core_four_lanes():
    core, man = build(FSConfig(act=published_set("silu_K16", 8), lanes=4))
    spec = CoreSpec(man)
    rng = random.Random(4)
    vectors = spec.vectors(boundary_inputs(spec), rng) + spec.random_vectors(40, rng)
    check_core(core, man, vectors, patterns=((1.0, 1.0), (0.6, 0.4)))


def test_k32_extremes():
    """The largest K: the spike mask uses all 32 bits."""
    for arch in ("shared", "unrolled"):
        core, man = build(FSConfig(act="relu", K=32, arch=arch))
        spec = CoreSpec(man)
        vectors = [[v] for v in (spec.x_min, -1, 0, 1, (1 << 31), (1 << 32) - 1, 1 << 32,
                                 spec.x_max)]
        check_core(core, man, vectors, patterns=((1.0, 1.0), (0.5, 0.5)))


@pytest.mark.parametrize("cls,arch,match", [
    (GtShared, "shared", "output"),
    (GtUnrolled, "unrolled", "output"),
    (NoStallShared, "shared", "changed while stalled|output"),
    (NoStallUnrolled, "unrolled", "changed while stalled|output"),
])
def test_checker_catches_broken_cores(cls, arch, match):
    ir = resolve(FSConfig(act="relu", K=3, arch=arch))
    spec = CoreSpec(ir.manifest())
    vectors = spec.vectors(spec.all_inputs())
    good = {"shared": SharedCore, "unrolled": UnrolledCore}[arch]
    check_core(good(ir), ir.manifest(), vectors)
    with pytest.raises(AssertionError, match=match):
        check_core(cls(ir), ir.manifest(), vectors)
