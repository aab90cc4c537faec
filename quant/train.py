"""Training spiking-neuron parameters to approximate an activation function.

The module has two layers.

**Generic machinery** (any neuron whose output is a sum of spikes through Heaviside gates):

* :class:`TriangleSpike` / :func:`triangle_spike` -- the Heaviside ``z = [u >= 0]`` with a
  triangle pseudo-derivative ``dz/du = max(0, 1 - |u|/width) / width`` for backpropagation;
* :class:`RegionWeights` -- the loss weight profile over the input interval (piecewise
  constant; the default weighs the core [-2, 2] four times the rest);
* :func:`fake_quant` -- Q-bit fake quantization with a straight-through gradient;
* :func:`train` -- Adam on a batch of random restarts at once, parameters projected into
  [-8, 8] after every step, quantization-aware when ``Q`` is given, the best *exact* loss
  (Heaviside forward, quantized values when ``Q`` is given) of every restart tracked, then a
  discrete local search (:func:`local_search`) over values (floats) or codes (Q-bit sets)
  evaluated with the exact forward on a dense grid;
* seeding (:func:`resolve_device`, a ``torch.Generator`` per run) and a tqdm progress bar.

**Model objects** plug into it through a small interface (:class:`NeuronModel`): a tuple of
parameter ``names`` with their ``shapes``, an optional trainable ``mask`` per parameter, an
``init(R, generator)`` that returns R restarts, and ``forward(x, params, spike)`` that maps an
input grid of N points to outputs of shape (R, N). Every parameter tensor carries the restart
axis first. :class:`FSModel` is the FS-neuron (paper eq. 1-3); the AMOS unit reuses everything
with its own model object (parameters c, T, h as a masked K x K matrix, d).

The FS front end :func:`train_fs` returns a :class:`quant.params.FSParamSet` with a ``made_by``
record; :func:`relu_fs` is the analytic ReLU set (never trained).

Determinism: the same arguments and seed give the same result on the same device and thread
count (full-batch training, every random draw from one seeded generator).
"""

import math
import numbers
from dataclasses import dataclass, field

import numpy as np

from common.cli import progress
from .activations import CORE, Region, get_activation, mse_by_region
from .fixed import QFormat, RANGE, check_Q

__all__ = ["TriangleSpike", "triangle_spike", "heaviside", "RegionWeights", "fake_quant",
           "NeuronModel", "FSModel", "TrainConfig", "TrainResult", "train", "local_search",
           "resolve_device", "train_fs", "relu_fs", "evaluate_fs", "grid_mse", "mean_spikes",
           "NETWORK_INPUT"]

#: Input distribution of the paper's spike-count figure: x ~ N(mean, variance).
NETWORK_INPUT = (-0.112, 1.99)


def _torch():
    import torch
    return torch


# ------------------------------------------------------------------------------------------
# generic machinery
# ------------------------------------------------------------------------------------------

def _make_triangle():
    torch = _torch()

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

    return TriangleSpike


_TRIANGLE = None


def TriangleSpike():
    """The autograd function class (built on first use so that importing this module does not
    import torch)."""
    global _TRIANGLE
    if _TRIANGLE is None:
        _TRIANGLE = _make_triangle()
    return _TRIANGLE


def triangle_spike(width):
    """A spike function ``spike(u) = [u >= 0]`` whose derivative is the triangle
    ``max(0, 1 - |u|/width) / width`` (area one)."""
    if not width > 0:
        raise ValueError(f"pseudo-derivative width must be positive, not {width!r}")
    fn = TriangleSpike()

    def spike(u):
        return fn.apply(u, width)

    return spike


def heaviside(u):
    """The exact spike function ``[u >= 0]`` (Theta(0) = 1), no gradient."""
    return (u >= 0).to(u.dtype)


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
                raise ValueError(f"weight region [{lo}, {hi}] must have finite lo < hi")
            if not (math.isfinite(w) and w >= 0):
                raise ValueError(f"region weight must be a finite number >= 0, not {w}")
            checked.append((lo, hi, w))
        default = float(default)
        if not (math.isfinite(default) and default >= 0):
            raise ValueError(f"default weight must be a finite number >= 0, not {default}")
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
                raise ValueError(f"weight {spec!r} is not of the form [lo,hi]=weight")
            try:
                w = float(weight)
            except ValueError:
                raise ValueError(f"weight {spec!r}: {weight!r} is not a number") from None
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
        parts = [f"[{_fmt(lo)},{_fmt(hi)}]={_fmt(w)}" for lo, hi, w in self.pieces]
        return " ".join(parts) + (f" else {_fmt(self.default)}" if parts else "uniform")

    def to_json(self):
        return {"pieces": [list(p) for p in self.pieces], "default": self.default}


def _fmt(v):
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def fake_quant(p, qformat):
    """Q-bit fake quantization with a straight-through gradient.

    The forward value is ``value(quantize(p))``: ties to even (``torch.round``), saturating,
    exactly :meth:`quant.fixed.QFormat.round_trip`. The backward pass is the identity.
    """
    torch = _torch()
    codes = torch.clamp(torch.round(p / qformat.lsb), qformat.code_min, qformat.code_max)
    return p + (codes * qformat.lsb - p).detach()


def resolve_device(device=None):
    """``"cpu"`` unless CUDA is present (or ``device`` names one explicitly)."""
    torch = _torch()
    if device in (None, "auto"):
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device not in ("cpu", "cuda") and not str(device).startswith("cuda:"):
        raise ValueError(f"device must be cpu, cuda or auto, not {device!r}")
    if str(device).startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} requested but CUDA is not available")
    return device


class NeuronModel:
    """The interface :func:`train` needs from a neuron model.

    Attributes
    ----------
    names : tuple of str
        Parameter names, e.g. ``("T", "h", "d")``.
    shapes : dict
        Shape of each parameter without the restart axis, e.g. ``{"T": (K,)}``.

    Methods
    -------
    init(R, generator, dtype, device) -> dict of tensors
        R restarts; each tensor has shape ``(R, *shapes[name])`` and values in [-8, 8].
    forward(x, params, spike) -> (out, count)
        ``x`` of shape (N,); parameter tensors with the restart axis first; outputs (R, N).
    mask(name) -> tensor of bool or None
        Which entries are free parameters (``None``: all); the others are kept at their
        initial values and never moved by the local search.
    readout : str or None
        Optional: the name of a parameter the output is linear in (the FS and AMOS output
        weights d). With it the model provides ``design(x, params) -> (R, N, P)``, the exact
        spikes, so that ``out = design @ readout``; :func:`train` then solves the readout by
        weighted least squares after initialization and before the local search.
    """

    names = ()
    shapes = {}
    readout = None

    def init(self, R, generator, dtype, device):  # pragma: no cover - interface
        raise NotImplementedError

    def forward(self, x, params, spike):  # pragma: no cover - interface
        raise NotImplementedError

    def design(self, x, params):  # pragma: no cover - interface
        raise NotImplementedError

    def mask(self, name):
        return None

    def eval_points(self, interval, n):
        """Inputs of the exact evaluation (numpy): ``n`` evenly spaced points of the interval.
        A model with several inputs overrides this and the next method and stacks its inputs
        on a last axis (the target and the weights then get those points)."""
        return np.linspace(interval[0], interval[1], n)

    def train_points(self, interval, n, generator, dtype, device):
        """One step's training inputs: ``n`` cell centres, jittered inside their cells."""
        torch = _torch()
        lo, hi = interval
        cell = (hi - lo) / n
        base = torch.tensor(lo + cell * (np.arange(n) + 0.5), dtype=dtype, device=device)
        jitter = (torch.rand(n, generator=generator, dtype=torch.float64) - 0.5) * cell
        return base + jitter.to(device=device, dtype=dtype)


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
    seed: int = 0
    device: str = None
    dtype: str = "float32"
    threads: int = 1
    progress: bool = True

    def check(self):
        for name in ("steps", "restarts", "n_train", "n_eval", "eval_every", "search_top",
                     "search_iters"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 0:
                raise ValueError(f"{name} must be a non-negative integer, not {v!r}")
        for name in ("restarts", "n_train", "n_eval", "eval_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, not {getattr(self, name)}")
        if not self.lr > 0:
            raise ValueError(f"lr must be positive, not {self.lr!r}")
        if len(self.width) != 2 or not all(w > 0 for w in self.width):
            raise ValueError(f"width must be two positive numbers, not {self.width!r}")
        if self.Q is not None:
            check_Q(self.Q)
        if isinstance(self.seed, bool) or not isinstance(self.seed, numbers.Integral):
            raise TypeError(f"seed must be an integer, not {self.seed!r}")
        if self.dtype not in ("float32", "float64"):
            raise ValueError(f"dtype must be float32 or float64, not {self.dtype!r}")


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


class _Objective:
    """Exact weighted MSE of a batch of parameter sets on a fixed evaluation grid."""

    def __init__(self, model, target, interval, weights, n, device):
        torch = _torch()
        x = model.eval_points(interval, n)
        w = weights(x)
        if not w.sum() > 0:
            raise ValueError("the weight profile is zero over the whole interval")
        self.model = model
        self.x = torch.tensor(x, dtype=torch.float64, device=device)
        self.y = torch.tensor(target(x), dtype=torch.float64, device=device)
        self.w = torch.tensor(w / w.sum(), dtype=torch.float64, device=device)

    def __call__(self, params, chunk=64):
        """Loss per restart, shape (R,)."""
        torch = _torch()
        R = next(iter(params.values())).shape[0]
        out = []
        with torch.no_grad():
            for s in range(0, R, chunk):
                part = {k: v[s:s + chunk].to(torch.float64) for k, v in params.items()}
                y, _ = self.model.forward(self.x, part, heaviside)
                out.append(((y - self.y) ** 2 * self.w).sum(-1))
        return torch.cat(out)

    def refit_readout(self, params, bounds, ridge=1e-9):
        """Weighted least-squares readout for every restart (in place on a copy), clamped to
        ``bounds``; no-op for models without a readout."""
        torch = _torch()
        name = self.model.readout
        if name is None:
            return params
        params = {k: v.detach().clone().to(torch.float64) for k, v in params.items()}
        with torch.no_grad():
            Z = self.model.design(self.x, params)                    # (R, N, P)
            Zw = Z * self.w[None, :, None]
            A = Zw.transpose(1, 2) @ Z                               # (R, P, P)
            b = Zw.transpose(1, 2) @ self.y[None, :, None]           # (R, P, 1)
            P = A.shape[-1]
            scale = A.diagonal(dim1=1, dim2=2).mean(-1).clamp(min=1e-12)
            A = A + (ridge * scale)[:, None, None] * torch.eye(P, dtype=A.dtype,
                                                               device=A.device)
            sol = torch.linalg.solve(A, b)[..., 0].clamp(*bounds)
            params[name] = sol.reshape(params[name].shape)
        return params


def _project(params, masks, frozen, lo, hi):
    """Clamp into [lo, hi] and restore frozen (masked-out) entries, in place."""
    torch = _torch()
    with torch.no_grad():
        for k, p in params.items():
            p.clamp_(lo, hi)
            if masks[k] is not None:
                p.copy_(torch.where(masks[k], p, frozen[k]))


def train(model, target, interval, config=None):
    """Fit a neuron model to ``target`` on ``interval``.

    Parameters
    ----------
    model : NeuronModel
    target : callable
        numpy function of x (an :class:`quant.activations.Activation`).
    interval : (float, float)
    config : TrainConfig

    Returns
    -------
    TrainResult
    """
    torch = _torch()
    config = config or TrainConfig()
    config.check()
    threads = torch.get_num_threads()
    if config.threads:
        torch.set_num_threads(config.threads)
    try:
        return _train(torch, model, target, interval, config)
    finally:
        torch.set_num_threads(threads)


def _train(torch, model, target, interval, config):
    lo_i, hi_i = (float(v) for v in interval)
    if not lo_i < hi_i:
        raise ValueError(f"interval must have lo < hi, not {interval!r}")
    device = resolve_device(config.device)
    dtype = getattr(torch, config.dtype)
    qf = QFormat(config.Q) if config.Q is not None else None
    # Parameters live in [-8, 8]; a Q-bit code can reach only [-8, 8 - lsb].
    p_lo, p_hi = -RANGE, (qf.value_max if qf else RANGE)

    gen = torch.Generator(device="cpu").manual_seed(int(config.seed))
    params = model.init(config.restarts, gen, dtype, "cpu")
    params = {k: v.to(device=device, dtype=dtype).clone() for k, v in params.items()}
    masks = {k: (None if model.mask(k) is None else model.mask(k).to(device)) for k in params}
    frozen = {k: v.detach().clone() for k, v in params.items()}
    _project(params, masks, frozen, p_lo, p_hi)
    objective = _Objective(model, target, (lo_i, hi_i), config.weights, config.n_eval, device)
    if model.readout is not None:
        # start every restart with the best readout for its random spike patterns
        fitted = objective.refit_readout(params, (p_lo, p_hi))
        params = {k: v.to(dtype).contiguous() for k, v in fitted.items()}
        _project(params, masks, frozen, p_lo, p_hi)
    for p in params.values():
        p.requires_grad_(True)

    # training inputs, drawn afresh every step (NeuronModel.train_points)
    n = config.n_train
    target_t = _torch_target(target)
    w_fn = config.weights

    def quantized(p):
        return {k: (fake_quant(v, qf) if qf else v) for k, v in p.items()}

    def exact_values(p):
        with torch.no_grad():
            if qf is None:
                return {k: v.detach().to(torch.float64) for k, v in p.items()}
            return {k: (torch.clamp(torch.round(v.detach().to(torch.float64) / qf.lsb),
                                    qf.code_min, qf.code_max) * qf.lsb) for k, v in p.items()}

    opt = torch.optim.Adam(list(params.values()), lr=config.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, max(1, config.steps),
                                                       eta_min=config.lr / 20)
    best_loss = torch.full((config.restarts,), float("inf"), dtype=torch.float64,
                           device=device)
    best = {k: v.detach().to(torch.float64).clone() for k, v in exact_values(params).items()}
    history = []

    def track():
        vals = exact_values(params)
        loss = objective(vals)
        better = loss < best_loss
        best_loss[better] = loss[better]
        for k in best:
            best[k][better] = vals[k][better]
        history.append(float(best_loss.min()))

    w0, w1 = config.width
    with progress(total=config.steps, desc="train", unit="step", disable=not config.progress,
                  leave=False) as bar:
        for step in range(config.steps):
            if step % config.eval_every == 0:
                track()
                if bar is not None:
                    bar.set_postfix(loss=f"{history[-1]:.3e}")
            frac = step / max(1, config.steps - 1)
            width = w0 * (w1 / w0) ** frac
            x = model.train_points((lo_i, hi_i), n, gen, dtype, device)
            y = target_t(x)
            w = torch.tensor(w_fn(x.detach().cpu().numpy()), dtype=dtype, device=device)
            w = w / w.sum()
            out, _ = model.forward(x, quantized(params), triangle_spike(width))
            loss = (((out - y) ** 2) * w).sum(-1)        # (R,)
            opt.zero_grad(set_to_none=True)
            loss.sum().backward()
            for k, p in params.items():
                if masks[k] is not None and p.grad is not None:
                    p.grad[..., ~masks[k]] = 0
            opt.step()
            sched.step()
            _project(params, masks, frozen, p_lo, p_hi)
            if bar is not None:
                bar.update(1)
        track()

    # local search from the best few restarts
    order = torch.argsort(best_loss)[:max(1, config.search_top)]
    steps = config.search_steps
    if steps is None:
        steps = (1, 2) if qf else (0.05, 0.01, 0.002, 5e-4)
    results = []
    for r in order.tolist():
        start = {k: v[r:r + 1].clone() for k, v in best.items()}
        if model.readout is not None:
            # the least-squares readout (rounded to codes) when it beats the trained one
            refit = objective.refit_readout(start, (p_lo, p_hi))
            if qf:
                refit = {k: torch.round(v / qf.lsb) * qf.lsb for k, v in refit.items()}
            if float(objective(refit)[0]) < float(objective(start)[0]):
                start = refit
        if steps and config.search_iters:
            if qf:
                codes = {k: torch.round(v / qf.lsb) for k, v in start.items()}
                codes, loss = local_search(
                    model, codes, lambda c: objective({k: v * qf.lsb for k, v in c.items()}),
                    steps, (qf.code_min, qf.code_max), masks, config.search_iters)
                vals = {k: v * qf.lsb for k, v in codes.items()}
            else:
                vals, loss = local_search(model, start, objective, steps, (p_lo, p_hi), masks,
                                          config.search_iters, float_steps=True)
        else:
            vals, loss = start, float(best_loss[r])
        results.append((loss, float(best_loss[r]), vals))
    loss, before, vals = min(results, key=lambda t: t[0])
    values = {k: v[0].cpu().numpy().astype(np.float64) for k, v in vals.items()}
    codes = None
    if qf:
        codes = {k: np.rint(v / qf.lsb).astype(np.int64) for k, v in values.items()}
        values = {k: qf.value(c) for k, c in codes.items()}
    return TrainResult(values=values, codes=codes, loss=float(loss), history=history,
                       search_gain=(before, float(loss)))


def local_search(model, params, objective, steps, bounds, masks=None, max_iters=400,
                 float_steps=False):
    """Best-improvement coordinate search.

    Every free entry of every parameter is moved by each of ``+-steps``; all those candidates
    are evaluated at once (they form the restart axis of one exact forward) and the best
    improving move is taken, until none improves or ``max_iters`` moves were made. With
    ``float_steps`` the step list is a schedule: the search moves on to the next (smaller) step
    when the current one finds no improvement.

    Parameters
    ----------
    params : dict of tensors with a restart axis of length 1
        Codes (integers held as floats) or values.
    objective : callable
        Batched exact loss, dict of (C, ...) tensors -> (C,).
    bounds : (lo, hi)
        Allowed range of every entry.

    Returns
    -------
    (params, loss)
    """
    torch = _torch()
    masks = masks or {}
    params = {k: v.clone().to(torch.float64) for k, v in params.items()}
    slots = []          # (name, flat index)
    for k, v in params.items():
        m = masks.get(k)
        flat = v[0].reshape(-1)
        for i in range(flat.numel()):
            if m is None or bool(m.reshape(-1)[i]):
                slots.append((k, i))
    loss = float(objective(params)[0])
    schedule = [tuple(steps)] if not float_steps else [(s,) for s in steps]
    iters = 0
    for step_set in schedule:
        deltas = [s for s in step_set for s in (s, -s)]
        while iters < max_iters:
            C = len(slots) * len(deltas)
            cand = {k: v.expand(C, *v.shape[1:]).clone() for k, v in params.items()}
            row = 0
            for k, i in slots:
                for dlt in deltas:
                    cand[k].view(C, -1)[row, i] += dlt
                    row += 1
            for k in cand:
                cand[k].clamp_(*bounds)
            losses = objective(cand)
            j = int(torch.argmin(losses))
            if not float(losses[j]) < loss - 1e-15:
                break
            loss = float(losses[j])
            params = {k: v[j:j + 1].clone() for k, v in cand.items()}
            iters += 1
    return params, loss


def _torch_target(target):
    """A torch version of the target for the training grid (through numpy: the targets are
    numpy functions and the grid is small)."""
    torch = _torch()

    def fn(x):
        y = target(x.detach().cpu().numpy().astype(np.float64))
        return torch.tensor(y, dtype=x.dtype, device=x.device)

    return fn


# ------------------------------------------------------------------------------------------
# the FS neuron
# ------------------------------------------------------------------------------------------

class FSModel(NeuronModel):
    """The FS neuron for :func:`train`: parameters T, h, d of shape (K,).

    Initialization draws a random "decreasing steps" schedule: thresholds and resets
    ``s(t)`` that halve on average from ``scale`` down, each multiplied by ``exp(N(0, 0.5))``,
    with ``d = h`` (the identity-like start every smooth activation is close to on its rising
    side) and a fraction of steps given negative thresholds so the negative side is covered.

    Parameters
    ----------
    K : int
    interval : (float, float)
    init : dict or None
        Optional starting set ``{"T": .., "h": .., "d": ..}`` (floats): restart 0 starts from
        it exactly, the others from it with noise.
    """

    names = ("T", "h", "d")
    readout = "d"

    def __init__(self, K, interval, init=None):
        if isinstance(K, bool) or not isinstance(K, numbers.Integral) or not 1 <= K <= 64:
            raise ValueError(f"K must be an integer from 1 to 64, not {K!r}")
        self.K = int(K)
        self.interval = (float(interval[0]), float(interval[1]))
        self.shapes = {k: (self.K,) for k in self.names}
        self.start = init

    def init(self, R, generator, dtype, device):
        torch = _torch()
        K = self.K
        lo, hi = self.interval
        if self.start is not None:
            base = {k: torch.tensor(np.clip(self.start[k], -RANGE, RANGE), dtype=torch.float64)
                    for k in self.names}
            noise = {k: torch.randn(R, K, generator=generator, dtype=torch.float64) * 0.1
                     for k in self.names}
            out = {k: base[k].expand(R, K) + noise[k] * (torch.arange(R) > 0)[:, None]
                   for k in self.names}
            return {k: v.to(dtype=dtype, device=device) for k, v in out.items()}
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

    def forward(self, x, params, spike):
        torch = _torch()
        T, h, d = params["T"], params["h"], params["d"]          # (R, K)
        R = T.shape[0]
        v = x.to(T.dtype).expand(R, x.shape[0])
        out = torch.zeros_like(v)
        count = torch.zeros_like(v)
        for t in range(self.K):
            z = spike(v - T[:, t:t + 1])
            v = v - h[:, t:t + 1] * z
            out = out + d[:, t:t + 1] * z
            count = count + z
        return out, count

    def design(self, x, params):
        torch = _torch()
        T, h = params["T"], params["h"]
        R = T.shape[0]
        v = x.to(T.dtype).expand(R, x.shape[0])
        zs = []
        for t in range(self.K):
            z = heaviside(v - T[:, t:t + 1])
            v = v - h[:, t:t + 1] * z
            zs.append(z)
        return torch.stack(zs, dim=-1)


# ------------------------------------------------------------------------------------------
# FS front end: parameter sets
# ------------------------------------------------------------------------------------------

#: Default budgets of the two stages of :func:`train_fs` (about a minute each on one core).
FLOAT_CONFIG = dict(steps=2000, restarts=32, lr=0.02, width=(1.0, 0.05))
QAT_CONFIG = dict(steps=600, restarts=16, lr=0.005, width=(0.3, 0.05))


def train_fs(activation, K, Q=None, interval=None, *, seed=0, weights=None, steps=None,
             restarts=None, qat_steps=None, qat_restarts=None, device=None, show_progress=True,
             command=None, n_train=4000, n_eval=8000, search_iters=400):
    """Train an FS-neuron parameter set.

    Two stages: float training from random restarts, then (for ``Q``) quantization-aware
    training started from the float result (restart 0 exactly, the others perturbed), each
    followed by the exact local search of :func:`train`.

    Parameters
    ----------
    activation : str or Activation
        A name or an expression of x; ``relu`` is refused (it is analytic: :func:`relu_fs`).
    K : int
    Q : int or None
    interval : (lo, hi) or None
        Defaults to the activation's training interval.
    seed : int
    weights : RegionWeights or None
        Default :meth:`RegionWeights.core`.
    steps, restarts, qat_steps, qat_restarts : int or None
        Budgets; ``None`` takes :data:`FLOAT_CONFIG` / :data:`QAT_CONFIG`.
    command : str or None
        The command line recorded in ``made_by``.

    Returns
    -------
    quant.params.FSParamSet
    """
    from .params import FSParamSet

    act = get_activation(activation)
    if act.name == "relu":
        raise ValueError("relu is analytic (T = h = d = alpha*2^-t), it is never trained: "
                         "use relu_fs")
    if isinstance(K, bool) or not isinstance(K, numbers.Integral) or not 1 <= K <= 64:
        raise ValueError(f"K must be an integer from 1 to 64, not {K!r}")
    if Q is not None:
        Q = check_Q(Q)
    interval = _check_interval(interval if interval is not None else act.default_interval)
    weights = weights if weights is not None else RegionWeights.core()
    common = dict(seed=seed, weights=weights, device=device, progress=show_progress,
                  n_train=n_train, n_eval=n_eval, search_iters=search_iters)
    fcfg = dict(FLOAT_CONFIG)
    if steps is not None:
        fcfg["steps"] = steps
    if restarts is not None:
        fcfg["restarts"] = restarts
    result = train(FSModel(K, interval), act, interval, TrainConfig(**fcfg, **common))
    if Q is not None:
        qcfg = dict(QAT_CONFIG)
        if qat_steps is not None:
            qcfg["steps"] = qat_steps
        if qat_restarts is not None:
            qcfg["restarts"] = qat_restarts
        result = train(FSModel(K, interval, init=result.values), act, interval,
                       TrainConfig(**qcfg, Q=Q, **common))
        T, h, d = (tuple(int(c) for c in result.codes[k]) for k in ("T", "h", "d"))
    else:
        T, h, d = (tuple(float(v) for v in result.values[k]) for k in ("T", "h", "d"))
    pset = FSParamSet(act.spec, int(K), interval, T, h, d, Q=Q)
    made_by = {"command": command, "seed": int(seed), "mse": evaluate_fs(pset)}
    return FSParamSet(act.spec, int(K), interval, T, h, d, Q=Q, made_by=made_by)


def _check_interval(interval):
    try:
        lo, hi = (float(v) for v in interval)
    except (TypeError, ValueError):
        raise ValueError(f"interval must be two numbers lo hi, not {interval!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"interval must have finite lo < hi, not [{lo}, {hi}]")
    return (lo, hi)


def relu_fs(K, alpha=None, Q=None, command=None):
    """The analytic ReLU set ``T = h = d = alpha * 2^-t`` on [0, alpha] (never trained).

    ``alpha`` defaults to 16, the largest for which T(1) = alpha/2 stays inside [-8, 8]. With
    ``Q`` the schedule must be exactly representable in Q-bit codes (alpha a power of two,
    alpha*2^-K at least one code step, alpha/2 below 8), else ``ValueError``: the ReLU cores use
    their own integer schedule (:func:`sim.fs.relu_schedule`) instead of codes.
    """
    from .params import FSParamSet

    if isinstance(K, bool) or not isinstance(K, numbers.Integral) or not 1 <= K <= 64:
        raise ValueError(f"K must be an integer from 1 to 64, not {K!r}")
    alpha = 16.0 if alpha is None else float(alpha)
    if not (math.isfinite(alpha) and alpha > 0):
        raise ValueError(f"relu alpha (the interval's upper end) must be positive, not {alpha}")
    if alpha / 2 > RANGE:
        raise ValueError(f"relu alpha={_fmt(alpha)} puts T(1) = alpha/2 = {_fmt(alpha / 2)} "
                         f"outside [-8, 8]; use an interval [0, alpha] with alpha <= 16")
    values = [alpha * 2.0 ** -t for t in range(1, K + 1)]
    if Q is not None:
        qf = QFormat(Q)
        codes = [v / qf.lsb for v in values]
        if not all(c.is_integer() and qf.code_min <= c <= qf.code_max for c in codes):
            raise ValueError(f"relu K={K} alpha={_fmt(alpha)} is not exactly representable in "
                             f"Q={Q} codes (needs alpha*2^-t, t=1..{K}, on the "
                             f"{_fmt(qf.lsb)} grid below 8)")
        sched = tuple(int(c) for c in codes)
    else:
        sched = tuple(values)
    pset = FSParamSet("relu", int(K), (0.0, alpha), sched, sched, sched, Q=Q)
    made_by = {"command": command, "seed": None, "mse": evaluate_fs(pset)}
    return FSParamSet("relu", int(K), (0.0, alpha), sched, sched, sched, Q=Q, made_by=made_by)


def evaluate_fs(pset, n=100_000):
    """MSE per region of a set (float values, or the values its codes stand for) against its
    activation on its interval, dense grids of ``n`` points (:func:`mse_by_region`)."""
    from sim.fs import fs_float

    T, h, d = pset.values()
    mse = mse_by_region(lambda x: fs_float(x, T, h, d)[0], pset.activation, pset.interval, n)
    return {k: float(f"{v:.6g}") for k, v in mse.items()}


def grid_mse(pset, F=None):
    """MSE of a Q-bit set over every representable input ``x = n * 2^-F`` in [lo, hi) of its
    interval, computed with the exact integer model (``F`` defaults to ``Q - 4``)."""
    from sim.fs import fs_int

    if pset.Q is None:
        raise ValueError("grid_mse needs a Q-bit set")
    qf = pset.qformat
    F = qf.frac if F is None else int(F)
    lo, hi = pset.interval
    n = np.arange(math.ceil(lo * 2 ** F), math.ceil(hi * 2 ** F), dtype=np.int64)
    value, _ = fs_int(n, qf.to_hw(pset.T, F), qf.to_hw(pset.h, F), list(pset.d))
    err = value * qf.lsb - get_activation(pset.activation)(n * 2.0 ** -F)
    return float(np.mean(err * err))


def mean_spikes(pset, mean=NETWORK_INPUT[0], var=NETWORK_INPUT[1], n=200_001):
    """Expected spike count for x ~ N(mean, var), by quadrature over mean +- 10 sigma."""
    from sim.fs import fs_float

    T, h, d = pset.values()
    sd = math.sqrt(var)
    x = np.linspace(mean - 10 * sd, mean + 10 * sd, n)
    pdf = np.exp(-0.5 * ((x - mean) / sd) ** 2)
    count = fs_float(x, T, h, d)[1]
    return float((count * pdf).sum() / pdf.sum())
