"""AMOS cores in the Amaranth simulator (next to the cocotb regression, test_amos_core.py):
small configurations with every input, each handshake pattern a separate test (the
Amaranth-simulator stream kit), every output against ``sim.amos.amos_int`` via the manifest;
latency and ii = 1 measured at full rate. The bench must reject a core with ``>`` for ``>=``."""

import functools
import random

import numpy as np
import pytest

from amaranth_streams import PATTERNS, check_beats, run_stream, stream_ports
from amos_model import AmosSpec
from gen.amos import AmosCore, build_ir
from quant.amos_params import AmosParamSet, save


def random_set(path, K, Q, two_input, seed):
    """A Q-bit set with codes over the whole range (every sign of every parameter)."""
    rng = np.random.default_rng(seed)
    lo, hi = -(1 << (Q - 1)), (1 << (Q - 1)) - 1

    def vec():
        return tuple(int(v) for v in rng.integers(lo, hi + 1, K))

    h = tuple(tuple(int(v) if j < i else 0 for j, v in enumerate(vec())) for i in range(K))
    save(AmosParamSet("mul" if two_input else "tanh", K, (-1.0, 1.0), vec(), vec(), h, vec(),
                      c2=vec() if two_input else None, Q=Q), path)
    return str(path)


#: name -> IR maker (tmp folder -> AmosIR); every one small enough for all inputs
CASES = {
    "relu_k4": lambda tmp: build_ir("relu", K=4),
    "relu_k3_f2": lambda tmp: build_ir("relu", K=3, frac=2),
    "mixed_k5_q6_w7": lambda tmp: build_ir(random_set(tmp / "amos_m.json", 5, 6, False, 1),
                                           width=7, frac=3),
    "mixed2_k3_q5_w4": lambda tmp: build_ir(random_set(tmp / "amos_m2.json", 3, 5, True, 2),
                                            width=4, frac=1),
}


@functools.cache
def case(name, tmp):
    ir = CASES[name](tmp)
    core = AmosCore(ir)
    return core, AmosSpec({"ports": stream_ports(core), **ir.manifest()})


def check(core, spec, pattern, seed=0):
    pairs = spec.boundaries() + spec.inputs(16, 0, random.Random(seed))
    payloads = [spec.payload(p) for p in pairs]
    run = run_stream(core, payloads, pattern=pattern, seed=seed,
                     quiet=spec.m["latency"] + 4)
    check_beats(run.outputs, spec.expected(pairs), payloads)
    return run


@pytest.mark.parametrize("pattern", PATTERNS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_core_matches_golden_model(name, pattern, tmp_path_factory):
    core, spec = case(name, tmp_path_factory.getbasetemp())
    run = check(core, spec, pattern, seed=PATTERNS.index(pattern))
    if pattern == "no_stalls":
        assert {e - a for a, e in zip(run.accepts, run.emits)} == {spec.m["latency"]}
        assert {b - a for a, b in zip(run.accepts, run.accepts[1:])} == {spec.m["ii"]}


class StrictHeaviside(AmosCore):
    """The published FS code's ``>``: wrong at acc == 0."""

    def fires(self, acc):
        return acc > 0


def test_bench_catches_a_wrong_heaviside():
    ir = build_ir("relu", K=4)
    core = StrictHeaviside(ir)
    spec = AmosSpec({"ports": stream_ports(core), **ir.manifest()})
    with pytest.raises(AssertionError, match="beats differ"):
        check(core, spec, "no_stalls")
