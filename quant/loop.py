"""The training loop: one neuron model fitted to a target on an interval.

:func:`train` runs Adam on a batch of random restarts at once, parameters projected into
[-8, 8] after every step, quantization-aware when ``Q`` is given (fake quantization with a
straight-through gradient, :mod:`quant.surrogate`), the spikes given the triangle
pseudo-derivative; it keeps each restart's best *exact* loss (Heaviside forward, quantized
values for a Q), then runs an exact discrete local search (:mod:`quant.search`) from the best
few restarts. The model (:mod:`quant.neurons`) is the only part that differs between neuron
kinds.

Determinism: the same arguments and seed give the same result on the same device and thread
count (full-batch training, every random draw from one seeded generator, one CPU thread by
default).
"""

import math
from dataclasses import dataclass, field

import numpy as np
import torch

from common.checks import InputError, check_choice, check_int
from common.cli import progress
from .fixed import QFormat, RANGE, check_Q
from .objective import Objective, RegionWeights
from .search import iterated_search
from .surrogate import fake_quant, triangle_spike

__all__ = ["TrainConfig", "TrainResult", "train", "resolve_device"]


def resolve_device(device=None):
    """``"cpu"`` unless CUDA is present (or ``device`` names one explicitly)."""
    if device in (None, "auto"):
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device not in ("cpu", "cuda") and not str(device).startswith("cuda:"):
        raise InputError(f"device must be cpu, cuda or auto, not {device!r}")
    if str(device).startswith("cuda") and not torch.cuda.is_available():
        raise InputError(f"device {device!r} requested but CUDA is not available")
    return device


@dataclass
class TrainConfig:
    """Hyper-parameters of :func:`train`.

    Parameters
    ----------
    steps : int
        Adam steps per restart (all restarts advance together).
    restarts : int
        Random restarts trained as one batch.
    lr : float
        Adam learning rate (cosine-decayed to ``lr/20``).
    width : (float, float)
        Triangle pseudo-derivative width, annealed geometrically from the first to the second.
    n_train : int
        Training grid points (jittered uniformly within their cells every step).
    n_eval : int
        Points of the exact-evaluation grid (best tracking, local search).
    eval_every : int
        Exact evaluation period, in steps.
    Q : int or None
        Quantization-aware training for Q-bit codes.
    weights : RegionWeights
        Loss weight profile.
    search_steps : tuple
        Local-search moves: code steps for Q-bit sets, value steps for float sets (each tried
        up and down). Empty: no local search.
    search_top : int
        How many of the best restarts get a local search.
    search_iters : int
        Maximum accepted moves per local search.
    kicks : int
        Iterated local search: random perturbations of the searched optimum, each searched
        again and kept when better (:func:`iterated_search`).
    seed : int
    device : str or None
        ``None`` / ``"auto"``: CUDA when present, else CPU.
    dtype : str
        ``"float32"`` or ``"float64"`` for training; exact evaluation is always float64.
    threads : int
        CPU threads for torch during training (0: leave torch's setting). One thread by default:
        results then do not depend on the machine's core count, and the shared CI machine
        keeps a core free.
    progress : bool
        Show a tqdm bar on stderr.
    """

    steps: int = 1500
    restarts: int = 16
    lr: float = 0.02
    width: tuple = (1.0, 0.1)
    n_train: int = 4000
    n_eval: int = 8000
    eval_every: int = 25
    Q: int = None
    weights: RegionWeights = field(default_factory=RegionWeights.core)
    search_steps: tuple = None
    search_top: int = 4
    search_iters: int = 400
    kicks: int = 0
    seed: int = 0
    device: str = None
    dtype: str = "float32"
    threads: int = 1
    progress: bool = True

    def check(self):
        for name in ("steps", "search_top", "search_iters", "kicks"):
            check_int(name, getattr(self, name), 0)
        for name in ("restarts", "n_train", "n_eval", "eval_every"):
            check_int(name, getattr(self, name), 1)
        if not self.lr > 0:
            raise InputError(f"lr must be positive, not {self.lr!r}")
        if len(self.width) != 2 or not all(w > 0 for w in self.width):
            raise InputError(f"width must be two positive numbers, not {self.width!r}")
        if self.Q is not None:
            check_Q(self.Q)
        check_int("seed", self.seed)
        check_choice("dtype", self.dtype, ("float32", "float64"))
        resolve_device(self.device)


@dataclass
class TrainResult:
    """What :func:`train` returns.

    ``values``: name -> float64 array (the values the neuron uses; for a Q-bit run exactly the
    values of ``codes``); ``codes``: name -> int64 array (Q-bit runs) or None; ``loss``: the
    exact weighted loss on the evaluation grid; ``history``: per evaluation, the best exact loss
    over restarts so far; ``search_gain``: loss before / after the local search.
    """

    values: dict
    codes: dict
    loss: float
    history: list
    search_gain: tuple


class _Adam:
    """Adam (Kingma & Ba) written out, kept instead of ``torch.optim.Adam`` for two measured
    reasons.

    1. Reproducibility of the shipped sets. torch's float32 rounding differs (its first moment
       is a ``lerp``, its second moment enters as ``sqrt(v) / sqrt(1 - b2^t)``), and training
       amplifies the last bit: with ``torch.optim.Adam(foreach=False)`` and the same schedule,
       the command recorded in quant/params/silu_K8_Q8.json gives 9 of its 24 codes different
       and MSE 0.004689 instead of 0.004481 on [-8, 12]; silu_K16_Q8's gives 0.000883 instead
       of 0.000748 on [-2, 2]. With this class those commands (measured: silu_K8_Q8,
       silu_K16_Q8, amos_sigmoid_K8 and its Q8 set) reproduce their files byte for byte, and
       the reference cores in rtl/ are built from those files.
    2. Start-up: building a ``torch.optim.Adam`` imports torch._dynamo (828 modules, 1.1 s on
       an idle core with torch 2.13) for every training command.
    """

    def __init__(self, params, betas=(0.9, 0.999), eps=1e-8):
        self.params = params
        self.b1, self.b2, self.eps = betas[0], betas[1], eps
        self.m = {k: torch.zeros_like(v) for k, v in params.items()}
        self.v = {k: torch.zeros_like(v) for k, v in params.items()}
        self.t = 0

    def step(self, lr):
        self.t += 1
        c1 = 1 - self.b1 ** self.t
        c2 = 1 - self.b2 ** self.t
        with torch.no_grad():
            for k, p in self.params.items():
                if p.grad is None:
                    continue
                g = p.grad
                self.m[k].mul_(self.b1).add_(g, alpha=1 - self.b1)
                self.v[k].mul_(self.b2).addcmul_(g, g, value=1 - self.b2)
                denom = (self.v[k] / c2).sqrt_().add_(self.eps)
                p.addcdiv_(self.m[k], denom, value=-lr / c1)


def train(model, target, interval, config=None):
    """Fit a neuron model to ``target`` on ``interval``.

    Parameters
    ----------
    model : quant.neurons.NeuronModel
    target : callable
        numpy function of the model's inputs (an :class:`quant.activations.Activation`).
    interval : (float, float)
    config : TrainConfig

    Returns
    -------
    TrainResult
    """
    config = config or TrainConfig()
    config.check()
    lo, hi = (float(v) for v in interval)
    if not lo < hi:
        raise InputError(f"interval must have lo < hi, not {interval!r}")
    threads = torch.get_num_threads()
    if config.threads:
        torch.set_num_threads(config.threads)
    try:
        run = _Run(model, target, (lo, hi), config)
        run.descend()
        return run.search()
    finally:
        torch.set_num_threads(threads)


class _Run:
    """The state of one :func:`train` call: parameters, the exact objective, the best exact
    parameters of every restart so far."""

    def __init__(self, model, target, interval, config):
        self.model, self.target, self.interval, self.config = model, target, interval, config
        self.device = resolve_device(config.device)
        self.dtype = getattr(torch, config.dtype)
        self.qf = qf = QFormat(config.Q) if config.Q is not None else None
        # Parameters live in [-8, 8]; a Q-bit code can reach only [-8, 8 - lsb].
        self.bounds = (-RANGE, qf.value_max if qf else RANGE)
        self.gen = torch.Generator(device="cpu").manual_seed(int(config.seed))
        params = model.init(config.restarts, self.gen, self.dtype, "cpu")
        self.params = {k: v.to(device=self.device, dtype=self.dtype).clone()
                       for k, v in params.items()}
        self.masks = {k: (None if model.mask(k) is None else model.mask(k).to(self.device))
                      for k in self.params}
        self.frozen = {k: v.detach().clone() for k, v in self.params.items()}
        self.project()
        self.objective = self._objective()
        if model.readout is not None:
            # start every restart with the best readout for its random spike patterns
            fitted = self.objective.refit_readout(self.params, self.bounds)
            self.params = {k: v.to(self.dtype).contiguous() for k, v in fitted.items()}
            self.project()
        for p in self.params.values():
            p.requires_grad_(True)
        self.best_loss = torch.full((config.restarts,), float("inf"), dtype=torch.float64,
                                    device=self.device)
        self.best = {k: v.clone() for k, v in self.exact_values().items()}
        self.history = []

    def _objective(self):
        model, target, interval, config, qf = (self.model, self.target, self.interval,
                                               self.config, self.qf)
        objective = Objective.points(model, target, interval, config.weights, config.n_eval,
                                     self.device)
        if (qf is not None and getattr(model, "constant_on_code_grid", False)
                and (interval[1] - interval[0]) / qf.lsb <= 4 * config.n_eval):
            # the exact dense-interval loss from one point per code step, when the interval
            # falls on the code grid and the cells are not many more than the evaluation
            # points
            objective = Objective.cells(model, target, interval, config.weights, qf.lsb,
                                        self.device) or objective
        return objective

    def project(self):
        """Clamp into the bounds and restore frozen (masked-out) entries, in place."""
        with torch.no_grad():
            for k, p in self.params.items():
                p.clamp_(*self.bounds)
                if self.masks[k] is not None:
                    p.copy_(torch.where(self.masks[k], p, self.frozen[k]))

    def exact_values(self):
        """The values the neuron uses: the parameters, or the values of their nearest codes."""
        qf = self.qf
        with torch.no_grad():
            if qf is None:
                return {k: v.detach().to(torch.float64) for k, v in self.params.items()}
            return {k: (torch.clamp(torch.round(v.detach().to(torch.float64) / qf.lsb),
                                    qf.code_min, qf.code_max) * qf.lsb)
                    for k, v in self.params.items()}

    def track(self):
        """Measure every restart's exact loss; keep the parameters of its best."""
        vals = self.exact_values()
        loss = self.objective(vals)
        better = loss < self.best_loss
        self.best_loss[better] = loss[better]
        for k in self.best:
            self.best[k][better] = vals[k][better]
        self.history.append(float(self.best_loss.min()))

    def descend(self):
        """The gradient steps: Adam, cosine learning-rate decay, annealed surrogate width,
        training inputs drawn afresh every step (:meth:`NeuronModel.train_points`)."""
        config, model = self.config, self.model
        opt = _Adam(self.params)
        w0, w1 = config.width
        with progress(total=config.steps, desc="train", unit="step",
                      disable=not config.progress, leave=False) as bar:
            for step in range(config.steps):
                if step % config.eval_every == 0:
                    self.track()
                    if bar is not None:
                        bar.set_postfix(loss=f"{self.history[-1]:.3e}")
                frac = step / max(1, config.steps - 1)
                x = model.train_points(self.interval, config.n_train, self.gen, self.dtype,
                                       self.device)
                loss = self._loss(x, triangle_spike(w0 * (w1 / w0) ** frac))
                for p in self.params.values():
                    p.grad = None
                loss.sum().backward()
                for k, p in self.params.items():
                    if self.masks[k] is not None and p.grad is not None:
                        p.grad[..., ~self.masks[k]] = 0
                # cosine decay from lr to lr/20
                opt.step(config.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * frac))))
                self.project()
                if bar is not None:
                    bar.update(1)
            self.track()

    def _loss(self, x, spike):
        """The weighted MSE of every restart, (R,), at the (fake-quantized) parameters."""
        qf = self.qf
        xn = x.detach().cpu().numpy()
        # the targets are numpy functions: through numpy (the grid is small)
        y = torch.tensor(self.target(xn.astype(np.float64)), dtype=x.dtype, device=x.device)
        w = torch.tensor(self.config.weights(xn), dtype=self.dtype, device=self.device)
        w = w / w.sum()
        params = {k: (fake_quant(v, qf) if qf else v) for k, v in self.params.items()}
        out, _ = self.model.forward(x, params, spike)
        return (((out - y) ** 2) * w).sum(-1)

    def search(self):
        """Exact local search from the best few restarts; the best result."""
        config, qf = self.config, self.qf
        order = torch.argsort(self.best_loss)[:max(1, config.search_top)]
        steps = config.search_steps
        if steps is None:
            steps = (1, 2) if qf else (0.05, 0.01, 0.002, 5e-4)
        if qf:
            steps = tuple(s * qf.lsb for s in steps)
        results = []
        with progress(order.tolist(), desc="search", unit="set", disable=not config.progress,
                      leave=False) as rows:
            for r in rows:
                start, before = self._search_start(r)
                if steps and config.search_iters:
                    vals, loss = iterated_search(self.model, start, self.objective, steps,
                                                 self.bounds, self.masks, config.kicks,
                                                 self.gen, max_iters=config.search_iters,
                                                 float_steps=qf is None)
                else:
                    vals, loss = start, float(self.objective(start)[0])
                results.append((loss, before, vals))
        loss, before, vals = min(results, key=lambda t: t[0])
        values = {k: v[0].cpu().numpy().astype(np.float64) for k, v in vals.items()}
        codes = None
        if qf:
            codes = {k: np.rint(v / qf.lsb).astype(np.int64) for k, v in values.items()}
            values = {k: qf.value(c) for k, c in codes.items()}
        return TrainResult(values=values, codes=codes, loss=float(loss), history=self.history,
                           search_gain=(before, float(loss)))

    def _search_start(self, r):
        """Restart r's best parameters, with the least-squares readout (rounded to codes)
        when that beats the trained one; and their loss before."""
        qf = self.qf
        start = {k: v[r:r + 1].clone() for k, v in self.best.items()}
        before = float(self.objective(start)[0])
        if self.model.readout is not None:
            refit = self.objective.refit_readout(start, self.bounds)
            if qf:
                refit = {k: torch.round(v / qf.lsb) * qf.lsb for k, v in refit.items()}
            if float(self.objective(refit)[0]) < before:
                start = refit
        return start, before
