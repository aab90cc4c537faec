"""NIR graphs (the ``nir`` package's HDF5 files, as ``nir.write`` makes them) into the IR.

The graph must be a chain from its one ``Input`` to its one ``Output`` of:

* ``Affine`` (``W x + b``), ``Linear`` (``W x``), ``Conv2d`` (stride 1, dilation 1, groups 1,
  the same zero padding on both axes), ``AvgPool2d`` / ``SumPool2d`` (non-overlapping, square
  power-of-two window, no padding), ``Flatten`` (to one dimension);
* ``IF`` neurons (``r``, ``v_threshold``, ``v_reset``), and ``LIF`` neurons whose leak is
  negligible over the calibration data (:func:`leak_figures`).

A rate-coded IF layer is the conversion's ReLU. The NIR IF neuron integrates ``dv/dt = r I``
and, when ``v > v_threshold``, fires and sets ``v = v_reset``; on a constant input current ``I``
over N steps of one time unit its rate is about ``ReLU(r I) / (v_threshold - v_reset)``
(Rueckauer et al., "Conversion of continuous-valued deep networks to efficient event-driven
networks for image classification", 2017). The factor ``r / (v_threshold - v_reset)`` is
folded into the layer before the neurons (per neuron of an ``Affine``, per channel of a
``Conv2d``), leaving a plain ReLU: the FS or AMOS ReLU then needs ``log2 N`` steps where the IF
layer needed N. An ``LIF`` layer (``tau dv/dt = v_leak - v + r I``) is the same with ``r / tau``
and a constant current ``v_leak / tau`` (folded into the bias), when its leak loses at most
:data:`LEAK_LIMIT` of the charge before a spike.

A last IF layer right before the ``Output`` is a read-out by spike count: its counts rank as
its input currents, so it becomes the linear read-out (its scale folded into the weights).
"""

import math
from pathlib import Path

import numpy as np

from common.checks import InputError
from ..graph import Op
from . import Imported

__all__ = ["read", "evaluate", "simulate", "leak_figures", "SUPPORTED", "LEAK_LIMIT"]

SUPPORTED = "Affine, Linear, Conv2d, AvgPool2d, SumPool2d, Flatten, IF, LIF (negligible leak)"

#: Largest share of the membrane charge an LIF leak may take back before a spike, over the
#: calibration data, for the layer to convert as IF.
LEAK_LIMIT = 0.01


def _fail(name, node, message):
    return InputError(f"node {name!r} ({type(node).__name__}): {message}")


def _load(path):
    import nir

    if Path(path).stat().st_size == 0:
        raise InputError(f"{path}: empty file, not a NIR graph")
    try:
        graph = nir.read(path, type_check=False)
    except (OSError, KeyError, ValueError, TypeError, AssertionError, AttributeError) as exc:
        text = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise InputError(f"{path}: not a readable NIR graph ({text})") from None
    if not isinstance(graph, nir.NIRGraph):
        raise InputError(f"{path}: holds a single {type(graph).__name__} node, not a NIR graph")
    return graph


def chain(graph, path):
    """The node names from the Input to the Output, checked to form a chain."""
    import nir

    inputs = [k for k, n in graph.nodes.items() if isinstance(n, nir.Input)]
    outputs = [k for k, n in graph.nodes.items() if isinstance(n, nir.Output)]
    if len(inputs) != 1 or len(outputs) != 1:
        raise InputError(f"{path}: the graph has {len(inputs)} inputs and {len(outputs)} "
                         f"outputs; one of each is supported")
    succ, pred = {}, {}
    for a, b in graph.edges:
        for k in (a, b):
            if k not in graph.nodes:
                raise InputError(f"{path}: an edge names node {k!r}, which the graph lacks")
        succ.setdefault(a, []).append(b)
        pred.setdefault(b, []).append(a)
    order, k = [], inputs[0]
    while True:
        order.append(k)
        if k == outputs[0]:
            break
        nxt = succ.get(k, [])
        if len(nxt) != 1:
            raise _fail(k, graph.nodes[k], f"has {len(nxt)} outgoing edges; only chains of "
                                           f"layers convert")
        k = nxt[0]
        if len(pred.get(k, [])) != 1:
            raise _fail(k, graph.nodes[k], f"has {len(pred.get(k, []))} incoming edges; only "
                                           f"chains of layers convert")
        if k in order:
            raise _fail(k, graph.nodes[k], "is on a loop; only feed-forward chains convert")
    if len(order) != len(graph.nodes):
        rest = sorted(set(graph.nodes) - set(order))
        raise InputError(f"{path}: nodes {rest} are off the chain from input to output")
    return order


def _shape_of(node):
    shape = node.input_type["input"]
    if shape is None:
        return None
    return tuple(int(v) for v in np.asarray(shape).reshape(-1))


def _arr(name, node, value, what):
    a = np.asarray(value)
    if a.dtype.kind not in "fiu":
        raise _fail(name, node, f"{what} must be numbers, not {a.dtype}")
    a = a.astype(np.float64)
    if not np.all(np.isfinite(a)):
        raise _fail(name, node, f"{what} has NaN or inf values")
    return a


def _pair(name, node, value, what):
    v = np.asarray(value).reshape(-1)
    if v.size == 1:
        v = np.array([v[0], v[0]])
    if v.size != 2:
        raise _fail(name, node, f"{what} {v.tolist()} is not one value or a pair")
    return [int(t) for t in v]


class _Builder:
    """Walks the chain and builds the ops, folding neuron scales into the layers before."""

    def __init__(self, graph, order, path):
        self.graph, self.order, self.path = graph, order, path
        self.ops = []
        self.shape = None
        self.last_affine = None      # index into ops of the layer the next neurons scale
        self.scale = 1.0             # SumPool factor waiting for the next affine layer
        self.notes = []
        self.neurons = []            # per neuron layer: the NIR parameters (export, leak)
        self.readout_relu = False

    def run(self):
        import nir

        first = self.graph.nodes[self.order[0]]
        self.shape = _shape_of(first)
        if self.shape is None or len(self.shape) not in (1, 3) or min(self.shape) < 1:
            raise _fail(self.order[0], first, f"input shape {self.shape}: supported are "
                                              f"(features,) and (channels, height, width)")
        self.input_shape = self.shape
        names = self.order[1:-1]
        for i, name in enumerate(names):
            node = self.graph.nodes[name]
            last = i == len(names) - 1
            kind = type(node).__name__
            handler = getattr(self, "_" + kind.lower(), None)
            if handler is None or isinstance(node, nir.NIRGraph):
                raise _fail(name, node, f"not supported (supported: {SUPPORTED})")
            handler(name, node, last)
        return self.ops

    # --- layers ---------------------------------------------------------------------------------

    def _affine(self, name, node, last, bias=True):
        W = _arr(name, node, node.weight, "weight")
        if W.ndim != 2:
            raise _fail(name, node, f"weight of rank {W.ndim}; only matrices convert")
        if len(self.shape) != 1:
            raise _fail(name, node, f"needs a flat input, not {self.shape} (Flatten first)")
        if W.shape[1] != self.shape[0]:
            raise _fail(name, node, f"weight takes {W.shape[1]} inputs, the data has "
                                    f"{self.shape[0]}")
        b = _arr(name, node, node.bias, "bias").reshape(-1) if bias else np.zeros(W.shape[0])
        if b.size != W.shape[0]:
            raise _fail(name, node, f"bias has {b.size} values for {W.shape[0]} outputs")
        self.ops.append(Op("linear", W=W * self.scale, b=b))
        self.scale = 1.0
        self.last_affine = len(self.ops) - 1
        self.shape = (W.shape[0],)

    def _linear(self, name, node, last):
        self._affine(name, node, last, bias=False)

    def _conv2d(self, name, node, last):
        W = _arr(name, node, node.weight, "weight")
        if W.ndim != 4:
            raise _fail(name, node, f"weight of rank {W.ndim}; a 2-D convolution has 4")
        if len(self.shape) != 3:
            raise _fail(name, node, f"needs an image input, not {self.shape}")
        co, ci, kh, kw = W.shape
        if ci != self.shape[0]:
            raise _fail(name, node, f"weight takes {ci} channels, the data has {self.shape[0]}")
        if int(np.asarray(node.groups)) != 1:
            raise _fail(name, node, f"groups={int(np.asarray(node.groups))}: only 1 converts")
        if _pair(name, node, node.stride, "stride") != [1, 1]:
            raise _fail(name, node, f"stride {np.asarray(node.stride).tolist()}: only stride 1 "
                                    f"converts")
        if _pair(name, node, node.dilation, "dilation") != [1, 1]:
            raise _fail(name, node, "only dilation 1 converts")
        pad = self._padding(name, node, kh, kw)
        b = _arr(name, node, node.bias, "bias").reshape(-1)
        if b.size == 1 and co > 1:
            b = np.full(co, b[0])
        if b.size != co:
            raise _fail(name, node, f"bias has {b.size} values for {co} channels")
        h, w = self.shape[1] + 2 * pad - kh + 1, self.shape[2] + 2 * pad - kw + 1
        if h < 1 or w < 1:
            raise _fail(name, node, f"kernel {kh}x{kw} is larger than the padded image")
        self.ops.append(Op("conv", W=W * self.scale, b=b, padding=pad))
        self.scale = 1.0
        self.last_affine = len(self.ops) - 1
        self.shape = (co, h, w)

    def _padding(self, name, node, kh, kw):
        p = node.padding
        if isinstance(p, bytes):
            p = p.decode()
        if isinstance(p, str):
            if p == "valid":
                return 0
            if kh != kw or kh % 2 == 0:
                raise _fail(name, node, f"padding 'same' with a {kh}x{kw} kernel pads unevenly")
            return (kh - 1) // 2
        ph, pw = _pair(name, node, p, "padding")
        if ph != pw:
            raise _fail(name, node, f"padding {[ph, pw]}: only the same padding on both axes "
                                    f"converts")
        return ph

    def _pool(self, name, node, summing):
        k = _pair(name, node, node.kernel_size, "kernel_size")
        s = _pair(name, node, node.stride, "stride")
        p = _pair(name, node, node.padding, "padding")
        if k[0] != k[1]:
            raise _fail(name, node, f"kernel {k}: only square windows convert")
        if s != k:
            raise _fail(name, node, f"stride {s} with kernel {k}: only non-overlapping pooling "
                                    f"converts")
        if p != [0, 0]:
            raise _fail(name, node, f"padding {p}: only unpadded pooling converts")
        k = k[0]
        if len(self.shape) != 3:
            raise _fail(name, node, f"needs an image input, not {self.shape}")
        if k < 1 or k & (k - 1):
            raise _fail(name, node, f"window {k}: only power-of-two windows convert")
        if self.shape[1] % k or self.shape[2] % k:
            raise _fail(name, node, f"window {k} does not tile the {self.shape[1]}x"
                                    f"{self.shape[2]} image")
        self.ops.append(Op("pool", k=k))
        if summing:
            self.scale *= k * k      # a sum is k^2 averages: linear, folded into the next layer
        self.shape = (self.shape[0], self.shape[1] // k, self.shape[2] // k)

    def _avgpool2d(self, name, node, last):
        self._pool(name, node, False)

    def _sumpool2d(self, name, node, last):
        self._pool(name, node, True)

    def _flatten(self, name, node, last):
        from nir.ir.utils import calc_flatten_output

        out = calc_flatten_output(list(self.shape), int(np.asarray(node.start_dim)),
                                  int(np.asarray(node.end_dim)))
        out = np.asarray(out).reshape(-1)
        if out.size != 1:
            raise _fail(name, node, f"flattens {self.shape} to {out.tolist()}; only flattening "
                                    f"to one dimension converts")
        if len(self.shape) > 1:
            self.ops.append(Op("flatten"))
        self.shape = (int(np.prod(self.shape)),)

    # --- neurons --------------------------------------------------------------------------------

    def _if(self, name, node, last):
        self._neurons(name, node, last, tau=None)

    def _lif(self, name, node, last):
        self._neurons(name, node, last, tau=_arr(name, node, node.tau, "tau"))

    def _neurons(self, name, node, last, tau):
        r = _arr(name, node, node.r, "r")
        vth = _arr(name, node, node.v_threshold, "v_threshold")
        vreset = _arr(name, node, node.v_reset, "v_reset") if node.v_reset is not None \
            else np.zeros_like(vth)
        theta = vth - vreset
        if np.any(theta <= 0):
            raise _fail(name, node, "v_threshold must be above v_reset")
        if np.any(r <= 0):
            raise _fail(name, node, "r must be positive (a rate-coded layer needs r > 0)")
        leak = np.zeros_like(r)
        if tau is not None:
            if np.any(tau <= 0):
                raise _fail(name, node, "tau must be positive")
            vleak = _arr(name, node, node.v_leak, "v_leak")
            leak = vleak / r                     # the constant current, in input units
            r = r / tau
        if self.last_affine is None:
            raise _fail(name, node, "neurons before any Affine/Linear/Conv2d layer do not "
                                    "convert")
        size = int(np.prod(self.shape))
        scale, leak = r / theta, np.broadcast_to(leak, r.shape)
        if scale.size not in (1, size):
            raise _fail(name, node, f"{scale.size} neurons for a layer of {size}")
        if scale.size == 1:
            scale, leak = np.full(self.shape, scale.item()), np.full(self.shape, leak.item())
        self._fold(name, node, scale.reshape(self.shape), leak.reshape(self.shape))
        info = {"name": name, "type": type(node).__name__, "op": len(self.ops),
                "r": np.asarray(node.r), "v_threshold": vth, "v_reset": vreset}
        if tau is not None:
            info.update(tau=tau, v_leak=np.asarray(node.v_leak))
        if last and self.ops[-1].kind == "linear":
            self.readout_relu = True
            self.notes.append(f"{name}: the last {type(node).__name__} layer is read out by "
                              f"spike count, which ranks as its input currents; it converts "
                              f"as the linear read-out")
            info["op"] = None
        else:
            self.ops.append(Op("act", act="relu"))
            if tau is not None:
                self.notes.append(f"{name}: LIF converts as IF with r/tau (leak checked on the "
                                  f"calibration data)")
        self.neurons.append(info)

    def _fold(self, name, node, scale, leak):
        """Fold ``ReLU(scale (x + leak))`` into the affine layer the data came from."""
        layer = self.ops[self.last_affine]
        if layer.kind == "linear":
            if len(self.ops) - 1 != self.last_affine:
                raise _fail(name, node, "neurons converting to a scaled ReLU must follow their "
                                        "Affine layer directly")
            s, c = scale.reshape(-1), leak.reshape(-1)
            layer.W = layer.W * s[:, None]
            layer.b = (layer.b + c) * s
            return
        co = layer.W.shape[0]
        per = [a.reshape(co, -1) for a in (scale, leak)]
        for a, what in zip(per, ("r / (v_threshold - v_reset)", "v_leak / r")):
            if np.any(np.ptp(a, axis=1) > 1e-12 * np.max(np.abs(a), axis=1)):
                raise _fail(name, node, f"{what} differs within a channel; after a Conv2d it "
                                        f"must be one value per channel")
        s, c = per[0][:, 0], per[1][:, 0]
        between = self.ops[self.last_affine + 1:]
        if any(op.kind == "pool" for op in between) and np.any(c):
            raise _fail(name, node, "a leak current after pooling does not fold into the "
                                    "convolution")
        layer.W = layer.W * s[:, None, None, None]
        layer.b = (layer.b + c) * s


def read(path):
    """Read a NIR file into an :class:`net.importers.Imported`."""
    path = Path(path)
    graph = _load(path)
    order = chain(graph, path)
    b = _Builder(graph, order, path)
    ops = b.run()
    if not any(op.kind == "act" for op in ops):
        raise InputError(f"{path}: the graph has no IF/LIF layer before its read-out to turn "
                         f"into neurons")
    if not ops or ops[-1].kind != "linear":
        raise InputError(f"{path}: the graph must end with an Affine/Linear read-out layer "
                         f"(or one followed by a read-out IF layer)")
    if len(b.input_shape) == 3:
        ops.insert(0, Op("unflatten", shape=b.input_shape))
        for info in b.neurons:
            if info["op"] is not None:
                info["op"] += 1
    imported = Imported(ops, b.input_shape, "nir", path, notes=b.notes,
                        extra={"neurons": b.neurons, "readout_relu": b.readout_relu})
    imported.reference = lambda x: evaluate(graph, order, x)
    imported.extra["graph"] = (graph, order)
    return imported


# --- the graph as nir.read gives it: rates (the import check) and IF dynamics ----------------

def _step_node(node, x):
    """The stateless nodes on a float64 torch tensor (batch first)."""
    import nir
    import torch.nn.functional as F
    import torch

    if isinstance(node, (nir.Affine, nir.Linear)):
        W = torch.as_tensor(np.asarray(node.weight, dtype=np.float64))
        b = torch.as_tensor(np.asarray(node.bias, dtype=np.float64)) \
            if isinstance(node, nir.Affine) else None
        return F.linear(x, W, b)
    if isinstance(node, nir.Conv2d):
        pad = node.padding.decode() if isinstance(node.padding, bytes) else node.padding
        if not isinstance(pad, str):
            pad = tuple(int(v) for v in np.broadcast_to(np.asarray(pad), (2,)))
        return F.conv2d(x, torch.as_tensor(np.asarray(node.weight, dtype=np.float64)),
                        torch.as_tensor(np.asarray(node.bias, dtype=np.float64).reshape(-1)),
                        stride=tuple(np.broadcast_to(np.asarray(node.stride), (2,)).tolist()),
                        padding=pad,
                        dilation=tuple(np.broadcast_to(np.asarray(node.dilation),
                                                       (2,)).tolist()),
                        groups=int(np.asarray(node.groups)))
    if isinstance(node, (nir.AvgPool2d, nir.SumPool2d)):
        k = tuple(np.broadcast_to(np.asarray(node.kernel_size), (2,)).tolist())
        s = tuple(np.broadcast_to(np.asarray(node.stride), (2,)).tolist())
        p = tuple(np.broadcast_to(np.asarray(node.padding), (2,)).tolist())
        y = F.avg_pool2d(x, k, s, p, count_include_pad=True)
        return y * (k[0] * k[1]) if isinstance(node, nir.SumPool2d) else y
    if isinstance(node, nir.Flatten):
        start = int(np.asarray(node.start_dim))
        end = int(np.asarray(node.end_dim))
        # NIR dims exclude the batch: shift by one
        return torch.flatten(x, start + 1 if start >= 0 else start,
                             end + 1 if end >= 0 else end)
    raise AssertionError(type(node).__name__)


def _rate(node, x):
    """The rate of an IF/LIF layer on a constant current: ReLU(r x) / (v_th - v_reset)."""
    import nir
    import torch

    p = {k: torch.as_tensor(np.asarray(getattr(node, k), dtype=np.float64))
         for k in ("r", "v_threshold", "v_reset")}
    cur = p["r"] * x
    if isinstance(node, nir.LIF):
        tau = torch.as_tensor(np.asarray(node.tau, dtype=np.float64))
        cur = (cur + torch.as_tensor(np.asarray(node.v_leak, dtype=np.float64))) / tau
    return torch.relu(cur) / (p["v_threshold"] - p["v_reset"])


def _batched(node_shape, x):
    return x.reshape(len(x), *node_shape) if node_shape else x


def evaluate(graph, order, x):
    """The graph's rate model on ``x`` ``(n, *input shape)``: every node as ``nir.read`` gives
    it, IF/LIF layers as their rates (float64 numpy)."""
    import nir
    import torch

    with torch.no_grad():
        v = torch.as_tensor(np.asarray(x, dtype=np.float64))
        for name in order[1:-1]:
            node = graph.nodes[name]
            v = _rate(node, v) if isinstance(node, (nir.IF, nir.LIF)) else _step_node(node, v)
    return v.reshape(len(v), -1).numpy()


def simulate(graph, order, x, steps, batch=512):
    """The spiking network itself: IF/LIF dynamics over ``steps`` steps of one time unit.

    The input is a constant current (the analog values of ``x``, every step); every neuron
    starts at ``v_reset``, integrates (IF: ``v += r I``; LIF: ``v += (v_leak - v + r I) /
    tau``), fires when ``v > v_threshold`` and then sets ``v = v_reset``. Returns the read-out
    summed over the steps ``(n, classes)``: spike counts when the graph ends with neurons,
    else the summed currents.
    """
    import nir
    import torch

    x = np.asarray(x, dtype=np.float64)
    outs = []
    with torch.no_grad():
        for s0 in range(0, len(x), batch):
            xb = torch.as_tensor(x[s0:s0 + batch])
            state, total = {}, None
            for _ in range(steps):
                v = xb
                for name in order[1:-1]:
                    node = graph.nodes[name]
                    if isinstance(node, (nir.IF, nir.LIF)):
                        v = _spike(node, state, name, v)
                    else:
                        v = _step_node(node, v)
                total = v if total is None else total + v
            outs.append(total.reshape(len(total), -1).numpy())
    return np.concatenate(outs)


def _spike(node, state, name, current):
    import nir
    import torch

    p = {k: torch.as_tensor(np.asarray(getattr(node, k), dtype=np.float64))
         for k in ("r", "v_threshold", "v_reset")}
    mem = state.get(name)
    if mem is None:
        mem = p["v_reset"].expand_as(current).clone()
    if isinstance(node, nir.LIF):
        tau = torch.as_tensor(np.asarray(node.tau, dtype=np.float64))
        vleak = torch.as_tensor(np.asarray(node.v_leak, dtype=np.float64))
        mem = mem + (vleak - mem + p["r"] * current) / tau
    else:
        mem = mem + p["r"] * current
    z = mem > p["v_threshold"]
    state[name] = torch.where(z, p["v_reset"].expand_as(mem), mem)
    return z.to(torch.float64)


def leak_figures(imported, x, steps):
    """Per LIF layer, the largest share of the membrane charge its leak takes back before the
    neuron fires, over the calibration data ``x`` (flat) and an N = ``steps`` step window.

    An input whose IF rate is ``u`` spikes per step fires after ``1/u`` steps; an LIF neuron
    loses ``1 - exp(-t/tau)`` of its charge over t steps. Inputs that would not fire within the
    window (``u < 1/steps``) carry no rate to lose. Returns ``[(node name, figure, tau)]``.
    """
    from ..graph import preactivations

    pre = preactivations(imported.ops, np.asarray(x, dtype=np.float64))
    act_at = [i for i, op in enumerate(imported.ops) if op.kind == "act"]
    out = []
    for info in imported.extra.get("neurons", []):
        if info["type"] != "LIF":
            continue
        if info["op"] is None:
            # the read-out integrates over the whole window
            figure = 1.0 - math.exp(-steps / float(np.min(info["tau"])))
        else:
            u = pre[act_at.index(info["op"])]
            tau = np.broadcast_to(np.asarray(info["tau"], dtype=np.float64).reshape(-1),
                                  (u.shape[1],)) if u.ndim == 2 else \
                np.asarray(info["tau"], dtype=np.float64).reshape(u.shape[1:])
            fires = u >= 1.0 / steps
            t = np.where(fires, 1.0 / np.where(fires, u, 1.0), 0.0)
            lost = np.where(fires, -np.expm1(-t / tau), 0.0)
            figure = float(lost.max()) if lost.size else 0.0
        out.append((info["name"], figure, float(np.min(info["tau"]))))
    return out
