"""AMOS training (quant.amos_train) and the shipped AMOS sets.

The shipped sets are checked with the golden models only (not their ``made_by`` records): at
the same K and Q the AMOS set's MSE over every representable input of the interval is at most
the FS set's, and the float sets are at least as good as the FS float sets they started from.
"""

import json

import numpy as np
import pytest

from clirun import run_cli
from quant.activations import get_activation, mse_by_region
from quant.amos_params import amos_path, input_range, load
from quant.amos_train import grid_mse_amos, train_amos
from quant.params import FSParamSet, load as load_fs, shipped_path
from quant.stages import Budget
from sim.amos import amos_float, amos_int
from sim.fs import fs_float, fs_int


# ---- training ------------------------------------------------------------------------------

def tiny_fs(Q=None):
    """A small FS set (no training needed): a rough sigmoid with K = 4."""
    T, h, d = (-1.0, 0.0, 1.0, 2.5), (2.0, 1.0, 1.0, 1.0), (0.25, 0.25, 0.25, 0.25)
    fs = FSParamSet("sigmoid", 4, (-10.0, 10.0), T, h, d)
    return fs.quantized(Q) if Q else fs


def test_training_never_loses_to_the_fs_start():
    fs, fs_q = tiny_fs(), tiny_fs(8)
    pytest.importorskip("torch")
    float_set, q_set = train_amos("sigmoid", 4, 8, fs=fs, fs_q=fs_q, show_progress=False,
                                  budget=Budget(steps=40, restarts=3, qat_steps=20,
                                                qat_restarts=3, search_iters=10),
                                  polish_iters=30)
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
    assert grid_mse_amos(q_set) <= fs_q.representable_mse()["value"]
    assert grid_mse_amos(q_set) < fs_q.representable_mse()["value"]   # and here it improves
    assert q_set.made_by["init"]["fs"] == {"set": "sigmoid_K4_Q8", "command": None}


def test_training_is_deterministic():
    pytest.importorskip("torch")
    kw = dict(fs=tiny_fs(), show_progress=False, budget=Budget(steps=15, restarts=2,
                                                               search_iters=3))
    a, _ = train_amos("sigmoid", 4, **kw)
    b, _ = train_amos("sigmoid", 4, **kw)
    assert a == b


def test_train_rejects_bad_requests(tmp_path):
    with pytest.raises(ValueError, match="relu is analytic"):
        train_amos("relu", 4)
    with pytest.raises(ValueError, match="need Q >= 4"):
        train_amos("mul", 4, Q=3)
    with pytest.raises(ValueError, match="'mul' is a two-input function: its loss weights"):
        train_amos("mul", 4, weights=lambda x: x)
    with pytest.raises(ValueError, match="python -m quant train --act tanh --K 5"):
        train_amos("tanh", 5, fs=tmp_path / "nope.json")
    with pytest.raises(ValueError, match="the FS set is sigmoid K=4"):
        train_amos("sigmoid", 5, fs=tiny_fs())


def test_cli_trains_a_set(tmp_path):
    fs = tmp_path / "fs.json"
    fs.write_text(json.dumps(tiny_fs().to_dict()))
    out = tmp_path / "amos.json"
    r = run_cli("quant", "amos", "train", "--act", "sigmoid", "--K", "4", "--fs", "fs.json",
                "--steps", "10", "--restarts", "2", "--quiet", "--out", "amos.json",
                cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    ps = load(out)
    assert ps.K == 4 and ps.Q is None
    assert ps.made_by["command"] == ("python -m quant amos train --act sigmoid --K 4 --fs "
                                     "fs.json --seed 0 --steps 10 --restarts 2 --out amos.json")
    assert "AMOS sigmoid K=4: MSE [-2,2]" in r.stderr


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
        assert cmd == (f"python -m quant amos train --act {_split(name)[0]} --K {_split(name)[1]}"
                       + (" --Q 8" if suffix else "")
                       + f" --seed 0 --out quant/params/{name}{suffix}.json")


def _split(name):
    _, act, k = name.split("_")
    return act, int(k[1:])


def test_docs_results_table_is_current():
    """docs/amos.md shows the table `python -m quant amos report` prints for the shipped files
    (no hand-copied figures)."""
    from clirun import ROOT
    from quant.amos_report import results_table

    assert results_table() in (ROOT / "docs" / "amos.md").read_text()
