"""``python -m gen amos``: IR widths, the manifest contract, the ReLU target, deterministic
output, the reference cores in rtl/, and one-line errors with no files for bad input."""

import json

import numpy as np
import pytest

from clirun import ROOT, assert_usage_error, run_cli
from gen.amos import AmosCore, build_ir
from gen.amos.ir import DEFAULT_K, default_width, input_range
from gen.widths import signed_width
from quant.amos_params import AmosParamSet, amos_path, save
from sim.amos import amos_int

RTL = ROOT / "rtl"

#: The reference cores in rtl/ and the commands that make them (docs/amos.md lists them too).
REFERENCE_CORES = {
    "amos_relu_k10": ["--act", "relu", "--K", "10"],
    "amos_sigmoid_k8_q8": ["--act", "sigmoid", "--K", "8", "--Q", "8"],
    "amos_silu_k12_q8": ["--act", "silu", "--K", "12", "--Q", "8"],
    "amos_mul_k40_q8": ["--act", "mul", "--K", "40", "--Q", "8"],
}

MANIFEST_KEYS = {"core", "top", "verilog", "activation", "K", "Q", "input", "output", "c", "T",
                 "h", "d", "latency", "ii"}


def small_set(tmp_path, two_input=False, Q=8, name="amos_test_K5_Q8.json"):
    """A Q-bit set with every sign of every parameter (no training needed)."""
    rng = np.random.default_rng(11 + two_input)
    K = 5
    lo, hi = -(1 << (Q - 1)), (1 << (Q - 1)) - 1
    codes = [tuple(int(v) for v in rng.integers(lo, hi + 1, K)) for _ in range(4)]
    h = tuple(tuple(int(v) if j < i else 0 for j, v in enumerate(rng.integers(lo, hi + 1, K)))
              for i in range(K))
    ps = AmosParamSet("mul" if two_input else "tanh", K, (-1.0, 1.0) if two_input else (-4, 4),
                      codes[0], codes[1], h, codes[2], c2=codes[3] if two_input else None, Q=Q)
    path = tmp_path / name
    save(ps, path)
    return path


# ---- IR --------------------------------------------------------------------------------------

def test_relu_ir():
    ir = build_ir("relu", K=10)
    assert (ir.width, ir.frac, ir.out_width, ir.out_frac, ir.latency, ir.ii) == \
        (12, 0, 11, 0, 12, 1)
    assert ir.c == (1,) * 10 and ir.T[0] == 512 and ir.T[-1] == 1 and ir.h[9][0] == 512
    assert ir.mse["value"] == 0.0


def test_relu_with_fraction_scales_thresholds():
    ir = build_ir("relu", K=6, frac=3)
    assert ir.width == 6 + 2 + 3 and ir.T[-1] == 8 and ir.h[5][4] == 16
    x = np.arange(-(1 << (ir.width - 1)), 1 << (ir.width - 1))
    value, _ = amos_int(x, ir.c, ir.T, ir.h, ir.d)
    assert np.array_equal(value, np.clip(x >> 3, 0, 63))


@pytest.mark.parametrize("two_input", [False, True])
def test_widths_come_from_the_bounds(tmp_path, two_input):
    ir = build_ir(str(small_set(tmp_path, two_input)))
    b = ir.bounds
    assert ir.acc_widths == [signed_width(*r) for r in b["acc"]]
    assert ir.prod_x_widths == [signed_width(*r) for r in b["prod_x"]]
    assert ir.out_width == signed_width(*b["out"])
    # the extremes of the W-bit input reach the product bounds exactly
    lo, hi = ir.x_range
    for i, c in enumerate(ir.c):
        assert b["prod_x"][i] == (min(c * lo, c * hi), max(c * lo, c * hi))
    core = AmosCore(ir)
    assert [len(s) for s in core.thr_acc] == ir.acc_widths
    assert len(core.o.payload.value) == ir.out_width


def test_default_widths_cover_the_interval():
    # [-8, 12) with 4 fraction bits: -128 .. 191 -> 9 bits; [-1, 1): -16 .. 15 -> 5 bits
    assert input_range((-8, 12), 4) == (-128, 191) and default_width((-8, 12), 4) == 9
    assert input_range((-1, 1), 4) == (-16, 15) and default_width((-1, 1), 4) == 5
    assert default_width((-10, 10), 4) == 9


def test_float_file_is_rounded_to_Q(tmp_path):
    ps = AmosParamSet("sigmoid", 2, (-10.0, 10.0), (1.0, 0.5), (0.03125, -1.0),
                      ((0.0, 0.0), (0.75, 0.0)), (0.5, 0.5))
    path = tmp_path / "amos_f.json"
    save(ps, path)
    ir = build_ir(str(path), Q=6)
    assert ir.Q == 6 and ir.frac == 2 and ir.c == (4, 2)
    assert ir.T == (0 << 2, -4 << 2)        # 0.03125 rounds to code 0 at Q=6 (lsb 0.25)
    assert "rounded to Q=6" in ir.source and ir.name == "amos_amos_f_q6".replace("amos_amos",
                                                                                  "amos")


def test_core_rejects_non_ir():
    with pytest.raises(TypeError, match="AmosCore needs an AmosIR, not dict"):
        AmosCore({})


# ---- command line ----------------------------------------------------------------------------

def test_relu_target_and_manifest(tmp_path):
    r = run_cli("gen", "amos", "--act", "relu", "--K", "10", "--out", tmp_path)
    assert r.returncode == 0, r.stderr
    assert "latency 12 cycles, ii 1" in r.stdout
    m = json.loads((tmp_path / "amos_relu_k10.json").read_text())
    assert MANIFEST_KEYS <= set(m)
    assert m["core"] == "amos" and m["top"] == "amos_relu_k10" and m["verilog"] == \
        "amos_relu_k10.v" and (tmp_path / m["verilog"]).exists()
    assert m["K"] == 10 and len(m["h"]) == 10 and all(len(r) == 10 for r in m["h"])
    assert m["latency"] == 12 and m["ii"] == 1
    # value = d_K * clamp(floor(c*x / T_K), 0, 2^K - 1) for every input
    W = m["input"]["width"]
    x = np.arange(-(1 << (W - 1)), 1 << (W - 1))
    value, _ = amos_int(x, m["c"], m["T"], m["h"], m["d"])
    want = m["d"][-1] * np.clip((m["c"][-1] * x) // m["T"][-1], 0, (1 << 10) - 1)
    assert np.array_equal(value, want)
    out = m["output"]
    assert out["width"] == 11 and value.max() == 1023


def test_two_input_manifest(tmp_path):
    path = small_set(tmp_path, two_input=True, name="amos_mul_K5_Q8.json")
    r = run_cli("gen", "amos", "--act", path, "--out", tmp_path / "o")
    assert r.returncode == 0, r.stderr
    m = json.loads((tmp_path / "o" / "amos_mul_k5_q8.json").read_text())
    assert m["activation"] == "mul" and len(m["c2"]) == 5
    fields = m["ports"]["i"]["payload"]["fields"]
    assert [(f["name"], f["offset"], f["width"], f["signed"]) for f in fields] == \
        [("x", 0, 5, True), ("y", 5, 5, True)]
    assert "payload struct {x, y}" in r.stdout


def test_output_is_deterministic(tmp_path):
    path = small_set(tmp_path)
    for d in ("a", "b"):
        r = run_cli("gen", "amos", "--act", path, "--out", tmp_path / d, cwd=tmp_path)
        assert r.returncode == 0, r.stderr
    for f in ("amos_test_k5_q8.v", "amos_test_k5_q8.json"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()
    text = (tmp_path / "a" / "amos_test_k5_q8.v").read_text()
    assert str(tmp_path) not in text and str(ROOT) not in text


@pytest.mark.parametrize("top", sorted(REFERENCE_CORES))
def test_reference_cores_regenerate_byte_identical(tmp_path, top):
    for suffix in (".v", ".json"):
        assert (RTL / f"{top}{suffix}").exists(), f"rtl/{top}{suffix} is missing"
    r = run_cli("gen", "amos", *REFERENCE_CORES[top], "--out", tmp_path)
    assert r.returncode == 0, r.stderr
    for suffix in (".v", ".json"):
        assert (tmp_path / f"{top}{suffix}").read_bytes() == (RTL / f"{top}{suffix}").read_bytes()


def bad_file(tmp_path, text):
    path = tmp_path / "amos_bad.json"
    path.write_text(text)
    return path


@pytest.mark.parametrize("args,fragment", [
    (["--act", "relu", "--K", "0"], "K must be between 1 and 64, not 0"),
    (["--act", "relu", "--K", "65"], "K must be between 1 and 64, not 65"),
    (["--act", "silu", "--Q", "1"], "Q must be between 2 and 16, not 1"),
    (["--act", "silu", "--Q", "17"], "Q must be between 2 and 16, not 17"),
    (["--act", "tanh"], "unknown activation 'tanh'"),
    (["--act", "silu", "--K", "7"], "no shipped AMOS set amos_silu_K7_Q8.json"),
    (["--act", "silu", "--K", "7"], "python -m quant.amos_train train --act silu --K 7 --Q 8"),
    (["--act", "relu", "--K", "10", "--width", "10"], "needs a width of at least 11"),
    (["--act", "relu", "--width", "1"], "input width must be between 2 and 32, not 1"),
    (["--act", "relu", "--frac", "-1"], "input fraction must be between 0 and 32, not -1"),
    (["--act", "relu", "--name", "9lives"], "is not a Verilog identifier"),
    (["--act", "relu", "--K", "ten"], "'ten' is not an integer"),
    (["--act", "relu", "--bogus"], "unrecognized arguments"),
    (["--act", "missing.json"], "no such parameter file"),
])
def test_bad_arguments(tmp_path, args, fragment):
    out = tmp_path / "out"
    assert_usage_error(run_cli("gen", "amos", *args, "--out", out), fragment)
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.parametrize("text,fragment", [
    ("{nope", "not valid JSON"),
    (json.dumps({"activation": "silu", "K": 2, "interval": [-1, 1], "Q": 8, "c": [1, 1],
                 "T": [0, 0], "h": [[0, 5], [0, 0]], "d": [1, 1]}),
     "h(1,2) = 5 is on or above the diagonal"),
    (json.dumps({"activation": "silu", "K": 2, "interval": [-1, 1], "Q": 8, "c": [1, 300],
                 "T": [0, 0], "h": [[0, 0], [0, 0]], "d": [1, 1]}),
     "c(2) = 300 is out of range for Q=8"),
    (json.dumps({"activation": "silu", "K": 2, "interval": [-1, 1], "T": [0, 0],
                 "h": [0, 0], "d": [1, 1]}), "missing key(s) 'c'"),
    (json.dumps({"activation": "silu", "K": 2, "interval": [-1, 1], "Q": 8, "c": [1, 1],
                 "T": [0, 0], "h": [[0, 0], [0, 0]], "d": [1, 1], "bias": 1}),
     "unknown key(s) 'bias'"),
    (json.dumps({"activation": "frobnicate(x)", "K": 1, "interval": [-1, 1], "Q": 8,
                 "c": [1], "T": [0], "h": [[0]], "d": [1]}), "unknown function 'frobnicate'"),
])
def test_malformed_parameter_files(tmp_path, text, fragment):
    out = tmp_path / "out"
    r = run_cli("gen", "amos", "--act", bad_file(tmp_path, text), "--out", out)
    assert_usage_error(r, fragment)
    assert not out.exists()


def test_file_K_and_Q_must_agree(tmp_path):
    path = small_set(tmp_path)
    out = tmp_path / "out"
    assert_usage_error(run_cli("gen", "amos", "--act", path, "--K", "6", "--out", out),
                       "--K 6 does not match the parameter file")
    assert_usage_error(run_cli("gen", "amos", "--act", path, "--Q", "9", "--out", out),
                       "--Q 9 does not match the parameter file")
    assert not out.exists()


def test_output_folder_is_a_file(tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    assert_usage_error(run_cli("gen", "amos", "--act", "relu", "--out", target),
                       "is a file")
    assert target.read_text() == "x"


def test_help_explains_every_option():
    r = run_cli("gen", "amos", "--help")
    assert r.returncode == 0
    for opt in ("--act", "--K", "--Q", "--width", "--frac", "--name", "--out"):
        assert opt in r.stdout
    assert "amos" in run_cli("gen", "--help").stdout


def test_default_K_per_activation():
    assert DEFAULT_K == {"relu": 10, "sigmoid": 8, "silu": 12, "mul": 40}
    for act, K in DEFAULT_K.items():
        if act != "relu":
            assert amos_path(act, K, 8).exists(), f"shipped set for the default {act} K={K}"
