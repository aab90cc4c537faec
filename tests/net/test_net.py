"""Network conversion (net): data split, training, float and bit-exact integer SNNs."""

import json

import numpy as np
import pytest
import torch
from torch import nn

from quant.params import shipped_path
from sim.fs import fs_int, popcount
from net import data as digits
from net.experiment import Config, run, time_steps
from net.graph import extract, forward_float, relu_alphas
from net.snn import EXACT_FLOAT_LIMIT, FloatSNN, IntSNN, quantize_weights
from net.train import TrainConfig, train
from net.units import amos_unit, fs_unit

try:
    import sim.amos  # noqa: F401
    HAVE_AMOS = True
except ImportError:
    HAVE_AMOS = False
try:
    import sim.tsc  # noqa: F401
    HAVE_TSC = True
except ImportError:
    HAVE_TSC = False

#: A few epochs: enough for a trained-looking network, fast enough for CI.
QUICK = TrainConfig(epochs=3)


@pytest.fixture(scope="module")
def nets():
    """Quickly trained networks, one per (model, act), shared by the tests of this module."""
    return {(m, a): train(m, a, QUICK, show_progress=False)
            for m in ("mlp", "cnn") for a in ("relu", "silu")}


@pytest.fixture(scope="module")
def split():
    return digits.load()


# ----------------------------------------------------------------------------------------------
# data and training


def test_split_is_fixed_and_stratified(split):
    assert split.x_train.shape == (1347, 64) and split.x_test.shape == (450, 64)
    assert split.x_train.dtype == np.int64
    assert split.x_train.min() == 0 and split.x_train.max() == 16
    # every class keeps its share (within one image) in the test half
    all_y = np.concatenate([split.y_train, split.y_test])
    share = np.bincount(all_y) * 450 / len(all_y)
    assert np.all(np.abs(np.bincount(split.y_test) - share) <= 1)
    again = digits.load(seed=digits.SPLIT_SEED)
    assert again is split
    other = digits.load(seed=1)
    assert not np.array_equal(other.y_test, split.y_test)


def test_training_is_reproducible():
    cfg = TrainConfig(epochs=2, seed=3)
    a = train("mlp", "relu", cfg, show_progress=False)
    b = train("mlp", "relu", cfg, show_progress=False)
    c = train("mlp", "relu", TrainConfig(epochs=2, seed=4), show_progress=False)
    for (k, va), vb, vc in zip(a.net.state_dict().items(), b.net.state_dict().values(),
                               c.net.state_dict().values()):
        assert torch.equal(va, vb), k
    assert not all(torch.equal(va, vc) for va, vc in
                   zip(a.net.state_dict().values(), c.net.state_dict().values()))
    assert a.test_accuracy == b.test_accuracy


@pytest.mark.parametrize("kwargs, message", [
    ({"epochs": 0}, "epochs must be a positive integer, not 0"),
    ({"seed": -1}, "seed must be a non-negative integer, not -1"),
    ({"lr": 0.0}, "lr must be positive"),
    ({"activity_l1": -1.0}, "activity_l1 must be >= 0"),
])
def test_train_config_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**kwargs)


def test_extract_refuses_max_pooling():
    net = nn.Sequential(nn.Unflatten(1, (1, 8, 8)), nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(),
                        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32, 10))
    with pytest.raises(ValueError, match="layer 3: MaxPool2d has no spiking conversion"):
        extract(net)
    with pytest.raises(ValueError, match="must end with a Linear read-out"):
        extract(nn.Sequential(nn.Linear(64, 10), nn.ReLU()))


def test_extracted_ops_reproduce_the_ann(nets, split):
    for (model, act), tr in nets.items():
        x = torch.tensor(split.to_float(split.x_test))
        with torch.no_grad():
            ref = tr.net(x).double()
            got = forward_float(extract(tr.net), x)
        assert torch.allclose(ref, got, atol=1e-4), (model, act)


# ----------------------------------------------------------------------------------------------
# weight format


def test_quantize_weights():
    W = np.array([[0.5, -0.25], [0.126, 1.9]])
    codes, s = quantize_weights(W, 8)
    # largest s with 1.9 * 2^s <= 127: 2^6 = 64 -> 121.6; 2^7 -> 243 is too big
    assert s == 6
    assert codes.tolist() == [[32, -16], [8, 122]]
    assert np.abs(codes).max() <= 127
    codes, s = quantize_weights(np.array([300.0, -2.0]), 8)
    assert s == -2 and codes.tolist() == [75, 0]        # -0.5 rounds to even 0
    assert quantize_weights(np.zeros(3))[1] == 0
    with pytest.raises(ValueError, match="weight bits must be an integer from 2 to 16, not 1"):
        quantize_weights(W, 1)


# ----------------------------------------------------------------------------------------------
# the integer network against the golden models, neuron by neuron

def _shift(x, r):
    return x >> r if r >= 0 else x << -r


def reference_forward(net_dict, x_codes):
    """The exported integer network evaluated with numpy int64 and the golden neuron models:
    an independent reading of the documented format (what network hardware would do)."""
    unit = net_dict["unit"]
    x = np.asarray(x_codes, dtype=np.int64)
    x = x.reshape(len(x), *net_dict["input"]["shape"])      # C order (network file version 1)
    records = []
    for layer in net_dict["layers"]:
        op = layer["op"]
        if op == "linear":
            x = x @ np.array(layer["W"], dtype=np.int64).T + np.array(layer["b"], np.int64)
        elif op == "conv":
            W = np.array(layer["W"], dtype=np.int64)
            p = layer["padding"]
            n, _, H, Wd = x.shape
            co, _, kh, kw = W.shape
            xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
            Ho, Wo = H + 2 * p - kh + 1, Wd + 2 * p - kw + 1
            out = np.zeros((n, co, Ho, Wo), dtype=np.int64)
            for i in range(kh):
                for j in range(kw):
                    out += np.einsum("nchw,oc->nohw", xp[:, :, i:i + Ho, j:j + Wo], W[:, :, i, j])
            x = out + np.array(layer["b"], np.int64)[None, :, None, None]
        elif op == "avgpool":
            k = layer["k"]
            n, c, H, Wd = x.shape
            x = x.reshape(n, c, H // k, k, Wd // k, k).sum(axis=(3, 5))
        elif op == "flatten":
            x = x.reshape(len(x), -1)
        elif op == "unflatten":
            x = x.reshape(len(x), *layer["shape"])
        elif op == "fs":
            xin = _shift(x, layer["shift"])
            value, mask = fs_int(xin, unit["T"], unit["h"], unit["d"])
            records.append({"x": xin, "value": value, "mask": mask})
            x = value
        elif op == "amos":
            from sim.amos import amos_int
            xin = _shift(x, layer["shift"])
            value, mask = amos_int(xin, unit["c"], unit["T"], unit["h"], unit["d"])
            records.append({"x": xin, "value": value, "mask": mask})
            x = value
        else:
            raise AssertionError(f"unknown op {op}")
    return x, records


def mismatches(net, x_codes):
    """Every difference between the torch integer network and the reference; [] if exact."""
    got = net.forward(x_codes, record=True)
    ref_logits, ref_records = reference_forward(net.to_dict(), x_codes)
    bad = []
    if not np.array_equal(got.logits, ref_logits):
        bad.append("logits")
    for k, (g, r) in enumerate(zip(got.records, ref_records)):
        for name in ("x", "value", "mask"):
            if not np.array_equal(g[name], r[name]):
                bad.append(f"layer {k} {name}")
        if not np.array_equal(got.spikes[k], popcount(r["mask"])):
            bad.append(f"layer {k} spikes")
        # and the neuron model itself, on the recorded inputs
        value, mask = net.unit.run_int_reference(g["x"])
        if not (np.array_equal(value, g["value"]) and np.array_equal(mask, g["mask"])):
            bad.append(f"layer {k} neurons")
    return bad


def _alphas(tr, split):
    return relu_alphas(extract(tr.net), split.to_float(split.x_train))


@pytest.mark.parametrize("model", ["mlp", "cnn"])
@pytest.mark.parametrize("act, K, Q", [("relu", 10, 8), ("relu", 4, 8), ("silu", 16, 8)])
def test_int_network_bit_exact(nets, split, model, act, K, Q):
    tr = nets[(model, act)]
    ops = extract(tr.net)
    alphas = _alphas(tr, split) if act == "relu" else None
    net = IntSNN(ops, fs_unit(act, K, Q), alphas)
    x = split.x_test[:120]
    assert mismatches(net, x) == []
    # the whole test split agrees with the reference on the logits too
    assert np.array_equal(net.forward(split.x_test).logits,
                          reference_forward(net.to_dict(), split.x_test)[0])


def test_reference_check_catches_a_broken_network(nets, split):
    tr = nets[("mlp", "silu")]
    net = IntSNN(extract(tr.net), fs_unit("silu", 16, 8))
    x = split.x_test[:60]
    assert mismatches(net, x) == []
    net.layers[0].b = net.layers[0].b.copy()
    net.layers[0].b[3] += 1 << 12                      # one bias off: the torch net runs it
    ref = net.to_dict()
    net.layers[0].b[3] -= 1 << 12                      # the reference reads the good bias
    got = net.forward(x, record=True)
    ref_logits, ref_records = reference_forward(ref, x)
    assert not np.array_equal(got.records[0]["x"], ref_records[0]["x"])
    # a wrong neuron parameter in the torch network is caught neuron by neuron
    net2 = IntSNN(extract(tr.net), fs_unit("silu", 16, 8))
    consts = net2._tensors("cpu")
    first = next(k for k, c in enumerate(consts) if isinstance(c, dict))
    consts[first]["T"] += 8                           # every threshold half a unit off
    bad = mismatches(net2, x)
    assert "layer 0 neurons" in bad and "layer 0 value" in bad


def test_floor_to_neuron_format_is_lossless():
    # every threshold and reset is a multiple of the neuron LSB, so flooring the wider
    # accumulator changes no spike: fs_int(acc, T << r) == fs_int(acc >> r, T)
    u = fs_unit("silu", 16, 8)
    T, h, d = (list(map(int, u.params[k])) for k in "Thd")
    rng = np.random.default_rng(1)
    for r in (1, 3, 7):
        acc = rng.integers(-(20 << (4 + r)), 20 << (4 + r), 20000)
        wide = fs_int(acc, [t << r for t in T], [v << r for v in h], d)
        narrow = fs_int(acc >> r, T, h, d)
        assert np.array_equal(wide[0], narrow[0]) and np.array_equal(wide[1], narrow[1])


def test_int_network_refuses_inexact_float_accumulation(nets):
    # 64 inputs of up to 2^47 times codes up to 127: the sums can pass 2^53
    ops = extract(nets[("mlp", "silu")].net)
    IntSNN(ops, fs_unit("silu", 16, 8), input_range=(0, 1 << 20))
    with pytest.raises(ValueError, match="layer 0: accumulator bound .* too wide for exact"):
        IntSNN(ops, fs_unit("silu", 16, 8), input_range=(0, 1 << 47))
    assert EXACT_FLOAT_LIMIT == 2 ** 53


def test_int_network_input_checks(nets, split):
    net = IntSNN(extract(nets[("mlp", "silu")].net), fs_unit("silu", 16, 8))
    with pytest.raises(TypeError, match="pixel codes must be integers"):
        net.forward(split.to_float(split.x_test[:2]))
    with pytest.raises(ValueError, match=r"pixel codes outside 0\.\.16"):
        net.forward(np.full((1, 64), 17))


def test_describe_widths(nets, split):
    tr = nets[("cnn", "relu")]
    net = IntSNN(extract(tr.net), fs_unit("relu", 10, 8), _alphas(tr, split))
    got = net.forward(split.x_test, record=True)
    rows = net.describe()
    neuron_rows = [r for r in rows if r["op"] == "fs"]
    for row, rec in zip(neuron_rows, got.records):
        lo, hi = row["in_range"]
        assert lo <= rec["x"].min() and rec["x"].max() <= hi     # the bound holds on data
        bits = row["in_bits"]
        assert -(1 << (bits - 1)) <= lo and hi < (1 << (bits - 1))
        assert not (-(1 << (bits - 2)) <= lo and hi < (1 << (bits - 2)))   # and is tight
    assert [r["op"] for r in rows] == ["unflatten", "conv", "fs", "avgpool", "conv", "fs",
                                       "avgpool", "flatten", "linear"]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_int_network_same_on_gpu(nets, split):
    tr = nets[("cnn", "silu")]
    net = IntSNN(extract(tr.net), fs_unit("silu", 16, 8))
    cpu = net.forward(split.x_test)
    gpu = net.forward(split.x_test, device="cuda")
    assert np.array_equal(cpu.logits, gpu.logits)
    for a, b in zip(cpu.spikes, gpu.spikes):
        assert np.array_equal(a, b)


# ----------------------------------------------------------------------------------------------
# float networks and the conversion itself


def test_relu_conversion_matches_the_ann(nets, split):
    # FS ReLU with K = 12 is the ANN up to alpha 2^-13: the same classes almost everywhere
    tr = nets[("mlp", "relu")]
    ops = extract(tr.net)
    alphas = _alphas(tr, split)
    x = split.to_float(split.x_test)
    with torch.no_grad():
        ann = tr.net(torch.tensor(x)).argmax(1).numpy()
    fl = FloatSNN(ops, fs_unit("relu", 12), alphas).forward(x)
    it = IntSNN(ops, fs_unit("relu", 12, 8), alphas).forward(split.x_test)
    assert np.mean(fl.predictions == ann) >= 0.99
    assert np.mean(it.predictions == fl.predictions) >= 0.99
    # ReLU spikes are the binary digits of the output: at most K per neuron
    assert fl.spikes_per_neuron().max() <= 12


def test_float_relu_neuron_is_rounded_relu(nets, split):
    tr = nets[("mlp", "relu")]
    ops = extract(tr.net)
    alpha = 3.0
    unit = fs_unit("relu", 6)
    x = torch.linspace(-1, 4, 1001, dtype=torch.float64)
    out, _ = unit.run_float(x + alpha * 2.0 ** -7, alpha)
    q = alpha / 64
    expect = np.clip(np.floor(x.numpy() / q + 0.5), 0, 63) * q
    assert np.allclose(out.numpy(), expect)


def test_conversion_errors(nets):
    ops = extract(nets[("mlp", "relu")].net)
    with pytest.raises(ValueError, match="one alpha per neuron layer"):
        FloatSNN(ops, fs_unit("relu", 10))
    with pytest.raises(ValueError, match=r"activations \['relu'\] do not match the silu unit"):
        FloatSNN(ops, fs_unit("silu", 16))
    with pytest.raises(ValueError, match="needs an integer unit"):
        IntSNN(ops, fs_unit("relu", 10), alphas=[1.0, 1.0])
    with pytest.raises(ValueError, match="K must be an integer from 1 to 32, not 0"):
        fs_unit("relu", 0)
    with pytest.raises(ValueError, match="no silu parameter set with K=5 Q=8"):
        fs_unit("silu", 5, 8)
    with pytest.raises(ValueError, match="Q must be between 2 and 16, not 17"):
        fs_unit("silu", 16, 17)


def test_time_steps():
    assert time_steps("fs", 10, 2) == (20, 0.1)
    assert time_steps("amos", 10, 2) == (2, 1.0)
    assert time_steps("tsc", 64, 2) == (64, 1 / 64)


@pytest.mark.parametrize("kwargs, message", [
    ({"model": "resnet"}, "unknown model 'resnet'"),
    ({"coding": "rate"}, "unknown coding 'rate'"),
    ({"coding": "tsc", "act": "silu"}, "TSC conversion needs --act relu"),
    ({"K": 0}, "K must be an integer from 1 to 32, not 0"),
    ({"coding": "tsc", "K": 1}, "TSC needs N = K from 2 to 1024"),
    ({"act": "silu", "Q": 3}, "Q must be at least 4"),
    ({"Q": 1}, "Q must be between 2 and 16, not 1"),
    ({"weight_bits": 1}, "weight bits must be an integer from 2 to 16"),
])
def test_config_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Config(**kwargs)


def test_result_json_keys(nets):
    r = run(Config(model="mlp", act="relu", coding="fs", K=6, Q=8), nets[("mlp", "relu")],
            show_progress=False)
    js = r.to_json()
    assert list(js) == ["ann_accuracy", "snn_accuracy", "spikes_per_neuron", "time_steps",
                        "coding", "model", "act", "K", "Q"]
    assert js["time_steps"] == 12 and js["K"] == 6 and js["Q"] == 8
    assert r.float_accuracy is not None
    json.dumps(js)


# ----------------------------------------------------------------------------------------------
# the targets of docs/network.md on the real (fully trained) networks


@pytest.fixture(scope="module")
def mlp_relu():
    return train("mlp", "relu", TrainConfig(), show_progress=False)


def test_target_fs_relu_K10(mlp_relu):
    for Q in (None, 8):
        r = run(Config(model="mlp", act="relu", coding="fs", K=10, Q=Q), mlp_relu,
                show_progress=False, with_float=False)
        assert r.ann_accuracy >= 96.0
        assert abs(r.snn_accuracy - r.ann_accuracy) <= 0.5
        assert r.spikes_per_neuron <= 2.0


@pytest.mark.skipif(not shipped_path("silu", 16, 8).exists(), reason="no silu_K16_Q8 set")
def test_target_fs_silu_K16_Q8():
    tr = train("mlp", "silu", TrainConfig(), show_progress=False)
    r = run(Config(model="mlp", act="silu", coding="fs", K=16, Q=8), tr, show_progress=False,
            with_float=False)
    assert r.ann_accuracy >= 96.0
    assert abs(r.snn_accuracy - r.ann_accuracy) <= 1.0


# ----------------------------------------------------------------------------------------------
# AMOS and TSC (models from their areas)


@pytest.mark.skipif(not HAVE_AMOS, reason="sim.amos not in this checkout")
@pytest.mark.parametrize("act, K", [("relu", 8), ("silu", 16)])
def test_amos_int_network_bit_exact(nets, split, act, K):
    tr = nets[("cnn", act)]
    alphas = _alphas(tr, split) if act == "relu" else None
    net = IntSNN(extract(tr.net), amos_unit(act, K, 8), alphas)
    assert mismatches(net, split.x_test[:80]) == []


@pytest.mark.skipif(not HAVE_AMOS, reason="sim.amos not in this checkout")
def test_amos_relu_equals_fs_relu(nets, split):
    tr = nets[("mlp", "relu")]
    ops = extract(tr.net)
    alphas = _alphas(tr, split)
    a = IntSNN(ops, amos_unit("relu", 10, 8), alphas).forward(split.x_test)
    f = IntSNN(ops, fs_unit("relu", 10, 8), alphas).forward(split.x_test)
    assert np.array_equal(a.logits, f.logits)
    assert all(np.array_equal(x, y) for x, y in zip(a.spikes, f.spikes))


@pytest.mark.skipif(not HAVE_TSC, reason="sim.tsc not in this checkout")
def test_tsc_unroll_and_network(nets, split):
    from net.tscnet import TSCNet, segments, unroll
    tr = nets[("cnn", "relu")]
    ops = extract(tr.net)
    x = split.to_float(split.x_test[:5])
    # the unrolled affine maps reproduce the ANN layer by layer
    shape, h = (64,), torch.tensor(x, dtype=torch.float64)
    for seg_ops, act in segments(ops):
        A, c, shape = unroll(seg_ops, shape)
        flat = h.reshape(len(h), -1).numpy()
        for op in seg_ops:
            from net.graph import apply_linear
            h = apply_linear(op, h)
        assert np.allclose(flat @ A.T + c, h.reshape(len(h), -1).numpy())
        if act is not None:
            h = torch.relu(h)
    net = TSCNet(extract(nets[("mlp", "relu")].net), 16, split.to_float(split.x_train[:100]))
    r = net.forward(split.to_float(split.x_test[:40]))
    counts = r.spikes_per_neuron()
    assert counts.max() <= 2                      # at most one pos and one neg per frame
    assert r.input_spikes.max() <= 2
    ri = TSCNet(extract(nets[("mlp", "relu")].net), 16, split.to_float(split.x_train[:100]),
                weight_bits=8).forward(split.to_float(split.x_test[:40]))
    assert ri.logits.dtype == np.int64


@pytest.mark.skipif(not HAVE_TSC, reason="sim.tsc not in this checkout")
def test_tsc_on_time_collapses_below_threshold():
    # the cause of the TSC results in docs/network.md: an input always on with weight 1 and
    # theta = 2 integrates N-1 over the frame, but the neuron crosses the threshold only every
    # other step, so its on-time (pos to neg) is one step
    from sim.tsc import tsc_durations, tsc_encode, tsc_int
    N = 16
    pos, neg = tsc_encode(np.ones(1), N)
    op, on = tsc_int([[1]], 2, pos, neg)
    assert np.flatnonzero(op[:, 0]).tolist() == [1] and np.flatnonzero(on[:, 0]).tolist() == [2]
    assert tsc_durations(op, on).tolist() == [1]
    # with theta = 1 it fires on every step the input is on: on-time N-1, the value
    op, on = tsc_int([[1]], 1, pos, neg)
    assert tsc_durations(op, on).tolist() == [N - 1]
