"""ANN to TSC conversion helpers (net.tscconvert): threshold balancing, integer thresholds."""

import numpy as np
import pytest

from net.tscconvert import (DEFAULT_ALPHA, balance_network, balance_threshold, max_current,
                            max_drive, threshold_int)
from sim.tsc import tsc_durations, tsc_encode, tsc_float


def test_balance_threshold():
    assert DEFAULT_ALPHA == 0.8
    assert balance_threshold([1.0, 5.0, -2.0]) == pytest.approx(4.0)
    assert balance_threshold([[2.0]], alpha=0.5) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="largest input"):
        balance_threshold([-1.0, 0.0])
    with pytest.raises(ValueError, match="alpha"):
        balance_threshold([1.0], alpha=0)


def test_max_current_is_the_recorded_peak():
    rng = np.random.default_rng(2)
    w = rng.normal(0, 1, (4, 9))
    pos, neg = tsc_encode(rng.uniform(-1, 1, (6, 9)), 12)
    rec = tsc_float(w, 1.0, pos, neg, record=True)[2]
    assert max_current(w, pos, neg) == pytest.approx(rec["current"].max())
    # frames restart the current
    T = pos.shape[1]
    cat_p = np.concatenate(list(pos), axis=0)
    cat_n = np.concatenate(list(neg), axis=0)
    first = np.arange(6 * T) % T == 0
    assert max_current(w, cat_p, cat_n, first) == pytest.approx(rec["current"].max())


def test_balance_network_layer_by_layer():
    rng = np.random.default_rng(3)
    w1, w2 = rng.normal(0, 0.5, (6, 10)), rng.normal(0, 0.5, (3, 6))
    pos, neg = tsc_encode(rng.uniform(0, 1, (20, 10)), 16)
    t1, t2 = balance_network([w1, w2], pos, neg)
    assert t1 == pytest.approx(0.8 * max_current(w1, pos, neg))
    p1, n1 = tsc_float(w1, t1, pos, neg)
    assert t2 == pytest.approx(0.8 * max_current(w2, p1, n1))


def test_threshold_int():
    assert threshold_int(0.75, 7) == 96
    assert threshold_int(1e-6, 4) == 1
    with pytest.raises(ValueError):
        threshold_int(-1.0, 4)
    with pytest.raises(TypeError):
        threshold_int(1.0, 2.5)


def test_max_drive_is_the_largest_frame_input_per_step():
    rng = np.random.default_rng(4)
    w = rng.normal(0, 1, (5, 7))
    pos, neg = tsc_encode(rng.uniform(0, 1, (9, 7)), 10)
    V = tsc_durations(pos, neg) @ w.T
    assert max_drive(w, pos, neg) == pytest.approx(V.max() / 9)
    with pytest.raises(ValueError, match="at least 2 steps"):
        max_drive(w, pos[:, :1], neg[:, :1])
