"""Stream payloads of each core and their expected values from the golden models in ``sim/``.

Everything is computed from the manifest (parameters, widths) and the ``sim/`` models, never
from a generator: the demo host, the end-to-end simulation and the synthesis harness all see a
core only through its files.

For a core, :func:`sweep` gives the demo's inputs (every representable x of the activation's
interval, or an even subset), :func:`encode` packs inputs into input payloads, :func:`expected`
gives the output payloads the core must return, and :func:`decode` unpacks output payloads into
per-lane (spikes, value) pairs.
"""

from functools import partial

import numpy as np

__all__ = ["sweep", "encode", "expected", "decode", "real_input", "real_output",
           "activation_of", "check_outputs"]


def _mask(w):
    return (1 << w) - 1


def _signed(v, w):
    v &= _mask(w)
    return v - (1 << w) if v >> (w - 1) else v


def _pack(values, width):
    """Lane n of ``values`` at bits [n*width, (n+1)*width) (two's complement)."""
    out = 0
    for n, v in enumerate(values):
        out |= (int(v) & _mask(width)) << (n * width)
    return out


def _in_width(core):
    return core.manifest["input"]["width"]


def real_input(core, x):
    """Real value of integer input(s) ``x`` (x * 2^-F)."""
    return np.asarray(x, dtype=np.float64) * 2.0 ** -core.manifest["input"].get("frac", 0)


def real_output(core, value):
    """Real value of output value(s) (value * 2^-Fout)."""
    return np.asarray(value, dtype=np.float64) * 2.0 ** -core.manifest["output"].get("frac", 0)


def activation_of(core):
    """The function the core approximates, as a numpy callable of real x, or None."""
    act = core.manifest.get("activation")
    if core.kind == "ifneuron":
        n = core.manifest["steps"]
        return lambda x: np.clip(np.floor(x), 0, n)
    if not isinstance(act, str) or act == "mul":
        return None
    if act == "relu":
        # the ReLU cores compute clamp(x, 0, 2^K - 1) in quantum units
        top = (1 << core.manifest["K"]) - 1
        return lambda x: np.clip(x, 0, top * 2.0 ** -core.manifest["input"].get("frac", 0))
    from quant.activations import get_activation

    return get_activation(act)


def tsc_frames(core, frames=2, seed=0):
    """Input payloads of a TSC core: ``frames`` frames of ``steps`` steps, each frame the TSC
    code (``sim.tsc.tsc_encode``) of seeded uniform pixels in [-1, 1], ``first`` set on each
    frame's first step."""
    from sim.tsc import tsc_encode

    m = core.manifest
    M, N = m["inputs"], m["steps"]
    rng = np.random.default_rng(seed)
    beats = []
    for _ in range(frames):
        pos, neg = tsc_encode(rng.uniform(-1, 1, M), N)
        for t in range(N):
            # payload {pos: M, neg: M, first: 1}, LSB first
            beats.append(_pack(pos[t], 1) | (_pack(neg[t], 1) << M) | (int(t == 0) << 2 * M))
    return np.array(beats, dtype=object)


def _tsc_expected(core, beats):
    from sim.tsc import tsc_framed_int, tsc_int

    m = core.manifest
    M = m["inputs"]
    bits = [[(int(b) >> k) & 1 for k in range(2 * M + 1)] for b in beats]
    arr = np.array(bits, dtype=bool).reshape(len(beats), 2 * M + 1)
    # the golden model of the core's mode (framed: answers in the next frame)
    model = (partial(tsc_framed_int, frame_steps=m["steps"]) if m.get("mode") == "framed"
             else tsc_int)
    pos_out, neg_out = model(m["weights"], m["threshold"], arr[:, :M], arr[:, M:2 * M],
                             arr[:, 2 * M])
    L = m["neurons"]
    return [_pack(p, 1) | (_pack(n, 1) << L) for p, n in zip(pos_out, neg_out)]


def sweep(core, max_points=None):
    """The demo's inputs: every representable x of the core's interval (the whole input range
    when the manifest has none), thinned evenly to ``max_points``; for a TSC core, its input
    payloads (:func:`tsc_frames`)."""
    if core.kind == "tsc":
        return tsc_frames(core)
    W = _in_width(core)
    F = core.manifest["input"].get("frac", 0)
    lo, hi = -(1 << (W - 1)), (1 << (W - 1)) - 1
    interval = core.manifest.get("interval")
    if isinstance(interval, (list, tuple)) and len(interval) == 2:
        lo = max(lo, int(np.ceil(interval[0] * 2 ** F)))
        hi = min(hi, int(np.ceil(interval[1] * 2 ** F)) - 1)
    xs = np.arange(lo, hi + 1, dtype=np.int64)
    if max_points is not None and len(xs) > max_points:
        xs = xs[np.unique(np.linspace(0, len(xs) - 1, max_points).round().astype(int))]
    return xs


def encode(core, xs):
    """Input payloads carrying integer inputs ``xs`` (lanes filled in order; the last beat is
    padded with copies of its first input)."""
    xs = [int(x) for x in np.asarray(xs).reshape(-1)]
    if core.kind == "tsc":
        return xs                   # TSC inputs are already payloads {pos, neg, first}
    W = _in_width(core)
    if core.kind in ("amos", "ifneuron") or (core.kind == "fsneuron" and core.lanes == 1):
        if core.kind == "amos" and core.manifest.get("activation") == "mul":
            raise ValueError("encode a two-input AMOS core with encode_pairs")
        return [_pack([x], W) for x in xs]
    if core.kind == "fsneuron":
        beats = []
        for start in range(0, len(xs), core.lanes):
            group = xs[start:start + core.lanes]
            group += [group[0]] * (core.lanes - len(group))
            beats.append(_pack(group, W))
        return beats
    raise ValueError(f"cannot encode x inputs for a {core.kind} core")


def _fs_expected(core, xs):
    from sim.fs import fs_int

    m = core.manifest
    K, Wout = m["K"], m["output"]["width"]
    value, spikes = fs_int(np.asarray(xs, dtype=np.int64), m["T"], m["h"], m["d"])
    return [(int(s) & _mask(K)) | ((int(v) & _mask(Wout)) << K)
            for v, s in zip(value.reshape(-1), spikes.reshape(-1))]


def _amos_expected(core, xs):
    import sim.amos as amos

    m = core.manifest
    K, Wout = m["K"], m["output"]["width"]
    value, spikes = amos.amos_int(np.asarray(xs, dtype=np.int64), m["c"], m["T"], m["h"],
                                  m["d"])
    return [(int(s) & _mask(K)) | ((int(v) & _mask(Wout)) << K)
            for v, s in zip(np.asarray(value).reshape(-1), np.asarray(spikes).reshape(-1))]


def expected(core, xs):
    """The output payloads the core must return for integer inputs ``xs`` (in beats, as
    :func:`encode` packs them)."""
    xs = [int(x) for x in np.asarray(xs).reshape(-1)]
    if core.kind == "ifneuron":
        from .ifneuron import if_int

        return [int(v) for v in if_int(xs, core.manifest["K"], core.manifest["theta"])]
    if core.kind == "fsneuron":
        lanes = _fs_expected(core, xs)
        if core.lanes == 1:
            return lanes
        lane_w = core.out_width // core.lanes
        beats = []
        for start in range(0, len(xs), core.lanes):
            group = lanes[start:start + core.lanes]
            group += [group[0]] * (core.lanes - len(group))
            beats.append(_pack(group, lane_w))
        return beats
    if core.kind == "amos":
        return _amos_expected(core, xs)
    if core.kind == "tsc":
        return _tsc_expected(core, xs)
    raise ValueError(f"no golden model for a {core.kind} core")


def decode(core, payload):
    """Per-lane ``(spikes, value)`` of one output payload (value signed)."""
    m = core.manifest
    if core.kind == "ifneuron":
        return [(None, int(payload) & _mask(m["K"]))]
    if core.kind in ("fsneuron", "amos"):
        K, Wout = m["K"], m["output"]["width"]
        out = []
        for n in range(core.lanes):
            lane = (int(payload) >> (n * (K + Wout))) & _mask(K + Wout)
            out.append((lane & _mask(K), _signed(lane >> K, Wout)))
        return out
    if core.kind == "tsc":
        L = m["neurons"]
        return [(int(payload) & _mask(L), (int(payload) >> L) & _mask(L))]
    raise ValueError(f"unknown core {core.kind!r}")


def check_outputs(core, xs, outputs):
    """Mismatches between the board's outputs and the golden model for inputs ``xs``.

    Returns
    -------
    list of str
        One line per mismatching beat (empty when everything agrees).
    """
    want = expected(core, xs)
    problems = []
    if len(outputs) != len(want):
        problems.append(f"{len(outputs)} replies for {len(want)} requests")
    lanes = max(1, core.lanes if core.kind == "fsneuron" else 1)
    for n, (got, exp) in enumerate(zip(outputs, want)):
        if got != exp:
            beat_xs = [int(x) for x in np.asarray(xs).reshape(-1)[n * lanes:(n + 1) * lanes]]
            problems.append(f"beat {n} (x = {beat_xs}): got {decode(core, got)}, "
                            f"want {decode(core, exp)}")
    return problems
