"""Golden models of Temporal Switch Coding (TSC): encoders, layer models, threshold balancing.

TSC sends each value as a pair of opposite-sign spikes; the gap between them is the value. A
TSC layer of L neurons over M inputs keeps, per neuron l, a current I and a membrane V. Per time
step, exactly (issue 5, item 3)::

    I += sum_m w[l][m] * (pos_m - neg_m)
    V += I
    s  = [V >= theta_l];  if s: V -= theta_l            (soft reset)
    if not done and not firing and s:  emit pos, firing = 1
    elif firing and not s:             emit neg, firing = 0, done = 1

so each neuron sends at most one pos and one neg spike per frame. The first step of a frame
clears I, V, firing and done before it runs. Between its pos and its neg spike an input adds
its weight to I on every step, so the membrane integrates ``w * (t_neg - t_pos)``: the gap is the
value. An input spike only changes I (one weight read, one add); with TSC-encoded input each
synapse costs at most two reads and two additions per frame.

Spike trains are boolean arrays with the time axis second to last: ``pos[..., t, m]`` is a
positive spike of channel m at step t (0-based; the issue counts steps from 1). A frame is a run
of steps that starts with ``first[t] = True``.

Models, one semantics:

* :class:`TSCLayer` -- exact integers, event-driven (work per step proportional to the input
  spikes, plus the O(L) neuron update), optionally wrapping I and V to the hardware widths. The
  model every TSC core is checked against, bit for bit.
* :func:`tsc_int` -- :class:`TSCLayer` over a whole dense spike train.
* :func:`tsc_float` -- float64, dense, batched over any leading axes (for ANN conversion and
  accuracy runs); equal to the integer model when weights and thresholds are integers.

Encoders: :func:`tsc_encode` (the issue's definition), :func:`ttfs_encode` and
:func:`poisson_encode` for comparison; :func:`tsc_durations` / :func:`tsc_decode` read spike
pairs back. Conversion: :func:`balance_threshold`, :func:`max_current`, :func:`balance_network`
(layer-wise theta = alpha * max input over data, alpha = 0.8 as in the TSC paper),
:func:`threshold_int`. Hardware widths come from :func:`tsc_int_bounds`.
"""

import numbers

import numpy as np

__all__ = [
    "tsc_encode", "ttfs_encode", "poisson_encode", "tsc_durations", "tsc_decode",
    "step_events", "TSCLayer", "tsc_int", "tsc_float", "tsc_int_bounds", "wrap",
    "balance_threshold", "max_current", "balance_network", "threshold_int",
    "DEFAULT_ALPHA",
]

#: Threshold-balancing factor of the TSC paper: theta = 0.8 * max input over the data.
DEFAULT_ALPHA = 0.8


# --------------------------------------------------------------------------------------------
# checks


def _check_steps(N, name="N"):
    if isinstance(N, bool) or not isinstance(N, numbers.Integral) or N < 1:
        raise ValueError(f"{name} must be a positive integer, not {N!r}")
    return int(N)


def _check_unit(p):
    """``p`` as float64 after checking every value is finite and in [-1, 1]."""
    arr = np.asarray(p)
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise TypeError(f"values must be real numbers, not {arr.dtype}")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError("values must be finite (found NaN or infinity)")
    if arr.size and (arr.min() < -1.0 or arr.max() > 1.0):
        bad = arr[(arr < -1.0) | (arr > 1.0)].reshape(-1)[0]
        raise ValueError(f"values must lie in [-1, 1], found {bad!r}")
    return arr


def _as_int_array(values, name):
    """``values`` as an int64 array (object when beyond 62 bits); integers only."""
    arr = np.asarray(values)
    if arr.dtype == object:
        flat = arr.reshape(-1)
        for v in flat:
            if isinstance(v, bool) or not isinstance(v, numbers.Integral):
                raise TypeError(f"{name} must hold integers, not {v!r}")
        ints = [int(v) for v in flat]
        if all(-(1 << 62) <= v < (1 << 62) for v in ints):
            return np.array(ints, dtype=np.int64).reshape(arr.shape)
        out = np.empty(len(ints), dtype=object)
        out[:] = ints
        return out.reshape(arr.shape)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must be integers, not {arr.dtype}")
    return arr.astype(np.int64)


def _as_spikes(x, name):
    arr = np.asarray(x)
    if arr.dtype == bool:
        return arr
    if arr.dtype.kind not in "iu" or (arr.size and (arr.min() < 0 or arr.max() > 1)):
        raise ValueError(f"{name} must hold 0/1 spikes (booleans)")
    return arr.astype(bool)


def _first_flags(first, T):
    """Frame-start flags for T steps; None means one frame starting at step 0."""
    if first is None:
        flags = np.zeros(T, dtype=bool)
        if T:
            flags[0] = True
        return flags
    flags = _as_spikes(first, "first").reshape(-1)
    if flags.shape != (T,):
        raise ValueError(f"first must have one flag per step ({T}), not {flags.size}")
    return flags


def wrap(x, width):
    """``x`` wrapped to a ``width``-bit two's-complement number (what a register keeps)."""
    half = 1 << (width - 1)
    return ((x + half) % (1 << width)) - half


# --------------------------------------------------------------------------------------------
# encoders


def _time_major(arr, N):
    """Shape of a spike train for values ``arr``: time inserted before the last axis."""
    if arr.ndim == 0:
        return (N,)
    return arr.shape[:-1] + (N,) + arr.shape[-1:]


def _place(arr, times, signs, N):
    """pos/neg trains with a spike of sign ``signs`` at step index ``times`` (-1: none)."""
    scalar = arr.ndim == 0
    t = np.atleast_1d(times)[..., None, :]                          # (..., 1, M)
    s = np.atleast_1d(signs)[..., None, :]
    hit = np.arange(N)[:, None] == t                                # (..., N, M)
    pos, neg = hit & (s > 0), hit & (s < 0)
    if scalar:
        pos, neg = pos[:, 0], neg[:, 0]
    return pos, neg


def tsc_encode(p, N):
    """Temporal Switch Coding of values in [-1, 1] over N steps.

    ``p* = floor(|p| (N-1)) + 1``; when ``p* >= 2`` the channel gets a spike of sign sgn(p) at
    step t = 1 and one of sign -sgn(p) at t = p*; otherwise (|p| < 1/(N-1)) no spikes. The gap
    ``p* - 1 = floor(|p| (N-1))`` steps is the value in units of 1/(N-1); |p| = 1 gives the
    second spike at t = N. ``|p| (N-1)`` is computed in float64.

    Parameters
    ----------
    p : array_like of float
        Values in [-1, 1], shape (..., M) (or a scalar).
    N : int
        Steps per frame, >= 1.

    Returns
    -------
    pos, neg : ndarray of bool
        Shape (..., N, M) (``(N,)`` for a scalar): time before the channel axis, step t at
        index t - 1.
    """
    N = _check_steps(N)
    arr = _check_unit(p)
    gap = np.floor(np.abs(arr) * (N - 1)).astype(np.int64)          # p* - 1
    sign = np.sign(arr).astype(np.int64)
    on = gap >= 1
    first = np.where(on, 0, -1)
    second = np.where(on, gap, -1)                                  # index of step p*
    pos1, neg1 = _place(arr, first, sign, N)
    pos2, neg2 = _place(arr, second, -sign, N)
    return pos1 | pos2, neg1 | neg2


def ttfs_encode(p, N):
    """Time-to-first-spike coding: one spike, earlier for larger |p|.

    ``k = floor(|p| (N-1))``; when k >= 1 the channel gets one spike of sign sgn(p) at step
    ``t = N - k`` (|p| = 1 at t = 1, |p| just above 1/(N-1) at t = N-1), otherwise none. Same
    quantization as :func:`tsc_encode`, so the two codes carry the same information; TTFS needs
    one spike per value instead of two but a neuron must decode time, not integrate a current.

    Returns pos, neg shaped like :func:`tsc_encode`.
    """
    N = _check_steps(N)
    arr = _check_unit(p)
    k = np.floor(np.abs(arr) * (N - 1)).astype(np.int64)
    times = np.where(k >= 1, N - 1 - k, -1)                         # index of step N - k
    return _place(arr, times, np.sign(arr).astype(np.int64), N)


def poisson_encode(p, N, rng=None):
    """Rate (Poisson/Bernoulli) coding: on every step a spike of sign sgn(p) with probability
    |p|, independently.

    Parameters
    ----------
    rng : numpy.random.Generator or int, optional
        Random source or seed (default seed 0, so the result is reproducible).

    Returns pos, neg shaped like :func:`tsc_encode`. The expected spike count is |p| N.
    """
    N = _check_steps(N)
    arr = _check_unit(p)
    if not isinstance(rng, np.random.Generator):
        rng = np.random.default_rng(0 if rng is None else rng)
    shape = _time_major(arr, N)
    mag = np.expand_dims(np.abs(arr), -2) if arr.ndim else np.abs(arr)
    sign = np.expand_dims(np.sign(arr), -2) if arr.ndim else np.sign(arr)
    fire = rng.random(shape) < mag
    return fire & (sign > 0), fire & (sign < 0)


def tsc_durations(pos, neg):
    """Signed on-time of each channel of one frame, in steps.

    For a frame with at most one pos and one neg spike per channel (what TSC encoders and TSC
    layers produce), with ``a``/``b`` the step index of the pos/neg spike and N the frame length
    (a missing spike counts as index N, just past the frame)::

        duration = b - a

    i.e. the number of steps on which the channel adds +w (pos first) or -w (neg first) to the
    current of the next layer. ``tsc_encode(p, N)`` gives ``floor(|p| (N-1)) * sgn(p)``.

    Parameters
    ----------
    pos, neg : array_like of bool
        Shape (..., N, M).

    Returns
    -------
    ndarray of int64, shape (..., M).
    """
    pos, neg = _as_spikes(pos, "pos"), _as_spikes(neg, "neg")
    if pos.shape != neg.shape or pos.ndim < 2:
        raise ValueError(f"pos and neg must have the same shape (..., N, M), not {pos.shape} "
                         f"and {neg.shape}")
    N = pos.shape[-2]
    a = np.where(pos.any(axis=-2), pos.argmax(axis=-2), N)
    b = np.where(neg.any(axis=-2), neg.argmax(axis=-2), N)
    return (b - a).astype(np.int64)


def tsc_decode(pos, neg):
    """Values in [-1, 1] back from TSC spike pairs: ``tsc_durations / (N-1)`` (N >= 2)."""
    d = tsc_durations(pos, neg)
    N = np.asarray(pos).shape[-2]
    if N < 2:
        raise ValueError(f"decoding needs frames of at least 2 steps, not {N}")
    return d / (N - 1)


def step_events(pos, neg):
    """Events per step: the number of inputs with ``pos != neg`` (the core's work per step).

    An input with both pos and neg set contributes ``w (1 - 1) = 0`` and costs nothing.
    """
    pos, neg = _as_spikes(pos, "pos"), _as_spikes(neg, "neg")
    return np.count_nonzero(pos ^ neg, axis=-1)


# --------------------------------------------------------------------------------------------
# exact integer layer


def tsc_int_bounds(weights, threshold, steps):
    """Ranges of the integer quantities of a TSC layer over frames of at most ``steps`` steps.

    With ``S = max_l sum_m |w[l][m]|`` (the most one step can change a current) and t the step
    within the frame (I, V cleared at t = 1):

    * current: ``|I(t)| <= t S``;
    * membrane: ``V(t) >= min(0, V(t-1) + I(t))`` (a firing step leaves ``V + I - theta >= 0``)
      so ``V(t) >= -S t(t+1)/2``; and ``V(t) <= max(theta - 1, V(t-1) + t S)`` so
      ``V(t) <= theta_max - 1 + S t(t+1)/2``. The sum ``U = V(t-1) + I(t)`` before the reset
      lies in the same range.

    Any input spikes (not only TSC-encoded) respect these bounds. The hardware sizes I and V
    from them; beyond ``steps`` steps in one frame the registers wrap (modelled exactly by
    :class:`TSCLayer` with widths).

    Returns
    -------
    dict
        ``current``, ``membrane``, ``threshold``, ``weight``: (lo, hi) pairs; ``row_abs_sum``: S.
    """
    w = _as_int_array(weights, "weights")
    if w.ndim != 2 or 0 in w.shape:
        raise ValueError(f"weights must be an L x M matrix, not shape {w.shape}")
    theta = _as_int_array(threshold, "threshold").reshape(-1)
    steps = _check_steps(steps, "steps")
    S = max(sum(abs(int(v)) for v in row) for row in w)
    tri = S * steps * (steps + 1) // 2
    th_lo, th_hi = int(min(theta)), int(max(theta))
    return {
        "current": (-steps * S, steps * S),
        "membrane": (-tri, max(th_hi - 1, 0) + tri),
        "threshold": (th_lo, th_hi),
        "weight": (int(w.min()), int(w.max())),
        "row_abs_sum": S,
    }


class TSCLayer:
    """Exact integer TSC layer, event-driven: the golden model of the TSC core.

    Parameters
    ----------
    weights : array_like of int, shape (L, M)
        ``weights[l][m]``: synapse from input m to neuron l.
    threshold : int or array_like of int, shape (L,)
        theta_l >= 1, in weight units.
    current_width, membrane_width : int, optional
        Register widths of I and V, as in the hardware: I is kept as a ``current_width``-bit
        two's complement number (it wraps after each add), the sum ``V + I`` and its
        comparison with theta are exact, and the new V (after the soft reset) is kept as a
        ``membrane_width``-bit number. Inside the ranges of :func:`tsc_int_bounds` nothing
        wraps and the result equals the unbounded model. Default: unbounded integers.

    Attributes
    ----------
    current, membrane : ndarray, shape (L,)
        I and V after the last step.
    firing, done : ndarray of bool, shape (L,)
    reads : int
        Weight-column reads so far (one per input event; one read serves all L neurons).

    Notes
    -----
    Work per step: one column read and an L-wide add per input event (input m with
    ``pos_m != neg_m``; a bit with both set adds ``w (1 - 1) = 0`` and is skipped), then the
    O(L) membrane update. Arithmetic is int64 and switches to Python integers before anything
    could overflow 62 bits, so it is exact for any frame length.
    """

    def __init__(self, weights, threshold, *, current_width=None, membrane_width=None):
        w = _as_int_array(weights, "weights")
        if w.ndim != 2 or 0 in w.shape:
            raise ValueError(f"weights must be an L x M matrix, not shape {w.shape}")
        self.neurons, self.inputs = w.shape
        theta = _as_int_array(threshold, "threshold")
        if theta.ndim == 0:
            theta = np.full(self.neurons, int(theta), dtype=np.int64)
        theta = theta.reshape(-1)
        if theta.shape != (self.neurons,):
            raise ValueError(f"threshold must be one value or one per neuron ({self.neurons}), "
                             f"not {theta.size}")
        if any(int(t) < 1 for t in theta):
            raise ValueError(f"thresholds must be >= 1, not {int(min(theta))}")
        for name, width in (("current_width", current_width),
                            ("membrane_width", membrane_width)):
            if width is not None and (isinstance(width, bool) or
                                      not isinstance(width, numbers.Integral) or width < 2):
                raise ValueError(f"{name} must be an integer >= 2, not {width!r}")
        if membrane_width is not None:
            if int(max(theta)) > (1 << (membrane_width - 1)) - 1:
                raise ValueError(f"threshold {int(max(theta))} does not fit a membrane of "
                                 f"{membrane_width} bits")
            if current_width is not None and current_width > membrane_width:
                raise ValueError(f"current_width {current_width} exceeds membrane_width "
                                 f"{membrane_width}")
        self.weights = w
        self.threshold = theta
        self.current_width = current_width
        self.membrane_width = membrane_width
        # columns as rows: one input's L weights are contiguous (one "memory word")
        self._columns = np.ascontiguousarray(w.T)
        self._bound = int(np.max(np.abs(w.astype(object)).sum(axis=1)))   # S of the bounds
        self.reads = 0
        self.reset()

    def reset(self):
        """Clear I, V, firing and done (what a frame's first step does first)."""
        dtype = object if self.weights.dtype == object else np.int64
        self.current = np.zeros(self.neurons, dtype=dtype)
        self.membrane = np.zeros(self.neurons, dtype=dtype)
        self.firing = np.zeros(self.neurons, dtype=bool)
        self.done = np.zeros(self.neurons, dtype=bool)

    def _widen_if_needed(self):
        # the next step adds at most S to |I| and |I| + S to |V|; keep int64 while that is safe
        if self.current.dtype == object:
            return
        big = int(np.abs(self.current).max()) + int(np.abs(self.membrane).max())
        if 2 * (big + 2 * self._bound + int(self.threshold.max())) >= (1 << 62):
            self.current = self.current.astype(object)
            self.membrane = self.membrane.astype(object)

    def step_events(self, index, sign, first=False):
        """One time step from input events.

        Parameters
        ----------
        index : array_like of int
            Inputs that spiked this step (each at most once).
        sign : array_like of int
            +1 (pos spike) or -1 (neg spike) for each.
        first : bool
            This step starts a frame: clear the state before running it.

        Returns
        -------
        out_index, out_sign : ndarray of int64
            Neurons that emitted a spike and its sign (+1 pos, -1 neg), in neuron order: the
            events of the next layer's step.
        """
        index = np.asarray(index, dtype=np.int64).reshape(-1)
        sign = np.asarray(sign, dtype=np.int64).reshape(-1)
        if index.shape != sign.shape:
            raise ValueError(f"{index.size} event indices but {sign.size} signs")
        if index.size:
            if index.min() < 0 or index.max() >= self.inputs:
                raise ValueError(f"event index out of range 0..{self.inputs - 1}")
            if not np.all(np.abs(sign) == 1):
                raise ValueError("event signs must be +1 or -1")
        if first:
            self.reset()
        self._widen_if_needed()
        # I += sum over events of sign * w[:, m]: one column read per event
        if index.size:
            delta = sign.astype(self.current.dtype) @ self._columns[index]
            self.current = self.current + delta
            self.reads += int(index.size)
            if self.current_width is not None:
                self.current = wrap(self.current, self.current_width)
        u = self.membrane + self.current
        s = u >= self.threshold
        self.membrane = np.where(s, u - self.threshold, u)
        if self.membrane_width is not None:
            self.membrane = wrap(self.membrane, self.membrane_width)
        if self.membrane.dtype != self.current.dtype:
            self.membrane = self.membrane.astype(self.current.dtype)
        pos = ~self.done & ~self.firing & s
        neg = self.firing & ~s
        self.firing = (self.firing | pos) & ~neg
        self.done = self.done | neg
        fired = np.flatnonzero(pos | neg)
        return fired.astype(np.int64), np.where(pos[fired], 1, -1).astype(np.int64)

    def step(self, pos, neg, first=False):
        """One time step from dense spike vectors (M,); returns dense (pos, neg) of shape (L,)."""
        pos, neg = _as_spikes(pos, "pos").reshape(-1), _as_spikes(neg, "neg").reshape(-1)
        if pos.shape != (self.inputs,) or neg.shape != (self.inputs,):
            raise ValueError(f"pos and neg must have {self.inputs} bits, not {pos.size} and "
                             f"{neg.size}")
        index = np.flatnonzero(pos ^ neg)
        idx, sgn = self.step_events(index, np.where(pos[index], 1, -1), first)
        out_pos = np.zeros(self.neurons, dtype=bool)
        out_neg = np.zeros(self.neurons, dtype=bool)
        out_pos[idx[sgn > 0]] = True
        out_neg[idx[sgn < 0]] = True
        return out_pos, out_neg

    def run(self, pos, neg, first=None):
        """Run T steps of dense spikes, shape (T, M); returns (pos, neg) of shape (T, L).

        ``first`` (T flags) marks frame starts; default: one frame starting at step 0. The
        layer's state carries over from earlier calls until a step with ``first`` set.
        """
        pos, neg = _as_spikes(pos, "pos"), _as_spikes(neg, "neg")
        if pos.ndim != 2 or pos.shape != neg.shape or pos.shape[1] != self.inputs:
            raise ValueError(f"pos and neg must have shape (T, {self.inputs}), not {pos.shape} "
                             f"and {neg.shape}")
        T = pos.shape[0]
        flags = _first_flags(first, T)
        out_pos = np.zeros((T, self.neurons), dtype=bool)
        out_neg = np.zeros((T, self.neurons), dtype=bool)
        changed = pos ^ neg
        for t in range(T):
            index = np.flatnonzero(changed[t])
            idx, sgn = self.step_events(index, np.where(pos[t, index], 1, -1), bool(flags[t]))
            out_pos[t, idx[sgn > 0]] = True
            out_neg[t, idx[sgn < 0]] = True
        return out_pos, out_neg


def tsc_int(weights, threshold, pos, neg, first=None, *, current_width=None,
            membrane_width=None):
    """Exact integer TSC layer over a dense spike train (fresh state).

    Parameters
    ----------
    weights : (L, M) ints
    threshold : int or (L,) ints
    pos, neg : (T, M) bool
    first : (T,) bool, optional
        Frame starts; default one frame starting at step 0.
    current_width, membrane_width : int, optional
        Hardware register widths (see :class:`TSCLayer`).

    Returns
    -------
    pos, neg : ndarray of bool, shape (T, L)
    """
    layer = TSCLayer(weights, threshold, current_width=current_width,
                     membrane_width=membrane_width)
    return layer.run(pos, neg, first)


# --------------------------------------------------------------------------------------------
# float model


def tsc_float(weights, threshold, pos, neg, first=None, *, record=False):
    """Float64 TSC layer, dense and batched: same per-step semantics as :class:`TSCLayer`.

    Parameters
    ----------
    weights : array_like, shape (L, M)
        Real-valued weights.
    threshold : float or array_like, shape (L,)
        theta > 0.
    pos, neg : array_like of bool, shape (..., T, M)
        Input spikes; leading axes are a batch of independent runs.
    first : array_like of bool, shape (T,), optional
        Frame starts (shared by the batch); default one frame starting at step 0.
    record : bool
        Also return the current and membrane after every step.

    Returns
    -------
    pos, neg : ndarray of bool, shape (..., T, L)
    trace : dict, only with ``record``
        ``current``, ``membrane``: float64 arrays of shape (..., T, L).
    """
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 2 or 0 in w.shape:
        raise ValueError(f"weights must be an L x M matrix, not shape {w.shape}")
    L, M = w.shape
    theta = np.broadcast_to(np.asarray(threshold, dtype=np.float64), (L,))
    if not np.all(np.isfinite(w)) or not np.all(np.isfinite(theta)):
        raise ValueError("weights and thresholds must be finite")
    if np.any(theta <= 0):
        raise ValueError(f"thresholds must be > 0, not {float(theta.min())!r}")
    pos, neg = _as_spikes(pos, "pos"), _as_spikes(neg, "neg")
    if pos.shape != neg.shape or pos.ndim < 2 or pos.shape[-1] != M:
        raise ValueError(f"pos and neg must have shape (..., T, {M}), not {pos.shape} and "
                         f"{neg.shape}")
    T = pos.shape[-2]
    flags = _first_flags(first, T)
    batch = pos.shape[:-2]
    drive = (pos.astype(np.float64) - neg.astype(np.float64)) @ w.T   # (..., T, L)
    I = np.zeros(batch + (L,))
    V = np.zeros(batch + (L,))
    firing = np.zeros(batch + (L,), dtype=bool)
    done = np.zeros(batch + (L,), dtype=bool)
    out_pos = np.zeros(batch + (T, L), dtype=bool)
    out_neg = np.zeros(batch + (T, L), dtype=bool)
    if record:
        cur = np.zeros(batch + (T, L))
        mem = np.zeros(batch + (T, L))
    for t in range(T):
        if flags[t]:
            I[...] = 0
            V[...] = 0
            firing[...] = False
            done[...] = False
        I += drive[..., t, :]
        V += I
        s = V >= theta
        V -= np.where(s, theta, 0.0)
        p = ~done & ~firing & s
        n = firing & ~s
        firing = (firing | p) & ~n
        done |= n
        out_pos[..., t, :] = p
        out_neg[..., t, :] = n
        if record:
            cur[..., t, :] = I
            mem[..., t, :] = V
    if record:
        return out_pos, out_neg, {"current": cur, "membrane": mem}
    return out_pos, out_neg


# --------------------------------------------------------------------------------------------
# threshold balancing


def balance_threshold(inputs, alpha=DEFAULT_ALPHA):
    """Layer-wise threshold balancing: ``theta = alpha * max(inputs)`` over the data.

    ``inputs`` are the values the layer's neurons integrate, collected over a data set: the
    currents I of every neuron at every step (:func:`max_current`) when balancing a spiking
    layer, or the ANN pre-activations ``W x`` when balancing from the source network. alpha
    < 1 (0.8 in the TSC paper) lets neurons driven below the data maximum still fire.
    """
    alpha = float(alpha)
    if not np.isfinite(alpha) or alpha <= 0:
        raise ValueError(f"alpha must be a positive number, not {alpha!r}")
    arr = np.asarray(inputs, dtype=np.float64)
    if arr.size == 0:
        raise ValueError("no inputs to balance the threshold on")
    if not np.all(np.isfinite(arr)):
        raise ValueError("inputs must be finite")
    peak = float(arr.max())
    if peak <= 0:
        raise ValueError(f"the largest input is {peak!r}: no positive threshold balances it")
    return alpha * peak


def max_current(weights, pos, neg, first=None):
    """Largest current I reached by any neuron at any step over a batch of spike trains.

    The current depends only on the input spikes (not on the threshold), so this is the
    layer's "max input over data" for :func:`balance_threshold`.

    Parameters
    ----------
    weights : (L, M)
    pos, neg : (..., T, M) bool
    first : (T,) bool, optional
    """
    w = np.asarray(weights, dtype=np.float64)
    pos, neg = _as_spikes(pos, "pos"), _as_spikes(neg, "neg")
    if pos.shape != neg.shape or pos.ndim < 2 or w.ndim != 2 or pos.shape[-1] != w.shape[1]:
        raise ValueError(f"pos/neg of shape {pos.shape} do not match weights {w.shape}")
    T = pos.shape[-2]
    flags = _first_flags(first, T)
    drive = (pos.astype(np.float64) - neg.astype(np.float64)) @ w.T     # (..., T, L)
    # I restarts from 0 at every frame start (and at step 0: the state starts cleared)
    frame = np.cumsum(flags)
    peak = -np.inf
    for f in np.unique(frame):
        peak = max(peak, float(np.cumsum(drive[..., frame == f, :], axis=-2).max()))
    return peak


def balance_network(weights, pos, neg, first=None, alpha=DEFAULT_ALPHA):
    """Thresholds of a stack of TSC layers, balanced layer by layer (float model).

    Layer k gets ``theta_k = alpha * max_current(W_k, inputs_k)``; its spikes, with that
    threshold, are the inputs of layer k+1.

    Parameters
    ----------
    weights : list of (L_k, M_k) arrays
        ``M_{k+1} = L_k``.
    pos, neg : (..., T, M_0) bool
        Encoded data (e.g. :func:`tsc_encode` of a batch of inputs).

    Returns
    -------
    list of float
        One threshold per layer, in the units of that layer's weights.
    """
    thetas = []
    for k, w in enumerate(weights):
        w = np.asarray(w, dtype=np.float64)
        theta = balance_threshold([max_current(w, pos, neg, first)], alpha)
        thetas.append(theta)
        if k + 1 < len(weights):
            pos, neg = tsc_float(w, theta, pos, neg, first)
    return thetas


def threshold_int(theta, weight_frac):
    """Integer threshold for weight codes with ``weight_frac`` fraction bits:
    ``max(1, round(theta * 2**weight_frac))`` (ties to even), in weight-code units."""
    theta = float(theta)
    if not np.isfinite(theta) or theta <= 0:
        raise ValueError(f"threshold must be a positive number, not {theta!r}")
    if isinstance(weight_frac, bool) or not isinstance(weight_frac, numbers.Integral):
        raise TypeError(f"weight_frac must be an integer, not {weight_frac!r}")
    return max(1, int(np.rint(theta * 2.0 ** int(weight_frac))))
