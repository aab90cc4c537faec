"""TSC network fine-tuning (net.tsctrain): the torch forward is the exact TSC model, the
trained network runs unchanged in the exact float and integer models, training is seeded."""

import numpy as np
import pytest
import torch

pytest.importorskip("sim.tsc")

from net import data as digits                                      # noqa: E402
from net.experiment import Config, run                              # noqa: E402
from net.graph import extract                                       # noqa: E402
from net.snn import quantize_weights                                # noqa: E402
from net.train import TrainConfig, accuracy, train                  # noqa: E402
from net.tscnet import TSCNet                                       # noqa: E402
from net.tsctrain import (TSCTrainConfig, _spike_fn, encode_drive,  # noqa: E402
                              fake_quant, finetune, network_torch, tsc_torch)
from sim.tsc import tsc_durations, tsc_float, tsc_int      # noqa: E402

from clirun import assert_usage_error, run_cli                          # noqa: E402

#: Small and fast: a few ANN epochs, short frames, few images, few fine-tuning epochs.
QUICK = TrainConfig(epochs=3)
N = 8


@pytest.fixture(scope="module")
def split():
    return digits.load()


@pytest.fixture(scope="module")
def ops():
    return extract(train("mlp", "relu", QUICK, show_progress=False).net)


@pytest.fixture(scope="module")
def data(split):
    return split.to_float(split.x_train[:200]), split.y_train[:200]


def _random_trains(rng, batch, T, M):
    """Arbitrary spike trains (not only TSC pairs): pos, neg and both on any step."""
    pos = rng.random((batch, T, M)) < 0.2
    neg = rng.random((batch, T, M)) < 0.2
    return pos, neg


def _drive(pos, neg):
    return torch.tensor(pos.astype(np.float64) - neg.astype(np.float64))


# ----------------------------------------------------------------------------------------------
# the torch forward is the TSC model


@pytest.mark.parametrize("dyadic", [False, True])
def test_tsc_torch_equals_tsc_float(dyadic):
    rng = np.random.default_rng(3)
    L, M, T = 7, 11, 20
    W = rng.normal(0.0, 0.6, (L, M))
    theta = rng.uniform(0.3, 2.0, L)
    if dyadic:                          # codes * 2^-4: every sum exact, as in the integer net
        W, theta = np.rint(W * 16) / 16, np.maximum(np.rint(theta * 16), 1) / 16
    pos, neg = _random_trains(rng, 30, T, M)
    want_p, want_n = tsc_float(W, theta, pos, neg)
    out, on = tsc_torch(torch.tensor(W), torch.tensor(theta), _drive(pos, neg))
    assert want_p.any() and want_n.any()
    assert np.array_equal(out.numpy(), want_p.astype(np.float64) - want_n)
    # the on-state is the running sum of pos - neg, and its sum over the frame the on-time
    assert np.array_equal(on.detach().numpy(), np.cumsum(want_p.astype(int) - want_n, axis=1))
    assert np.array_equal(on.detach().numpy().sum(axis=1), tsc_durations(want_p, want_n))
    if dyadic:                          # and the exact integer layer, spike for spike
        for b in range(5):
            ip, in_ = tsc_int(np.rint(W * 16).astype(int), np.rint(theta * 16).astype(int),
                              pos[b], neg[b])
            assert np.array_equal(ip, want_p[b]) and np.array_equal(in_, want_n[b])


def test_tsc_torch_check_catches_a_changed_layer():
    # the comparison above is not vacuous: a threshold 5% off, or one input spike dropped,
    # changes the spikes
    rng = np.random.default_rng(4)
    W = rng.normal(0.0, 0.6, (7, 11))
    pos, neg = _random_trains(rng, 30, 20, 11)
    p, n = tsc_float(W, 0.5, pos, neg)
    want = p.astype(np.float64) - n
    out, _ = tsc_torch(torch.tensor(W), 0.525, _drive(pos, neg))
    assert not np.array_equal(out.numpy(), want)
    dropped = pos.copy()
    dropped[0, np.argwhere(pos[0])[0][0]] = False
    p2, n2 = tsc_float(W, 0.5, dropped, neg)
    out, _ = tsc_torch(torch.tensor(W), 0.5, _drive(pos, neg))
    assert np.array_equal(out.numpy(), want) and not np.array_equal(p2, p)


def test_surrogate_derivative():
    spike = _spike_fn()
    x = torch.tensor([-1.0, -0.0, 0.0, 0.5, 2.0], dtype=torch.float64, requires_grad=True)
    s = spike(x, 5.0)
    assert s.tolist() == [0.0, 1.0, 1.0, 1.0, 1.0]           # Heaviside with H(0) = 1
    s.sum().backward()
    assert np.allclose(x.grad.numpy(), 1.0 / (1.0 + 5.0 * np.abs(x.detach().numpy())) ** 2)


def test_gradient_reaches_every_layer(ops, data):
    net = TSCNet(ops, N, data[0], alpha=0.2, balance="drive")
    ws = [torch.tensor(w / t, requires_grad=True) for w, t in zip(net.weights, net.thresholds)]
    R = torch.tensor(net.readout, requires_grad=True)
    logits, on_times, _ = network_torch(ws, R, torch.tensor(encode_drive(net, data[0][:32])))
    torch.nn.functional.cross_entropy(logits, torch.tensor(data[1][:32])).backward()
    for w in ws + [R]:
        assert torch.isfinite(w.grad).all() and w.grad.abs().sum() > 0


def test_fake_quant_is_quantize_weights():
    rng = np.random.default_rng(5)
    W = rng.normal(0.0, 0.3, (6, 9))
    codes, s = quantize_weights(W, 8)
    t = torch.tensor(W, requires_grad=True)
    q = fake_quant(t, 8)
    assert np.array_equal(q.detach().numpy(), codes * 2.0 ** -s)
    q.sum().backward()
    assert np.array_equal(t.grad.numpy(), np.ones_like(W))       # straight through


# ----------------------------------------------------------------------------------------------
# the trained network in the exact models


@pytest.fixture(scope="module")
def tuned(ops, data):
    """Fine-tuned float and integer networks (2 epochs on 200 images, N = 8)."""
    cfg = TSCTrainConfig(epochs=2)
    return {wb: TSCNet.finetuned(ops, N, data[0], data[1], weight_bits=wb, config=cfg,
                                 show_progress=False) for wb in (None, 8)}


def test_training_forward_is_the_exact_network(tuned, split):
    x = split.to_float(split.x_test[:60])
    drive = torch.tensor(encode_drive(tuned[None], x))
    # float: the same read-out sums as TSCNet.forward (tsc_float layers)
    f = tuned[None]
    assert f.thresholds == [1.0, 1.0]
    logits, _, spikes = network_torch([torch.tensor(w) for w in f.weights],
                                      torch.tensor(f.readout), drive)
    r = f.forward(x)
    assert np.allclose(logits.numpy(), r.logits, rtol=0, atol=1e-9)
    assert all(np.array_equal(s.numpy(), e) for s, e in zip(spikes, r.spikes))
    # integer: the codes scaled by 2^-s give the integer network's spikes and logits exactly
    q = tuned[8]
    ws = [torch.tensor(c * 2.0 ** -e) for c, e in zip(q.weights, q.exps)]
    assert q.thresholds == [1 << e for e in q.exps]              # theta 1 in weight units
    logits, _, spikes = network_torch(ws, torch.tensor(q.readout * 2.0 ** -q.readout_exp),
                                      drive, weight_bits=8)
    r = q.forward(x)
    assert r.logits.dtype == np.int64
    assert np.array_equal(logits.numpy() * 2.0 ** q.readout_exp, r.logits)
    assert all(np.array_equal(s.numpy(), e) for s, e in zip(spikes, r.spikes))


def test_finetuning_is_reproducible_and_seeded(ops, data):
    start = TSCNet(ops, N, data[0], alpha=0.2, balance="drive")
    a = finetune(start, *data, TSCTrainConfig(epochs=1), show_progress=False)
    b = finetune(start, *data, TSCTrainConfig(epochs=1), show_progress=False)
    c = finetune(start, *data, TSCTrainConfig(epochs=1, seed=1), show_progress=False)
    assert all(np.array_equal(x, y) for x, y in zip(a[0] + [a[1]], b[0] + [b[1]]))
    assert not all(np.array_equal(x, y) for x, y in zip(a[0] + [a[1]], c[0] + [c[1]]))


def test_finetuning_learns(ops, data):
    # the point of it: the trained exact network classifies the training images better than
    # the balanced conversion it starts from
    x, y = data
    start = TSCNet(ops, N, x, alpha=0.8)
    before = accuracy(start.forward(x).predictions, y)
    net = TSCNet.finetuned(ops, N, x, y, config=TSCTrainConfig(epochs=6), alpha=0.8,
                           show_progress=False)
    after = accuracy(net.forward(x).predictions, y)
    assert after >= before + 10, (before, after)
    assert net.forward(x).spikes_per_neuron().max() <= 2


# ----------------------------------------------------------------------------------------------
# configuration, library and command-line errors


@pytest.mark.parametrize("kwargs, message", [
    ({"epochs": 0}, "TSC fine-tuning epochs must be a positive integer, not 0"),
    ({"batch": 2.5}, "TSC fine-tuning batch must be a positive integer"),
    ({"seed": -1}, "TSC fine-tuning seed must be a non-negative integer"),
    ({"lr": 0}, "TSC fine-tuning lr must be a positive number"),
    ({"surrogate": float("nan")}, "TSC fine-tuning surrogate must be a positive number"),
    ({"noise": -0.1}, "TSC fine-tuning noise must be a number >= 0, not -0.1"),
])
def test_train_config_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TSCTrainConfig(**kwargs)


def test_library_errors(ops, data):
    with pytest.raises(ValueError, match="TSC fine-tuning applies to the tsc coding only"):
        Config(coding="fs", tsc_train=3)
    with pytest.raises(ValueError, match="epochs must be an integer >= 0, not -1"):
        Config(coding="tsc", tsc_train=-1)
    assert Config(coding="tsc", tsc_mode="stream").tsc_train == 30
    assert Config(coding="tsc").tsc_train == 0 and Config(coding="tsc").tsc_mode == "framed"
    assert Config(coding="fs").tsc_train is None and Config(coding="fs").tsc_mode is None
    with pytest.raises(ValueError, match="the TSC mode applies to the tsc coding only"):
        Config(coding="fs", tsc_mode="framed")
    with pytest.raises(ValueError, match="TSC mode must be one of stream, framed, not 'rate'"):
        Config(coding="tsc", tsc_mode="rate")
    with pytest.raises(ValueError, match="TSC fine-tuning trains the stream-mode network"):
        Config(coding="tsc", tsc_train=3)
    q = TSCNet(ops, N, data[0], weight_bits=8)
    with pytest.raises(ValueError, match="starts from the float TSC conversion"):
        finetune(q, *data, show_progress=False)
    with pytest.raises(ValueError, match="trains a stream-mode TSC network, not 'framed'"):
        finetune(TSCNet(ops, N, data[0], mode="framed"), *data, show_progress=False)
    f = TSCNet(ops, N, data[0])
    with pytest.raises(ValueError, match="do not match"):
        finetune(f, data[0], data[1][:10], show_progress=False)
    with pytest.raises(ValueError, match="2 weight matrices but 1 thresholds"):
        TSCNet.from_layers(N, f.weights, [1.0], f.readout)


def test_run_reports_the_finetuned_network(split):
    tr = train("mlp", "relu", QUICK, show_progress=False)
    cfg = Config(coding="tsc", K=4, Q=8, tsc_train=1, tsc_mode="stream")
    r = run(cfg, tr, show_progress=False)
    assert r.source.startswith("stream, fine-tuned 1 epochs through the TSC dynamics")
    assert r.float_accuracy is not None and r.time_steps == 4
    assert list(r.to_json()) == ["ann_accuracy", "snn_accuracy", "spikes_per_neuron",
                                 "time_steps", "coding", "model", "act", "K", "Q", "tsc_mode",
                                 "frame_steps"]
    assert r.to_json()["tsc_mode"] == "stream" and r.to_json()["frame_steps"] == 4
    base = run(Config(coding="tsc", K=4, tsc_train=0, tsc_mode="stream"), tr,
               show_progress=False)
    assert base.source.startswith("stream, threshold balancing")


@pytest.mark.parametrize("args, fragment", [
    (["--tsc-train", "5"], "--tsc-train applies to --coding tsc only"),
    (["--coding", "tsc", "--tsc-train", "-1"], "--tsc-train must be at least 0, not -1"),
    (["--coding", "tsc", "--tsc-train", "many"], "'many' is not an integer"),
    (["--coding", "tsc", "--tsc-train", "2"], "--tsc-train fine-tunes the stream-mode network"),
    (["--coding", "tsc", "--tsc-mode", "framed", "--tsc-train", "2"], "give --tsc-mode stream"),
    (["--tsc-mode", "stream"], "--tsc-mode applies to --coding tsc only"),
    (["--coding", "tsc", "--tsc-mode", "rate"], "invalid choice: 'rate'"),
])
def test_cli_errors(tmp_path, args, fragment):
    r = run_cli("net", "digits", *args, "--json", tmp_path / "r.json", cwd=tmp_path)
    assert_usage_error(r, fragment)
    assert list(tmp_path.iterdir()) == []


def test_report_checks_the_tsc_target_on_the_framed_rows():
    from types import SimpleNamespace

    from net.report import TSC_ROWS, tsc_targets

    def res(snn, most=2):
        return SimpleNamespace(ann_accuracy=98.0, snn_accuracy=snn, spikes_per_neuron=0.5,
                               spike_counts=np.array([[0, most]]))

    assert ("mlp", "relu", "tsc", 32, 8, 0, "framed") in TSC_ROWS
    assert ("cnn", "relu", "tsc", 64, None, 30, "stream") not in TSC_ROWS
    assert ("mlp", "relu", "tsc", 64, None, 30, "stream") in TSC_ROWS

    def tsc_lines(f16, f32, most=2):
        results = {("mlp", "relu", "tsc", 16, None, 0, "framed"): res(f16),
                   ("cnn", "relu", "tsc", 32, 8, 0, "framed"): res(f32, most),
                   ("mlp", "relu", "tsc", 64, None, 0, "framed"): res(50.0),   # N > 32
                   ("mlp", "relu", "tsc", 16, None, 30, "stream"): res(50.0)}  # context
        return [line for line in tsc_targets(results) if "TSC" in line]

    ok = tsc_lines(97.5, 97.2)
    assert ok[0].startswith("| TSC framed, threshold balancing alone") and ok[0].endswith(
        "| yes |")
    assert "N=16 -0.50 pt; N=32 -0.80 pt" in ok[0] and "TSC framed Q8" in ok[0]
    assert ok[1].endswith("| yes |") and "2 (0.500)" in ok[1]
    assert tsc_lines(97.5, 96.8)[0].endswith("| **no** |")
    assert tsc_lines(97.5, 97.2, most=3)[1].endswith("| **no** |")
