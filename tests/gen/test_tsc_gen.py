"""``python -m gen tsc``: configuration, IR (widths), manifest, weight files, bad input."""

import json

import numpy as np
import pytest

from clirun import assert_usage_error, run_cli
from gen.__main__ import main
from gen.tsc import TSCConfig, build_ir, default_threshold, random_weights
from gen.widths import signed_width
from gen.writer import generate
from sim.tsc import TSCLayer, tsc_int_bounds

MANIFEST_KEYS = {"core", "top", "verilog", "latency", "ii", "ports", "inputs", "neurons", "mode",
                 "weights", "threshold", "weight_frac", "wbits", "steps", "source", "widths",
                 "cycles_per_step"}


def gen(capsys, *args):
    """Run the command in-process; return (status, stderr)."""
    from common.cli import main_wrapper

    status = main_wrapper(main, ["tsc", *map(str, args)])
    return status, capsys.readouterr().err


# ---------------------------------------------------------------------------------------- IR


def test_random_weights_distribution():
    w = random_weights(64, 16, 8, seed=0)
    assert w.shape == (16, 64) and w.min() >= -128 and w.max() <= 127
    assert np.array_equal(w, np.random.default_rng(0).integers(-128, 128, (16, 64)))
    assert w.min() == -128 and w.max() == 127                   # the full range is used
    assert not np.array_equal(w, random_weights(64, 16, 8, seed=1))


def test_default_threshold_is_balanced_against_the_largest_current():
    w = np.array([[3, -2, 5], [1, 1, 1]])
    assert default_threshold(w) == int(0.8 * 8)
    assert default_threshold(np.array([[-1, -2]])) == 1
    ir = build_ir(TSCConfig(inputs=3, neurons=2, weights=w))
    assert ir.threshold == (6, 6)


@pytest.mark.parametrize("steps", [1, 5, 256])
def test_widths_come_from_the_bounds(steps):
    ir = build_ir(TSCConfig(inputs=9, neurons=3, wbits=6, steps=steps, seed=2))
    b = tsc_int_bounds(ir.weights, ir.threshold, steps)
    assert ir.widths["current"] == signed_width(*b["current"])
    assert ir.widths["membrane"] == signed_width(b["membrane"][0],
                                                 max(b["membrane"][1], max(ir.threshold)))
    assert ir.widths["word"] == 3 * 6 and ir.widths["address"] == 4
    assert ir.widths["delta"] == 7


def test_widths_hold_the_extremes_and_no_bit_is_spare():
    # every input pushing down every step reaches I = -steps S, V = -S steps(steps+1)/2:
    # exactly the low ends of the ranges the widths are derived from
    w = np.array([[-128, 127, -128], [5, -3, 0]])
    steps = 20
    ir = build_ir(TSCConfig(inputs=3, neurons=2, weights=w, steps=steps, threshold=100))
    pos = np.tile(np.array([1, 0, 1], dtype=bool), (steps, 1))   # +w on the negative weights
    neg = np.tile(np.array([0, 1, 0], dtype=bool), (steps, 1))   # -w on the positive one
    layer = TSCLayer(ir.weights, ir.threshold)
    layer.run(pos, neg)
    S = 383
    assert int(layer.current[0]) == -steps * S
    assert int(layer.membrane[0]) == -S * steps * (steps + 1) // 2
    wi, wv = ir.widths["current"], ir.widths["membrane"]
    assert -(1 << (wi - 1)) <= -steps * S < -(1 << (wi - 2))
    assert -(1 << (wv - 1)) <= -S * steps * (steps + 1) // 2 < -(1 << (wv - 2))


def manifest_of(ir, folder):
    """The manifest as the writer writes it (``ir.manifest()`` alone would build a component
    only to read its signature, and Amaranth warns about an unused design)."""
    return json.loads(generate(ir, folder).manifest.read_text())


def _fields(layout):
    return {f["name"]: (f["offset"], f["width"]) for f in layout["fields"]}


@pytest.mark.parametrize("mode", ["stream", "framed"])
def test_manifest_contents(tmp_path, mode):
    ir = build_ir(TSCConfig(inputs=4, neurons=2, wbits=5, seed=7, threshold=[3, 9], mode=mode,
                            steps=12))
    man = manifest_of(ir, tmp_path)
    assert list(man)[:6] == ["core", "top", "verilog", "latency", "ii", "ports"]
    assert MANIFEST_KEYS <= set(man)
    assert man["core"] == "tsc" and man["inputs"] == 4 and man["neurons"] == 2
    assert man["mode"] == mode and man["steps"] == 12
    assert man["top"] == ("tsc_m4_l2_framed" if mode == "framed" else "tsc_m4_l2")
    assert man["weights"] == [list(r) for r in random_weights(4, 2, 5, 7)]
    assert man["threshold"] == [3, 9] and man["weight_frac"] == 4
    assert man["source"] == "seed 7: numpy.random.default_rng(7).integers(-16, 16, size=(2, 4))"
    # integer worst case (E = M events every step) beside the formulas
    assert man["ii"] == 4 and man["latency"] == 4 + 8
    assert man["cycles_per_step"]["formula"] == "max(1, E)"
    assert man["cycles_per_step"]["latency"] == "max(1, E) + 8"
    assert _fields(man["ports"]["i"]["payload"]) == {"pos": (0, 4), "neg": (4, 4),
                                                     "first": (8, 1)}
    assert _fields(man["ports"]["o"]["payload"]) == {"pos": (0, 2), "neg": (2, 2)}
    json.dumps(man)


@pytest.mark.parametrize("mode", ["stream", "framed"])
def test_manifest_satisfies_the_schema(tmp_path, mode):
    import jsonschema

    from clirun import ROOT

    schema = json.loads((ROOT / "gen" / "manifest.schema.json").read_text())
    man = manifest_of(build_ir(TSCConfig(inputs=3, neurons=2, mode=mode)), tmp_path)
    jsonschema.validate(man, schema)
    man["threshold"] = [0, 1]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(man, schema)


@pytest.mark.parametrize("steps", [1, 2, 7, 8, 9])
def test_framed_widths(steps):
    from sim.tsc import tsc_framed_bounds

    ir = build_ir(TSCConfig(inputs=5, neurons=2, steps=steps, seed=1, mode="framed"))
    b = tsc_framed_bounds(ir.weights, ir.threshold, steps)
    assert ir.widths["membrane"] == signed_width(b["membrane"][0],
                                                 max(b["membrane"][1], max(ir.threshold)))
    w = ir.widths["step"]
    assert steps - 1 < (1 << w) and (w == 1 or steps - 1 >= (1 << (w - 1)))   # holds N - 1


# ---------------------------------------------------------------------------------------- CLI


def test_cli_writes_core_and_manifest(tmp_path):
    r = run_cli("gen", "tsc", "--inputs", 6, "--neurons", 3, "--out", tmp_path)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tsc_m6_l3.json", "tsc_m6_l3.v"]
    man = json.loads((tmp_path / "tsc_m6_l3.json").read_text())
    assert MANIFEST_KEYS <= set(man)
    assert man["top"] == "tsc_m6_l3" and man["verilog"] == "tsc_m6_l3.v"
    assert np.array(man["weights"]).shape == (3, 6)
    assert len(man["threshold"]) == 3
    text = (tmp_path / "tsc_m6_l3.v").read_text()
    assert "module tsc_m6_l3(" in text
    for port in ("clk", "rst", "i__payload", "i__valid", "i__ready", "o__payload",
                 "o__valid", "o__ready"):
        assert port in text
    assert "input [12:0] i__payload" in text and "output [5:0] o__payload" in text
    assert str(tmp_path) not in text and "/work" not in text


def test_cli_framed_default_out_and_summary(tmp_path):
    r = run_cli("gen", "tsc", "--inputs", 4, "--neurons", 2, "--mode", "framed", "--steps", 16,
                cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == ["tsc_m4_l2_framed.json",
                                                      "tsc_m4_l2_framed.v"]
    man = json.loads((out / "tsc_m4_l2_framed.json").read_text())
    assert man["mode"] == "framed" and man["steps"] == 16
    assert r.stdout.startswith("tsc_m4_l2_framed: TSC layer (framed mode), M=4 inputs, L=2")
    assert "frames of N = 16 steps" in r.stdout and "wrote" in r.stdout


def test_cli_is_deterministic(tmp_path, capsys):
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        assert gen(capsys, "--inputs", 5, "--neurons", 2, "--seed", 3, "--name", "x",
                   "--out", out)[0] == 0
    for f in ("x.v", "x.json"):
        assert (a / f).read_bytes() == (b / f).read_bytes()


def test_weight_files(tmp_path, capsys):
    w = np.array([[1, -2, 3], [-128, 127, 0]])
    np.save(tmp_path / "w.npy", w)
    np.save(tmp_path / "wf.npy", w.astype(np.float32))
    (tmp_path / "w.json").write_text(json.dumps(w.tolist()))
    (tmp_path / "wo.json").write_text(json.dumps({"weights": w.tolist(), "threshold": [4, 5],
                                                  "weight_frac": 3}))
    for name in ("w.npy", "wf.npy", "w.json", "wo.json"):
        out = tmp_path / name.replace(".", "_")
        status, err = gen(capsys, "--inputs", 3, "--neurons", 2, "--weights",
                          tmp_path / name, "--out", out)
        assert status == 0, err
        man = json.loads((out / "tsc_m3_l2.json").read_text())
        assert man["weights"] == w.tolist()
        assert man["source"] == name
        if name == "wo.json":
            assert man["threshold"] == [4, 5] and man["weight_frac"] == 3
        else:
            assert man["threshold"] == [default_threshold(w)] * 2 and man["weight_frac"] == 7
    # command-line threshold wins over the file's; one value, L values, commas
    for args, want in ((["7"], [7, 7]), (["7", "8"], [7, 8]), (["7,8"], [7, 8])):
        out = tmp_path / ("t" + "_".join(args).replace(",", "c"))
        assert gen(capsys, "--inputs", 3, "--neurons", 2, "--weights", tmp_path / "wo.json",
                   "--threshold", *args, "--weight-frac", 2, "--out", out)[0] == 0
        man = json.loads((out / "tsc_m3_l2.json").read_text())
        assert man["threshold"] == want and man["weight_frac"] == 2


def _bad_files(tmp_path):
    files = {}

    def npy(name, arr):
        np.save(tmp_path / name, arr)
        files[name] = tmp_path / name

    def text(name, body):
        (tmp_path / name).write_text(body)
        files[name] = tmp_path / name

    npy("shape.npy", np.zeros((3, 2), dtype=int))
    npy("flat.npy", np.zeros(6, dtype=int))
    npy("range.npy", np.array([[0, 0, 128], [0, 0, 0]]))
    npy("nan.npy", np.array([[0.0, np.nan, 0.0], [0, 0, 0]]))
    npy("frac.npy", np.array([[0.5, 0, 0], [0, 0, 0]]))
    npy("bool.npy", np.ones((2, 3), dtype=bool))
    text("garbage.npy", "not numpy")
    text("shape.json", "[[1, 2], [3, 4]]")
    text("range.json", "[[1, 2, -129], [3, 4, 5]]")
    text("nan.json", "[[1, NaN, 3], [3, 4, 5]]")
    text("frac.json", "[[1, 2.5, 3], [3, 4, 5]]")
    text("string.json", '[[1, "2", 3], [3, 4, 5]]')
    text("ragged.json", "[[1, 2, 3], [3, 4]]")
    text("syntax.json", "[[1, 2, 3], [3, 4, 5]")
    text("unknown.json", '{"weights": [[1, 2, 3], [3, 4, 5]], "bias": [0, 0]}')
    text("nokey.json", '{"threshold": 3}')
    text("badtheta.json", '{"weights": [[1, 2, 3], [3, 4, 5]], "threshold": [1, 2, 3]}')
    text("weights.txt", "1 2 3")
    return files


BAD_FILES = {
    "shape.npy": "shape 3 x 2, expected neurons x inputs = 2 x 3",
    "flat.npy": "L x M matrix",
    "range.npy": "weight [0][2] = 128 is outside the 8-bit range",
    "nan.npy": "weight [0][1] is nan",
    "frac.npy": "weight [0][0] = 0.5 is not an integer",
    "bool.npy": "must be integers",
    "garbage.npy": "not a readable .npy",
    "shape.json": "shape 2 x 2",
    "range.json": "weight [0][2] = -129 is outside",
    "nan.json": "weight [0][1] is nan",
    "frac.json": "weight [0][1] = 2.5 is not an integer",
    "string.json": "is not a number",
    "ragged.json": "different or zero lengths",
    "syntax.json": "not valid JSON",
    "unknown.json": "unknown key 'bias'",
    "nokey.json": "no 'weights' key",
    "badtheta.json": "threshold needs 1 or 2 values",
    "weights.txt": "must be a .npy or .json file",
    "missing.npy": "no such file",
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_weight_files(tmp_path, capsys, name):
    files = _bad_files(tmp_path)
    path = files.get(name, tmp_path / name)
    out = tmp_path / "out"
    status, err = gen(capsys, "--inputs", 3, "--neurons", 2, "--weights", path, "--out", out)
    assert status == 2
    assert err.count("\n") == 1 and err.startswith("error: "), err
    assert BAD_FILES[name] in err and name in err, err
    assert not out.exists()


BAD_ARGS = [
    (["--inputs", 0, "--neurons", 2], "inputs must be between 1 and 4096, not 0"),
    (["--inputs", 5000, "--neurons", 2], "inputs must be between 1 and 4096"),
    (["--inputs", 3, "--neurons", 0], "neurons must be between 1 and 256, not 0"),
    (["--inputs", 3, "--neurons", 2, "--wbits", 1], "wbits must be between 2 and 16, not 1"),
    (["--inputs", 3, "--neurons", 2, "--wbits", 17], "wbits must be between 2 and 16"),
    (["--inputs", 3, "--neurons", 2, "--threshold", 0], "threshold must be between 1"),
    (["--inputs", 3, "--neurons", 2, "--threshold", -5], "threshold must be between 1"),
    (["--inputs", 3, "--neurons", 2, "--threshold", 1, 2, 3], "threshold needs 1 or 2 values"),
    (["--inputs", 3, "--neurons", 2, "--threshold", "1.5"], "'1.5' is not an integer"),
    (["--inputs", 3, "--neurons", 2, "--threshold", "4,"], "empty value"),
    (["--inputs", 3, "--neurons", 2, "--steps", 0], "steps must be between 1 and 65536"),
    (["--inputs", 3, "--neurons", 2, "--seed", -1], "seed must be between 0"),
    (["--inputs", 3, "--neurons", 2, "--weight-frac", 40], "weight_frac must be between 0"),
    (["--inputs", 3, "--neurons", 2, "--name", "9bad"], "is not a Verilog identifier"),
    (["--inputs", 3, "--neurons", 2, "--name", "a-b"], "is not a Verilog identifier"),
    (["--inputs", "x", "--neurons", 2], "'x' is not an integer"),
    (["--inputs", 3, "--neurons", 2, "--mode", "rate"], "invalid choice: 'rate'"),
    (["--neurons", 2], "--inputs"),
    (["--inputs", 3], "--neurons"),
    (["--inputs", 3, "--neurons", 2, "--bogus", 1], "unrecognized arguments"),
]


@pytest.mark.parametrize("args,fragment", BAD_ARGS, ids=[f"bad{k}" for k in range(len(BAD_ARGS))])
def test_bad_arguments(tmp_path, capsys, args, fragment):
    out = tmp_path / "out"
    status, err = gen(capsys, *args, "--out", out)
    assert status == 2
    assert err.count("\n") == 1 and err.startswith("error: "), err
    assert fragment in err, err
    assert "Traceback" not in err
    assert not out.exists()


def test_bad_input_as_a_user_sees_it(tmp_path):
    np.save(tmp_path / "w.npy", np.zeros((5, 5), dtype=int))
    r = run_cli("gen", "tsc", "--inputs", 3, "--neurons", 2, "--weights", tmp_path / "w.npy",
                "--out", tmp_path / "out")
    assert_usage_error(r, "shape 5 x 5")
    assert not (tmp_path / "out").exists()
    (tmp_path / "file").write_text("")
    r = run_cli("gen", "tsc", "--inputs", 3, "--neurons", 2, "--out", tmp_path / "file")
    assert_usage_error(r, "is a file")
