"""Converted spiking networks: every activation of the ANN becomes a layer of FS neurons or AMOS
units, simulated in float (:class:`FloatSNN`) or in exact integers (:class:`IntSNN`); or of
rate-coded IF neurons (integer only, time-stepped: :meth:`IntSNN._forward_if`).

Float
    The ANN's float64 weights; each activation replaced by the unit's float golden model
    (:func:`sim.fs.fs_torch`, :func:`sim.amos.amos_torch`). ReLU units use the analytic
    schedule scaled by the layer's range alpha_l (FS: ``T = h = d = alpha_l 2^-t``).

Integer: the reference the network hardware is checked against
    Every number is an integer with a known number of fraction bits ("frac"):

    * input pixels ``p`` in 0..16, frac 4 (the value is p / 16);
    * weights: 8-bit two's-complement codes, one power-of-two exponent ``s`` per layer,
      ``w = code * 2^-s``; ``s`` is the largest with every ``|code| <= 127`` (round to nearest,
      ties to even; :func:`quantize_weights`);
    * a linear or conv layer sums ``code * x`` exactly: the accumulator has frac
      ``frac_in + s``; the bias is an integer in accumulator units (wider than 8 bits, as in
      any int8 inference);
    * average pooling over k x k sums the k^2 values and adds ``2 log2 k`` fraction bits (the
      division is a re-labelling, exact);
    * a neuron layer takes ``x = acc >> shift`` (arithmetic shift: floor) to the unit's input
      format (:mod:`net.units`: frac ``Q-4`` for SiLU codes, the ReLU quantum for ReLU) and
      runs the exact integer unit. For FS neurons the floor loses nothing: every threshold and
      reset is a multiple of the input LSB, so ``x >= T + H`` holds for ``acc`` exactly when it
      holds for ``floor(acc)`` (a test checks it against an unshifted neuron);
    * ReLU has no codes. Its neurons work on ``u = pre / alpha_l`` in units of the quantum
      ``2^-K``. **alpha goes into the weights**: the layer feeding neuron layer l uses
      ``W alpha_(l-1) / alpha_l`` and ``b / alpha_l`` (alpha_0 = 1 for the pixels, and 1 for
      the read-out), so nothing multiplies by alpha at run time. Half a quantum,
      ``2^-(K+1)``, is added to the bias so the neuron rounds instead of flooring (both float
      and integer networks do this);
    * the read-out layer's integer sums are the logits; the class is their arg-max (the first
      maximum on ties).

    The accumulations run as float64 matrix products (CPU or GPU; convolutions as unfold +
    matrix product, no algorithm that could round); they are exact because every partial sum is
    an integer of magnitude at most ``sum |code| |x|``, which the constructor proves below 2^53
    from the value ranges (else it refuses the network). Neurons run in int64.
"""

import math
from dataclasses import dataclass, field

import numpy as np

from .graph import forward_float
from .threads import one_thread

__all__ = ["FloatSNN", "IntSNN", "SimResult", "quantize_weights", "EXACT_FLOAT_LIMIT"]

#: Integers below this magnitude are exact in float64, and so are sums of them that stay below.
EXACT_FLOAT_LIMIT = 1 << 53
#: Largest magnitude allowed for any int64 intermediate (one bit of head-room).
INT64_SAFE = 1 << 62


@dataclass
class SimResult:
    """What a spiking network did on a batch of images.

    Attributes
    ----------
    logits : ndarray, shape (n, 10)
        Read-out sums (float64, or int64 for the integer networks).
    spikes : list of ndarray
        Per neuron layer, the spike count of every neuron for every image (shape (n, ...)).
    records : list of dict
        With ``record=True``: per neuron layer ``x`` (the neuron inputs), ``value`` and
        ``mask`` (spike bit masks, bit t-1 = z(t)).
    """

    logits: np.ndarray
    spikes: list
    records: list = field(default_factory=list)

    @property
    def predictions(self):
        return np.asarray(self.logits).argmax(axis=1)

    def spikes_per_neuron(self):
        """Spike counts, shape (images, neurons): all neuron layers side by side."""
        return np.concatenate([s.reshape(len(s), -1) for s in self.spikes], axis=1)

    def mean_spikes(self):
        """Mean spikes per neuron per image."""
        return float(self.spikes_per_neuron().mean())


def _neuron_layers(ops):
    return [i for i, op in enumerate(ops) if op.kind == "act"]


def _one_activation(ops, unit):
    idx = _neuron_layers(ops)
    acts = {ops[i].act for i in idx}
    if acts != {unit.act}:
        raise ValueError(f"the network's activations {sorted(acts)} do not match the "
                         f"{unit.act} unit")
    return idx


class FloatSNN:
    """The ANN with every activation replaced by float neurons.

    Parameters
    ----------
    ops : list of Op
        The ANN (:func:`net.graph.extract`).
    unit : Unit
        A float unit (:func:`net.units.fs_unit` / ``amos_unit`` with Q None).
    alphas : list of float, optional
        ReLU only: each neuron layer's input range alpha_l.
    relu_round : bool
        ReLU only: add half a quantum to the neuron input (round instead of floor).
    """

    def __init__(self, ops, unit, alphas=None, relu_round=True):
        if unit.is_int:
            raise ValueError("FloatSNN needs a float unit (Q None)")
        self.ops = ops
        self.unit = unit
        self.layers = _one_activation(ops, unit)
        if unit.act == "relu" and (alphas is None or len(alphas) != len(self.layers)):
            raise ValueError("ReLU conversion needs one alpha per neuron layer")
        self.alphas = list(alphas) if alphas is not None else None
        self.relu_round = relu_round

    @property
    def neuron_layers(self):
        return len(self.layers)

    def forward(self, x, device="cpu"):
        """Run pixel values (n, 64) in [0, 1]; return a :class:`SimResult`."""
        import torch

        spikes = []

        def act(i, op, v):
            n = self.layers.index(i)
            alpha = self.alphas[n] if self.unit.act == "relu" else None
            if alpha is not None and self.relu_round:
                v = v + alpha * 2.0 ** -(self.unit.K + 1)
            out, count = self.unit.run_float(v, alpha)
            spikes.append(count.round().to(torch.int64).cpu().numpy())
            return out

        with torch.no_grad(), one_thread():
            x = torch.tensor(np.asarray(x, dtype=np.float64), device=device)
            logits = forward_float(self.ops, x, act_fn=act)
        return SimResult(logits.cpu().numpy(), spikes)


def quantize_weights(W, bits=8):
    """Codes and exponent s with ``W ~= code * 2^-s``, one s per layer.

    s is the largest integer with ``max |W| * 2^s <= 2^(bits-1) - 1``, so no code saturates;
    the codes are ``rint(W 2^s)`` (nearest, ties to even).
    """
    if isinstance(bits, bool) or not isinstance(bits, (int, np.integer)) or not 2 <= bits <= 16:
        raise ValueError(f"weight bits must be an integer from 2 to 16, not {bits!r}")
    W = np.asarray(W, dtype=np.float64)
    if not np.all(np.isfinite(W)):
        raise ValueError("weights must be finite")
    top = (1 << (int(bits) - 1)) - 1
    m = float(np.max(np.abs(W))) if W.size else 0.0
    if m == 0.0:
        return np.zeros(W.shape, dtype=np.int64), 0
    s = math.floor(math.log2(top / m))
    while m * 2.0 ** s > top:        # guard the floor against log2 rounding
        s -= 1
    return np.rint(W * 2.0 ** s).astype(np.int64), s


def _conv_as_matmul(x, W, padding):
    """Stride-1 convolution as one matrix product over shifted copies of the input (im2col by
    slicing): plain sums of products, exact for integer data below 2^53, on any device."""
    import torch
    import torch.nn.functional as F

    n, ci, hgt, wid = x.shape
    co, _, kh, kw = W.shape
    xp = F.pad(x, (padding, padding, padding, padding))
    ho, wo = hgt + 2 * padding - kh + 1, wid + 2 * padding - kw + 1
    cols = [xp[:, :, i:i + ho, j:j + wo] for i in range(kh) for j in range(kw)]
    cols = torch.stack(cols, dim=2).reshape(n, ci * kh * kw, ho * wo)    # (ci, kh, kw) order
    return (W.reshape(co, -1) @ cols).reshape(n, co, ho, wo)


def _shift(x, r):
    """x * 2^-r, floor: arithmetic right shift for r > 0, left shift for r < 0."""
    return x >> r if r > 0 else (x << -r if r < 0 else x)


@dataclass
class IntAffine:
    """A linear or conv layer in integers: ``acc = sum code * x + b`` (frac_in + exp)."""

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
    """k x k average pooling as a sum: frac grows by 2 log2 k."""

    k: int
    frac_in: int
    frac_out: int


@dataclass
class IntReshape:
    kind: str                   # flatten / unflatten
    shape: tuple = ()


@dataclass
class IntNeurons:
    """A layer of integer units: ``x = acc >> shift``, then the unit."""

    shift: int
    frac_in: int
    frac_out: int
    alpha: float = None         # ReLU: the layer's range (the real value of u = 1)
    in_range: tuple = (0, 0)
    out_range: tuple = (0, 0)


class IntSNN:
    """The quantized spiking network, exact in integers; runs on the CPU or a GPU (torch).

    Parameters
    ----------
    ops : list of Op
        The float ANN.
    unit : Unit
        An integer unit (Q given): FS neuron, AMOS unit or IF neuron (the IF network runs
        ``unit.steps`` time steps; its spikes go on with the value 1 = the layer's alpha).
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

    def __init__(self, ops, unit, alphas=None, weight_bits=8, relu_round=True, input_frac=4,
                 input_range=(0, 16), input_shape=(64,)):
        if not unit.is_int:
            raise ValueError("IntSNN needs an integer unit (give Q)")
        self.unit = unit
        self.weight_bits = weight_bits
        self.input_frac = int(input_frac)
        self.input_range = tuple(int(v) for v in input_range)
        layer_idx = _one_activation(ops, unit)
        if unit.act == "relu":
            if alphas is None or len(alphas) != len(layer_idx):
                raise ValueError("ReLU conversion needs one alpha per neuron layer")
            scales = [float(a) for a in alphas]
        else:
            scales = [1.0] * len(layer_idx)

        self.layers = []
        frac = self.input_frac
        lo, hi = self.input_range
        cur_scale = 1.0           # real value of one unit of the current tensor (pixels: 1)
        for i, op in enumerate(ops):
            if op.kind in ("linear", "conv"):
                nxt = [j for j in layer_idx if j > i]
                last = not nxt
                next_scale = 1.0 if last else scales[layer_idx.index(nxt[0])]
                W = op.W * (cur_scale / next_scale)
                b = op.b / next_scale
                if unit.act == "relu" and relu_round and not last:
                    b = b + 2.0 ** -(unit.K + 1)
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
                lo, hi = int(acc_lo.min()), int(acc_hi.max())
                if abs_bound >= EXACT_FLOAT_LIMIT or max(abs(lo), abs(hi)) >= INT64_SAFE:
                    raise ValueError(f"layer {i}: accumulator bound {abs_bound} is too wide for "
                                     f"exact float64 accumulation")
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
                shift = frac - unit.frac_in
                x_lo, x_hi = int(_shift(lo, shift)), int(_shift(hi, shift))
                (out_lo, out_hi), big = unit.int_bounds(x_lo, x_hi)
                if big >= INT64_SAFE:
                    raise ValueError(f"layer {i}: neuron values too wide for int64")
                self.layers.append(IntNeurons(
                    shift, unit.frac_in, unit.frac_out,
                    alpha=scales[layer_idx.index(i)] if unit.act == "relu" else None,
                    in_range=(x_lo, x_hi), out_range=(int(out_lo), int(out_hi))))
                lo, hi = int(out_lo), int(out_hi)
                frac = unit.frac_out
            else:
                raise ValueError(f"unknown op {op.kind!r}")
        self.output_frac = frac
        self.input_shape = tuple(int(v) for v in input_shape)
        self._dev_cache = {}

    @classmethod
    def from_layers(cls, layers, unit, *, weight_bits, input_frac, input_range, input_shape,
                    output_frac):
        """A network from its integer layers as they are (a network file,
        :meth:`net.netfile.Network.int_snn`): nothing is quantized or re-derived."""
        net = cls.__new__(cls)
        net.unit = unit
        net.weight_bits = int(weight_bits)
        net.input_frac = int(input_frac)
        net.input_range = tuple(int(v) for v in input_range)
        net.input_shape = tuple(int(v) for v in input_shape)
        net.layers = list(layers)
        net.output_frac = int(output_frac)
        net._dev_cache = {}
        return net

    @property
    def neuron_layers(self):
        return sum(isinstance(layer, IntNeurons) for layer in self.layers)

    def _tensors(self, device):
        """The layers' constants as torch tensors on ``device`` (cached)."""
        import torch

        key = str(device)
        if key not in self._dev_cache:
            consts = []
            for layer in self.layers:
                if isinstance(layer, IntAffine):
                    consts.append((torch.as_tensor(layer.W, dtype=torch.float64, device=device),
                                   torch.tensor(layer.b, dtype=torch.int64, device=device)))
                elif isinstance(layer, IntNeurons):
                    consts.append(self.unit.int_tensors(device))
                else:
                    consts.append(None)
            self._dev_cache[key] = consts
        return self._dev_cache[key]

    def forward(self, x_codes, device="cpu", record=False, batch=2048):
        """Run integer pixel codes (n, 64); return a :class:`SimResult` with int64 logits.

        ``record=True`` also returns, per neuron layer, the neuron inputs, outputs and spike
        masks (to check them against the golden model neuron by neuron).
        """
        x_codes = np.asarray(x_codes)
        if x_codes.dtype.kind not in "iu":
            raise TypeError(f"pixel codes must be integers, not {x_codes.dtype}")
        count = int(np.prod(self.input_shape))
        if x_codes.ndim != 2 or len(x_codes) == 0 or x_codes.shape[1] != count:
            raise ValueError(f"pixel codes must have shape (n >= 1, {count}), not "
                             f"{x_codes.shape}")
        if x_codes.min() < self.input_range[0] or x_codes.max() > self.input_range[1]:
            raise ValueError(f"pixel codes outside {self.input_range[0]}..{self.input_range[1]}")
        with one_thread():
            parts = [self._forward(x_codes[s:s + batch], device, record)
                     for s in range(0, len(x_codes), batch)]
        logits = np.concatenate([p.logits for p in parts])
        spikes = [np.concatenate([p.spikes[k] for p in parts])
                  for k in range(len(parts[0].spikes))]
        records = [{name: np.concatenate([p.records[k][name] for p in parts])
                    for name in parts[0].records[k]} for k in range(len(parts[0].records))]
        return SimResult(logits, spikes, records)

    def _forward(self, x_codes, device, record):
        if self.unit.coding == "if":
            return self._forward_if(x_codes, device, record)
        import torch

        consts = self._tensors(device)
        x = torch.tensor(np.asarray(x_codes, dtype=np.int64), device=device)
        x = x.reshape(len(x), *self.input_shape)        # C order: a pure re-labelling
        spikes, records = [], []
        with torch.no_grad():
            for layer, c in zip(self.layers, consts):
                if isinstance(layer, IntAffine):
                    W, b = c
                    xf = x.to(torch.float64)
                    if layer.kind == "linear":
                        acc = xf @ W.T
                    else:
                        acc = _conv_as_matmul(xf, W, layer.padding)
                        b = b.reshape(1, -1, 1, 1)
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
                    xin = _shift(x, layer.shift)
                    out, count, mask = self.unit.run_int(xin, c)
                    spikes.append(count.cpu().numpy())
                    if record:
                        records.append({"x": xin.cpu().numpy(), "value": out.cpu().numpy(),
                                        "mask": mask.cpu().numpy()})
                    x = out
        return SimResult(x.cpu().numpy(), spikes, records)

    def _apply(self, layer, c, x):
        """One affine, pooling or reshape layer on the int64 tensor ``x``."""
        import torch

        if isinstance(layer, IntAffine):
            W, b = c
            xf = x.to(torch.float64)
            if layer.kind == "linear":
                acc = xf @ W.T
            else:
                acc = _conv_as_matmul(xf, W, layer.padding)
                b = b.reshape(1, -1, 1, 1)
            # exact: every partial sum is an integer below 2^53 (proved in __init__)
            return acc.to(torch.int64) + b
        if isinstance(layer, IntPool):
            n, ch, hgt, wid = x.shape
            k = layer.k
            return x.reshape(n, ch, hgt // k, k, wid // k, k).sum(dim=(3, 5))
        return x.reshape(x.shape[0], -1) if layer.kind == "flatten" \
            else x.reshape(x.shape[0], *layer.shape)

    def _forward_if(self, x_codes, device, record):
        """The IF network, time-stepped (:func:`sim.ifneuron.if_step`): the layers before the
        first neuron layer once per image (their output is a constant current), then N = 2^K - 1
        steps through the rest, each neuron layer keeping its membranes from step to step; the
        last layer's outputs summed over the steps are the logits.

        ``record``: True, per neuron layer ``x`` (n, N, ...) the currents, ``spikes`` (n, N,
        ...) and ``value`` the spike counts; ``"spikes"``, only ``spikes``.
        """
        import torch

        from sim.ifneuron import if_step

        consts = self._tensors(device)
        x = torch.tensor(np.asarray(x_codes, dtype=np.int64), device=device)
        x = x.reshape(len(x), *self.input_shape)
        first = next(k for k, layer in enumerate(self.layers) if isinstance(layer, IntNeurons))
        with torch.no_grad():
            for layer, c in zip(self.layers[:first], consts[:first]):
                x = self._apply(layer, c, x)
            constant = x
            rest = list(zip(self.layers[first:], consts[first:]))
            v, counts = {}, {}
            logits = 0
            seen = [([], []) for layer, _ in rest if isinstance(layer, IntNeurons)]
            for _ in range(self.unit.steps):
                x, k = constant, 0
                for j, (layer, c) in enumerate(rest):
                    if not isinstance(layer, IntNeurons):
                        x = self._apply(layer, c, x)
                        continue
                    xin = _shift(x, layer.shift)
                    v[j], x = if_step(v.get(j, torch.zeros_like(xin)), xin, c["theta"])
                    counts[j] = counts.get(j, 0) + x
                    if record:
                        seen[k][0].append(xin if record is True else None)
                        seen[k][1].append(x.to(torch.uint8))
                    k += 1
                logits = logits + x
        spikes = [counts[j].cpu().numpy() for j in sorted(counts)]
        records = []
        if record:
            for (xs, ss), cnt in zip(seen, spikes):
                rec = {"spikes": torch.stack(ss, 1).cpu().numpy(), "value": cnt}
                if record is True:
                    rec["x"] = torch.stack(xs, 1).cpu().numpy()
                records.append(rec)
        return SimResult(logits.cpu().numpy(), spikes, records)

    # ------------------------------------------------------------------------------------------

    def describe(self):
        """Per-layer rows: op, shapes, number formats, value ranges and the bits they need."""
        rows = []
        for layer in self.layers:
            if isinstance(layer, IntAffine):
                rows.append({"op": layer.kind, "shape": list(layer.W.shape),
                             "weight_exp": layer.exp, "frac_in": layer.frac_in,
                             "frac_out": layer.frac_out, "acc_range": list(layer.acc_range),
                             "acc_bits": signed_bits(*layer.acc_range),
                             "bias_bits": signed_bits(int(layer.b.min()), int(layer.b.max()))})
            elif isinstance(layer, IntPool):
                rows.append({"op": "avgpool", "k": layer.k, "frac_in": layer.frac_in,
                             "frac_out": layer.frac_out})
            elif isinstance(layer, IntReshape):
                rows.append({"op": layer.kind})
            else:
                rows.append({"op": self.unit.coding, "shift": layer.shift,
                             "frac_in": layer.frac_in, "frac_out": layer.frac_out,
                             "in_range": list(layer.in_range),
                             "in_bits": signed_bits(*layer.in_range),
                             "out_range": list(layer.out_range)})
        return rows

    def to_dict(self, **meta):
        """The whole integer network as a network file (:mod:`net.netfile`, format
        ``spikegen-snn`` version 1; docs/network-format.md): JSON-able data, what the network
        hardware generator reads.

        A leading ``unflatten`` (the CNN's 64 pixels to 1 x 8 x 8) becomes the input's shape:
        the same values in the same C order.
        """
        from .netfile import FORMAT, VERSION

        pairs = list(zip(self.layers, self.describe()))
        shape = list(self.input_shape)
        if pairs and isinstance(pairs[0][0], IntReshape) and pairs[0][0].kind == "unflatten":
            shape = list(pairs[0][0].shape)
            pairs = pairs[1:]
        classes = next(int(layer.W.shape[0]) for layer in reversed(self.layers)
                       if isinstance(layer, IntAffine))
        layers = []
        for layer, row in pairs:
            row = dict(row)
            if isinstance(layer, IntAffine):
                row["padding"] = layer.padding
                row["W"] = layer.W.tolist()
                row["b"] = layer.b.tolist()
            elif isinstance(layer, IntReshape) and layer.kind == "unflatten":
                row["shape"] = list(layer.shape)
            elif isinstance(layer, IntNeurons):
                if layer.alpha is not None:
                    row["alpha"] = layer.alpha
            layers.append(row)
        return {"format": FORMAT, "version": VERSION, **meta, "activation": self.unit.act,
                "unit": {**self.unit.describe(), "Q": self.unit.Q,
                         "frac_in": self.unit.frac_in, "frac_out": self.unit.frac_out,
                         "source": self.unit.source},
                "weight_bits": self.weight_bits,
                "input": {"shape": shape, "signed": self.input_range[0] < 0,
                          "frac": self.input_frac, "range": list(self.input_range)},
                "classes": classes, "output_frac": self.output_frac, "layers": layers}


def signed_bits(lo, hi):
    """Bits of a two's-complement number holding [lo, hi] (the rule of gen.widths)."""
    lo, hi = int(lo), int(hi)
    return max((lo if lo >= 0 else ~lo).bit_length(), (hi if hi >= 0 else ~hi).bit_length()) + 1
