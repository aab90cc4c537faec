"""TSC generator, stages 1-2: configuration and intermediate representation.

:class:`TSCConfig` holds what the user asked for (sizes, weights or a seed, thresholds);
:func:`build_ir` resolves it into a :class:`TSCIR`: the L x M integer weights, the L thresholds,
every register width (derived from value ranges, :func:`sim.tsc.tsc_int_bounds`), the memory
organization, the timing and the manifest. The Amaranth core (:mod:`gen.tsc.core`) is built from
the IR alone.

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
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gen.widths import signed_range, signed_width
from gen.writer import check_name
from sim.tsc import DEFAULT_ALPHA, tsc_int_bounds

__all__ = ["TSCConfig", "TSCIR", "build_ir", "load_weights", "random_weights",
           "default_threshold", "parse_thresholds", "LIMITS"]

#: Accepted parameter ranges (inclusive).
LIMITS = {
    "inputs": (1, 4096),
    "neurons": (1, 256),
    "wbits": (2, 16),
    "steps": (1, 65536),
    "weight_frac": (0, 32),
    "threshold": (1, (1 << 40) - 1),
    "seed": (0, (1 << 63) - 1),
}

#: Steady-state cycles per time step and the pipeline latency, see :class:`TSCIR`.
CYCLES_PER_STEP = "max(1, E)"
#: Cycles from accepting a step's input beat to its output beat being valid: the scan
#: (max(1, E) cycles), the registered one-hot pick, the registered read address, the memory
#: read, the word register, the signed weight register, the current add and the membrane
#: update into the output buffer.
LATENCY = "max(1, E) + 7"


def _check_int(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, not {value!r}")
    lo, hi = LIMITS[name]
    if not lo <= int(value) <= hi:
        raise ValueError(f"{name} must be between {lo} and {hi}, not {value}")
    return int(value)


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


def _int_matrix(value, where):
    """A 2-D int64 array from nested lists / an array; integer-valued numbers only."""
    arr = np.asarray(value, dtype=object) if not isinstance(value, np.ndarray) else value
    if arr.dtype == object:
        if arr.ndim != 2:
            raise ValueError(f"{where}: weights must be an L x M matrix (list of L rows of M "
                             f"numbers)")
        flat = arr.reshape(-1)
        out = []
        for k, v in enumerate(flat):
            l, m = divmod(k, arr.shape[1])
            if isinstance(v, bool) or not isinstance(v, (numbers.Integral, numbers.Real)):
                raise ValueError(f"{where}: weight [{l}][{m}] = {v!r} is not a number")
            if isinstance(v, numbers.Integral):
                out.append(int(v))
                continue
            v = float(v)
            if not math.isfinite(v):
                raise ValueError(f"{where}: weight [{l}][{m}] is {v!r}, not a finite integer")
            if v != math.floor(v):
                raise ValueError(f"{where}: weight [{l}][{m}] = {v!r} is not an integer")
            out.append(int(v))
        big = [v for v in out if not -(1 << 62) <= v < (1 << 62)]
        if big:
            raise ValueError(f"{where}: weight {big[0]} is far out of range")
        return np.array(out, dtype=np.int64).reshape(arr.shape)
    if arr.dtype.kind == "b" or arr.dtype.kind not in "iuf":
        raise ValueError(f"{where}: weights must be integers, not {arr.dtype}")
    if arr.ndim != 2:
        raise ValueError(f"{where}: weights must be an L x M matrix, not shape {arr.shape}")
    if arr.dtype.kind == "f":
        bad = ~np.isfinite(arr)
        if bad.any():
            l, m = np.argwhere(bad)[0]
            raise ValueError(f"{where}: weight [{l}][{m}] is {float(arr[l, m])!r}, not a finite "
                             f"integer")
        frac = arr != np.floor(arr)
        if frac.any():
            l, m = np.argwhere(frac)[0]
            raise ValueError(f"{where}: weight [{l}][{m}] = {float(arr[l, m])!r} is not an integer")
        if np.abs(arr).max(initial=0) >= 2.0 ** 62:
            raise ValueError(f"{where}: weights are far out of range")
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
        raise ValueError(f"{where}: must be a .npy or .json file")
    if not path.exists():
        raise ValueError(f"{where}: no such file")
    if path.is_dir():
        raise ValueError(f"{where}: is a folder")
    if suffix == ".npy":
        try:
            arr = np.load(path, allow_pickle=False)
        except Exception as exc:   # a corrupt file raises any of several errors
            raise ValueError(f"{where}: not a readable .npy array ({exc})") from None
        if not isinstance(arr, np.ndarray):
            raise ValueError(f"{where}: holds several arrays, not one L x M array")
        return {"weights": _int_matrix(arr, where)}
    try:
        obj = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{where}: not valid JSON ({exc})") from None
    result = {}
    if isinstance(obj, dict):
        unknown = sorted(set(obj) - {"weights", "threshold", "weight_frac"})
        if unknown:
            raise ValueError(f"{where}: unknown key {unknown[0]!r} (allowed: weights, "
                             f"threshold, weight_frac)")
        if "weights" not in obj:
            raise ValueError(f"{where}: no 'weights' key")
        if "threshold" in obj:
            result["threshold"] = obj["threshold"]
        if "weight_frac" in obj:
            result["weight_frac"] = obj["weight_frac"]
        obj = obj["weights"]
    if not isinstance(obj, list) or not obj or not all(isinstance(r, list) for r in obj):
        raise ValueError(f"{where}: weights must be a list of L rows, each a list of M numbers")
    if len({len(r) for r in obj}) != 1 or not obj[0]:
        raise ValueError(f"{where}: weight rows have different or zero lengths")
    if any(isinstance(v, (list, dict)) for r in obj for v in r):
        raise ValueError(f"{where}: weights must be a list of L rows, each a list of M numbers")
    result["weights"] = _int_matrix(np.array(obj, dtype=object), where)
    return result


def parse_thresholds(tokens):
    """Thresholds from command-line tokens: each token one integer or a comma-separated list."""
    values = []
    for token in tokens:
        for part in str(token).split(","):
            part = part.strip()
            if not part:
                raise ValueError(f"--threshold: empty value in {token!r}")
            try:
                values.append(int(part, 10))
            except ValueError:
                raise ValueError(f"--threshold: {part!r} is not an integer") from None
    return values


def _resolve_thresholds(raw, L, source):
    """One value for every neuron or L values, integers in LIMITS['threshold']."""
    prefix = f"{source}: " if source else ""
    if not isinstance(raw, (list, tuple, np.ndarray)):
        raw = [raw]
    raw = list(raw)
    for v in raw:
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise ValueError(f"{prefix}threshold must be integers, not {v!r}")
    if len(raw) == 1:
        raw = raw * L
    if len(raw) != L:
        raise ValueError(f"{prefix}threshold needs 1 or {L} values (one per neuron), "
                         f"not {len(raw)}")
    tlo, thi = LIMITS["threshold"]
    for v in raw:
        if not tlo <= int(v) <= thi:
            raise ValueError(f"{prefix}threshold must be between {tlo} and {thi}, not {int(v)}")
    return [int(v) for v in raw]


@dataclass(frozen=True)
class TSCConfig:
    """What the user asked for.

    Parameters
    ----------
    inputs, neurons : int
        M and L.
    wbits : int
        Weight width (signed), 2 to 16.
    weights : array_like, optional
        L x M integer codes; default: :func:`random_weights` with ``seed``.
    threshold : int or sequence of int, optional
        One value for every neuron or L values, >= 1, in weight units; default
        :func:`default_threshold`.
    weight_frac : int, optional
        Fraction bits of the weight codes (real weight = code * 2**-weight_frac), recorded in
        the manifest for conversion; default ``wbits - 1`` (codes cover [-1, 1)).
    steps : int
        Longest frame (time steps) the core computes exactly: sizes I and V.
    seed : int
        Seed of the random weights.
    name : str, optional
        Verilog module name; default ``tsc_m{M}_l{L}``.
    weights_file : str, optional
        Base name of the weight file, recorded in the manifest.
    threshold_source : str, optional
        Where the thresholds came from, named in error messages.
    """

    inputs: int
    neurons: int
    wbits: int = 8
    weights: object = None
    threshold: object = None
    weight_frac: object = None
    steps: int = 256
    seed: int = 0
    name: object = None
    weights_file: object = None
    threshold_source: object = None


@dataclass(frozen=True)
class TSCIR:
    """A resolved TSC layer core: everything the Amaranth component and the manifest need.

    Attributes
    ----------
    weights : tuple of tuple of int
        L rows of M codes.
    threshold : tuple of int
        L thresholds.
    widths : dict
        ``weight``, ``delta`` (a signed weight, negated or not: wbits + 1), ``current``,
        ``membrane``, ``address``, ``word`` (memory word, L * wbits), ``input_payload``
        (2M + 1), ``output_payload`` (2L).
    bounds : dict
        The value ranges the widths come from (:func:`sim.tsc.tsc_int_bounds`).
    """

    name: str
    inputs: int
    neurons: int
    wbits: int
    weight_frac: int
    steps: int
    weights: tuple
    threshold: tuple
    widths: dict
    bounds: dict
    weights_from: dict

    def manifest(self):
        """The JSON manifest (``top`` and ``verilog`` are added by the writer)."""
        M, L, wb = self.inputs, self.neurons, self.wbits
        return {
            "core": "tsc",
            "inputs": M,
            "neurons": L,
            "weights": [list(row) for row in self.weights],
            "threshold": list(self.threshold),
            "weight_frac": self.weight_frac,
            "wbits": wb,
            "steps": self.steps,
            "weights_from": self.weights_from,
            "widths": dict(self.widths),
            "cycles_per_step": {
                "formula": CYCLES_PER_STEP,
                "E": "input events of the step: popcount(pos XOR neg)",
                "latency": LATENCY,
                "note": "steady state without input gaps or output back-pressure: one "
                        "weight read per cycle; a step with no events still takes one cycle",
            },
            "ports": {
                "i": {"payload": {"pos": [0, M], "neg": [M, 2 * M], "first": [2 * M, 2 * M + 1]}},
                "o": {"payload": {"pos": [0, L], "neg": [L, 2 * L]}},
            },
            "probes": {
                "weight_read": "internal signal: high in a cycle that reads a weight word "
                               "(one per input event)",
                "weight_addr": "internal signal: the input index read in that cycle",
            },
            "memory": {
                "depth": M,
                "width": L * wb,
                "word": f"word m holds w[l][m] for l = 0..{L - 1}, neuron l in bits "
                        f"[{wb}*l, {wb}*l + {wb})",
                "read": "synchronous, one read per input event, shared by all L neurons",
            },
            "semantics": "per step: I += sum_m w[l][m] (pos_m - neg_m); V += I; "
                         "s = [V >= theta_l]; if s: V -= theta_l; if not done and not firing "
                         "and s: pos, firing = 1; elif firing and not s: neg, firing = 0, "
                         "done = 1; a step with first = 1 clears I, V, firing, done first",
            "overflow": f"exact for frames of up to {self.steps} steps; longer frames wrap I "
                        f"and V in two's complement (sim.tsc.TSCLayer with current_width and "
                        f"membrane_width models it)",
        }


def build_ir(config):
    """Check a :class:`TSCConfig` and resolve it into a :class:`TSCIR`."""
    M = _check_int("inputs", config.inputs)
    L = _check_int("neurons", config.neurons)
    wbits = _check_int("wbits", config.wbits)
    steps = _check_int("steps", config.steps)
    seed = _check_int("seed", config.seed)
    name = check_name(config.name if config.name is not None else f"tsc_m{M}_l{L}")
    where = (f"weights file {config.weights_file!r}" if config.weights_file else "weights")

    if config.weights is None:
        w = random_weights(M, L, wbits, seed)
        weights_from = {"random": {"seed": seed, "distribution":
                                   f"uniform integers in [{signed_range(wbits)[0]}, "
                                   f"{signed_range(wbits)[1]}], numpy default_rng(seed)"
                                   f".integers(lo, hi + 1, size=(L, M))"}}
    else:
        w = _int_matrix(config.weights, where)
        if w.shape != (L, M):
            raise ValueError(f"{where} has shape {w.shape[0]} x {w.shape[1]}, expected "
                             f"neurons x inputs = {L} x {M}")
        weights_from = {"file": config.weights_file} if config.weights_file else {"file": None}
    lo, hi = signed_range(wbits)
    outside = (w < lo) | (w > hi)
    if outside.any():
        l, m = np.argwhere(outside)[0]
        raise ValueError(f"{where}: weight [{l}][{m}] = {int(w[l, m])} is outside the "
                         f"{wbits}-bit range [{lo}, {hi}]")

    if config.threshold is None:
        theta = [default_threshold(w)] * L
    else:
        theta = _resolve_thresholds(config.threshold, L, config.threshold_source)

    weight_frac = wbits - 1 if config.weight_frac is None else config.weight_frac
    weight_frac = _check_int("weight_frac", weight_frac)

    # Widths from value ranges over a frame of up to `steps` steps (sim.tsc.tsc_int_bounds):
    # |I| <= steps * S, and U = V + I, V in [-S steps(steps+1)/2, theta - 1 + S steps(steps+1)/2]
    # with S = max_l sum_m |w|. The membrane register also holds theta (compared with U).
    # delta = +-w needs one bit more than w (-(-2**(wbits-1)) = 2**(wbits-1)).
    bounds = tsc_int_bounds(w, theta, steps)
    current_width = max(2, signed_width(*bounds["current"]))
    membrane_width = max(current_width, signed_width(bounds["membrane"][0],
                                                     max(bounds["membrane"][1], max(theta))))
    widths = {
        "weight": wbits,
        "delta": wbits + 1,
        "current": current_width,
        "membrane": membrane_width,
        "address": (M - 1).bit_length(),          # ceil(log2 M), 0 for M = 1
        "word": L * wbits,
        "input_payload": 2 * M + 1,
        "output_payload": 2 * L,
    }
    return TSCIR(name=name, inputs=M, neurons=L, wbits=wbits, weight_frac=weight_frac,
                 steps=steps, weights=tuple(tuple(int(v) for v in row) for row in w),
                 threshold=tuple(theta), widths=widths,
                 bounds={k: list(v) if isinstance(v, tuple) else v for k, v in bounds.items()},
                 weights_from=weights_from)
