"""The hardware plan of a network: the stages, their sizes, widths and memory images.

:func:`make_plan` reads a checked network file (:class:`net.netfile.Network`) and the number of
accumulators per layer P, and decides everything the components (:mod:`gen.network.top` and
friends) are built from: nothing below this module looks at the file again.

Stages (see docs/network-hardware.md)
-------------------------------------
* the input writer turns each input code into an *item*: its bit planes (MSB first) and its
  position, for the first affine stage's event buffer;
* one :class:`AffinePlan` per linear or conv layer: an event buffer (the input spikes of one
  image, by plane, double-buffered) and a synapse engine with P accumulators;
* one :class:`NeuronPlan` per neuron layer: the project's FS core (shared ROM, P lanes) or P
  AMOS cores in lock-step, fed by the engine's emission;
* one :class:`WriterPlan` per neuron layer: the spikes of P neurons as items for the next
  engine (pooling and flattening are re-labellings of the positions);
* the read-out after the last engine: logits and the first arg-max.

Index spaces
------------
A tensor position is a tuple of digits (``(c, y, x)`` or ``(n,)``); in hardware it is the
concatenation of the digits, each padded to a power of two (:class:`Digits`), so no address
needs a multiplier. Memories are laid out in that order.
"""

import math
from dataclasses import dataclass, field

from common.checks import InputError
from gen.widths import signed_width, unsigned_width

__all__ = ["Digits", "SourcePlan", "AffinePlan", "NeuronPlan", "WriterPlan", "ReadoutPlan",
           "NetworkPlan", "make_plan", "PlanError"]


class PlanError(InputError):
    """A network the hardware generator cannot build (one line)."""


@dataclass(frozen=True)
class Digits:
    """An index space: the sizes of its digits, most significant first.

    In hardware a position is the concatenation of its digits, digit i taking the bits of
    ``sizes[i] - 1`` (none for a digit of size 1).
    """

    sizes: tuple

    @property
    def bits(self):
        """Bits per digit: a digit of size 1 takes none."""
        return tuple((s - 1).bit_length() for s in self.sizes)

    @property
    def width(self):
        return sum(self.bits)

    @property
    def depth(self):
        """Memory depth that holds every position: the last position's address + 1."""
        return self.encode([s - 1 for s in self.sizes]) + 1

    @property
    def count(self):
        return math.prod(self.sizes)

    def encode(self, digits):
        code = 0
        for d, b in zip(digits, self.bits):
            code = (code << b) | int(d)
        return code

    def positions(self):
        """Every position in C order (the last digit fastest)."""
        out = [()]
        for s in self.sizes:
            out = [p + (d,) for p in out for d in range(s)]
        return out


def _pow2_horner(weights):
    """Whether plane weights are ``s_q 2^(T-1-q)`` with ``s_q = +-1``: Horner's rule then
    applies them (acc = 2 acc +- spikes' weights); returns the negative planes, or None."""
    T = len(weights)
    neg = []
    for q, w in enumerate(weights):
        if abs(w) != 1 << (T - 1 - q):
            return None
        neg.append(w < 0)
    return tuple(neg)


@dataclass
class SourcePlan:
    """What fills an affine stage's event buffer: the input codes or a neuron layer's spikes.

    Attributes
    ----------
    kind : str
        ``input`` or ``neurons``.
    planes : int
        Bit planes T (input code width, or the unit's K).
    weights : tuple of int
        The value of a one in each plane (input: +-2^(T-1-q); neurons: d).
    capacity : int
        Most items of one image with a given plane set (input codes, or neurons).
    index : Digits
        The consumer's event positions.
    multiplicity : int
        Most items of one plane sharing a position (k^2 per pooling, 1 otherwise).
    banked : bool
        One memory per plane, so an item's planes are written in one clock (the input: a
        code per clock); otherwise one memory and a clock per plane written.
    """

    kind: str
    planes: int
    weights: tuple
    capacity: int
    index: Digits
    multiplicity: int = 1
    banked: bool = False

    @property
    def live(self):
        """Planes that carry a value (weight != 0): the others are never written."""
        return tuple(w != 0 for w in self.weights)


@dataclass
class AffinePlan:
    """One linear or conv layer in hardware: event buffer + synapse engine.

    Attributes
    ----------
    n : int
        Position among the affine layers.
    layer : net.netfile.Layer
    kind : str
        ``linear`` or ``conv``.
    P, G : int
        Accumulators (lanes) and groups: output channel o = g P + p.
    n_out : int
        Output channels (conv) or outputs (linear); pass g does channels g P .. g P + P - 1.
    source : SourcePlan
    out_pos : Digits
        Output positions (conv (ho, wo); linear a single position (1,)).
    rows : Digits
        Weight rows: conv (ci, kh, kw); linear the event positions.
    mode : str
        ``horner`` (plane weights are powers of two) or ``scale`` (partial sums S per plane,
        acc += d S once per neuron per plane).
    neg : tuple of bool
        Horner: planes whose events subtract.
    widths : dict
        ``acc``, ``S`` (scale), ``w``, ``b``, ``out`` and their ranges.
    shift : int or None
        Neuron input shift; None for the read-out layer.
    L : int
        Lanes of the emitted vectors (the neurons' lanes): a word of P lanes goes out in
        ``ceil(P / L)`` beats, lane l of beat c being channel ``g P + c L + l``.
    """

    n: int
    layer: object
    kind: str
    P: int
    G: int
    n_out: int
    source: SourcePlan
    out_pos: Digits
    rows: Digits
    mode: str
    neg: tuple
    widths: dict
    shift: object
    last: bool
    pad: int = 0
    kh: int = 1
    kw: int = 1
    L: int = 0

    def __post_init__(self):
        if not self.L:
            self.L = self.P

    @property
    def chunks(self):
        """Emission beats per word: the P lanes go out L at a time (the neurons' lanes)."""
        return -(-self.P // self.L)

    @property
    def T(self):
        return self.source.planes

    @property
    def words(self):
        """Accumulator words A of a pass: one per output position (a pass does P channels)."""
        return self.out_pos.count

    @property
    def acc_index(self):
        """Accumulator word addresses: the output position."""
        return self.out_pos

    @property
    def w_index(self):
        return Digits(self.rows.sizes + (self.G,))

    @property
    def lane_bits(self):
        return self.widths["acc"] + (self.widths["S"] if self.mode == "scale" else 0)

    def lanes_valid(self, g):
        """Lanes of group g that hold a real output."""
        return min(self.P, self.n_out - g * self.P)

    def weight_init(self):
        """The weight ROM: one word of P codes per (row, group), in address order (unused
        addresses and lanes are 0)."""
        W = self.layer.W
        wb = self.widths["w"]
        mask = (1 << wb) - 1
        words = [0] * self.w_index.depth
        for row in self.rows.positions():
            for g in range(self.G):
                word = 0
                for p in range(self.lanes_valid(g)):
                    o = g * self.P + p
                    if self.kind == "conv":
                        code = int(W[o, row[0], row[1], row[2]])
                    else:
                        code = int(W[o, self._flat(row)])
                    word |= (code & mask) << (p * wb)
                words[self.w_index.encode(row + (g,))] = word
        return words

    def _flat(self, row):
        """C-order flat input index of a linear layer's event position."""
        idx = 0
        for d, s in zip(row, self.rows.sizes):
            idx = idx * s + d
        return idx

    def bias_init(self):
        bw = self.widths["b"]
        mask = (1 << bw) - 1
        words = []
        for g in range(self.G):
            word = 0
            for p in range(self.lanes_valid(g)):
                word |= (int(self.layer.b[g * self.P + p]) & mask) << (p * bw)
            words.append(word)
        return words

    def event_fields(self):
        """How an event of this layer is stored: ``[(name, bits), ...]``, first in the high
        bits. Linear: the input position (the weight row). Conv: the channel, the first
        kernel row and column that land inside the output, how many more do, and the output
        row and column of the first (the writer works them out from the position, so the
        engine only counts)."""
        if self.kind != "conv":
            return [("row", self.source.index.width)]
        ci, _, _ = self.source.index.sizes
        ho, wo = self.out_pos.sizes
        kb = lambda n: (n - 1).bit_length()    # noqa: E731
        return [("c", kb(ci)), ("ky", kb(self.kh)), ("kx", kb(self.kw)),
                ("ny", kb(self.kh)), ("nx", kb(self.kw)), ("yo", kb(ho)), ("xo", kb(wo))]

    @property
    def event_bits(self):
        return sum(b for _, b in self.event_fields())

    def conv_span(self, v, k, size):
        """Kernel offsets ``[lo, hi]`` along one axis that land inside an output of ``size``
        for input coordinate v (Python ints or Amaranth values alike)."""
        return max(0, v + self.pad - size + 1), min(k - 1, v + self.pad)

    def offsets(self, pos):
        """Conv: the valid kernel offsets (ky, kx) of an input position (c, y, x)."""
        _, y, x = pos
        ho, wo = self.out_pos.sizes

        def span(v, k, n):
            return range(max(0, v + self.pad - n + 1), min(k - 1, v + self.pad) + 1)

        return [(ky, kx) for ky in span(y, self.kh, ho) for kx in span(x, self.kw, wo)]


@dataclass
class NeuronPlan:
    """A neuron layer: the FS core (shared ROM, P lanes), P AMOS cores in lock-step, or P IF
    lanes (``core_ir`` an :class:`IFLanesPlan`)."""

    n: int
    layer: object
    coding: str
    K: int
    P: int
    width: int
    core_ir: object


@dataclass(frozen=True)
class IFLanesPlan:
    """A layer of rate-coded IF neurons, L lanes (:class:`gen.network.ifstages.IFLanes`).

    Attributes
    ----------
    L : int
        Lanes: neurons updated per clock.
    V : int
        Vectors per time step (the producer's emission: passes x positions x chunks); the
        membranes are a memory of V words of L lanes.
    steps : int
        Time steps per image, N = 2^K - 1.
    theta : int
        The threshold.
    width : int
        Input current width (signed).
    hold : bool
        The first neuron layer: its current is constant over an image, so the V vectors of an
        image are taken once into a current memory and the N steps run from there; later
        layers take one vector per step and neuron word.
    sum_lo, sum_hi : int
        Range of ``v + x`` (:func:`net.units.if_bounds`); the stored membrane is in
        ``[0, sum_hi]``.
    """

    L: int
    V: int
    steps: int
    theta: int
    width: int
    hold: bool
    sum_lo: int
    sum_hi: int

    @property
    def sum_width(self):
        return signed_width(self.sum_lo, self.sum_hi)

    @property
    def v_width(self):
        return unsigned_width(self.sum_hi)


@dataclass
class WriterPlan:
    """The spikes of one neuron layer as items of the next engine's event buffer.

    Vectors arrive in the producing engine's emission order (pass g, then the positions); lane
    p of pass g is output channel ``g P + p``; pooling divides y and x by ``2^pool_shift``.
    """

    n: int
    producer: AffinePlan
    consumer: AffinePlan
    pool_shift: int
    planes: int
    live: tuple


@dataclass
class ReadoutPlan:
    """The read-out: the logits of ``steps`` vectors summed (IF: N time steps; else 1), in
    ``width`` bits; the last engine's lanes are ``in_width`` bits."""

    classes: int
    P: int
    G: int
    width: int
    steps: int = 1
    in_width: int = 0

    def __post_init__(self):
        if not self.in_width:
            self.in_width = self.width

    @property
    def class_bits(self):
        return max(0, math.ceil(math.log2(self.classes))) if self.classes > 1 else 0


@dataclass
class NetworkPlan:
    """Everything the network top is built from."""

    network: object
    P: int
    input_width: int
    input_signed: bool
    input_index: Digits
    affine: list
    neurons: list
    writers: list
    readout: ReadoutPlan
    notes: list = field(default_factory=list)


# ---------------------------------------------------------------------------------------------


def make_plan(network, P, lanes=None):
    """Plan the hardware of a checked network with at most P accumulators per layer (an int,
    or one int per affine layer), and at most ``lanes`` neuron lanes per neuron layer (None:
    as many as the layer before has accumulators)."""
    layers = network.layers
    affine_idx = [i for i, layer in enumerate(layers) if layer.is_affine]
    pes = [P] * len(affine_idx) if isinstance(P, int) else list(P)
    if len(pes) != len(affine_idx):
        raise PlanError(f"--pe gives {len(pes)} values for {len(affine_idx)} affine layers")

    # input -> first affine: reshapes only (the input counter walks the consumer's shape)
    for layer in layers[:affine_idx[0]]:
        if layer.op not in ("flatten", "unflatten"):
            raise PlanError(f"{layer.name}: the network hardware needs an affine layer first "
                            f"(only reshapes before it)")
    first = layers[affine_idx[0]]
    in_w = network.input_width
    if in_w > 32:
        raise PlanError(f"input codes of {in_w} bits: the hardware takes at most 32")
    signed = network.input_signed
    weights = tuple((-1 if (signed and q == 0) else 1) << (in_w - 1 - q) for q in range(in_w))
    src = SourcePlan("input", in_w, weights, network.input_count, Digits(first.in_shape),
                     banked=True)

    affine, neurons, writers = [], [], []
    for n, i in enumerate(affine_idx):
        layer = layers[i]
        last = n == len(affine_idx) - 1
        nxt = affine_idx[n + 1] if not last else None
        neuron = None
        if not last:
            between = layers[i + 1:nxt]
            neuron_layers = [x for x in between if x.is_neuron]
            if len(neuron_layers) != 1 or not between[0].is_neuron:
                raise PlanError(f"{layer.name}: the network hardware needs exactly one neuron "
                                f"layer right after each affine layer but the last")
            neuron = between[0]
        else:
            tail = layers[i + 1:]
            if tail:
                raise PlanError(f"{tail[0].name}: nothing may follow the read-out layer")
        plan = _affine(n, layer, pes[n], src, neuron, last)
        if lanes is not None and not last:
            plan.L = min(lanes, plan.P)
        affine.append(plan)
        if last:
            break
        npl = _neurons(len(neurons), neuron, network.unit, plan, hold=not neurons)
        plan.widths["out"] = npl.width          # the emission feeds the core's input as is
        neurons.append(npl)
        src, pool_shift = _chain(layers[i + 2:nxt], plan, layers[nxt], network.unit)
        writers.append(WriterPlan(len(writers), plan, None, pool_shift, src.planes, src.live))
    for w, nxt in zip(writers, affine[1:]):
        w.consumer = nxt
    last = affine[-1]
    steps = network.unit.steps
    readout = ReadoutPlan(network.classes, last.P, last.G,
                          signed_width(*network.output_range) if steps > 1
                          else last.widths["out"], steps, last.widths["out"])
    return NetworkPlan(network, P, in_w, signed, affine[0].source.index, affine, neurons,
                       writers, readout)


def _chain(between, producer, consumer, unit):
    """The re-labelling from a neuron layer's outputs to the next affine layer's inputs."""
    three = producer.kind == "conv"
    shape = producer.layer.out_shape
    flat = not three
    shift = 0
    for layer in between:
        if layer.op == "avgpool":
            if flat:
                raise PlanError(f"{layer.name}: pooling a flattened tensor is not supported "
                                f"in hardware")
            shift += int(math.log2(layer.k))
            shape = layer.out_shape
        elif layer.op == "flatten":
            flat = True
        elif layer.op == "unflatten":
            if not (three and tuple(layer.out_shape) == tuple(shape)):
                raise PlanError(f"{layer.name}: the hardware cannot unflatten to "
                                f"{list(layer.out_shape)} here (only back to the shape the "
                                f"conv layer made)")
            flat = False
        else:
            raise PlanError(f"{layer.name}: not supported between a neuron layer and the next "
                            f"affine layer (pooling and reshapes only)")
    if consumer.op == "conv" and (flat or tuple(consumer.in_shape) != tuple(shape)):
        raise PlanError(f"{consumer.name}: its input must come from a conv layer's neurons "
                        f"(through pooling) in hardware")
    index = Digits(tuple(shape)) if three else Digits((producer.n_out,))
    # an IF layer's output is one spike plane per time step (each step is an image for the
    # next engine)
    d = (1,) if unit.coding == "if" else tuple(int(v) for v in unit.params["d"])
    src = SourcePlan("neurons", len(d), d, producer.layer.out_shape[0] if not three
                     else math.prod(producer.layer.out_shape), index, multiplicity=4 ** shift)
    return src, shift


def _affine(n, layer, P, src, neuron, last):
    if layer.op == "conv":
        co, ci, kh, kw = layer.W.shape
        n_out = co
        out_pos = Digits(tuple(layer.out_shape[1:]))
        rows = Digits((ci, kh, kw))
        flat = layer.W.reshape(co, -1)
    else:
        n_out = layer.W.shape[0]
        kh = kw = 1
        out_pos = Digits((1,))
        rows = src.index
        flat = layer.W
    Pl = min(P, n_out)
    G = -(-n_out // Pl)
    neg = _pow2_horner(src.weights)
    mode = "horner" if neg is not None else "scale"
    # S: the sum of one plane's weights at one neuron; the accumulator: sum_q |d_q| S_max,
    # plus the bias it starts from (scale) or takes at the last plane (Horner)
    s_max = int(abs(flat).sum(1).max()) * src.multiplicity
    D = sum(abs(w) for w in src.weights)
    b_lo, b_hi = int(layer.b.min()), int(layer.b.max())
    acc_bound = D * s_max + max(abs(b_lo), abs(b_hi))
    widths = {"w": int(max(signed_width(int(layer.W.min()), int(layer.W.max())), 2)),
              "acc": signed_width(-acc_bound, acc_bound),
              "b": signed_width(min(b_lo, 0), max(b_hi, 0))}
    if mode == "scale":
        widths["S"] = signed_width(-s_max, s_max)
        widths["d"] = signed_width(min(min(src.weights), 0), max(max(src.weights), 0))
    if last:
        widths["out"] = signed_width(*layer.out_range)
        shift = None
    else:
        widths["out"] = max(signed_width(*neuron.in_range), 2)
        shift = neuron.shift
    if widths["acc"] > 62:
        raise PlanError(f"{layer.name}: accumulators of {widths['acc']} bits: the hardware "
                        f"takes at most 62")
    return AffinePlan(n, layer, layer.op, Pl, G, n_out, src, out_pos, rows, mode,
                      neg or (), widths, shift, last, pad=layer.padding, kh=kh, kw=kw)


def _neurons(n, layer, unit, producer, hold):
    W = producer.widths["out"]
    P = producer.L
    if unit.coding == "if":
        return NeuronPlan(n, layer, "if", unit.K, P, W, _if_lanes(unit, layer, producer, hold))
    if unit.coding == "fs":
        core = _fs_ir(unit, W, P, n)
    else:
        core = _amos_ir(unit, W, n)
    width = core.W if unit.coding == "fs" else core.width
    return NeuronPlan(n, layer, unit.coding, unit.K, P, width, core)


def _if_lanes(unit, layer, producer, hold):
    from net.units import if_bounds

    theta = int(unit.params["theta"])
    lo, hi = if_bounds(*layer.in_range, theta, unit.steps + 1)
    return IFLanesPlan(L=producer.L, V=producer.G * producer.words * producer.chunks,
                       steps=unit.steps, theta=theta, width=producer.widths["out"], hold=hold,
                       sum_lo=lo, sum_hi=hi)


def _fs_ir(unit, W, P, n):
    """The FS core of a neuron layer: the project's shared-ROM core with P lanes, fed exactly
    the unit's integers (thresholds and resets in input LSBs at the unit's input fraction)."""
    from gen.fsneuron import FSConfig, resolve
    from quant.params import FSParamSet

    T, h, d = (tuple(int(v) for v in unit.params[k]) for k in ("T", "h", "d"))
    relu = unit.act == "relu" and T == h == d and all(
        v == 1 << (unit.K - 1 - i) for i, v in enumerate(d))
    name = f"neurons{n}"
    if relu:
        cfg = FSConfig(act="relu", K=unit.K, lanes=P, width=max(W, unit.K + 2), frac=0,
                       name=name)
    else:
        Q = unit.Q if unit.Q else 8
        F = Q - 4
        if unit.frac_in != F or F < 0:
            raise PlanError(f"the FS unit's input fraction {unit.frac_in} is not Q-4 = {F}")
        try:
            pset = FSParamSet(activation=unit.act or "silu", K=unit.K, interval=(-8.0, 8.0),
                              T=T, h=h, d=d, Q=Q)
        except ValueError as exc:
            raise PlanError(f"unit: its parameters are not Q={Q} codes ({exc})") from None
        need = signed_width(min(T + h + (0,)), max(T + h + (0,)))
        cfg = FSConfig(act=pset, K=unit.K, Q=Q, lanes=P, width=max(W, need), frac=F,
                       name=name)
    ir = resolve(cfg)
    if (list(ir.T), list(ir.h), list(ir.d)) != ([*T], [*h], [*d]):
        raise AssertionError("the FS core's integers differ from the network's unit")
    return ir


def _amos_ir(unit, W, n):
    from gen.amos.ir import MAX_WIDTH, AmosIR

    p = unit.params
    width = max(W, 2)
    if width > MAX_WIDTH:
        raise PlanError(f"AMOS neurons with {width}-bit inputs: the AMOS core takes at most "
                        f"{MAX_WIDTH}")
    return AmosIR(name=f"neurons{n}", activation=unit.act or "relu", K=unit.K,
                  Q=unit.Q or None, width=width, frac=max(unit.frac_in, 0),
                  c=tuple(int(v) for v in p["c"]), T=tuple(int(v) for v in p["T"]),
                  h=tuple(tuple(int(v) for v in r) for r in p["h"]),
                  d=tuple(int(v) for v in p["d"]), interval=(0.0, 1.0), source="network")
