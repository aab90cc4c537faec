"""``python -m net convert`` and ``python -m net export-nir`` as a user runs them: malformed
models and data give one line, exit 2 and no output file."""

import json

import numpy as np
import pytest
from onnx import helper

from clirun import assert_usage_error, run_cli
from tests.net.onnx_models import cnn, mlp, onnx_model


def _cli(capsys, *argv):
    """The command in this process (the same parser, checks and error printing as
    ``python -m net``): (exit status, stdout, stderr)."""
    from common.cli import main_wrapper
    from net.__main__ import main

    status = main_wrapper(main, [str(a) for a in argv])
    out = capsys.readouterr()
    return status, out.out, out.err


def _assert_refused(status, err, out_dir, *fragments):
    assert status == 2, err
    assert err.count("\n") == 1 and err.startswith("error: ") and "Traceback" not in err, err
    for f in fragments:
        assert f in err, (f, err)
    assert not any(out_dir.iterdir()), list(out_dir.iterdir())


RNG = np.random.default_rng(1)


def _m(kind="mlp", **kw):
    nodes, inits = (mlp if kind == "mlp" else cnn)(np.random.default_rng(0), **kw)
    shape = {"in_shape": ("n", 1, 4, 4)} if kind == "cnn" else {}
    return nodes, inits, shape


def _bad_models():
    """(id, model bytes, calibration shape, fragments of the message)."""
    cases = []

    def add(name, nodes, inits, frags, calib=(4,), **kw):
        cases.append((name, onnx_model(nodes, inits, **kw), calib, frags))

    n, i, _ = _m(extra=(helper.make_node("Softmax", ["y"], ["z"], name="soft"),))
    cases.append(("softmax", onnx_model(n, i, out_name="z"), (4,),
                  ("'soft'", "Softmax", "supported:")))
    n, i, _ = _m(act="Tanh")
    add("tanh", n, i, ("'act1'", "Tanh", "not supported"))
    n, i, s = _m("cnn", pool={"kernel_shape": [2, 2], "strides": [2, 2]})
    n[2].op_type = "MaxPool"
    add("maxpool", n, i, ("'pool'", "MaxPool"), calib=(1, 4, 4), **s)
    n, i, _ = _m("cnn")
    add("dynamic-dim", n, i, ("dimension 2 is dynamic",), calib=(1, 4, 4),
        in_shape=("n", 1, "h", 4))
    n, i, s = _m("cnn", conv_attrs={"pads": [1, 1, 1, 1], "strides": [2, 2]}, feats=8)
    add("strided", n, i, ("'conv'", "Conv", "strides [2, 2]"), calib=(1, 4, 4), **s)
    n, i, s = _m("cnn", conv_attrs={"pads": [1, 1, 1, 1], "group": 2})
    i["w"] = RNG.normal(size=(2, 1, 3, 3)).astype(np.float32)
    n, i2, s = _m("cnn", conv_attrs={"pads": [1, 1, 1, 1], "group": 2})
    cases.append(("grouped", onnx_model(n, i2, in_shape=("n", 2, 4, 4)), (2, 4, 4),
                  ("'conv'", "group=2")))
    n, i, s = _m("cnn", conv_attrs={"pads": [1, 1, 0, 0]}, feats=2 * 3 * 3)
    add("asym-pads", n, i, ("'conv'", "pads [1, 1, 0, 0]"), calib=(1, 4, 4), **s)
    n, i, _ = _m()
    i["w1"] = i["w1"].copy()
    i["w1"][0, 0] = np.nan
    add("nan", n, i, ("'fc1'", "NaN or inf"))
    n, i, _ = _m()
    i["w2"] = i["w2"].copy()
    i["w2"][1, 1] = np.inf
    add("inf", n, i, ("'fc2'", "NaN or inf"))
    n, i, _ = _m()
    add("rank3", n, i, ("rank 3",), calib=(2, 4), in_shape=("n", 2, 4),
        out_shape=("n", 2, 3))
    n, i, _ = _m()
    add("opset11", n, i, ("opset 11",), opset=11)
    n, i, s = _m("cnn", pool={"kernel_shape": [2, 2], "strides": [1, 1]}, feats=2 * 9)
    add("overlap-pool", n, i, ("'pool'", "non-overlapping"), calib=(1, 4, 4), **s)
    n, i, s = _m("cnn", pool={"kernel_shape": [3, 3], "strides": [3, 3]}, feats=2)
    add("pool3", n, i, ("'pool'", "power-of-two"), calib=(1, 4, 4), **s)
    # a Reshape whose shape is computed from the batch size (n * 2): a dynamic shape
    n, i, _ = _m()
    n = [helper.make_node("Shape", ["x"], ["s"], name="shape"),
         helper.make_node("Mul", ["s", "two"], ["s2"], name="times2"),
         helper.make_node("Reshape", ["x", "s2"], ["x2"], name="reshape")] + n
    n[3].input[0] = "x2"
    i["two"] = np.array([2, 1], np.int64)
    add("batch-arith", n, i, ("'times2'", "dynamic shape"))
    # two branches added together
    n, i, _ = _m()
    n = n[:2] + [helper.make_node("Relu", ["h"], ["a2"], name="other"),
                 helper.make_node("Add", ["a", "a2"], ["a3"], name="join")] + n[2:]
    n[-1].input[0] = "a3"
    add("branch", n, i, ("'other'", "branches"))
    n, i, _ = _m()
    n = [n[0], n[2]]
    n[1].input[0] = "h"
    add("no-activation", n, i, ("no activation",))
    return cases


BAD = _bad_models()


@pytest.mark.parametrize("name,data,calib_shape,frags", BAD, ids=[c[0] for c in BAD])
def test_malformed_onnx(tmp_path, capsys, name, data, calib_shape, frags):
    model = tmp_path / f"{name}.onnx"
    model.write_bytes(data)
    calib = tmp_path / "calib.npy"
    np.save(calib, RNG.random((8, *calib_shape)).astype(np.float32))
    out = tmp_path / "out"
    out.mkdir()
    status, _, err = _cli(capsys, "convert", model, "--coding", "fs", "--calib", calib,
                          "--out", out / "net.json", "--json", out / "fig.json", "--quiet")
    _assert_refused(status, err, out, *frags)


def _good(tmp_path):
    nodes, inits, _ = _m()
    model = tmp_path / "good.onnx"
    model.write_bytes(onnx_model(nodes, inits))
    return model


@pytest.mark.parametrize("case", ["truncated", "empty", "not-onnx", "calib-shape",
                                  "calib-dtype", "calib-nan", "calib-garbage", "labels-length",
                                  "labels-range", "unknown-suffix", "range"])
def test_malformed_files(tmp_path, capsys, case):
    model = _good(tmp_path)
    calib = tmp_path / "calib.npy"
    np.save(calib, RNG.random((8, 4)).astype(np.float32))
    extra = []
    frag = ()
    if case == "truncated":
        data = model.read_bytes()
        model.write_bytes(data[:len(data) // 2])
        frag = ("not a readable ONNX model",)
    elif case == "empty":
        model.write_bytes(b"")
        frag = ("empty file",)
    elif case == "not-onnx":
        model.write_bytes(b"\x00\x01 this is not protobuf \xff" * 10)
        frag = ("good.onnx",)
    elif case == "calib-shape":
        np.save(calib, RNG.random((8, 5)).astype(np.float32))
        frag = ("shape (8, 5)", "(n, 4)")
    elif case == "calib-dtype":
        np.save(calib, np.arange(32).reshape(8, 4))
        frag = ("floating point", "int64")
    elif case == "calib-nan":
        x = RNG.random((8, 4))
        x[3, 1] = np.nan
        np.save(calib, x)
        frag = ("NaN or inf",)
    elif case == "calib-garbage":
        calib.write_bytes(b"not numpy")
        frag = ("not a readable .npy",)
    elif case == "labels-length":
        np.save(tmp_path / "y.npy", np.zeros(7, np.int64))
        extra = ["--labels", tmp_path / "y.npy"]
        frag = ("shape (7,)", "(8,)")
    elif case == "labels-range":
        np.save(tmp_path / "y.npy", np.full(8, 3))
        extra = ["--labels", tmp_path / "y.npy"]
        frag = ("outside 0..2",)
    elif case == "unknown-suffix":
        model = model.rename(tmp_path / "good.pt")
        frag = ("unknown model format",)
    elif case == "range":
        extra = ["--input-range", "1", "0"]
        frag = ("LO must be below HI",)
    out = tmp_path / "out"
    out.mkdir()
    status, _, err = _cli(capsys, "convert", model, "--coding", "fs", "--calib", calib,
                          "--out", out / "net.json", "--quiet", *extra)
    _assert_refused(status, err, out, *frag)


def test_convert_cli_writes_network_and_figures(tmp_path):
    """A real process: the network file, the figures and the table; a second run writes the
    same bytes."""
    model = _good(tmp_path)
    x = np.random.default_rng(5).random((64, 4)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    from net.importers import read_model
    from net.graph import forward_float
    import torch

    y = forward_float(read_model(model).ops, torch.as_tensor(x)).argmax(1).numpy()
    np.save(tmp_path / "y.npy", y)
    texts = []
    for run in "ab":
        r = run_cli("net", "convert", model, "--coding", "amos", "--calib", tmp_path / "x.npy",
                    "--labels", tmp_path / "y.npy", "--out", tmp_path / run / "net.json",
                    "--json", tmp_path / run / "fig.json", "--quiet", cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        texts.append([(tmp_path / run / n).read_bytes() for n in ("net.json", "fig.json")])
    assert texts[0] == texts[1]
    fig = json.loads(texts[0][1])
    assert fig["accuracy"]["ann"] == 100.0 and fig["coding"] == "amos" and fig["K"] == 10
    assert fig["import_check"]["ok"] and fig["input"]["signed"] is False
    assert 0 < fig["input"]["frac"] <= 8
    net = json.loads(texts[0][0])
    assert net["format"] == "spikegen-snn" and net["version"] == 1 and net["classes"] == 3
    assert net["input"]["shape"] == [4]
    assert "SNN AMOS integer" in r.stdout and "import check against onnxruntime" in r.stdout


def test_convert_default_out(tmp_path):
    model = _good(tmp_path)
    np.save(tmp_path / "x.npy", np.random.default_rng(5).random((16, 4)))
    r = run_cli("net", "convert", model, "--coding", "fs", "--calib", tmp_path / "x.npy",
                "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "out" / "good.json").is_file()


def test_usage_errors(tmp_path):
    # files that exist (their paths are checked as they are parsed), options that are wrong
    for name in ("m.onnx", "x.npy"):
        (tmp_path / name).write_bytes(b"")
    assert_usage_error(run_cli("net", "convert", "m.onnx", "--coding", "tsc", "--calib", "x.npy",
                               cwd=tmp_path), "--coding")
    assert_usage_error(run_cli("net", "convert", "m.onnx", "--coding", "fs", "--calib", "x.npy",
                               "--K", "40", cwd=tmp_path), "--K")
    assert_usage_error(run_cli("net", "convert", "missing.onnx", "--coding", "fs", "--calib",
                               "x.npy", cwd=tmp_path), "MODEL 'missing.onnx' does not exist")
