"""An imported model, calibrated and converted to the integer spiking network.

The steps of ``python -m net convert`` as a library:

* :func:`load_calibration` / :func:`load_labels`: the calibration inputs (``.npy``, floating
  point, shape ``(n, *input shape)``) and optional labels (``n`` integers);
* :func:`input_format`: the input codes, ``code = clamp(rint(x 2^F), lo, hi)``; by default F is
  the smallest number of fraction bits that holds every calibration value exactly (digits
  pixels p/16: F = 4), else the one that fits the largest magnitude in 8-bit codes, and
  ``[lo, hi]`` is the calibration data's range in codes;
* :func:`convert`: ReLU ranges alpha from the calibration data (a percentile of each layer's
  positive pre-activations, :func:`net.graph.relu_alphas`: the method of the digits flow), the
  integer network (:class:`net.snn.IntSNN`) and its network file.
"""

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from common.checks import InputError

__all__ = ["InputFormat", "Conversion", "load_calibration", "load_labels", "input_format",
           "convert", "default_K", "network_file", "DEFAULT_Q"]

#: Q when none is given: ReLU has no codes (Q only marks the integer model); SiLU and sigmoid
#: have trained 8-bit sets.
DEFAULT_Q = 8
_DEFAULT_K = {("fs", "relu"): 10, ("fs", "silu"): 16, ("fs", "sigmoid"): 12,
              ("amos", "relu"): 10, ("amos", "silu"): 12, ("amos", "sigmoid"): 8}
#: Largest input fraction the default search tries (and --input-frac accepts).
FRAC_MAX = 24


def default_K(coding, act):
    """The K of the shipped parameter sets (FS steps / AMOS gates) for an activation."""
    return _DEFAULT_K[(coding, act)]


def _load_npy(path, what):
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{what} {path}: no such file")
    try:
        arr = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        text = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]
        raise InputError(f"{what} {path}: not a readable .npy array ({text})") from None
    if not isinstance(arr, np.ndarray):
        raise InputError(f"{what} {path}: holds several arrays (.npz); give one .npy array")
    return arr


def load_calibration(path, input_shape):
    """Calibration inputs: float, finite, shape ``(n >= 1, *input_shape)``; float64."""
    x = _load_npy(path, "--calib")
    if x.dtype.kind != "f":
        raise InputError(f"--calib {path}: the inputs must be floating point (the values the "
                         f"model sees), not {x.dtype}")
    shape = tuple(input_shape)
    if x.ndim != len(shape) + 1 or tuple(x.shape[1:]) != shape or len(x) < 1:
        raise InputError(f"--calib {path}: shape {x.shape} does not match the model's input "
                         f"(n, {', '.join(map(str, shape))})")
    if not np.all(np.isfinite(x)):
        raise InputError(f"--calib {path}: holds NaN or inf values")
    return x.astype(np.float64)


def load_labels(path, n, classes, what="--labels"):
    """Labels: ``n`` integers in ``0..classes-1``."""
    y = _load_npy(path, what)
    if y.dtype.kind not in "iu":
        raise InputError(f"{what} {path}: labels must be integers, not {y.dtype}")
    if y.shape != (n,):
        raise InputError(f"{what} {path}: shape {y.shape}, expected ({n},) (one label per "
                         f"input)")
    if y.min() < 0 or y.max() >= classes:
        raise InputError(f"{what} {path}: labels outside 0..{classes - 1} (the model has "
                         f"{classes} outputs)")
    return y.astype(np.int64)


@dataclass(frozen=True)
class InputFormat:
    """Input codes: ``code = clamp(rint(x 2^frac), lo, hi)``, value ``code 2^-frac``."""

    frac: int
    lo: int
    hi: int

    @property
    def signed(self):
        return self.lo < 0

    def codes(self, x):
        """Flat int64 codes of the inputs ``x`` ``(n, ...)``."""
        x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
        return np.clip(np.rint(x * 2.0 ** self.frac), self.lo, self.hi).astype(np.int64)

    def to_json(self):
        return {"frac": self.frac, "range": [self.lo, self.hi], "signed": self.signed}


def input_format(x, frac=None, value_range=None):
    """The input codes for calibration data ``x``; ``frac`` and ``value_range`` (real values
    ``(lo, hi)``) override the defaults taken from the data."""
    x = np.asarray(x, dtype=np.float64)
    if frac is None:
        frac = _exact_frac(x)
        if frac is None:
            top = 127 if x.min() < 0 else 255
            m = float(np.max(np.abs(x)))
            frac = 0 if m == 0 else max(0, min(FRAC_MAX, math.floor(math.log2(top / m))))
    lo, hi = (float(x.min()), float(x.max())) if value_range is None else value_range
    if not lo < hi:
        raise InputError(f"--input-range: LO must be below HI, not {lo:g} {hi:g}")
    scale = 2.0 ** frac
    clo, chi = math.floor(lo * scale), math.ceil(hi * scale)
    if max(abs(clo), abs(chi)) >= 1 << 31:
        raise InputError(f"input range {lo:g}..{hi:g} with {frac} fraction bits needs codes "
                         f"beyond 32 bits")
    return InputFormat(int(frac), int(clo), int(chi))


def _exact_frac(x):
    """The smallest F in 0..16 with every value a multiple of 2^-F, or None."""
    for f in range(17):
        y = x * 2.0 ** f
        if np.all(y == np.rint(y)) and np.max(np.abs(y)) < 1 << 31:
            return f
    return None


@dataclass
class Conversion:
    """The converted network and how it was made."""

    imported: object
    net: object                   # net.snn.IntSNN
    unit: object
    alphas: list
    input: InputFormat
    coding: str
    K: int
    Q: int
    weight_bits: int
    alpha_percentile: float
    float_unit: object = None
    figures: dict = field(default_factory=dict)


def convert(imported, x, coding, K=None, Q=None, weight_bits=8, alpha_percentile=100.0,
            input_fmt=None):
    """Calibrate and convert; ``x`` is the calibration data ``(n, *input_shape)``."""
    from ..graph import relu_alphas
    from ..snn import IntSNN
    from ..units import amos_unit, fs_unit

    acts = sorted({op.act for op in imported.ops if op.kind == "act"})
    if len(acts) != 1:
        raise InputError(f"{imported.path}: the network mixes activations {acts}; one kind "
                         f"per network converts")
    act = acts[0]
    K = default_K(coding, act) if K is None else K
    Q = DEFAULT_Q if Q is None else Q
    make = fs_unit if coding == "fs" else amos_unit
    unit = make(act, K, Q)
    try:
        float_unit = make(act, K, None)
    except ValueError:
        float_unit = None
    flat = x.reshape(len(x), -1)
    alphas = relu_alphas(imported.ops, flat, alpha_percentile) if act == "relu" else None
    fmt = input_fmt or input_format(x)
    net = IntSNN(imported.ops, unit, alphas, weight_bits=weight_bits, input_frac=fmt.frac,
                 input_range=(fmt.lo, fmt.hi), input_shape=(imported.input_size,))
    return Conversion(imported, net, unit, alphas, fmt, coding, K, Q, weight_bits,
                      alpha_percentile, float_unit)


def network_file(conversion, model=None):
    """The converted network as a network file's data (format ``spikegen-snn`` version 1)."""
    imp = conversion.imported
    return conversion.net.to_dict(model=model or imp.path.name)


def dumps_network(obj):
    """The network file's text, checked by the network reader first."""
    from ..netfile import NetworkFileError, dumps, from_dict

    try:
        from_dict(obj, where="converted network")
    except NetworkFileError as exc:        # the converter's bug: keep a traceback
        raise AssertionError(f"the converter wrote an invalid network: {exc}") from exc
    return dumps(obj)
