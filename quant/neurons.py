"""The neuron models training fits: what differs between an FS neuron and an AMOS unit.

A model (:class:`NeuronModel`) names its parameters and their shapes, draws R restarts
(random, or from starting sets), and maps an input batch to outputs of shape (R, N) for a spike
function: the triangle surrogate while training, the exact Heaviside when evaluating. Every
parameter tensor carries the restart axis first. The rest of training (:mod:`quant.loop`,
:mod:`quant.stages`) is the same for every model.

* :class:`FSModel` -- the FS neuron (Stoeckl & Maass, eq. 1-3): T, h, d of K steps;
* :class:`AmosModel` -- the AMOS unit: c, T, d per gate, h a K x K matrix of which only the
  strictly lower triangle is trainable (a mask), and for the two-input unit f(x, y) the
  weights c2 of y (inputs are then (N, 2) points).
"""

import math

import numpy as np
import torch

from common.checks import InputError, check_int
from .fixed import RANGE, QFormat
from .paramfile import K_MAX
from .surrogate import heaviside

__all__ = ["NeuronModel", "FSModel", "AmosModel"]


class NeuronModel:
    """The interface training needs from a neuron model.

    Attributes
    ----------
    names : tuple of str
        Parameter names, e.g. ``("T", "h", "d")``.
    shapes : dict
        Shape of each parameter without the restart axis, e.g. ``{"T": (K,)}``.
    readout : str or None
        The name of a parameter the output is linear in (the output weights d). The model then
        provides ``design(x, params) -> (R, N, P)``, the exact spikes, so that
        ``out = design @ readout``: training solves the readout by weighted least squares.
    two_input : bool
        Inputs are (N, 2) points (x, y) instead of (N,) values.

    Methods
    -------
    init(R, generator, dtype, device) -> dict of tensors
        R restarts; each tensor has shape ``(R, *shapes[name])`` and values in [-8, 8].
    forward(x, params, spike) -> (out, count)
        Outputs and spike counts, (R, N).
    mask(name) -> tensor of bool or None
        Which entries are free parameters (``None``: all); the others keep their initial
        values and the local search never moves them.
    hw_scales(F, Q) -> dict
        Factors that turn codes into the hardware's integers for inputs with F fraction bits
        (parameters not named: factor 1).
    """

    names = ()
    shapes = {}
    readout = "d"
    two_input = False

    def __init__(self, K, interval):
        self.K = check_int("K", K, 1, K_MAX)
        self.interval = (float(interval[0]), float(interval[1]))

    def init(self, R, generator, dtype, device):  # pragma: no cover - interface
        raise NotImplementedError

    def forward(self, x, params, spike):  # pragma: no cover - interface
        raise NotImplementedError

    def design(self, x, params):  # pragma: no cover - interface
        raise NotImplementedError

    def hw_scales(self, F, Q):  # pragma: no cover - interface
        raise NotImplementedError

    def mask(self, name):
        return None

    def eval_points(self, interval, n):
        """Inputs of the exact evaluation (numpy): ``n`` evenly spaced points of the interval,
        or for two inputs a square grid of about ``n`` points as (N, 2)."""
        if not self.two_input:
            return np.linspace(interval[0], interval[1], n)
        g = np.linspace(interval[0], interval[1], _side(n))
        gx, gy = np.meshgrid(g, g, indexing="ij")
        return np.stack([gx.reshape(-1), gy.reshape(-1)], axis=-1)

    def train_points(self, interval, n, generator, dtype, device):
        """One step's training inputs: ``n`` cell centres (a square of about ``n`` cells for
        two inputs), jittered inside their cells."""
        lo, hi = interval
        if not self.two_input:
            cell = (hi - lo) / n
            base = torch.tensor(lo + cell * (np.arange(n) + 0.5), dtype=dtype, device=device)
            jitter = (torch.rand(n, generator=generator, dtype=torch.float64) - 0.5) * cell
            return base + jitter.to(device=device, dtype=dtype)
        m = _side(n)
        cell = (hi - lo) / m
        c = lo + cell * (np.arange(m) + 0.5)
        gx, gy = np.meshgrid(c, c, indexing="ij")
        base = torch.tensor(np.stack([gx.reshape(-1), gy.reshape(-1)], -1), dtype=dtype,
                            device=device)
        jitter = (torch.rand(m * m, 2, generator=generator, dtype=torch.float64) - 0.5) * cell
        return base + jitter.to(device=device, dtype=dtype)

    def check_start(self, start):
        """A starting set (name -> float values) clipped into [-8, 8], with each shape checked
        (and a mask's fixed entries zeroed)."""
        out = {}
        for k in self.names:
            if k not in start:
                raise InputError(f"starting set lacks {k!r}")
            v = np.clip(np.asarray(start[k], dtype=np.float64), -RANGE, RANGE)
            if v.shape != self.shapes[k]:
                raise InputError(f"starting {k} has shape {v.shape}, not {self.shapes[k]}")
            m = self.mask(k)
            out[k] = v if m is None else np.where(m.numpy(), v, 0.0)
        return out


def _side(n):
    """Side of the square grid of about ``n`` points."""
    return max(2, int(round(math.sqrt(n))))


class FSModel(NeuronModel):
    """The FS neuron: parameters T, h, d of shape (K,).

    Random restarts draw a "decreasing steps" schedule: thresholds and resets ``s(t)`` that
    halve on average from ``scale`` down, each multiplied by ``exp(N(0, 0.5))``, with ``d = h``
    (the identity-like start every smooth activation is close to on its rising side) and a
    fraction of steps given negative thresholds so the negative side is covered.

    Parameters
    ----------
    K : int
    interval : (float, float)
    starts : sequence of dict
        At most one starting set ``{"T": .., "h": .., "d": ..}`` (floats): restart 0 starts
        from it exactly, the others from it with noise.
    """

    names = ("T", "h", "d")
    #: with T and h on a grid of step s, the output is constant on [n*s, (n+1)*s): every
    #: comparison v(t) >= T(t) is x >= (a multiple of s)
    constant_on_code_grid = True

    def __init__(self, K, interval, starts=()):
        super().__init__(K, interval)
        self.shapes = {k: (self.K,) for k in self.names}
        if len(starts) > 1:
            raise InputError(f"an FS model starts from at most one set, not {len(starts)}")
        self.starts = [self.check_start(s) for s in starts]

    def init(self, R, generator, dtype, device):
        K = self.K
        if self.starts:
            base = {k: torch.tensor(self.starts[0][k], dtype=torch.float64) for k in self.names}
            noise = {k: torch.randn(R, K, generator=generator, dtype=torch.float64) * 0.1
                     for k in self.names}
            out = {k: base[k].expand(R, K) + noise[k] * (torch.arange(R) > 0)[:, None]
                   for k in self.names}
            return {k: v.to(dtype=dtype, device=device) for k, v in out.items()}
        lo, hi = self.interval
        scale = min(RANGE, max(abs(lo), abs(hi)) / 2)
        ratio = 0.5 + 0.4 * torch.rand(R, 1, generator=generator, dtype=torch.float64)
        t = torch.arange(K, dtype=torch.float64)
        s = scale * ratio ** t * torch.exp(0.5 * torch.randn(R, K, generator=generator,
                                                             dtype=torch.float64))
        T = s * (0.5 + torch.rand(R, K, generator=generator, dtype=torch.float64))
        h = s.clone()
        d = s * (0.8 + 0.4 * torch.rand(R, K, generator=generator, dtype=torch.float64))
        neg = torch.rand(R, K, generator=generator, dtype=torch.float64) < 0.2
        T = torch.where(neg, -T, T)
        out = {"T": T, "h": h, "d": d}
        return {k: v.clamp(-RANGE, RANGE).to(dtype=dtype, device=device) for k, v in out.items()}

    def _spikes(self, x, params, spike):
        """Spikes (R, N) of each step, in order."""
        T, h = params["T"], params["h"]
        v = x.to(T.dtype).expand(T.shape[0], x.shape[0])
        for t in range(self.K):
            z = spike(v - T[:, t:t + 1])
            v = v - h[:, t:t + 1] * z
            yield z

    def forward(self, x, params, spike):
        d = params["d"]
        out = torch.zeros(d.shape[0], x.shape[0], dtype=d.dtype, device=d.device)
        count = torch.zeros_like(out)
        for t, z in enumerate(self._spikes(x, params, spike)):
            out = out + d[:, t:t + 1] * z
            count = count + z
        return out, count

    def design(self, x, params):
        return torch.stack(list(self._spikes(x, params, heaviside)), dim=-1)

    def hw_scales(self, F, Q):
        # the membrane is in input LSBs: T_int = code << (F - (Q-4)) (quant.fixed.QFormat)
        shift = QFormat(Q).hw_shift(F)
        return {"T": float(1 << shift), "h": float(1 << shift)}


class AmosModel(NeuronModel):
    """The AMOS unit: parameters c, T, d of shape (K,), h of shape (K, K) (free below the
    diagonal only), and c2 for two inputs.

    Parameters
    ----------
    K : int
        Number of gates.
    interval : (float, float)
        Input interval (of x, and of y for two inputs).
    two_input : bool
        Adds the weights ``c2`` of a second input y; inputs are then (N, 2) points.
    starts : sequence of dict
        Starting sets (float values: ``c``, ``T``, ``h`` K x K, ``d``, and ``c2``). Restart r
        < len(starts) starts from ``starts[r]`` exactly, the others from ``starts[r % len]``
        with noise on the free entries. Empty: random restarts, each gate the half-plane
        through a random point of the domain (direction uniform, slope 1 to 4), no inhibition,
        readout zero (fitted by least squares).
    noise : float
        Standard deviation of that noise, relative to [-8, 8] values.
    """

    def __init__(self, K, interval, two_input=False, starts=(), noise=0.1):
        super().__init__(K, interval)
        self.two_input = bool(two_input)
        self.names = ("c", "c2", "T", "h", "d") if two_input else ("c", "T", "h", "d")
        self.shapes = {k: ((self.K, self.K) if k == "h" else (self.K,)) for k in self.names}
        self.starts = [self.check_start(s) for s in starts]
        self.noise = float(noise)

    def mask(self, name):
        if name == "h":
            return torch.ones(self.K, self.K, dtype=torch.bool).tril(-1)
        return None

    def init(self, R, generator, dtype, device):
        out = self._init_from_starts(R, generator) if self.starts else \
            self._init_random(R, generator)
        return {k: v.clamp(-RANGE, RANGE).to(dtype=dtype, device=device)
                for k, v in out.items()}

    def _init_from_starts(self, R, generator):
        lower = torch.ones(self.K, self.K, dtype=torch.float64).tril(-1)
        out = {}
        for k in self.names:
            rows = []
            for r in range(R):
                base = torch.tensor(self.starts[r % len(self.starts)][k], dtype=torch.float64)
                if r >= len(self.starts):
                    noise = torch.randn(base.shape, generator=generator,
                                        dtype=torch.float64) * self.noise
                    if k == "h":
                        noise = noise * lower
                    base = base + noise
                rows.append(base)
            out[k] = torch.stack(rows)
        return out

    def _init_random(self, R, generator):
        K = self.K
        lo, hi = self.interval

        def uniform():
            return torch.rand(R, K, generator=generator, dtype=torch.float64)

        slope = 1.0 + 3.0 * uniform()
        px = lo + (hi - lo) * uniform()
        if self.two_input:
            angle = 2 * math.pi * uniform()
            c, c2 = slope * torch.cos(angle), slope * torch.sin(angle)
            py = lo + (hi - lo) * uniform()
            T = c * px + c2 * py
        else:
            sign = torch.where(torch.rand(R, K, generator=generator) < 0.5, -1.0, 1.0)
            c, c2 = slope * sign.to(torch.float64), None
            T = c * px
        out = {"c": c, "T": T, "h": torch.zeros(R, K, K, dtype=torch.float64),
               "d": torch.zeros(R, K, dtype=torch.float64)}
        if self.two_input:
            out["c2"] = c2
        return out

    def _spikes(self, x, params, spike):
        """Spikes (R, K, N) for inputs x (N,) or (N, 2)."""
        c, T, h = params["c"], params["T"], params["h"]
        dtype = c.dtype
        if self.two_input:
            xs, ys = x[:, 0].to(dtype), x[:, 1].to(dtype)
            drive = c[:, :, None] * xs + params["c2"][:, :, None] * ys - T[:, :, None]
        else:
            drive = c[:, :, None] * x.to(dtype) - T[:, :, None]
        if not torch.is_grad_enabled():
            # exact evaluation: the spikes go into one preallocated tensor (4x faster than
            # stacking, which autograd needs)
            Z = torch.empty_like(drive)
            for i in range(self.K):
                u = drive[:, i]
                if i:
                    u = u - torch.bmm(h[:, i:i + 1, :i], Z[:, :i]).squeeze(1)
                Z[:, i] = spike(u)
            return Z
        zs = []
        for i in range(self.K):
            u = drive[:, i]
            if i:
                Z = torch.stack(zs, dim=1)                                 # (R, i, N)
                u = u - torch.einsum("rj,rjn->rn", h[:, i, :i], Z)
            zs.append(spike(u))
        return torch.stack(zs, dim=1)

    def forward(self, x, params, spike):
        Z = self._spikes(x, params, spike)
        out = torch.einsum("rk,rkn->rn", params["d"], Z)
        return out, Z.sum(1)

    def design(self, x, params):
        return self._spikes(x, params, heaviside).transpose(1, 2)

    def hw_scales(self, F, Q):
        # gate arguments in units of input LSB x c LSB: T_int = T_code << F (sim.amos)
        return {"T": float(1 << F), "h": float(1 << F)}
