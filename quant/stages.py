"""Training a parameter set in stages, the same for every neuron kind.

1. **Float stage**: :func:`quant.loop.train` from the kind's float starts (random restarts, or
   a set to improve on).
2. **Quantization-aware stage** (with a Q): :func:`quant.loop.train` with Q-bit fake
   quantization, from the kind's starts for it (the float result, exactly and perturbed).
3. **Polish** of the codes, if the kind has one (AMOS: an exact search on the hardware's own
   inputs).

A :class:`Recipe` is a neuron kind's part: its model (:mod:`quant.neurons`), its starts, its
budgets and its polish. :func:`train_stages` is the rest. (This module imports torch only when
it trains, so that the command line and the figures do not pay for it.)
"""

from dataclasses import dataclass, fields

__all__ = ["Budget", "Recipe", "train_stages"]


@dataclass(frozen=True)
class Budget:
    """Budget overrides (None: the recipe's own).

    ``steps``, ``restarts``: the float stage; ``qat_steps``, ``qat_restarts``, ``kicks``: the
    quantization-aware stage; ``search_iters``, ``n_train``, ``n_eval``: both.
    """

    steps: int = None
    restarts: int = None
    qat_steps: int = None
    qat_restarts: int = None
    kicks: int = None
    search_iters: int = None
    n_train: int = None
    n_eval: int = None

    def stage(self, base, qat):
        """A stage's :class:`quant.loop.TrainConfig` fields: ``base`` with the overrides."""
        cfg = dict(base)
        names = {"steps": "qat_steps", "restarts": "qat_restarts", "kicks": "kicks"} if qat \
            else {"steps": "steps", "restarts": "restarts"}
        names.update({k: k for k in ("search_iters", "n_train", "n_eval")})
        for field_name, override in names.items():
            v = getattr(self, override)
            if v is not None:
                cfg[field_name] = v
        return cfg

    def words(self):
        """The overrides as command-line words (``--qat-steps 20 ...``)."""
        out = []
        for f in fields(self):
            v = getattr(self, f.name)
            if v is not None:
                out += [f"--{f.name.replace('_', '-')}", str(v)]
        return out


class Recipe:
    """A neuron kind's part of the training.

    Attributes
    ----------
    target : callable
        numpy function of the model's inputs.
    interval : (float, float)
    weights : callable
        Loss weights of the inputs (:class:`quant.objective.RegionWeights`).
    float_config, qat_config : dict
        :class:`quant.loop.TrainConfig` fields of the two stages.
    """

    float_config = {}
    qat_config = {}

    def model(self, starts):
        """The neuron model (:class:`quant.neurons.NeuronModel`) with these starting sets."""
        raise NotImplementedError

    def float_starts(self):
        """Starting sets of the float stage (empty: random restarts)."""
        return []

    def qat_starts(self, float_values):
        """Starting sets of the quantization-aware stage."""
        return [float_values]

    def polish(self, model, codes, Q):
        """The codes after a final search of the kind's own (default: unchanged)."""
        return codes

    def cache_key(self):
        """A key under which the float stage may be reused in this process (None: never)."""
        return None


#: Float-stage results of this process, so that a sweep over Q (or `ship`) trains a float set
#: once. The float stage is deterministic, so this changes no result.
_FLOAT_CACHE = {}


def train_stages(recipe, Q=None, *, seed=0, device=None, show_progress=True, budget=None):
    """Train a recipe's float stage and, for a ``Q``, its quantization-aware stage and polish.

    Returns
    -------
    (dict, dict or None)
        The float values of the float stage (name -> float64 array) and the Q-bit codes
        (name -> int64 array; None without ``Q``).
    """
    from .loop import TrainConfig, train      # torch: only when something is trained

    budget = budget or Budget()
    common = dict(seed=seed, weights=recipe.weights, device=device, progress=show_progress)
    fcfg = budget.stage(recipe.float_config, qat=False)
    key = recipe.cache_key()
    if key is not None:
        key = (key, repr(sorted(fcfg.items())), recipe.weights.describe(), seed, device)
    if key is not None and key in _FLOAT_CACHE:
        float_values = _FLOAT_CACHE[key]
    else:
        float_values = train(recipe.model(recipe.float_starts()), recipe.target,
                             recipe.interval, TrainConfig(**fcfg, **common)).values
        if key is not None:
            _FLOAT_CACHE[key] = float_values
    if Q is None:
        return float_values, None
    qmodel = recipe.model(recipe.qat_starts(float_values))
    result = train(qmodel, recipe.target, recipe.interval,
                   TrainConfig(**budget.stage(recipe.qat_config, qat=True), Q=Q, **common))
    return float_values, recipe.polish(qmodel, result.codes, Q)
