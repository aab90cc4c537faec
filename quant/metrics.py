"""The one accuracy figure of a neuron model: its MSE over every representable input.

A hardware neuron sees W-bit inputs x with F fraction bits (real value ``x 2^-F``) and returns
integer outputs with ``out_frac`` fraction bits. Its error against the activation f is measured
over every representable input whose real value lies in the interval ``[lo, hi)`` (the grid of
pairs for a two-input unit), exactly as the core computes it. Training reports, the parameter
report, the manifests and the board demo all use :func:`representable_mse`.

Figures that go into generated files must be the same on every machine: the squared errors are
summed exactly (``math.fsum``, independent of order and SIMD width) and the mean is rounded to
:data:`DIGITS` significant digits, which absorbs the last-bit differences of vectorized ``exp``
between CPUs.
"""

import math
from fractions import Fraction

import numpy as np

__all__ = ["representable_range", "representable_inputs", "representable_mse", "round_sig",
           "exact_mean_square", "exact_mean", "DIGITS", "MAX_POINTS"]

#: Significant digits of every MSE written to a file.
DIGITS = 6

#: More representable inputs than this are thinned to every stride-th one.
MAX_POINTS = 1 << 22


def round_sig(value, digits=DIGITS):
    """``value`` rounded to ``digits`` significant digits (None and non-finite pass through as
    None)."""
    if value is None or not math.isfinite(value):
        return None
    return float(f"{value:.{digits}g}")


def representable_range(interval, frac, width=None):
    """``(a, b)``: the first and last integer x with ``x 2^-frac`` in ``[lo, hi)`` (and inside
    the signed ``width``-bit range when given), computed exactly; ``b < a`` when there is
    none."""
    lo, hi = interval
    scale = Fraction(2) ** int(frac)
    a = math.ceil(Fraction(lo) * scale)
    b = math.ceil(Fraction(hi) * scale) - 1
    if width is not None:
        a = max(a, -(1 << (width - 1)))
        b = min(b, (1 << (width - 1)) - 1)
    return a, b


def representable_inputs(interval, frac, width=None, max_points=MAX_POINTS):
    """Every integer x with ``x 2^-frac`` in ``[lo, hi)`` (and inside the signed ``width``-bit
    range when given), thinned evenly to at most ``max_points``.

    Returns ``(x, stride)``: int64 inputs and the stride (1 when none were left out).
    """
    a, b = representable_range(interval, frac, width)
    if b < a:
        return np.zeros(0, dtype=np.int64), 1
    stride = max(1, -(-(b - a + 1) // max_points)) if max_points else 1
    return np.arange(a, b + 1, stride, dtype=np.int64), stride


def exact_mean_square(err):
    """Mean of ``err**2``, summed exactly (``math.fsum``); None for no values."""
    err = np.asarray(err, dtype=np.float64).reshape(-1)
    return exact_mean(err * err)


def exact_mean(values, weights=None):
    """The mean (or the ``weights``-weighted mean) of ``values``, its sums exact
    (``math.fsum``): the same in any order and on any machine; None for no values."""
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    if values.size == 0:
        return None
    if weights is None:
        return math.fsum(values.tolist()) / values.size
    weights = np.asarray(weights, dtype=np.float64).reshape(-1)
    return math.fsum((values * weights).tolist()) / math.fsum(weights.tolist())


def representable_mse(model, f, interval, frac, out_frac, width=None, two_input=False,
                      max_points=MAX_POINTS):
    """MSE of an integer neuron model against ``f`` over every representable input.

    Parameters
    ----------
    model : callable
        ``model(x)`` (or ``model(x, y)`` for two inputs) -> integer outputs, int64 arrays.
    f : callable
        The target, a numpy function of the real input(s).
    interval : (lo, hi)
        Real input interval, ``[lo, hi)`` (for x and y alike).
    frac, out_frac : int
        Fraction bits of the inputs and of the outputs.
    width : int, optional
        Signed input width: inputs outside it are left out.
    two_input : bool
        Measure over the grid of all (x, y) pairs.

    Returns
    -------
    dict
        ``interval``, ``inputs`` (how many points), ``stride``, ``value`` (rounded to
        :data:`DIGITS` significant digits; None when no input is representable).
    """
    x, stride = representable_inputs(interval, frac, width, max_points)
    if two_input:
        x, y = (g.reshape(-1) for g in np.meshgrid(x, x, indexing="ij"))
        got, real = model(x, y), (x * 2.0 ** -frac, y * 2.0 ** -frac)
    else:
        got, real = (model(x) if x.size else x), (x * 2.0 ** -frac,)
    value = None
    if x.size:
        err = np.asarray(got, dtype=np.float64) * 2.0 ** -out_frac - f(*real)
        value = round_sig(exact_mean_square(err))
    return {"interval": [_num(v) for v in interval], "inputs": int(x.size), "stride": stride,
            "value": value}


def _num(v):
    return int(v) if float(v).is_integer() else float(v)
