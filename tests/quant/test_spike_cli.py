"""``python -m quant train --spike-weight`` and ``python -m quant spike-sweep``: tiny runs write
valid, reproducible files; bad spike options are one line, exit 2, no files."""

import json
import shlex

import pytest

from clirun import assert_usage_error, run_cli
from common.checks import InputError
from common.cli import CLIError
from quant.__main__ import main
from quant.params import load

pytest.importorskip("torch")

TINY = ["--steps", "30", "--restarts", "2", "--qat-steps", "20", "--qat-restarts", "2",
        "--kicks", "1", "--search-iters", "5", "--quiet"]


def test_train_records_the_spike_term_and_reproduces(tmp_path):
    out = tmp_path / "s.json"
    r = run_cli("quant", "train", "--act", "silu", "--K", "3", "--Q", "6", "--spike-weight",
                "0.01", *TINY, "--out", "s.json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "mean spikes" in r.stderr
    pset = load(out)
    rec = pset.made_by["spikes"]
    assert rec["weight"] == 0.01 and rec["input"] == {"dist": "normal", "mean": -0.112,
                                                      "var": 1.99}
    cmd = pset.made_by["command"]
    # the distribution is written out even when it was the default
    assert "--spike-weight 0.01 --input-dist normal -0.112 1.99 --out s.json" in cmd
    first = out.read_bytes()
    out.unlink()
    r = run_cli("quant", *shlex.split(cmd)[3:], cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == first


def test_spike_sweep_writes_table_figure_and_sets(tmp_path):
    d = tmp_path / "sw"
    r = run_cli("quant", "spike-sweep", "--act", "silu", "--K", "16", "--lambda", "0", "0.5",
                *TINY, "--out-dir", d)
    assert r.returncode == 0, r.stderr
    names = sorted(p.name for p in d.iterdir())
    assert names == ["silu_K16_lambda0.5.json", "silu_K16_lambda0.json",
                     "spike_sweep_silu_K16.json", "spike_sweep_silu_K16.md",
                     "spike_sweep_silu_K16.png"]
    assert (d / "spike_sweep_silu_K16.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    obj = json.loads((d / "spike_sweep_silu_K16.json").read_text())
    assert obj["input"] == {"dist": "normal", "mean": -0.112, "var": 1.99}
    rows = obj["rows"]
    assert [row["lambda"] for row in rows] == [0, 0.5]
    # a larger spike weight spends fewer spikes; the front is the rows no other beats
    assert rows[1]["spikes"] < rows[0]["spikes"]
    assert rows[1]["pareto"]
    assert rows[0]["pareto"] == any(rows[0]["mse"][k] < rows[1]["mse"][k] for k in rows[0]["mse"])
    labels = [ref["label"] for ref in obj["references"]]
    assert labels == ["shipped silu_K16", "shipped silu_K16_lowspike", "published"]
    published = obj["references"][-1]
    assert published["spikes"] == pytest.approx(2.27, abs=0.005)
    assert published["mse"]["[-2,2]"] == pytest.approx(0.002394, rel=1e-3)
    table = (d / "spike_sweep_silu_K16.md").read_text()
    assert r.stdout == table and "| trained | 0.5 |" in table and "| published |" in table
    # each set records the train command that makes it alone
    low = load(d / "silu_K16_lambda0.5.json")
    assert low.made_by["spikes"]["mean"] == pytest.approx(rows[1]["spikes"], rel=1e-5)
    assert "spikes" not in load(d / "silu_K16_lambda0.json").made_by
    words = shlex.split(low.made_by["command"])
    assert words[3:] == ["train", "--act", "silu", "--K", "16", "--seed", "0", *TINY[:-1],
                         "--spike-weight", "0.5", "--input-dist", "normal", "-0.112", "1.99"]
    r = run_cli("quant", *words[3:], "--quiet", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout == (d / "silu_K16_lambda0.5.json").read_text()


BAD = [
    (["train", "--act", "silu", "--K", "4", "--spike-weight", "-1"],
     ["--spike-weight must be at least 0"]),
    (["train", "--act", "silu", "--K", "4", "--spike-weight", "nan"], ["must be finite"]),
    (["train", "--act", "silu", "--K", "4", "--input-dist", "normal", "0", "1"],
     ["--input-dist applies with --spike-weight only"]),
    (["train", "--act", "silu", "--K", "4", "--spike-weight", "1", "--input-dist", "uniform",
      "0", "1"], ["--input-dist must be 'normal MEAN VAR'"]),
    (["train", "--act", "silu", "--K", "4", "--spike-weight", "1", "--input-dist", "normal",
      "0", "-2"], ["input variance must be positive"]),
    (["train", "--act", "sigmoid", "--K", "4", "--spike-weight", "1"],
     ["no default input distribution for 'sigmoid'", "--input-dist normal MEAN VAR"]),
    (["train", "--act", "relu", "--K", "4", "--spike-weight", "1"], ["relu is analytic"]),
    (["spike-sweep", "--act", "silu", "--K", "4", "--lambda", "-1"],
     ["--lambda must be at least 0"]),
    (["spike-sweep", "--act", "silu", "--K", "4", "--lambda", "1", "1"], ["repeated LAMBDA"]),
    (["spike-sweep", "--act", "tanh", "--K", "4", "--lambda", "1"],
     ["no default input distribution for 'tanh'"]),
    (["spike-sweep", "--act", "relu", "--K", "4", "--lambda", "1"], ["relu is analytic"]),
    (["spike-sweep", "--act", "silu", "--K", "4"], ["--lambda"]),
]


def _args(args, tmp_path):
    if args[0] == "train":
        return args + ["--out", tmp_path / "out.json"]
    return args + ["--out-dir", tmp_path / "out"]


@pytest.mark.parametrize("args,fragments", BAD)
def test_bad_spike_options_are_user_errors(tmp_path, monkeypatch, args, fragments):
    monkeypatch.chdir(tmp_path)
    with pytest.raises((InputError, CLIError)) as info:
        main([str(a) for a in _args(args, tmp_path)])
    message = str(info.value)
    assert "\n" not in message
    for f in fragments:
        assert f in message, (f, message)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args,fragments", [BAD[0], BAD[5], BAD[8]])
def test_bad_spike_options_are_one_line_and_exit_2(tmp_path, args, fragments):
    r = run_cli("quant", *_args(args, tmp_path), cwd=tmp_path)
    assert_usage_error(r, *fragments)
    assert list(tmp_path.iterdir()) == []


def test_reference_points_are_the_sets_on_the_sweeps_interval():
    from quant.spike_sweep import reference_points
    from quant.spikes import NETWORK_INPUT, NormalInput

    dist = NormalInput(*NETWORK_INPUT)
    refs = reference_points("silu", 16, 8, dist)
    assert [r["label"] for r in refs] == ["shipped silu_K16_Q8", "shipped silu_K16_lowspike_Q8",
                                          "published, rounded to Q=8"]
    assert refs[1]["spikes"] < 2 < refs[0]["spikes"]
    # another interval has other error regions: no reference point fits the figure
    assert reference_points("silu", 16, 8, dist, interval=(-4, 4)) == []
    assert reference_points("x*x", 16, None, dist) == []
