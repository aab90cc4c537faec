"""Golden models of the AMOS unit (At Most One Spike).

An AMOS unit emulates an activation with K threshold gates side by side instead of K time
steps: every gate sees the input and the spikes of the gates before it, and fires at most once::

    z_i = Theta(c_i x - sum_{j<i} h_ij z_j - T_i)      i = 1..K,  Theta(0) = 1
    out = sum_i d_i z_i

Gate i is inhibited by the earlier gates through the lower triangle of the K x K matrix h
(``h[i][j]`` is used for j < i only; the diagonal and the upper triangle are ignored by every model
here and must be zero in a parameter file). The two-input unit (the product x*y of
squeeze-and-excitation layers) adds a second input with its own weights c'::

    z_i = Theta(c_i x + c'_i y - sum_{j<i} h_ij z_j - T_i)

An FS neuron is the special case c_i = 1, h_ij = h_j (:func:`from_fs`): its membrane after t-1
steps is exactly x - sum_{j<t} h_j z_j. ReLU is analytic (:func:`relu_params`).

The Heaviside is ``>=`` (spike at zero), as for the FS neuron (see :mod:`sim.fs`).

Three models, one semantics:

* :func:`amos_float` -- numpy float64, batched over any shape of x (and y);
* :func:`amos_torch` -- torch, batched, with a pluggable spike function for training;
* :func:`amos_int` -- exact integers, the model every AMOS core is checked against bit for bit.

Integer semantics
-----------------
The hardware computes, for integer x (and y) and integer parameters::

    acc_i = c_i*x [+ c'_i*y] - sum_{j<i} h[i][j]*z_j - T_i,    z_i = [acc_i >= 0]
    value = sum_i d_i z_i

From Q-bit codes (:class:`quant.fixed.QFormat`, value = code * 2^(4-Q)) and an input with F
fraction bits (real x = x_int * 2^-F), the real gate argument is::

    c x - sum h z - T = c_code 2^(4-Q) x_int 2^-F - (sum h_code z + T_code) 2^(4-Q)
                      = 2^-(F+Q-4) * (c_code x_int - sum (h_code << F) z - (T_code << F))

so with c_int = c_code, T_int = T_code << F and h_int = h_code << F the integer acc is the real
one in units of (input LSB x c LSB) = 2^-(F+Q-4): a positive factor, so the sign, and hence
every spike, is the same. Unlike the FS neuron this works for every F >= 0 (no F >= Q-4 needed).
The output weights stay codes: value has Q-4 fraction bits. :func:`codes_to_int` does this.
"""

import numbers

import numpy as np

__all__ = ["amos_float", "amos_torch", "amos_int", "amos_int_bounds", "codes_to_int",
           "relu_params", "from_fs", "check_float_params", "check_int_params"]


# --------------------------------------------------------------------------------------------
# parameters


def _lower(h, K):
    """The strictly lower triangle of h as a K x K array (what every model uses)."""
    return np.tril(h, -1)


def check_float_params(c, T, h, d, c2=None):
    """Return float64 arrays (c, T, h, d, c2) after checking their shapes.

    ``h`` must be K x K; only its strictly lower triangle is used. ``c2`` is None for a
    one-input unit.
    """
    c = np.asarray(c, dtype=np.float64).reshape(-1)
    K = len(c)
    if K == 0:
        raise ValueError("an AMOS unit needs K >= 1 gates, c is empty")
    T = np.asarray(T, dtype=np.float64).reshape(-1)
    d = np.asarray(d, dtype=np.float64).reshape(-1)
    h = np.asarray(h, dtype=np.float64)
    if len(T) != K or len(d) != K:
        raise ValueError(f"c, T, d must have the same length K, not {K}, {len(T)}, {len(d)}")
    if h.shape != (K, K):
        raise ValueError(f"h must be a {K} x {K} matrix, not shape {h.shape}")
    if c2 is not None:
        c2 = np.asarray(c2, dtype=np.float64).reshape(-1)
        if len(c2) != K:
            raise ValueError(f"c2 must have K={K} entries, not {len(c2)}")
    return c, T, _lower(h, K), d, c2


def _int_list(name, seq):
    out = []
    for v in np.asarray(seq, dtype=object).reshape(-1):
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise TypeError(f"{name} must hold integers, not {v!r}")
        out.append(int(v))
    return out


def check_int_params(c, T, h, d, c2=None):
    """Return Python-int lists (c, T, h, d, c2) after checking types and shapes.

    ``h`` comes back as K lists of K ints with the diagonal and upper triangle set to 0.
    """
    c, T, d = _int_list("c", c), _int_list("T", T), _int_list("d", d)
    K = len(c)
    if K == 0:
        raise ValueError("an AMOS unit needs K >= 1 gates, c is empty")
    if len(T) != K or len(d) != K:
        raise ValueError(f"c, T, d must have the same length K, not {K}, {len(T)}, {len(d)}")
    rows = list(h)
    if len(rows) != K or any(len(list(r)) != K for r in rows):
        raise ValueError(f"h must be a {K} x {K} matrix")
    h = [[v if j < i else 0 for j, v in enumerate(_int_list("h", r))]
         for i, r in enumerate(rows)]
    if c2 is not None:
        c2 = _int_list("c2", c2)
        if len(c2) != K:
            raise ValueError(f"c2 must have K={K} entries, not {len(c2)}")
    return c, T, h, d, c2


def relu_params(K):
    """The analytic ReLU unit as integers: c_i = 1, T_i = 2^(K-i), h_ij = 2^(K-j), d_i = 2^(K-i).

    With an integer input x (in units of the quantum alpha * 2^-K) gate i fires when the binary
    digit of weight 2^(K-i) of clamp(x, 0, 2^K - 1) is one, so the output is
    ``clamp(x, 0, 2^K - 1)`` exactly. Returns (c, T, h, d) as Python ints, h as K x K lists.
    """
    if isinstance(K, bool) or not isinstance(K, numbers.Integral) or K < 1:
        raise ValueError(f"K must be a positive integer, not {K!r}")
    K = int(K)
    w = [1 << (K - i) for i in range(1, K + 1)]
    h = [[w[j] if j < i else 0 for j in range(K)] for i in range(K)]
    return [1] * K, list(w), h, list(w)


def from_fs(T, h, d, one=1.0):
    """The AMOS unit equal to an FS neuron: c_i = 1, T_i = T(i), h_ij = h(j), d_i = d(i).

    ``one`` is the value of c_i: 1.0 for floats, ``1 << (Q-4)`` for Q-bit codes. Returns
    (c, T, h, d) as lists, h as K lists of K (zeros on and above the diagonal).
    """
    T, h, d = list(T), list(h), list(d)
    K = len(T)
    if len(h) != K or len(d) != K or K == 0:
        raise ValueError(f"T, h, d must have the same length K >= 1, not "
                         f"{len(T)}, {len(h)}, {len(d)}")
    zero = one * 0
    H = [[h[j] if j < i else zero for j in range(K)] for i in range(K)]
    return [one] * K, T, H, d


def codes_to_int(c, T, h, d, F, c2=None):
    """Q-bit codes -> hardware integers for an input with ``F`` fraction bits.

    c (and c2) and d stay codes; T and h are shifted left by F so that they are in units of
    (input LSB x c LSB) (derivation in the module docstring). Python ints, exact for any F.
    """
    if isinstance(F, bool) or not isinstance(F, numbers.Integral) or F < 0:
        raise ValueError(f"input fraction F must be an integer >= 0, not {F!r}")
    c, T, h, d, c2 = check_int_params(c, T, h, d, c2)
    T = [v << F for v in T]
    h = [[v << F for v in row] for row in h]
    return c, T, h, d, c2


# --------------------------------------------------------------------------------------------
# float models


def amos_float(x, c, T, h, d, *, y=None, c2=None, spike_train=False):
    """Float AMOS unit on every element of ``x`` (and ``y``).

    Parameters
    ----------
    x : array_like
        Inputs, any shape.
    c, T, d : sequence of float
        Input weights, thresholds and output weights of gates i = 1..K.
    h : K x K array_like
        Inhibition weights, ``h[i][j]`` used for j < i.
    y, c2 : array_like, sequence of float, optional
        Second input (broadcast with x) and its weights, for a two-input unit.
    spike_train : bool
        Return the spikes themselves instead of their count.

    Returns
    -------
    out : ndarray of float64
        ``sum_i d_i z_i``, shaped like x (broadcast with y).
    spikes : ndarray
        Number of gates that fired (int64) or, with ``spike_train``, z as booleans with a
        trailing axis of length K.
    """
    c, T, h, d, c2 = check_float_params(c, T, h, d, c2)
    if (y is None) != (c2 is None):
        raise ValueError("a two-input unit needs both y and c2")
    x = np.asarray(x, dtype=np.float64)
    if y is not None:
        x, y = np.broadcast_arrays(x, np.asarray(y, dtype=np.float64))
    K = len(c)
    z = np.zeros(x.shape + (K,), dtype=np.float64)
    for i in range(K):
        drive = c[i] * x - T[i]
        if y is not None:
            drive = drive + c2[i] * y
        if i:
            drive = drive - z[..., :i] @ h[i, :i]
        z[..., i] = drive >= 0
    out = z @ d
    if spike_train:
        return out, z.astype(bool)
    return out, z.sum(-1).astype(np.int64)


def amos_torch(x, c, T, h, d, *, y=None, c2=None, spike=None):
    """Torch AMOS unit, batched, differentiable through ``spike``.

    Parameters
    ----------
    x : torch.Tensor
        Inputs, any shape.
    c, T, d : torch.Tensor
        Shape (K,) each.
    h : torch.Tensor
        Shape (K, K); only the strictly lower triangle is used (and gets gradients).
    y, c2 : torch.Tensor, optional
        Second input (same shape as x) and its weights (K,), for a two-input unit.
    spike : callable, optional
        ``spike(u)`` returns z (float 0/1) for the gate argument u. Defaults to the Heaviside
        ``(u >= 0)``; training passes one with a pseudo-derivative.

    Returns
    -------
    out : torch.Tensor
        ``sum_i d_i z_i``.
    count : torch.Tensor
        Number of gates that fired (float, differentiable when ``spike`` is).
    """
    import torch

    if spike is None:
        def spike(u):
            return (u >= 0).to(u.dtype)
    K = c.shape[0]
    if T.shape[0] != K or d.shape[0] != K or tuple(h.shape) != (K, K):
        raise ValueError(f"c, T, d must have shape ({K},) and h ({K}, {K}), not "
                         f"{tuple(T.shape)}, {tuple(d.shape)}, {tuple(h.shape)}")
    if (y is None) != (c2 is None):
        raise ValueError("a two-input unit needs both y and c2")
    zs = []
    out = torch.zeros_like(x)
    count = torch.zeros_like(x)
    for i in range(K):
        u = c[i] * x - T[i]
        if y is not None:
            u = u + c2[i] * y
        for j in range(i):
            u = u - h[i, j] * zs[j]
        z = spike(u)
        zs.append(z)
        out = out + d[i] * z
        count = count + z
    return out, count


# --------------------------------------------------------------------------------------------
# exact integer model


def amos_int_bounds(x_range, c, T, h, d, *, y_range=None, c2=None):
    """Ranges of every integer quantity of the hardware, for any input in range, any spikes.

    Gate i's accumulator starts at ``c_i x [+ c'_i y] - T_i`` and each earlier gate subtracts
    ``h[i][j]`` or nothing, so whatever the spikes it stays within
    ``[min(c_i x) - T_i - sum_j max(h_ij, 0), max(c_i x) - T_i + sum_j max(-h_ij, 0)]``
    (plus the range of c'_i y); every partial sum the pipeline holds lies in the same range,
    since it is the same expression with fewer terms. The output and its partial sums lie
    between the sums of the negative and of the positive d.

    Parameters
    ----------
    x_range, y_range : (int, int)
        Smallest and largest input.

    Returns
    -------
    dict
        ``prod_x``, ``prod_y``: K (lo, hi) of c_i x and c'_i y (``prod_y`` None for one input);
        ``acc``: K (lo, hi) of gate i's accumulator at any stage; ``out``: (lo, hi) of the
        output.
    """
    c, T, h, d, c2 = check_int_params(c, T, h, d, c2)
    if (y_range is None) != (c2 is None):
        raise ValueError("a two-input unit needs both y_range and c2")

    def prod(w, rng):
        lo, hi = int(rng[0]), int(rng[1])
        if lo > hi:
            raise ValueError(f"empty input range [{lo}, {hi}]")
        ends = (w * lo, w * hi)
        return min(ends), max(ends)

    K = len(c)
    prod_x = [prod(c[i], x_range) for i in range(K)]
    prod_y = [prod(c2[i], y_range) for i in range(K)] if c2 is not None else None
    acc = []
    for i in range(K):
        lo = prod_x[i][0] - T[i] - sum(max(h[i][j], 0) for j in range(i))
        hi = prod_x[i][1] - T[i] + sum(max(-h[i][j], 0) for j in range(i))
        if prod_y is not None:
            lo, hi = lo + prod_y[i][0], hi + prod_y[i][1]
        acc.append((lo, hi))
    out = (sum(min(v, 0) for v in d), sum(max(v, 0) for v in d))
    return {"prod_x": prod_x, "prod_y": prod_y, "acc": acc, "out": out}


def _check_int_array(name, x):
    x = np.asarray(x)
    if x.dtype == object:
        for v in x.reshape(-1):
            if isinstance(v, bool) or not isinstance(v, numbers.Integral):
                raise TypeError(f"{name} must hold integers, not {v!r}")
    elif x.dtype.kind not in "iu":
        raise TypeError(f"{name} must be integers, not {x.dtype}")
    return x


#: Elements per chunk (as in sim.fs): the working arrays stay in cache.
_CHUNK = 1 << 15

#: Largest magnitude the int64 path accepts for any intermediate (one bit of head-room).
_INT64_SAFE = 1 << 62


def amos_int(x, c, T, h, d, *, y=None, c2=None):
    """Exact integer AMOS unit: the golden model of every AMOS core.

    Parameters
    ----------
    x : array_like of int
        Inputs in input-LSB units, any shape.
    c, T, d : sequence of int
        c in c-LSB units; T in (input LSB x c LSB) units; d in output-LSB units.
    h : K x K ints
        In (input LSB x c LSB) units, ``h[i][j]`` used for j < i.
    y, c2 : array_like of int, sequence of int, optional
        Second input (shape of x) and its weights, for a two-input unit.

    Returns
    -------
    value : ndarray
        ``sum_i d_i z_i``: int64, or object (Python ints) when it could exceed 62 bits.
    spikes : ndarray
        Bit mask, bit i-1 = z_i: int64 for K <= 62, object above.

    Notes
    -----
    ``acc_i = c_i*x [+ c'_i*y] - sum_{j<i} h[i][j]*z_j - T_i``, ``z_i = [acc_i >= 0]``. Vectorized
    in chunks; int64 when :func:`amos_int_bounds` proves nothing overflows, Python ints
    otherwise, so the result is exact for any parameter size.
    """
    c, T, h, d, c2 = check_int_params(c, T, h, d, c2)
    if (y is None) != (c2 is None):
        raise ValueError("a two-input unit needs both y and c2")
    K = len(c)
    x = _check_int_array("x", x)
    if y is not None:
        y = _check_int_array("y", y)
        if y.shape != x.shape:
            raise ValueError(f"x and y must have the same shape, not {x.shape} and {y.shape}")
    shape = x.shape
    flat_x = x.reshape(-1)
    flat_y = y.reshape(-1) if y is not None else None
    if flat_x.size == 0:
        return np.zeros(shape, dtype=np.int64), np.zeros(shape, dtype=np.int64)
    bounds = amos_int_bounds(
        (int(flat_x.min()), int(flat_x.max())), c, T, h, d, c2=c2,
        y_range=None if y is None else (int(flat_y.min()), int(flat_y.max())))
    ends = [abs(v) for lo_hi in bounds["acc"] + bounds["prod_x"] + [bounds["out"]]
            for v in lo_hi]
    if bounds["prod_y"] is not None:
        ends += [abs(v) for lo_hi in bounds["prod_y"] for v in lo_hi]
    ends += [abs(v) for v in T] + [abs(v) for row in h for v in row]
    exact = max(ends) >= _INT64_SAFE or K > 62
    work = object if exact else np.int64

    value = np.empty(flat_x.size, dtype=work)
    spikes = np.empty(flat_x.size, dtype=work)
    hw = [[work(v) if work is np.int64 else v for v in row] for row in h]
    for start in range(0, flat_x.size, _CHUNK):
        xs = flat_x[start:start + _CHUNK].astype(work)
        ys = flat_y[start:start + _CHUNK].astype(work) if y is not None else None
        # acc[i] starts at c_i x + c'_i y - T_i; gate j's spike then subtracts h[i][j] from
        # every later accumulator i > j (the order the pipeline uses, same sums)
        acc = []
        for i in range(K):
            a = xs * c[i] - T[i]
            if ys is not None:
                a = a + ys * c2[i]
            acc.append(a)
        val = np.zeros(xs.shape, dtype=work)
        bits = np.zeros(xs.shape, dtype=work)
        for j in range(K):
            fired = acc[j] >= 0
            z = fired.astype(work)
            val = val + z * d[j]
            bits = bits + z * (1 << j)
            for i in range(j + 1, K):
                if h[i][j]:
                    acc[i] = acc[i] - z * hw[i][j]
        value[start:start + _CHUNK] = val
        spikes[start:start + _CHUNK] = bits
    if exact and K <= 62:
        spikes = spikes.astype(np.int64)
    if exact and max(abs(v) for v in bounds["out"]) < _INT64_SAFE:
        value = value.astype(np.int64)
    return value.reshape(shape), spikes.reshape(shape)
