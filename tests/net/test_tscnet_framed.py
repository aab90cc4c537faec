"""The framed TSC network (net.tscnet, mode "framed"): its closed form is the chain of the exact
framed layers, threshold balancing picks alpha on the training split, the run and the CLI
report the mode."""

import json

import numpy as np
import pytest

from clirun import run_cli
from net import data as digits
from net.experiment import Config, run
from net.graph import extract
from net.train import TrainConfig, accuracy, train
from net.tscnet import ALPHAS, TSCNet
from sim.tsc import (FramedTSCLayer, tsc_durations, tsc_encode, tsc_framed_float)

#: Small and fast: a few ANN epochs.
QUICK = TrainConfig(epochs=3)
N = 8


@pytest.fixture(scope="module")
def split():
    return digits.load()


@pytest.fixture(scope="module")
def trained():
    return train("mlp", "relu", QUICK, show_progress=False)


@pytest.fixture(scope="module")
def ops(trained):
    return extract(trained.net)


@pytest.fixture(scope="module")
def x_train(split):
    return split.to_float(split.x_train[:300])


def _trains(net, x):
    """The pixels' spike trains with the always-on bias channel, one frame of N steps."""
    pos, neg = tsc_encode(x, net.N)
    bp, bn = tsc_encode(np.ones(1), net.N)
    return (np.concatenate([pos, np.broadcast_to(bp, pos.shape[:-1] + (1,))], axis=-1),
            np.concatenate([neg, np.broadcast_to(bn, neg.shape[:-1] + (1,))], axis=-1))


def _step_chain(net, x, layer_fn):
    """Every layer of ``net`` run step by step on one frame per image plus flush frames:
    returns the last layer's on-times (with the bias channel) and the spike counts."""
    pos, neg = _trains(net, x)                       # (n, N, 65)
    n, L = len(x), net.neuron_layers
    T = (L + 1) * net.N
    pad = np.zeros((n, T - net.N, pos.shape[-1]), bool)
    pos, neg = np.concatenate([pos, pad], axis=1), np.concatenate([neg, pad], axis=1)
    first = np.arange(T) % net.N == 0
    counts = []
    for k in range(L):
        op, on = layer_fn(k, pos, neg, first)
        frame = slice((k + 1) * net.N, (k + 2) * net.N)      # layer k answers in frame k+1
        counts.append(op[:, frame].sum(1) + on[:, frame].sum(1))
        bp, bn = tsc_encode(np.ones(1), net.N)
        bias_p = np.zeros((n, T, 1), bool)
        bias_n = np.zeros((n, T, 1), bool)
        bias_p[:, frame], bias_n[:, frame] = bp, bn             # the bias channel's frame
        pos = np.concatenate([op, bias_p], axis=-1)
        neg = np.concatenate([on, bias_n], axis=-1)
    last = slice(L * net.N, (L + 1) * net.N)
    return tsc_durations(pos[:, last], neg[:, last]), counts


def test_integer_network_is_the_chain_of_exact_layers(ops, x_train, split):
    net = TSCNet(ops, N, x_train, alpha=0.8, weight_bits=8, mode="framed")
    assert all(isinstance(t, int) for t in net.thresholds)
    x = split.to_float(split.x_test[:12])

    def layer(k, pos, neg, first):
        exact = FramedTSCLayer(net.weights[k], net.thresholds[k], N)
        outs = []
        for i in range(len(pos)):
            exact.reset()
            outs.append(exact.run(pos[i], neg[i], first))
        return np.array([o[0] for o in outs]), np.array([o[1] for o in outs])

    D, counts = _step_chain(net, x, layer)
    r = net.forward(x)
    assert r.logits.dtype == np.int64
    assert np.array_equal(D @ net.readout.T, r.logits)
    assert all(np.array_equal(c, s) for c, s in zip(counts, r.spikes))
    assert r.spikes_per_neuron().max() == 2 and r.spikes_per_neuron().min() == 0


def test_float_network_is_the_chain_of_float_layers(ops, x_train, split):
    net = TSCNet(ops, N, x_train, alpha=0.9, mode="framed")
    x = split.to_float(split.x_test[:30])

    def layer(k, pos, neg, first):
        return tsc_framed_float(net.weights[k], net.thresholds[k], pos, neg, first,
                                frame_steps=N)

    D, counts = _step_chain(net, x, layer)
    r = net.forward(x)
    assert np.allclose(D @ net.readout.T, r.logits, rtol=0, atol=1e-9)
    assert all(np.array_equal(c, s) for c, s in zip(counts, r.spikes))


def test_thresholds_balance_the_largest_frame_input(ops, x_train):
    # alpha = 1: the largest on-time over the calibration images is N - 1 in the first layer,
    # and no training image is clipped there
    net = TSCNet(ops, N, x_train, alpha=1.0, mode="framed")
    D = net._encode_on_times(x_train)
    V = net.membranes(0, D)
    assert net.thresholds[0] == pytest.approx(V.max() / (N - 1))
    assert (V / net.thresholds[0]).max() == pytest.approx(N - 1)
    assert net.time_steps == 3 * N
    with pytest.raises(ValueError, match="framed mode balances on 'drive', not 'current'"):
        TSCNet(ops, N, x_train, balance="current", mode="framed")


def test_alpha_is_chosen_on_the_training_split(ops, x_train, split):
    y = split.y_train[:300]
    net = TSCNet.balanced(ops, N, x_train, y, weight_bits=8)
    assert set(net.alpha_scores) == set(ALPHAS)
    best = max(net.alpha_scores.values())
    assert net.alpha_scores[net.alpha] == best
    tied = [a for a, s in net.alpha_scores.items() if s == best]
    assert net.alpha == min(tied, key=lambda a: (abs(a - 0.8), -a))
    again = TSCNet(ops, N, x_train, alpha=net.alpha, weight_bits=8, mode="framed")
    assert accuracy(again.forward(x_train).predictions, y) == best


def test_run_reports_the_framed_network(trained):
    r = run(Config(coding="tsc", K=N, Q=8), trained, show_progress=False)
    assert r.config.tsc_mode == "framed" and r.config.tsc_train == 0
    assert r.time_steps == 3 * N and r.images_per_step == 1 / N
    assert r.source.startswith("framed, threshold balancing, alpha ")
    assert r.source.endswith("(chosen on the training split)")
    assert r.spike_counts.max() <= 2 and r.float_accuracy is not None
    j = r.to_json()
    assert j["tsc_mode"] == "framed" and j["frame_steps"] == N and j["time_steps"] == 3 * N
    given = run(Config(coding="tsc", K=N, tsc_alpha=0.7), trained, show_progress=False)
    assert given.source == "framed, threshold balancing, alpha 0.7 (given)"


def test_cli_json(tmp_path):
    r = run_cli("net", "digits", "--coding", "tsc", "--K", "8", "--epochs", "2", "--quiet",
                "--json", tmp_path / "r.json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    j = json.loads((tmp_path / "r.json").read_text())
    assert list(j) == ["ann_accuracy", "snn_accuracy", "spikes_per_neuron", "time_steps",
                       "coding", "model", "act", "K", "Q", "tsc_mode", "frame_steps"]
    assert j["tsc_mode"] == "framed" and j["frame_steps"] == 8 and j["time_steps"] == 24
    assert "TSC framed" in r.stdout
