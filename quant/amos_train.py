"""AMOS parameter sets: training (:func:`train_amos`) on the stages every neuron kind shares.

The AMOS unit (:class:`quant.neurons.AmosModel`) goes through the same two stages as the FS
neuron (:mod:`quant.stages`: triangle pseudo-derivative, region-weighted loss, parameters kept
in [-8, 8], random restarts, quantization-aware training with straight-through fake-quant,
best exact loss kept, least-squares readout d, exact local search). What is its own:

* **Starts.** One-input sets start from the FS-neuron set with the same K (an FS neuron is the
  AMOS unit with c_i = 1, h_ij = h_j, :meth:`quant.amos_params.AmosParamSet.from_fs`): restart 0
  *is* the FS set and the trainer keeps the best exact loss it has seen, so the result is
  never worse than the FS set. The Q-bit stage starts from the FS Q-bit set and from the float
  AMOS result.
* **Polish.** The Q-bit stage ends with an exact local search over the codes on the hardware's
  own inputs (every representable input of the interval with F = Q-4 fraction bits,
  unweighted: the figure the generator reports, :class:`quant.objective.GridObjective`), run
  from the trained set and from the FS set, the better kept. Hence, on that grid,
  MSE(AMOS, Q) <= MSE(FS, Q) by construction; :func:`train_amos` checks it.
* **Two inputs.** The unit for x*y has no FS counterpart: random restarts (gate directions
  uniform on the circle, thresholds through random points of the square, no inhibition,
  readout by least squares), uniform weights on a 2-D grid.
"""

from pathlib import Path

import numpy as np

from common.checks import InputError, check_int
from .activations import get_activation
from .amos_params import TWO_INPUT, AmosParamSet, two_input_function
from .fixed import QFormat, check_Q
from .paramfile import K_MAX
from .params import FSParamSet, load as load_fs, shipped_path
from .stages import Recipe, train_stages
from .train import check_interval

__all__ = ["AmosRecipe", "train_amos", "evaluate_amos", "grid_mse_amos", "default_fs_paths",
           "SHIPPED", "SHIPPED_Q", "FLOAT_CONFIG", "QAT_CONFIG", "MUL_CONFIG", "MUL_QAT_CONFIG"]

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


def point_target(activation):
    """The target as a numpy function of the model's inputs: x, or (N, 2) points (x, y)."""
    if activation in TWO_INPUT:
        f = two_input_function(activation)
        return lambda p: f(np.asarray(p)[..., 0], np.asarray(p)[..., 1])
    return get_activation(activation)


class AmosRecipe(Recipe):
    """The AMOS unit's part of :func:`quant.stages.train_stages`.

    Parameters
    ----------
    activation : str
        The activation's spec (or a two-input name).
    K, interval, weights
    fs_start, fs_q_start : AmosParamSet or None
        The FS sets as AMOS sets (one-input units; ``fs_q_start`` for a Q), the starts.
    polish_iters : int or None
        Moves of the final search (default 400; 60 for two inputs).
    """

    def __init__(self, activation, K, interval, weights, fs_start=None, fs_q_start=None,
                 polish_iters=None):
        self.activation, self.K, self.interval, self.weights = activation, K, interval, weights
        self.two = activation in TWO_INPUT
        self.target = point_target(activation)
        self.fs_start, self.fs_q_start = fs_start, fs_q_start
        self.float_config = MUL_CONFIG if self.two else FLOAT_CONFIG
        self.qat_config = MUL_QAT_CONFIG if self.two else QAT_CONFIG
        self.polish_iters = polish_iters if polish_iters is not None else \
            (60 if self.two else 400)

    def model(self, starts):
        from .neurons import AmosModel

        return AmosModel(self.K, self.interval, two_input=self.two, starts=starts)

    def float_starts(self):
        return [] if self.fs_start is None else [self.fs_start.arrays()]

    def qat_starts(self, float_values):
        return [float_values] if self.fs_q_start is None else \
            [self.fs_q_start.arrays(), float_values]

    def polish(self, model, codes, Q):
        """Exact search on the representable inputs, from the trained codes and the FS codes
        (as floats: the objective scales them to the hardware's integers)."""
        import torch

        from .objective import GridObjective
        from .search import local_search

        qf = QFormat(Q)
        objective = GridObjective(model, self.target, self.interval, max(Q - 4, 0), Q)
        candidates = [codes] + ([self.fs_q_start.codes()] if self.fs_q_start else [])
        masks = {k: model.mask(k) for k in model.names}
        best = None
        for cand in candidates:
            start = {k: torch.tensor(np.asarray(v, dtype=np.float64)[None])
                     for k, v in cand.items()}
            found, loss = local_search(model, start, objective, (1, 2),
                                       (qf.code_min, qf.code_max), masks, self.polish_iters)
            if best is None or loss < best[0]:
                best = (loss, found)
        return {k: np.rint(v[0].numpy()).astype(np.int64) for k, v in best[1].items()}


def default_fs_paths(activation, K, Q):
    """The FS sets a one-input AMOS set starts from: ``quant/params/<act>_K<K>.json`` and
    ``<act>_K<K>_Q<Q>.json``."""
    return shipped_path(activation, K), (shipped_path(activation, K, Q) if Q else None)


def train_amos(activation, K, Q=None, interval=None, *, fs=None, fs_q=None, seed=0,
               weights=None, budget=None, device=None, show_progress=True, command=None,
               float_command=None, polish_iters=None):
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
    seed, weights, budget, device, show_progress
        As for :func:`quant.train.train_fs` (two-input units: uniform weights only).
    command, float_command : str or None
        The command lines recorded in the Q-bit and float sets' ``made_by``.
    polish_iters : int or None
        Moves of the final search on the representable inputs.

    Returns
    -------
    (AmosParamSet, AmosParamSet or None)
        The float set and the Q-bit set (None without Q).
    """
    two = activation in TWO_INPUT
    if two:
        spec, default_interval = activation, TWO_INPUT[activation][1]
    else:
        act = get_activation(activation)
        if act.name == "relu":
            raise InputError("relu is analytic (c = 1, T = d = 2^(K-i), h_ij = 2^(K-j)): it is "
                             "never trained (python -m gen amos --act relu)")
        spec, default_interval = act.spec, act.default_interval
    K = check_int("K", K, 1, K_MAX)
    if Q is not None:
        Q = check_Q(Q)
        if Q < 4:
            raise InputError(f"Q={Q}: AMOS sets need Q >= 4 (c = 1 must be a code)")
    interval = check_interval(interval if interval is not None else default_interval)
    fs, fs_q = _fs_starts(spec, K, Q, interval, fs, fs_q) if not two else (None, None)
    if weights is None:
        from .objective import RegionWeights, UniformPoints

        weights = UniformPoints() if two else RegionWeights.core()
    elif two:
        raise InputError(f"'{spec}' is a two-input function: its loss weights are uniform")
    recipe = AmosRecipe(spec, K, interval, weights,
                        fs_start=AmosParamSet.from_fs(fs) if fs else None,
                        fs_q_start=AmosParamSet.from_fs(fs_q) if fs_q else None,
                        polish_iters=polish_iters)
    float_values, codes = train_stages(recipe, Q, seed=seed, device=device,
                                       show_progress=show_progress, budget=budget)
    init = {} if two else {"init": {"fs": fs.provenance(), "fs_mse": fs.dense_mse()}}
    float_set = AmosParamSet.from_arrays(spec, K, interval, float_values) \
        .recorded(float_command, int(seed), **init)
    if Q is None:
        return float_set, None
    q_set = AmosParamSet.from_arrays(spec, K, interval, codes, Q=Q)
    grid = {"F": q_set.default_frac(), "amos": q_set.representable_mse()["value"]}
    extra = {}
    if fs_q is not None:
        grid["fs"] = fs_q.representable_mse(q_set.default_frac())["value"]
        if grid["amos"] > grid["fs"]:  # pragma: no cover - by construction
            raise AssertionError("AMOS Q-bit set worse than its FS start on the grid")
        extra["init"] = {"fs": fs_q.provenance(), "amos_float": "float stage of this command"}
    return float_set, q_set.recorded(command, int(seed), grid_mse=grid, **extra)


def _fs_starts(spec, K, Q, interval, fs, fs_q):
    """The FS float (and Q-bit) sets a one-input unit starts from, checked."""
    fs_path, fs_q_path = default_fs_paths(spec, K, Q)
    fs = _load_fs(fs if fs is not None else fs_path, spec, K, None, "--fs")
    if Q is not None:
        fs_q = _load_fs(fs_q if fs_q is not None else fs_q_path, spec, K, Q, "--fs-q")
    if tuple(fs.interval) != interval:
        raise InputError(f"the FS set's interval {list(fs.interval)} differs from "
                         f"{list(interval)}: give FS sets trained on the same interval")
    return fs, fs_q


def _load_fs(src, activation, K, Q, option):
    if isinstance(src, FSParamSet):
        fs = src
    else:
        path = Path(src)
        if not path.exists():
            q = f" --Q {Q}" if Q is not None else ""
            raise InputError(f"AMOS training starts from the FS set {path.name}, which does "
                             f"not exist: make it with 'python -m quant train --act "
                             f"{activation} --K {K}{q} --out {path}' or give one with {option}")
        fs = load_fs(path)
    if fs.K != K or fs.activation != activation or fs.Q != Q:
        raise InputError(f"{option}: the FS set is {fs.activation} K={fs.K} Q={fs.Q}, not "
                         f"{activation} K={K} Q={Q}")
    return fs


def evaluate_amos(ps, n=100_000):
    """MSE per region (dense grids) of a set's float values, like the FS sets' ``made_by``;
    two-input sets: one figure over a dense square grid of the interval
    (:meth:`quant.paramfile.ParamSet.dense_mse`)."""
    return ps.dense_mse(n)


def grid_mse_amos(ps, F=None):
    """MSE of a Q-bit AMOS set over every representable input of its interval (F fraction
    bits, default Q-4 but at least 0), with the exact integer model
    (:func:`quant.metrics.representable_mse`)."""
    return ps.representable_mse(F)["value"]
