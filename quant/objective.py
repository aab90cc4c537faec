"""What training minimizes: loss weights over the input, and exact losses of parameter sets.

* :class:`RegionWeights` -- a piecewise-constant loss weight over the input axis (default: the
  core [-2, 2] four times the rest); :class:`UniformPoints` -- weight one everywhere, for
  points of several inputs;
* :class:`Objective` -- the exact (Heaviside) weighted MSE of a batch of parameter sets, as a
  quadratic form in the outputs, with the least-squares readout and its moves in closed form;
* :class:`GridObjective` -- the exact unweighted MSE over every representable input of the
  interval, computed in the integer units of the hardware: what a core shows
  (:func:`quant.metrics.representable_mse`), batched over candidate code sets.
"""

import math

import numpy as np
import torch

from common.checks import InputError
from .activations import CORE, Region, number_text
from .fixed import QFormat
from .metrics import representable_inputs
from .surrogate import heaviside

__all__ = ["RegionWeights", "UniformPoints", "Objective", "GridObjective"]


class RegionWeights:
    """A piecewise-constant loss weight over the input axis.

    Parameters
    ----------
    pieces : sequence of (lo, hi, weight)
        Inputs in ``[lo, hi]`` get ``weight``; later pieces override earlier ones.
    default : float
        Weight everywhere else.

    The default profile, :meth:`core`, weighs [-2, 2] (where a network's pre-activations
    mostly are) four times the rest of the interval.
    """

    def __init__(self, pieces=(), default=1.0):
        checked = []
        for piece in pieces:
            lo, hi, w = (float(v) for v in piece)
            if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
                raise InputError(f"weight region [{lo}, {hi}] must have finite lo < hi")
            if not (math.isfinite(w) and w >= 0):
                raise InputError(f"region weight must be a finite number >= 0, not {w}")
            checked.append((lo, hi, w))
        default = float(default)
        if not (math.isfinite(default) and default >= 0):
            raise InputError(f"default weight must be a finite number >= 0, not {default}")
        self.pieces = tuple(checked)
        self.default = default

    @classmethod
    def core(cls, weight=4.0):
        return cls([(CORE[0], CORE[1], weight)])

    @classmethod
    def uniform(cls):
        return cls()

    @classmethod
    def parse(cls, specs):
        """From ``["[-2,2]=4", ...]`` (region syntax of :class:`quant.activations.Region`)."""
        pieces = []
        for spec in specs:
            region, sep, weight = str(spec).rpartition("=")
            if not sep:
                raise InputError(f"weight {spec!r} is not of the form [lo,hi]=weight")
            try:
                w = float(weight)
            except ValueError:
                raise InputError(f"weight {spec!r}: {weight!r} is not a number") from None
            for lo, hi in Region.parse(region).pieces:
                pieces.append((lo, hi, w))
        return cls(pieces)

    def __call__(self, x):
        x = np.asarray(x, dtype=np.float64)
        w = np.full(x.shape, self.default)
        for lo, hi, weight in self.pieces:
            w[(x >= lo) & (x <= hi)] = weight
        return w

    def describe(self):
        parts = [f"[{number_text(lo)},{number_text(hi)}]={number_text(w)}"
                 for lo, hi, w in self.pieces]
        return " ".join(parts) + (f" else {number_text(self.default)}" if parts else "uniform")

    def to_json(self):
        return {"pieces": [list(p) for p in self.pieces], "default": self.default}


class UniformPoints:
    """Weight 1 for every point (units of several inputs: points are rows of an (N, n) array).
    """

    def __call__(self, points):
        return np.ones(np.asarray(points).shape[0])

    def describe(self):
        return "uniform"


class Objective:
    """The exact weighted MSE of parameter sets, as a quadratic form in the outputs.

    The neuron is run with the Heaviside forward at evaluation points ``x_i`` and the loss is
    ``sum_i a_i y_i^2 - 2 b_i y_i + e_i``:

    * on a point grid (:meth:`points`), ``a_i = w_i / W``, ``b_i = w_i f(x_i) / W``,
      ``e_i = w_i f(x_i)^2 / W``: the weighted mean of the squared error;
    * on a cell grid (:meth:`cells`), for outputs known to be constant on each cell
      ``[x_i, x_i + s)`` (an FS neuron whose T and h lie on the grid of step s),
      ``a_i = w_i s / W``, ``b_i = w_i int f / W``, ``e_i = w_i int f^2 / W``: the weighted
      mean over the *continuous* interval, evaluated exactly from one point per cell.

    Calling it gives the loss per restart, shape (R,).
    """

    def __init__(self, model, x, a, b, e, device):
        self.model = model
        t = dict(dtype=torch.float64, device=device)
        self.x = torch.tensor(x, **t)
        self.a = torch.tensor(a, **t)
        self.b = torch.tensor(b, **t)
        self.e = float(np.sum(e))

    @classmethod
    def points(cls, model, target, interval, weights, n, device):
        x = model.eval_points(interval, n)
        w = weights(x)
        if not w.sum() > 0:
            raise InputError("the weight profile is zero over the whole interval")
        w = w / w.sum()
        y = target(x)
        return cls(model, x, w, w * y, w * y * y, device)

    @classmethod
    def cells(cls, model, target, interval, weights, step, device, sub=32):
        """Cells ``[lo + i*step, lo + (i+1)*step)``; ``None`` if the interval does not fall on
        the step grid."""
        lo, hi = interval
        n = (hi - lo) / step
        if not (float(lo / step).is_integer() and float(n).is_integer()):
            return None
        n = int(n)
        x = lo + step * np.arange(n)
        mid = x[:, None] + step * (np.arange(sub) + 0.5)[None, :] / sub   # midpoint rule
        f = target(mid.reshape(-1)).reshape(n, sub)
        w = weights(x + step / 2)
        if not w.sum() > 0:
            raise InputError("the weight profile is zero over the whole interval")
        w = w / w.sum()
        return cls(model, x, w, w * f.mean(1), w * (f * f).mean(1), device)

    def outputs(self, params, chunk=64):
        """Exact outputs at the evaluation points, (R, N)."""
        R = next(iter(params.values())).shape[0]
        out = []
        with torch.no_grad():
            for s in range(0, R, chunk):
                part = {k: v[s:s + chunk].to(torch.float64) for k, v in params.items()}
                out.append(self.model.forward(self.x, part, heaviside)[0])
        return torch.cat(out)

    def loss_of(self, y):
        return (self.a * y * y - 2 * self.b * y).sum(-1) + self.e

    def __call__(self, params):
        return self.loss_of(self.outputs(params))

    def refit_readout(self, params, bounds, ridge=1e-9):
        """Least-squares readout for every restart (on a copy), clamped to ``bounds``; the
        parameters unchanged for models without a readout."""
        name = self.model.readout
        params = {k: v.detach().clone().to(torch.float64) for k, v in params.items()}
        if name is None:
            return params
        with torch.no_grad():
            Z = self.model.design(self.x, params)                    # (R, N, P)
            A = (Z * self.a[None, :, None]).transpose(1, 2) @ Z      # (R, P, P)
            b = Z.transpose(1, 2) @ self.b[None, :, None]            # (R, P, 1)
            P = A.shape[-1]
            scale = A.diagonal(dim1=1, dim2=2).mean(-1).clamp(min=1e-12)
            A = A + (ridge * scale)[:, None, None] * torch.eye(P, dtype=A.dtype,
                                                               device=A.device)
            sol = torch.linalg.solve(A, b)[..., 0].clamp(*bounds)
            params[name] = sol.reshape(params[name].shape)
        return params

    def readout_moves(self, params, deltas):
        """Losses after moving each readout entry by each delta, in closed form.

        With ``y = Z r`` the change of entry j by delta changes the loss by
        ``2 delta sum_i (a_i y_i - b_i) Z_ij + delta^2 sum_i a_i Z_ij^2``. Returns a tensor
        (P, len(deltas)) for the single set in ``params`` (restart axis of length 1).
        """
        with torch.no_grad():
            Z = self.model.design(self.x, params)[0]                # (N, P)
            y = Z @ params[self.model.readout].reshape(-1).to(torch.float64)
            base = float(self.loss_of(y))
            g = ((self.a * y - self.b)[:, None] * Z).sum(0)          # (P,)
            c = (self.a[:, None] * Z * Z).sum(0)                     # (P,)
            dl = torch.tensor(deltas, dtype=torch.float64, device=Z.device)
            return base + 2 * dl[None, :] * g[:, None] + dl[None, :] ** 2 * c[:, None]


class GridObjective:
    """The exact unweighted MSE over every representable input of the interval, batched over
    candidate code sets: the objective of a search on the hardware's own inputs.

    The codes are scaled to the integer units of the hardware (``model.hw_scales(F, Q)``:
    e.g. an AMOS T_int = T_code << F) and run through the model with the exact spike on the
    integer inputs, so the search sees exactly what the core computes. These are small
    integers: float32 arithmetic (sums included, in any order) is exact while every magnitude
    stays below 2^24, checked here (float64 up to 2^53 otherwise).

    Parameters
    ----------
    model : NeuronModel
        With ``hw_scales`` and ``two_input``.
    target : callable
        numpy function of the real inputs (stacked on a last axis for two inputs).
    interval : (lo, hi)
    F, Q : int
        Input fraction bits and code width.
    """

    def __init__(self, model, target, interval, F, Q, device="cpu"):
        qf = QFormat(Q)
        n, _ = representable_inputs(interval, F, max_points=None)
        if model.two_input:
            gx, gy = np.meshgrid(n, n, indexing="ij")
            pts = np.stack([gx.reshape(-1), gy.reshape(-1)], -1)
        else:
            pts = n
        self.scales = model.hw_scales(F, Q)
        x_max = int(np.abs(n).max()) if n.size else 0
        code_max = max(abs(qf.code_min), qf.code_max)
        terms = (2 if model.two_input else 1) + 2 * model.K + 1
        bound = terms * code_max * max(x_max, max(self.scales.values()))
        if bound >= 2 ** 53:
            raise InputError("codes and inputs too wide for an exact float evaluation")
        self.dtype = torch.float32 if bound < 2 ** 24 else torch.float64
        self.model, self.lsb = model, qf.lsb
        self.x = torch.tensor(pts, dtype=self.dtype, device=device)
        self.y = torch.tensor(target(pts * 2.0 ** -F), dtype=torch.float64, device=device)

    def __call__(self, codes, chunk=256):
        C = next(iter(codes.values())).shape[0]
        out = []
        with torch.no_grad():
            for s in range(0, C, chunk):
                part = {k: v[s:s + chunk].to(self.dtype) * self.scales.get(k, 1)
                        for k, v in codes.items()}
                # exact: integers well below 2^24 (float32) or 2^53 (float64), see above
                value = self.model.forward(self.x, part, heaviside)[0].to(torch.float64)
                out.append(((value * self.lsb - self.y) ** 2).mean(-1))
        return torch.cat(out)
