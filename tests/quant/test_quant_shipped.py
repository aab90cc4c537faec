"""The shipped FS parameter sets: present, well-formed, honest about their errors, on target;
and the published baselines the targets are measured against (evaluation only, no training)."""

import json
import shlex

import numpy as np
import pytest

from quant.activations import mse_by_region
from quant.params import PARAMS_DIR, FSParamSet, load
from quant.report import check_targets, published_baseline
from quant.train import grid_mse
from sim.fs import fs_float

FLOAT = ["silu_K16", "sigmoid_K12", "silu_K8", "silu_K12", "sigmoid_K8"]
EXPECTED = (FLOAT + [f"{n}_Q8" for n in FLOAT]
            + [f"silu_K16_Q{Q}" for Q in range(4, 13)]
            + [f"sigmoid_K12_Q{Q}" for Q in range(4, 13)])
EXPECTED = sorted(set(EXPECTED))

#: The targets of docs/quant.md, restated here so that this test does not trust the report
#: module.
TARGETS = {
    "silu_K16": {"[-2,2]": 0.002394, "[-8,-2]U[2,12]": 0.003708},
    "sigmoid_K12": {"[-10,10]": 1.438e-4},
    "silu_K16_Q8": {"[-8,12]": 0.0045, "[-2,2]": 0.0030},
    "sigmoid_K12_Q8": {"[-10,10]": 8e-4},
}
#: The FS core's figure: SiLU K=16 Q=8 over every x = n/16 in [-8, 12), integer model.
CORE_GRID_TARGET = 0.0050


def shipped():
    return sorted(p.stem for p in PARAMS_DIR.glob("*.json") if not p.stem.startswith("amos_"))


def mse(pset):
    T, h, d = pset.values()
    return mse_by_region(lambda x: fs_float(x, T, h, d)[0], pset.activation, pset.interval)


def test_every_expected_set_is_shipped():
    assert shipped() == EXPECTED


@pytest.mark.parametrize("name", EXPECTED)
def test_set_is_well_formed_and_its_record_is_true(name):
    path = PARAMS_DIR / f"{name}.json"
    pset = load(path)
    act, K, *rest = name.split("_")
    assert pset.activation == act and pset.K == int(K[1:])
    assert pset.Q == (int(rest[0][1:]) if rest else None)
    raw = json.loads(path.read_text())
    assert list(raw) == (["activation", "K", "interval"] + (["Q"] if rest else [])
                         + ["T", "h", "d", "made_by"])
    assert pset.interval == {"silu": (-8.0, 12.0), "sigmoid": (-10.0, 10.0)}[act]
    made_by = pset.made_by
    assert set(made_by) == {"command", "seed", "mse"}
    words = shlex.split(made_by["command"])
    assert words[:3] == ["python", "-m", "quant"] and words[3] == "train"
    assert words[words.index("--out") + 1] == f"quant/params/{name}.json"
    assert words[words.index("--K") + 1] == K[1:]
    # the recorded errors are the set's errors
    for region, value in mse(pset).items():
        assert made_by["mse"][region] == pytest.approx(value, rel=1e-5), region


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_set_meets_its_target(name):
    pset = load(PARAMS_DIR / f"{name}.json")
    measured = mse(pset)
    for region, bound in TARGETS[name].items():
        assert measured[region] <= bound, (name, region, measured[region], bound)


def test_silu_q8_meets_the_fs_core_grid_target():
    pset = load(PARAMS_DIR / "silu_K16_Q8.json")
    assert grid_mse(pset) <= CORE_GRID_TARGET
    # grid_mse is x = n/16 over [-8, 12) through the exact integer model
    x = np.arange(-128, 192) / 16
    out = fs_float(x, *pset.values())[0]
    want = np.mean((out - x / (1 + np.exp(-x))) ** 2)
    assert grid_mse(pset) == pytest.approx(want, rel=1e-5)


def test_quantized_sets_beat_the_rounded_published_sets():
    for name, Qs in (("silu_K16", range(4, 13)), ("sigmoid_K12", range(4, 13))):
        act, K = name.split("_")
        for Q in Qs:
            ours = mse(load(PARAMS_DIR / f"{name}_Q{Q}.json"))
            base = published_baseline(act, int(K[1:]), Q)
            T, h, d = base.values()
            pub = mse_by_region(lambda x: fs_float(x, T, h, d)[0], act, base.interval)
            whole = list(ours)[-1]
            assert ours[whole] < pub[whole], (name, Q, ours[whole], pub[whole])


def test_target_checks_catch_a_corrupted_set(tmp_path):
    # the checks above must be able to fail: zeroed output weights, or one code moved
    good = load(PARAMS_DIR / "silu_K16_Q8.json")
    broken = FSParamSet(good.activation, good.K, good.interval, good.T, good.h,
                        (0,) * good.K, Q=good.Q, made_by=good.made_by)
    assert not all(ok for *_, ok in check_targets({"silu_K16_Q8": broken}))
    assert all(ok for *_, ok in check_targets({"silu_K16_Q8": good}))
    assert mse(broken)["[-8,12]"] > TARGETS["silu_K16_Q8"]["[-8,12]"]
    # a single code changed no longer matches the recorded errors
    d = list(good.d)
    d[1] += 3
    moved = FSParamSet(good.activation, good.K, good.interval, good.T, good.h, tuple(d),
                       Q=good.Q)
    assert mse(moved)["[-8,12]"] != pytest.approx(good.made_by["mse"]["[-8,12]"], rel=1e-5)


@pytest.mark.parametrize("act,K,Q,whole,expected,tol", [
    ("silu", 16, 8, "[-8,12]", 0.0059, 1e-4),
    ("sigmoid", 12, 8, "[-10,10]", 5.3e-3, 1e-4),
    ("silu", 16, None, "[-8,12]", 0.003445, 1e-6),
    ("sigmoid", 12, None, "[-10,10]", 1.438e-4, 1e-7),
])
def test_published_baselines(act, K, Q, whole, expected, tol):
    # the published floats' figures (quant/published/README.md), and rounded to Q=8 codes after
    # clipping
    # their out-of-range values into [-8, 8]
    base = published_baseline(act, K, Q)
    T, h, d = base.values()
    if Q is not None:
        assert np.all(np.abs(T) <= 8) and np.all(np.abs(h) <= 8)
        assert np.all(np.remainder(np.concatenate([T, h, d]) * 2 ** (Q - 4), 1) == 0)
    got = mse_by_region(lambda x: fs_float(x, T, h, d)[0], act, base.interval)[whole]
    assert got == pytest.approx(expected, abs=tol)
