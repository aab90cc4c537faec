"""The AMOS golden models (sim.amos): ReLU exactness, the FS special case, float == int on
grid-aligned inputs, torch == numpy, and the integer bounds the hardware widths come from."""

import itertools

import numpy as np
import pytest
import torch

from clirun import REFERENCE
from quant.fixed import QFormat
from quant.params import load_published
from sim.amos import (amos_float, amos_int, amos_int_bounds, amos_torch, codes_to_int,
                      from_fs, relu_params)
from sim.fs import fs_float, fs_int


def random_codes(rng, q, K, two_input=False):
    c, T, d = (rng.integers(q.code_min, q.code_max + 1, K) for _ in range(3))
    h = np.tril(rng.integers(q.code_min, q.code_max + 1, (K, K)), -1)
    c2 = rng.integers(q.code_min, q.code_max + 1, K) if two_input else None
    return c, T, h, d, c2


def test_threshold_is_inclusive():
    # acc == 0 fires (Theta(0) = 1)
    out, count = amos_float([1.0, 0.999], [1.0], [1.0], [[0.0]], [2.0])
    assert list(out) == [2.0, 0.0] and list(count) == [1, 0]
    value, spikes = amos_int([4, 3], [1], [4], [[0]], [1])
    assert list(value) == [1, 0] and list(spikes) == [1, 0]


@pytest.mark.parametrize("K", [1, 4, 10, 16])
def test_relu_is_exact(K):
    c, T, h, d = relu_params(K)
    x = np.arange(-(1 << (K + 1)), 1 << (K + 1))
    value, spikes = amos_int(x, c, T, h, d)
    clamped = np.clip(x, 0, (1 << K) - 1)
    assert np.array_equal(value, clamped)
    # the closed form: d_K * clamp(floor(c x / T_K), 0, 2^K - 1)
    assert np.array_equal(value, d[-1] * np.clip((c[-1] * x) // T[-1], 0, (1 << K) - 1))
    # spikes are the binary digits, gate i = weight 2^(K-i): bit-reversed value
    rev = [int(f"{int(s):0{K}b}"[::-1], 2) for s in spikes]
    assert rev == list(clamped)


def test_relu_params_reject_bad_K():
    with pytest.raises(ValueError, match="K must be a positive integer, not 0"):
        relu_params(0)


@pytest.mark.parametrize("name", ["silu_K16", "sigmoid_K12"])
def test_fs_neuron_is_the_special_case(name):
    _, K, interval, T, h, d = load_published(REFERENCE / f"{name}.json")
    x = np.linspace(*interval, 20001)
    c, Ta, H, da = from_fs(T, h, d)
    a_out, a_count = amos_float(x, c, Ta, H, da)
    f_out, f_count = fs_float(x, T, h, d)
    assert np.allclose(a_out, f_out, atol=1e-12) and np.array_equal(a_count, f_count)


@pytest.mark.parametrize("Q,F", [(8, 4), (6, 3), (12, 8)])
def test_fs_special_case_in_integers(Q, F):
    rng = np.random.default_rng(Q)
    q = QFormat(Q)
    T, h, d = (rng.integers(q.code_min, q.code_max + 1, 12) for _ in range(3))
    x = np.arange(-(12 << F), 12 << F)
    c_a, T_a, H_a, d_a = from_fs(T, h, d, one=1 << (Q - 4))
    a = amos_int(x, *codes_to_int(c_a, T_a, H_a, d_a, F)[:4])
    f = fs_int(x, q.to_hw(T, F), q.to_hw(h, F), d)
    assert np.array_equal(a[0], f[0]) and np.array_equal(a[1], f[1])


@pytest.mark.parametrize("Q,F,two", [(8, 4, False), (8, 0, False), (4, 2, False),
                                     (12, 10, False), (16, 3, False), (8, 4, True),
                                     (10, 7, True)])
def test_int_model_equals_float_model_on_grid(Q, F, two):
    rng = np.random.default_rng(Q * 100 + F + two)
    q = QFormat(Q)
    K = 10
    c, T, h, d, c2 = random_codes(rng, q, K, two)
    ci, Ti, hi, di, c2i = codes_to_int(c, T, h, d, F, c2=c2)
    x = rng.integers(-(9 << F), 9 << F, 20000)
    y = rng.integers(-(9 << F), 9 << F, 20000) if two else None
    value, spikes = amos_int(x, ci, Ti, hi, di, y=y, c2=c2i)
    out, train = amos_float(x * 2.0 ** -F, q.value(c), q.value(T), q.value(h), q.value(d),
                            y=None if y is None else y * 2.0 ** -F,
                            c2=None if c2 is None else q.value(c2), spike_train=True)
    assert np.array_equal(value * q.lsb, out)
    assert np.array_equal(spikes, (train * (1 << np.arange(K))).sum(-1))


def test_torch_equals_numpy():
    rng = np.random.default_rng(3)
    K = 9
    c, T, d, c2 = (rng.uniform(-3, 3, K) for _ in range(4))
    h = rng.uniform(-3, 3, (K, K))     # upper triangle is ignored by both
    x, y = rng.uniform(-4, 4, 5000), rng.uniform(-4, 4, 5000)
    for two in (False, True):
        kw = dict(y=y, c2=c2) if two else {}
        out, count = amos_float(x, c, T, h, d, **kw)
        tkw = {k: torch.tensor(v) for k, v in kw.items()}
        t_out, t_count = amos_torch(torch.tensor(x), *(torch.tensor(v) for v in (c, T, h, d)),
                                    **tkw)
        assert np.allclose(t_out.numpy(), out, atol=1e-12)
        assert np.array_equal(t_count.numpy(), count)


def test_upper_triangle_is_ignored():
    rng = np.random.default_rng(5)
    K = 6
    c, T, d = (rng.integers(-50, 50, K) for _ in range(3))
    h = rng.integers(-50, 50, (K, K))
    x = np.arange(-300, 300)
    assert all(np.array_equal(a, b) for a, b in zip(amos_int(x, c, T, h, d),
                                                    amos_int(x, c, T, np.tril(h, -1), d)))


def brute_accumulators(x, c, T, h, d, y=None, c2=None):
    """Every partial accumulator and output value the pipeline holds, for one input."""
    K = len(c)
    acc = [c[i] * x - T[i] + (c2[i] * y if c2 is not None else 0) for i in range(K)]
    seen = [[a] for a in acc]
    value, values = 0, [0]
    for j in range(K):
        z = acc[j] >= 0
        value += d[j] * z
        values.append(value)
        for i in range(j + 1, K):
            acc[i] -= h[i][j] * z
            seen[i].append(acc[i])
    return seen, values


@pytest.mark.parametrize("seed", range(4))
def test_bounds_hold_every_reachable_value(seed):
    rng = np.random.default_rng(seed)
    K, W = 6, 6
    c, T, d = (list(map(int, rng.integers(-40, 40, K))) for _ in range(3))
    h = np.tril(rng.integers(-200, 200, (K, K)), -1).tolist()
    c2 = list(map(int, rng.integers(-40, 40, K))) if seed % 2 else None
    lo, hi = -(1 << (W - 1)), (1 << (W - 1)) - 1
    b = amos_int_bounds((lo, hi), c, T, h, d, c2=c2, y_range=(lo, hi) if c2 else None)
    ys = range(lo, hi + 1) if c2 else [None]
    for x, y in itertools.product(range(lo, hi + 1), ys):
        seen, values = brute_accumulators(x, c, T, h, d, y, c2)
        for i in range(K):
            assert all(b["acc"][i][0] <= a <= b["acc"][i][1] for a in seen[i])
            assert b["prod_x"][i][0] <= c[i] * x <= b["prod_x"][i][1]
        assert all(b["out"][0] <= v <= b["out"][1] for v in values)


def test_bounds_are_reached():
    # gate 3's accumulator: c x - T - h31 z1 - h32 z2 with h >= 0 is lowest at the smallest x
    # with both earlier gates firing; make them fire there (negative thresholds)
    c, T, d = [1, 1, 1], [-100, -100, 0], [3, -5, 7]
    h = [[0, 0, 0], [4, 0, 0], [6, 9, 0]]
    b = amos_int_bounds((-8, 7), c, T, h, d)
    seen, _ = brute_accumulators(-8, c, T, h, d)
    assert min(seen[2]) == b["acc"][2][0] == -8 - 0 - 15
    assert b["out"] == (-5, 10)


def test_exact_beyond_64_bits():
    big = 1 << 80
    x = np.array([big, big - 1, -big], dtype=object)
    value, spikes = amos_int(x, [1, 1], [big, 0], [[0, 0], [1 << 90, 0]], [1 << 70, 3])
    assert list(value) == [1 << 70, 3, 0]
    assert list(spikes) == [1, 2, 0]


def test_bad_arguments():
    with pytest.raises(ValueError, match="h must be a 2 x 2 matrix"):
        amos_int([1], [1, 1], [0, 0], [[0, 0]], [1, 1])
    with pytest.raises(ValueError, match="same length K"):
        amos_float([1.0], [1, 1], [0], np.zeros((2, 2)), [1, 1])
    with pytest.raises(TypeError, match="T must hold integers, not 0.5"):
        amos_int([1], [1], [0.5], [[0]], [1])
    with pytest.raises(TypeError, match="x must be integers"):
        amos_int([1.5], [1], [0], [[0]], [1])
    with pytest.raises(ValueError, match="needs both y and c2"):
        amos_int([1], [1], [0], [[0]], [1], y=[1])
    with pytest.raises(ValueError, match="F must be an integer >= 0, not -1"):
        codes_to_int([1], [0], [[0]], [1], -1)
