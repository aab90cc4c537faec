"""Golden models of the FS-neuron (few-spikes neuron).

The neuron runs K steps on an input x (paper eq. 1-3)::

    v(1)   = x
    z(t)   = Theta(v(t) - T(t))          Theta(0) = 1, i.e. z(t) = [v(t) >= T(t)]
    v(t+1) = v(t) - h(t) z(t)
    out    = sum_t d(t) z(t)

The Heaviside convention: this project spikes when ``v >= T``. The published reference code
(christophstoeckl/FS-neurons) uses ``v > T``. On float grids the two agree almost everywhere; in
fixed point, where v and T are integers and equality is common, ``>=`` is the rule the hardware
implements and the one that makes the ReLU schedule exact (x = 2^(K-1) must spike at t = 1).

Three models, one semantics:

* :func:`fs_float` -- numpy float64, batched over any shape of x;
* :func:`fs_torch` -- torch, batched, with a pluggable spike function so training can put a
  pseudo-derivative on the Heaviside;
* :func:`fs_int` -- exact integers: x, T, h in input-LSB units, d in output-LSB units. This is
  the model every RTL core is checked against, bit for bit.
"""

import numbers

import numpy as np

__all__ = ["fs_float", "fs_torch", "fs_int", "fs_int_bounds", "popcount", "relu_schedule"]


def _as_params(T, h, d):
    T = np.asarray(T, dtype=np.float64).reshape(-1)
    h = np.asarray(h, dtype=np.float64).reshape(-1)
    d = np.asarray(d, dtype=np.float64).reshape(-1)
    if not (len(T) == len(h) == len(d)) or len(T) == 0:
        raise ValueError(f"T, h, d must have the same length K >= 1, not "
                         f"{len(T)}, {len(h)}, {len(d)}")
    return T, h, d


def fs_float(x, T, h, d, *, spike_train=False):
    """Float FS neuron on every element of ``x``.

    Parameters
    ----------
    x : array_like
        Inputs, any shape.
    T, h, d : sequence of float
        Thresholds, resets and output weights for t = 1..K.
    spike_train : bool
        Return the spikes themselves instead of their count.

    Returns
    -------
    out : ndarray of float64
        ``sum_t d(t) z(t)``, shaped like ``x``.
    spikes : ndarray
        Spike count per input (int64, shaped like ``x``) or, with ``spike_train``, the spikes
        z(t) as booleans with a trailing axis of length K.
    """
    T, h, d = _as_params(T, h, d)
    v = np.array(x, dtype=np.float64, copy=True)
    out = np.zeros_like(v)
    count = np.zeros(v.shape, dtype=np.int64)
    train = np.zeros(v.shape + (len(T),), dtype=bool) if spike_train else None
    for t in range(len(T)):
        z = v >= T[t]
        v -= h[t] * z
        out += d[t] * z
        count += z
        if spike_train:
            train[..., t] = z
    return out, (train if spike_train else count)


def fs_torch(x, T, h, d, spike=None):
    """Torch FS neuron, batched, differentiable through ``spike``.

    Parameters
    ----------
    x : torch.Tensor
        Inputs, any shape.
    T, h, d : torch.Tensor
        Shape (K,) each.
    spike : callable, optional
        ``spike(v - T)`` returns z (float 0/1). Defaults to the Heaviside ``(u >= 0)``; training
        passes one with a pseudo-derivative.

    Returns
    -------
    out : torch.Tensor
        ``sum_t d(t) z(t)``.
    count : torch.Tensor
        Number of spikes per input (float, differentiable when ``spike`` is).
    """
    import torch

    if spike is None:
        def spike(u):
            return (u >= 0).to(u.dtype)
    K = T.shape[0]
    if h.shape[0] != K or d.shape[0] != K:
        raise ValueError(f"T, h, d must have the same length, not {T.shape[0]}, {h.shape[0]}, "
                         f"{d.shape[0]}")
    v = x
    out = torch.zeros_like(x)
    count = torch.zeros_like(x)
    for t in range(K):
        z = spike(v - T[t])
        v = v - h[t] * z
        out = out + d[t] * z
        count = count + z
    return out, count


def _check_int_params(T, h, d):
    params = []
    for name, seq in (("T", T), ("h", h), ("d", d)):
        seq = list(np.asarray(seq, dtype=object).reshape(-1))
        for v in seq:
            if isinstance(v, bool) or not isinstance(v, numbers.Integral):
                raise TypeError(f"{name} must hold integers, not {v!r}")
        params.append([int(v) for v in seq])
    T, h, d = params
    if not (len(T) == len(h) == len(d)) or len(T) == 0:
        raise ValueError(f"T, h, d must have the same length K >= 1, not "
                         f"{len(T)}, {len(h)}, {len(d)}")
    return T, h, d


def fs_int_bounds(x_min, x_max, T, h, d):
    """Ranges of every integer quantity, for any input in ``[x_min, x_max]`` and any spikes.

    The membrane starts at x and each step subtracts h(t) or nothing, so whatever the spike
    pattern ``x_min - sum max(h,0) <= v <= x_max + sum max(-h,0)``; the output lies between the
    sums of the negative and of the positive d. Hardware widths are derived from these.

    Returns
    -------
    dict
        ``v``: (lo, hi) of the membrane at any step (including v(K+1));
        ``out``: (lo, hi) of the output; ``T``: (lo, hi) of the thresholds.
    """
    T, h, d = _check_int_params(T, h, d)
    v_lo = int(x_min) - sum(max(v, 0) for v in h)
    v_hi = int(x_max) + sum(max(-v, 0) for v in h)
    out_lo = sum(min(v, 0) for v in d)
    out_hi = sum(max(v, 0) for v in d)
    return {"v": (v_lo, v_hi), "out": (out_lo, out_hi), "T": (min(T), max(T))}


def _int_dtype(lo, hi):
    """The narrowest numpy dtype holding [lo, hi] with one bit of head-room, or object."""
    for dtype in (np.int32, np.int64):
        info = np.iinfo(dtype)
        if info.min // 2 <= lo and hi <= info.max // 2:
            return dtype
    return object


#: Elements per chunk: the chunk's half-dozen arrays stay in cache, and numpy's per-call
#: overhead is spread over enough elements (measured by bench/fs_golden.py).
_CHUNK = 1 << 16


def _fs_int_fast(flat, T, h, d, v_dtype, out_dtype):
    """fs_int in fixed-width numpy integers (the caller proved nothing overflows)."""
    K = len(T)
    # one dtype for all the per-step arithmetic: mixing int32 and int64 costs a conversion pass
    work = np.int64 if np.int64 in (v_dtype, out_dtype) or K > 30 else np.int32
    Tc, hc, dc = (np.array(p, dtype=work) for p in (T, h, d))
    bit = [work(1 << t) for t in range(K)]
    value = np.empty(flat.size, dtype=np.int64)
    spikes = np.empty(flat.size, dtype=np.int64)
    for start in range(0, flat.size, _CHUNK):
        v = flat[start:start + _CHUNK].astype(work)
        acc = np.zeros_like(v)
        bits = np.zeros_like(v)
        fired = np.empty(v.shape, dtype=bool)
        z = np.empty_like(v)
        tmp = np.empty_like(v)
        for t in range(K):
            np.greater_equal(v, Tc[t], out=fired)
            np.copyto(z, fired)                 # z(t) as 0/1 integers
            np.multiply(z, hc[t], out=tmp)      # v(t+1) = v(t) - h(t) z(t)
            np.subtract(v, tmp, out=v)
            np.multiply(z, dc[t], out=tmp)      # out += d(t) z(t)
            np.add(acc, tmp, out=acc)
            np.multiply(z, bit[t], out=tmp)     # spike bit t-1
            np.bitwise_or(bits, tmp, out=bits)
        value[start:start + _CHUNK] = acc
        spikes[start:start + _CHUNK] = bits
    return value, spikes


def _fs_int_exact(flat, T, h, d):
    """fs_int in Python integers: any width, any K (slow; used past 62 bits)."""
    K = len(T)
    v = flat.astype(object)
    acc = np.zeros(flat.shape, dtype=object)
    bits = np.zeros(flat.shape, dtype=object)
    for t in range(K):
        z = (v >= T[t]).astype(object)
        v = v - z * h[t]
        acc = acc + z * d[t]
        bits = bits + z * (1 << t)
    if K <= 62:
        bits = bits.astype(np.int64)
    return acc, bits


def fs_int(x, T, h, d):
    """Exact integer FS neuron: the golden model of every FS core.

    Parameters
    ----------
    x : array_like of int
        Inputs in input-LSB units, any shape.
    T, h : sequence of int
        Thresholds and resets in input-LSB units (compared with and subtracted from v).
    d : sequence of int
        Output weights in output-LSB units.

    Returns
    -------
    value : ndarray
        ``sum_t d(t) z(t)``, int64 (object when it could exceed 62 bits), shaped like x.
    spikes : ndarray
        Spikes as a bit mask, bit t-1 = z(t): int64 for K <= 62, object (Python ints) above.

    Notes
    -----
    Vectorized over x and processed in cache-sized chunks. Arithmetic is in the narrowest
    integer dtype that provably cannot overflow (:func:`fs_int_bounds`), falling back to Python
    ints, so the result is exact for any parameter size.
    """
    T, h, d = _check_int_params(T, h, d)
    K = len(T)
    x = np.asarray(x)
    if x.dtype == object:
        for v in x.reshape(-1):
            if isinstance(v, bool) or not isinstance(v, numbers.Integral):
                raise TypeError(f"x must hold integers, not {v!r}")
    elif x.dtype.kind not in "iu":
        raise TypeError(f"x must be integers, not {x.dtype}")
    shape = x.shape
    flat = x.reshape(-1)
    if flat.size == 0:
        return (np.zeros(shape, dtype=np.int64), np.zeros(shape, dtype=np.int64))
    x_min, x_max = int(flat.min()), int(flat.max())
    bounds = fs_int_bounds(x_min, x_max, T, h, d)
    v_dtype = _int_dtype(min(bounds["v"][0], bounds["T"][0]), max(bounds["v"][1],
                                                                 bounds["T"][1]))
    out_dtype = _int_dtype(*bounds["out"])

    if v_dtype is object or out_dtype is object or K > 62:
        value, spikes = _fs_int_exact(flat, T, h, d)
    else:
        value, spikes = _fs_int_fast(flat, T, h, d, v_dtype, out_dtype)
    return value.reshape(shape), spikes.reshape(shape)


def popcount(spikes):
    """Number of set bits of each spike mask from :func:`fs_int`."""
    spikes = np.asarray(spikes)
    if spikes.dtype == object:
        return np.array([bin(int(s)).count("1") for s in spikes.reshape(-1)],
                        dtype=np.int64).reshape(spikes.shape)
    count = np.zeros(spikes.shape, dtype=np.int64)
    s = spikes.astype(np.uint64)
    while np.any(s):
        count += (s & np.uint64(1)).astype(np.int64)
        s >>= np.uint64(1)
    return count


def relu_schedule(K):
    """The ReLU FS schedule in quantum units: T = h = d = 2^(K-t), t = 1..K.

    With an integer input x (in units of the quantum alpha * 2^-K) the neuron outputs
    ``clamp(x, 0, 2^K - 1)`` exactly: the spikes are the binary digits of x.
    """
    if isinstance(K, bool) or not isinstance(K, numbers.Integral) or K < 1:
        raise ValueError(f"K must be a positive integer, not {K!r}")
    sched = [1 << (K - t) for t in range(1, K + 1)]
    return list(sched), list(sched), list(sched)
