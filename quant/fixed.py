"""The Q-bit parameter format and its conversion to hardware integers.

A parameter (threshold T, reset h, output weight d) is a Q-bit two's-complement code
``c`` in ``[-2**(Q-1), 2**(Q-1) - 1]`` with value ``c * 2**(4-Q)``: 2**Q evenly spaced levels
covering ``[-8, 8)``. The step ("LSB") is ``2**(4-Q)``, so the code is a fixed-point number with
``Q-4`` fraction bits (negative for Q < 4: the step is then larger than one).

Rounding is to nearest with ties to even, the rule of both ``numpy.rint`` and ``torch.round``, so
the fake-quantizer used in training and this quantizer agree bit for bit; values beyond the range
saturate to the end codes.

In hardware the input x has F fraction bits (real value ``x * 2**-F``). The neuron compares the
membrane with T and subtracts h, so T and h must be in input-LSB units:
``T_int = code_T << (F - (Q-4))``, which needs ``F >= Q - 4``. The output weights d stay codes: the
output sum ``sum_t d(t) z(t)`` has ``Q-4`` fraction bits.
"""

import numbers

import numpy as np

from common.checks import InputError, InputTypeError, check_int

__all__ = ["QFormat", "Q_MIN", "Q_MAX", "check_Q"]

Q_MIN = 2
Q_MAX = 16

#: The range the format covers, [-RANGE, RANGE).
RANGE = 8.0


def check_Q(Q):
    """Return ``Q`` as an int after checking ``Q_MIN <= Q <= Q_MAX`` (:class:`InputError`)."""
    return check_int("Q", Q, Q_MIN, Q_MAX)


class QFormat:
    """Q-bit two's-complement parameter codes, ``value = code * 2**(4-Q)``.

    Parameters
    ----------
    Q : int
        Code width in bits, 2 to 16.

    Attributes
    ----------
    frac : int
        Fraction bits of a code, ``Q - 4`` (negative for Q < 4).
    lsb : float
        Value of one code step, ``2**(4-Q)``.
    code_min, code_max : int
        ``-2**(Q-1)`` and ``2**(Q-1) - 1``.
    """

    def __init__(self, Q):
        self.Q = check_Q(Q)
        self.frac = self.Q - 4
        self.lsb = 2.0 ** -self.frac
        self.code_min = -(1 << (self.Q - 1))
        self.code_max = (1 << (self.Q - 1)) - 1

    def __repr__(self):
        return f"QFormat({self.Q})"

    def __eq__(self, other):
        return isinstance(other, QFormat) and other.Q == self.Q

    def __hash__(self):
        return hash(("QFormat", self.Q))

    @property
    def value_min(self):
        return self.code_min * self.lsb

    @property
    def value_max(self):
        return self.code_max * self.lsb

    def quantize(self, x):
        """Codes (int64 array) nearest to the float values ``x``, ties to even, saturating.

        Raises ``ValueError`` for NaN; infinities saturate.
        """
        x = np.asarray(x, dtype=np.float64)
        if np.isnan(x).any():
            raise InputError("cannot quantize NaN")
        scaled = np.clip(x / self.lsb, self.code_min, self.code_max)
        return np.rint(scaled).astype(np.int64)

    def value(self, codes):
        """Float values of ``codes`` (exact: every code is a dyadic rational in float64)."""
        codes = self.check_codes(codes)
        return codes.astype(np.float64) * self.lsb

    def round_trip(self, x):
        """``value(quantize(x))``: the nearest representable value."""
        return self.value(self.quantize(x))

    def check_codes(self, codes, name="code"):
        """Return ``codes`` as an int64 array after checking each is an integer in range.

        Floats are refused even when integral: a code file with ``3.0`` in it is malformed.
        """
        arr = np.asarray(codes)
        if arr.dtype.kind in "iu":
            values = arr.reshape(-1).tolist()
        elif arr.dtype.kind == "O" or arr.dtype.kind == "f" or arr.dtype.kind == "b":
            values = arr.reshape(-1).tolist()
            for c in values:
                if isinstance(c, bool) or not isinstance(c, numbers.Integral):
                    raise InputTypeError(f"{name} must be an integer, not {c!r}")
        else:
            raise InputTypeError(f"{name} must be integers, not {arr.dtype}")
        for c in values:
            if not self.code_min <= c <= self.code_max:
                raise InputError(f"{name} {int(c)} is out of range for Q={self.Q} "
                                 f"[{self.code_min}, {self.code_max}]")
        return np.array(values, dtype=np.int64).reshape(arr.shape)

    def to_hw(self, codes, F):
        """Codes scaled to an input with ``F`` fraction bits: ``code << (F - (Q-4))``.

        Returns a list of Python ints (exact for any F).
        """
        shift = self.hw_shift(F)
        return [int(c) << shift for c in self.check_codes(codes)]

    def hw_shift(self, F):
        """The left shift that turns a code into input-LSB units, ``F - (Q-4)``."""
        if isinstance(F, bool) or not isinstance(F, numbers.Integral):
            raise InputTypeError(f"input fraction F must be an integer, not {F!r}")
        shift = int(F) - self.frac
        if shift < 0:
            raise InputError(f"input fraction F={F} is too small for Q={self.Q} codes: "
                             f"need F >= Q-4 = {self.frac}")
        return shift
