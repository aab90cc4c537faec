"""The network file: an exported integer spiking network, loaded and checked.

A network file (``format: "spikegen-snn"``, ``version: 1``) holds everything the integer network
of :mod:`net.snn` computes with: the neuron unit's integer parameters, every layer's weight codes,
biases and shifts, and the input format. ``python -m net digits ... --export FILE`` writes one;
``python -m gen network FILE`` turns one into hardware. docs/network-format.md defines every key
and the exact integer semantics; ``net/network.schema.json`` is the JSON Schema.

:func:`load` reads a file, :func:`from_dict` checks a parsed one. Both return a
:class:`Network`: the layers as typed objects, every tensor shape and every value range
recomputed from the weights and the input range (the descriptive keys the file also carries, such
as ``acc_range`` or ``in_bits``, must agree with them). A malformed file raises
:class:`NetworkFileError` with one line that names the layer and the key. :meth:`Network.int_snn`
gives the :class:`net.snn.IntSNN` that runs it (CPU or GPU, ``record=True`` for every neuron's
input and spikes).
"""

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from common.checks import InputError

__all__ = ["FORMAT", "VERSION", "SCHEMA_PATH", "NetworkFileError", "Layer", "Network", "load",
           "from_dict", "trace", "dumps", "input_width", "signed_bits", "AFFINE", "NEURON_OPS",
           "OPS"]

FORMAT = "spikegen-snn"
VERSION = 1
SCHEMA_PATH = Path(__file__).with_name("network.schema.json")

AFFINE = ("linear", "conv")
NEURON_OPS = ("fs", "amos", "if")
OPS = AFFINE + ("avgpool", "flatten", "unflatten") + NEURON_OPS

#: The integer network computes in float64 matrix products: every partial sum must stay exact.
EXACT_LIMIT = 1 << 53
#: Neuron values are int64: one bit of head-room.
INT64_SAFE = 1 << 62
#: Largest |shift| of a neuron layer.
SHIFT_MAX = 62

_TOP_KEYS = {"format", "version", "model", "seed", "activation", "unit", "weight_bits", "input",
             "classes", "output_frac", "layers"}
_INPUT_KEYS = {"shape", "signed", "frac", "range"}
_UNIT_KEYS = {"coding", "K", "Q", "T", "h", "d", "c", "frac_in", "frac_out", "source"}
_IF_UNIT_KEYS = {"coding", "K", "steps", "theta", "Q", "frac_in", "frac_out", "source"}
_DESCRIPTIVE = {"linear": {"shape", "padding", "weight_exp", "frac_in", "frac_out", "acc_range",
                           "acc_bits", "bias_bits"},
                "conv": {"shape", "weight_exp", "frac_in", "frac_out", "acc_range", "acc_bits",
                         "bias_bits"},
                "avgpool": {"frac_in", "frac_out"},
                "flatten": set(), "unflatten": set(),
                "fs": {"frac_in", "frac_out", "in_range", "in_bits", "out_range", "alpha"},
                "amos": {"frac_in", "frac_out", "in_range", "in_bits", "out_range", "alpha"},
                "if": {"frac_in", "frac_out", "in_range", "in_bits", "out_range", "alpha"}}
_REQUIRED = {"linear": ("W", "b"), "conv": ("W", "b", "padding"), "avgpool": ("k",),
             "flatten": (), "unflatten": ("shape",), "fs": ("shift",), "amos": ("shift",),
             "if": ("shift",)}


class NetworkFileError(InputError):
    """A network file that is not a valid ``spikegen-snn`` version 1 network (one line)."""


def signed_bits(lo, hi):
    """Bits of a two's-complement number holding [lo, hi]."""
    lo, hi = int(lo), int(hi)
    return max((lo if lo >= 0 else ~lo).bit_length(), (hi if hi >= 0 else ~hi).bit_length()) + 1


def input_width(lo, hi, signed):
    """Width of an input code in [lo, hi]: two's complement when signed, else unsigned."""
    if signed:
        return signed_bits(lo, hi)
    return max(1, int(hi).bit_length())


@dataclass
class Layer:
    """One checked layer.

    Attributes
    ----------
    index : int
        Position in the file's ``layers`` (0-based; messages name it).
    op : str
        ``linear``, ``conv``, ``avgpool``, ``flatten``, ``unflatten``, ``fs`` or ``amos``.
    in_shape, out_shape : tuple of int
        Per-image tensor shapes (C order).
    W, b : ndarray of int64
        Affine layers: weight codes (out x in, or co x ci x kh x kw) and biases.
    padding, k, shift : int
        Conv zero padding, pooling window, neuron input shift.
    frac_in, frac_out : int
        Fraction bits of the values entering and leaving the layer.
    in_range, out_range : (int, int)
        Value ranges entering and leaving: affine layers leave their accumulator range; a
        neuron layer enters with ``acc >> shift``.
    abs_bound : int
        Affine layers: the largest ``sum |code| |x|`` (float64 exactness).
    """

    index: int
    op: str
    in_shape: tuple
    out_shape: tuple
    W: np.ndarray = None
    b: np.ndarray = None
    padding: int = 0
    k: int = 0
    shift: int = 0
    frac_in: int = 0
    frac_out: int = 0
    in_range: tuple = (0, 0)
    out_range: tuple = (0, 0)
    abs_bound: int = 0
    alpha: float = None

    @property
    def name(self):
        return f"layer {self.index} ({self.op})"

    @property
    def is_affine(self):
        return self.op in AFFINE

    @property
    def is_neuron(self):
        return self.op in NEURON_OPS


@dataclass
class Network:
    """A checked network file.

    Attributes
    ----------
    unit : net.units.Unit
        The integer neuron unit (``coding`` fs or amos, K, Q, integer T/h/d (/c)).
    weight_bits : int
    input_shape : tuple of int
    input_signed : bool
    input_frac : int
    input_range : (int, int)
    classes : int
    output_frac : int
    output_range : (int, int)
        Range of the logits (IF: summed over the N time steps).
    layers : list of Layer
    meta : dict
        Descriptive top-level keys (``model``, ``seed``, ``activation``).
    name : str
        The file name (or ``"<dict>"``).
    sha256 : str or None
        Of the file's bytes.
    """

    unit: object
    weight_bits: int
    input_shape: tuple
    input_signed: bool
    input_frac: int
    input_range: tuple
    classes: int
    output_frac: int
    output_range: tuple
    layers: list
    meta: dict = field(default_factory=dict)
    name: str = "<dict>"
    sha256: str = None

    @property
    def input_count(self):
        return int(np.prod(self.input_shape))

    @property
    def input_width(self):
        return input_width(*self.input_range, self.input_signed)

    @property
    def output_width(self):
        return signed_bits(*self.output_range)

    @property
    def neuron_layers(self):
        return [layer for layer in self.layers if layer.is_neuron]

    @property
    def affine_layers(self):
        return [layer for layer in self.layers if layer.is_affine]

    def int_snn(self):
        """The :class:`net.snn.IntSNN` computing this network."""
        from .snn import IntAffine, IntNeurons, IntPool, IntReshape, IntSNN

        layers = []
        for layer in self.layers:
            if layer.is_affine:
                layers.append(IntAffine(layer.op, layer.W, 0, layer.b, layer.frac_in,
                                        layer.frac_out, layer.padding, layer.out_range,
                                        layer.abs_bound))
            elif layer.op == "avgpool":
                layers.append(IntPool(layer.k, layer.frac_in, layer.frac_out))
            elif layer.op in ("flatten", "unflatten"):
                layers.append(IntReshape(layer.op, layer.out_shape))
            else:
                layers.append(IntNeurons(layer.shift, layer.frac_in, layer.frac_out,
                                         alpha=layer.alpha, in_range=layer.in_range,
                                         out_range=layer.out_range))
        return IntSNN.from_layers(layers, self.unit, weight_bits=self.weight_bits,
                                  input_frac=self.input_frac, input_range=self.input_range,
                                  input_shape=self.input_shape, output_frac=self.output_frac)

    def forward(self, x_codes, record=False, device="cpu"):
        """Run input codes (n, count): a :class:`net.snn.SimResult` with int64 logits."""
        return self.int_snn().forward(x_codes, device=device, record=record)


# ---------------------------------------------------------------------------------------------
# reading


def load(path):
    """Read and check a network file; raises :class:`NetworkFileError` (one line)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise NetworkFileError(f"{path}: no such network file") from None
    except IsADirectoryError:
        raise NetworkFileError(f"{path}: is a directory, not a network file") from None
    except OSError as exc:
        raise NetworkFileError(f"{path}: cannot read it ({exc.strerror})") from None
    try:
        obj = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise NetworkFileError(f"{path}: not JSON ({exc})") from None
    net = from_dict(obj, where=str(path))
    net.name = path.name
    net.sha256 = hashlib.sha256(raw).hexdigest()
    return net


def _fail(where, what, msg):
    raise NetworkFileError(f"{where}: {what}: {msg}")


def _int(where, what, key, value, lo=None, hi=None):
    if isinstance(value, bool) or not isinstance(value, int):
        _fail(where, what, f"key '{key}' must be an integer, not {value!r}")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        bounds = f"from {lo} to {hi}" if lo is not None and hi is not None else \
            (f"at least {lo}" if lo is not None else f"at most {hi}")
        _fail(where, what, f"key '{key}' must be {bounds}, not {value}")
    return value


def _array(where, what, key, value, ndim, lo=None, hi=None):
    """A rectangular nested list of integers as int64 with ``ndim`` dimensions."""
    def bad(msg):
        _fail(where, what, f"key '{key}' {msg}")

    if not isinstance(value, list):
        bad(f"must be a {ndim}-dimensional list of integers")
    try:
        arr = np.array(value, dtype=object)
    except ValueError:
        bad("is not rectangular")
    if arr.ndim != ndim:
        bad(f"must be a {ndim}-dimensional list of integers, not {arr.ndim}-dimensional "
            f"(or ragged)")
    flat = arr.reshape(-1)
    for v in flat:
        if isinstance(v, bool) or not isinstance(v, int):
            bad(f"must hold integers only, not {v!r}")
    big = [v for v in flat if abs(v) >= EXACT_LIMIT]
    if big:
        bad(f"holds {big[0]}, beyond the 53-bit exact range")
    out = arr.astype(np.int64)
    if out.size and lo is not None and (out.min() < lo or out.max() > hi):
        v = int(out.min()) if out.min() < lo else int(out.max())
        bad(f"holds {v}, outside {lo}..{hi}")
    return out


def _pair(where, what, key, value):
    if not (isinstance(value, list) and len(value) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
            and value[0] <= value[1]):
        _fail(where, what, f"key '{key}' must be a pair of integers [lo, hi] with lo <= hi, "
                           f"not {value!r}")
    return int(value[0]), int(value[1])


def _shape(where, what, key, value):
    if not (isinstance(value, list) and value
            and all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in value)):
        _fail(where, what, f"key '{key}' must be a non-empty list of positive integers, "
                           f"not {value!r}")
    return tuple(int(v) for v in value)


def _keys(where, what, obj, allowed, required):
    if not isinstance(obj, dict):
        _fail(where, what, "must be a JSON object")
    for key in required:
        if key not in obj:
            _fail(where, what, f"missing key '{key}'")
    unknown = sorted(set(obj) - set(allowed))
    if unknown:
        _fail(where, what, f"unknown key '{unknown[0]}'")


def from_dict(obj, where="network"):
    """Check a parsed network file; return a :class:`Network` (or raise
    :class:`NetworkFileError` naming the layer and the key)."""
    if not isinstance(obj, dict):
        raise NetworkFileError(f"{where}: a network file is a JSON object")
    if obj.get("format") != FORMAT:
        _fail(where, "format", f"key 'format' must be {FORMAT!r}, not {obj.get('format')!r}")
    if "version" not in obj:
        _fail(where, "version", "missing key 'version' (this reader knows version 1)")
    if obj["version"] != VERSION or isinstance(obj["version"], bool):
        _fail(where, "version", f"unknown version {obj['version']!r} (this reader knows "
                                f"version {VERSION})")
    _keys(where, "network", obj, _TOP_KEYS, ("unit", "weight_bits", "input", "classes",
                                            "layers"))
    act = obj.get("activation", "")
    if not isinstance(act, str):
        _fail(where, "network", f"key 'activation' must be a string, not {act!r}")
    unit = _unit(where, obj["unit"], act)
    weight_bits = _int(where, "network", "weight_bits", obj["weight_bits"], 2, 16)
    inp = obj["input"]
    _keys(where, "input", inp, _INPUT_KEYS, ("shape", "signed", "frac", "range"))
    shape = _shape(where, "input", "shape", inp["shape"])
    if not isinstance(inp["signed"], bool):
        _fail(where, "input", f"key 'signed' must be true or false, not {inp['signed']!r}")
    frac = _int(where, "input", "frac", inp["frac"], -64, 64)
    rng = _pair(where, "input", "range", inp["range"])
    if rng[0] < 0 and not inp["signed"]:
        _fail(where, "input", f"key 'range' {list(rng)} holds negative codes but 'signed' is "
                              f"false")
    if max(abs(rng[0]), abs(rng[1])) >= 1 << 31:
        _fail(where, "input", f"key 'range' {list(rng)} needs more than 32 bits")
    classes = _int(where, "network", "classes", obj["classes"], 1)
    layers, out_shape, out_range, out_frac = _layers(where, obj, unit, weight_bits, shape, frac,
                                                     rng)
    if layers[-1].op != "linear":
        _fail(where, layers[-1].name, "the last layer must be linear (its sums are the "
                                      "logits)")
    if out_shape != (classes,):
        _fail(where, "network", f"key 'classes' is {classes}, but the last layer has "
                                f"{out_shape[0]} outputs")
    if "output_frac" in obj and obj["output_frac"] != out_frac:
        _fail(where, "network", f"key 'output_frac' is {obj['output_frac']!r}, the layers "
                                f"give {out_frac}")
    meta = {k: obj[k] for k in ("model", "seed", "activation") if k in obj}
    if unit.coding == "if":                  # the logits sum the last layer over the steps
        out_range = (out_range[0] * unit.steps, out_range[1] * unit.steps)
        if max(abs(v) for v in out_range) >= INT64_SAFE:
            _fail(where, "network", f"the logits summed over {unit.steps} steps reach beyond "
                                    f"62 bits")
    return Network(unit=unit, weight_bits=weight_bits, input_shape=shape,
                   input_signed=inp["signed"], input_frac=frac, input_range=rng,
                   classes=classes, output_frac=out_frac, output_range=out_range,
                   layers=layers, meta=meta, name=where)


def _layers(where, obj, unit, weight_bits, shape, frac, rng):
    layers_in = obj["layers"]
    if not isinstance(layers_in, list) or not layers_in:
        _fail(where, "network", "key 'layers' must be a non-empty list")
    return _propagate(where, unit, weight_bits, shape, frac, rng, layers_in)


def trace(obj, where="network"):
    """The checked layers of a network that may be unfinished (any last layer, ``classes``
    not checked): what a tool building a network layer by layer needs (value ranges)."""
    act = obj.get("activation", "")
    unit = _unit(where, obj["unit"], act if isinstance(act, str) else "")
    inp = obj["input"]
    return _layers(where, obj, unit, obj["weight_bits"], tuple(inp["shape"]), inp["frac"],
                   tuple(inp["range"]))[0]


def _if_unit(where, u):
    """The IF unit: K (N = 2^K - 1 steps), theta; ``steps`` when present must be N."""
    from .units import IF_K_MAX, Unit

    what = "unit"
    _keys(where, what, u, _IF_UNIT_KEYS, ("coding", "K", "theta", "frac_in", "frac_out"))
    K = _int(where, what, "K", u["K"], 1, IF_K_MAX)
    if "steps" in u and u["steps"] != (1 << K) - 1:
        _fail(where, what, f"key 'steps' is {u['steps']!r}, K={K} gives 2^K - 1 = "
                           f"{(1 << K) - 1}")
    theta = _int(where, what, "theta", u["theta"], 1, (1 << 53) - 1)
    Q = u.get("Q")
    if Q is not None:
        _int(where, what, "Q", Q, 2, 16)
    fin = _int(where, what, "frac_in", u["frac_in"], -64, 64)
    fout = _int(where, what, "frac_out", u["frac_out"], -64, 64)
    return Unit("if", "relu", K, Q if Q is not None else 0, {"theta": np.int64(theta)},
                frac_in=fin, frac_out=fout, source=str(u.get("source", "")))


def _unit(where, u, act):
    from .units import Unit

    what = "unit"
    if isinstance(u, dict) and u.get("coding") == "if":
        return _if_unit(where, u)
    _keys(where, what, u, _UNIT_KEYS, ("coding", "K", "T", "h", "d", "frac_in", "frac_out"))
    coding = u["coding"]
    if coding not in NEURON_OPS:
        _fail(where, what, f"key 'coding' must be fs, amos or if, not {coding!r}")
    K = _int(where, what, "K", u["K"], 1, 32)
    Q = u.get("Q")
    if Q is not None:
        _int(where, what, "Q", Q, 2, 16)
    lim = INT64_SAFE
    vec = {}
    for key in ("T", "d") + (("c",) if coding == "amos" else ()):
        if key not in u:
            _fail(where, what, f"missing key '{key}'")
        arr = _array(where, what, key, u[key], 1, -lim, lim)
        if arr.shape != (K,):
            _fail(where, what, f"key '{key}' must hold K={K} integers, not {arr.shape[0]}")
        vec[key] = arr
    if coding == "fs":
        h = _array(where, what, "h", u["h"], 1, -lim, lim)
        if h.shape != (K,):
            _fail(where, what, f"key 'h' must hold K={K} integers, not {h.shape[0]}")
        params = {"T": vec["T"], "h": h, "d": vec["d"]}
    else:
        if "c" in u and coding == "fs":
            _fail(where, what, "key 'c' belongs to AMOS units")
        h = _array(where, what, "h", u["h"], 2, -lim, lim)
        if h.shape != (K, K):
            _fail(where, what, f"key 'h' must be a {K} x {K} matrix, not {h.shape}")
        if np.any(np.triu(h)):
            _fail(where, what, "key 'h' must be strictly lower triangular (h[i][j], j < i)")
        params = {"c": vec["c"], "T": vec["T"], "h": h, "d": vec["d"]}
    fin = _int(where, what, "frac_in", u["frac_in"], -64, 64)
    fout = _int(where, what, "frac_out", u["frac_out"], -64, 64)
    # Q None marks a float unit in net.units; a file's unit is integer whatever its Q says
    return Unit(coding, act, K, Q if Q is not None else 0,
                {k: np.asarray(v, dtype=np.int64) for k, v in params.items()},
                frac_in=fin, frac_out=fout, source=str(u.get("source", "")))


def _propagate(where, unit, weight_bits, shape, frac, rng, layers_in):
    """Check every layer in order, carrying the shape, the fraction and the value range."""
    wlo, whi = -(1 << (weight_bits - 1)), (1 << (weight_bits - 1)) - 1
    layers = []
    lo, hi = rng
    last_affine_range = None
    for i, d in enumerate(layers_in):
        if not isinstance(d, dict):
            _fail(where, f"layer {i}", "must be a JSON object")
        op = d.get("op")
        if op not in OPS:
            _fail(where, f"layer {i}", f"unknown op {op!r} (known: {', '.join(OPS)})")
        what = f"layer {i} ({op})"
        _keys(where, what, d, {"op"} | set(_REQUIRED[op]) | _DESCRIPTIVE[op], _REQUIRED[op])
        layer = Layer(index=i, op=op, in_shape=shape, out_shape=shape, frac_in=frac,
                      frac_out=frac, in_range=(lo, hi))
        if op in AFFINE:
            _affine(where, what, d, layer, (wlo, whi), lo, hi)
            last_affine_range = layer.out_range
        elif op == "avgpool":
            k = _int(where, what, "k", d["k"], 1, 1 << 16)
            if k & (k - 1):
                _fail(where, what, f"key 'k' must be a power of two, not {k}")
            if len(shape) != 3 or shape[1] % k or shape[2] % k:
                _fail(where, what, f"pooling {k} x {k} needs a (C, H, W) input with H and W "
                                   f"multiples of {k}, not {list(shape)}")
            layer.k = k
            layer.out_shape = (shape[0], shape[1] // k, shape[2] // k)
            layer.frac_out = frac + 2 * int(math.log2(k))
            layer.out_range = (lo * k * k, hi * k * k)
        elif op == "flatten":
            layer.out_shape = (int(np.prod(shape)),)
            layer.out_range = (lo, hi)
        elif op == "unflatten":
            new = _shape(where, what, "shape", d["shape"])
            if int(np.prod(new)) != int(np.prod(shape)):
                _fail(where, what, f"key 'shape' {list(new)} does not hold the "
                                   f"{int(np.prod(shape))} values of its input {list(shape)}")
            layer.out_shape = new
            layer.out_range = (lo, hi)
        else:
            if op != unit.coding:
                _fail(where, what, f"the unit is {unit.coding}, not {op}")
            _neurons(where, what, d, layer, unit, lo, hi)
        _descriptive(where, what, d, layer)
        layers.append(layer)
        shape, frac = layer.out_shape, layer.frac_out
        lo, hi = layer.out_range
        if max(abs(lo), abs(hi)) >= INT64_SAFE:
            _fail(where, what, f"values reach {max(abs(lo), abs(hi))}, beyond 62 bits")
    return layers, shape, last_affine_range, frac


def _affine(where, what, d, layer, wrange, lo, hi):
    shape = layer.in_shape
    if layer.op == "linear":
        W = _array(where, what, "W", d["W"], 2, *wrange)
        if len(shape) != 1:
            _fail(where, what, f"a linear layer needs a flat input, not {list(shape)} "
                               f"(flatten first)")
        if W.shape[1] != shape[0]:
            _fail(where, what, f"key 'W' is {W.shape[0]} x {W.shape[1]}, the input has "
                               f"{shape[0]} values")
        if W.shape[0] < 1:
            _fail(where, what, "key 'W' has no rows")
        if d.get("padding", 0) != 0:
            _fail(where, what, f"key 'padding' must be 0 for a linear layer, not "
                               f"{d['padding']!r}")
        out_shape = (W.shape[0],)
        pad = 0
    else:
        W = _array(where, what, "W", d["W"], 4, *wrange)
        pad = _int(where, what, "padding", d["padding"], 0, 64)
        if len(shape) != 3:
            _fail(where, what, f"a conv layer needs a (C, H, W) input, not {list(shape)}")
        co, ci, kh, kw = W.shape
        if ci != shape[0] or co < 1:
            _fail(where, what, f"key 'W' has {ci} input channels, the input has {shape[0]}")
        ho, wo = shape[1] + 2 * pad - kh + 1, shape[2] + 2 * pad - kw + 1
        if ho < 1 or wo < 1:
            _fail(where, what, f"a {kh} x {kw} kernel with padding {pad} does not fit the "
                               f"{shape[1]} x {shape[2]} input")
        out_shape = (co, ho, wo)
        if pad:                      # zero padding enters the sums
            lo, hi = min(lo, 0), max(hi, 0)
    if "shape" in d and d["shape"] != list(W.shape):
        _fail(where, what, f"key 'shape' {d['shape']!r} does not match W, which is "
                           f"{list(W.shape)}")
    b = _array(where, what, "b", d["b"], 1)
    if b.shape != (out_shape[0],):
        _fail(where, what, f"key 'b' must hold {out_shape[0]} biases, not {b.shape[0]}")
    flat = W.reshape(W.shape[0], -1)
    pos = np.where(flat > 0, flat, 0).sum(1)
    neg = np.where(flat < 0, flat, 0).sum(1)
    # Python ints: no int64 wrap-around while bounding
    acc_lo = min(int(p) * lo + int(n) * hi + int(c) for p, n, c in zip(pos, neg, b))
    acc_hi = max(int(p) * hi + int(n) * lo + int(c) for p, n, c in zip(pos, neg, b))
    abs_bound = max(int(s) for s in np.abs(flat).sum(1)) * max(abs(lo), abs(hi))
    if abs_bound >= EXACT_LIMIT or max(abs(acc_lo), abs(acc_hi)) >= EXACT_LIMIT:
        _fail(where, what, f"the accumulator reaches {max(abs_bound, abs(acc_lo), abs(acc_hi))}"
                           f", beyond the 53-bit exact range")
    layer.W, layer.b, layer.padding = W, b, pad
    layer.out_shape = out_shape
    layer.out_range = (acc_lo, acc_hi)
    layer.abs_bound = abs_bound
    layer.frac_out = layer.frac_in + int(d["weight_exp"]) if isinstance(
        d.get("weight_exp"), int) and not isinstance(d.get("weight_exp"), bool) \
        else d.get("frac_out", layer.frac_in)
    if isinstance(layer.frac_out, bool) or not isinstance(layer.frac_out, int):
        _fail(where, what, f"key 'frac_out' must be an integer, not {layer.frac_out!r}")


def _shift(v, r):
    return v >> r if r > 0 else (v << -r if r < 0 else v)


def _neurons(where, what, d, layer, unit, lo, hi):
    shift = _int(where, what, "shift", d["shift"], -SHIFT_MAX, SHIFT_MAX)
    x_lo, x_hi = _shift(lo, shift), _shift(hi, shift)
    if max(abs(x_lo), abs(x_hi)) >= INT64_SAFE:
        _fail(where, what, f"key 'shift' {shift} takes the inputs beyond 62 bits")
    (out_lo, out_hi), big = unit.int_bounds(x_lo, x_hi)
    if big >= INT64_SAFE:
        _fail(where, what, "the neurons' values reach beyond 62 bits")
    layer.shift = shift
    layer.in_range = (x_lo, x_hi)
    layer.out_range = (int(out_lo), int(out_hi))
    layer.frac_in = unit.frac_in
    layer.frac_out = unit.frac_out
    if "alpha" in d:
        a = d["alpha"]
        if isinstance(a, bool) or not isinstance(a, (int, float)) or not a > 0:
            _fail(where, what, f"key 'alpha' must be a positive number, not {a!r}")
        layer.alpha = float(a)


def _descriptive(where, what, d, layer):
    """The keys that describe what the weights already determine must agree with them."""
    checks = {"frac_in": layer.frac_in, "frac_out": layer.frac_out}
    if layer.is_affine:
        checks["acc_range"] = list(layer.out_range)
        checks["acc_bits"] = signed_bits(*layer.out_range)
        checks["bias_bits"] = signed_bits(int(layer.b.min()), int(layer.b.max()))
    elif layer.is_neuron:
        checks["in_range"] = list(layer.in_range)
        checks["in_bits"] = signed_bits(*layer.in_range)
        checks["out_range"] = list(layer.out_range)
    for key, want in checks.items():
        if key in d and d[key] != want:
            got = d[key]
            if key.endswith("_bits") and isinstance(got, int) and got < want:
                _fail(where, what, f"key '{key}' is {got}: too narrow, the values need "
                                   f"{want} bits")
            _fail(where, what, f"key '{key}' is {got!r}, the weights and ranges give {want!r}")
    if layer.is_affine and "weight_exp" in d:
        _int(where, what, "weight_exp", d["weight_exp"], -64, 64)
        if layer.frac_out != layer.frac_in + d["weight_exp"]:
            _fail(where, what, "keys 'frac_out' and 'weight_exp' disagree")


# ---------------------------------------------------------------------------------------------
# writing


def dumps(obj):
    """The network file's text: like :func:`common.cli.dumps_json` (1-space indent, keys in
    the writer's order), but every innermost list of numbers on one line, so a weight matrix
    reads row by row and the file stays small."""
    return _dump(obj, 0) + "\n"


def _flat(v):
    return isinstance(v, list) and all(isinstance(x, (int, float)) and not isinstance(x, bool)
                                       for x in v)


def _dump(v, level):
    pad, inner = " " * level, " " * (level + 1)
    if isinstance(v, dict):
        if not v:
            return "{}"
        items = [f"{inner}{json.dumps(k)}: {_dump(x, level + 1)}" for k, x in v.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(v, list):
        if _flat(v):
            return json.dumps(v, separators=(", ", ": "))
        items = [f"{inner}{_dump(x, level + 1)}" for x in v]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return json.dumps(v)
