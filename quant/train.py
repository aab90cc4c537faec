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
           "iterated_search", "Objective", "FLOAT_CONFIG", "QAT_CONFIG",
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
        for name in ("steps", "restarts", "n_train", "n_eval", "eval_every", "search_top",
                     "search_iters", "kicks"):
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
        torch = _torch()
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
            raise ValueError("the weight profile is zero over the whole interval")
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
            raise ValueError("the weight profile is zero over the whole interval")
        w = w / w.sum()
        return cls(model, x, w, w * f.mean(1), w * (f * f).mean(1), device)

    def outputs(self, params, chunk=64):
        """Exact outputs at the evaluation points, (R, N)."""
        torch = _torch()
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
        torch = _torch()
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
        torch = _torch()
        with torch.no_grad():
            Z = self.model.design(self.x, params)[0]                # (N, P)
            y = Z @ params[self.model.readout].reshape(-1).to(torch.float64)
            base = float(self.loss_of(y))
            g = ((self.a * y - self.b)[:, None] * Z).sum(0)          # (P,)
            c = (self.a[:, None] * Z * Z).sum(0)                     # (P,)
            dl = torch.tensor(deltas, dtype=torch.float64, device=Z.device)
            return base + 2 * dl[None, :] * g[:, None] + dl[None, :] ** 2 * c[:, None]


class _Adam:
    """Adam (Kingma & Ba), written out: the same arithmetic on every torch version, and no
    import of torch's optimizer package (which pulls in the compiler stack, seconds of start-up
    for every command)."""

    def __init__(self, params, betas=(0.9, 0.999), eps=1e-8):
        self.params = params
        self.b1, self.b2, self.eps = betas[0], betas[1], eps
        self.m = {k: _torch().zeros_like(v) for k, v in params.items()}
        self.v = {k: _torch().zeros_like(v) for k, v in params.items()}
        self.t = 0

    def step(self, lr):
        self.t += 1
        c1 = 1 - self.b1 ** self.t
        c2 = 1 - self.b2 ** self.t
        with _torch().no_grad():
            for k, p in self.params.items():
                if p.grad is None:
                    continue
                g = p.grad
                self.m[k].mul_(self.b1).add_(g, alpha=1 - self.b1)
                self.v[k].mul_(self.b2).addcmul_(g, g, value=1 - self.b2)
                denom = (self.v[k] / c2).sqrt_().add_(self.eps)
                p.addcdiv_(self.m[k], denom, value=-lr / c1)


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
    objective = Objective.points(model, target, (lo_i, hi_i), config.weights, config.n_eval,
                                 device)
    if (qf is not None and getattr(model, "constant_on_code_grid", False)
            and (hi_i - lo_i) / qf.lsb <= 4 * config.n_eval):
        # the exact dense-interval loss from one point per code step, when the interval
        # falls on the code grid and the cells are not many more than the evaluation points
        objective = Objective.cells(model, target, (lo_i, hi_i), config.weights, qf.lsb,
                                    device) or objective
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

    opt = _Adam(params)
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
            for p in params.values():
                p.grad = None
            loss.sum().backward()
            for k, p in params.items():
                if masks[k] is not None and p.grad is not None:
                    p.grad[..., ~masks[k]] = 0
            # cosine decay from lr to lr/20
            lr = config.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * frac)))
            opt.step(lr)
            _project(params, masks, frozen, p_lo, p_hi)
            if bar is not None:
                bar.update(1)
        track()

    # exact local search from the best few restarts
    order = torch.argsort(best_loss)[:max(1, config.search_top)]
    steps = config.search_steps
    if steps is None:
        steps = (1, 2) if qf else (0.05, 0.01, 0.002, 5e-4)
    if qf:
        steps = tuple(s * qf.lsb for s in steps)
    results = []
    with progress(total=len(order), desc="search", unit="set", disable=not config.progress,
                  leave=False) as bar:
        for r in order.tolist():
            start = {k: v[r:r + 1].clone() for k, v in best.items()}
            before = float(objective(start)[0])
            if model.readout is not None:
                # the least-squares readout (rounded to codes) when it beats the trained one
                refit = objective.refit_readout(start, (p_lo, p_hi))
                if qf:
                    refit = {k: torch.round(v / qf.lsb) * qf.lsb for k, v in refit.items()}
                if float(objective(refit)[0]) < before:
                    start = refit
            if steps and config.search_iters:
                vals, loss = iterated_search(model, start, objective, steps, (p_lo, p_hi),
                                             masks, config.kicks, gen,
                                             max_iters=config.search_iters,
                                             float_steps=qf is None)
            else:
                vals, loss = start, float(objective(start)[0])
            results.append((loss, before, vals))
            if bar is not None:
                bar.update(1)
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
    """Best-improvement coordinate search with an exact objective.

    Every free entry of every parameter is moved by each of ``+-steps``; all those candidates
    are evaluated together (they form the restart axis of one batched ``objective`` call) and
    the best improving move is taken, until none improves or ``max_iters`` moves were made.
    When ``objective`` is an :class:`Objective` and the model has a linear readout, the
    readout's moves are evaluated in closed form (:meth:`Objective.readout_moves`) instead.

    Parameters
    ----------
    model : NeuronModel
    params : dict of tensors with a restart axis of length 1
        Values, or codes held as floats (the objective then maps codes to values).
    objective : callable
        dict of (C, ...) tensors -> (C,) exact losses.
    steps : sequence of float
        Move sizes. Without ``float_steps`` all sizes are candidates together (codes); with it
        they are tried one at a time, in the order given (floats: largest first), moving on
        when a size finds no improvement.
    bounds : (lo, hi)
        Allowed range of every entry.
    masks : dict of bool tensors, optional
        Free entries per parameter (missing or None: all).
    max_iters : int
        Most moves made.

    Returns
    -------
    (params, loss)
    """
    params, loss, _ = _coordinate_search(model, objective, params, steps, bounds, masks,
                                         max_iters, float_steps)
    return params, loss


def _coordinate_search(model, objective, params, steps, bounds, masks, max_iters, schedule):
    """:func:`local_search`, also returning the number of moves made."""
    torch = _torch()
    masks = masks or {}
    params = {k: v.detach().clone().to(torch.float64) for k, v in params.items()}
    readout = model.readout if (isinstance(objective, Objective)
                                and objective.model is model) else None
    slots = []          # (name, flat index) of every free non-readout entry
    for k, v in params.items():
        if k == readout:
            continue
        m = masks.get(k)
        for i in range(v[0].numel()):
            if m is None or bool(m.reshape(-1)[i]):
                slots.append((k, i))
    rmask = masks.get(readout) if readout else None
    loss = float(objective(params)[0])
    sizes = [(s,) for s in steps] if schedule else [tuple(steps)]
    moves = 0
    for size in sizes:
        deltas = [s for s in size for s in (s, -s)]
        while moves < max_iters:
            best_loss, best_move = loss, None
            if slots:
                C = len(slots) * len(deltas)
                cand = {k: v.expand(C, *v.shape[1:]).clone() for k, v in params.items()}
                row = 0
                for k, i in slots:
                    for dlt in deltas:
                        cand[k].view(C, -1)[row, i] += dlt
                        row += 1
                for k, _ in slots:
                    cand[k].clamp_(*bounds)
                losses = objective(cand)
                j = int(torch.argmin(losses))
                if float(losses[j]) < best_loss:
                    best_loss, best_move = float(losses[j]), ("cand", j, cand)
            if readout is not None:
                rl = objective.readout_moves(params, deltas)          # (P, D)
                cur = params[readout].reshape(-1)
                dl = torch.tensor(deltas, dtype=torch.float64, device=cur.device)
                moved = cur[:, None] + dl[None, :]
                ok = (moved >= bounds[0]) & (moved <= bounds[1])
                if rmask is not None:
                    ok &= rmask.reshape(-1, 1).to(ok.device)
                rl = torch.where(ok, rl, torch.full_like(rl, float("inf")))
                j = int(torch.argmin(rl))
                if float(rl.reshape(-1)[j]) < best_loss:
                    best_loss, best_move = float(rl.reshape(-1)[j]), ("readout", j, None)
            if best_move is None or not best_loss < loss - 1e-15:
                break
            kind, j, cand = best_move
            if kind == "cand":
                params = {k: v[j:j + 1].clone() for k, v in cand.items()}
            else:
                p, di = divmod(j, len(deltas))
                params[readout].view(-1)[p] += deltas[di]
            # recompute rather than trust the closed form: no drift over many moves
            loss = float(objective(params)[0])
            moves += 1
    return params, loss, moves


def iterated_search(model, params, objective, steps, bounds, masks, kicks, generator,
                    kick_size=3, max_iters=400, float_steps=False):
    """:func:`local_search`, then ``kicks`` rounds of: move two to four random free entries by
    up to ``kick_size`` of the smallest step, search again, keep the result if it is better
    (iterated local search: a way out of the search's local optima). Returns
    ``(params, loss)``."""
    torch = _torch()
    params, loss = local_search(model, params, objective, steps, bounds, masks, max_iters,
                                float_steps)
    slots = []
    for k, v in params.items():
        m = masks.get(k) if masks else None
        for i in range(v[0].numel()):
            if m is None or bool(m.reshape(-1)[i]):
                slots.append((k, i))
    unit = min(steps)
    for _ in range(kicks):
        trial = {k: v.clone() for k, v in params.items()}
        m = int(torch.randint(2, 5, (1,), generator=generator))
        picks = torch.randperm(len(slots), generator=generator)[:m].tolist()
        for p in picks:
            k, i = slots[p]
            size = int(torch.randint(1, kick_size + 1, (1,), generator=generator))
            sign = 1 if bool(torch.randint(0, 2, (1,), generator=generator)) else -1
            trial[k].view(-1)[i] += sign * size * unit
            trial[k].clamp_(*bounds)
        trial, tl = local_search(model, trial, objective, steps, bounds, masks, max_iters,
                                 float_steps)
        if tl < loss:
            params, loss = trial, tl
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
    #: with T and h on a grid of step s, the output is constant on [n*s, (n+1)*s): every
    #: comparison v(t) >= T(t) is x >= (a multiple of s)
    constant_on_code_grid = True

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
QAT_CONFIG = dict(steps=600, restarts=16, lr=0.01, width=(1.0, 0.05), kicks=40)

#: Float-stage results of this process, so that a sweep over Q (or `ship`) trains the float
#: set once. The float stage is deterministic, so this changes no result.
_FLOAT_CACHE = {}


def train_fs(activation, K, Q=None, interval=None, *, seed=0, weights=None, steps=None,
             restarts=None, qat_steps=None, qat_restarts=None, kicks=None, device=None,
             show_progress=True,
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
    steps, restarts, qat_steps, qat_restarts, kicks : int or None
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
    key = (act.spec, int(K), interval, repr(sorted(fcfg.items())), weights.describe(),
           repr(sorted((k, v) for k, v in common.items() if k not in ("weights", "progress"))))
    if key not in _FLOAT_CACHE:
        _FLOAT_CACHE[key] = train(FSModel(K, interval), act, interval,
                                  TrainConfig(**fcfg, **common))
    result = _FLOAT_CACHE[key]
    if Q is not None:
        qcfg = dict(QAT_CONFIG)
        if qat_steps is not None:
            qcfg["steps"] = qat_steps
        if qat_restarts is not None:
            qcfg["restarts"] = qat_restarts
        if kicks is not None:
            qcfg["kicks"] = kicks
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


def mean_spikes(pset, mean=NETWORK_INPUT[0], var=NETWORK_INPUT[1], n=1_000_001):
    """Expected spike count for x ~ N(mean, var), by quadrature over mean +- 10 sigma."""
    from sim.fs import fs_float

    T, h, d = pset.values()
    sd = math.sqrt(var)
    x = np.linspace(mean - 10 * sd, mean + 10 * sd, n)
    pdf = np.exp(-0.5 * ((x - mean) / sd) ** 2)
    count = fs_float(x, T, h, d)[1]
    return float((count * pdf).sum() / pdf.sum())
