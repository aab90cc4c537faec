"""The spike term of spike-aware training (quant.spikes): its value is the neuron's spike count
(checked against the golden model), its surrogate gradient is the derivative of the expected
count, the exact loss carries it, training with it spends fewer spikes, and the set's record of
it is checked like the rest of the file."""

import math

import numpy as np
import pytest

from common.checks import InputError
from quant.params import FSParamSet, ParamError, loads
from quant.spikes import NETWORK_INPUT, NormalInput, SpikeTerm, default_input, spike_term
from quant.train import mean_spikes
from sim.fs import fs_float

torch = pytest.importorskip("torch")

DIST = NormalInput(*NETWORK_INPUT)


def pdf(x, dist=DIST):
    return math.exp(-0.5 * (x - dist.mean) ** 2 / dist.var) / math.sqrt(2 * math.pi * dist.var)


def fs_model(K):
    from quant.neurons import FSModel

    return FSModel(K, (-8.0, 12.0))


def test_cells_are_the_distribution():
    edges, p = DIST.cells(n=1000)
    assert math.fsum(p) == pytest.approx(1.0, abs=1e-15) and np.all(p > 0)
    lo, hi = DIST.span
    assert edges[0] == lo and edges[-1] == pytest.approx(hi)
    mids = (edges[:-1] + edges[1:]) / 2
    assert math.fsum(p * mids) == pytest.approx(DIST.mean, abs=1e-9)
    assert math.fsum(p * (mids - DIST.mean) ** 2) == pytest.approx(DIST.var, rel=1e-4)
    # cells on a code grid start and end on it
    edges, _ = DIST.cells(step=1 / 16)
    assert np.all(np.remainder(edges * 16, 1) == 0) and edges[0] <= lo and edges[-1] >= hi


def test_exact_spike_term_is_the_golden_models_count():
    """Objective.spike_loss is weight x the probability-weighted count of sim.fs.fs_float at
    the same points, and for a Q-bit set it is the mean spike count of the quadrature that
    writes the figures (quant.train.mean_spikes), independently computed."""
    from quant.objective import Objective

    rng = np.random.default_rng(1)
    codes = {k: rng.integers(-60, 60, size=5) for k in "Thd"}
    pset = FSParamSet.from_arrays("silu", 5, (-8, 12), codes, Q=8)
    T, h, d = pset.values()
    term = SpikeTerm(0.25, DIST)
    x, p = term.exact_points(step=1 / 16)
    model = fs_model(5)
    obj = Objective.points(model, lambda v: v, (-8, 12), lambda v: np.ones_like(v), 50, "cpu")
    obj.add_spikes(x, p, term.weight)
    params = {k: torch.tensor(v[None, :]) for k, v in zip("Thd", (T, h, d))}
    got = float(obj.spike_loss(params)[0])
    count = fs_float(x, T, h, d)[1]
    assert got == pytest.approx(0.25 * math.fsum(p * count), rel=1e-12)
    assert got / 0.25 == pytest.approx(mean_spikes(pset), rel=2e-5)
    assert float(obj(params)[0]) == pytest.approx(float(obj.loss_of(obj.outputs(params))[0])
                                                  + got, rel=1e-12)


@pytest.mark.parametrize("T,h,d,expected", [
    # K=1: E[n] = 1 - Phi(T), d/dT = -pdf(T)
    ((0.7,), (1.0,), (1.0,), {"T": [-pdf(0.7)], "h": [0.0]}),
    # K=2: step 2 fires for x >= T2 + h1 after step 1 (and never without it): the count
    # jumps by one at x = T1 and at x = T2 + h1
    ((1.0, 2.0), (0.5, 1.0), (1.0, 1.0), {"T": [-pdf(1.0), -pdf(2.5)],
                                          "h": [-pdf(2.5), 0.0]}),
])
def test_surrogate_gradient_is_the_derivative_of_the_mean_count(T, h, d, expected):
    """The training term's gradient (triangle pseudo-derivative, narrow) matches a central
    finite difference of the exact term and the analytic derivative of E[n(x)]."""
    from quant.objective import Objective
    from quant.surrogate import triangle_spike

    K = len(T)
    model = fs_model(K)
    term = SpikeTerm(1.0, DIST)
    gen = torch.Generator().manual_seed(0)
    xs, ps = term.train_points(200_000, gen, torch.float64, "cpu")
    params = {k: torch.tensor([v], dtype=torch.float64, requires_grad=True)
              for k, v in zip("Thd", (T, h, d))}
    _, count = model.forward(xs, params, triangle_spike(0.01))
    (count * ps).sum().backward()
    assert params["T"].grad is not None and float(params["T"].grad.abs().min()) > 0
    assert params["d"].grad is None                    # the count does not depend on d

    obj = Objective.points(model, lambda v: v, (-8, 12), lambda v: np.ones_like(v), 10, "cpu")
    obj.add_spikes(*term.exact_points(n=400_000), 1.0)
    base = {k: v.detach().clone() for k, v in params.items()}
    step = 1e-3
    for name in "Th":
        for i in range(K):
            up = {k: v.clone() for k, v in base.items()}
            down = {k: v.clone() for k, v in base.items()}
            up[name][0, i] += step
            down[name][0, i] -= step
            fd = (float(obj.spike_loss(up)[0]) - float(obj.spike_loss(down)[0])) / (2 * step)
            grad = params[name].grad                   # None: not on the count's path
            g = 0.0 if grad is None else float(grad[0, i])
            want = expected[name][i]
            assert fd == pytest.approx(want, rel=0.02, abs=1e-4), (name, i, fd, want)
            assert g == pytest.approx(want, rel=0.02, abs=1e-4), (name, i, g, want)


def test_spike_aware_training_spends_fewer_spikes():
    from quant.stages import Budget
    from quant.train import train_fs

    budget = Budget(steps=150, restarts=2, search_iters=10)
    plain = train_fs("silu", 3, budget=budget, show_progress=False)
    low = train_fs("silu", 3, spikes=SpikeTerm(1.0, DIST), budget=budget, show_progress=False)
    assert mean_spikes(low) < 0.5 * mean_spikes(plain)
    rec = low.made_by["spikes"]
    assert rec == {"weight": 1.0, "input": {"dist": "normal", "mean": -0.112, "var": 1.99},
                   "mean": pytest.approx(mean_spikes(low), rel=1e-5)}
    assert "spikes" not in plain.made_by
    # a spike-aware set is the lowspike variant of its activation and K
    assert (low.name, plain.name) == ("silu_K3_lowspike", "silu_K3")


def test_spike_term_options():
    assert spike_term("silu", None) is None
    assert spike_term("silu", 0.0) is None                   # a zero weight: no term
    t = spike_term("silu", 0.5)
    assert t == SpikeTerm(0.5, NormalInput(-0.112, 1.99)) and default_input("silu") == DIST
    assert spike_term("sigmoid", 1.0, ["normal", "0", "4"]).dist == NormalInput(0, 4)
    for args, message in [(("sigmoid", 1.0), "no default input distribution for 'sigmoid'"),
                          (("silu", -1.0), "must be >= 0"),
                          (("silu", None, ["normal", "0", "1"]), "with --spike-weight only"),
                          (("silu", 1.0, ["uniform", "0", "1"]), "normal MEAN VAR"),
                          (("silu", 1.0, ["normal", "0", "0"]), "variance must be positive"),
                          (("silu", 1.0, ["normal", "x", "1"]), "MEAN 'x' is not a number")]:
        with pytest.raises(InputError, match=message.replace("(", r"\(")):
            spike_term(*args)


GOOD = {"weight": 0.001, "input": {"dist": "normal", "mean": -0.112, "var": 1.99},
        "mean": 1.9}


def _file(spikes):
    import json

    return json.dumps({"activation": "silu", "K": 1, "interval": [-8, 12], "T": [1.0],
                       "h": [1.0], "d": [1.0],
                       "made_by": {"command": "c", "seed": 0, "mse": {}, "spikes": spikes}})


@pytest.mark.parametrize("bad", [
    {k: v for k, v in GOOD.items() if k != "mean"},
    dict(GOOD, extra=1),
    dict(GOOD, weight=-1),
    dict(GOOD, weight="0.1"),
    dict(GOOD, input={"dist": "uniform", "mean": 0, "var": 1}),
    dict(GOOD, input={"dist": "normal", "mean": 0, "var": 0}),
    dict(GOOD, input={"dist": "normal", "mean": 0}),
    dict(GOOD, mean=float("nan")),
    [1, 2],
])
def test_the_spike_record_is_checked(bad):
    assert loads(_file(GOOD)).made_by["spikes"] == GOOD
    with pytest.raises(ParamError) as info:
        loads(_file(bad), "x.json")
    assert "\n" not in str(info.value) and "made_by.spikes" in str(info.value)
