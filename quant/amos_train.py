"""Training AMOS parameter sets, on the generic machinery of :mod:`quant.train`.

    python -m quant.amos_train train --act silu --K 12 [--Q 8] [--seed 0] [--out FILE]
    python -m quant.amos_train train --act mul --K 40 --Q 8 --out quant/params/amos_mul_K40_Q8.json
    python -m quant.amos_train ship [--only amos_silu_K12 ...]     # every shipped AMOS set
    python -m quant.amos_train report [--out-dir docs/img]         # table + PNGs (docs/amos.md)

:class:`AmosModel` plugs the AMOS unit into :func:`quant.train.train` (triangle
pseudo-derivative, region-weighted loss, parameters kept in [-8, 8], random restarts,
quantization-aware training with straight-through fake-quant, best exact loss kept, least-squares
readout d, exact local search). The unit's parameters are c, T, d (K each), h (K x K, only the
strictly lower triangle is trainable: a mask) and, for the two-input unit f(x, y), c'.

One-input sets start from the FS-neuron set with the same K (an FS neuron is the AMOS unit with
c_i = 1, h_ij = h_j, :meth:`quant.amos_params.AmosParamSet.from_fs`): restart 0 *is* the FS set and
the trainer keeps the best exact loss it has seen, so the result is never worse than the FS set.
The Q-bit stage starts from the FS Q-bit set and from the float AMOS result, and ends with an
exact local search over the codes on the hardware's own inputs (every representable input of
the interval with F = Q-4 fraction bits, unweighted: the figure the generator reports), run from
the trained set and from the FS set, the better kept. Hence, on that grid,
MSE(AMOS, Q) <= MSE(FS, Q) by construction; :func:`train_amos` checks it.

The two-input unit (x*y on [-1, 1]^2) has no FS counterpart: random restarts (gate directions
uniform on the circle, thresholds through random points of the square, no inhibition, readout
by least squares), uniform weights on a 2-D grid.
"""

import math
import numbers
import shlex
import sys
from pathlib import Path

import numpy as np

from common.cli import ArgumentParser, CLIError, dumps_json, main_wrapper
from .activations import get_activation, mse_by_region
from .amos_params import (PREFIX, TWO_INPUT, AmosParamSet, amos_path, input_range,
                          load as load_amos, save, two_input_function)
from .fixed import QFormat, RANGE, check_Q
from .params import load as load_fs, shipped_path
from .train import NeuronModel

__all__ = ["AmosModel", "train_amos", "evaluate_amos", "grid_mse_amos", "grid_mse_fs",
           "SHIPPED", "FLOAT_CONFIG", "QAT_CONFIG", "MUL_CONFIG"]

PROG = "python -m quant.amos_train"

#: The shipped sets: (activation, K); each as a float set and a Q=8 set.
SHIPPED = (("sigmoid", 8), ("silu", 12), ("mul", 40))
SHIPPED_Q = 8

#: Budgets of the two stages (one-input units start from a trained FS set: fewer steps).
FLOAT_CONFIG = dict(steps=1500, restarts=16, lr=0.01, width=(0.5, 0.05))
QAT_CONFIG = dict(steps=600, restarts=16, lr=0.005, width=(0.3, 0.05), kicks=20)
#: The two-input unit trains from random restarts on a 2-D grid (n points = a square; the
#: product is smooth, 32 x 32 jittered points per step are plenty). Its K x K inhibition makes
#: every exact local-search move cost a full evaluation of ~3800 candidates: few moves.
MUL_CONFIG = dict(steps=2500, restarts=8, lr=0.02, width=(1.0, 0.05), n_train=1024,
                  n_eval=1024, search_iters=10)
MUL_QAT_CONFIG = dict(steps=800, restarts=8, lr=0.005, width=(0.3, 0.05), n_train=1024,
                      n_eval=1024, search_iters=10)

def _torch():
    import torch
    return torch


class UniformPoints:
    """Weight 1 for every point (two-input units; points are rows of an (N, 2) array)."""

    def __call__(self, points):
        return np.ones(np.asarray(points).shape[0])

    def describe(self):
        return "uniform"


class AmosModel(NeuronModel):
    """The AMOS unit as a :class:`quant.train.NeuronModel`.

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
        with noise on the free entries. Empty: random restarts.
    noise : float
        Standard deviation of that noise, relative to [-8, 8] values.
    """

    readout = "d"

    def __init__(self, K, interval, two_input=False, starts=(), noise=0.1):
        if isinstance(K, bool) or not isinstance(K, numbers.Integral) or not 1 <= K <= 64:
            raise ValueError(f"K must be an integer from 1 to 64, not {K!r}")
        self.K = int(K)
        self.interval = (float(interval[0]), float(interval[1]))
        self.two_input = bool(two_input)
        self.names = ("c", "c2", "T", "h", "d") if two_input else ("c", "T", "h", "d")
        self.shapes = {k: ((self.K, self.K) if k == "h" else (self.K,)) for k in self.names}
        self.starts = [self._check_start(s) for s in starts]
        self.noise = float(noise)

    def _check_start(self, start):
        out = {}
        for k in self.names:
            if k not in start:
                raise ValueError(f"starting set lacks {k!r}")
            v = np.clip(np.asarray(start[k], dtype=np.float64), -RANGE, RANGE)
            if v.shape != self.shapes[k]:
                raise ValueError(f"starting {k} has shape {v.shape}, not {self.shapes[k]}")
            out[k] = np.tril(v, -1) if k == "h" else v
        return out

    def mask(self, name):
        torch = _torch()
        if name == "h":
            return torch.ones(self.K, self.K, dtype=torch.bool).tril(-1)
        return None

    # ---- inputs ----------------------------------------------------------------------------

    def eval_points(self, interval, n):
        if not self.two_input:
            return np.linspace(interval[0], interval[1], n)
        m = max(2, int(round(math.sqrt(n))))
        g = np.linspace(interval[0], interval[1], m)
        gx, gy = np.meshgrid(g, g, indexing="ij")
        return np.stack([gx.reshape(-1), gy.reshape(-1)], axis=-1)

    def train_points(self, interval, n, generator, dtype, device):
        torch = _torch()
        lo, hi = interval
        if not self.two_input:
            cell = (hi - lo) / n
            base = torch.tensor(lo + cell * (np.arange(n) + 0.5), dtype=dtype, device=device)
            jitter = (torch.rand(n, generator=generator, dtype=torch.float64) - 0.5) * cell
            return base + jitter.to(device=device, dtype=dtype)
        m = max(2, int(round(math.sqrt(n))))
        cell = (hi - lo) / m
        c = lo + cell * (np.arange(m) + 0.5)
        gx, gy = np.meshgrid(c, c, indexing="ij")
        base = torch.tensor(np.stack([gx.reshape(-1), gy.reshape(-1)], -1), dtype=dtype,
                            device=device)
        jitter = (torch.rand(m * m, 2, generator=generator, dtype=torch.float64) - 0.5) * cell
        return base + jitter.to(device=device, dtype=dtype)

    # ---- parameters ------------------------------------------------------------------------

    def init(self, R, generator, dtype, device):
        torch = _torch()
        K = self.K
        if self.starts:
            out = {}
            lower = torch.ones(K, K, dtype=torch.float64).tril(-1)
            for k in self.names:
                rows = []
                for r in range(R):
                    base = torch.tensor(self.starts[r % len(self.starts)][k],
                                        dtype=torch.float64)
                    if r >= len(self.starts):
                        noise = torch.randn(base.shape, generator=generator,
                                            dtype=torch.float64) * self.noise
                        if k == "h":
                            noise = noise * lower
                        base = base + noise
                    rows.append(base)
                out[k] = torch.stack(rows).clamp(-RANGE, RANGE)
            return {k: v.to(dtype=dtype, device=device) for k, v in out.items()}
        # random restarts: gate i is the half-plane c_i x + c'_i y >= T_i through a random
        # point of the domain, direction uniform (one input: a random sign), slope 1..4
        lo, hi = self.interval
        slope = 1.0 + 3.0 * torch.rand(R, K, generator=generator, dtype=torch.float64)
        px = lo + (hi - lo) * torch.rand(R, K, generator=generator, dtype=torch.float64)
        if self.two_input:
            angle = 2 * math.pi * torch.rand(R, K, generator=generator, dtype=torch.float64)
            c, c2 = slope * torch.cos(angle), slope * torch.sin(angle)
            py = lo + (hi - lo) * torch.rand(R, K, generator=generator, dtype=torch.float64)
            T = c * px + c2 * py
        else:
            sign = torch.where(torch.rand(R, K, generator=generator) < 0.5, -1.0, 1.0)
            c, c2 = slope * sign.to(torch.float64), None
            T = c * px
        h = torch.zeros(R, K, K, dtype=torch.float64)
        d = torch.zeros(R, K, dtype=torch.float64)      # the trainer fits d by least squares
        out = {"c": c, "T": T, "h": h, "d": d}
        if self.two_input:
            out["c2"] = c2
        return {k: v.clamp(-RANGE, RANGE).to(dtype=dtype, device=device)
                for k, v in out.items()}

    # ---- the unit --------------------------------------------------------------------------

    def _spikes(self, x, params, spike):
        """Spikes (R, K, N) for inputs x (N,) or (N, 2)."""
        torch = _torch()
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
        torch = _torch()
        Z = self._spikes(x, params, spike)
        out = torch.einsum("rk,rkn->rn", params["d"], Z)
        return out, Z.sum(1)

    def design(self, x, params):
        from .train import heaviside

        return self._spikes(x, params, heaviside).transpose(1, 2)


# ---- exact figures ------------------------------------------------------------------------


def _target(activation):
    if activation in TWO_INPUT:
        f = two_input_function(activation)
        return lambda p: f(np.asarray(p)[..., 0], np.asarray(p)[..., 1])
    return get_activation(activation)


def grid_points(interval, F, two_input):
    """Every representable input (real values) of ``[lo, hi)`` with F fraction bits; for two
    inputs every pair, as (N, 2)."""
    lo, hi = input_range(interval, F)
    x = np.arange(lo, hi + 1, dtype=np.int64) * 2.0 ** -F
    if not two_input:
        return x
    gx, gy = np.meshgrid(x, x, indexing="ij")
    return np.stack([gx.reshape(-1), gy.reshape(-1)], axis=-1)


def grid_mse_amos(ps, F=None):
    """MSE of a Q-bit AMOS set over every representable input of its interval (F fraction
    bits, default Q-4 but at least 0), with the exact integer model."""
    from sim.amos import amos_int

    if ps.Q is None:
        raise ValueError("grid_mse_amos needs a Q-bit set")
    F = max(ps.Q - 4, 0) if F is None else int(F)
    lo, hi = input_range(ps.interval, F)
    n = np.arange(lo, hi + 1, dtype=np.int64)
    c, T, h, d, c2 = ps.to_hw(F)
    if ps.two_input:
        gx, gy = np.meshgrid(n, n, indexing="ij")
        x, y = gx.reshape(-1), gy.reshape(-1)
        value, _ = amos_int(x, c, T, h, d, y=y, c2=c2)
        want = two_input_function(ps.activation)(x * 2.0 ** -F, y * 2.0 ** -F)
    else:
        value, _ = amos_int(n, c, T, h, d)
        want = get_activation(ps.activation)(n * 2.0 ** -F)
    err = value * ps.qformat.lsb - want
    return float(np.mean(err * err))


def grid_mse_fs(fs, F=None):
    """The same figure for a Q-bit FS set (:mod:`sim.fs` integer model, same inputs)."""
    from sim.fs import fs_int

    if fs.Q is None:
        raise ValueError("grid_mse_fs needs a Q-bit set")
    q = fs.qformat
    F = max(fs.Q - 4, 0) if F is None else int(F)
    if F < q.frac:
        raise ValueError(f"an FS core needs F >= Q-4 = {q.frac}")
    lo, hi = input_range(fs.interval, F)
    n = np.arange(lo, hi + 1, dtype=np.int64)
    value, _ = fs_int(n, q.to_hw(fs.T, F), q.to_hw(fs.h, F), list(fs.d))
    err = value * q.lsb - get_activation(fs.activation)(n * 2.0 ** -F)
    return float(np.mean(err * err))


def evaluate_amos(ps, n=100_000):
    """MSE per region (dense grids) of a set's float values: like the FS sets' ``made_by``;
    two-input sets: one figure over a dense square grid of the interval."""
    from sim.amos import amos_float

    c, T, h, d, c2 = ps.values()
    if ps.two_input:
        m = int(round(math.sqrt(n)))
        g = np.linspace(ps.interval[0], ps.interval[1], m)
        gx, gy = np.meshgrid(g, g, indexing="ij")
        out, _ = amos_float(gx, c, T, h, d, y=gy, c2=c2)
        want = two_input_function(ps.activation)(gx, gy)
        lo, hi = (_fmt(v) for v in ps.interval)
        return {f"[{lo},{hi}]^2": float(f"{np.mean((out - want) ** 2):.6g}")}
    mse = mse_by_region(lambda x: amos_float(x, c, T, h, d)[0], ps.activation, ps.interval, n)
    return {k: float(f"{v:.6g}") for k, v in mse.items()}


def _fmt(v):
    return str(int(v)) if float(v).is_integer() else repr(float(v))


class _GridObjective:
    """Exact unweighted MSE on the representable inputs, batched over candidate code sets: the
    objective of the final local search.

    Works in integer units, as the hardware does (:mod:`sim.amos`): c x with x in input LSBs,
    T and h shifted left by F, d in codes; these are small integers, so float32 arithmetic
    (sums included, in any order) is exact whenever every magnitude stays below 2^24, checked
    here (float64 up to 2^53 otherwise). Hence the search sees exactly what the core computes.
    """

    def __init__(self, model, activation, interval, F, Q, device="cpu"):
        torch = _torch()
        qf = QFormat(Q)
        lo, hi = input_range(interval, F)
        n = np.arange(lo, hi + 1, dtype=np.int64)
        if model.two_input:
            gx, gy = np.meshgrid(n, n, indexing="ij")
            pts = np.stack([gx.reshape(-1), gy.reshape(-1)], -1)
        else:
            pts = n
        K, x_max = model.K, max(abs(lo), abs(hi))
        code_max = max(abs(qf.code_min), qf.code_max)
        inputs = 2 if model.two_input else 1
        bound = inputs * code_max * x_max + (K + 1) * (code_max << F) + K * code_max
        if bound >= 2 ** 53:
            raise ValueError("codes and inputs too wide for an exact float evaluation")
        self.dtype = torch.float32 if bound < 2 ** 24 else torch.float64
        self.model, self.F, self.lsb = model, F, qf.lsb
        self.x = torch.tensor(pts, dtype=self.dtype, device=device)
        want = _target(activation)(pts * 2.0 ** -F)
        self.y = torch.tensor(want, dtype=torch.float64, device=device)

    def __call__(self, codes, chunk=256):
        torch = _torch()
        from .train import heaviside

        C = next(iter(codes.values())).shape[0]
        shift = float(1 << self.F)
        out = []
        with torch.no_grad():
            for s in range(0, C, chunk):
                part = {k: v[s:s + chunk].to(self.dtype) for k, v in codes.items()}
                part["T"] = part["T"] * shift          # T_int = T_code << F
                part["h"] = part["h"] * shift          # h_int = h_code << F
                Z = self.model._spikes(self.x, part, heaviside)
                value = torch.einsum("rk,rkn->rn", part["d"].to(torch.float64),
                                     Z.to(torch.float64))
                out.append(((value * self.lsb - self.y) ** 2).mean(-1))
        return torch.cat(out)


def _to_set(activation, K, interval, values, two_input, Q=None, codes=None):
    src = codes if codes is not None else values
    conv = (lambda v: int(v)) if codes is not None else (lambda v: float(v))
    vec = {k: tuple(conv(v) for v in np.asarray(src[k]).reshape(-1)) for k in src if k != "h"}
    h = np.asarray(src["h"])
    K = int(K)
    H = tuple(tuple(conv(h[i, j]) if j < i else conv(0) for j in range(K)) for i in range(K))
    return AmosParamSet(activation, K, tuple(interval), vec["c"], vec["T"], H, vec["d"],
                        c2=vec.get("c2") if two_input else None, Q=Q)


def _values(ps):
    c, T, h, d, c2 = ps.values()
    out = {"c": c, "T": T, "h": h, "d": d}
    if c2 is not None:
        out["c2"] = c2
    return out


def default_fs_paths(activation, K, Q):
    """The FS sets a one-input AMOS set starts from: ``quant/params/<act>_K<K>.json`` and
    ``<act>_K<K>_Q<Q>.json``."""
    return shipped_path(activation, K), (shipped_path(activation, K, Q) if Q else None)


def train_amos(activation, K, Q=None, interval=None, *, fs=None, fs_q=None, seed=0,
               weights=None, steps=None, restarts=None, qat_steps=None, qat_restarts=None,
               device=None, show_progress=True, command=None, float_command=None,
               search_iters=None, polish_iters=None):
    """Train an AMOS set: the float set, and (with ``Q``) the Q-bit set.

    Parameters
    ----------
    activation : str
        A one-input activation (name or expression of x) or a two-input name (``mul``).
    K : int
    Q : int or None
    interval : (lo, hi) or None
        Default: the activation's interval ([-1, 1] for mul).
    fs, fs_q : FSParamSet or path, optional
        One-input units: the FS float and Q-bit sets to start from (default: the shipped
        ``<act>_K<K>.json`` and ``<act>_K<K>_Q<Q>.json``; required).
    seed, weights, steps, restarts, qat_steps, qat_restarts, device, show_progress
        As for :func:`quant.train.train_fs`.
    command, float_command : str or None
        The command lines recorded in the Q-bit and float sets' ``made_by``.
    search_iters, polish_iters : int or None
        Local-search budgets (trainer's weighted search, final grid search).

    Returns
    -------
    (AmosParamSet, AmosParamSet or None)
        The float set and the Q-bit set (None without Q).
    """
    from .train import TrainConfig, RegionWeights, local_search, train

    two = activation in TWO_INPUT
    if not two:
        act = get_activation(activation)
        if act.name == "relu":
            raise ValueError("relu is analytic (c = 1, T = d = 2^(K-i), h_ij = 2^(K-j)): it is "
                             "never trained (python -m gen amos --act relu)")
        spec = act.spec
        default_interval = act.default_interval
    else:
        spec = activation
        default_interval = TWO_INPUT[activation][1]
    if isinstance(K, bool) or not isinstance(K, numbers.Integral) or not 1 <= K <= 64:
        raise ValueError(f"K must be an integer from 1 to 64, not {K!r}")
    K = int(K)
    if Q is not None:
        Q = check_Q(Q)
        if Q < 4:
            raise ValueError(f"Q={Q}: AMOS sets need Q >= 4 (c = 1 must be a code)")
    interval = tuple(float(v) for v in (interval if interval is not None else default_interval))
    if not (len(interval) == 2 and all(math.isfinite(v) for v in interval)
            and interval[0] < interval[1]):
        raise ValueError(f"interval must have finite lo < hi, not {interval!r}")
    target = _target(spec)

    fs_start = fs_q_start = None
    if not two:
        fs_path, fs_q_path = default_fs_paths(spec, K, Q)
        fs = _load_fs(fs if fs is not None else fs_path, spec, K, None, "--fs")
        fs_start = AmosParamSet.from_fs(fs)
        if Q is not None:
            fs_q = _load_fs(fs_q if fs_q is not None else fs_q_path, spec, K, Q, "--fs-q")
            fs_q_start = AmosParamSet.from_fs(fs_q)
        if tuple(fs.interval) != interval:
            raise ValueError(f"the FS set's interval {list(fs.interval)} differs from "
                             f"{list(interval)}: give FS sets trained on the same interval")

    if weights is None:
        weights = UniformPoints() if two else RegionWeights.core()
    common = dict(seed=seed, weights=weights, device=device, progress=show_progress)
    fcfg = dict(MUL_CONFIG if two else FLOAT_CONFIG)
    if search_iters is not None:
        fcfg["search_iters"] = search_iters
    if steps is not None:
        fcfg["steps"] = steps
    if restarts is not None:
        fcfg["restarts"] = restarts
    starts = [] if two else [_values(fs_start)]
    model = AmosModel(K, interval, two_input=two, starts=starts)
    result = train(model, target, interval, TrainConfig(**fcfg, **common))
    float_set = _to_set(spec, K, interval, result.values, two)
    made_by = {"command": float_command, "seed": int(seed), "mse": evaluate_amos(float_set)}
    if not two:
        made_by["init"] = {"fs": _describe(fs), "fs_mse": _fs_float_mse(fs)}
    float_set = float_set.with_made_by(made_by)
    if Q is None:
        return float_set, None

    # quantization-aware stage: from the FS Q-bit set (exactly) and the float AMOS set
    qcfg = dict(MUL_QAT_CONFIG if two else QAT_CONFIG)
    if search_iters is not None:
        qcfg["search_iters"] = search_iters
    if qat_steps is not None:
        qcfg["steps"] = qat_steps
    if qat_restarts is not None:
        qcfg["restarts"] = qat_restarts
    starts = [_values(float_set)] if two else [_values(fs_q_start), _values(float_set)]
    qmodel = AmosModel(K, interval, two_input=two, starts=starts)
    result = train(qmodel, target, interval, TrainConfig(**qcfg, Q=Q, **common))

    # final exact search on the hardware's own inputs, from the trained and the FS codes
    qf = QFormat(Q)
    F = max(Q - 4, 0)
    objective = _GridObjective(qmodel, spec, interval, F, Q)
    torch = _torch()
    candidates = [{k: torch.tensor(v[None], dtype=torch.float64)
                   for k, v in result.codes.items()}]
    if fs_q_start is not None:
        candidates.append({k: torch.tensor(np.asarray(v, dtype=np.float64)[None])
                           for k, v in _codes(fs_q_start).items()})
    masks = {k: qmodel.mask(k) for k in qmodel.names}
    iters = polish_iters if polish_iters is not None else (60 if two else 400)
    best = None
    for cand in candidates:
        codes, loss = local_search(qmodel, cand, objective, (1, 2), (qf.code_min, qf.code_max),
                                   masks, iters)
        if best is None or loss < best[0]:
            best = (loss, codes)
    codes = {k: np.rint(v[0].numpy()).astype(np.int64) for k, v in best[1].items()}
    q_set = _to_set(spec, K, interval, None, two, Q=Q, codes=codes)
    grid = {"F": F, "amos": float(f"{grid_mse_amos(q_set, F):.6g}")}
    if fs_q is not None:
        grid["fs"] = float(f"{grid_mse_fs(fs_q, F):.6g}")
        if grid_mse_amos(q_set, F) > grid_mse_fs(fs_q, F):  # pragma: no cover - by design
            raise AssertionError("AMOS Q-bit set worse than its FS start on the grid")
    made_by = {"command": command, "seed": int(seed), "mse": evaluate_amos(q_set),
               "grid_mse": grid}
    if fs_q is not None:
        made_by["init"] = {"fs": _describe(fs_q), "amos_float": "float stage of this command"}
    return float_set, q_set.with_made_by(made_by)


def _codes(ps):
    out = {"c": ps.c, "T": ps.T, "h": ps.h, "d": ps.d}
    if ps.c2 is not None:
        out["c2"] = ps.c2
    return out


def _describe(fs):
    cmd = (fs.made_by or {}).get("command") if isinstance(fs.made_by, dict) else None
    name = f"{fs.activation}_K{fs.K}" + (f"_Q{fs.Q}" if fs.Q is not None else "")
    return {"set": name, "command": cmd}


def _fs_float_mse(fs):
    from sim.fs import fs_float

    T, h, d = fs.values()
    mse = mse_by_region(lambda x: fs_float(x, T, h, d)[0], fs.activation, fs.interval)
    return {k: float(f"{v:.6g}") for k, v in mse.items()}


def _load_fs(src, activation, K, Q, option):
    from .params import FSParamSet

    if isinstance(src, FSParamSet):
        fs = src
    else:
        path = Path(src)
        if not path.exists():
            q = f" --Q {Q}" if Q is not None else ""
            raise ValueError(f"AMOS training starts from the FS set {path.name}, which does not "
                             f"exist: make it with 'python -m quant train --act {activation} "
                             f"--K {K}{q} --out {path}' or give one with {option}")
        fs = load_fs(path)
    if fs.K != K or fs.activation != activation or fs.Q != Q:
        raise ValueError(f"{option}: the FS set is {fs.activation} K={fs.K} Q={fs.Q}, not "
                         f"{activation} K={K} Q={Q}")
    return fs


# ---- command line -------------------------------------------------------------------------

def _int(text):
    try:
        return int(text)
    except ValueError:
        raise CLIError(f"{text!r} is not an integer") from None


def _positive_int(text):
    v = _int(text)
    if v < 1:
        raise CLIError(f"expected a positive integer, not {v}")
    return v


def _float(text):
    try:
        return float(text)
    except ValueError:
        raise CLIError(f"{text!r} is not a number") from None


def _command(words):
    return " ".join([PROG] + [shlex.quote(str(w)) for w in words])


def _budget_words(args):
    words = ["--seed", args.seed]
    for name in ("steps", "restarts", "qat_steps", "qat_restarts"):
        v = getattr(args, name)
        if v is not None:
            words += [f"--{name.replace('_', '-')}", v]
    return words


def _train_kwargs(args):
    return dict(seed=args.seed, steps=args.steps, restarts=args.restarts,
                qat_steps=args.qat_steps, qat_restarts=args.qat_restarts,
                device=None if args.device == "auto" else args.device,
                show_progress=not args.quiet)


def _rel(path):
    path = Path(path)
    return None if path.is_absolute() else str(path)


def cmd_train(args):
    act = args.act.strip()
    if not 1 <= args.K <= 64:
        raise CLIError(f"K must be from 1 to 64, not {args.K}")
    Q = check_Q(args.Q) if args.Q is not None else None
    base = ["train", "--act", act, "--K", args.K]
    if args.interval:
        base += ["--interval", *(_fmt(v) for v in args.interval)]
    for opt, val in (("--fs", args.fs), ("--fs-q", args.fs_q)):
        if val is not None and _rel(val):
            base += [opt, val]
    budget = _budget_words(args)
    q_words = base + (["--Q", Q] if Q is not None else []) + budget
    if args.out and _rel(args.out):
        q_words += ["--out", args.out]
    f_words = base + budget
    if Q is None and args.out and _rel(args.out):
        f_words += ["--out", args.out]
    if args.float_out and _rel(args.float_out):
        f_words += ["--out", args.float_out]
    float_set, q_set = train_amos(
        act, args.K, Q, tuple(args.interval) if args.interval else None, fs=args.fs,
        fs_q=args.fs_q, command=_command(q_words), float_command=_command(f_words),
        **_train_kwargs(args))
    out_set = q_set if q_set is not None else float_set
    _report(float_set)
    if q_set is not None:
        _report(q_set)
    if args.float_out:
        save(float_set, args.float_out)
    if args.out:
        save(out_set, args.out)
    else:
        sys.stdout.write(dumps_json(out_set.to_dict()))


def cmd_ship(args):
    names = {f"{PREFIX}{a}_K{K}": (a, K) for a, K in SHIPPED}
    only = args.only or sorted(names)
    for name in only:
        if name not in names:
            raise CLIError(f"unknown shipped set {name!r} (shipped: {', '.join(sorted(names))})")
    for name in only:
        act, K = names[name]
        f_path = amos_path(act, K).relative_to(Path.cwd()) if _inside_cwd(amos_path(act, K)) \
            else amos_path(act, K)
        q_path = amos_path(act, K, SHIPPED_Q)
        q_path = q_path.relative_to(Path.cwd()) if _inside_cwd(q_path) else q_path
        base = ["train", "--act", act, "--K", K, "--seed", args.seed]
        print(f"{name}: training (float, then Q={SHIPPED_Q})", file=sys.stderr)
        float_set, q_set = train_amos(
            act, K, SHIPPED_Q, seed=args.seed, device=None if args.device == "auto" else
            args.device, show_progress=not args.quiet,
            float_command=_command(base + ["--out", f_path]),
            command=_command(base + ["--Q", SHIPPED_Q, "--out", q_path]))
        _report(float_set)
        _report(q_set)
        save(float_set, amos_path(act, K))
        save(q_set, amos_path(act, K, SHIPPED_Q))


def results_table():
    """The results of the shipped sets as a markdown table (every figure computed here from the
    files with the golden models)."""
    rows = ["| set | K | FS Q8 | AMOS Q8 | FS float | AMOS float |",
            "|---|---|---|---|---|---|"]
    for act, K in SHIPPED:
        amos_q, amos_f = load_amos(amos_path(act, K, SHIPPED_Q)), load_amos(amos_path(act, K))
        a_q = grid_mse_amos(amos_q)
        a_f = list(evaluate_amos(amos_f).values())[-1]
        if act in TWO_INPUT:
            rows.append(f"| {act} (x*y on [-1,1]^2) | {K} | (AMOS paper, float: 0.0102) | "
                        f"{a_q:.3g} | - | {a_f:.3g} |")
            continue
        fs_q, fs_f = load_fs(shipped_path(act, K, SHIPPED_Q)), load_fs(shipped_path(act, K))
        f_q = grid_mse_fs(fs_q)
        f_f = list(_fs_float_mse(fs_f).values())[-1]
        rows.append(f"| {act} on [{_fmt(amos_q.interval[0])},{_fmt(amos_q.interval[1])}) | {K} | "
                    f"{f_q:.3g} | {a_q:.3g} ({a_q / f_q:.2f}x) | {f_f:.3g} | {a_f:.3g} |")
    return "\n".join(rows) + "\n"


def plot_sets(out_dir):
    """PNGs of the shipped Q8 sets: the exact cores' outputs and errors (one input: AMOS vs FS
    on every representable input; x*y: target, output and error maps). Returns the paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sim.amos import amos_int
    from sim.fs import fs_int

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for act, K in SHIPPED:
        amos = load_amos(amos_path(act, K, SHIPPED_Q))
        F = SHIPPED_Q - 4
        lo, hi = input_range(amos.interval, F)
        n = np.arange(lo, hi + 1, dtype=np.int64)
        c, T, h, d, c2 = amos.to_hw(F)
        lsb = amos.qformat.lsb
        path = out_dir / f"amos_{act}_K{K}.png"
        if amos.two_input:
            gx, gy = np.meshgrid(n, n, indexing="ij")
            value, _ = amos_int(gx, c, T, h, d, y=gy, c2=c2)
            xs = n * 2.0 ** -F
            want = np.outer(xs, xs)
            got = value * lsb
            fig, axes = plt.subplots(1, 3, figsize=(13, 4))
            ext = (xs[0], xs[-1], xs[0], xs[-1])
            for ax, img, title in zip(axes, (want, got, got - want),
                                      ("x*y", f"AMOS K={K} Q={SHIPPED_Q} core",
                                       f"error (MSE {np.mean((got - want) ** 2):.2e})")):
                im = ax.imshow(img.T, origin="lower", extent=ext, cmap="RdBu_r",
                               vmin=-np.abs(img).max(), vmax=np.abs(img).max())
                ax.set_title(title)
                ax.set_xlabel("x")
                ax.set_ylabel("y")
                fig.colorbar(im, ax=ax, shrink=0.8)
        else:
            fs = load_fs(shipped_path(act, K, SHIPPED_Q))
            q = fs.qformat
            x = n * 2.0 ** -F
            want = get_activation(act)(x)
            a_val, a_sp = amos_int(n, c, T, h, d)
            f_val, _ = fs_int(n, q.to_hw(fs.T, F), q.to_hw(fs.h, F), list(fs.d))
            a_err, f_err = a_val * lsb - want, f_val * q.lsb - want
            fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(8, 7), sharex=True)
            ax1.plot(x, want, "k-", lw=2, label=act)
            ax1.plot(x, f_val * q.lsb, "-", color="tab:orange", lw=1,
                     label=f"FS K={K} Q={SHIPPED_Q} core (MSE {np.mean(f_err ** 2):.2e})")
            ax1.plot(x, a_val * lsb, "-", color="tab:blue", lw=1,
                     label=f"AMOS K={K} Q={SHIPPED_Q} core (MSE {np.mean(a_err ** 2):.2e})")
            ax1.legend(loc="upper left")
            ax1.set_ylabel("output")
            ax1.set_title(f"{act}: every representable input (F={F}) of "
                          f"[{_fmt(amos.interval[0])}, {_fmt(amos.interval[1])})")
            ax2.plot(x, f_err, "-", color="tab:orange", lw=1, label="FS error")
            ax2.plot(x, a_err, "-", color="tab:blue", lw=1, label="AMOS error")
            ax2.axhline(0, color="k", lw=0.5)
            ax2.legend(loc="upper left")
            ax2.set_xlabel("x")
            ax2.set_ylabel("error")
        fig.tight_layout()
        fig.savefig(path, dpi=100, metadata={"Software": None})
        plt.close(fig)
        paths.append(path)
    return paths


def cmd_report(args):
    sys.stdout.write(results_table())
    if not args.table_only:
        for path in plot_sets(args.out_dir):
            print(f"wrote {path}", file=sys.stderr)


def _inside_cwd(path):
    try:
        Path(path).resolve().relative_to(Path.cwd().resolve())
        return True
    except ValueError:
        return False


def _report(ps):
    q = f" Q={ps.Q}" if ps.Q is not None else ""
    mse = ", ".join(f"{k} {v:.4g}" for k, v in ps.made_by["mse"].items())
    extra = ""
    grid = ps.made_by.get("grid_mse")
    if grid:
        extra = f"; every representable input (F={grid['F']}): {grid['amos']:.4g}"
        if "fs" in grid:
            extra += f" (FS set: {grid['fs']:.4g})"
    print(f"AMOS {ps.activation} K={ps.K}{q}: MSE {mse}{extra}", file=sys.stderr)


def build_parser():
    parser = ArgumentParser(prog=PROG, description="Train AMOS parameter sets (one-input units "
                            "start from the FS-neuron set with the same K).")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True,
                                parser_class=ArgumentParser)
    p = sub.add_parser("train", help="train one AMOS set",
                       description="Train an AMOS set: a float stage, then (with --Q) a "
                                   "quantization-aware stage and an exact code search.")
    p.add_argument("--act", required=True,
                   help="silu, sigmoid, tanh, gelu, an expression of x, or mul (x*y)")
    p.add_argument("--K", type=_int, required=True, help="number of gates")
    p.add_argument("--Q", type=_int, default=None, help="code width: also train Q-bit codes")
    p.add_argument("--interval", type=_float, nargs=2, metavar=("LO", "HI"), default=None,
                   help="training interval (default: the activation's; mul: -1 1)")
    p.add_argument("--fs", default=None, metavar="FILE",
                   help="FS float set to start from (default quant/params/<act>_K<K>.json)")
    p.add_argument("--fs-q", default=None, metavar="FILE",
                   help="FS Q-bit set to start from (default quant/params/<act>_K<K>_Q<Q>.json)")
    p.add_argument("--out", default=None, help="output file (default: JSON on stdout)")
    p.add_argument("--float-out", default=None, metavar="FILE",
                   help="also write the float stage's set (with --Q)")
    _add_common(p)
    p.add_argument("--steps", type=_positive_int, default=None, help="float-stage Adam steps")
    p.add_argument("--restarts", type=_positive_int, default=None, help="float-stage restarts")
    p.add_argument("--qat-steps", type=_positive_int, default=None, help="Q-stage Adam steps")
    p.add_argument("--qat-restarts", type=_positive_int, default=None, help="Q-stage restarts")
    p.set_defaults(_run=cmd_train)
    p = sub.add_parser("ship", help="retrain the shipped AMOS sets in quant/params",
                       description="Retrain " + ", ".join(f"{PREFIX}{a}_K{K}" for a, K in SHIPPED)
                       + f" (float and Q={SHIPPED_Q}) into quant/params.")
    p.add_argument("--only", nargs="+", default=None, metavar="NAME",
                   help="only these (e.g. amos_silu_K12)")
    _add_common(p)
    p.set_defaults(_run=cmd_ship)
    p = sub.add_parser("report", help="results table (stdout) and PNGs of the shipped sets",
                       description="Print the AMOS-vs-FS results table of the shipped sets "
                                   "(markdown) and plot them into --out-dir.")
    p.add_argument("--out-dir", default="docs/img", help="PNG folder (default docs/img)")
    p.add_argument("--table-only", action="store_true", help="only the table, no PNGs")
    p.set_defaults(_run=cmd_report)
    return parser


def _add_common(p):
    p.add_argument("--seed", type=_int, default=0, help="random seed (default 0)")
    p.add_argument("--device", default="auto", help="cpu, cuda or auto (default)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def main(argv=None):
    args = build_parser().parse_args(argv)
    return args._run(args)


if __name__ == "__main__":
    sys.exit(main_wrapper(main))
