"""The training machinery (quant.train) on tiny configurations: surrogate spike, weights,
fake quantization, bounds, determinism, the exact objective and search, the ReLU set."""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from quant.activations import get_activation, mse_by_region  # noqa: E402
from quant.fixed import QFormat  # noqa: E402
from quant.params import FSParamSet  # noqa: E402
from quant.train import (FSModel, Objective, RegionWeights, TrainConfig, fake_quant,  # noqa: E402
                         grid_mse, local_search, mean_spikes, relu_fs, train, train_fs,
                         triangle_spike)
from quant.report import published_baseline  # noqa: E402
from sim.fs import fs_float  # noqa: E402

SILU = get_activation("silu")
TINY = dict(steps=60, restarts=4, n_train=400, n_eval=800, eval_every=10, search_iters=0,
            progress=False)


def tiny(**changes):
    return TrainConfig(**dict(TINY, **changes))


# ---------------------------------------------------------------------------- building blocks

def test_triangle_spike_forward_and_derivative():
    u = torch.tensor([-2.0, -0.5, 0.0, 0.25, 1.0, 3.0], requires_grad=True)
    z = triangle_spike(1.0)(u)
    assert z.tolist() == [0, 0, 1, 1, 1, 1]          # Theta(0) = 1
    z.sum().backward()
    assert u.grad.tolist() == pytest.approx([0, 0.5, 1.0, 0.75, 0, 0])
    u2 = torch.tensor([0.1], requires_grad=True)
    triangle_spike(0.5)(u2).sum().backward()
    assert u2.grad.item() == pytest.approx((1 - 0.1 / 0.5) / 0.5)
    with pytest.raises(ValueError, match="width must be positive, not 0"):
        triangle_spike(0)


@pytest.mark.parametrize("Q", [2, 4, 8, 12])
def test_fake_quant_matches_qformat_and_passes_gradient(Q):
    q = QFormat(Q)
    rng = np.random.default_rng(Q)
    x = np.concatenate([rng.uniform(-10, 10, 2000),
                        (np.arange(-20, 20) + 0.5) * q.lsb,     # ties: to even
                        [8.0, -8.0, 100.0, -100.0, q.value_max + q.lsb / 2]])
    t = torch.tensor(x, requires_grad=True)
    y = fake_quant(t, q)
    assert np.array_equal(y.detach().numpy(), q.round_trip(x))
    y.sum().backward()
    assert np.all(t.grad.numpy() == 1.0)


def test_region_weights():
    w = RegionWeights.core()
    assert list(w(np.array([-3.0, -2.0, 0.0, 2.0, 2.5]))) == [1, 4, 4, 4, 1]
    w = RegionWeights.parse(["[-8,12]=1", "[0,1]U[3,4]=0.5"])
    assert list(w(np.array([-9.0, -1, 0.5, 2, 3.5]))) == [1, 1, 0.5, 1, 0.5]
    for bad, msg in (("[-2,2]", "not of the form"), ("[-2,2]=x", "not a number"),
                     ("[2,-2]=1", "empty region|lo < hi"), ("[-2,2]=-1", ">= 0"),
                     ("(1,2)=3", "not of the form")):
        with pytest.raises(ValueError, match=msg):
            RegionWeights.parse([bad])


def test_config_checks():
    for change, msg in ((dict(steps=-1), "steps must be a non-negative integer, not -1"),
                        (dict(restarts=0), "restarts must be at least 1, not 0"),
                        (dict(lr=0.0), "lr must be positive"),
                        (dict(width=(1.0, 0.0)), "width must be two positive numbers"),
                        (dict(Q=17), "Q must be between 2 and 16, not 17"),
                        (dict(dtype="float16"), "dtype must be float32 or float64"),
                        (dict(device="tpu"), "device must be cpu, cuda or auto")):
        with pytest.raises(ValueError, match=msg):
            train(FSModel(2, (-1, 1)), SILU, (-1, 1), tiny(**change))
    with pytest.raises(ValueError, match="K must be an integer from 1 to 64, not 0"):
        FSModel(0, (-1, 1))


# ---------------------------------------------------------------------------- training

def test_loss_decreases():
    res = train(FSModel(6, (-8, 12)), SILU, (-8, 12), tiny())
    assert res.history[-1] < 0.5 * res.history[0]
    assert res.loss <= res.history[-1]


class Recorder(FSModel):
    """An FS model that records the parameters every forward pass sees."""

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.seen = []

    def forward(self, x, params, spike):
        self.seen.append(max(float(v.detach().abs().max()) for v in params.values()))
        return super().forward(x, params, spike)


@pytest.mark.parametrize("Q", [None, 6])
def test_bounds_kept_throughout(Q):
    # a huge learning rate pushes parameters hard against the bounds
    model = Recorder(6, (-20, 30))
    res = train(model, get_activation("3*x"), (-20, 30), tiny(lr=20.0, Q=Q, search_iters=20))
    assert len(model.seen) > TINY["steps"]
    assert max(model.seen) == pytest.approx(8.0)  # reached, never passed
    assert max(model.seen) <= 8.0
    for v in res.values.values():
        assert np.all(np.abs(v) <= 8.0)
    if Q is not None:
        assert max(np.max(c) for c in res.codes.values()) <= QFormat(Q).code_max


def test_deterministic_for_a_seed():
    a = train(FSModel(5, (-8, 12)), SILU, (-8, 12), tiny(Q=7, search_iters=10, kicks=2))
    b = train(FSModel(5, (-8, 12)), SILU, (-8, 12), tiny(Q=7, search_iters=10, kicks=2))
    c = train(FSModel(5, (-8, 12)), SILU, (-8, 12), tiny(Q=7, search_iters=10, kicks=2,
                                                          seed=1))
    for k in "Thd":
        assert np.array_equal(a.codes[k], b.codes[k])
    assert a.loss == b.loss
    assert any(not np.array_equal(a.codes[k], c.codes[k]) for k in "Thd")


def test_quantized_result_is_valid_codes():
    q = QFormat(6)
    res = train(FSModel(5, (-8, 12)), SILU, (-8, 12), tiny(Q=6, search_iters=20, kicks=1))
    for k in "Thd":
        codes = res.codes[k]
        assert codes.dtype == np.int64
        assert np.all((codes >= q.code_min) & (codes <= q.code_max))
        assert np.array_equal(res.values[k], codes * q.lsb)
    # the reported loss is the exact loss of those codes
    x = np.linspace(-8, 12, 200_001)
    w = RegionWeights.core()(x)
    err = fs_float(x, res.values["T"], res.values["h"], res.values["d"])[0] - SILU(x)
    assert res.loss == pytest.approx(np.sum(w * err * err) / np.sum(w), rel=2e-3)


def test_train_fs_writes_a_valid_set():
    pset = train_fs("silu", 4, 8, steps=40, restarts=2, qat_steps=20, qat_restarts=2, kicks=1,
                    show_progress=False, n_train=300, n_eval=600, search_iters=10,
                    command="python -m quant train --act silu --K 4 --Q 8")
    assert isinstance(pset, FSParamSet) and pset.Q == 8 and pset.K == 4
    assert pset.interval == (-8.0, 12.0)
    assert set(pset.made_by) == {"command", "seed", "mse"}
    assert list(pset.made_by["mse"]) == ["[-2,2]", "[-8,-2]U[2,12]", "[-8,12]"]
    T, h, d = pset.values()
    direct = mse_by_region(lambda x: fs_float(x, T, h, d)[0], "silu", (-8, 12))
    for k, v in direct.items():
        assert pset.made_by["mse"][k] == pytest.approx(v, rel=1e-5)
    with pytest.raises(ValueError, match="relu is analytic"):
        train_fs("relu", 4)


# ---------------------------------------------------------------------------- exact search

def _codes_set(K=5, Q=8, seed=3):
    q = QFormat(Q)
    rng = np.random.default_rng(seed)
    T = rng.integers(-40, 60, K)
    h = rng.integers(4, 50, K)
    d = rng.integers(-30, 40, K)
    return q, {k: torch.tensor(v * q.lsb, dtype=torch.float64)[None] for k, v in
               zip("Thd", (T, h, d))}


def test_cell_objective_is_the_dense_mse():
    q, p = _codes_set()
    model = FSModel(5, (-8, 12))
    obj = Objective.cells(model, SILU, (-8, 12), RegionWeights.uniform(), q.lsb, "cpu")
    T, h, d = (p[k][0].numpy() for k in "Thd")
    dense = mse_by_region(lambda x: fs_float(x, T, h, d)[0], SILU, (-8, 12), 400_000)
    assert float(obj(p)[0]) == pytest.approx(dense["[-8,12]"], rel=1e-4)
    # off the code grid the cell form does not apply
    assert Objective.cells(model, SILU, (-8.03, 12), RegionWeights.uniform(), q.lsb,
                           "cpu") is None


def test_local_search_recovers_perturbed_codes():
    # the target is an FS neuron itself: from codes one or two steps off, the search must get
    # back to zero error
    q, p = _codes_set(K=5)
    T, h, d = (p[k][0].numpy() for k in "Thd")
    model = FSModel(5, (-8, 12))

    def target(x):
        return fs_float(x, T, h, d)[0]

    obj = Objective.cells(model, target, (-8, 12), RegionWeights.core(), q.lsb, "cpu")
    start = {k: v.clone() for k, v in p.items()}
    start["T"][0, 1] += 2 * q.lsb
    start["h"][0, 3] -= q.lsb
    start["d"][0, 0] += q.lsb
    assert float(obj(start)[0]) > 1e-4
    found, loss = local_search(model, start, obj, (q.lsb, 2 * q.lsb), (-8.0, q.value_max))
    # some codes have no effect at all on this interval: the output, not the codes, must match
    assert loss < 1e-12
    assert float(obj(found)[0]) == loss
    for k in "Thd":
        assert torch.all(torch.remainder(found[k] / q.lsb, 1) == 0)


def test_readout_moves_and_refit_are_exact():
    q, p = _codes_set(K=6)
    model = FSModel(6, (-8, 12))
    obj = Objective.points(model, SILU, (-8, 12), RegionWeights.core(), 3001, "cpu")
    deltas = [0.25, -0.5]
    fast = obj.readout_moves(p, deltas)
    for j in range(6):
        for i, dl in enumerate(deltas):
            moved = {k: v.clone() for k, v in p.items()}
            moved["d"][0, j] += dl
            assert float(fast[j, i]) == pytest.approx(float(obj(moved)[0]), rel=1e-9)
    refit = obj.refit_readout(p, (-8.0, 8.0))
    assert float(obj(refit)[0]) <= float(obj(p)[0])
    assert torch.equal(refit["T"], p["T"]) and torch.equal(refit["h"], p["h"])


# ---------------------------------------------------------------------------- ReLU, metrics

@pytest.mark.parametrize("K,alpha", [(10, 16.0), (6, 3.0), (1, 2.0)])
def test_relu_is_analytic_and_exact(K, alpha):
    pset = relu_fs(K, alpha)
    assert pset.activation == "relu" and pset.interval == (0.0, alpha)
    sched = [alpha * 2.0 ** -t for t in range(1, K + 1)]
    assert list(pset.T) == list(pset.h) == list(pset.d) == sched
    quantum = alpha * 2.0 ** -K
    x = np.arange(-5, 2 ** K + 5) * quantum
    out, _ = fs_float(x, *pset.values())
    assert np.array_equal(out, np.clip(x, 0, alpha - quantum))


def test_relu_codes_and_errors():
    pset = relu_fs(6, alpha=4.0, Q=8)
    assert pset.Q == 8 and list(pset.T) == [32, 16, 8, 4, 2, 1]
    with pytest.raises(ValueError, match="not exactly representable in Q=8"):
        relu_fs(10, alpha=16.0, Q=8)
    with pytest.raises(ValueError, match=r"alpha=25 puts T\(1\) = alpha/2 = 12.5 outside"):
        relu_fs(10, alpha=25.0)
    with pytest.raises(ValueError, match="must be positive"):
        relu_fs(10, alpha=0.0)


def test_grid_mse_uses_the_integer_model():
    q = QFormat(8)
    rng = np.random.default_rng(0)
    codes = [tuple(int(c) for c in rng.integers(-60, 60, 6)) for _ in range(3)]
    pset = FSParamSet("silu", 6, (-8.0, 12.0), *codes, Q=8)
    x = np.arange(-8 * 16, 12 * 16) / 16
    out = fs_float(x, *pset.values())[0]
    assert grid_mse(pset) == pytest.approx(np.mean((out - SILU(x)) ** 2), rel=1e-12)
    assert grid_mse(pset, F=6) != grid_mse(pset)
    with pytest.raises(ValueError, match="needs a Q-bit set"):
        grid_mse(FSParamSet("silu", 1, (-1.0, 1.0), (0.0,), (0.0,), (0.0,)))


def test_mean_spikes_quadrature():
    pset = FSParamSet("silu", 1, (-8.0, 12.0), (0.0,), (1.0,), (1.0,))
    # one spike exactly when x >= 0: P(N(-0.112, 1.99) >= 0)
    expected = 0.5 * math.erfc(0.112 / math.sqrt(2 * 1.99))
    assert mean_spikes(pset) == pytest.approx(expected, abs=1e-5)
    published = published_baseline("silu", 16)
    assert mean_spikes(published) == pytest.approx(2.27, abs=0.005)
