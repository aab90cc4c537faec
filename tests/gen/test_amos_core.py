"""cocotb regression of the AMOS cores against sim.amos (tests/kit/benches/amos_tb.py).

The reference cores in rtl/ are simulated as shipped (exhaustively: their inputs have at most
12 bits); generated cores cover what the references do not: a set with every sign of every
parameter and a wide input (random + boundary inputs), a two-input core with 7-bit x and y
(all 16384 pairs), K = 1 with an input fraction. Each configuration is built once; its timing
check (latency, ii = 1) and its stream under each handshake pattern are separate pytest items.
A core with the wrong Heaviside (``>`` instead of ``>=``) must fail.
"""

import numpy as np
import pytest

from clirun import ROOT
from gen import generate
from gen.amos import AmosCore, build_ir
from handshake import PATTERNS, pattern_id, pattern_test
from quant.amos_params import AmosParamSet, save
from rtlsim import BUILD, Regression
from variants import with_component

RTL = ROOT / "rtl"
TESTS = ["timing", *(pattern_test("stream", p) for p in PATTERNS)]
REFERENCES = ["amos_relu_k10", "amos_sigmoid_k8_q8", "amos_silu_k12_q8", "amos_mul_k40_q8"]


def _paths(result):
    """(Verilog, manifest) paths of a :class:`gen.GenerateResult`."""
    return result.verilog, result.manifest


def regression(name, make_paths, **env):
    def make():
        vpath, jpath = make_paths()
        return [vpath], name, {"AMOS_MANIFEST": jpath, **env}
    return Regression(name, "amos_tb", make)


REFERENCE_RUNS = {top: regression(top, lambda top=top: (RTL / f"{top}.v", RTL / f"{top}.json"))
                  for top in REFERENCES}


@pytest.mark.parametrize("test", TESTS, ids=pattern_id)
@pytest.mark.parametrize("top", REFERENCES)
def test_reference_core(top, test):
    REFERENCE_RUNS[top].check(test)


def mixed_set(path, two_input, K, Q=8):
    rng = np.random.default_rng(7 + two_input)
    lo, hi = -(1 << (Q - 1)), (1 << (Q - 1)) - 1

    def vec():
        return tuple(int(v) for v in rng.integers(lo, hi + 1, K))

    h = tuple(tuple(int(v) if j < i else 0 for j, v in enumerate(vec())) for i in range(K))
    ps = AmosParamSet("mul" if two_input else "tanh", K, (-1.0, 1.0), vec(), vec(), h, vec(),
                      c2=vec() if two_input else None, Q=Q)
    save(ps, path)
    return path


def _generated(name, two_input, K, width, frac, exhaustive_bits):
    def make_paths():
        folder = BUILD / "src" / name
        folder.mkdir(parents=True, exist_ok=True)
        path = mixed_set(folder / f"{name}_set.json", two_input, K)
        ir = build_ir(str(path), width=width, frac=frac, name=name)
        return _paths(generate(ir, folder))
    return regression(name, make_paths, AMOS_RANDOM=3000, AMOS_EXHAUSTIVE_BITS=exhaustive_bits)


GENERATED = {
    # 14-bit x: boundary + random inputs
    "amos_mixed_w14": _generated("amos_mixed_w14", False, K=7, width=14, frac=6,
                                 exhaustive_bits=12),
    # 7-bit x and y: all 16384 pairs
    "amos_mixed2_w7": _generated("amos_mixed2_w7", True, K=6, width=7, frac=4,
                                 exhaustive_bits=14),
    # K = 1 with an input fraction
    "amos_relu_k1_f2": regression("amos_relu_k1_f2", lambda: _paths(generate(
        build_ir("relu", K=1, frac=2, width=5, name="amos_relu_k1_f2"),
        BUILD / "src" / "amos_relu_k1_f2"))),
}


@pytest.mark.parametrize("test", TESTS, ids=pattern_id)
@pytest.mark.parametrize("name", sorted(GENERATED))
def test_generated_core(name, test):
    GENERATED[name].check(test)


class StrictHeaviside(AmosCore):
    """The published FS code's ``>``: wrong at acc == 0."""

    def fires(self, acc):
        return acc > 0


def _broken():
    ir = build_ir("relu", K=4, name="amos_broken_gt")
    return _paths(generate(with_component(ir, StrictHeaviside), BUILD / "src" / ir.name))


BROKEN = regression("amos_broken_gt", _broken)


@pytest.mark.parametrize("pattern", ["no_stalls", "both"])
def test_bench_catches_a_wrong_heaviside(pattern):
    with pytest.raises(AssertionError, match="beats differ"):
        BROKEN.check(pattern_test("stream", pattern))
