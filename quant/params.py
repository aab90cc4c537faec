"""FS-neuron parameter sets: the JSON files in ``quant/params/`` and their strict loader.

A file holds one set, t = 1..K in list order::

    {"activation": "silu", "K": 16, "interval": [-8, 12],
     "T": [...], "h": [...], "d": [...],             # K floats in [-8, 8]
     "made_by": {"command": "...", "seed": 0, "mse": {"[-2,2]": ..., ...}}}

A Q-bit set adds ``"Q": 8`` and then T, h, d are integer codes (:class:`quant.fixed.QFormat`).
No other keys are allowed: a typo in a key is an error, not a silently ignored field.

Every problem is a :class:`ParamError` (a ``ValueError``) whose message is one line naming the
file and what is wrong, so the command-line tools can print it as is.
"""

import json
import math
import numbers
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from common.checks import InputError
from common.cli import atomic_write, dumps_json
from .fixed import QFormat, RANGE

__all__ = ["ParamError", "CodedSet", "FSParamSet", "load", "loads", "save", "load_published", "PARAMS_DIR",
           "shipped_path", "list_shipped", "K_MAX", "PUBLISHED_DIR", "published_path"]

#: Where the shipped sets live.
PARAMS_DIR = Path(__file__).resolve().parent / "params"

#: Copies of the published float sets (christophstoeckl/FS-neurons), the baseline to beat.
PUBLISHED_DIR = Path(__file__).resolve().parent / "published"

#: Largest K a parameter file may declare.
K_MAX = 64

_REQUIRED = ("activation", "K", "interval", "T", "h", "d")
_OPTIONAL = ("Q", "made_by")


class ParamError(InputError):
    """A malformed or out-of-range parameter file; the message is one line."""


class CodedSet:
    """What the FS and AMOS parameter sets share: ``Q`` is None for a float set, else the
    parameters are Q-bit codes (:class:`quant.fixed.QFormat`)."""

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


@dataclass(frozen=True)
class FSParamSet(CodedSet):
    """One FS-neuron parameter set.

    Parameters
    ----------
    activation : str
        The approximated function (a name or an expression of x).
    K : int
        Number of time steps.
    interval : tuple of float
        The training interval (lo, hi).
    T, h, d : tuple
        Thresholds, resets, output weights for t = 1..K: floats in [-8, 8] for a float set,
        integer codes for a Q-bit set.
    Q : int or None
        Code width of a quantized set, None for a float set.
    made_by : dict or None
        How the set was made: ``command``, ``seed``, ``mse`` (region name -> MSE), free-form.
    """

    activation: str
    K: int
    interval: tuple
    T: tuple
    h: tuple
    d: tuple
    Q: int = None
    made_by: dict = field(default=None, compare=False)

    def __post_init__(self):
        _validate(self.__dict__, source="parameter set")

    def values(self):
        """(T, h, d) as float64 arrays: the values the codes stand for, or the floats."""
        return tuple(self._as_values(p) for p in (self.T, self.h, self.d))

    def quantized(self, Q):
        """Round a float set to Q-bit codes (no retraining)."""
        if self.Q is not None:
            raise ValueError(f"set is already quantized to Q={self.Q}")
        q = QFormat(Q)
        T, h, d = (tuple(int(c) for c in q.quantize(p)) for p in (self.T, self.h, self.d))
        return FSParamSet(self.activation, self.K, self.interval, T, h, d, Q=q.Q)

    def to_dict(self):
        out = {"activation": self.activation, "K": self.K,
               "interval": [_num(v) for v in self.interval]}
        if self.Q is not None:
            out["Q"] = self.Q
        for name in ("T", "h", "d"):
            out[name] = [int(v) if self.Q is not None else float(v) for v in getattr(self, name)]
        if self.made_by is not None:
            out["made_by"] = self.made_by
        return out


def _num(v):
    return int(v) if float(v).is_integer() else float(v)


def _is_number(v):
    return not isinstance(v, bool) and isinstance(v, numbers.Real)


def _validate(obj, source):
    """Check a set's fields in place (dict from JSON or dataclass ``__dict__``); normalize."""

    def fail(message):
        raise ParamError(f"{source}: {message}")

    act = obj["activation"]
    if not isinstance(act, str) or not act.strip():
        fail(f"'activation' must be a non-empty string, not {act!r}")
    K = obj["K"]
    if isinstance(K, bool) or not isinstance(K, numbers.Integral) or not 1 <= K <= K_MAX:
        fail(f"'K' must be an integer from 1 to {K_MAX}, not {K!r}")
    interval = obj["interval"]
    if (not isinstance(interval, (list, tuple)) or len(interval) != 2
            or not all(_is_number(v) and math.isfinite(v) for v in interval)
            or not interval[0] < interval[1]):
        fail(f"'interval' must be [lo, hi] with finite lo < hi, not {interval!r}")
    Q = obj.get("Q")
    if Q is not None:
        if isinstance(Q, bool) or not isinstance(Q, numbers.Integral) or not 2 <= Q <= 16:
            fail(f"'Q' must be an integer from 2 to 16, not {Q!r}")
        qf = QFormat(int(Q))
    for name in ("T", "h", "d"):
        seq = obj[name]
        if not isinstance(seq, (list, tuple)):
            fail(f"'{name}' must be a list of {K} numbers, not {type(seq).__name__}")
        if len(seq) != K:
            fail(f"'{name}' has {len(seq)} entries, K={K} needs {K}")
        for t, v in enumerate(seq, start=1):
            if Q is not None:
                if isinstance(v, bool) or not isinstance(v, numbers.Integral):
                    fail(f"{name}({t}) = {v!r} is not an integer code (the set has Q={Q})")
                if not qf.code_min <= v <= qf.code_max:
                    fail(f"{name}({t}) = {v} is out of range for Q={Q} "
                         f"[{qf.code_min}, {qf.code_max}]")
            else:
                if not _is_number(v):
                    fail(f"{name}({t}) = {v!r} is not a number")
                if not math.isfinite(v):
                    fail(f"{name}({t}) = {v!r} is not finite")
                if not -RANGE <= v <= RANGE:
                    fail(f"{name}({t}) = {v!r} is outside [-8, 8]")
    made_by = obj.get("made_by")
    if made_by is not None and not isinstance(made_by, dict):
        fail(f"'made_by' must be an object, not {type(made_by).__name__}")


def loads(text, source="<string>"):
    """Parse and validate a parameter set from JSON text."""
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
        raise ParamError(f"{source}: missing key(s) {', '.join(map(repr, missing))}")
    _validate(obj, source)
    Q = obj.get("Q")
    conv = int if Q is not None else float
    return FSParamSet(
        activation=obj["activation"].strip(), K=int(obj["K"]),
        interval=(float(obj["interval"][0]), float(obj["interval"][1])),
        T=tuple(conv(v) for v in obj["T"]), h=tuple(conv(v) for v in obj["h"]),
        d=tuple(conv(v) for v in obj["d"]), Q=None if Q is None else int(Q),
        made_by=obj.get("made_by"))


def load(path):
    """Load and validate a parameter file; :class:`ParamError` (one line) if it is bad."""
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


def published_path(activation, K):
    """Path of the published set for an activation and K, or None if there is none."""
    path = PUBLISHED_DIR / f"{activation}_K{K}.json"
    return path if path.exists() else None


def load_published(path):
    """Load a published reference set (``quant/published/*.json``, copied from
    ``../shared/reference/fs-neurons/``).

    Those files use ``training_interval`` and may hold values outside [-8, 8] (sigmoid's
    h(3) = 10.77), so they get their own loader and return plain arrays, not a
    :class:`FSParamSet`: ``(activation, K, interval, T, h, d)``.
    """
    obj = json.loads(Path(path).read_text())
    K = int(obj["K"])
    T, h, d = (np.array(obj[k], dtype=np.float64) for k in ("T", "h", "d"))
    if not (len(T) == len(h) == len(d) == K):
        raise ParamError(f"{path}: T, h, d must have K={K} entries")
    interval = tuple(float(v) for v in obj["training_interval"])
    return obj["activation"], K, interval, T, h, d


def shipped_path(activation, K, Q=None, prefix=""):
    """Path of a shipped set: ``<prefix><act>_K<K>[_Q<Q>].json`` in :data:`PARAMS_DIR`."""
    name = f"{prefix}{activation}_K{K}" + (f"_Q{Q}" if Q is not None else "") + ".json"
    return PARAMS_DIR / name


def list_shipped(prefix=""):
    """Names (without .json) of the shipped sets whose file name starts with ``prefix``."""
    return sorted(p.stem for p in PARAMS_DIR.glob(f"{prefix}*.json"))
