"""TSC input encoders and decoders: values in [-1, 1] to spike trains over N steps and back.

Temporal Switch Coding (Han & Roy, ECCV 2020, Sect. 3, Eq. 1-2) sends each value as a pair of
opposite-sign spikes; the gap between them is the value. :func:`ttfs_encode` (time to first
spike) and :func:`poisson_encode` (rate coding) are the paper's two benchmarks, for
comparison. :func:`tsc_durations` / :func:`tsc_decode` read spike pairs back, and
:func:`step_events` counts the events a layer core works on per step.

Spike trains are boolean arrays with the time axis second to last: ``pos[..., t, m]`` is a
positive spike of channel m at step t (0-based; the paper counts steps from 1).
"""

import numpy as np

from .spikes import as_spikes, check_steps, check_unit

__all__ = ["tsc_encode", "ttfs_encode", "poisson_encode", "tsc_durations", "tsc_decode",
           "step_events"]




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
    N = check_steps(N)
    arr = check_unit(p)
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
    N = check_steps(N)
    arr = check_unit(p)
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
    N = check_steps(N)
    arr = check_unit(p)
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
    pos, neg = as_spikes(pos, "pos"), as_spikes(neg, "neg")
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
    pos, neg = as_spikes(pos, "pos"), as_spikes(neg, "neg")
    return np.count_nonzero(pos ^ neg, axis=-1)
