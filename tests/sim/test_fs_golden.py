"""The FS-neuron golden models (sim.fs) against the published figures and each other."""

import numpy as np
import pytest

from clirun import REFERENCE
from quant.activations import mse_by_region
from quant.fixed import QFormat
from quant.params import load_published
from sim.fs import fs_float, fs_int, fs_int_bounds, fs_torch, popcount, relu_schedule


def published(name):
    return load_published(REFERENCE / f"{name}.json")


def test_published_silu_mse():
    _, K, interval, T, h, d = published("silu_K16")
    mse = mse_by_region(lambda x: fs_float(x, T, h, d)[0], "silu", interval)
    assert mse["[-2,2]"] == pytest.approx(0.002394, abs=5e-7)
    assert mse["[-8,-2]U[2,12]"] == pytest.approx(0.003708, abs=2e-6)
    assert mse["[-8,12]"] == pytest.approx(0.003445, abs=1e-6)


def test_published_sigmoid_mse():
    _, K, interval, T, h, d = published("sigmoid_K12")
    mse = mse_by_region(lambda x: fs_float(x, T, h, d)[0], "sigmoid", interval)
    assert mse["[-10,10]"] == pytest.approx(1.438e-4, rel=1e-3)


def test_published_silu_mean_spikes():
    _, K, interval, T, h, d = published("silu_K16")
    x = np.random.default_rng(0).normal(-0.112, np.sqrt(1.99), 400_000)
    assert fs_float(x, T, h, d)[1].mean() == pytest.approx(2.27, abs=0.01)


def test_threshold_is_inclusive():
    # v == T spikes (Theta(0) = 1); the published code's strict '>' would not
    out, count = fs_float([1.0, 0.999], [1.0], [1.0], [1.0])
    assert list(count) == [1, 0]
    value, spikes = fs_int([4, 3], [4], [4], [1])
    assert list(value) == [1, 0] and list(spikes) == [1, 0]


@pytest.mark.parametrize("K", [1, 4, 10, 16])
def test_relu_schedule_is_exact_relu(K):
    T, h, d = relu_schedule(K)
    x = np.arange(-(1 << (K + 1)), 1 << (K + 1))
    value, spikes = fs_int(x, T, h, d)
    assert np.array_equal(value, np.clip(x, 0, (1 << K) - 1))
    # the spikes are the binary digits of x, most significant first (bit t-1 = z(t))
    inside = (x >= 0) & (x < (1 << K))
    rev = [int(f"{int(s):0{K}b}"[::-1], 2) for s in spikes[inside]]
    assert rev == list(x[inside])


@pytest.mark.parametrize("Q,F", [(8, 4), (8, 6), (4, 0), (12, 8), (16, 12), (3, 1)])
def test_int_model_equals_float_model_on_grid(Q, F):
    rng = np.random.default_rng(Q * 100 + F)
    q = QFormat(Q)
    K = 16
    codes = [rng.integers(q.code_min, q.code_max + 1, K) for _ in range(3)]
    T_int, h_int = q.to_hw(codes[0], F), q.to_hw(codes[1], F)
    d_code = [int(c) for c in codes[2]]
    x_int = rng.integers(-(12 << F), 12 << F, 20_000)
    value, spikes = fs_int(x_int, T_int, h_int, d_code)
    out, train = fs_float(x_int * 2.0 ** -F, q.value(codes[0]), q.value(codes[1]),
                          q.value(codes[2]), spike_train=True)
    assert np.array_equal(value * q.lsb, out)
    bits = (train * (1 << np.arange(K))).sum(-1)
    assert np.array_equal(spikes, bits)
    assert np.array_equal(popcount(spikes), train.sum(-1))


def test_int_model_exact_beyond_64_bits():
    big = 1 << 80
    value, spikes = fs_int(np.array([big + 5, big - 1, -big], dtype=object),
                           [big, 4], [big, -(1 << 70)], [1 << 70, 3])
    assert list(value) == [(1 << 70) + 3, 3, 0]
    assert list(spikes) == [3, 2, 0]


def test_int_model_k_over_62():
    K = 70
    T = [1] * K
    value, spikes = fs_int(np.array([5, 0]), T, [1] * K, [1] * K)
    assert list(value) == [5, 0]
    assert int(spikes[0]) == 0b11111


def test_int_bounds_hold():
    rng = np.random.default_rng(3)
    T, h, d = ([int(v) for v in rng.integers(-50, 50, 12)] for _ in range(3))
    x = np.arange(-300, 300)
    b = fs_int_bounds(-300, 299, T, h, d)
    value, _ = fs_int(x, T, h, d)
    assert b["out"][0] <= value.min() and value.max() <= b["out"][1]
    v = x.astype(np.int64).copy()
    for t in range(12):
        z = v >= T[t]
        v = v - h[t] * z
        assert b["v"][0] <= v.min() and v.max() <= b["v"][1]


def test_torch_model_matches_numpy():
    torch = pytest.importorskip("torch")
    _, K, interval, T, h, d = published("silu_K16")
    x = np.linspace(-8, 12, 5001)
    out_np, count_np = fs_float(x, T, h, d)
    out_t, count_t = fs_torch(torch.tensor(x), torch.tensor(T), torch.tensor(h), torch.tensor(d))
    assert np.allclose(out_t.numpy(), out_np, atol=1e-12)
    assert np.array_equal(count_t.numpy(), count_np)


def test_param_errors():
    with pytest.raises(ValueError, match="same length"):
        fs_int([1], [1, 2], [1], [1])
    with pytest.raises(TypeError, match="integers"):
        fs_int([1.5], [1], [1], [1])
    with pytest.raises(TypeError, match="T must hold integers"):
        fs_int([1], [1.5], [1], [1])
