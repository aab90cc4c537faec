"""The framed TSC golden models (sim.tsc.framed, sim.tsc.torch_layer).

The exact layer is checked against a literal transcription of the framed neuron's per-step
rules (plain Python integers, one neuron at a time), so the model and its checker share no code;
then the properties the conversion and the hardware rely on: on-time = min(floor(V / theta),
N - 1), one frame of delay, at most two spikes per neuron and two reads per synapse per frame,
float == integer == torch, and the register bounds.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.tsc import (FramedTSCLayer, framed_on_time, tsc_durations, tsc_encode,
                     tsc_framed_bounds, tsc_framed_float, tsc_framed_int, wrap)
from sim.tsc.torch_layer import tsc_framed_torch


def literal_framed(weights, theta, N, pos, neg, first):
    """The framed neuron, word for word: integration of frame k, emission during frame k+1."""
    L, M = len(weights), len(weights[0])
    I, V, H = [0] * L, [0] * L, [0] * L
    on, done = [False] * L, [False] * L
    t_in_frame = 0
    out_pos, out_neg = [], []
    for t in range(len(pos)):
        if first[t]:
            H = list(V)                      # V from the frame that just ended
            I, V = [0] * L, [0] * L
            on, done = [False] * L, [False] * L
            t_in_frame = 0
        else:
            t_in_frame = min(t_in_frame + 1, N - 1)
        ps, ns = [0] * L, [0] * L
        for l in range(L):
            I[l] += sum(weights[l][m] * (int(pos[t][m]) - int(neg[t][m])) for m in range(M))
            V[l] += I[l]
            s = H[l] >= theta[l]
            was_on = on[l]
            if s and not done[l]:
                H[l] -= theta[l]
                on[l] = True
                if not was_on:
                    ps[l] = 1                # the first on-step emits pos
            if was_on and not s:
                ns[l], on[l], done[l] = 1, False, True
            if on[l] and t_in_frame == N - 1:  # still on at the frame's last step
                ns[l], on[l], done[l] = 1, False, True
        out_pos.append(ps)
        out_neg.append(ns)
    return np.array(out_pos, dtype=bool), np.array(out_neg, dtype=bool)


@st.composite
def framed_case(draw):
    L = draw(st.integers(1, 4))
    M = draw(st.integers(1, 5))
    N = draw(st.integers(1, 7))
    T = draw(st.integers(1, 30))
    w = draw(st.lists(st.lists(st.integers(-9, 9), min_size=M, max_size=M), min_size=L,
                      max_size=L))
    theta = draw(st.lists(st.integers(1, 30), min_size=L, max_size=L))
    bits = st.lists(st.lists(st.booleans(), min_size=M, max_size=M), min_size=T, max_size=T)
    pos, neg = np.array(draw(bits), dtype=bool), np.array(draw(bits), dtype=bool)
    first = np.array(draw(st.lists(st.booleans(), min_size=T, max_size=T)), dtype=bool)
    return w, theta, N, pos.reshape(T, M), neg.reshape(T, M), first


@settings(max_examples=300, deadline=None)
@given(framed_case())
def test_exact_layer_matches_literal_rules(case):
    w, theta, N, pos, neg, first = case
    want = literal_framed(w, theta, N, pos, neg, first)
    got = tsc_framed_int(w, theta, pos, neg, first, frame_steps=N)
    assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
    # the float model, batched, and the torch model follow the same rules
    fp, fn = tsc_framed_float(np.array(w, float), np.array(theta, float), pos[None], neg[None],
                              first, frame_steps=N)
    assert np.array_equal(fp[0], want[0]) and np.array_equal(fn[0], want[1])
    tp, tn = tsc_framed_torch(np.array(w, float), np.array(theta, float), pos, neg, first,
                              frame_steps=N)
    assert np.array_equal(tp.numpy(), want[0]) and np.array_equal(tn.numpy(), want[1])


def test_literal_checker_catches_a_wrong_model():
    # a model without the clip at N - 1 differs from the rules: the checker is not vacuous
    w, theta, N = [[5]], [2], 4
    pos, neg = tsc_encode(np.ones(1), N)
    pos = np.concatenate([pos, np.zeros_like(pos)])
    neg = np.concatenate([neg, np.zeros_like(neg)])
    first = np.arange(2 * N) % N == 0
    p, n = literal_framed(w, theta, N, pos, neg, first)
    # V = 5 * 3 = 15, floor(15 / 2) = 7 > N - 1 = 3: pos at step 0, neg at the last step
    assert np.flatnonzero(p[N:, 0]).tolist() == [0] and np.flatnonzero(n[N:, 0]).tolist() == [3]
    got = tsc_framed_int(w, theta, pos, neg, first, frame_steps=N + 5)
    assert not np.array_equal(got[1], n)


def _frames(rng, M, frames, N, lo=0.0):
    """TSC-encoded frames of N steps, plus one silent frame that flushes the last answer."""
    x = rng.uniform(lo, 1.0, (frames, M))
    x[rng.random((frames, M)) < 0.2] = 0.0
    pos, neg = tsc_encode(x, N)
    pos = np.concatenate([pos.reshape(-1, M), np.zeros((N, M), bool)])
    neg = np.concatenate([neg.reshape(-1, M), np.zeros((N, M), bool)])
    first = np.arange((frames + 1) * N) % N == 0
    return x, pos, neg, first


@pytest.mark.parametrize("N", [3, 5, 16])
def test_on_time_is_the_frame_input_over_theta(N):
    # TSC-encoded frames: the answer to frame k, sent in frame k+1, is pos at step 0 and neg
    # at step n = min(floor(V / theta), N - 1), V = sum_m w D_m; nothing when V < theta
    rng = np.random.default_rng(N)
    M, L, frames = 9, 6, 12
    w = rng.integers(-20, 40, (L, M))
    theta = rng.integers(5, 60, L)
    x, pos, neg, first = _frames(rng, M, frames, N)
    op, on = tsc_framed_int(w, theta, pos, neg, first, frame_steps=N)
    D_in = tsc_durations(*tsc_encode(x, N))                     # (frames, M)
    V = D_in @ w.T
    want = framed_on_time(V, theta, N)
    assert (want > 0).any() and (want == 0).any() and (want == N - 1).any()
    for k in range(frames):
        fp, fn = op[(k + 1) * N:(k + 2) * N], on[(k + 1) * N:(k + 2) * N]
        assert np.array_equal(tsc_durations(fp, fn), want[k])
        assert np.array_equal(fp[0], want[k] > 0) and not fp[1:].any()
        assert (fp.sum(0) + fn.sum(0) <= 2).all()
    assert not op[:N].any() and not on[:N].any()                # frame 0 answers nothing


def test_framed_on_time_closed_form():
    V = np.array([-5, 0, 2, 3, 7, 100])
    assert framed_on_time(V, 3, 10).tolist() == [0, 0, 0, 1, 2, 9]
    assert framed_on_time(V.astype(float), 3.0, 10).tolist() == [0, 0, 0, 1, 2, 9]
    assert framed_on_time(np.array([6]), np.array([2]), 2).tolist() == [1]


@settings(max_examples=100, deadline=None)
@given(framed_case())
def test_at_most_two_spikes_per_neuron_per_frame(case):
    w, theta, N, pos, neg, first = case
    op, on = tsc_framed_int(w, theta, pos, neg, first, frame_steps=N)
    frame = np.cumsum(first)
    for f in np.unique(frame):
        sel = frame == f
        assert op[sel].sum(axis=0).max(initial=0) <= 1
        assert on[sel].sum(axis=0).max(initial=0) <= 1


def test_reads_are_events_and_at_most_two_per_synapse_per_frame():
    rng = np.random.default_rng(3)
    M, N = 11, 8
    _, pos, neg, first = _frames(rng, M, 6, N, lo=-1.0)
    layer = FramedTSCLayer(rng.integers(-9, 9, (4, M)), 7, N)
    counts = np.zeros((7, M), dtype=int)
    frame = np.cumsum(first) - 1
    for t in range(len(pos)):
        before = layer.reads
        layer.step(pos[t], neg[t], bool(first[t]))
        events = np.flatnonzero(pos[t] ^ neg[t])
        assert layer.reads - before == len(events)
        counts[frame[t], events] += 1
    assert counts.max() <= 2 and counts.max() == 2


def test_layers_chain_by_frames():
    # two framed layers: the second answers frame k in frame k+2, from the first's on-times
    rng = np.random.default_rng(7)
    M, L1, L2, N, frames = 6, 5, 3, 10, 5
    w1, w2 = rng.integers(0, 9, (L1, M)), rng.integers(-3, 9, (L2, L1))
    t1, t2 = rng.integers(3, 12, L1), rng.integers(3, 12, L2)
    x, pos, neg, first = _frames(rng, M, frames, N)
    pos = np.concatenate([pos, np.zeros((N, M), bool)])
    neg = np.concatenate([neg, np.zeros((N, M), bool)])
    first = np.arange(len(pos)) % N == 0
    p1, n1 = tsc_framed_int(w1, t1, pos, neg, first, frame_steps=N)
    p2, n2 = tsc_framed_int(w2, t2, p1, n1, first, frame_steps=N)
    D1 = framed_on_time(tsc_durations(*tsc_encode(x, N)) @ w1.T, t1, N)
    D2 = framed_on_time(D1 @ w2.T, t2, N)
    assert (D2 > 0).any()
    for k in range(frames):
        sel = slice((k + 2) * N, (k + 3) * N)
        assert np.array_equal(tsc_durations(p2[sel], n2[sel]), D2[k])


def test_short_and_long_frames():
    # a frame shorter than N cuts the emission (no neg); in a longer one every neuron is done
    # from step N - 1 on
    w, theta, N = [[4]], [1], 5
    pos = np.zeros((16, 1), bool)
    neg = np.zeros((16, 1), bool)
    pos[[0, 4]] = True                       # on from the start of frames 0 and 1
    first = np.zeros(16, bool)
    first[[0, 4, 7]] = True                  # frames of 4, 3 and 9 steps
    op, on = tsc_framed_int(w, theta, pos, neg, first, frame_steps=N)
    # frame 1 (3 steps) answers V = 4+8+12+16 = 40: pos, then cut before its neg; frame 2
    # (9 steps) answers V = 4+8+12 = 24: pos, neg at step N - 1 = 4, then nothing
    assert np.flatnonzero(op[:, 0]).tolist() == [4, 7]
    assert np.flatnonzero(on[:, 0]).tolist() == [11]


def test_bounds_hold_and_widths_wrap_like_registers():
    rng = np.random.default_rng(11)
    w = rng.integers(-30, 30, (3, 4))
    theta = [5, 17, 40]
    steps = 6
    b = tsc_framed_bounds(w, theta, steps)
    S = b["row_abs_sum"]
    assert b["current"] == (-steps * S, steps * S)
    assert b["membrane"] == (-S * 21, S * 21)
    # every input pushing the same way on every step reaches the bounds exactly
    sign = np.sign(w[0])
    pos = np.tile(sign > 0, (steps, 1))
    neg = np.tile(sign < 0, (steps, 1))
    layer = FramedTSCLayer(w, theta, steps)
    layer.run(pos, neg)
    assert int(layer.current[0]) == steps * S and int(layer.membrane[0]) == S * 21
    # widths: inside the bounds equal to the unbounded model, beyond them the wrap
    wi, wv = (1 + max(abs(lo) - 1, hi).bit_length() for lo, hi in (b["current"], b["membrane"]))
    T = 40
    pos = rng.random((T, 4)) < 0.5
    neg = rng.random((T, 4)) < 0.3
    first = np.zeros(T, bool)
    first[[0, 5, 30]] = True                 # frames of 5, 25 and 10 steps: the long one wraps
    wrapped = FramedTSCLayer(w, theta, steps, current_width=wi, membrane_width=wv)
    plain = FramedTSCLayer(w, theta, steps)
    diff = False
    for t in range(T):
        a = wrapped.step(pos[t], neg[t], bool(first[t]))
        c = plain.step(pos[t], neg[t], bool(first[t]))
        assert np.array_equal(wrapped.current, wrap(plain.current, wi))
        assert np.array_equal(wrapped.membrane, wrap(plain.membrane, wv))
        if t < 5:
            assert all(np.array_equal(x, y) for x, y in zip(a, c))
        diff |= not all(np.array_equal(x, y) for x, y in zip(a, c))
    assert diff


def test_big_integers_stay_exact():
    w = [[1 << 61, -(1 << 60)]]
    pos = np.array([[1, 0], [0, 0], [0, 0], [0, 0]], bool)
    neg = np.array([[0, 1], [0, 0], [0, 0], [0, 0]], bool)
    layer = FramedTSCLayer(w, 3, 2)
    layer.run(pos[:2], neg[:2], [True, False])
    assert int(layer.membrane[0]) == 2 * ((1 << 61) + (1 << 60))
    layer.run(pos[2:], neg[2:], [True, False])
    assert int(layer.held[0]) == 2 * ((1 << 61) + (1 << 60)) - 2 * 3


@pytest.mark.parametrize("kwargs,match", [
    ({"frame_steps": 0}, "frame_steps must be a positive integer"),
    ({"frame_steps": 2.5}, "frame_steps must be a positive integer"),
    ({"threshold": 0}, "thresholds must be >= 1"),
    ({"membrane_width": 3, "threshold": 9}, "does not fit"),
])
def test_parameter_checks(kwargs, match):
    args = {"weights": [[1, 2]], "threshold": 3, "frame_steps": 4}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        FramedTSCLayer(args.pop("weights"), args.pop("threshold"), args.pop("frame_steps"),
                       **args)
    with pytest.raises(ValueError, match="frame_steps"):
        tsc_framed_float([[1.0]], 1.0, [[1]], [[0]], frame_steps=0)
    with pytest.raises(ValueError, match="thresholds"):
        tsc_framed_torch([[1.0]], 0.0, [[1]], [[0]], frame_steps=2)
