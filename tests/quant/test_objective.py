"""What training minimizes (quant.objective): the loss weights, the exact objectives against
dense grids and the integer models, the closed-form readout moves."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from quant.activations import get_activation  # noqa: E402
from quant.amos_params import AmosParamSet  # noqa: E402
from quant.amos_train import point_target  # noqa: E402
from quant.fixed import QFormat  # noqa: E402
from quant.neurons import AmosModel, FSModel  # noqa: E402
from quant.objective import GridObjective, Objective, RegionWeights  # noqa: E402
from quant.params import FSParamSet  # noqa: E402
from sim.fs import fs_float  # noqa: E402

SILU = get_activation("silu")


def test_region_weights():
    w = RegionWeights.core()
    assert list(w(np.array([-3.0, -2.0, 0.0, 2.0, 2.5]))) == [1, 4, 4, 4, 1]
    w = RegionWeights.parse(["[-8,12]=1", "[0,1]U[3,4]=0.5"])
    assert list(w(np.array([-9.0, -1, 0.5, 2, 3.5]))) == [1, 1, 0.5, 1, 0.5]
    assert w.describe() == "[-8,12]=1 [0,1]=0.5 [3,4]=0.5 else 1"
    for bad, msg in (("[-2,2]", "not of the form"), ("[-2,2]=x", "not a number"),
                     ("[2,-2]=1", "empty region|lo < hi"), ("[-2,2]=-1", ">= 0"),
                     ("(1,2)=3", "not of the form")):
        with pytest.raises(ValueError, match=msg):
            RegionWeights.parse([bad])


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
    x = np.linspace(-8, 12, 400_001)
    dense = np.mean((fs_float(x, T, h, d)[0] - SILU(x)) ** 2)
    assert float(obj(p)[0]) == pytest.approx(dense, rel=1e-4)
    # off the code grid the cell form does not apply
    assert Objective.cells(model, SILU, (-8.03, 12), RegionWeights.uniform(), q.lsb,
                           "cpu") is None


def test_point_objective_is_the_weighted_mse():
    q, p = _codes_set(K=6)
    model = FSModel(6, (-8, 12))
    obj = Objective.points(model, SILU, (-8, 12), RegionWeights.core(), 3001, "cpu")
    x = np.linspace(-8, 12, 3001)
    w = np.where(np.abs(x) <= 2, 4.0, 1.0)
    err = fs_float(x, *(p[k][0].numpy() for k in "Thd"))[0] - SILU(x)
    assert float(obj(p)[0]) == pytest.approx(np.sum(w * err * err) / np.sum(w), rel=1e-12)


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


@pytest.mark.parametrize("kind,Q,F", [("fs", 8, 4), ("fs", 6, 5), ("amos", 8, 4),
                                      ("mul", 8, 4), ("amos", 12, 8)])
def test_grid_objective_is_the_integer_model(kind, Q, F):
    """The batched search objective gives the MSE of the exact integer model over every
    representable input (quant.metrics.representable_mse, through sim.fs / sim.amos)."""
    K, interval = 6, (-1.0, 1.0)
    model = FSModel(K, interval) if kind == "fs" else AmosModel(K, interval, kind == "mul")
    act = "mul" if kind == "mul" else "tanh"
    rng = np.random.default_rng(Q + F)
    q = QFormat(Q)
    codes = {k: rng.integers(q.code_min, q.code_max + 1, (5,) + model.shapes[k])
             for k in model.names}
    if "h" in codes and codes["h"].ndim == 3:
        codes["h"] = np.tril(codes["h"], -1)
    obj = GridObjective(model, point_target(act), interval, F, Q)
    losses = obj({k: torch.tensor(v, dtype=torch.float64) for k, v in codes.items()})
    cls = FSParamSet if kind == "fs" else AmosParamSet
    for r in range(5):
        ps = cls.from_arrays(act, K, interval, {k: v[r] for k, v in codes.items()}, Q=Q)
        # the rounded figure equals the objective's, to its 6 digits
        assert ps.representable_mse(F)["value"] == pytest.approx(float(losses[r]), rel=1e-5)
