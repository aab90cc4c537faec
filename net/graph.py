"""The ANN as a list of plain operations (the conversion's IR), and a float64 forward pass.

:func:`extract` reads a trained ``torch.nn.Sequential`` (only the layer types of
:func:`net.models.layer_types`) into a list of :class:`Op`: weights become float64 numpy
arrays, each activation an ``Op("act", act=...)`` that the conversions replace by neurons. The
rest of the flow reads only this list, never the torch modules.
"""

from dataclasses import dataclass

import numpy as np

__all__ = ["Op", "extract", "forward_float", "preactivations", "relu_alphas"]


@dataclass
class Op:
    """One operation of a network.

    kind:
      ``linear`` (``W`` (out, in), ``b``), ``conv`` (``W`` (co, ci, kh, kw), ``b``, ``padding``),
      ``pool`` (average pooling, ``k``), ``flatten``, ``unflatten`` (``shape`` per image),
      ``act`` (``act`` = ``relu``/``silu``; ``sigmoid`` from an imported model).
    """

    kind: str
    W: np.ndarray = None
    b: np.ndarray = None
    padding: int = 0
    k: int = 0
    shape: tuple = ()
    act: str = ""


def extract(net):
    """The ops of a ``Sequential`` of supported layers (ValueError names any other layer)."""
    from torch import nn

    ops = []
    for i, m in enumerate(net):
        if isinstance(m, nn.Linear):
            ops.append(Op("linear", W=_np(m.weight), b=_bias(m, m.out_features)))
        elif isinstance(m, nn.Conv2d):
            if (m.stride != (1, 1) or m.dilation != (1, 1) or m.groups != 1
                    or m.kernel_size[0] != m.kernel_size[1] or m.padding_mode != "zeros"
                    or not isinstance(m.padding, tuple) or m.padding[0] != m.padding[1]):
                raise ValueError(f"layer {i}: only square stride-1 zero-padded convolutions "
                                 f"are converted, not {m}")
            ops.append(Op("conv", W=_np(m.weight), b=_bias(m, m.out_channels),
                          padding=int(m.padding[0])))
        elif isinstance(m, nn.AvgPool2d):
            k = m.kernel_size if isinstance(m.kernel_size, int) else m.kernel_size[0]
            stride = m.stride if isinstance(m.stride, int) else m.stride[0]
            if stride != k or m.padding not in (0, (0, 0)) or k & (k - 1):
                raise ValueError(f"layer {i}: average pooling must be non-overlapping with a "
                                 f"power-of-two window, not {m}")
            ops.append(Op("pool", k=int(k)))
        elif isinstance(m, nn.Flatten):
            ops.append(Op("flatten"))
        elif isinstance(m, nn.Unflatten):
            ops.append(Op("unflatten", shape=tuple(m.unflattened_size)))
        elif isinstance(m, nn.ReLU):
            ops.append(Op("act", act="relu"))
        elif isinstance(m, nn.SiLU):
            ops.append(Op("act", act="silu"))
        else:
            raise ValueError(f"layer {i}: {type(m).__name__} has no spiking conversion "
                             f"(supported: Linear, Conv2d, AvgPool2d, Flatten, ReLU, SiLU)")
    if not ops or ops[-1].kind != "linear":
        raise ValueError("the network must end with a Linear read-out layer")
    return ops


def _np(t):
    return t.detach().cpu().double().numpy().copy()


def _bias(m, n):
    return _np(m.bias) if m.bias is not None else np.zeros(n)


def apply_linear(op, x):
    """A linear/conv/pool/flatten op on a float64 torch tensor (the shared plumbing)."""
    import torch
    import torch.nn.functional as F

    if op.kind == "linear":
        return F.linear(x, torch.as_tensor(op.W, device=x.device),
                        torch.as_tensor(op.b, device=x.device))
    if op.kind == "conv":
        return F.conv2d(x, torch.as_tensor(op.W, device=x.device),
                        torch.as_tensor(op.b, device=x.device), padding=op.padding)
    if op.kind == "pool":
        return F.avg_pool2d(x, op.k)
    if op.kind == "flatten":
        return x.reshape(x.shape[0], -1)
    if op.kind == "unflatten":
        return x.reshape(x.shape[0], *op.shape)
    raise ValueError(f"not a linear op: {op.kind}")


def forward_float(ops, x, act_fn=None, record=None):
    """Float64 forward pass; ``act_fn(index, op, x)`` replaces each activation.

    Parameters
    ----------
    ops : list of Op
    x : torch.Tensor
        (n, 64) float pixel values.
    act_fn : callable, optional
        Defaults to the exact activation (the ANN itself).
    record : list, optional
        Receives the input of every activation, in order.
    """
    import torch

    x = x.double()
    for i, op in enumerate(ops):
        if op.kind == "act":
            if record is not None:
                record.append(x)
            if act_fn is not None:
                x = act_fn(i, op, x)
            elif op.act == "relu":
                x = torch.relu(x)
            elif op.act == "sigmoid":
                x = torch.sigmoid(x)
            else:
                x = torch.nn.functional.silu(x)
        else:
            x = apply_linear(op, x)
    return x


def preactivations(ops, x):
    """Inputs of every activation of the exact ANN, as float64 numpy arrays."""
    import torch

    rec = []
    with torch.no_grad():
        forward_float(ops, torch.as_tensor(x), record=rec)
    return [r.cpu().numpy() for r in rec]


def relu_alphas(ops, x_train, percentile=100.0):
    """Per neuron layer, the ReLU range alpha: a percentile of its inputs over the training set.

    The FS ReLU neuron covers [0, alpha) in 2^K steps; larger inputs saturate at
    alpha (1 - 2^-K). ``percentile=100`` is the maximum (nothing saturates on training data).
    """
    alphas = []
    for pre in preactivations(ops, x_train):
        pos = pre[pre > 0]
        a = float(np.percentile(pos, percentile)) if pos.size else 1.0
        alphas.append(a if a > 0 else 1.0)
    return alphas
