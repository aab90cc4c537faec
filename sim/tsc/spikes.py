"""Argument checks and array helpers shared by the TSC golden models.

Spike trains are boolean arrays with the time axis second to last: ``pos[..., t, m]`` is a
positive spike of channel m at step t (0-based). A frame is a run of steps that starts with
``first[t] = True``.
"""

import numbers

import numpy as np

__all__ = ["check_steps", "check_unit", "as_int_array", "as_spikes", "first_flags", "check_width",
           "wrap"]


def check_steps(N, name="N"):
    """``N`` as an int, checked to be a positive integer."""
    if isinstance(N, bool) or not isinstance(N, numbers.Integral) or N < 1:
        raise ValueError(f"{name} must be a positive integer, not {N!r}")
    return int(N)


def check_unit(p):
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


def as_int_array(values, name):
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


def as_spikes(x, name):
    """``x`` as a bool array; 0/1 integers are accepted."""
    arr = np.asarray(x)
    if arr.dtype == bool:
        return arr
    if arr.dtype.kind not in "iu" or (arr.size and (arr.min() < 0 or arr.max() > 1)):
        raise ValueError(f"{name} must hold 0/1 spikes (booleans)")
    return arr.astype(bool)


def first_flags(first, T):
    """Frame-start flags for T steps; None means one frame starting at step 0."""
    if first is None:
        flags = np.zeros(T, dtype=bool)
        if T:
            flags[0] = True
        return flags
    flags = as_spikes(first, "first").reshape(-1)
    if flags.shape != (T,):
        raise ValueError(f"first must have one flag per step ({T}), not {flags.size}")
    return flags


def check_width(name, width):
    """A register width: None (unbounded) or an integer >= 2."""
    if width is not None and (isinstance(width, bool) or not isinstance(width, numbers.Integral)
                              or width < 2):
        raise ValueError(f"{name} must be an integer >= 2, not {width!r}")
    return width


def wrap(x, width):
    """``x`` wrapped to a ``width``-bit two's-complement number (what a register keeps)."""
    half = 1 << (width - 1)
    return ((x + half) % (1 << width)) - half
