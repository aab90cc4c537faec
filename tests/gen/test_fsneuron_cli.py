"""``python -m gen fsneuron`` as a user runs it: outputs, summary, bad arguments."""

import json

import pytest

from clirun import assert_usage_error, run_cli
from fsneuron_sets import published_set, random_set, shipped_or_skip, write_set
from quant.params import save


@pytest.fixture(scope="module")
def sets(tmp_path_factory):
    d = tmp_path_factory.mktemp("sets")
    return {
        "silu_q8": write_set(published_set("silu_K16", 8), d, "silu_K16_Q8"),
        "silu_float": write_set(published_set("silu_K16"), d, "silu_K16"),
        "k40": d / "k40.json",
    }


def _files(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_relu_writes_core_and_prints_summary(tmp_path):
    r = run_cli("gen", "fsneuron", "--act", "relu", "--K", "10", "--out", tmp_path)
    assert r.returncode == 0, r.stderr
    assert _files(tmp_path) == ["fs_relu_k10.json", "fs_relu_k10.v"]
    man = json.loads((tmp_path / "fs_relu_k10.json").read_text())
    assert man["top"] == "fs_relu_k10" and man["Q"] is None
    assert (man["input"], man["output"]) == ({"width": 12, "frac": 0}, {"width": 11, "frac": 0})
    out = r.stdout
    for fragment in ("ports", "i__payload[11:0]", "o__payload[20:0]", "latency 11 cycles",
                     "ii 10 cycles", "interval    [0, 1024)", "ROM         none",
                     "MSE         0 vs relu", "widths"):
        assert fragment in out, (fragment, out)


def test_params_file_summary_and_name(tmp_path, sets):
    r = run_cli("gen", "fsneuron", "--act", sets["silu_q8"], "--lanes", "4", "--out", tmp_path)
    assert r.returncode == 0, r.stderr
    assert _files(tmp_path) == ["fs_silu_k16_q8_x4.json", "fs_silu_k16_q8_x4.v"]
    assert "ROM         16 x " in r.stdout and "shared by 4 lanes" in r.stdout
    assert "MSE         0.00" in r.stdout and "[-8, 12)" in r.stdout
    r = run_cli("gen", "fsneuron", "--act", sets["silu_float"], "--Q", "6", "--arch", "unrolled",
                "--out", tmp_path)
    assert r.returncode == 0, r.stderr
    assert "float parameters rounded to Q=6" in r.stdout
    assert (tmp_path / "fs_silu_k16_q6_unrolled.v").exists()
    man = json.loads((tmp_path / "fs_silu_k16_q6_unrolled.json").read_text())
    assert (man["Q"], man["arch"], man["ii"], man["latency"]) == (6, "unrolled", 1, 16)


def test_card_command(tmp_path):
    shipped_or_skip("silu", 16, 8)
    r = run_cli("gen", "fsneuron", "--K", "16", "--Q", "8", "--out", tmp_path)
    assert r.returncode == 0, r.stderr
    assert _files(tmp_path) == ["fs_silu_k16_q8.json", "fs_silu_k16_q8.v"]
    man = json.loads((tmp_path / "fs_silu_k16_q8.json").read_text())
    assert man["mse"]["value"] <= 0.0050                   # the default core's target (docs/fsneuron.md)


def test_default_out_is_out(tmp_path):
    r = run_cli("gen", "fsneuron", "--act", "relu", "--K", "3", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert _files(tmp_path / "out") == ["fs_relu_k3.json", "fs_relu_k3.v"]


@pytest.mark.parametrize("args,fragments", [
    (["--K", "0"], ["K must be between 1 and 32, not 0"]),
    (["--K", "33"], ["not 33"]),
    (["--K", "sixteen"], ["'sixteen' is not an integer"]),
    (["--Q", "1"], ["Q must be between 2 and 16, not 1"]),
    (["--Q", "17"], ["not 17"]),
    (["--act", "tanh"], ["unknown activation 'tanh'"]),
    (["--lanes", "0"], ["lanes must be between 1 and 1024, not 0"]),
    (["--arch", "wide"], ["invalid choice: 'wide'"]),
    (["--act", "relu", "--K", "10", "--width", "8"], ["W=8 cannot hold the ReLU thresholds"]),
    (["--act", "relu", "--frac", "-2"], ["F=-2 is negative"]),
    (["--name", "bad-name"], ["'bad-name' is not a Verilog identifier"]),
    (["--act", "nosuch.json"], ["no such parameter file"]),
    (["--K", "7", "--Q", "5"], ["no trained silu set for K=7 Q=5",
                                "python -m quant train --act silu --K 7 --Q 5"]),
    (["--width", "0"], ["input width W must be between 1 and 64, not 0"]),
])
def test_bad_arguments(tmp_path, args, fragments):
    out = tmp_path / "out"
    r = run_cli("gen", "fsneuron", *args, "--out", out)
    assert_usage_error(r, *fragments)
    assert _files(out) == []


def test_bad_arguments_with_params_files(tmp_path, sets):
    out = tmp_path / "out"
    cases = [
        (["--act", sets["silu_q8"], "--Q", "6"], ["--Q 6 contradicts", "Q=8"]),
        (["--act", sets["silu_q8"], "--K", "12"], ["--K 12 contradicts", "K=16"]),
        (["--act", sets["silu_q8"], "--frac", "2"], ["F=2 cannot hold Q=8 parameters"]),
        (["--act", sets["silu_q8"], "--width", "5"], ["W=5 cannot hold the parameters"]),
    ]
    bad = tmp_path / "bad.json"
    bad.write_text('{"activation": "silu", "K": 2, "interval": [-8, 12], "T": [0, 1], '
                   '"h": [0], "d": [0, 1]}')
    cases.append((["--act", bad], ["'h' has 1 entries, K=2 needs 2"]))
    unknown = tmp_path / "unknown.json"
    unknown.write_text('{"activation": "silu", "K": 1, "interval": [-8, 12], "T": [0], '
                       '"h": [0], "d": [0], "Tee": 1}')
    cases.append((["--act", unknown], ["unknown key(s) 'Tee'"]))
    big = random_set(33, 8, seed=0)
    save(big, sets["k40"])
    cases.append((["--act", sets["k40"]], ["K=33", "K from 1 to 32"]))
    for args, fragments in cases:
        r = run_cli("gen", "fsneuron", *args, "--out", out)
        assert_usage_error(r, *fragments)
        assert _files(out) == []


def test_output_folder_is_a_file(tmp_path):
    blocker = tmp_path / "rtl"
    blocker.write_text("not a folder")
    r = run_cli("gen", "fsneuron", "--act", "relu", "--out", blocker)
    assert_usage_error(r, "is a file")
    assert blocker.read_text() == "not a folder"
