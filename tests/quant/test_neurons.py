"""The neuron models training fits (quant.neurons): their forward pass is the golden model of
sim/, their restarts start where asked, gradients reach every free parameter."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from quant.neurons import AmosModel, FSModel  # noqa: E402
from quant.surrogate import heaviside, triangle_spike  # noqa: E402
from sim.amos import amos_float  # noqa: E402
from sim.fs import fs_float  # noqa: E402


def _params(model, start):
    return model.init(1, torch.Generator().manual_seed(0), torch.float64, "cpu")


def test_fs_forward_is_the_golden_model():
    rng = np.random.default_rng(0)
    K = 6
    start = {k: rng.uniform(-3, 3, K) for k in "Thd"}
    m = FSModel(K, (-4, 4), starts=[start])
    params = _params(m, start)
    x = m.eval_points((-4, 4), 801)
    out, count = m.forward(torch.tensor(x), params, heaviside)
    want, n = fs_float(x, start["T"], start["h"], start["d"])
    assert np.allclose(out[0].numpy(), want, atol=1e-12)
    assert np.array_equal(count[0].numpy(), n)
    Z = m.design(torch.tensor(x), params)
    assert np.allclose((Z[0] @ params["d"][0]).numpy(), want, atol=1e-12)


@pytest.mark.parametrize("two", [False, True])
def test_amos_forward_is_the_golden_model(two):
    rng = np.random.default_rng(0)
    K = 7
    start = {"c": rng.uniform(-3, 3, K), "T": rng.uniform(-3, 3, K),
             "h": np.tril(rng.uniform(-3, 3, (K, K)), -1), "d": rng.uniform(-3, 3, K)}
    if two:
        start["c2"] = rng.uniform(-3, 3, K)
    m = AmosModel(K, (-4, 4), two_input=two, starts=[start])
    params = _params(m, start)
    pts = m.eval_points((-4, 4), 400)
    for grad in (False, True):              # the exact and the autograd paths
        with torch.set_grad_enabled(grad):
            out, count = m.forward(torch.tensor(pts), params, heaviside)
        if two:
            want, n = amos_float(pts[:, 0], start["c"], start["T"], start["h"], start["d"],
                                 y=pts[:, 1], c2=start["c2"])
        else:
            want, n = amos_float(pts, start["c"], start["T"], start["h"], start["d"])
        assert np.allclose(out[0].detach().numpy(), want, atol=1e-12)
        assert np.array_equal(count[0].detach().numpy(), n)
    Z = m.design(torch.tensor(pts), params)
    assert np.allclose((Z[0] @ params["d"][0]).numpy(), want, atol=1e-12)


def test_restarts_from_a_start():
    K = 5
    start = {"c": np.ones(K), "T": np.arange(K, dtype=float), "h": np.ones((K, K)),
             "d": np.full(K, 0.5)}
    m = AmosModel(K, (-8, 12), starts=[start])
    p = m.init(6, torch.Generator().manual_seed(1), torch.float64, "cpu")
    assert torch.equal(p["T"][0], torch.arange(K, dtype=torch.float64))    # restart 0 exact
    assert not torch.equal(p["T"][1], p["T"][0])                           # others perturbed
    upper = ~torch.ones(K, K, dtype=torch.bool).tril(-1)
    assert torch.all(p["h"][:, upper] == 0)          # only the lower triangle is a parameter
    assert torch.equal(m.mask("h"), ~upper) and m.mask("c") is None
    fs = FSModel(K, (-8, 12), starts=[{"T": [9.0] * K, "h": [0.5] * K, "d": [0.0] * K}])
    p = fs.init(3, torch.Generator().manual_seed(1), torch.float64, "cpu")
    assert p["T"][0].tolist() == [8.0] * K        # clipped into [-8, 8]
    assert not torch.equal(p["h"][1], p["h"][0])
    with pytest.raises(ValueError, match="starting set lacks 'd'"):
        AmosModel(K, (-1, 1), starts=[{"c": [1] * K, "T": [0] * K, "h": np.zeros((K, K))}])
    with pytest.raises(ValueError, match=r"starting T has shape \(4,\), not \(5,\)"):
        FSModel(K, (-1, 1), starts=[{"T": [0] * 4, "h": [0] * K, "d": [0] * K}])
    with pytest.raises(ValueError, match="K must be between 1 and 64, not 0"):
        FSModel(0, (-1, 1))


def test_random_restarts_are_in_range_and_differ():
    for m in (FSModel(8, (-8, 12)), AmosModel(8, (-1, 1), two_input=True)):
        p = m.init(4, torch.Generator().manual_seed(3), torch.float32, "cpu")
        assert set(p) == set(m.names)
        for k, v in p.items():
            assert v.shape == (4, *m.shapes[k]) and v.dtype == torch.float32
            assert float(v.abs().max()) <= 8.0
        assert not torch.equal(p["T"][0], p["T"][1])


def test_gradients_reach_every_free_parameter():
    m = AmosModel(4, (-1, 1), two_input=True)
    p = m.init(2, torch.Generator().manual_seed(2), torch.float64, "cpu")
    p["d"] = torch.ones(2, 4, dtype=torch.float64)
    p["h"] = (torch.ones(2, 4, 4, dtype=torch.float64) * 0.3).tril(-1)
    for v in p.values():
        v.requires_grad_(True)
    x = m.train_points((-1, 1), 400, torch.Generator().manual_seed(3), torch.float64, "cpu")
    assert x.shape == (400, 2)
    out, _ = m.forward(x, p, triangle_spike(1.0))
    out.pow(2).sum().backward()
    for k in ("c", "c2", "T", "d"):
        assert p[k].grad.abs().sum() > 0, k
    assert p["h"].grad[:, 1:, 0].abs().sum() > 0


def test_training_points_jitter_inside_their_cells():
    m = FSModel(3, (-8, 12))
    x = m.train_points((-8, 12), 100, torch.Generator().manual_seed(0), torch.float64, "cpu")
    cell = np.floor((x.numpy() + 8) / 0.2)
    assert np.array_equal(cell, np.arange(100))       # one point in each of 100 cells
