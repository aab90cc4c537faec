"""FS conversion: every activation becomes a layer of FS neurons, in float and in exact integers.

Float (:class:`FloatFSNet`)
    The ANN's float64 weights; each activation replaced by :func:`sim.fs.fs_torch` with float
    parameters: for SiLU a trained set (``quant/params/silu_K<K>.json``), for ReLU the analytic
    schedule ``T = h = d = alpha_l 2^-t`` where ``alpha_l`` is the layer's input range.

Integer (:class:`IntFSNet`): the reference the network hardware is checked against
    Every number is an integer with a known number of fraction bits ("frac"):

    * input pixels ``p`` in 0..16, frac 4 (the value is p / 16);
    * weights: 8-bit two's-complement codes per layer with one power-of-two exponent ``s``,
      ``w = code * 2^-s``; ``s`` is the largest with every ``|code| <= 127`` (round to nearest,
      ties to even);
    * a linear or conv layer sums ``code * x`` exactly: its accumulator has frac
      ``frac_in + s``; the bias is an integer in accumulator units (wider than 8 bits, as in any
      int8 inference);
    * average pooling over k x k sums the k^2 values and adds ``2 log2 k`` fraction bits (the
      division is a re-labelling, exact);
    * a neuron layer takes ``x = acc >> shift`` (arithmetic shift: floor) to its input format and
      runs the exact integer FS neuron (:func:`sim.fs.fs_int` semantics). The floor loses
      nothing: every threshold and reset is a multiple of the neuron's input LSB, so
      ``x >= T + H`` holds for ``acc`` exactly when it holds for ``floor(acc)`` (a test checks
      this against an unshifted neuron);
    * SiLU (Q-bit set): input frac ``Q-4``, ``T``, ``h``, ``d`` are the codes themselves
      (``T_int = code << (F-(Q-4))`` with F = Q-4), output frac ``Q-4``;
    * ReLU: no codes. The neuron works on ``u = pre / alpha_l`` in units of the quantum
      ``2^-K`` (input frac K), ``T = h = d = 2^(K-t)`` and outputs ``clamp(floor(u 2^K), 0,
      2^K - 1)`` with frac K. **alpha goes into the weights**: the layer feeding neuron layer l
      uses ``W alpha_(l-1) / alpha_l`` and ``b / alpha_l`` (alpha_0 = 1 for the pixels, and 1
      for the read-out), so the hardware never multiplies by alpha. Half a quantum,
      ``2^-(K+1)``, is added to the bias so the neuron rounds instead of flooring;
    * the read-out layer's integer sums are the logits; the class is their arg-max (first
      maximum on ties).

    The accumulations run as float64 matrix products on the CPU or a GPU; they are exact
    because every partial sum is an integer bounded by ``sum |code| |x|``, which the
    constructor proves below 2^53 from the value ranges (else it refuses the network).
"""

import math
from dataclasses import dataclass, field

import numpy as np

from quant.fixed import QFormat
from quant.params import (load, load_published, published_path, shipped_path, list_shipped,
                          ParamError)
from sim.fs import fs_int_bounds, fs_torch, relu_schedule
from .graph import apply_linear, forward_float

__all__ = ["FloatFSNet", "IntFSNet", "fs_float_params", "fs_int_params", "quantize_weights",
           "SimResult", "EXACT_FLOAT_LIMIT"]

#: Integers below this magnitude are exact in float64, and so are sums of them that stay below.
EXACT_FLOAT_LIMIT = 1 << 53


@dataclass
class SimResult:
    """What a spiking network did on a batch of images.

    Attributes
    ----------
    logits : ndarray, shape (n, 10)
        Read-out sums (float, or int64 for the integer networks).
    spikes : list of ndarray
        Per neuron layer, the spikes of every neuron for every image (shape (n, ...)).
    records : list of dict
        With ``record=True``: per neuron layer ``x`` (the neuron inputs), ``value``, ``mask``
        (spike bit masks, bit t-1 = z(t)); empty otherwise.
    """

    logits: np.ndarray
    spikes: list
    records: list = field(default_factory=list)

    @property
    def predictions(self):
        return np.asarray(self.logits).argmax(axis=1)

    @property
    def neurons(self):
        """Neurons per image (all neuron layers)."""
        return int(sum(np.prod(s.shape[1:]) for s in self.spikes))

    def spikes_per_neuron(self):
        """Each neuron's spike count for each image, flattened over all neuron layers."""
        return np.concatenate([s.reshape(len(s), -1) for s in self.spikes], axis=1)

    def mean_spikes(self):
        return float(self.spikes_per_neuron().mean())


# ----------------------------------------------------------------------------------------------
# parameter sets


def _missing(act, K, Q, prefix=""):
    have = ", ".join(list_shipped(prefix + act)) or "none"
    qarg = f" --Q {Q}" if Q is not None else ""
    return ValueError(f"no {prefix}{act} parameter set with K={K}"
                      + (f" Q={Q}" if Q is not None else "")
                      + f" in quant/params (have: {have}); make one with: python -m quant train "
                        f"--act {act} --K {K}{qarg}")


def fs_float_params(act, K):
    """Float (T, h, d) of a trained FS set and where it came from.

    The shipped set ``quant/params/<act>_K<K>.json`` when there is one, else the published set
    (quant/published) for that K; ValueError otherwise. ReLU has no set (it is analytic).
    """
    path = shipped_path(act, K)
    if path.exists():
        ps = load(path)
        T, h, d = ps.values()
        return (T, h, d), f"quant/params/{path.name}"
    pub = published_path(act, K)
    if pub is not None:
        _, _, _, T, h, d = load_published(pub)
        return (T, h, d), f"quant/published/{pub.name}"
    raise _missing(act, K, None)


def fs_int_params(act, K, Q):
    """Q-bit codes (T, h, d) of an FS set and where they came from.

    The shipped ``quant/params/<act>_K<K>_Q<Q>.json`` when there is one; else the float set
    (shipped or published) rounded to Q-bit codes, saturating at [-8, 8) (a stand-in until a
    trained Q-bit set exists, and worse than one).
    """
    path = shipped_path(act, K, Q)
    if path.exists():
        ps = load(path)
        if ps.Q != Q or ps.K != K:
            raise ParamError(f"{path}: declares K={ps.K} Q={ps.Q}, expected K={K} Q={Q}")
        return tuple(np.array(p, dtype=np.int64) for p in (ps.T, ps.h, ps.d)), \
            f"quant/params/{path.name}"
    (T, h, d), source = fs_float_params(act, K)
    q = QFormat(Q)
    return tuple(q.quantize(p) for p in (T, h, d)), f"{source} rounded to Q={Q}"


# ----------------------------------------------------------------------------------------------
# float FS network


def _neuron_layers(ops):
    return [i for i, op in enumerate(ops) if op.kind == "act"]


class FloatFSNet:
    """The ANN with every activation replaced by float FS neurons.

    Parameters
    ----------
    ops : list of Op
        The ANN (:func:`sim.net.graph.extract`).
    K : int
    params : tuple of arrays, optional
        (T, h, d) for a trained activation (SiLU); not used for ReLU.
    alphas : list of float, optional
        ReLU only: each neuron layer's input range.
    relu_round : bool
        ReLU only: add half a quantum to the neuron input, so it rounds instead of flooring.
    """

    def __init__(self, ops, K, params=None, alphas=None, relu_round=True):
        self.ops = ops
        self.K = int(K)
        self.layers = _neuron_layers(ops)
        acts = {ops[i].act for i in self.layers}
        if len(acts) != 1:
            raise ValueError(f"expected one activation type, found {sorted(acts)}")
        self.act = acts.pop()
        self.units = {}
        for n, i in enumerate(self.layers):
            if self.act == "relu":
                if alphas is None or len(alphas) != len(self.layers):
                    raise ValueError("ReLU conversion needs one alpha per neuron layer")
                a = float(alphas[n])
                sched = np.array([a * 2.0 ** -t for t in range(1, self.K + 1)])
                offset = a * 2.0 ** -(self.K + 1) if relu_round else 0.0
                self.units[i] = (sched, sched, sched, offset)
            else:
                if params is None:
                    raise ValueError(f"{self.act} conversion needs an FS parameter set")
                T, h, d = (np.asarray(p, dtype=np.float64) for p in params)
                if not len(T) == len(h) == len(d) == self.K:
                    raise ValueError(f"parameter set has {len(T)} steps, K={self.K}")
                self.units[i] = (T, h, d, 0.0)

    @property
    def neuron_layers(self):
        return len(self.layers)

    def forward(self, x, device="cpu"):
        """Run pixel values (n, 64) in [0, 1]; return a :class:`SimResult`."""
        import torch

        spikes = []

        def act(i, op, v):
            *params, offset = self.units[i]
            T, h, d = (torch.as_tensor(p, device=v.device) for p in params)
            out, count = fs_torch(v + offset, T, h, d)
            spikes.append(count.round().to(torch.int64).cpu().numpy())
            return out

        with torch.no_grad():
            logits = forward_float(self.ops, torch.as_tensor(np.asarray(x), device=device),
                                   act_fn=act)
        return SimResult(logits.cpu().numpy(), spikes)


# ----------------------------------------------------------------------------------------------
# integer FS network


def quantize_weights(W, bits=8):
    """8-bit (or ``bits``) codes and exponent s with ``W ~= code * 2^-s``, per layer.

    s is the largest integer with ``max |W| * 2^s <= 2^(bits-1) - 1``, so no code saturates;
    the codes are ``rint(W 2^s)`` (nearest, ties to even).
    """
    if isinstance(bits, bool) or not isinstance(bits, int) or not 2 <= bits <= 16:
        raise ValueError(f"weight bits must be an integer from 2 to 16, not {bits!r}")
    W = np.asarray(W, dtype=np.float64)
    top = (1 << (bits - 1)) - 1
    m = float(np.max(np.abs(W))) if W.size else 0.0
    if m == 0.0:
        return np.zeros(W.shape, dtype=np.int64), 0
    s = math.floor(math.log2(top / m))
    while m * 2.0 ** s > top:        # guard the floor against log2 rounding
        s -= 1
    codes = np.rint(W * 2.0 ** s).astype(np.int64)
    return codes, s


def _shift(x, r):
    """x * 2^-r, floor: arithmetic right shift for r > 0, left shift for r < 0."""
    return x >> r if r > 0 else (x << -r if r < 0 else x)


def _py_shift(v, r):
    return v >> r if r > 0 else v << -r


@dataclass
class IntAffine:
    """A linear or conv layer in integers (see the module notes for the format)."""

    kind: str
    W: np.ndarray               # int64 codes
    exp: int                    # w = code * 2^-exp
    b: np.ndarray               # int64, accumulator units
    frac_in: int
    frac_out: int
    padding: int = 0
    acc_range: tuple = (0, 0)
    abs_bound: int = 0          # max over outputs of sum |code| |x| (float64 exactness)


@dataclass
class IntPool:
    k: int
    frac_in: int
    frac_out: int


@dataclass
class IntReshape:
    kind: str                   # flatten / unflatten
    shape: tuple = ()


@dataclass
class IntNeuron:
    """A layer of FS neurons: ``x = acc >> shift``, then T, h (input LSB) and d (output LSB)."""

    T: tuple
    h: tuple
    d: tuple
    shift: int
    frac_in: int
    frac_out: int
    alpha: float = None         # ReLU: the layer's input range (real value of u = 1)
    in_range: tuple = (0, 0)
    out_range: tuple = (0, 0)

    @property
    def K(self):
        return len(self.T)


class IntFSNet:
    """The quantized FS network, exact in integers; runs on the CPU or a GPU (torch).

    Parameters
    ----------
    ops : list of Op
        The float ANN.
    K : int
    Q : int or None
        Code width of the SiLU set (None for ReLU, which has no codes).
    codes : tuple of int arrays, optional
        (T, h, d) Q-bit codes (SiLU).
    alphas : list of float, optional
        ReLU: each neuron layer's input range.
    weight_bits : int
        Width of the weight codes (8).
    relu_round : bool
        ReLU: bias + half a quantum (round instead of floor).
    input_frac : int
        Fraction bits of the input pixel codes (4: p / 16).
    input_range : (int, int)
        Range of the input codes (0..16), for the exactness proof and the widths.
    """

    def __init__(self, ops, K, Q=None, codes=None, alphas=None, weight_bits=8, relu_round=True,
                 input_frac=4, input_range=(0, 16)):
        self.K = int(K)
        self.Q = Q
        self.weight_bits = weight_bits
        self.input_frac = int(input_frac)
        self.input_range = tuple(int(v) for v in input_range)
        layer_idx = _neuron_layers(ops)
        acts = {ops[i].act for i in layer_idx}
        if len(acts) != 1:
            raise ValueError(f"expected one activation type, found {sorted(acts)}")
        self.act = acts.pop()
        if self.act == "relu":
            if alphas is None or len(alphas) != len(layer_idx):
                raise ValueError("ReLU conversion needs one alpha per neuron layer")
            T = h = d = tuple(relu_schedule(self.K)[0])
            n_frac_in = n_frac_out = self.K
        else:
            if Q is None or codes is None:
                raise ValueError(f"{self.act} conversion needs Q and Q-bit codes")
            q = QFormat(Q)
            T, h, d = (tuple(int(c) for c in q.check_codes(p)) for p in codes)
            if not len(T) == len(h) == len(d) == self.K:
                raise ValueError(f"parameter set has {len(T)} steps, K={self.K}")
            n_frac_in = n_frac_out = q.frac
        # the real value carried by one unit of each neuron layer's normalized signal
        scales = [float(a) for a in alphas] if self.act == "relu" else [1.0] * len(layer_idx)

        self.layers = []
        frac = self.input_frac
        lo, hi = self.input_range
        shape_ok = True
        cur_scale = 1.0           # real value of one unit of the current tensor (pixels: 1)
        n_layer = 0
        for i, op in enumerate(ops):
            if op.kind in ("linear", "conv"):
                nxt = [j for j in layer_idx if j > i]
                last = not nxt
                next_scale = 1.0 if last else scales[layer_idx.index(nxt[0])]
                W = op.W * (cur_scale / next_scale)
                b = op.b / next_scale
                if self.act == "relu" and relu_round and not last:
                    b = b + 2.0 ** -(self.K + 1)
                codes_w, exp = quantize_weights(W, weight_bits)
                frac_out = frac + exp
                b_int = np.rint(b * 2.0 ** frac_out).astype(np.int64)
                if op.kind == "conv":           # zero padding enters the sums
                    lo, hi = min(lo, 0), max(hi, 0)
                Wflat = codes_w.reshape(codes_w.shape[0], -1)
                pos = np.where(Wflat > 0, Wflat, 0).sum(1)
                neg = np.where(Wflat < 0, Wflat, 0).sum(1)
                acc_lo = pos * lo + neg * hi + b_int
                acc_hi = pos * hi + neg * lo + b_int
                abs_bound = int((np.abs(Wflat).sum(1) * max(abs(lo), abs(hi))).max())
                if abs_bound >= EXACT_FLOAT_LIMIT or \
                        max(abs(int(acc_lo.min())), abs(int(acc_hi.max()))) >= (1 << 62):
                    raise ValueError(f"layer {i}: accumulator bound {abs_bound} is too wide for "
                                     f"exact float64/int64 arithmetic")
                lo, hi = int(acc_lo.min()), int(acc_hi.max())
                self.layers.append(IntAffine(op.kind, codes_w, exp, b_int, frac, frac_out,
                                             op.padding, (lo, hi), abs_bound))
                frac = frac_out
                cur_scale = next_scale
            elif op.kind == "pool":
                extra = 2 * int(math.log2(op.k))
                self.layers.append(IntPool(op.k, frac, frac + extra))
                lo, hi = lo * op.k * op.k, hi * op.k * op.k
                frac += extra
            elif op.kind in ("flatten", "unflatten"):
                self.layers.append(IntReshape(op.kind, op.shape))
            elif op.kind == "act":
                shift = frac - n_frac_in
                x_lo, x_hi = _py_shift(lo, shift), _py_shift(hi, shift)
                bounds = fs_int_bounds(x_lo, x_hi, T, h, d)
                self.layers.append(IntNeuron(
                    T, h, d, shift, n_frac_in, n_frac_out,
                    alpha=scales[n_layer] if self.act == "relu" else None,
                    in_range=(x_lo, x_hi), out_range=bounds["out"]))
                if max(abs(v) for v in bounds["v"] + bounds["T"]) >= (1 << 62):
                    raise ValueError(f"layer {i}: neuron values too wide for int64")
                lo, hi = bounds["out"]
                frac = n_frac_out
                n_layer += 1
            else:
                raise ValueError(f"unknown op {op.kind!r}")
        del shape_ok
        self.output_frac = frac
        self._dev_cache = {}

    @property
    def neuron_layers(self):
        return sum(isinstance(layer, IntNeuron) for layer in self.layers)

    def _tensors(self, device):
        """The layers' constants as torch tensors on ``device`` (cached)."""
        import torch

        key = str(device)
        if key not in self._dev_cache:
            consts = []
            for layer in self.layers:
                if isinstance(layer, IntAffine):
                    consts.append((torch.as_tensor(layer.W, dtype=torch.float64, device=device),
                                   torch.as_tensor(layer.b, dtype=torch.int64, device=device)))
                elif isinstance(layer, IntNeuron):
                    consts.append(tuple(torch.tensor(p, dtype=torch.int64, device=device)
                                        for p in (layer.T, layer.h, layer.d)))
                else:
                    consts.append(None)
            self._dev_cache[key] = consts
        return self._dev_cache[key]

    def forward(self, x_codes, device="cpu", record=False, batch=4096):
        """Run integer pixel codes (n, 64); return a :class:`SimResult` with int64 logits.

        ``record=True`` also returns, per neuron layer, the neuron inputs, outputs and spike
        masks (for checking against :func:`sim.fs.fs_int` neuron by neuron).
        """
        x_codes = np.asarray(x_codes)
        if x_codes.dtype.kind not in "iu":
            raise TypeError(f"pixel codes must be integers, not {x_codes.dtype}")
        if x_codes.size and (x_codes.min() < self.input_range[0]
                             or x_codes.max() > self.input_range[1]):
            raise ValueError(f"pixel codes outside {self.input_range[0]}..{self.input_range[1]}")
        parts = [self._forward(x_codes[s:s + batch], device, record)
                 for s in range(0, max(len(x_codes), 1), batch)]
        logits = np.concatenate([p.logits for p in parts])
        spikes = [np.concatenate([p.spikes[k] for p in parts]) for k in range(len(parts[0].spikes))]
        records = []
        if record:
            for k in range(len(parts[0].records)):
                records.append({name: np.concatenate([p.records[k][name] for p in parts])
                                for name in parts[0].records[k]})
        return SimResult(logits, spikes, records)

    def _forward(self, x_codes, device, record):
        import torch
        import torch.nn.functional as F

        consts = self._tensors(device)
        x = torch.tensor(np.asarray(x_codes, dtype=np.int64), device=device)
        spikes, records = [], []
        with torch.no_grad():
            for layer, c in zip(self.layers, consts):
                if isinstance(layer, IntAffine):
                    W, b = c
                    xf = x.to(torch.float64)
                    if layer.kind == "linear":
                        acc = xf @ W.T
                    else:
                        n, _, hgt, wid = xf.shape
                        co, _, kh, kw = W.shape
                        cols = F.unfold(xf, (kh, kw), padding=layer.padding)
                        acc = (W.reshape(co, -1) @ cols).reshape(n, co, hgt + 2 * layer.padding
                                                                 - kh + 1,
                                                                 wid + 2 * layer.padding - kw + 1)
                        b = b.reshape(1, co, 1, 1)
                    # exact: every partial sum is an integer below 2^53 (proved in __init__)
                    x = acc.to(torch.int64) + b
                elif isinstance(layer, IntPool):
                    n, ch, hgt, wid = x.shape
                    k = layer.k
                    x = x.reshape(n, ch, hgt // k, k, wid // k, k).sum(dim=(3, 5))
                elif isinstance(layer, IntReshape):
                    x = x.reshape(x.shape[0], -1) if layer.kind == "flatten" \
                        else x.reshape(x.shape[0], *layer.shape)
                else:
                    T, h, d = c
                    xin = _shift(x, layer.shift)
                    bits = []

                    def spike(u):
                        z = (u >= 0).to(torch.int64)
                        bits.append(z)
                        return z

                    out, count = fs_torch(xin, T, h, d, spike=spike)
                    spikes.append(count.cpu().numpy())
                    if record:
                        mask = torch.zeros_like(xin)
                        for t, z in enumerate(bits):
                            mask |= z << t
                        records.append({"x": xin.cpu().numpy(), "value": out.cpu().numpy(),
                                        "mask": mask.cpu().numpy()})
                    x = out
        return SimResult(x.cpu().numpy(), spikes, records)

    # ------------------------------------------------------------------------------------------

    def describe(self):
        """Per-layer summary rows: op, shapes, formats, ranges (for tables and the export)."""
        rows = []
        for layer in self.layers:
            if isinstance(layer, IntAffine):
                rows.append({"op": layer.kind, "weights": list(layer.W.shape),
                             "weight_exp": layer.exp, "frac_in": layer.frac_in,
                             "frac_out": layer.frac_out, "acc_range": list(layer.acc_range),
                             "acc_bits": _signed_bits(*layer.acc_range),
                             "bias_bits": _signed_bits(int(layer.b.min()), int(layer.b.max()))})
            elif isinstance(layer, IntPool):
                rows.append({"op": "avgpool", "k": layer.k, "frac_in": layer.frac_in,
                             "frac_out": layer.frac_out})
            elif isinstance(layer, IntReshape):
                rows.append({"op": layer.kind})
            else:
                rows.append({"op": "fs", "K": layer.K, "shift": layer.shift,
                             "frac_in": layer.frac_in, "frac_out": layer.frac_out,
                             "in_range": list(layer.in_range),
                             "in_bits": _signed_bits(*layer.in_range),
                             "out_range": list(layer.out_range)})
        return rows

    def to_dict(self, **meta):
        """The whole integer network as JSON-able data: what network hardware would load."""
        layers = []
        for layer, row in zip(self.layers, self.describe()):
            row = dict(row)
            if isinstance(layer, IntAffine):
                row["padding"] = layer.padding
                row["W"] = layer.W.tolist()
                row["b"] = layer.b.tolist()
            elif isinstance(layer, IntReshape) and layer.kind == "unflatten":
                row["shape"] = list(layer.shape)
            elif isinstance(layer, IntNeuron):
                row.update(T=list(layer.T), h=list(layer.h), d=list(layer.d))
                if layer.alpha is not None:
                    row["alpha"] = layer.alpha
            layers.append(row)
        return {"format": "spikegen-fs-network", **meta, "K": self.K, "Q": self.Q,
                "activation": self.act, "weight_bits": self.weight_bits,
                "input": {"frac": self.input_frac, "range": list(self.input_range)},
                "output_frac": self.output_frac, "layers": layers}


def _signed_bits(lo, hi):
    """Bits of a two's-complement number holding [lo, hi] (as gen.widths.signed_width)."""
    lo, hi = int(lo), int(hi)
    return max((lo if lo >= 0 else ~lo).bit_length(), (hi if hi >= 0 else ~hi).bit_length()) + 1
