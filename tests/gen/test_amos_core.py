"""cocotb regression of the AMOS cores against sim.amos (tests/kit/benches/amos_tb.py).

The reference cores in rtl/ are simulated as shipped (exhaustively: their inputs have at most
12 bits); generated cores cover what the references do not: a set with every sign of every
parameter and a wide input (random + boundary inputs), a two-input core with 7-bit x and y
(all 16384 pairs), K = 1 with an input fraction. Every configuration runs at full rate (latency and ii checked)
and under random gaps and back-pressure. A core with the wrong Heaviside (``>`` instead of
``>=``) must fail.
"""

import numpy as np
import pytest

from clirun import ROOT
from gen import generate
from variants import with_component
from gen.amos import AmosCore, build_ir
from quant.amos_params import AmosParamSet, save
from rtlsim import BUILD, run_bench, simulator

RTL = ROOT / "rtl"


def bench(name, vpath, jpath, top, **env):
    env = {"AMOS_MANIFEST": jpath, **env}
    run_bench([vpath], top, "amos_tb", name, env=env)


@pytest.mark.parametrize("top", ["amos_relu_k10", "amos_sigmoid_k8_q8", "amos_silu_k12_q8",
                                 "amos_mul_k40_q8"])
def test_reference_core(top):
    simulator()
    bench(top, RTL / f"{top}.v", RTL / f"{top}.json", top)


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


@pytest.mark.parametrize("config", [
    # 14-bit x: boundary + random inputs
    dict(name="amos_mixed_w14", two_input=False, K=7, width=14, frac=6, exhaustive_bits=12),
    # 7-bit x and y: all 16384 pairs
    dict(name="amos_mixed2_w7", two_input=True, K=6, width=7, frac=4, exhaustive_bits=14),
])
def test_generated_core(tmp_path, config):
    simulator()
    path = mixed_set(tmp_path / f"{config['name']}.json", config["two_input"], config["K"])
    ir = build_ir(str(path), width=config["width"], frac=config["frac"], name=config["name"])
    out = BUILD / "src" / ir.name
    r = generate(ir, out)
    vpath, jpath = r.verilog, r.manifest
    bench(ir.name, vpath, jpath, ir.name, AMOS_RANDOM=3000,
          AMOS_EXHAUSTIVE_BITS=config["exhaustive_bits"])


def test_relu_K1_with_fraction():
    simulator()
    ir = build_ir("relu", K=1, frac=2, width=5, name="amos_relu_k1_f2")
    r = generate(ir, BUILD / "src" / ir.name)
    vpath, jpath = r.verilog, r.manifest
    bench(ir.name, vpath, jpath, ir.name)


class StrictHeaviside(AmosCore):
    """The published FS code's ``>``: wrong at acc == 0."""

    def fires(self, acc):
        return acc > 0


def test_bench_catches_a_wrong_heaviside():
    simulator()
    ir = build_ir("relu", K=4, name="amos_broken_gt")
    out = BUILD / "src" / ir.name
    r = generate(with_component(ir, StrictHeaviside), out)
    vpath, jpath = r.verilog, r.manifest
    with pytest.raises(AssertionError, match="cocotb tests failed"):
        bench(ir.name, vpath, jpath, ir.name)
