"""Weights and thresholds of a TSC core: weight files, seeded random weights, threshold tokens.

Weight files (``--weights``) hold integer weight codes ``w[l][m]`` (neuron l, input m), real
value ``w * 2**-weight_frac``:

* ``.npy``: an L x M array of integers (integer-valued floats are accepted);
* ``.json``: either an L x M list of lists, or an object with ``weights`` (the matrix) and
  optionally ``threshold`` (one int or L ints) and ``weight_frac`` (int). Other keys are errors.

Every malformed file (not parseable, wrong shape, NaN, non-integer, outside the signed
``wbits``-bit range) raises ``ValueError`` with a one-line message naming the file.
"""

import json
import math
import numbers
from pathlib import Path

import numpy as np

from common.checks import InputError

from gen.widths import signed_range
from net.tscconvert import DEFAULT_ALPHA

__all__ = ["random_weights", "default_threshold", "int_matrix", "load_weights",
           "parse_thresholds", "resolve_thresholds", "THRESHOLD_RANGE"]

#: Accepted thresholds (inclusive), in weight units.
THRESHOLD_RANGE = (1, (1 << 40) - 1)


def random_weights(inputs, neurons, wbits, seed):
    """Seeded random weights: independent uniform integers over the full signed ``wbits``-bit
    range ``[-2**(wbits-1), 2**(wbits-1) - 1]``, drawn as
    ``numpy.random.default_rng(seed).integers(lo, hi + 1, size=(neurons, inputs))``."""
    lo, hi = signed_range(wbits)
    rng = np.random.default_rng(seed)
    return rng.integers(lo, hi + 1, size=(neurons, inputs), dtype=np.int64)


def default_threshold(weights, alpha=DEFAULT_ALPHA):
    """Default threshold (one for the layer): threshold balancing against the largest current
    any input in [0, 1] can cause, ``max(1, floor(alpha * max_l sum_m max(w[l][m], 0)))``."""
    w = np.asarray(weights, dtype=np.int64)
    peak = int(np.clip(w, 0, None).sum(axis=1).max())
    return max(1, math.floor(alpha * peak))


def int_matrix(value, where):
    """A 2-D int64 array from nested lists / an array; integer-valued numbers only."""
    arr = np.asarray(value, dtype=object) if not isinstance(value, np.ndarray) else value
    if arr.dtype == object:
        if arr.ndim != 2:
            raise InputError(f"{where}: weights must be an L x M matrix (list of L rows of M "
                             f"numbers)")
        flat = arr.reshape(-1)
        out = []
        for k, v in enumerate(flat):
            l, m = divmod(k, arr.shape[1])
            if isinstance(v, bool) or not isinstance(v, (numbers.Integral, numbers.Real)):
                raise InputError(f"{where}: weight [{l}][{m}] = {v!r} is not a number")
            if isinstance(v, numbers.Integral):
                out.append(int(v))
                continue
            v = float(v)
            if not math.isfinite(v):
                raise InputError(f"{where}: weight [{l}][{m}] is {v!r}, not a finite integer")
            if v != math.floor(v):
                raise InputError(f"{where}: weight [{l}][{m}] = {v!r} is not an integer")
            out.append(int(v))
        big = [v for v in out if not -(1 << 62) <= v < (1 << 62)]
        if big:
            raise InputError(f"{where}: weight {big[0]} is far out of range")
        return np.array(out, dtype=np.int64).reshape(arr.shape)
    if arr.dtype.kind == "b" or arr.dtype.kind not in "iuf":
        raise InputError(f"{where}: weights must be integers, not {arr.dtype}")
    if arr.ndim != 2:
        raise InputError(f"{where}: weights must be an L x M matrix, not shape {arr.shape}")
    if arr.dtype.kind == "f":
        bad = ~np.isfinite(arr)
        if bad.any():
            l, m = np.argwhere(bad)[0]
            raise InputError(f"{where}: weight [{l}][{m}] is {float(arr[l, m])!r}, not a finite "
                             f"integer")
        frac = arr != np.floor(arr)
        if frac.any():
            l, m = np.argwhere(frac)[0]
            raise InputError(f"{where}: weight [{l}][{m}] = {float(arr[l, m])!r} is not an integer")
        if np.abs(arr).max(initial=0) >= 2.0 ** 62:
            raise InputError(f"{where}: weights are far out of range")
    return arr.astype(np.int64)


def load_weights(path):
    """Read a weight file (see the module docstring).

    Returns
    -------
    dict
        ``weights``: int64 array (any 2-D shape; :func:`build_ir` checks it against the
        configuration); ``threshold`` and ``weight_frac`` when a JSON object gives them.
    """
    path = Path(path)
    where = f"weights file {str(path)!r}"
    suffix = path.suffix.lower()
    if suffix not in (".npy", ".json"):
        raise InputError(f"{where}: must be a .npy or .json file")
    if not path.exists():
        raise InputError(f"{where}: no such file")
    if path.is_dir():
        raise InputError(f"{where}: is a folder")
    if suffix == ".npy":
        try:
            arr = np.load(path, allow_pickle=False)
        except Exception as exc:   # a corrupt file raises any of several errors
            raise InputError(f"{where}: not a readable .npy array ({exc})") from None
        if not isinstance(arr, np.ndarray):
            raise InputError(f"{where}: holds several arrays, not one L x M array")
        return {"weights": int_matrix(arr, where)}
    try:
        obj = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{where}: not valid JSON ({exc})") from None
    result = {}
    if isinstance(obj, dict):
        unknown = sorted(set(obj) - {"weights", "threshold", "weight_frac"})
        if unknown:
            raise InputError(f"{where}: unknown key {unknown[0]!r} (allowed: weights, "
                             f"threshold, weight_frac)")
        if "weights" not in obj:
            raise InputError(f"{where}: no 'weights' key")
        if "threshold" in obj:
            result["threshold"] = obj["threshold"]
        if "weight_frac" in obj:
            result["weight_frac"] = obj["weight_frac"]
        obj = obj["weights"]
    if not isinstance(obj, list) or not obj or not all(isinstance(r, list) for r in obj):
        raise InputError(f"{where}: weights must be a list of L rows, each a list of M numbers")
    if len({len(r) for r in obj}) != 1 or not obj[0]:
        raise InputError(f"{where}: weight rows have different or zero lengths")
    if any(isinstance(v, (list, dict)) for r in obj for v in r):
        raise InputError(f"{where}: weights must be a list of L rows, each a list of M numbers")
    result["weights"] = int_matrix(np.array(obj, dtype=object), where)
    return result


def parse_thresholds(tokens):
    """Thresholds from command-line tokens: each token one integer or a comma-separated list."""
    values = []
    for token in tokens:
        for part in str(token).split(","):
            part = part.strip()
            if not part:
                raise InputError(f"--threshold: empty value in {token!r}")
            try:
                values.append(int(part, 10))
            except ValueError:
                raise InputError(f"--threshold: {part!r} is not an integer") from None
    return values


def resolve_thresholds(raw, L, source):
    """One value for every neuron or L values, integers in :data:`THRESHOLD_RANGE`."""
    prefix = f"{source}: " if source else ""
    if not isinstance(raw, (list, tuple, np.ndarray)):
        raw = [raw]
    raw = list(raw)
    for v in raw:
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise InputError(f"{prefix}threshold must be integers, not {v!r}")
    if len(raw) == 1:
        raw = raw * L
    if len(raw) != L:
        raise InputError(f"{prefix}threshold needs 1 or {L} values (one per neuron), "
                         f"not {len(raw)}")
    tlo, thi = THRESHOLD_RANGE
    for v in raw:
        if not tlo <= int(v) <= thi:
            raise InputError(f"{prefix}threshold must be between {tlo} and {thi}, not {int(v)}")
    return [int(v) for v in raw]
