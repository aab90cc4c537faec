"""cocotb regression of the shipped example networks (Verilator by default, ``SIM=icarus``),
or of the user's own network files::

    python -m pytest -p no:xdist tests/gen/test_network_cocotb.py --network out/my_mlp.json

Each network is generated into ``build/cocotb/src/`` and built once; one simulation runs the
bench's tests (``tests/kit/benches/network_tb.py``): the 450 digits test images at full rate
(measured cycles per image and latency, written to ``build/cocotb/network_results/``), the same
under random input gaps and output back-pressure, and 1,000 random inputs covering the extremes
of the input range, also under stalls. Every image's class and logits must equal the integer
network's (:mod:`net.netfile`), so the RTL's accuracy is the integer network's.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from gen.network.ir import build_ir
from gen.writer import generate
from net import data as digits
from net.export import EXAMPLES_DIR
from rtlsim import BUILD, run_bench, simulator

#: example network -> (accumulators per layer P, neuron lanes): the MLP FS-ReLU as in rtl/
#: (the iCE40UP5K configuration), the CNN with P = 32 (one pass in conv 2) and its neurons 8
#: lanes at a time, the rate-coded IF MLP (N = 1023 steps per image) with the default P
NETWORKS = {"mlp_fs_relu_k10": ((16, 8, 2), 4), "mlp_fs_silu_k16_q8": (16, None),
            "mlp_amos_relu_k10": (16, None), "cnn_fs_relu_k10": (32, 8),
            "mlp_if_relu_k10": (16, None)}

RANDOM_INPUTS = 1000


def random_inputs(network, n, seed):
    """``n`` input images over the input range: the two extremes everywhere, extremes
    mixed, sparse, and uniform codes."""
    rng = np.random.default_rng(seed)
    lo, hi = network.input_range
    count = network.input_count
    x = rng.integers(lo, hi + 1, (n, count))
    x[0], x[1] = lo, hi
    q = n // 4
    x[2:q] = np.where(rng.random((q - 2, count)) < 0.5, lo, hi)             # extremes mixed
    sparse = rng.random((q, count)) < 0.8
    x[q:2 * q] = np.where(sparse, 0 if lo <= 0 <= hi else lo, x[q:2 * q])  # mostly zero
    return x


def clocked_wrapper(manifest, folder):
    """A Verilog top around the core that makes the clock itself (rising edges at 5 + 10 k ns)
    and passes every port through, plus the Verilator configuration that keeps only its
    signals visible: the simulator then runs at full speed between the bench's handshakes
    (a cocotb clock wakes the simulator interface twice per cycle, and public signals inside
    the core stop Verilator's optimizations). Returns the files and the wrapper's name."""
    top = manifest["top"]
    name = f"{top}_tb"
    wi = manifest["ports"]["i"]["payload"]["width"]
    wo = manifest["ports"]["o"]["payload"]["width"]
    text = f"""`timescale 1ns/1ps
module {name}(
  input rst,
  output reg clk,
  input i__valid, output i__ready, input [{wi - 1}:0] i__payload,
  output o__valid, input o__ready, output [{wo - 1}:0] o__payload);
  initial clk = 1'b0;
  always #5 clk = ~clk;
  {top} core(.clk(clk), .rst(rst), .i__valid(i__valid), .i__ready(i__ready),
    .i__payload(i__payload), .o__valid(o__valid), .o__ready(o__ready),
    .o__payload(o__payload));
endmodule
"""
    vlt = f'`verilator_config\npublic_flat_rw -module "{name}" -var "*"\n'
    wrapper = folder / f"{name}.v"
    config = folder / f"{name}.vlt"
    wrapper.write_text(text)
    config.write_text(vlt)
    return [wrapper, config], name


def expected(network, x):
    res = network.forward(x)
    return [{"class": int(c), "logits": [int(v) for v in row]}
            for c, row in zip(res.predictions, res.logits)]


def write_cases(network, path):
    split = digits.load()
    if network.input_count != split.x_test.shape[1] or network.input_range != (0, 16):
        raise ValueError(f"{network.name}: its input is not the digits' 64 pixel codes 0..16")
    xr = random_inputs(network, RANDOM_INPUTS, seed=5)
    cases = {"digits": {"inputs": split.x_test.tolist(),
                        "expected": expected(network, split.x_test)},
             "random": {"inputs": xr.tolist(), "expected": expected(network, xr)}}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(cases))
    return path


def pytest_generate_tests(metafunc):
    """The shipped examples, or the files given with ``--network`` (at ``--network-pe``)."""
    if metafunc.function.__name__ != "test_network_cocotb":
        return
    from gen.network.cli import pe_list

    given = metafunc.config.getoption("network")
    if given:
        pe = pe_list(metafunc.config.getoption("network_pe"))
        cases = [(Path(f).resolve(), pe, None) for f in given]
    else:
        cases = [(EXAMPLES_DIR / f"{n}.json", *NETWORKS[n]) for n in sorted(NETWORKS)]
    metafunc.parametrize("path, pe, lanes", cases, ids=[c[0].stem for c in cases])


@pytest.mark.slow
def test_network_cocotb(path, pe, lanes):
    simulator()
    name = path.stem
    ir = build_ir(path, pe=pe, lanes=lanes)
    result = generate(ir, BUILD / "src")
    cases = write_cases(ir.network, BUILD / "network_cases" / f"{name}.json")
    out = BUILD / "network_results" / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    manifest = json.loads(result.manifest.read_text())
    (wrapper, config), top = clocked_wrapper(manifest, BUILD / "src")
    # the runner takes the language from the last source: the control file goes first
    sources = ([config] if simulator() == "verilator" else []) + [result.verilog, wrapper]
    run_bench(sources, top, "network_tb", f"network_{name}",
              env={"NET_MANIFEST": result.manifest, "NET_CASES": cases, "NET_RESULTS": out,
                   "NET_SEED": 1},
              # --timing for the wrapper's clock (the PyPI build's make needs -fcoroutines)
              build_args=["--no-public-flat-rw", "--timing", "-CFLAGS", "-fcoroutines"])
    measured = json.loads(out.read_text())
    model = ir.digits["ii_mean"]
    print(f"{ir.name}: {measured['cycles_per_image']:.1f} cycles per image "
          f"measured, {model} modelled; latency {measured['latency_max']} cycles "
          f"(bound {ir.latency})")
    # the cycle model behind the manifest's ii_mean and the synthesis table
    assert abs(measured["cycles_per_image"] - model) <= 0.1 * model, (measured, model)
    measured.update(name=ir.name, model_ii_mean=model, latency_bound=ir.latency)
    out.write_text(json.dumps(measured, indent=1) + "\n")
