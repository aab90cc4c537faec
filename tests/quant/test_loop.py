"""The training loop (quant.loop) on tiny configurations: its checks, the loss going down,
bounds kept at every step, determinism, valid codes whose loss is the one reported."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from quant.activations import get_activation  # noqa: E402
from quant.fixed import QFormat  # noqa: E402
from quant.loop import TrainConfig, train  # noqa: E402
from quant.neurons import FSModel  # noqa: E402
from quant.objective import RegionWeights  # noqa: E402
from sim.fs import fs_float  # noqa: E402

SILU = get_activation("silu")
TINY = dict(steps=60, restarts=4, n_train=400, n_eval=800, eval_every=10, search_iters=0,
            progress=False)


def tiny(**changes):
    return TrainConfig(**dict(TINY, **changes))


@pytest.mark.parametrize("change,msg", [
    (dict(steps=-1), "steps must be at least 0, not -1"),
    (dict(restarts=0), "restarts must be at least 1, not 0"),
    (dict(kicks=1.5), "kicks must be an integer, not 1.5"),
    (dict(lr=0.0), "lr must be positive"),
    (dict(width=(1.0, 0.0)), "width must be two positive numbers"),
    (dict(Q=17), "Q must be between 2 and 16, not 17"),
    (dict(dtype="float16"), "dtype must be one of float32, float64"),
    (dict(device="tpu"), "device must be cpu, cuda or auto"),
    (dict(seed=True), "seed must be an integer"),
])
def test_config_checks(change, msg):
    with pytest.raises(ValueError, match=msg):
        train(FSModel(2, (-1, 1)), SILU, (-1, 1), tiny(**change))


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
    a, b, c = (train(FSModel(5, (-8, 12)), SILU, (-8, 12),
                     tiny(Q=7, search_iters=10, kicks=2, seed=s)) for s in (0, 0, 1))
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
