"""Bit widths from value ranges.

Every register width in the generated cores comes from the range of values it must hold,
computed from the parameters (see :func:`sim.fs.fs_int_bounds`), through these helpers.
"""

__all__ = ["signed_width", "unsigned_width", "signed_range"]


def signed_width(lo, hi):
    """Fewest bits of a two's-complement number holding every integer in [lo, hi].

    ``w`` bits hold [-2**(w-1), 2**(w-1) - 1], so w is the smallest with both ends inside.
    """
    lo, hi = int(lo), int(hi)
    if lo > hi:
        raise ValueError(f"empty range [{lo}, {hi}]")
    w = 1
    while not (-(1 << (w - 1)) <= lo and hi <= (1 << (w - 1)) - 1):
        w += 1
    return w


def unsigned_width(hi):
    """Fewest bits (at least 1) of an unsigned number holding [0, hi]."""
    hi = int(hi)
    if hi < 0:
        raise ValueError(f"negative bound {hi}")
    return max(1, hi.bit_length())


def signed_range(width):
    """(lo, hi) of a signed ``width``-bit number."""
    return -(1 << (width - 1)), (1 << (width - 1)) - 1
