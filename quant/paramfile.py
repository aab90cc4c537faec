"""Parameter files: the one strict reader, writer and validator of FS and AMOS sets.

A parameter file is a JSON object::

    {"activation": "silu", "K": 16, "interval": [-8, 12], ["Q": 8,]
     <parameters>,                                   # per neuron kind, in this order
     "made_by": {"command": "...", "seed": 0, "mse": {...}, ...}}

Without ``Q`` every parameter is a float in [-8, 8]; with it, an integer Q-bit code
(:class:`quant.fixed.QFormat`, value = code * 2^(4-Q)). A parameter is a vector of K entries or
a K x K matrix used only below its diagonal (every entry on or above it must be 0: a non-zero
there is usually a transposed matrix). No other keys are allowed: a typo in a key is an error,
not a silently ignored field.

:class:`ParamSet` is the base of the neuron kinds' frozen dataclasses
(:class:`quant.params.FSParamSet`, :class:`quant.amos_params.AmosParamSet`): a subclass
declares its parameters in :attr:`ParamSet.PARAMS` and may add checks
(:meth:`ParamSet.check_more`); loading, saving, validation, codes and provenance are written
here once. Every problem is a :class:`ParamError` whose message is one line naming the file (or
``parameter set`` for one built in code) and what is wrong.
"""

import dataclasses
import json
import math
import numbers
from pathlib import Path

import numpy as np

from common.checks import InputError
from common.cli import atomic_write, dumps_json
from .activations import get_activation, mse_by_region, number_text
from .fixed import Q_MAX, Q_MIN, QFormat, RANGE
from .metrics import exact_mean_square, representable_mse, round_sig

__all__ = ["ParamError", "ParamSet", "VECTOR", "LOWER", "K_MAX", "PARAMS_DIR", "shipped_path",
           "list_shipped", "read_json", "parse_json"]

#: Where the shipped sets live.
PARAMS_DIR = Path(__file__).resolve().parent / "params"

#: Largest K a parameter file may declare.
K_MAX = 64

#: Shapes of a parameter: K entries, or a K x K matrix used below its diagonal.
VECTOR, LOWER = "vector", "lower"


class ParamError(InputError):
    """A malformed or out-of-range parameter file; the message is one line."""


def read_json(path, what="parameter file"):
    """The JSON object in ``path``; :class:`ParamError` (one line naming the file) if the file
    is missing, unreadable, not JSON or not an object."""
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ParamError(f"{path}: no such {what}") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise ParamError(f"{path}: cannot read ({exc.__class__.__name__})") from None
    return parse_json(text, str(path))


def parse_json(text, source):
    """The JSON object in ``text`` (NaN and Infinity read as floats, so that the validator
    names them)."""
    try:
        obj = json.loads(text, parse_constant=float)
    except json.JSONDecodeError as exc:
        raise ParamError(f"{source}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(obj, dict):
        raise ParamError(f"{source}: expected a JSON object, not {type(obj).__name__}")
    return obj


def _num(v):
    return int(v) if float(v).is_integer() else float(v)


def _is_number(v):
    return not isinstance(v, bool) and isinstance(v, numbers.Real)


def _is_int(v):
    return not isinstance(v, bool) and isinstance(v, numbers.Integral)


def shipped_path(activation, K, Q=None, prefix="", folder=None):
    """``<folder>/<prefix><act>_K<K>[_Q<Q>].json`` (default folder :data:`PARAMS_DIR`)."""
    name = f"{prefix}{activation}_K{K}" + (f"_Q{Q}" if Q is not None else "") + ".json"
    return Path(folder if folder is not None else PARAMS_DIR) / name


def list_shipped(prefix="", folder=None):
    """Names (without .json) of the sets in ``folder`` whose file name starts with
    ``prefix``."""
    folder = Path(folder if folder is not None else PARAMS_DIR)
    return sorted(p.stem for p in folder.glob(f"{prefix}*.json"))


class _Checker:
    """The checks of one file's fields, each failing with a one-line :class:`ParamError`."""

    def __init__(self, obj, source):
        self.obj, self.source = obj, source
        self.K = self.Q = self.qformat = None

    def fail(self, message):
        raise ParamError(f"{self.source}: {message}")

    def header(self):
        obj = self.obj
        act = obj["activation"]
        if not isinstance(act, str) or not act.strip():
            self.fail(f"'activation' must be a non-empty string, not {act!r}")
        K = obj["K"]
        if not _is_int(K) or not 1 <= K <= K_MAX:
            self.fail(f"'K' must be an integer from 1 to {K_MAX}, not {K!r}")
        interval = obj["interval"]
        if (not isinstance(interval, (list, tuple)) or len(interval) != 2
                or not all(_is_number(v) and math.isfinite(v) for v in interval)
                or not interval[0] < interval[1]):
            self.fail(f"'interval' must be [lo, hi] with finite lo < hi, not {interval!r}")
        Q = obj.get("Q")
        if Q is not None:
            if not _is_int(Q) or not Q_MIN <= Q <= Q_MAX:
                self.fail(f"'Q' must be an integer from {Q_MIN} to {Q_MAX}, not {Q!r}")
            self.qformat = QFormat(int(Q))
        self.K, self.Q = int(K), Q

    def value(self, label, v):
        if self.Q is not None:
            q = self.qformat
            if not _is_int(v):
                self.fail(f"{label} = {v!r} is not an integer code (the set has Q={self.Q})")
            if not q.code_min <= v <= q.code_max:
                self.fail(f"{label} = {v} is out of range for Q={self.Q} "
                          f"[{q.code_min}, {q.code_max}]")
        else:
            if not _is_number(v):
                self.fail(f"{label} = {v!r} is not a number")
            if not math.isfinite(v):
                self.fail(f"{label} = {v!r} is not finite")
            if not -RANGE <= v <= RANGE:
                self.fail(f"{label} = {v!r} is outside [-8, 8]")

    def vector(self, name):
        seq, K = self.obj[name], self.K
        if not isinstance(seq, (list, tuple)):
            self.fail(f"'{name}' must be a list of {K} numbers, not {type(seq).__name__}")
        if len(seq) != K:
            self.fail(f"'{name}' has {len(seq)} entries, K={K} needs {K}")
        for i, v in enumerate(seq, start=1):
            self.value(f"{name}({i})", v)

    def lower(self, name):
        rows, K = self.obj[name], self.K
        if not isinstance(rows, (list, tuple)) or len(rows) != K \
                or not all(isinstance(r, (list, tuple)) for r in rows):
            self.fail(f"'{name}' must be a {K} x {K} matrix (a list of {K} rows)")
        for i, row in enumerate(rows, start=1):
            if len(row) != K:
                self.fail(f"'{name}' row {i} has {len(row)} entries, K={K} needs {K}")
            for j, v in enumerate(row, start=1):
                self.value(f"{name}({i},{j})", v)
                if j >= i and v != 0:
                    self.fail(f"{name}({i},{j}) = {v!r} is on or above the diagonal: only "
                              f"{name}(i,j) with j < i is used and the rest must be 0 (is the "
                              f"matrix transposed?)")

    def made_by(self):
        made_by = self.obj.get("made_by")
        if made_by is not None and not isinstance(made_by, dict):
            self.fail(f"'made_by' must be an object, not {type(made_by).__name__}")


class ParamSet:
    """Base of the parameter-set dataclasses: one neuron kind's file format.

    A subclass is a frozen dataclass with the fields ``activation``, ``K``, ``interval``, its
    parameters, ``Q`` and ``made_by``, and declares

    * :attr:`PARAMS` -- parameter name -> :data:`VECTOR` or :data:`LOWER`, in file order;
    * :attr:`OPTIONAL` -- parameters a file may leave out (None in the dataclass);
    * :attr:`PREFIX` -- file-name prefix of its shipped sets;
    * :meth:`check_more` and :meth:`missing_hint` -- checks and hints of its own.

    ``Q`` is None for a float set, else the parameters are Q-bit codes.
    """

    PARAMS = {}
    OPTIONAL = ()
    PREFIX = ""
    #: How a set built in code (not read from a file) is named in messages.
    SOURCE = "parameter set"

    def __post_init__(self):
        self.validate(self.__dict__, self.SOURCE)

    # ---- the file format ---------------------------------------------------------------

    @classmethod
    def keys(cls):
        """Every key a file may hold, required ones first."""
        required = ["activation", "K", "interval"] + [p for p in cls.PARAMS
                                                      if p not in cls.OPTIONAL]
        return required, list(cls.OPTIONAL) + ["Q", "made_by"]

    @classmethod
    def validate(cls, obj, source):
        """Check a set's fields (a dict read from JSON, or a dataclass ``__dict__``)."""
        check = _Checker(obj, source)
        check.header()
        for name, shape in cls.PARAMS.items():
            if name not in cls.OPTIONAL or obj.get(name) is not None:
                getattr(check, shape)(name)
        check.made_by()
        cls.check_more(obj, check.fail)

    @classmethod
    def check_more(cls, obj, fail):
        """A neuron kind's own checks, after the common ones (``fail(message)`` raises)."""

    @classmethod
    def missing_hint(cls, obj, missing):
        """Text appended to a missing-keys error (e.g. naming the file's likely kind)."""
        return ""

    @classmethod
    def from_dict(cls, obj, source="<dict>"):
        """Validate a JSON object and build the set."""
        required, optional = cls.keys()
        unknown = sorted(set(obj) - set(required) - set(optional))
        if unknown:
            raise ParamError(f"{source}: unknown key(s) {', '.join(map(repr, unknown))} "
                             f"(allowed: {', '.join(required + optional)})")
        missing = [k for k in required if k not in obj]
        if missing:
            raise ParamError(f"{source}: missing key(s) {', '.join(map(repr, missing))}"
                             + cls.missing_hint(obj, missing))
        cls.validate(obj, source)
        Q = obj.get("Q")
        conv = int if Q is not None else float
        params = {name: _convert(obj[name], conv) if obj.get(name) is not None else None
                  for name in cls.PARAMS}
        return cls(activation=obj["activation"].strip(), K=int(obj["K"]),
                   interval=tuple(float(v) for v in obj["interval"]), **params,
                   Q=None if Q is None else int(Q), made_by=obj.get("made_by"))

    @classmethod
    def loads(cls, text, source="<string>"):
        """Parse and validate a set from JSON text."""
        return cls.from_dict(parse_json(text, source), source)

    @classmethod
    def load(cls, path):
        """Load and validate a parameter file; :class:`ParamError` (one line) if it is bad."""
        return cls.from_dict(read_json(path), str(path))

    def to_dict(self):
        """The file's JSON object, keys in file order."""
        out = {"activation": self.activation, "K": self.K,
               "interval": [_num(v) for v in self.interval]}
        if self.Q is not None:
            out["Q"] = self.Q
        conv = int if self.Q is not None else float
        for name in self.PARAMS:
            p = getattr(self, name)
            if p is not None:
                out[name] = _convert(p, conv, list)
        if self.made_by is not None:
            out["made_by"] = self.made_by
        return out

    def save(self, path):
        """Write the set as JSON, atomically."""
        atomic_write(path, dumps_json(self.to_dict()))

    # ---- codes -------------------------------------------------------------------------

    @property
    def is_quantized(self):
        return self.Q is not None

    @property
    def qformat(self):
        return QFormat(self.Q) if self.Q is not None else None

    def _as_values(self, p):
        """A parameter vector or matrix as float64: the values its codes stand for, or the
        floats themselves."""
        return np.array(p, dtype=np.float64) if self.Q is None else self.qformat.value(p)

    def arrays(self):
        """Parameter name -> float64 array of values (codes times the step for a Q-bit set),
        for every parameter the set has."""
        return {name: self._as_values(getattr(self, name)) for name in self.PARAMS
                if getattr(self, name) is not None}

    def codes(self):
        """Parameter name -> int64 array of codes (Q-bit sets only)."""
        if self.Q is None:
            raise InputError("a float set has no codes: quantize it to a Q first")
        return {name: np.array(getattr(self, name), dtype=np.int64) for name in self.PARAMS
                if getattr(self, name) is not None}

    def quantized(self, Q):
        """The float set rounded to Q-bit codes (nearest, ties to even, saturating; no
        retraining)."""
        if self.Q is not None:
            raise InputError(f"set is already quantized to Q={self.Q}")
        q = QFormat(Q)
        params = {name: _convert(q.quantize(getattr(self, name)), int) for name in self.PARAMS
                  if getattr(self, name) is not None}
        return dataclasses.replace(self, **params, Q=q.Q, made_by=None)

    @classmethod
    def from_arrays(cls, activation, K, interval, arrays, Q=None, made_by=None):
        """A set from parameter arrays: floats, or codes for a Q-bit set (a :data:`LOWER`
        matrix keeps only its entries below the diagonal)."""
        conv = int if Q is not None else float
        params = {}
        for name, shape in cls.PARAMS.items():
            a = arrays.get(name)
            if a is not None:
                a = np.asarray(a)
                params[name] = _convert(np.tril(a, -1) if shape == LOWER else a, conv)
        return cls(activation=activation, K=int(K), interval=tuple(float(v) for v in interval),
                   **params, Q=Q, made_by=made_by)

    # ---- the neuron and its error ------------------------------------------------------

    #: Whether the unit has a second input y (its interval is then that of x and of y).
    two_input = False

    def target(self):
        """The approximated function, numpy, of x (or of x and y for two inputs)."""
        return get_activation(self.activation)

    def float_model(self):
        """``f(x[, y]) -> outputs``: the neuron at the set's values, float64 (a subclass's)."""
        raise NotImplementedError

    def int_model(self, frac):
        """``f(x[, y]) -> integer outputs`` for integer inputs with ``frac`` fraction bits:
        the exact model every core is checked against (Q-bit sets; a subclass's)."""
        raise NotImplementedError

    def default_frac(self):
        """Input fraction bits of the default core: Q-4 (at least 0)."""
        return max(self.Q - 4, 0)

    def representable_mse(self, frac=None, width=None):
        """The set's MSE over every representable input of its interval, through the exact
        integer model (:func:`quant.metrics.representable_mse`; the figure its core shows).
        ``frac`` defaults to :meth:`default_frac`; the ``value`` is rounded to
        :data:`quant.metrics.DIGITS` significant digits."""
        if self.Q is None:
            raise InputError("the MSE over representable inputs needs a Q-bit set")
        frac = self.default_frac() if frac is None else int(frac)
        return representable_mse(self.int_model(frac), self.target(), self.interval, frac,
                                 self.Q - 4, width, two_input=self.two_input)

    def dense_mse(self, n=100_000):
        """MSE per error region of the float model at the set's values (the values its codes
        stand for) on dense grids (:func:`quant.activations.mse_by_region`; two inputs: one
        figure over an m x m grid of the square, m = round(sqrt(n))), each rounded to
        :data:`quant.metrics.DIGITS` significant digits: the ``made_by.mse`` record."""
        f = self.float_model()
        if not self.two_input:
            mse = mse_by_region(f, self.activation, self.interval, n)
            return {k: round_sig(v) for k, v in mse.items()}
        g = np.linspace(self.interval[0], self.interval[1], int(round(math.sqrt(n))))
        gx, gy = np.meshgrid(g, g, indexing="ij")
        lo, hi = (number_text(v) for v in self.interval)
        return {f"[{lo},{hi}]^2": round_sig(exact_mean_square(f(gx, gy) - self.target()(gx, gy)))}

    # ---- provenance --------------------------------------------------------------------

    @property
    def name(self):
        """The shipped-file stem of this set: ``<prefix><act>_K<K>[_Q<Q>]``."""
        return f"{self.PREFIX}{self.activation}_K{self.K}" + (
            f"_Q{self.Q}" if self.Q is not None else "")

    def with_made_by(self, made_by):
        """The same set with another ``made_by`` record."""
        return dataclasses.replace(self, made_by=made_by)

    def recorded(self, command, seed, **extra):
        """The same set with the record of how it was made: ``command``, ``seed``, ``mse``
        (:meth:`dense_mse`) and ``extra`` keys, in that order."""
        return self.with_made_by({"command": command, "seed": seed, "mse": self.dense_mse(),
                                  **extra})

    def provenance(self):
        """``{"set": name, "command": the command that made it}``: how another set names this
        one as its starting point."""
        made_by = self.made_by if isinstance(self.made_by, dict) else {}
        return {"set": self.name, "command": made_by.get("command")}


def _convert(p, conv, seq=tuple):
    """A vector or matrix (nested sequences or an array) with every entry through ``conv``."""
    p = p.tolist() if isinstance(p, np.ndarray) else p
    if len(p) and isinstance(p[0], (list, tuple)):
        return seq(seq(conv(v) for v in row) for row in p)
    return seq(conv(v) for v in p)
