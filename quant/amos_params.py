"""AMOS parameter sets: the ``amos_*.json`` files in ``quant/params/``.

The FS conventions (:mod:`quant.paramfile`), gate i = 1..K in list order::

    {"activation": "silu", "K": 12, "interval": [-8, 12],
     "c": [...], "T": [...], "d": [...],              # K floats in [-8, 8]
     "h": [[...], ...],                                # K x K, h[i][j] used for j < i
     "made_by": {"command": "...", "seed": 0, "mse": {"[-2,2]": ..., ...}}}

A Q-bit set adds ``"Q": 8`` and then every parameter is an integer code
(:class:`quant.fixed.QFormat`, value = code * 2^(4-Q)). A two-input set (``"activation":
"mul"``, the product x*y) adds ``"c2"``: the K weights c'_i of the second input y; its interval
applies to x and to y. ``h`` is the full K x K matrix with zeros on and above the diagonal.
"""

from dataclasses import dataclass, field

import numpy as np

from common.checks import InputError
from sim.amos import from_fs, relu_params
from .metrics import representable_range
from .paramfile import LOWER, VECTOR, ParamError, ParamSet, list_shipped, shipped_path

__all__ = ["AmosParamSet", "load", "loads", "save", "PREFIX", "TWO_INPUT", "amos_path",
           "list_amos", "relu_set", "ParamError", "two_input_function", "input_range"]

#: File-name prefix of AMOS sets in quant/params/.
PREFIX = "amos_"

#: Two-input functions f(x, y) an AMOS set may approximate, with their default interval
#: (for both x and y).
TWO_INPUT = {
    "mul": (lambda x, y: np.asarray(x, dtype=np.float64) * np.asarray(y, dtype=np.float64),
            (-1.0, 1.0)),
}

#: ``(lo, hi)``: the integers x with ``x 2^-frac`` in ``[interval[0], interval[1])``, exactly
#: (:func:`quant.metrics.representable_range`).
input_range = representable_range


def two_input_function(name):
    """The numpy function f(x, y) of a two-input activation name (``KeyError`` if unknown)."""
    return TWO_INPUT[name][0]


@dataclass(frozen=True)
class AmosParamSet(ParamSet):
    """One AMOS parameter set.

    Parameters
    ----------
    activation : str
        The approximated function: a name, an expression of x, or a two-input name
        (:data:`TWO_INPUT`).
    K : int
        Number of gates.
    interval : tuple of float
        The training interval (lo, hi), of x and (two-input) of y.
    c, T, d : tuple
        Input weights, thresholds, output weights of gates 1..K: floats in [-8, 8] or integer
        codes for a Q-bit set.
    h : tuple of tuple
        K x K inhibition weights, h[i][j] for j < i, zero elsewhere.
    c2 : tuple or None
        Weights c'_i of the second input of a two-input set, None for one input.
    Q : int or None
        Code width of a quantized set, None for a float set.
    made_by : dict or None
        How the set was made (``command``, ``seed``, ``mse``), free-form.
    """

    PARAMS = {"c": VECTOR, "c2": VECTOR, "T": VECTOR, "h": LOWER, "d": VECTOR}
    OPTIONAL = ("c2",)
    PREFIX = PREFIX
    SOURCE = "AMOS parameter set"

    activation: str
    K: int
    interval: tuple
    c: tuple
    T: tuple
    h: tuple
    d: tuple
    c2: tuple = None
    Q: int = None
    made_by: dict = field(default=None, compare=False)

    @classmethod
    def check_more(cls, obj, fail):
        act = obj["activation"].strip()
        c2 = obj.get("c2")
        if act in TWO_INPUT and c2 is None:
            fail(f"'{act}' is a two-input function: the set needs 'c2'")
        if c2 is not None and act not in TWO_INPUT:
            fail(f"'c2' is only for two-input functions ({', '.join(sorted(TWO_INPUT))}), "
                 f"not {act!r}")

    @classmethod
    def missing_hint(cls, obj, missing):
        if "c" in missing and {"T", "h", "d"} <= set(obj):
            return " (an FS-neuron set? AMOS sets need c and a K x K h)"
        return ""

    @property
    def two_input(self):
        return self.c2 is not None

    def target(self):
        if self.activation in TWO_INPUT:
            return two_input_function(self.activation)
        return super().target()

    def float_model(self):
        from sim.amos import amos_float

        c, T, h, d, c2 = self.values()
        if c2 is None:
            return lambda x: amos_float(x, c, T, h, d)[0]
        return lambda x, y: amos_float(x, c, T, h, d, y=y, c2=c2)[0]

    def int_model(self, frac):
        from sim.amos import amos_int

        c, T, h, d, c2 = self.to_hw(frac)
        if c2 is None:
            return lambda x: amos_int(x, c, T, h, d)[0]
        return lambda x, y: amos_int(x, c, T, h, d, y=y, c2=c2)[0]

    def values(self):
        """Float64 arrays (c, T, h, d, c2): the values the codes stand for, or the floats.

        ``c2`` is None for a one-input set; h is K x K.
        """
        a = self.arrays()
        return a["c"], a["T"], a["h"], a["d"], a.get("c2")

    def to_hw(self, F):
        """Hardware integers for an input with ``F`` fraction bits (Q-bit sets only).

        Returns (c, T, h, d, c2) as Python ints: c, c2, d are the codes, T and h are
        ``code << F`` (units of input LSB x c LSB; see :mod:`sim.amos`).
        """
        from sim.amos import codes_to_int

        if self.Q is None:
            raise InputError("a float set has no hardware integers: quantize it to a Q first")
        return codes_to_int(self.c, self.T, self.h, self.d, F, c2=self.c2)

    @classmethod
    def from_fs(cls, fs):
        """The AMOS set equal to an FS set (:class:`quant.params.FSParamSet`): c_i = 1,
        h_ij = h(j). A Q-bit FS set gives a Q-bit AMOS set (needs Q >= 4 so that 1 is a code).
        """
        if fs.Q is None:
            one = 1.0
        else:
            if fs.Q < 4:
                raise InputError(f"c = 1 is not a Q={fs.Q} code (needs Q >= 4)")
            one = 1 << (fs.Q - 4)
        c, T, h, d = from_fs(fs.T, fs.h, fs.d, one=one)
        made_by = {"from_fs": dict(fs.made_by) if fs.made_by else {}}
        return cls.from_arrays(fs.activation, fs.K, fs.interval,
                               {"c": c, "T": T, "h": h, "d": d}, Q=fs.Q, made_by=made_by)


loads = AmosParamSet.loads
load = AmosParamSet.load


def save(paramset, path):
    """Write a set as JSON, atomically."""
    paramset.save(path)


def relu_set(K):
    """The analytic ReLU unit (c = 1, T = d = 2^(K-i), h_ij = 2^(K-j)) as integer hardware
    parameters (c, T, h, d): in units of the quantum, no codes. See :func:`sim.amos.relu_params`.
    """
    return relu_params(K)


def amos_path(activation, K, Q=None, folder=None):
    """Path of a shipped AMOS set: ``quant/params/amos_<act>_K<K>[_Q<Q>].json``."""
    return shipped_path(activation, K, Q, prefix=PREFIX, folder=folder)


def list_amos(folder=None):
    """Names (without .json) of the shipped AMOS sets."""
    return list_shipped(PREFIX, folder)
