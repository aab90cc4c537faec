"""``python -m net digits`` and ``python -m net digits-report`` as a user runs them."""

import json

import numpy as np
import pytest

from clirun import ROOT, assert_usage_error, run_cli
from net import data as digits
from tests.net.test_net import reference_forward

KEYS = ["ann_accuracy", "snn_accuracy", "spikes_per_neuron", "time_steps", "coding", "model",
        "act", "K", "Q"]


def test_digits_json(tmp_path):
    out = tmp_path / "r.json"
    r = run_cli("net", "digits", "--epochs", "3", "--K", "6", "--json", out, "--quiet")
    assert r.returncode == 0, r.stderr
    js = json.loads(out.read_text())
    assert list(js) == KEYS
    assert js["coding"] == "fs" and js["model"] == "mlp" and js["act"] == "relu"
    assert js["K"] == 6 and js["Q"] is None and js["time_steps"] == 12
    assert 0 <= js["snn_accuracy"] <= 100 and 0 <= js["ann_accuracy"] <= 100
    assert 0 <= js["spikes_per_neuron"] <= 6
    # the printed table carries the same figures
    assert "ANN (float32)" in r.stdout and "SNN FS float" in r.stdout
    assert f"{js['snn_accuracy']:.2f}" in r.stdout


def test_digits_integer_plots_export_deterministic(tmp_path):
    """The integer network: its JSON, plots and exported network; the exported network, read
    by an independent numpy evaluator, scores exactly the reported accuracy; and a second run
    writes the same bytes."""
    outs = []
    for run in ("a", "b"):
        d = tmp_path / run
        r = run_cli("net", "digits", "--model", "cnn", "--act", "silu", "--K", "16", "--Q",
                    "8", "--epochs", "2", "--json", d / "r.json", "--plots", d / "img",
                    "--sweep-K", "16", "--export", d / "net.json", "--quiet")
        assert r.returncode == 0, r.stderr
        outs.append(d)
    a, b = outs
    files = ["r.json", "net.json", "img/net_cnn_silu_fs_spikes.png",
             "img/net_cnn_silu_fs_acc_vs_K.png"]
    for name in files:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert (a / "img/net_cnn_silu_fs_spikes.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    js = json.loads((a / "r.json").read_text())
    assert js["Q"] == 8 and js["K"] == 16 and js["time_steps"] == 32
    net = json.loads((a / "net.json").read_text())
    assert net["weight_bits"] == 8 and net["unit"]["Q"] == 8
    for layer in net["layers"]:
        if layer["op"] in ("linear", "conv"):
            assert np.abs(np.array(layer["W"])).max() <= 127
    split = digits.load()
    logits, _ = reference_forward(net, split.x_test)
    acc = 100.0 * np.mean(logits.argmax(1) == split.y_test)
    assert round(acc, 4) == js["snn_accuracy"]


@pytest.mark.parametrize("args, fragment", [
    (["--K", "0"], "K must be an integer from 1 to 32, not 0"),
    (["--K", "ten"], "'ten' is not an integer"),
    (["--Q", "20"], "Q must be between 2 and 16, not 20"),
    (["--model", "resnet"], "invalid choice: 'resnet'"),
    (["--act", "gelu"], "invalid choice: 'gelu'"),
    (["--coding", "rate"], "invalid choice: 'rate'"),
    (["--coding", "tsc", "--act", "silu"], "TSC conversion needs --act relu"),
    (["--act", "silu", "--K", "5", "--Q", "8"], "no silu parameter set with K=5 Q=8"),
    (["--weight-bits", "1", "--Q", "8"], "weight bits must be an integer from 2 to 16"),
    (["--epochs", "0"], "--epochs must be at least 1, not 0"),
    (["--device", "tpu"], "'tpu'"),
    (["--export", "x.json"], "--export needs the integer FS or AMOS network"),
    (["--sweep-K", "0"], "K must be an integer from 1 to 32, not 0"),
    (["--tsc-alpha", "0.5"], "--tsc-alpha applies to --coding tsc only"),
    (["--coding", "tsc", "--tsc-alpha", "-1"], "TSC alpha must be in (0, 4]"),
])
def test_digits_bad_input(tmp_path, args, fragment):
    out = tmp_path / "r.json"
    r = run_cli("net", "digits", *args, "--json", out, cwd=tmp_path)
    assert_usage_error(r, fragment)
    assert list(tmp_path.iterdir()) == []


def test_sim_usage_errors(tmp_path):
    assert_usage_error(run_cli("net"), "required")
    assert_usage_error(run_cli("net", "bogus"), "invalid choice")
    page = tmp_path / "page.md"
    page.write_text("no markers here\n")
    assert_usage_error(run_cli("net", "digits-report", "--out", page),
                       "needs exactly one <!-- results:begin -->")
    assert page.read_text() == "no markers here\n"


def test_digits_report_lowspike_section_is_current(tmp_path):
    """``--only lowspike`` writes out/network.md (started from the repository's page) by
    default, and its section is the one docs/network.md carries: the page was made by the
    tool, not typed."""
    from net.report import LOW_BEGIN, LOW_END

    r = run_cli("net", "digits-report", "--only", "lowspike", "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    made = (tmp_path / "out" / "network.md").read_text()

    def section(text):
        return text[text.index(LOW_BEGIN):text.index(LOW_END)]

    assert section(made) == section((ROOT / "docs" / "network.md").read_text())
    assert "| mlp | 8 |" in section(made)
