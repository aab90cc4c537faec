"""``python -m quant``: tiny good runs write valid files; bad input is one line, exit 2, no
files."""

import json
import shlex
from pathlib import Path

import pytest

from clirun import assert_usage_error, run_cli
from common.checks import InputError
from common.cli import CLIError
from quant.__main__ import main
from quant.params import PARAMS_DIR, load

pytest.importorskip("torch")

#: The smallest budgets that still run every stage.
TINY = ["--steps", "30", "--restarts", "2", "--qat-steps", "20", "--qat-restarts", "2",
        "--kicks", "1", "--search-iters", "5", "--quiet"]


def test_train_writes_a_valid_set_deterministically(tmp_path):
    out = tmp_path / "s.json"
    r = run_cli("quant", "train", "--act", "silu", "--K", "3", "--Q", "6", "--seed", "5",
                *TINY, "--out", out, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    pset = load(out)
    assert (pset.activation, pset.K, pset.Q, pset.interval) == ("silu", 3, 6, (-8.0, 12.0))
    assert pset.made_by["seed"] == 5
    # the recorded command regenerates the file; the absolute --out is left out of it
    cmd = pset.made_by["command"]
    assert cmd.startswith("python -m quant train --act silu --K 3 --Q 6 --seed 5 --steps 30")
    assert str(tmp_path) not in cmd
    assert "MSE [-2,2]" in r.stderr
    first = out.read_bytes()
    r = run_cli("quant", "train", "--act", "silu", "--K", "3", "--Q", "6", "--seed", "5",
                *TINY, "--out", out, cwd=tmp_path)
    assert r.returncode == 0 and out.read_bytes() == first


def test_train_expression_interval_and_stdout(tmp_path):
    r = run_cli("quant", "train", "--act", "x*tanh(softplus(x))", "--K", "2", "--interval",
                "-4", "4", "--weight", "[-4,4]=1", *TINY, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    obj = json.loads(r.stdout)
    assert obj["activation"] == "x*tanh(softplus(x))" and obj["interval"] == [-4, 4]
    assert "'[-4,4]=1'" in obj["made_by"]["command"]
    assert list(tmp_path.iterdir()) == []


def test_train_relu_is_analytic(tmp_path):
    out = tmp_path / "relu.json"
    r = run_cli("quant", "train", "--act", "relu", "--K", "10", "--out", out)
    assert r.returncode == 0, r.stderr
    pset = load(out)
    assert list(pset.T) == [16 * 2.0 ** -t for t in range(1, 11)] and pset.interval == (0, 16)
    r = run_cli("quant", "train", "--act", "relu", "--K", "4", "--Q", "8", "--interval", "0",
                "8", "--out", out)
    assert r.returncode == 0, r.stderr
    assert load(out).T == (64, 32, 16, 8)


def test_sweep_and_sweep_k_write_tables_figures_and_sets(tmp_path):
    r = run_cli("quant", "sweep", "--act", "sigmoid", "--K", "2", "--Q", "5", "4", *TINY,
                "--out-dir", tmp_path / "q")
    assert r.returncode == 0, r.stderr
    names = sorted(p.name for p in (tmp_path / "q").iterdir())
    assert names == ["sigmoid_K2.json", "sigmoid_K2_Q4.json", "sigmoid_K2_Q5.json",
                     "sweep_sigmoid_K2_Q.json", "sweep_sigmoid_K2_Q.md",
                     "sweep_sigmoid_K2_Q.png"]
    assert (tmp_path / "q" / "sweep_sigmoid_K2_Q.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rows = json.loads((tmp_path / "q" / "sweep_sigmoid_K2_Q.json").read_text())
    assert [row["Q"] for row in rows] == [None, 4, 5]
    assert "| float |" in r.stdout and "| 4 |" in r.stdout
    # each set records the train command that makes it alone (no shared float stage)
    q4 = tmp_path / "q" / "sigmoid_K2_Q4.json"
    words = shlex.split(load(q4).made_by["command"])
    assert words[:9] == ["python", "-m", "quant", "train", "--act", "sigmoid", "--K", "2",
                         "--Q"] and words[9] == "4"
    r = run_cli("quant", *words[3:], "--quiet", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout == q4.read_text()

    r = run_cli("quant", "sweep-k", "--act", "silu", "--K", "3", "2", *TINY,
                "--out-dir", tmp_path / "k")
    assert r.returncode == 0, r.stderr
    names = sorted(p.name for p in (tmp_path / "k").iterdir())
    assert names == ["silu_K2.json", "silu_K3.json", "sweep_silu_K.json", "sweep_silu_K.md",
                     "sweep_silu_K.png"]
    assert " --K 2 " in load(tmp_path / "k" / "silu_K2.json").made_by["command"]


def test_show_writes_a_png_under_out(tmp_path):
    r = run_cli("quant", "show", PARAMS_DIR / "silu_K16_Q8.json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "out" / "silu_K16_Q8.png"
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.rglob("*")] == ["out", "silu_K16_Q8.png"]


BAD = [
    (["train", "--act", "silu", "--K", "0"], ["argument --K: K must be between 1 and 64, not 0"]),
    (["train", "--act", "silu", "--K", "x"], ["argument --K", "'x' is not an integer"]),
    (["train", "--act", "silu", "--K", "4", "--Q", "17"], ["Q must be between 2 and 16"]),
    (["train", "--act", "bogus", "--K", "4"], ["unknown name 'bogus'"]),
    (["train", "--act", "x+", "--K", "4"], ["not a known name"]),
    (["train", "--act", "silu", "--K", "4", "--interval", "3", "1"], ["lo < hi"]),
    (["train", "--act", "silu", "--K", "4", "--interval", "0", "inf"],
     ["--interval must be finite, not inf"]),
    (["train", "--act", "silu", "--K", "4", "--weight", "[-2,2]"], ["[lo,hi]=weight"]),
    (["train", "--act", "silu", "--K", "4", "--device", "tpu"], ["device must be"]),
    (["train", "--act", "silu", "--K", "4", "--steps", "0"], ["--steps must be at least 1"]),
    (["train", "--act", "silu", "--K", "4", "--kicks", "-1"], ["--kicks must be at least 0"]),
    (["train", "--act", "relu", "--K", "10", "--interval", "0", "25"],
     ["alpha=25 puts T(1) = alpha/2 = 12.5 outside [-8, 8]"]),
    (["train", "--act", "relu", "--K", "10", "--interval", "-1", "8"], ["[0, alpha]"]),
    (["train", "--act", "relu", "--K", "10", "--Q", "8"], ["not exactly representable"]),
    (["sweep", "--act", "silu", "--K", "4", "--Q", "4", "4"], ["repeated Q"]),
    (["sweep", "--act", "relu", "--K", "4", "--Q", "4"], ["relu is analytic"]),
    (["sweep", "--act", "silu", "--K", "4", "--Q", "1"], ["Q must be between 2 and 16"]),
    (["sweep-k", "--act", "silu", "--K", "4", "99"], ["K must be between 1 and 64, not 99"]),
    (["sweep-k", "--act", "silu", "--K", "4", "4"], ["repeated K"]),
    (["show", "missing.json"], ["parameter file 'missing.json' does not exist"]),
    (["show", "quant/params/silu_K16.json", "--out", "x.txt"], ["must end in .png"]),
    (["ship", "--only", "silu_K99"], ["unknown shipped set(s) silu_K99"]),
    (["report", "--reuse-sweep"], ["--reuse-sweep", "does not exist"]),
    (["amos", "train", "--act", "silu", "--K", "4", "--fs", "missing.json"], ["does not exist"]),
    (["amos", "train", "--act", "relu", "--K", "4"], ["relu is analytic"]),
    (["amos", "train", "--act", "silu", "--K", "0"], ["K must be between 1 and 64, not 0"]),
    (["amos", "train", "--act", "mul", "--K", "5", "--Q", "3"], ["AMOS sets need Q >= 4"]),
    (["amos", "train", "--act", "nosuch", "--K", "5"], ["unknown name 'nosuch'"]),
    (["amos", "train", "--act", "mul", "--K", "5", "--weight", "[-1,1]=2"],
     ["two-input function"]),
    (["amos", "ship", "--only", "amos_relu_K3"], ["unknown shipped set 'amos_relu_K3'"]),
    (["amos", "ship", "--seed", "x"], ["argument --seed: 'x' is not an integer"]),
    (["amos", "frobnicate"], ["invalid choice"]),
    (["frobnicate"], ["invalid choice"]),
]


def _args(args, tmp_path):
    args = [a if a != "quant/params/silu_K16.json" else PARAMS_DIR / "silu_K16.json"
            for a in args]
    if args[0] == "train" or args[:2] == ["amos", "train"]:
        return args + ["--out", tmp_path / "out.json"]
    if args[0] in ("sweep", "sweep-k", "report", "ship") or args[:2] == ["amos", "ship"]:
        return args + ["--out-dir", tmp_path / "out"]
    return args


@pytest.mark.parametrize("args,fragments", BAD)
def test_bad_input_is_a_user_error(tmp_path, monkeypatch, args, fragments):
    """Every bad input is an InputError or a CLIError with a one-line message: what the
    command line prints as ``error: ...`` (anything else would be a bug with a traceback)."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises((InputError, CLIError)) as info:
        main([str(a) for a in _args(args, tmp_path)])
    message = str(info.value)
    assert "\n" not in message
    for f in fragments:
        assert f in message, (f, message)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args,fragments", [BAD[1], BAD[3], BAD[19], BAD[21], BAD[-2],
                                            BAD[-1]])
def test_bad_input_is_one_line_and_exit_2(tmp_path, args, fragments):
    r = run_cli("quant", *_args(args, tmp_path), cwd=tmp_path)
    assert_usage_error(r, *fragments)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("words,outputs", [
    ("ship", ["out_dir"]),
    ("sweep --act silu --K 4 --Q 8", ["out_dir"]),
    ("sweep-k --act silu --K 4", ["out_dir"]),
    ("report", ["out_dir"]),
    ("regenerate", ["out_dir", "params_dir"]),
    ("amos ship", ["out_dir"]),
    ("amos report", ["out_dir"]),
    ("train --act silu --K 4", ["out"]),
    ("amos train --act silu --K 4", ["out", "float_out"]),
])
def test_default_outputs_are_under_out_or_stdout(words, outputs):
    """Without --out/--out-dir no command writes into the repository (docs/, quant/params/):
    files go under ./out/, a single set to stdout."""
    from quant.__main__ import build_parser

    args = build_parser().parse_args(words.split())
    for name in outputs:
        value = getattr(args, name)
        assert value is None or Path(value).parts[0] == "out", (words, name, value)


def test_train_out_folder_is_refused_before_training(tmp_path):
    r = run_cli("quant", "train", "--act", "silu", "--K", "16", "--out", tmp_path)
    assert_usage_error(r, "is a folder")
    assert list(tmp_path.iterdir()) == []


def test_malformed_parameter_file_is_one_line(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"activation": "silu", "K": 2, "interval": [-8, 12], "Q": 8,
                               "T": [1, 2], "h": [1, 300], "d": [0, 0]}))
    r = run_cli("quant", "show", bad, "--out", tmp_path / "x.png")
    assert_usage_error(r, "h(2) = 300 is out of range for Q=8")
    assert not (tmp_path / "x.png").exists()
