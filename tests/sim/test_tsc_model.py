"""The TSC golden models (sim.tsc): encoders, the exact event-driven stream-mode layer, the float
model, widths.

The exact layer is checked against a literal transcription of the stream neuron's per-step rules
(plain Python integers, one neuron at a time), so the model and its checker do not share code.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.tsc import (TSCLayer, poisson_encode, step_events, tsc_decode, tsc_durations,
                     tsc_encode, tsc_float, tsc_int, tsc_int_bounds, ttfs_encode, wrap)


def literal_layer(weights, theta, pos, neg, first):
    """The stream neuron, word for word: per neuron, per step."""
    L, M = len(weights), len(weights[0])
    I, V, firing, done = [0] * L, [0] * L, [0] * L, [0] * L
    out_pos, out_neg = [], []
    for t in range(len(pos)):
        if first[t]:
            I, V, firing, done = [0] * L, [0] * L, [0] * L, [0] * L
        ps, ns = [0] * L, [0] * L
        for l in range(L):
            I[l] += sum(weights[l][m] * (int(pos[t][m]) - int(neg[t][m])) for m in range(M))
            V[l] += I[l]
            s = V[l] >= theta[l]
            if s:
                V[l] -= theta[l]
            if not done[l] and not firing[l] and s:
                ps[l], firing[l] = 1, 1
            elif firing[l] and not s:
                ns[l], firing[l], done[l] = 1, 0, 1
        out_pos.append(ps)
        out_neg.append(ns)
    return np.array(out_pos, dtype=bool), np.array(out_neg, dtype=bool)


# ---------------------------------------------------------------------------------- encoders


def test_tsc_encode_definition():
    # p* = floor(|p| (N-1)) + 1; spikes at t = 1 and t = p* (1-based) when p* >= 2
    pos, neg = tsc_encode([0.5, -1.0, 0.0, 0.3, 1.0, 0.2], 5)
    assert pos.shape == (5, 6)
    cols = {m: (list(np.flatnonzero(pos[:, m]) + 1), list(np.flatnonzero(neg[:, m]) + 1))
            for m in range(6)}
    assert cols[0] == ([1], [3])          # p* = floor(2) + 1 = 3
    assert cols[1] == ([5], [1])          # negative: neg first, pos at p* = N
    assert cols[2] == ([], [])            # p* = 1: no spikes
    assert cols[3] == ([1], [2])          # floor(1.2) + 1 = 2
    assert cols[4] == ([1], [5])
    assert cols[5] == ([], [])            # floor(0.8) + 1 = 1


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-1, 1), min_size=1, max_size=12), st.integers(1, 40))
def test_tsc_encode_properties(values, N):
    p = np.array(values)
    pos, neg = tsc_encode(p, N)
    assert pos.shape == neg.shape == (N, len(values))
    gap = np.floor(np.abs(p) * (N - 1)).astype(int)
    for m, v in enumerate(values):
        spikes = pos[:, m].sum() + neg[:, m].sum()
        assert spikes == (2 if gap[m] >= 1 else 0)
        if gap[m] >= 1:
            lead, trail = (pos, neg) if v > 0 else (neg, pos)
            assert lead[0, m] and trail[gap[m], m]
    # the gap is the value: durations give floor(|p| (N-1)) sgn(p)
    assert np.array_equal(tsc_durations(pos, neg), gap * np.sign(p).astype(int))


def test_tsc_encode_batch_and_scalar():
    x = np.random.default_rng(0).uniform(-1, 1, (3, 7))
    pos, neg = tsc_encode(x, 9)
    assert pos.shape == (3, 9, 7)
    for b in range(3):
        pb, nb = tsc_encode(x[b], 9)
        assert np.array_equal(pos[b], pb) and np.array_equal(neg[b], nb)
    p1, n1 = tsc_encode(0.75, 5)
    assert p1.shape == (5,) and list(np.flatnonzero(p1)) == [0] and list(np.flatnonzero(n1)) == [3]


def test_tsc_decode_round_trip():
    x = np.linspace(-1, 1, 41)
    pos, neg = tsc_encode(x, 11)
    assert np.allclose(tsc_decode(pos, neg), np.sign(x) * np.floor(np.abs(x) * 10) / 10)
    assert np.abs(tsc_decode(pos, neg) - x).max() < 0.1 + 1e-12


@pytest.mark.parametrize("bad,match", [([1.5], r"\[-1, 1\]"), ([np.nan], "finite"),
                                       (["a"], "real numbers")])
def test_encoders_reject_bad_values(bad, match):
    for enc in (tsc_encode, ttfs_encode, poisson_encode):
        with pytest.raises((ValueError, TypeError), match=match):
            enc(np.array(bad), 8)


@pytest.mark.parametrize("N", [0, -3, 2.5, True])
def test_encoders_reject_bad_steps(N):
    with pytest.raises(ValueError, match="N must be a positive integer"):
        tsc_encode([0.5], N)


def test_ttfs_encode():
    pos, neg = ttfs_encode([1.0, 0.5, -0.5, 0.05, 0.0], 5)
    assert list(np.flatnonzero(pos[:, 0]) + 1) == [1]       # k = 4: t = N - k = 1
    assert list(np.flatnonzero(pos[:, 1]) + 1) == [3]       # k = 2: t = 3
    assert list(np.flatnonzero(neg[:, 2]) + 1) == [3]
    assert not pos[:, 3].any() and not neg[:, 3].any()      # k = 0: no spike
    assert not pos[:, 4].any() and not neg[:, 4].any()
    assert pos.sum() + neg.sum() == 3


def test_poisson_encode_rate_and_seed():
    p = np.array([0.1, 0.5, -0.8, 0.0])
    pos, neg = poisson_encode(p, 20000, rng=3)
    rate = (pos.astype(int) - neg.astype(int)).mean(axis=0)
    assert np.allclose(rate, p, atol=0.015)
    again = poisson_encode(p, 20000, rng=3)
    assert np.array_equal(again[0], pos) and np.array_equal(again[1], neg)
    assert not (pos & neg).any()


# ------------------------------------------------------------------------------ exact layer


@st.composite
def layer_case(draw):
    M = draw(st.integers(1, 7))
    L = draw(st.integers(1, 4))
    T = draw(st.integers(1, 25))
    wmax = draw(st.sampled_from([1, 8, 128, 1 << 20]))
    w = draw(st.lists(st.lists(st.integers(-wmax, wmax), min_size=M, max_size=M),
                      min_size=L, max_size=L))
    theta = draw(st.lists(st.integers(1, 4 * wmax), min_size=L, max_size=L))
    bits = st.lists(st.lists(st.booleans(), min_size=M, max_size=M), min_size=T, max_size=T)
    pos, neg = draw(bits), draw(bits)
    first = draw(st.lists(st.booleans(), min_size=T, max_size=T))
    return w, theta, np.array(pos, dtype=bool), np.array(neg, dtype=bool), first


@settings(max_examples=300, deadline=None)
@given(layer_case())
def test_exact_layer_matches_literal_rules(case):
    w, theta, pos, neg, first = case
    want = literal_layer(w, theta, pos, neg, first)
    got = tsc_int(w, theta, pos, neg, first)
    assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
    # the float model follows the same rules (exact on these integers)
    fl = tsc_float(np.array(w, dtype=float), np.array(theta, dtype=float), pos, neg, first)
    assert np.array_equal(fl[0], want[0]) and np.array_equal(fl[1], want[1])


def test_literal_checker_catches_a_wrong_model():
    # a model with a hard reset (V = 0) instead of the soft reset differs on this input
    w, theta = [[3]], [2]
    pos = np.array([[1], [0], [0]], dtype=bool)
    neg = np.zeros_like(pos)
    want = literal_layer(w, theta, pos, neg, [1, 0, 0])
    assert want[0][0, 0] and not want[1].any()       # V: 3-2=1, 1+3-2=2, 2+3-2=3: fires on
    hard = literal_layer(w, [4], pos, neg, [1, 0, 0])
    assert not np.array_equal(hard[0], want[0])


@settings(max_examples=100, deadline=None)
@given(layer_case())
def test_at_most_one_pos_and_one_neg_per_frame(case):
    w, theta, pos, neg, first = case
    out_pos, out_neg = tsc_int(w, theta, pos, neg, first)
    frame = np.cumsum(np.asarray(first, dtype=int))
    for f in np.unique(frame):
        steps = frame == f
        assert out_pos[steps].sum(axis=0).max() <= 1
        assert out_neg[steps].sum(axis=0).max() <= 1
        # a neg always follows its pos
        for l in range(out_pos.shape[1]):
            tp, tn = np.flatnonzero(out_pos[steps, l]), np.flatnonzero(out_neg[steps, l])
            if tn.size:
                assert tp.size and tp[0] < tn[0]


def test_events_reads_and_both_set():
    w = [[5, -7, 11]]
    layer = TSCLayer(w, 100)
    # input 1 has pos and neg: it adds w - w = 0 and is no event
    p, n = layer.step([1, 1, 0], [0, 1, 1], first=True)
    assert layer.reads == 2 and layer.current[0] == 5 - 11
    assert step_events([[1, 1, 0]], [[0, 1, 1]])[0] == 2
    idx, sgn = layer.step_events([0, 2], [1, 1])
    assert layer.reads == 4 and layer.current[0] == -6 + 16


def test_tsc_input_costs_at_most_two_reads_per_synapse_per_frame():
    rng = np.random.default_rng(4)
    w = rng.integers(-128, 128, (6, 20))
    layer = TSCLayer(w, 200)
    for _ in range(5):
        x = rng.uniform(-1, 1, 20)
        pos, neg = tsc_encode(x, 16)
        before = layer.reads
        layer.run(pos, neg)
        gap = np.floor(np.abs(x) * 15)
        assert layer.reads - before == 2 * int((gap >= 1).sum()) <= 2 * 20


def test_step_events_chain_layers():
    rng = np.random.default_rng(1)
    w1, w2 = rng.integers(-50, 50, (8, 10)), rng.integers(-50, 50, (3, 8))
    pos, neg = tsc_encode(rng.uniform(0, 1, 10), 24)
    a, b = TSCLayer(w1, 60), TSCLayer(w2, 40)
    outs = []
    for t in range(24):
        idx = np.flatnonzero(pos[t] ^ neg[t])
        i1, s1 = a.step_events(idx, np.where(pos[t, idx], 1, -1), first=t == 0)
        outs.append(b.step_events(i1, s1, first=t == 0))
    p1, n1 = tsc_int(w1, 60, pos, neg)
    p2, n2 = tsc_int(w2, 40, p1, n1)
    for t, (i2, s2) in enumerate(outs):
        assert list(i2[s2 > 0]) == list(np.flatnonzero(p2[t]))
        assert list(i2[s2 < 0]) == list(np.flatnonzero(n2[t]))


def test_layer_state_carries_over_without_first():
    w = [[2, -1]]
    pos = np.array([[1, 0], [0, 0], [0, 1], [0, 0]], dtype=bool)
    neg = np.zeros_like(pos)
    whole = tsc_int(w, 3, pos, neg)
    layer = TSCLayer(w, 3)
    a = layer.run(pos[:2], neg[:2])
    b = layer.run(pos[2:], neg[2:], first=[False, False])
    assert np.array_equal(np.concatenate([a[0], b[0]]), whole[0])


def test_big_integers_stay_exact():
    # currents past 2**62 switch to Python integers
    w = [[(1 << 40) - 1, -(1 << 40)]]
    T = 3000
    pos = np.zeros((T, 2), dtype=bool)
    pos[:, 0] = True
    layer = TSCLayer(w, (1 << 61))
    layer.run(pos, np.zeros_like(pos))
    I = T * ((1 << 40) - 1)
    assert int(layer.current[0]) == I
    assert isinstance(layer.current[0], int) and int(layer.current[0]) > (1 << 51)


@pytest.mark.parametrize("kwargs,match", [
    ({"weights": [[1, 2]], "threshold": 0}, "thresholds must be >= 1"),
    ({"weights": [[1, 2]], "threshold": [1, 2]}, "one value or one per neuron"),
    ({"weights": [1, 2], "threshold": 1}, "L x M matrix"),
    ({"weights": [[1.5, 2]], "threshold": 1}, "must be integers"),
    ({"weights": [[1, 2]], "threshold": 1, "membrane_width": 1}, "membrane_width"),
    ({"weights": [[1, 2]], "threshold": 9, "membrane_width": 4}, "does not fit"),
    ({"weights": [[1, 2]], "threshold": 1, "current_width": 8, "membrane_width": 6},
     "exceeds"),
])
def test_layer_parameter_checks(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        TSCLayer(**kwargs)


def test_step_input_checks():
    layer = TSCLayer([[1, 2, 3]], 1)
    with pytest.raises(ValueError, match="3 bits"):
        layer.step([1, 0], [0, 0])
    with pytest.raises(ValueError, match="out of range"):
        layer.step_events([3], [1])
    with pytest.raises(ValueError, match=r"\+1 or -1"):
        layer.step_events([0], [2])
    with pytest.raises(ValueError, match="0/1 spikes"):
        layer.step([2, 0, 0], [0, 0, 0])


# ----------------------------------------------------------------------------- widths, wrap


def test_wrap():
    assert [wrap(v, 4) for v in (-9, -8, 7, 8, 15, 16, -1)] == [7, -8, 7, -8, -1, 0, -1]


@settings(max_examples=150, deadline=None)
@given(layer_case(), st.integers(1, 30))
def test_bounds_hold_for_any_spikes(case, steps):
    w, theta, pos, neg, _ = case
    T = min(steps, pos.shape[0])
    b = tsc_int_bounds(w, theta, steps)
    layer = TSCLayer(w, theta)
    for t in range(T):
        v_before = layer.membrane.copy() if t else np.zeros(len(w), dtype=np.int64)
        layer.step(pos[t], neg[t], first=t == 0)
        assert b["current"][0] <= layer.current.min() and layer.current.max() <= b["current"][1]
        u = v_before + layer.current            # the sum before the reset
        for v in (u, layer.membrane):
            assert b["membrane"][0] <= v.min() and v.max() <= b["membrane"][1]


def test_bounds_are_reached():
    # all inputs pushing the same way every step: I = -t S and V = -S t(t+1)/2 exactly
    w = [[3, -5, 2], [1, 1, -1]]
    S, steps = 10, 12
    pos = np.tile(np.array([0, 1, 0], dtype=bool), (steps, 1))
    neg = np.tile(np.array([1, 0, 1], dtype=bool), (steps, 1))
    layer = TSCLayer(w, 7)
    layer.run(pos, neg)
    b = tsc_int_bounds(w, 7, steps)
    assert b["row_abs_sum"] == S
    assert layer.current[0] == b["current"][0] == -steps * S
    assert layer.membrane[0] == b["membrane"][0] == -S * steps * (steps + 1) // 2


@settings(max_examples=100, deadline=None)
@given(layer_case())
def test_wrapped_model_equals_unbounded_inside_bounds(case):
    from gen.widths import signed_width

    w, theta, pos, neg, first = case
    # frames no longer than `steps`
    steps = 8
    first = np.array([t % steps == 0 for t in range(pos.shape[0])])
    b = tsc_int_bounds(w, theta, steps)
    wi = max(2, signed_width(*b["current"]))
    wv = max(wi, signed_width(b["membrane"][0], max(b["membrane"][1], max(theta))))
    got = tsc_int(w, theta, pos, neg, first, current_width=wi, membrane_width=wv)
    want = tsc_int(w, theta, pos, neg, first)
    assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])


def test_wrapped_model_follows_register_widths():
    # a long frame overflows 6-bit registers; the wrapped model is what the registers do
    w, theta = [[7, -3]], [5]
    T = 40
    pos = np.zeros((T, 2), dtype=bool)
    pos[:, 0] = True
    layer = TSCLayer(w, theta, current_width=6, membrane_width=8)
    I = V = 0
    for t in range(T):
        layer.step(pos[t], [0, 0], first=t == 0)
        I = wrap(I + 7, 6)
        U = V + I
        V = wrap(U - 5 if U >= 5 else U, 8)
        assert layer.current[0] == I and layer.membrane[0] == V
    assert I != 7 * T       # it did wrap


# ------------------------------------------------------------------------------ float model


def test_float_model_batched_and_recorded():
    rng = np.random.default_rng(7)
    w = rng.normal(0, 0.3, (5, 12))
    x = rng.uniform(0, 1, (4, 12))
    pos, neg = tsc_encode(x, 20)
    p, n, trace = tsc_float(w, 0.5, pos, neg, record=True)
    assert p.shape == (4, 20, 5) and trace["current"].shape == (4, 20, 5)
    for b in range(4):
        pb, nb = tsc_float(w, 0.5, pos[b], neg[b])
        assert np.array_equal(pb, p[b]) and np.array_equal(nb, n[b])
    # the current is the running sum of the drive
    drive = (pos.astype(float) - neg.astype(float)) @ w.T
    assert np.allclose(trace["current"], np.cumsum(drive, axis=-2))
    # the membrane integrates w * on-time: before any reset V(N) = sum_m w * gap_m
    big = tsc_float(w, 1e9, pos, neg, record=True)[2]
    gap = tsc_durations(pos, neg)
    assert np.allclose(big["membrane"][:, -1, :], gap @ w.T)


def test_float_model_checks():
    with pytest.raises(ValueError, match="> 0"):
        tsc_float([[1.0]], 0.0, [[1]], [[0]])
    with pytest.raises(ValueError, match="finite"):
        tsc_float([[np.nan]], 1.0, [[1]], [[0]])
    with pytest.raises(ValueError, match="shape"):
        tsc_float([[1.0, 2.0]], 1.0, [[1]], [[0]])
