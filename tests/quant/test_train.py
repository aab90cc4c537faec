"""The FS front end (quant.train): a tiny two-stage training gives a valid, honestly recorded
set; the analytic ReLU set; the figures of a set against independent computations."""

import math

import numpy as np
import pytest

from quant.activations import get_activation
from quant.params import FSParamSet
from quant.report import published_baseline
from quant.train import grid_mse, mean_spikes, relu_fs, train_fs
from sim.fs import fs_float

SILU = get_activation("silu")


def dense_mse(pset, lo, hi, n=100_000):
    """The MSE on [lo, hi], a uniform grid of n points: an independent statement of one region
    of the made_by record."""
    x = np.linspace(lo, hi, n)
    return float(np.mean((fs_float(x, *pset.values())[0] - SILU(x)) ** 2))


def test_train_fs_writes_a_valid_set():
    pytest.importorskip("torch")
    from quant.stages import Budget

    budget = Budget(steps=40, restarts=2, qat_steps=20, qat_restarts=2, kicks=1,
                    search_iters=10, n_train=300, n_eval=600)
    pset = train_fs("silu", 4, 8, show_progress=False, budget=budget,
                    command="python -m quant train --act silu --K 4 --Q 8")
    assert isinstance(pset, FSParamSet) and pset.Q == 8 and pset.K == 4
    assert pset.interval == (-8.0, 12.0)
    assert list(pset.made_by) == ["command", "seed", "mse"]
    assert pset.made_by["command"] == "python -m quant train --act silu --K 4 --Q 8"
    mse = pset.made_by["mse"]
    assert list(mse) == ["[-2,2]", "[-8,-2]U[2,12]", "[-8,12]"]
    assert mse["[-2,2]"] == pytest.approx(dense_mse(pset, -2, 2), rel=1e-5)
    assert mse["[-8,12]"] == pytest.approx(dense_mse(pset, -8, 12), rel=1e-5)
    # the float stage of this process is reused by a second Q (the cache changes no result)
    again = train_fs("silu", 4, 8, show_progress=False, budget=budget)
    assert again == pset
    with pytest.raises(ValueError, match="relu is analytic"):
        train_fs("relu", 4)
    with pytest.raises(ValueError, match="K must be between 1 and 64, not 65"):
        train_fs("silu", 65)
    with pytest.raises(ValueError, match=r"interval must have finite lo < hi, not \[3, 1\]"):
        train_fs("silu", 4, interval=(3, 1))


@pytest.mark.parametrize("K,alpha", [(10, 16.0), (6, 3.0), (1, 2.0)])
def test_relu_is_analytic_and_exact(K, alpha):
    pset = relu_fs(K, alpha)
    assert pset.activation == "relu" and pset.interval == (0.0, alpha)
    sched = [alpha * 2.0 ** -t for t in range(1, K + 1)]
    assert list(pset.T) == list(pset.h) == list(pset.d) == sched
    quantum = alpha * 2.0 ** -K
    x = np.arange(-5, 2 ** K + 5) * quantum
    out, _ = fs_float(x, *pset.values())
    assert np.array_equal(out, np.clip(x, 0, alpha - quantum))


def test_relu_codes_and_errors():
    pset = relu_fs(6, alpha=4.0, Q=8)
    assert pset.Q == 8 and list(pset.T) == [32, 16, 8, 4, 2, 1]
    with pytest.raises(ValueError, match="not exactly representable in Q=8"):
        relu_fs(10, alpha=16.0, Q=8)
    with pytest.raises(ValueError, match=r"alpha=25 puts T\(1\) = alpha/2 = 12.5 outside"):
        relu_fs(10, alpha=25.0)
    with pytest.raises(ValueError, match="must be positive"):
        relu_fs(10, alpha=0.0)


def test_grid_mse_is_the_integer_model_on_every_input():
    rng = np.random.default_rng(0)
    codes = [tuple(int(c) for c in rng.integers(-60, 60, 6)) for _ in range(3)]
    pset = FSParamSet("silu", 6, (-8.0, 12.0), *codes, Q=8)
    # x = n/16, n = -128 .. 191, through the float model at the codes' values
    x = np.arange(-8 * 16, 12 * 16) / 16
    want = np.mean((fs_float(x, *pset.values())[0] - SILU(x)) ** 2)
    assert grid_mse(pset) == float(f"{want:.6g}")
    x6 = np.arange(-8 * 64, 12 * 64) / 64
    assert grid_mse(pset, F=6) == pytest.approx(
        np.mean((fs_float(x6, *pset.values())[0] - SILU(x6)) ** 2), rel=1e-5)
    with pytest.raises(ValueError, match="needs a Q-bit set"):
        grid_mse(FSParamSet("silu", 1, (-1.0, 1.0), (0.0,), (0.0,), (0.0,)))
    with pytest.raises(ValueError, match="F=3 is too small for Q=8"):
        grid_mse(pset, F=3)


def test_mean_spikes_quadrature():
    pset = FSParamSet("silu", 1, (-8.0, 12.0), (0.0,), (1.0,), (1.0,))
    # one spike exactly when x >= 0: P(N(-0.112, 1.99) >= 0)
    expected = 0.5 * math.erfc(0.112 / math.sqrt(2 * 1.99))
    assert mean_spikes(pset) == pytest.approx(expected, abs=1e-5)
    # the published figure (quant/published/README.md)
    assert mean_spikes(published_baseline("silu", 16)) == pytest.approx(2.27, abs=0.005)
