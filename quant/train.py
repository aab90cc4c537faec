"""FS-neuron parameter sets: training (:func:`train_fs`), the analytic ReLU set
(:func:`relu_fs`) and the figures of a set.

Training is the two-stage training of :mod:`quant.stages` with the FS neuron
(:class:`quant.neurons.FSModel`): float training from random restarts, then (for a Q)
quantization-aware training from the float result; each stage ends with an exact local search.
For a Q-bit FS set on a code-aligned interval that search's loss is the exact
continuous-interval MSE (:meth:`quant.objective.Objective.cells`).
"""

import math

import numpy as np

from common.checks import InputError, check_float, check_int
from .activations import get_activation, number_text
from .fixed import QFormat, RANGE, check_Q
from .metrics import exact_mean
from .paramfile import K_MAX
from .params import FSParamSet
from .stages import Recipe, train_stages

__all__ = ["train_fs", "relu_fs", "evaluate_fs", "grid_mse", "mean_spikes", "check_interval",
           "FLOAT_CONFIG", "QAT_CONFIG", "NETWORK_INPUT", "FSRecipe"]

#: Input distribution of the paper's spike-count figure: x ~ N(mean, variance).
NETWORK_INPUT = (-0.112, 1.99)

#: Default budgets of the two stages (about a minute each on one core).
FLOAT_CONFIG = dict(steps=2000, restarts=32, lr=0.02, width=(1.0, 0.05))
QAT_CONFIG = dict(steps=600, restarts=16, lr=0.01, width=(1.0, 0.05), kicks=40)


class FSRecipe(Recipe):
    """The FS neuron's part of :func:`quant.stages.train_stages`: random float restarts, the
    quantization-aware stage from the float result; no polish."""

    float_config = FLOAT_CONFIG
    qat_config = QAT_CONFIG

    def __init__(self, activation, K, interval, weights):
        self.target, self.K, self.interval, self.weights = activation, K, interval, weights

    def model(self, starts):
        from .neurons import FSModel

        return FSModel(self.K, self.interval, starts=starts)

    def cache_key(self):
        return (self.target.spec, self.K, self.interval)


def check_interval(interval):
    """``(lo, hi)`` as floats, finite with lo < hi (:class:`InputError` otherwise)."""
    try:
        lo, hi = interval
    except (TypeError, ValueError):
        raise InputError(f"interval must be two numbers lo hi, not {interval!r}") from None
    lo, hi = check_float("interval lo", lo), check_float("interval hi", hi)
    if not lo < hi:
        raise InputError(f"interval must have finite lo < hi, not [{lo:g}, {hi:g}]")
    return (lo, hi)


def train_fs(activation, K, Q=None, interval=None, *, seed=0, weights=None, budget=None,
             device=None, show_progress=True, command=None):
    """Train an FS-neuron parameter set.

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
        Default :meth:`quant.objective.RegionWeights.core`.
    budget : quant.stages.Budget or None
        Overrides of :data:`FLOAT_CONFIG` / :data:`QAT_CONFIG`.
    command : str or None
        The command line recorded in ``made_by``.

    Returns
    -------
    quant.params.FSParamSet
        The float set, or the Q-bit set for a ``Q``.
    """
    act = get_activation(activation)
    if act.name == "relu":
        raise InputError("relu is analytic (T = h = d = alpha*2^-t), it is never trained: "
                         "use relu_fs")
    K = check_int("K", K, 1, K_MAX)
    Q = check_Q(Q) if Q is not None else None
    interval = check_interval(interval if interval is not None else act.default_interval)
    if weights is None:
        from .objective import RegionWeights

        weights = RegionWeights.core()
    float_values, codes = train_stages(
        FSRecipe(act, K, interval, weights), Q, seed=seed, device=device,
        show_progress=show_progress, budget=budget)
    pset = FSParamSet.from_arrays(act.spec, K, interval, codes if Q is not None
                                  else float_values, Q=Q)
    return pset.recorded(command, int(seed))


def relu_fs(K, alpha=None, Q=None, command=None):
    """The analytic ReLU set ``T = h = d = alpha * 2^-t`` on [0, alpha] (never trained).

    ``alpha`` defaults to 16, the largest for which T(1) = alpha/2 stays inside [-8, 8]. With
    ``Q`` the schedule must be exactly representable in Q-bit codes (alpha a power of two,
    alpha*2^-K at least one code step, alpha/2 below 8), else :class:`InputError`: the ReLU
    cores use their own integer schedule (:func:`sim.fs.relu_schedule`) instead of codes.
    """
    K = check_int("K", K, 1, K_MAX)
    alpha = 16.0 if alpha is None else float(alpha)
    if not (math.isfinite(alpha) and alpha > 0):
        raise InputError(f"relu alpha (the interval's upper end) must be positive, not {alpha}")
    if alpha / 2 > RANGE:
        raise InputError(f"relu alpha={number_text(alpha)} puts T(1) = alpha/2 = "
                         f"{number_text(alpha / 2)} outside [-8, 8]; use an interval [0, alpha] "
                         f"with alpha <= 16")
    values = [alpha * 2.0 ** -t for t in range(1, K + 1)]
    if Q is not None:
        qf = QFormat(Q)
        codes = [v / qf.lsb for v in values]
        if not all(c.is_integer() and qf.code_min <= c <= qf.code_max for c in codes):
            raise InputError(f"relu K={K} alpha={number_text(alpha)} is not exactly "
                             f"representable in Q={Q} codes (needs alpha*2^-t, t=1..{K}, on "
                             f"the {number_text(qf.lsb)} grid below 8)")
        sched = tuple(int(c) for c in codes)
    else:
        sched = tuple(values)
    pset = FSParamSet("relu", K, (0.0, alpha), sched, sched, sched, Q=Q)
    return pset.recorded(command, None)


def evaluate_fs(pset, n=100_000):
    """MSE per region of a set against its activation on its interval (dense grids of ``n``
    points; :meth:`quant.paramfile.ParamSet.dense_mse`), each rounded to 6 significant
    digits."""
    return pset.dense_mse(n)


def grid_mse(pset, F=None):
    """MSE of a Q-bit set over every representable input ``x = n 2^-F`` in [lo, hi) of its
    interval, through the exact integer model (``F`` defaults to ``Q - 4``): the figure its
    core shows (:func:`quant.metrics.representable_mse`), rounded to 6 significant digits."""
    return pset.representable_mse(F)["value"]


def mean_spikes(pset, mean=NETWORK_INPUT[0], var=NETWORK_INPUT[1], n=1_000_001):
    """Expected spike count for x ~ N(mean, var), by quadrature over mean +- 10 sigma (the
    sums exact: :func:`quant.metrics.exact_mean`)."""
    from sim.fs import fs_float

    T, h, d = pset.values()
    sd = math.sqrt(var)
    x = np.linspace(mean - 10 * sd, mean + 10 * sd, n)
    pdf = np.exp(-0.5 * ((x - mean) / sd) ** 2)
    return exact_mean(fs_float(x, T, h, d)[1], weights=pdf)
