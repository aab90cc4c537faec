"""AMOS training (quant.amos_train) and the shipped AMOS sets.

The shipped sets are checked against the issue's targets with the golden models only (not
their ``made_by`` records): at the same K and Q the AMOS set's MSE over every representable
input of the interval is at most the FS set's, and the float sets are at least as good as the
FS float sets they started from.
"""

import json

import numpy as np
import pytest
import torch

from clirun import assert_usage_error, run_cli
from quant.activations import get_activation, mse_by_region
from quant.amos_params import AmosParamSet, amos_path, input_range, load
from quant.amos_train import AmosModel, grid_mse_amos, grid_mse_fs, train_amos
from quant.params import FSParamSet, load as load_fs, shipped_path
from quant.train import heaviside, triangle_spike
from sim.amos import amos_float, amos_int
from sim.fs import fs_float, fs_int


# ---- the model -----------------------------------------------------------------------------

def test_model_forward_is_the_golden_model():
    rng = np.random.default_rng(0)
    K = 7
    for two in (False, True):
        start = {"c": rng.uniform(-3, 3, K), "T": rng.uniform(-3, 3, K),
                 "h": np.tril(rng.uniform(-3, 3, (K, K)), -1), "d": rng.uniform(-3, 3, K)}
        if two:
            start["c2"] = rng.uniform(-3, 3, K)
        m = AmosModel(K, (-4, 4), two_input=two, starts=[start])
        params = m.init(1, torch.Generator().manual_seed(0), torch.float64, "cpu")
        pts = m.eval_points((-4, 4), 400)
        out, count = m.forward(torch.tensor(pts), params, heaviside)
        if two:
            want, n = amos_float(pts[:, 0], start["c"], start["T"], start["h"], start["d"],
                                 y=pts[:, 1], c2=start["c2"])
        else:
            want, n = amos_float(pts, start["c"], start["T"], start["h"], start["d"])
        assert np.allclose(out[0].numpy(), want, atol=1e-12)
        assert np.array_equal(count[0].numpy(), n)
        # the design matrix reproduces the output through the readout
        Z = m.design(torch.tensor(pts), params)
        assert np.allclose((Z[0] @ params["d"][0]).numpy(), want, atol=1e-12)


def test_model_restarts_and_mask():
    K = 5
    start = {"c": np.ones(K), "T": np.arange(K, dtype=float), "h": np.tril(np.ones((K, K)), -1),
             "d": np.full(K, 0.5)}
    m = AmosModel(K, (-8, 12), starts=[start])
    p = m.init(6, torch.Generator().manual_seed(1), torch.float64, "cpu")
    assert torch.equal(p["T"][0], torch.arange(K, dtype=torch.float64))    # restart 0 exact
    assert not torch.equal(p["T"][1], p["T"][0])                           # others perturbed
    upper = ~torch.ones(K, K, dtype=torch.bool).tril(-1)
    assert torch.all(p["h"][:, upper] == 0)          # only the lower triangle is a parameter
    assert torch.equal(m.mask("h"), ~upper) and m.mask("c") is None
    with pytest.raises(ValueError, match="starting set lacks 'd'"):
        AmosModel(K, (-1, 1), starts=[{"c": [1] * K, "T": [0] * K, "h": np.zeros((K, K))}])


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


@pytest.mark.parametrize("two_input,Q", [(False, 8), (True, 8), (False, 12)])
def test_grid_objective_is_the_integer_model(two_input, Q):
    """The final search's batched objective gives exactly the MSE of the integer model."""
    from quant.amos_train import _GridObjective, _to_set

    K = 6
    m = AmosModel(K, (-1, 1), two_input=two_input)
    rng = np.random.default_rng(Q + two_input)
    lo, hi = -(1 << (Q - 1)), (1 << (Q - 1)) - 1
    codes = {k: torch.tensor(rng.integers(lo, hi + 1, (5,) + m.shapes[k]).astype(np.float64))
             for k in m.names}
    codes["h"] = torch.tril(codes["h"], -1)
    obj = _GridObjective(m, "mul" if two_input else "tanh", (-1, 1), Q - 4, Q)
    losses = obj(codes)
    for r in range(5):
        ps = _to_set("mul" if two_input else "tanh", K, (-1, 1), None, two_input, Q=Q,
                     codes={k: v[r].numpy().astype(np.int64) for k, v in codes.items()})
        assert float(losses[r]) == pytest.approx(grid_mse_amos(ps), rel=1e-12)


# ---- training ------------------------------------------------------------------------------

def tiny_fs(Q=None):
    """A small FS set (no training needed): a rough sigmoid with K = 4."""
    T, h, d = (-1.0, 0.0, 1.0, 2.5), (2.0, 1.0, 1.0, 1.0), (0.25, 0.25, 0.25, 0.25)
    fs = FSParamSet("sigmoid", 4, (-10.0, 10.0), T, h, d)
    return fs.quantized(Q) if Q else fs


def test_training_never_loses_to_the_fs_start():
    fs, fs_q = tiny_fs(), tiny_fs(8)
    float_set, q_set = train_amos("sigmoid", 4, 8, fs=fs, fs_q=fs_q, steps=40, restarts=3,
                                  qat_steps=20, qat_restarts=3, show_progress=False,
                                  search_iters=10, polish_iters=30)
    # float: the trainer keeps the best exact (weighted) loss, restart 0 is the FS set
    x = np.linspace(-10, 10, 8000)
    w = np.where(np.abs(x) <= 2, 4.0, 1.0)
    c, T, h, d, _ = float_set.values()
    f = get_activation("sigmoid")(x)
    amos_loss = np.sum(w * (amos_float(x, c, T, h, d)[0] - f) ** 2) / w.sum()
    fs_loss = np.sum(w * (fs_float(x, *fs.values())[0] - f) ** 2) / w.sum()
    assert amos_loss <= fs_loss + 1e-12
    # Q-bit: never worse than the FS codes on the hardware's inputs
    assert q_set.Q == 8 and q_set.made_by["grid_mse"]["amos"] <= q_set.made_by["grid_mse"]["fs"]
    assert grid_mse_amos(q_set) <= grid_mse_fs(fs_q)
    assert grid_mse_amos(q_set) < grid_mse_fs(fs_q)          # and here it does improve


def test_training_is_deterministic():
    kw = dict(fs=tiny_fs(), steps=15, restarts=2, show_progress=False, search_iters=3)
    a, _ = train_amos("sigmoid", 4, **kw)
    b, _ = train_amos("sigmoid", 4, **kw)
    assert a == b


def test_train_rejects_bad_requests(tmp_path):
    with pytest.raises(ValueError, match="relu is analytic"):
        train_amos("relu", 4)
    with pytest.raises(ValueError, match="need Q >= 4"):
        train_amos("mul", 4, Q=3)
    with pytest.raises(ValueError, match="python -m quant train --act tanh --K 5"):
        train_amos("tanh", 5, fs=tmp_path / "nope.json")
    with pytest.raises(ValueError, match="the FS set is sigmoid K=4"):
        train_amos("sigmoid", 5, fs=tiny_fs())


def test_cli_errors(tmp_path):
    out = tmp_path / "o.json"
    for args, fragment in [
        (["train", "--act", "relu", "--K", "4"], "relu is analytic"),
        (["train", "--act", "silu", "--K", "0"], "K must be from 1 to 64, not 0"),
        (["train", "--act", "silu", "--K", "5", "--Q", "99"], "Q must be"),
        (["train", "--act", "nosuch", "--K", "5"], "unknown name 'nosuch'"),
        (["train", "--act", "silu", "--K", "5", "--fs", tmp_path / "x.json"], "does not exist"),
        (["ship", "--only", "amos_relu_K3"], "unknown shipped set 'amos_relu_K3'"),
    ]:
        assert_usage_error(run_cli("quant.amos_train", *args, "--out", out)
                           if args[0] == "train" else run_cli("quant.amos_train", *args),
                           fragment)
        assert not out.exists()


def test_cli_trains_a_set(tmp_path):
    fs = tmp_path / "fs.json"
    fs.write_text(json.dumps(tiny_fs().to_dict()))
    out = tmp_path / "amos.json"
    r = run_cli("quant.amos_train", "train", "--act", "sigmoid", "--K", "4", "--fs", fs,
                "--steps", "10", "--restarts", "2", "--quiet", "--out", out)
    assert r.returncode == 0, r.stderr
    ps = load(out)
    assert ps.K == 4 and ps.Q is None and ps.made_by["command"].startswith(
        "python -m quant.amos_train train --act sigmoid --K 4")


# ---- the shipped sets ------------------------------------------------------------------------

SHIPPED = [("sigmoid", 8), ("silu", 12)]


@pytest.mark.parametrize("act,K", SHIPPED)
def test_shipped_Q8_beats_or_matches_fs(act, K):
    amos = load(amos_path(act, K, 8))
    fs = load_fs(shipped_path(act, K, 8))
    assert amos.Q == fs.Q == 8 and amos.K == fs.K and amos.interval == fs.interval
    # every representable input of the interval, F = Q-4 (the default cores' inputs)
    lo, hi = input_range(amos.interval, 4)
    n = np.arange(lo, hi + 1)
    want = get_activation(act)(n / 16)
    a_val, _ = amos_int(n, *amos.to_hw(4)[:4])
    q = fs.qformat
    f_val, _ = fs_int(n, q.to_hw(fs.T, 4), q.to_hw(fs.h, 4), list(fs.d))
    mse_amos = np.mean((a_val / 16 - want) ** 2)
    mse_fs = np.mean((f_val / 16 - want) ** 2)
    assert mse_amos <= mse_fs


@pytest.mark.parametrize("act,K", SHIPPED)
def test_shipped_float_at_least_as_good_as_fs(act, K):
    amos = load(amos_path(act, K))
    fs = load_fs(shipped_path(act, K))
    c, T, h, d, _ = amos.values()
    a = mse_by_region(lambda x: amos_float(x, c, T, h, d)[0], act, amos.interval)
    f = mse_by_region(lambda x: fs_float(x, *fs.values())[0], act, fs.interval)
    whole = list(a)[-1]
    assert a[whole] <= f[whole] * 1.0001


def test_shipped_mul():
    for Q in (None, 8):
        ps = load(amos_path("mul", 40, Q))
        assert ps.two_input and ps.K == 40 and ps.interval == (-1.0, 1.0) and ps.Q == Q
    # float: MSE of x*y on a dense grid of [-1, 1]^2; the AMOS paper reports 0.0102
    ps = load(amos_path("mul", 40))
    g = np.linspace(-1, 1, 301)
    gx, gy = np.meshgrid(g, g)
    c, T, h, d, c2 = ps.values()
    out, _ = amos_float(gx, c, T, h, d, y=gy, c2=c2)
    assert np.mean((out - gx * gy) ** 2) < 0.0102
    assert grid_mse_amos(load(amos_path("mul", 40, 8))) < 0.0102


@pytest.mark.parametrize("name", ["amos_sigmoid_K8", "amos_silu_K12", "amos_mul_K40"])
def test_shipped_sets_record_their_command(name):
    for suffix in ("", "_Q8"):
        ps = load(amos_path(*_split(name), 8 if suffix else None))
        cmd = ps.made_by["command"]
        assert cmd.startswith("python -m quant.amos_train train") and f"{name}{suffix}.json" in cmd


def _split(name):
    _, act, k = name.split("_")
    return act, int(k[1:])


def test_docs_results_table_is_current():
    """docs/amos.md shows the table `python -m quant.amos_train report` prints for the
    shipped files (no hand-copied figures)."""
    from clirun import ROOT
    from quant.amos_train import results_table

    assert results_table() in (ROOT / "docs" / "amos.md").read_text()
