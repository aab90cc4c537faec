"""cocotb regression of the generated FS-neuron cores (Verilator by default, ``SIM=icarus``).

Each configuration is generated into ``build/cocotb/src/`` and built once; one simulation runs
every bench test on it (``tests/kit/benches/fsneuron_tb.py``): timing against the manifest, all
inputs (exhaustive when W <= 12), boundary and random inputs under four gap/back-pressure
patterns, and a reset in mid-stream. The scoreboard is ``sim.fs.fs_int`` on the manifest's T/h/d.

The configurations cover both architectures, 1 and 4 lanes (and 3), ReLU / SiLU / sigmoid and
random code sets, K from 3 to 16 and Q from 4 to 12, default and custom input formats.
"""

import pytest

from fsneuron_sets import published_set, random_set, write_set
from gen import generate as generate_ir
from gen.fsneuron import FSConfig, resolve


def generate(config, out):
    return generate_ir(resolve(config), out)
from rtlsim import BUILD, run_bench, simulator

SETS = BUILD / "fsneuron_sets"

#: id -> (parameter set maker or "relu", FSConfig fields)
CONFIGS = {
    # the card core's architecture and format (published SiLU set rounded to Q=8)
    "silu_k16_q8_shared_x1": (lambda: published_set("silu_K16", 8), {}),
    "silu_k16_q8_shared_x4": (lambda: published_set("silu_K16", 8), {"lanes": 4}),
    "silu_k16_q8_unrolled_x1": (lambda: published_set("silu_K16", 8), {"arch": "unrolled"}),
    "relu_k10_shared_x1": ("relu", {"K": 10}),
    "relu_k10_unrolled_x4": ("relu", {"K": 10, "arch": "unrolled", "lanes": 4}),
    "sigmoid_k12_q10_shared_x1": (lambda: published_set("sigmoid_K12", 10), {}),
    "sigmoid_k12_q6_unrolled_x4": (lambda: published_set("sigmoid_K12", 6),
                                   {"arch": "unrolled", "lanes": 4}),
    # random codes over the whole range: every width at its extreme
    "random_k5_q12_shared_x3": (lambda: random_set(5, 12, seed=5), {"lanes": 3}),
    # a custom, wider-than-exhaustive input format (random + boundary inputs)
    "random_k3_q4_unrolled_w16": (lambda: random_set(3, 4, seed=3),
                                  {"arch": "unrolled", "width": 16, "frac": 5}),
}


def make_core(cid):
    maker, fields = CONFIGS[cid]
    if maker == "relu":
        config = FSConfig(act="relu", name=f"fs_{cid}", **fields)
    else:
        path = write_set(maker(), SETS, cid)
        config = FSConfig(act=str(path), name=f"fs_{cid}", **fields)
    return generate(config, BUILD / "src")


@pytest.mark.slow
@pytest.mark.parametrize("cid", sorted(CONFIGS))
def test_fsneuron_cocotb(cid):
    simulator()
    result = make_core(cid)
    run_bench([result.verilog], result.ir.name, "fsneuron_tb", f"fsneuron_{cid}",
              env={"FS_MANIFEST": result.manifest, "FS_SEED": 1})
