"""Golden model of the rate-coded integrate-and-fire (IF) neuron: the FS neuron's baseline.

Rate coding spends one time step per output level: to give the same output precision as a
K-spike FS neuron (2^K levels) an IF neuron needs N = 2^K - 1 steps per value. Each step::

    v = max(v + x, 0)              integrate (the membrane cannot go below rest)
    s = [v >= theta]               fire
    if s: v -= theta               soft reset (subtract the threshold)
    count += s

The output is the spike count after N steps. With ``theta = N`` the membrane stays in [0, N)
after every reset, so after N steps ``count = floor(N x / N) = x`` for 0 <= x <= N, N for larger
x (it fires every step) and 0 for x <= 0: the IF neuron computes ``clamp(x, 0, 2^K - 1)``, the
very function of the FS ReLU core with the same K (T = h = d = 2^(K-t)), on the same integer
input. So the two are compared on equal terms: same function, same precision, same input and
output bits; the FS neuron needs K steps, the IF neuron 2^K - 1.
"""

import numbers

import numpy as np

__all__ = ["if_int", "if_step", "check_if_params", "K_MAX"]

#: Largest K: 2^K - 1 steps per value, so beyond this a value takes seconds.
K_MAX = 24


def check_if_params(K, theta=None):
    """``(K, theta)`` checked: K in 1..K_MAX, theta a positive integer (default 2^K - 1)."""
    if isinstance(K, bool) or not isinstance(K, numbers.Integral):
        raise TypeError(f"K must be an integer, not {K!r}")
    if not 1 <= K <= K_MAX:
        raise ValueError(f"K must be between 1 and {K_MAX}, not {K}")
    theta = (1 << int(K)) - 1 if theta is None else theta
    if isinstance(theta, bool) or not isinstance(theta, numbers.Integral) or theta < 1:
        raise ValueError(f"theta must be a positive integer, not {theta!r}")
    return int(K), int(theta)


def if_int(x, K, theta=None):
    """Exact integer model: spike count of the rate-coded IF neuron after 2^K - 1 steps.

    Parameters
    ----------
    x : array_like of int
        Inputs (signed integers), any shape.
    K : int
        Output precision: 2^K - 1 steps, counts 0 .. 2^K - 1.
    theta : int, optional
        Threshold; default 2^K - 1, which makes the count ``clamp(x, 0, 2^K - 1)``.

    Returns
    -------
    ndarray of int64
        The spike counts, shaped like ``x``.
    """
    K, theta = check_if_params(K, theta)
    x = np.asarray(x, dtype=np.int64)
    v = np.zeros_like(x)
    count = np.zeros_like(x)
    for _ in range((1 << K) - 1):
        v, s = if_step(v, x, theta)
        count += s
    return count


def if_step(v, x, theta):
    """One time step of IF neurons whose input current may change from step to step (a
    network layer): ``u = max(v + x, 0)``, ``s = [u >= theta]``, ``v' = u - theta s``.

    ``v`` and ``x`` are integer numpy arrays or torch tensors of one shape (int64); returns
    ``(v', s)`` with ``s`` as integers 0/1 of the same kind. Exact as long as ``v + x`` fits.
    """
    u = v + x
    u = u * (u > 0)
    s = (u >= theta) * 1
    return u - s * theta, s
