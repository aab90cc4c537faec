"""AMOS parameter sets: the ``amos_*.json`` files in ``quant/params/`` and their strict loader.

Same conventions as the FS sets (:mod:`quant.params`), gate i = 1..K in list order::

    {"activation": "silu", "K": 12, "interval": [-8, 12],
     "c": [...], "T": [...], "d": [...],              # K floats in [-8, 8]
     "h": [[...], ...],                                # K x K, h[i][j] used for j < i
     "made_by": {"command": "...", "seed": 0, "mse": {"[-2,2]": ..., ...}}}

A Q-bit set adds ``"Q": 8`` and then every parameter is an integer code
(:class:`quant.fixed.QFormat`, value = code * 2^(4-Q)). A two-input set (``"activation":
"mul"``, the product x*y) adds ``"c2"``: the K weights c'_i of the second input y; its interval
applies to x and to y.

``h`` is the full K x K matrix with zeros on and above the diagonal: a non-zero there is an
error, which catches a transposed (upper-triangle) matrix instead of silently ignoring it.
No other keys are allowed. Every problem is a :class:`quant.params.ParamError` (a
``ValueError``) with a one-line message naming the file.
"""

import json
import math
import numbers
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from common.cli import atomic_write, dumps_json
from sim.amos import from_fs, relu_params
from .fixed import QFormat, RANGE
from .params import (CodedSet, ParamError, _is_number, _num,
                     _validate as _validate_fs_fields, list_shipped, shipped_path)

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

_REQUIRED = ("activation", "K", "interval", "c", "T", "h", "d")
_OPTIONAL = ("c2", "Q", "made_by")


def input_range(interval, frac):
    """(lo, hi) of the integers x whose real value ``x 2^-frac`` lies in ``[interval[0],
    interval[1])``, computed exactly: every input a core with ``frac`` fraction bits can be given
    inside the training interval (the grid every "MSE over representable inputs" uses)."""
    scale = Fraction(2) ** int(frac)
    return (math.ceil(Fraction(interval[0]) * scale),
            math.ceil(Fraction(interval[1]) * scale) - 1)


def two_input_function(name):
    """The numpy function f(x, y) of a two-input activation name (``KeyError`` if unknown)."""
    return TWO_INPUT[name][0]


@dataclass(frozen=True)
class AmosParamSet(CodedSet):
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

    def __post_init__(self):
        _validate(self.__dict__, source="AMOS parameter set")

    @property
    def two_input(self):
        return self.c2 is not None

    def values(self):
        """Float64 arrays (c, T, h, d, c2): the values the codes stand for, or the floats.

        ``c2`` is None for a one-input set; h is K x K.
        """
        c2 = None if self.c2 is None else self._as_values(self.c2)
        return (self._as_values(self.c), self._as_values(self.T), self._as_values(self.h),
                self._as_values(self.d), c2)

    def quantized(self, Q):
        """Round a float set to Q-bit codes (no retraining)."""
        if self.Q is not None:
            raise ValueError(f"set is already quantized to Q={self.Q}")
        q = QFormat(Q)

        def codes(p):
            return tuple(int(v) for v in q.quantize(p))

        return AmosParamSet(self.activation, self.K, self.interval, codes(self.c),
                            codes(self.T), tuple(codes(r) for r in self.h), codes(self.d),
                            c2=None if self.c2 is None else codes(self.c2), Q=q.Q)

    def to_hw(self, F):
        """Hardware integers for an input with ``F`` fraction bits (Q-bit sets only).

        Returns (c, T, h, d, c2) as Python ints: c, c2, d are the codes, T and h are
        ``code << F`` (units of input LSB x c LSB; see :mod:`sim.amos`).
        """
        from sim.amos import codes_to_int

        if self.Q is None:
            raise ValueError("a float set has no hardware integers: quantize it to a Q first")
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
                raise ValueError(f"c = 1 is not a Q={fs.Q} code (needs Q >= 4)")
            one = 1 << (fs.Q - 4)
        c, T, h, d = from_fs(fs.T, fs.h, fs.d, one=one)
        made_by = {"from_fs": dict(fs.made_by) if fs.made_by else {}}
        return cls(fs.activation, fs.K, fs.interval, tuple(c), tuple(T),
                   tuple(tuple(r) for r in h), tuple(d), Q=fs.Q, made_by=made_by)

    def with_made_by(self, made_by):
        return AmosParamSet(self.activation, self.K, self.interval, self.c, self.T, self.h,
                            self.d, c2=self.c2, Q=self.Q, made_by=made_by)

    def to_dict(self):
        conv = int if self.Q is not None else float
        out = {"activation": self.activation, "K": self.K,
               "interval": [_num(v) for v in self.interval]}
        if self.Q is not None:
            out["Q"] = self.Q
        out["c"] = [conv(v) for v in self.c]
        if self.c2 is not None:
            out["c2"] = [conv(v) for v in self.c2]
        out["T"] = [conv(v) for v in self.T]
        out["h"] = [[conv(v) for v in row] for row in self.h]
        out["d"] = [conv(v) for v in self.d]
        if self.made_by is not None:
            out["made_by"] = self.made_by
        return out


def relu_set(K):
    """The analytic ReLU unit (c = 1, T = d = 2^(K-i), h_ij = 2^(K-j)) as integer hardware
    parameters (c, T, h, d): in units of the quantum, no codes. See :func:`sim.amos.relu_params`.
    """
    return relu_params(K)


def _validate(obj, source):
    """Check a set's fields (dict from JSON or the dataclass ``__dict__``)."""

    def fail(message):
        raise ParamError(f"{source}: {message}")

    # activation, K, interval, Q, T, d and made_by follow the FS rules word for word; the FS
    # check also wants an 'h' list of K numbers, so give it T in that place
    _validate_fs_fields({**obj, "h": obj["T"]}, source)
    K, Q = obj["K"], obj.get("Q")
    qf = QFormat(int(Q)) if Q is not None else None

    def check_value(label, v):
        if Q is not None:
            if isinstance(v, bool) or not isinstance(v, numbers.Integral):
                fail(f"{label} = {v!r} is not an integer code (the set has Q={Q})")
            if not qf.code_min <= v <= qf.code_max:
                fail(f"{label} = {v} is out of range for Q={Q} [{qf.code_min}, {qf.code_max}]")
        else:
            if not _is_number(v):
                fail(f"{label} = {v!r} is not a number")
            if not math.isfinite(v):
                fail(f"{label} = {v!r} is not finite")
            if not -RANGE <= v <= RANGE:
                fail(f"{label} = {v!r} is outside [-8, 8]")

    def check_vector(name):
        seq = obj[name]
        if not isinstance(seq, (list, tuple)):
            fail(f"'{name}' must be a list of {K} numbers, not {type(seq).__name__}")
        if len(seq) != K:
            fail(f"'{name}' has {len(seq)} entries, K={K} needs {K}")
        for i, v in enumerate(seq, start=1):
            check_value(f"{name}({i})", v)

    check_vector("c")
    h = obj["h"]
    if not isinstance(h, (list, tuple)) or len(h) != K \
            or not all(isinstance(r, (list, tuple)) for r in h):
        fail(f"'h' must be a {K} x {K} matrix (a list of {K} rows)")
    for i, row in enumerate(h, start=1):
        if len(row) != K:
            fail(f"'h' row {i} has {len(row)} entries, K={K} needs {K}")
        for j, v in enumerate(row, start=1):
            check_value(f"h({i},{j})", v)
            if j >= i and v != 0:
                fail(f"h({i},{j}) = {v!r} is on or above the diagonal: only h(i,j) with j < i "
                     f"is used and the rest must be 0 (is the matrix transposed?)")
    act = obj["activation"].strip() if isinstance(obj["activation"], str) else obj["activation"]
    c2 = obj.get("c2")
    if act in TWO_INPUT and c2 is None:
        fail(f"'{act}' is a two-input function: the set needs 'c2'")
    if c2 is not None:
        if act not in TWO_INPUT:
            fail(f"'c2' is only for two-input functions ({', '.join(sorted(TWO_INPUT))}), "
                 f"not {act!r}")
        check_vector("c2")


def loads(text, source="<string>"):
    """Parse and validate an AMOS set from JSON text."""
    try:
        obj = json.loads(text, parse_constant=lambda c: float(c))
    except json.JSONDecodeError as exc:
        raise ParamError(f"{source}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(obj, dict):
        raise ParamError(f"{source}: expected a JSON object, not {type(obj).__name__}")
    unknown = sorted(set(obj) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        raise ParamError(f"{source}: unknown key(s) {', '.join(map(repr, unknown))} "
                         f"(allowed: {', '.join(_REQUIRED + _OPTIONAL)})")
    missing = [k for k in _REQUIRED if k not in obj]
    if missing:
        hint = ""
        if "c" in missing and not {"c", "T", "h", "d"} - set(obj) - {"c"}:
            hint = " (an FS-neuron set? AMOS sets need c and a K x K h)"
        raise ParamError(f"{source}: missing key(s) {', '.join(map(repr, missing))}{hint}")
    _validate(obj, source)
    Q = obj.get("Q")
    conv = int if Q is not None else float

    def vec(name):
        return tuple(conv(v) for v in obj[name])

    return AmosParamSet(
        activation=obj["activation"].strip(), K=int(obj["K"]),
        interval=(float(obj["interval"][0]), float(obj["interval"][1])),
        c=vec("c"), T=vec("T"), h=tuple(tuple(conv(v) for v in row) for row in obj["h"]),
        d=vec("d"), c2=vec("c2") if "c2" in obj else None, Q=None if Q is None else int(Q),
        made_by=obj.get("made_by"))


def load(path):
    """Load and validate an AMOS parameter file; :class:`ParamError` (one line) if it is bad."""
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ParamError(f"{path}: no such parameter file") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise ParamError(f"{path}: cannot read ({exc.__class__.__name__})") from None
    return loads(text, source=str(path))


def save(paramset, path):
    """Write a set as JSON, atomically."""
    atomic_write(path, dumps_json(paramset.to_dict()))


def amos_path(activation, K, Q=None):
    """Path of a shipped AMOS set: ``quant/params/amos_<act>_K<K>[_Q<Q>].json``."""
    return shipped_path(activation, K, Q, prefix=PREFIX)


def list_amos():
    """Names (without .json) of the shipped AMOS sets."""
    return list_shipped(PREFIX)
