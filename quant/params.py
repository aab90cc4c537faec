"""FS-neuron parameter sets: the JSON files in ``quant/params/`` and the published sets.

A file holds one set, t = 1..K in list order (the format and its checks:
:mod:`quant.paramfile`)::

    {"activation": "silu", "K": 16, "interval": [-8, 12],
     "T": [...], "h": [...], "d": [...],             # K floats in [-8, 8]
     "made_by": {"command": "...", "seed": 0, "mse": {"[-2,2]": ..., ...}}}

A Q-bit set adds ``"Q": 8`` and then T, h, d are integer codes (:class:`quant.fixed.QFormat`).
"""

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .paramfile import (K_MAX, PARAMS_DIR, VECTOR, ParamError, ParamSet, list_shipped,
                        read_json, shipped_path)

__all__ = ["ParamError", "ParamSet", "CodedSet", "FSParamSet", "load", "loads", "save",
           "load_published", "PARAMS_DIR", "shipped_path", "list_shipped", "K_MAX",
           "PUBLISHED_DIR", "published_path"]

#: Copies of the published float sets (christophstoeckl/FS-neurons), the baseline to beat.
PUBLISHED_DIR = Path(__file__).resolve().parent / "published"

#: The base class under its earlier name.
CodedSet = ParamSet


@dataclass(frozen=True)
class FSParamSet(ParamSet):
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

    PARAMS = {"T": VECTOR, "h": VECTOR, "d": VECTOR}

    activation: str
    K: int
    interval: tuple
    T: tuple
    h: tuple
    d: tuple
    Q: int = None
    made_by: dict = field(default=None, compare=False)

    def values(self):
        """(T, h, d) as float64 arrays: the values the codes stand for, or the floats."""
        return tuple(self._as_values(p) for p in (self.T, self.h, self.d))

    def default_frac(self):
        """Input fraction bits of the default core: Q-4 (the FS core needs F >= Q-4)."""
        return self.Q - 4

    def float_model(self):
        from sim.fs import fs_float

        T, h, d = self.values()
        return lambda x: fs_float(x, T, h, d)[0]

    def int_model(self, frac):
        from sim.fs import fs_int

        q = self.qformat
        T, h, d = q.to_hw(self.T, frac), q.to_hw(self.h, frac), list(self.d)
        return lambda x: fs_int(x, T, h, d)[0]


loads = FSParamSet.loads
load = FSParamSet.load


def save(paramset, path):
    """Write a set as JSON, atomically."""
    paramset.save(path)


def published_path(activation, K):
    """Path of the published set for an activation and K, or None if there is none."""
    path = PUBLISHED_DIR / f"{activation}_K{K}.json"
    return path if path.exists() else None


def load_published(path):
    """Load a published reference set (``quant/published/*.json``, copied from
    ``../shared/reference/fs-neurons/``).

    Those files use ``training_interval`` and may hold values outside [-8, 8] (sigmoid's
    h(3) = 10.77), so they are not :class:`FSParamSet` files: this returns plain arrays,
    ``(activation, K, interval, T, h, d)``.
    """
    obj = read_json(path, "published set")
    try:
        K = int(obj["K"])
        T, h, d = (np.array(obj[k], dtype=np.float64) for k in ("T", "h", "d"))
        interval = tuple(float(v) for v in obj["training_interval"])
        activation = obj["activation"]
    except (KeyError, TypeError, ValueError) as exc:
        raise ParamError(f"{path}: not a published set ({exc.__class__.__name__}: {exc})") \
            from None
    if not (len(T) == len(h) == len(d) == K):
        raise ParamError(f"{path}: T, h, d must have K={K} entries")
    return activation, K, interval, T, h, d
