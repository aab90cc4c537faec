"""The stages every neuron kind shares (quant.stages): which budget goes to which stage, what
each stage starts from, the polish, and the float stage reused only for the same request."""

import numpy as np
import pytest

pytest.importorskip("torch")

import quant.loop  # noqa: E402
from quant.loop import TrainResult  # noqa: E402
from quant.objective import UniformPoints  # noqa: E402
from quant.stages import Budget, Recipe, train_stages  # noqa: E402


class Fake(Recipe):
    float_config = dict(steps=100, restarts=8, lr=0.1)
    qat_config = dict(steps=50, restarts=4, lr=0.01, kicks=3)
    weights = UniformPoints()
    target, interval = staticmethod(np.tanh), (-1.0, 1.0)

    def __init__(self, key=None):
        self.key = key
        self.polished = []

    def model(self, starts):
        return ("model", tuple(len(s) for s in starts))

    def float_starts(self):
        return [{"a": np.zeros(2)}]

    def polish(self, model, codes, Q):
        self.polished.append((model, Q))
        return {k: v + 1 for k, v in codes.items()}

    def cache_key(self):
        return self.key


@pytest.fixture
def calls(monkeypatch):
    seen = []

    def fake_train(model, target, interval, config):
        seen.append((model, config))
        values = {"a": np.full(2, float(len(seen)))}
        codes = None if config.Q is None else {"a": np.array([7, 8])}
        return TrainResult(values=values, codes=codes, loss=0.0, history=[], search_gain=())

    monkeypatch.setattr(quant.loop, "train", fake_train)
    return seen


def test_budget_goes_to_its_stage(calls):
    recipe = Fake()
    budget = Budget(steps=11, qat_restarts=2, kicks=0, search_iters=5, n_eval=99)
    float_values, codes = train_stages(recipe, 6, seed=3, budget=budget, show_progress=False)
    (fmodel, fcfg), (qmodel, qcfg) = calls
    assert (fcfg.steps, fcfg.restarts, fcfg.lr, fcfg.Q, fcfg.kicks) == (11, 8, 0.1, None, 0)
    assert (qcfg.steps, qcfg.restarts, qcfg.lr, qcfg.Q, qcfg.kicks) == (50, 2, 0.01, 6, 0)
    assert fcfg.search_iters == qcfg.search_iters == 5 and fcfg.n_eval == qcfg.n_eval == 99
    assert fcfg.n_train == qcfg.n_train == 4000 and fcfg.seed == qcfg.seed == 3
    # the float stage starts from the recipe's starts, the QAT stage from the float result
    assert fmodel == ("model", (1,)) and qmodel == ("model", (1,))
    assert list(float_values["a"]) == [1.0, 1.0]
    assert list(codes["a"]) == [8, 9] and recipe.polished == [(qmodel, 6)]
    assert Budget(steps=11, kicks=0).words() == ["--steps", "11", "--kicks", "0"]


def test_float_stage_alone_and_reused_only_for_the_same_request(calls):
    values, codes = train_stages(Fake(key=("test_stages", 1)), None, show_progress=False)
    assert codes is None and len(calls) == 1
    train_stages(Fake(key=("test_stages", 1)), 8, show_progress=False)
    assert len(calls) == 2                       # the float stage was reused: QAT only
    train_stages(Fake(key=("test_stages", 1)), 8, seed=1, show_progress=False)
    train_stages(Fake(key=None), 8, show_progress=False)
    assert len(calls) == 6                       # another seed, or no key: trained again
