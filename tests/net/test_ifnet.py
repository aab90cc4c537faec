"""The rate-coded IF network: conversion, the time-stepped integer network against an
independent numpy reading of docs/network-format.md, the IF unit in network files."""

import copy
import json

import numpy as np
import pytest

from net import data as digits
from net.experiment import Config, run
from net.export import EXAMPLES_DIR
from net.graph import extract, relu_alphas
from net.netfile import NetworkFileError, from_dict, load
from net.snn import IntSNN
from net.train import TrainConfig, train
from net.units import if_bounds, if_unit
from sim.ifneuron import if_int

IF_EXAMPLE = EXAMPLES_DIR / "mlp_if_relu_k10.json"
FS_EXAMPLE = EXAMPLES_DIR / "mlp_fs_relu_k10.json"


def _shift(x, r):
    return x >> r if r > 0 else x << -r


def _affine(layer, x):
    return x @ np.array(layer["W"], dtype=np.int64).T + np.array(layer["b"], np.int64)


def reference_forward_if(net_dict, x_codes):
    """An IF network file (MLP: linear and if layers) read with numpy int64 step by step, as
    docs/network-format.md says: the first linear layer once, then N = 2^K - 1 steps of
    ``u = max(v + x, 0); s = [u >= theta]; v = u - theta s`` through every later layer; the
    last layer's outputs summed over the steps. Returns (logits, records)."""
    unit = net_dict["unit"]
    N, theta = (1 << unit["K"]) - 1, unit["theta"]
    layers = net_dict["layers"]
    x0 = _affine(layers[0], np.asarray(x_codes, dtype=np.int64))
    v = [None] * len(layers)
    recs = {k: {"x": [], "spikes": []} for k, layer in enumerate(layers) if layer["op"] == "if"}
    logits = 0
    for _ in range(N):
        x = x0
        for k, layer in enumerate(layers[1:], 1):
            if layer["op"] == "linear":
                x = _affine(layer, x)
                continue
            assert layer["op"] == "if"
            cur = _shift(x, layer["shift"])
            u = (cur if v[k] is None else v[k] + cur).clip(0)
            s = (u >= theta).astype(np.int64)
            v[k] = u - theta * s
            recs[k]["x"].append(cur)
            recs[k]["spikes"].append(s)
            x = s
        logits = logits + x
    records = []
    for k in sorted(recs):
        sp = np.stack(recs[k]["spikes"], 1)
        records.append({"x": np.stack(recs[k]["x"], 1), "spikes": sp, "value": sp.sum(1)})
    return logits, records


@pytest.fixture(scope="module")
def split():
    return digits.load()


@pytest.fixture(scope="module")
def mlp(split):
    tr = train("mlp", "relu", TrainConfig(epochs=3), show_progress=False)
    ops = extract(tr.net)
    return ops, relu_alphas(ops, split.to_float(split.x_train))


@pytest.mark.parametrize("K, images", [(3, 200), (6, 60), (10, 12)])
def test_if_network_bit_exact(mlp, split, K, images):
    ops, alphas = mlp
    net = IntSNN(ops, if_unit(K, 8), alphas)
    x = split.x_test[:images]
    got = net.forward(x, record=True)
    ref_logits, ref_records = reference_forward_if(net.to_dict(), x)
    assert np.array_equal(got.logits, ref_logits)
    assert len(got.records) == len(ref_records) == 2
    for g, r, counts in zip(got.records, ref_records, got.spikes):
        for name in ("x", "spikes", "value"):
            assert np.array_equal(g[name], r[name]), name
        assert np.array_equal(counts, r["value"])
    # without records: the same logits and counts
    plain = net.forward(x)
    assert np.array_equal(plain.logits, got.logits)
    assert all(np.array_equal(a, b) for a, b in zip(plain.spikes, got.spikes))
    # the first layer's current is constant: its counts are the IF core's model
    first = got.records[0]["x"][:, 0]
    assert np.array_equal(got.spikes[0], if_int(first, K, 1 << K))


def test_if_bounds_hold_step_by_step():
    rng = np.random.default_rng(3)
    for _ in range(40):
        theta = int(rng.integers(1, 20))
        lo, hi = sorted(int(v) for v in rng.integers(-40, 60, 2))
        steps = int(rng.integers(1, 12))
        b_lo, b_hi = if_bounds(lo, hi, theta, steps)
        x = rng.integers(lo, hi + 1, (steps, 500))
        x[:, 0] = hi                     # the largest current every step
        v = np.zeros(500, dtype=np.int64)
        for t in range(steps):
            w = v + x[t]
            assert w.min() >= b_lo and w.max() <= b_hi
            u = w.clip(0)
            v = u - theta * (u >= theta)


def test_if_config_errors():
    for kw, msg in [(dict(model="cnn"), "ReLU MLP only"), (dict(act="silu"), "ReLU MLP only"),
                    (dict(K=17), "K from 1 to 16"), (dict(Q=None), "give --Q")]:
        args = dict(coding="if", Q=8, **kw) if "Q" not in kw else dict(coding="if", **kw)
        with pytest.raises(ValueError, match=msg):
            Config(**args)


def test_if_example_accuracy_close_to_fs(split):
    """The shipped IF example (threshold balancing, K = 10, N = 1023) classifies within half a
    point of the FS ReLU K = 10 example, from the same ANN weights."""
    acc = {}
    for path in (IF_EXAMPLE, FS_EXAMPLE):
        res = load(path).forward(split.x_test)
        acc[path.stem] = 100 * float(np.mean(res.predictions == split.y_test))
    assert abs(acc["mlp_if_relu_k10"] - acc["mlp_fs_relu_k10"]) <= 0.5, acc


def test_if_run_reports_steps_and_spikes():
    res = run(Config(coding="if", K=4, Q=8), show_progress=False)
    out = res.to_json()
    assert out["coding"] == "if" and out["time_steps"] == 15 and out["K"] == 4
    assert 0 < out["spikes_per_neuron"] <= 15 and out["snn_accuracy"] > 80


@pytest.fixture(scope="module")
def if_file():
    return json.loads(IF_EXAMPLE.read_text())


@pytest.mark.parametrize("edit, fragment", [
    (lambda d: d["unit"].update(theta=0), "unit: key 'theta' must be"),
    (lambda d: d["unit"].update(steps=1024), "unit: key 'steps' is 1024"),
    (lambda d: d["unit"].update(T=[1]), "unit: unknown key 'T'"),
    (lambda d: d["unit"].pop("theta"), "unit: missing key 'theta'"),
    (lambda d: d["unit"].update(K=17), "unit: key 'K' must be from 1 to 16"),
    (lambda d: d["layers"][1].update(op="fs"), "layer 1 (fs): the unit is if, not fs"),
    (lambda d: d["layers"][1].pop("shift"), "layer 1 (if): missing key 'shift'"),
    (lambda d: d["layers"][1].update(out_range=[0, 2]), "layer 1 (if): key 'out_range'"),
    (lambda d: d["layers"][3].update(in_bits=3), "layer 3 (if): key 'in_bits' is 3: too narrow"),
])
def test_if_file_rejected(if_file, edit, fragment):
    obj = copy.deepcopy(if_file)
    edit(obj)
    with pytest.raises(NetworkFileError) as exc:
        from_dict(obj, where="if.json")
    assert fragment in str(exc.value) and "\n" not in str(exc.value)


def test_if_file_ranges(if_file):
    net = from_dict(if_file)
    assert net.unit.coding == "if" and net.unit.steps == 1023
    assert [layer.out_range for layer in net.layers if layer.op == "if"] == [(0, 1), (0, 1)]
    lo, hi = net.layers[-1].out_range
    assert net.output_range == (lo * 1023, hi * 1023)


def test_cli_if_export_deterministic(tmp_path):
    """``--coding if --export``: the same bytes twice, a file the reader loads, the figures."""
    from clirun import run_cli

    outs = []
    for k in range(2):
        path = tmp_path / f"if{k}.json"
        r = run_cli("net", "digits", "--coding", "if", "--K", "3", "--Q", "8", "--quiet",
                    "--export", path, "--json", tmp_path / f"r{k}.json")
        assert r.returncode == 0, r.stderr
        assert "SNN IF integer" in r.stdout
        outs.append(path.read_bytes())
    assert outs[0] == outs[1]
    net = load(tmp_path / "if0.json")
    assert net.unit.coding == "if" and net.unit.steps == 7
    fig = json.loads((tmp_path / "r0.json").read_text())
    assert fig["coding"] == "if" and fig["time_steps"] == 7


@pytest.mark.parametrize("args, fragment", [
    (["--coding", "if", "--Q", "8", "--model", "cnn"], "IF conversion takes the ReLU MLP only"),
    (["--coding", "if", "--Q", "8", "--act", "silu"], "IF conversion takes the ReLU MLP only"),
    (["--coding", "if"], "give --Q"),
])
def test_cli_if_bad_combinations(tmp_path, args, fragment):
    from clirun import assert_usage_error, run_cli

    r = run_cli("net", "digits", *args, "--export", tmp_path / "x.json", cwd=tmp_path)
    assert_usage_error(r, fragment)
    assert not (tmp_path / "x.json").exists()


def test_export_nir_refuses_if(tmp_path):
    from clirun import assert_usage_error, run_cli

    r = run_cli("net", "export-nir", IF_EXAMPLE, tmp_path / "x.nir")
    assert_usage_error(r, "rate-coded IF network")
    assert not (tmp_path / "x.nir").exists()
