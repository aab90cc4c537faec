"""The differentiable stand-ins training uses: a spike with a pseudo-derivative, and Q-bit
fake quantization with a straight-through gradient.

* :func:`triangle_spike` -- the Heaviside ``z = [u >= 0]`` (Theta(0) = 1, the hardware's rule)
  with the triangle pseudo-derivative ``dz/du = max(0, 1 - |u|/width) / width`` (area one), the
  surrogate gradient of the FS-neuron paper's training;
* :func:`heaviside` -- the exact spike, no gradient (exact evaluation);
* :func:`fake_quant` -- the forward value of the Q-bit code nearest to a parameter, gradient
  passed straight through.
"""

import torch

from common.checks import InputError

__all__ = ["TriangleSpike", "triangle_spike", "heaviside", "fake_quant"]


class TriangleSpike(torch.autograd.Function):
    """Heaviside forward, triangle pseudo-derivative backward."""

    @staticmethod
    def forward(ctx, u, width):
        ctx.save_for_backward(u)
        ctx.width = float(width)
        return (u >= 0).to(u.dtype)

    @staticmethod
    def backward(ctx, grad):
        (u,) = ctx.saved_tensors
        w = ctx.width
        return grad * torch.clamp(1.0 - u.abs() / w, min=0.0) / w, None


def triangle_spike(width):
    """A spike function ``spike(u) = [u >= 0]`` whose derivative is the triangle
    ``max(0, 1 - |u|/width) / width``."""
    if not width > 0:
        raise InputError(f"pseudo-derivative width must be positive, not {width!r}")

    def spike(u):
        return TriangleSpike.apply(u, width)

    return spike


def heaviside(u):
    """The exact spike function ``[u >= 0]`` (Theta(0) = 1), no gradient."""
    return (u >= 0).to(u.dtype)


def fake_quant(p, qformat):
    """Q-bit fake quantization with a straight-through gradient.

    The forward value is ``value(quantize(p))``: ties to even (``torch.round``), saturating,
    exactly :meth:`quant.fixed.QFormat.round_trip`. The backward pass is the identity.
    """
    codes = torch.clamp(torch.round(p / qformat.lsb), qformat.code_min, qformat.code_max)
    return p + (codes * qformat.lsb - p).detach()
