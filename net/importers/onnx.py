"""ONNX models (opset >= 13) into the conversion's IR.

The graph must be a chain from its one input to its one output, of these operators (the ONNX
operator specification, https://onnx.ai/onnx/operators/, is the definition of each):

* ``Gemm`` (no ``transA``), ``MatMul`` by a constant (its bias an ``Add`` right after),
  ``Conv`` (stride 1, dilation 1, group 1, the same zero padding on every side);
* ``AveragePool`` (non-overlapping: strides = kernel, square power-of-two window, no padding),
  ``GlobalAveragePool`` over a square power-of-two image (the same thing);
* ``Relu``, ``Sigmoid``, and ``Mul(x, Sigmoid(x))`` (SiLU, as torch exports ``nn.SiLU``);
* ``Flatten`` (axis 1), ``Reshape`` that keeps the batch dimension (to ``(batch, -1)`` or to
  an image ``(batch, c, h, w)``), ``Identity``.

Shape arithmetic that torch's exporter emits around ``Reshape`` (``Constant``, ``Shape``,
``Gather``, ``Unsqueeze``, ``Concat``, ``Slice``, ...) is folded to constants; the batch
dimension takes part only as itself (a symbol), so a shape that depends on it in any other
way is a dynamic shape and refused. Anything else: one line naming the node and its op type.
"""

from pathlib import Path

import numpy as np

from common.checks import InputError
from ..graph import Op
from . import Imported

__all__ = ["read", "SUPPORTED", "MIN_OPSET"]

MIN_OPSET = 13

#: The operators of the network itself.
NETWORK_OPS = ("Gemm", "MatMul", "Add", "Conv", "AveragePool", "GlobalAveragePool", "Relu",
               "Sigmoid", "Mul", "Flatten", "Reshape", "Identity")
#: Operators folded to constants when they compute a static shape (or a constant).
FOLDED_OPS = ("Constant", "Shape", "Gather", "Unsqueeze", "Squeeze", "Concat", "Slice", "Cast",
              "Mod", "Sub", "Div", "ConstantOfShape")
SUPPORTED = ("Gemm, MatMul (+Add), Conv, AveragePool, GlobalAveragePool, Relu, Sigmoid, "
             "Mul of x and Sigmoid(x), Flatten, Reshape, Identity; constant shape arithmetic "
             "(Constant, Shape, Gather, Unsqueeze, Squeeze, Concat, Slice, Cast, Mod, Add, "
             "Sub, Mul, Div, ConstantOfShape)")


class _Batch:
    """The batch dimension inside folded shape tensors: it may be copied, never computed on."""

    def __repr__(self):
        return "batch"

    def __index__(self):
        raise TypeError("the batch size is not known before run time")


BATCH = _Batch()


class _Data:
    """The one data tensor flowing down the chain (its shape per image)."""

    def __init__(self, shape):
        self.shape = tuple(int(d) for d in shape)


_INDEX = {}       # id(node) -> position in the graph, for nodes without a name


def _fail(node, message):
    return InputError(f"node {_name(node)} ({node.op_type}): {message}")


def _name(node):
    return repr(node.name) if node.name else f"#{_INDEX.get(id(node), '?')}"


# --- loading ------------------------------------------------------------------------------------

def _load(path):
    import onnx
    from google.protobuf.message import DecodeError

    data = Path(path).read_bytes()
    if not data:
        raise InputError(f"{path}: empty file, not an ONNX model")
    try:
        model = onnx.load_from_string(data)
    except (DecodeError, RuntimeError, ValueError) as exc:
        raise InputError(f"{path}: not a readable ONNX model ({_first_line(exc)})") from None
    if not model.graph.node and not model.graph.output:
        raise InputError(f"{path}: not an ONNX model (no graph)")
    try:
        onnx.checker.check_model(model, full_check=True)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError,
            RuntimeError, ValueError) as exc:
        raise InputError(f"{path}: invalid ONNX model ({_first_line(exc)})") from None
    return model


def _first_line(exc):
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


def _opset(model, path):
    for imp in model.opset_import:
        if imp.domain in ("", "ai.onnx"):
            if imp.version < MIN_OPSET:
                raise InputError(f"{path}: opset {imp.version} is older than the supported "
                                 f"{MIN_OPSET} (re-export with opset_version >= {MIN_OPSET})")
            return int(imp.version)
    raise InputError(f"{path}: the model imports no standard ONNX opset")


def _graph_input(model, path):
    """(name, per-image shape, declared batch (int or None), numpy dtype)."""
    from onnx import TensorProto

    inits = {t.name for t in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in inits]
    if len(inputs) != 1:
        raise InputError(f"{path}: the model has {len(inputs)} inputs; one is supported")
    inp = inputs[0]
    tt = inp.type.tensor_type
    dtypes = {TensorProto.FLOAT: np.float32, TensorProto.DOUBLE: np.float64}
    if not inp.type.HasField("tensor_type") or tt.elem_type not in dtypes:
        raise InputError(f"{path}: input {inp.name!r} must be a float or double tensor")
    if not tt.HasField("shape"):
        raise InputError(f"{path}: input {inp.name!r} has no declared shape (dynamic shape)")
    dims = list(tt.shape.dim)
    if len(dims) not in (2, 4):
        raise InputError(f"{path}: input {inp.name!r} has rank {len(dims)}; supported are "
                         f"(batch, features) and (batch, channels, height, width)")
    shape = []
    for k, d in enumerate(dims[1:], 1):
        if not d.HasField("dim_value") or d.dim_value < 1:
            what = d.dim_param or "unknown"
            raise InputError(f"{path}: input {inp.name!r} dimension {k} is dynamic ({what}); "
                             f"only the batch dimension may be")
        shape.append(int(d.dim_value))
    batch = int(dims[0].dim_value) if dims[0].HasField("dim_value") else None
    return inp.name, tuple(shape), batch, dtypes[tt.elem_type]


# --- constants ----------------------------------------------------------------------------------

def _attrs(node):
    import onnx

    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _const_of_attr(node, attrs):
    from onnx import numpy_helper

    if "value" in attrs:
        return numpy_helper.to_array(attrs["value"])
    for key, dt in (("value_float", np.float32), ("value_int", np.int64),
                    ("value_floats", np.float32), ("value_ints", np.int64)):
        if key in attrs:
            return np.array(attrs[key], dtype=dt)
    raise _fail(node, "only tensor and number constants are supported")


def _to_dtype(onnx_type):
    from onnx import helper

    return helper.tensor_dtype_to_np_dtype(onnx_type)


def _fold(node, ins, attrs):
    """The constant output of a folded op (inputs are numpy arrays, possibly holding BATCH)."""
    op = node.op_type
    if op == "Identity":
        return ins[0]
    if op == "Shape":
        arr = ins[0]
        full = np.array([BATCH, *arr.shape], dtype=object) if isinstance(arr, _Data) \
            else np.array(arr.shape, dtype=np.int64)
        return full[attrs.get("start", 0):attrs.get("end", len(full))]
    if any(isinstance(v, _Data) for v in ins if v is not None):
        raise _fail(node, "computes on the network's data; supported only as shape arithmetic "
                          f"on constants (supported: {SUPPORTED})")
    if op == "Gather":
        return np.take(ins[0], np.asarray(ins[1], dtype=np.int64), axis=attrs.get("axis", 0))
    if op == "Unsqueeze":
        axes = attrs["axes"] if "axes" in attrs else ins[1].tolist()
        out = ins[0]
        rank = out.ndim + len(axes)
        for a in sorted(int(a) % rank for a in axes):
            out = np.expand_dims(out, a)
        return out
    if op == "Squeeze":
        axes = attrs.get("axes", ins[1].tolist() if len(ins) > 1 and ins[1] is not None
                         else None)
        return np.squeeze(ins[0], axis=None if axes is None else tuple(int(a) for a in axes))
    if op == "Concat":
        return np.concatenate([np.atleast_1d(v) for v in ins], axis=attrs["axis"])
    if op == "Slice":
        data, starts, ends = ins[0], ins[1], ins[2]
        axes = ins[3] if len(ins) > 3 and ins[3] is not None else np.arange(len(starts))
        steps = ins[4] if len(ins) > 4 and ins[4] is not None else np.ones(len(starts), int)
        index = [slice(None)] * data.ndim
        for s, e, a, st in zip(starts, ends, axes, steps):
            n = data.shape[int(a)]
            e = int(np.clip(e, -n - 1, n)) if abs(int(e)) > n else int(e)
            index[int(a)] = slice(int(s), e, int(st))
        return data[tuple(index)]
    if op == "Cast":
        arr = ins[0]
        return arr if arr.dtype == object else arr.astype(_to_dtype(attrs["to"]))
    if op == "ConstantOfShape":
        value = _const_of_attr(node, attrs) if attrs else np.zeros(1, np.float32)
        return np.full([int(v) for v in ins[0]], value.reshape(-1)[0], dtype=value.dtype)
    a, b = ins[0], ins[1]
    if op == "Reshape":
        shape = [int(v) for v in b]
        shape = [a.shape[i] if v == 0 and not attrs.get("allowzero", 0) else v
                 for i, v in enumerate(shape)]
        return a.reshape(shape)
    if op == "Add":
        return a + b
    if op == "Sub":
        return a - b
    if op == "Mul":
        return a * b
    if op == "Div":
        if a.dtype.kind in "iu" and np.asarray(b).dtype.kind in "iu":
            return np.trunc(a / b).astype(a.dtype)
        return a / b
    if op == "Mod":
        return np.fmod(a, b) if attrs.get("fmod", 0) else np.mod(a, b)
    raise AssertionError(op)


# --- the chain ----------------------------------------------------------------------------------

class _Reader:
    """Walks the nodes in order, folding constants and turning the data chain into ops."""

    def __init__(self, model, path):
        from onnx import numpy_helper

        self.path = path
        self.model = model
        self.opset = _opset(model, path)
        self.input_name, self.input_shape, self.declared_batch, self.dtype = \
            _graph_input(model, path)
        self.env = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
        self.env[self.input_name] = _Data(self.input_shape)
        self.cur = self.input_name          # the live data tensor
        self.ops = []
        self.skip = set()                   # Mul nodes taken with their Sigmoid as SiLU
        self.bias_open = False              # the last op is a MatMul awaiting its Add
        self.consumers = {}
        self.nodes = list(model.graph.node)     # one wrapper per node: ids stay valid
        _INDEX.clear()
        for k, node in enumerate(self.nodes):
            _INDEX[id(node)] = k
            for name in node.input:
                if name:
                    self.consumers.setdefault(name, []).append(k)

    def run(self):
        for k, node in enumerate(self.nodes):
            if k in self.skip:
                continue
            self._node(k, node)
        outs = self.model.graph.output
        if len(outs) != 1:
            raise InputError(f"{self.path}: the model has {len(outs)} outputs; one is supported")
        if outs[0].name != self.cur:
            raise InputError(f"{self.path}: the output {outs[0].name!r} is not the end of the "
                             f"network's chain (a branching graph)")
        return self.ops

    def _get(self, node, name):
        if name == "":
            return None
        if name not in self.env:
            raise _fail(node, f"input {name!r} is not produced by any earlier node")
        return self.env[name]

    def _node(self, k, node):
        op = node.op_type
        if node.domain not in ("", "ai.onnx"):
            raise _fail(node, f"custom domain {node.domain!r} (supported: {SUPPORTED})")
        attrs = _attrs(node)
        ins = [self._get(node, n) for n in node.input]
        data_in = [n for n, v in zip(node.input, ins) if isinstance(v, _Data)]
        if op == "Constant":
            self._set(node, _const_of_attr(node, attrs))
            return
        if op not in NETWORK_OPS + FOLDED_OPS:
            raise _fail(node, f"not supported (supported: {SUPPORTED})")
        if op == "Shape" or not data_in:
            if op in FOLDED_OPS or op in ("Add", "Mul", "Identity", "Reshape"):
                try:
                    self._set(node, _fold(node, ins, attrs))
                except (TypeError, ValueError, IndexError, KeyError) as exc:
                    if "batch" in str(exc).lower():
                        raise _fail(node, "computes with the batch size (a dynamic shape)") \
                            from None
                    raise _fail(node, f"cannot fold its constant inputs ({_first_line(exc)})") \
                        from None
                return
            raise _fail(node, "has no input from the network's data")
        if op in FOLDED_OPS:
            raise _fail(node, "computes on the network's data; supported only as shape "
                              f"arithmetic on constants (supported: {SUPPORTED})")
        if data_in[0] != self.cur or len(set(data_in)) > 1 and op != "Mul":
            raise _fail(node, "the graph branches (its input is not the end of the chain); "
                              "only chains of layers convert")
        x = self.env[self.cur]
        getattr(self, "_" + op.lower())(node, ins, attrs, x)

    def _set(self, node, value):
        for name in node.output:
            self.env[name] = value

    def _advance(self, node, shape):
        self.env[node.output[0]] = _Data(shape)
        self.cur = node.output[0]

    def _weight(self, node, value, what, ndim=None):
        if isinstance(value, _Data) or value is None:
            raise _fail(node, f"the {what} must be a constant")
        w = np.asarray(value)
        if w.dtype.kind != "f":
            raise _fail(node, f"the {what} must be floating point, not {w.dtype}")
        if not np.all(np.isfinite(w)):
            raise _fail(node, f"the {what} has NaN or inf values")
        if ndim is not None and w.ndim != ndim:
            raise _fail(node, f"the {what} has rank {w.ndim}, expected {ndim}")
        return w.astype(np.float64)

    # --- layers ---------------------------------------------------------------------------------

    def _linear(self, node, x, W, b):
        if len(x.shape) != 1:
            raise _fail(node, f"needs a flat input, not per-image shape {x.shape} (Flatten first)")
        if W.shape[1] != x.shape[0]:
            raise _fail(node, f"weight takes {W.shape[1]} inputs, the data has {x.shape[0]}")
        self.ops.append(Op("linear", W=W, b=b))
        self._advance(node, (W.shape[0],))

    def _gemm(self, node, ins, attrs, x):
        if attrs.get("transA", 0):
            raise _fail(node, "transA=1 is not supported")
        B = self._weight(node, ins[1], "weight B", ndim=2)
        W = float(attrs.get("alpha", 1.0)) * (B if attrs.get("transB", 0) else B.T)
        n_out = W.shape[0]
        b = np.zeros(n_out)
        if len(ins) > 2 and ins[2] is not None:
            b = self._bias(node, ins[2], n_out, "bias C") * float(attrs.get("beta", 1.0))
        self._linear(node, x, W, b)
        self.bias_open = False

    def _matmul(self, node, ins, attrs, x):
        if node.input[0] != self.cur:
            raise _fail(node, "only data @ constant is supported")
        B = self._weight(node, ins[1], "weight", ndim=2)
        self._linear(node, x, B.T.copy(), np.zeros(B.shape[1]))
        self.bias_open = True

    def _bias(self, node, value, n, what):
        c = self._weight(node, value, what)
        if c.size == 1:
            return np.full(n, float(c.reshape(-1)[0]))
        if c.size != n or (c.ndim > 1 and c.shape[-1] != n):
            raise _fail(node, f"the {what} of shape {c.shape} does not match {n} outputs")
        return c.reshape(n).copy()

    def _add(self, node, ins, attrs, x):
        other = ins[1] if node.input[0] == self.cur else ins[0]
        last = self.ops[-1] if self.ops else None
        if last is None or last.kind not in ("linear", "conv") or \
                self.env[self.cur] is not x or not self._just_made(last):
            raise _fail(node, "an Add of a constant converts only as the bias right after "
                              "MatMul, Gemm or Conv")
        if last.kind == "linear":
            last.b = last.b + self._bias(node, other, last.W.shape[0], "bias")
        else:
            c = self._weight(node, other, "bias")
            co = last.W.shape[0]
            if c.size not in (1, co) or (c.size == co and c.ndim >= 3
                                         and c.shape[-3:] != (co, 1, 1)):
                raise _fail(node, f"the bias of shape {c.shape} is not one value per channel")
            last.b = last.b + (np.full(co, float(c.reshape(-1)[0])) if c.size == 1
                               else c.reshape(co))
        self._advance(node, x.shape)
        self.bias_open = False

    def _just_made(self, last):
        return self.ops and self.ops[-1] is last

    def _conv(self, node, ins, attrs, x):
        if len(x.shape) != 3:
            raise _fail(node, f"needs an image input (channels, height, width), not {x.shape}")
        W = self._weight(node, ins[1], "weight", ndim=4)
        co, ci, kh, kw = W.shape
        if attrs.get("group", 1) != 1:
            raise _fail(node, f"group={attrs['group']}: only group 1 converts")
        if any(s != 1 for s in attrs.get("strides", [1, 1])):
            raise _fail(node, f"strides {list(attrs['strides'])}: only stride 1 converts")
        if any(d != 1 for d in attrs.get("dilations", [1, 1])):
            raise _fail(node, f"dilations {list(attrs['dilations'])}: only 1 converts")
        if ci != x.shape[0]:
            raise _fail(node, f"weight takes {ci} channels, the data has {x.shape[0]}")
        pad = self._pads(node, attrs, kh, kw)
        b = np.zeros(co)
        if len(ins) > 2 and ins[2] is not None:
            b = self._bias(node, ins[2], co, "bias")
        h, w = x.shape[1] + 2 * pad - kh + 1, x.shape[2] + 2 * pad - kw + 1
        if h < 1 or w < 1:
            raise _fail(node, f"kernel {kh}x{kw} is larger than the padded image")
        self.ops.append(Op("conv", W=W, b=b, padding=pad))
        self._advance(node, (co, h, w))

    def _pads(self, node, attrs, kh, kw):
        auto = attrs.get("auto_pad", b"NOTSET")
        auto = auto.decode() if isinstance(auto, bytes) else auto
        if auto == "VALID":
            return 0
        if auto in ("SAME_UPPER", "SAME_LOWER"):
            if kh != kw or kh % 2 == 0:
                raise _fail(node, f"auto_pad {auto} with a {kh}x{kw} kernel pads unevenly")
            return (kh - 1) // 2
        pads = list(attrs.get("pads", [0, 0, 0, 0]))
        if len(set(pads)) != 1:
            raise _fail(node, f"pads {pads}: only the same zero padding on every side converts")
        return int(pads[0])

    def _pool(self, node, x, k):
        if len(x.shape) != 3:
            raise _fail(node, f"needs an image input, not {x.shape}")
        if k < 1 or k & (k - 1):
            raise _fail(node, f"window {k}: only power-of-two windows convert")
        if x.shape[1] % k or x.shape[2] % k:
            raise _fail(node, f"window {k} does not tile the {x.shape[1]}x{x.shape[2]} image")
        self.ops.append(Op("pool", k=int(k)))
        self._advance(node, (x.shape[0], x.shape[1] // k, x.shape[2] // k))

    def _averagepool(self, node, ins, attrs, x):
        ks = list(attrs.get("kernel_shape", []))
        strides = list(attrs.get("strides", [1] * len(ks)))
        pads = list(attrs.get("pads", [0] * 2 * len(ks)))
        auto = attrs.get("auto_pad", b"NOTSET")
        auto = auto.decode() if isinstance(auto, bytes) else auto
        if len(ks) != 2 or ks[0] != ks[1]:
            raise _fail(node, f"kernel {ks}: only square 2-D windows convert")
        if strides != ks:
            raise _fail(node, f"strides {strides} with kernel {ks}: only non-overlapping "
                              f"pooling (strides = kernel) converts")
        if any(pads) or auto not in ("NOTSET", "VALID"):
            raise _fail(node, f"pads {pads}: only unpadded pooling converts")
        if any(d != 1 for d in attrs.get("dilations", [1, 1])):
            raise _fail(node, "dilated pooling does not convert")
        self._pool(node, x, int(ks[0]))

    def _globalaveragepool(self, node, ins, attrs, x):
        if len(x.shape) != 3 or x.shape[1] != x.shape[2]:
            raise _fail(node, f"converts only over a square image, not {x.shape}")
        self._pool(node, x, x.shape[1])

    def _relu(self, node, ins, attrs, x):
        self.ops.append(Op("act", act="relu"))
        self._advance(node, x.shape)

    def _sigmoid(self, node, ins, attrs, x):
        nodes = self.nodes
        users = self.consumers.get(self.cur, [])
        s_users = self.consumers.get(node.output[0], [])
        mul = [u for u in users if u != _INDEX[id(node)]]
        if len(mul) == 1 and s_users == mul and nodes[mul[0]].op_type == "Mul" \
                and sorted(nodes[mul[0]].input) == sorted([self.cur, node.output[0]]):
            m = nodes[mul[0]]
            self.skip.add(mul[0])
            self.ops.append(Op("act", act="silu"))
            self._advance(m, x.shape)
            return
        self.ops.append(Op("act", act="sigmoid"))
        self._advance(node, x.shape)

    def _mul(self, node, ins, attrs, x):
        raise _fail(node, "a Mul converts only as x * Sigmoid(x) (SiLU)")

    def _flatten(self, node, ins, attrs, x):
        axis = attrs.get("axis", 1)
        if axis not in (1, -len(x.shape)):
            raise _fail(node, f"axis {axis}: only Flatten to (batch, -1) converts")
        self._flat(node, x)

    def _flat(self, node, x):
        if len(x.shape) > 1:
            self.ops.append(Op("flatten"))
        self._advance(node, (int(np.prod(x.shape)),))

    def _identity(self, node, ins, attrs, x):
        self._advance(node, x.shape)

    def _reshape(self, node, ins, attrs, x):
        target = ins[1]
        if isinstance(target, _Data) or target is None:
            raise _fail(node, "the shape is computed from the data at run time (a dynamic "
                              "shape)")
        target = list(np.asarray(target).reshape(-1))
        if not target:
            raise _fail(node, "reshapes to a scalar")
        first = target[0]
        keeps = first is BATCH or (not isinstance(first, _Batch) and (
            int(first) in (-1, 0) or (self.declared_batch is not None
                                      and int(first) == self.declared_batch)))
        if not keeps:
            raise _fail(node, f"shape {target} does not keep the batch dimension first")
        rest = []
        for i, v in enumerate(target[1:], 1):
            if isinstance(v, _Batch):
                raise _fail(node, "moves the batch size into another dimension")
            v = int(v)
            if v == 0 and not attrs.get("allowzero", 0):
                if i > len(x.shape):
                    raise _fail(node, f"shape {target} copies a dimension the data lacks")
                v = x.shape[i - 1]
            rest.append(v)
        size = int(np.prod(x.shape))
        if rest.count(-1) > 1:
            raise _fail(node, f"shape {target} has more than one -1")
        if -1 in rest:
            known = int(np.prod([v for v in rest if v != -1]))
            if known == 0 or size % known:
                raise _fail(node, f"shape {target} does not divide {size} values per image")
            rest[rest.index(-1)] = size // known
        if any(v < 1 for v in rest) or int(np.prod(rest)) != size:
            raise _fail(node, f"shape {target} does not hold the {size} values per image")
        if len(rest) == 1:
            self._flat(node, x)
        elif len(rest) == 3:
            if tuple(rest) != x.shape:
                if len(x.shape) > 1:
                    self.ops.append(Op("flatten"))
                self.ops.append(Op("unflatten", shape=tuple(rest)))
            self._advance(node, tuple(rest))
        else:
            raise _fail(node, f"shape {target}: only (batch, -1) and (batch, c, h, w) convert")


def read(path):
    """Read an ONNX file into an :class:`net.importers.Imported`."""
    path = Path(path)
    model = _load(path)
    reader = _Reader(model, path)
    ops = reader.run()
    if not any(op.kind == "act" for op in ops):
        raise InputError(f"{path}: the network has no activation (Relu, Sigmoid, SiLU) to turn "
                         f"into neurons")
    if ops[-1].kind != "linear":
        raise InputError(f"{path}: the network must end with a Gemm/MatMul read-out layer "
                         f"(no activation after it)")
    if len(reader.input_shape) == 3:
        ops.insert(0, Op("unflatten", shape=reader.input_shape))
    return Imported(ops, reader.input_shape, "onnx", path,
                    reference=_Runtime(path, reader.input_name, reader.declared_batch,
                                       reader.dtype),
                    extra={"opset": reader.opset})


class _Runtime:
    """The model run by onnxruntime (the reference of the import check)."""

    def __init__(self, path, input_name, batch, dtype):
        self.path, self.input_name, self.batch, self.dtype = path, input_name, batch, dtype

    def __call__(self, x):
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        sess = ort.InferenceSession(Path(self.path).read_bytes(), opts,
                                    providers=["CPUExecutionProvider"])
        x = np.asarray(x, dtype=self.dtype)
        step = self.batch or 1024
        if self.batch is not None and len(x) % step:
            raise InputError(f"{self.path}: the model's batch is fixed at {self.batch}, which "
                             f"does not divide {len(x)} calibration samples")
        outs = [sess.run(None, {self.input_name: x[s:s + step]})[0]
                for s in range(0, len(x), step)]
        return np.concatenate(outs).astype(np.float64).reshape(len(x), -1)
