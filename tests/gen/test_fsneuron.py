"""gen.fsneuron as a library: configuration checks, resolution, width derivations, manifest."""

import json
import math

import numpy as np
import pytest
from amaranth.hdl import Fragment

from fsneuron_sets import published_set, random_set, write_set
from gen import generate as generate_ir
from gen.fsneuron import FSConfig, resolve, step_ranges
from quant.metrics import representable_inputs
from gen.widths import signed_range, signed_width
from quant.activations import get_activation
from quant.fixed import QFormat
from quant.params import FSParamSet, save
from sim.fs import fs_int, fs_int_bounds, relu_schedule

MANIFEST_KEYS = ["core", "top", "verilog", "latency", "ii", "ports", "activation", "K", "Q",
                 "lanes", "arch", "input", "output", "T", "h", "d", "interval"]


@pytest.fixture(scope="module")
def silu_file(tmp_path_factory):
    return write_set(published_set("silu_K16", 8), tmp_path_factory.mktemp("sets"), "silu_K16_Q8")


@pytest.fixture(scope="module")
def silu_float_file(tmp_path_factory):
    return write_set(published_set("silu_K16"), tmp_path_factory.mktemp("sets"), "silu_K16")


# ---- configuration checks: ValueError/TypeError naming the bad value -------------------------

@pytest.mark.parametrize("fields,exc,fragment", [
    ({"K": 0}, ValueError, "K must be between 1 and 32, not 0"),
    ({"K": 33}, ValueError, "not 33"),
    ({"K": 2.0}, TypeError, "K must be an integer, not 2.0"),
    ({"Q": 1}, ValueError, "Q must be between 2 and 16, not 1"),
    ({"Q": 17}, ValueError, "not 17"),
    ({"lanes": 0}, ValueError, "lanes must be between 1 and 1024, not 0"),
    ({"arch": "pipelined"}, ValueError, "'pipelined'"),
    ({"width": 0}, ValueError, "input width W must be between 1 and 64, not 0"),
    ({"width": 65}, ValueError, "not 65"),
    ({"frac": 1.5}, TypeError, "1.5"),
    ({"name": "9lives"}, ValueError, "'9lives' is not a Verilog identifier"),
    ({"act": ""}, ValueError, "activation"),
    ({"act": 3}, ValueError, "3"),
])
def test_config_rejects(fields, exc, fragment):
    with pytest.raises(exc, match=None) as info:
        FSConfig(**fields)
    assert fragment in str(info.value)


@pytest.mark.parametrize("fields,fragment", [
    ({"act": "tanh"}, "unknown activation 'tanh'"),
    ({"act": "relu", "K": 10, "width": 10}, "W=10 cannot hold the ReLU thresholds"),
    ({"act": "relu", "K": 10, "frac": -1}, "F=-1 is negative"),
    ({"act": "nosuchfile.json"}, "no such parameter file"),
])
def test_resolve_rejects(fields, fragment):
    with pytest.raises(ValueError) as info:
        resolve(FSConfig(**fields))
    assert fragment in str(info.value)


def test_missing_trained_set_lists_sets_and_command():
    with pytest.raises(ValueError) as info:
        resolve(FSConfig(act="silu", K=7, Q=5))
    msg = str(info.value)
    assert "no trained silu set for K=7 Q=5" in msg
    assert "available silu sets:" in msg
    assert "python -m quant train --act silu --K 7 --Q 5 --out quant/params/silu_K7_Q5.json" in msg
    assert "\n" not in msg


def test_params_file_contradictions(silu_file):
    with pytest.raises(ValueError, match="--Q 6 contradicts the parameter set, which holds Q=8"):
        resolve(FSConfig(act=str(silu_file), Q=6))
    with pytest.raises(ValueError, match="--K 12 contradicts the parameter set, which has K=16"):
        resolve(FSConfig(act=str(silu_file), K=12))
    # the same values are fine
    assert resolve(FSConfig(act=str(silu_file), K=16, Q=8)).Q == 8


def test_trained_width_and_fraction_checks(silu_file):
    with pytest.raises(ValueError, match=r"F=3 cannot hold Q=8 parameters.*F >= 4"):
        resolve(FSConfig(act=str(silu_file), frac=3))
    ir = resolve(FSConfig(act=str(silu_file)))
    need = signed_width(min(ir.T + ir.h), max(ir.T + ir.h))
    with pytest.raises(ValueError, match=f"W={need - 1} cannot hold the parameters.*W >= {need}"):
        resolve(FSConfig(act=str(silu_file), width=need - 1))
    assert resolve(FSConfig(act=str(silu_file), width=need)).W == need


# ---- resolution -------------------------------------------------------------------------------

@pytest.mark.parametrize("K", [1, 4, 10, 32])
def test_relu_defaults(K):
    ir = resolve(FSConfig(act="relu", K=K))
    T, h, d = relu_schedule(K)
    assert (ir.T, ir.h, ir.d) == (T, h, d)
    assert (ir.W, ir.F, ir.Fout, ir.Q) == (K + 2, 0, 0, None)
    assert ir.rom is None and ir.rom_bits == 0
    assert ir.name == f"fs_relu_k{K}"
    assert ir.mse["value"] == 0.0           # exact on [0, 2^K)
    m = ir.manifest()
    assert m["Q"] is None and m["interval"] == [0, 1 << K]
    assert (m["latency"], m["ii"]) == (K + 1, K)
    u = resolve(FSConfig(act="relu", K=K, arch="unrolled"))
    assert (u.latency, u.ii, u.name) == (K, 1, f"fs_relu_k{K}_unrolled")


def test_relu_with_fraction_scales_thresholds_only():
    ir = resolve(FSConfig(act="relu", K=6, frac=3))
    assert ir.T == [v << 3 for v in relu_schedule(6)[0]] == ir.h
    assert ir.d == relu_schedule(6)[2] and ir.Fout == 0 and ir.W == 6 + 2 + 3
    x = np.arange(*signed_range(ir.W))
    value, _ = fs_int(x, ir.T, ir.h, ir.d)
    assert np.array_equal(value, np.clip(x >> 3, 0, 63))


def test_relu_ignores_q_and_says_so():
    ir = resolve(FSConfig(act="relu", K=10, Q=8))
    assert ir.Q is None and any("Q=8 ignored" in n for n in ir.notes)


def test_trained_defaults(silu_file):
    ir = resolve(FSConfig(act=str(silu_file)))
    pset = published_set("silu_K16", 8)
    q = QFormat(8)
    assert (ir.K, ir.Q, ir.F, ir.Fout) == (16, 8, 4, 4)
    assert ir.T == q.to_hw(pset.T, 4) and ir.h == q.to_hw(pset.h, 4) and ir.d == list(pset.d)
    # W just wide enough: [-8, 12) at F=4 is [-128, 191] -> 9 bits, and 8 bits would not do
    assert ir.W == 9 == signed_width(-128, 191)
    assert ir.name == "fs_silu_k16_q8" and ir.params_source == "silu_K16_Q8.json"
    assert ir.codes == {"T": list(pset.T), "h": list(pset.h), "d": list(pset.d)}
    assert (ir.latency, ir.ii) == (17, 16)
    assert ir.rom == (16, sum(ir.widths[k]["width"] for k in ("rom_T", "rom_h", "rom_d")))


def test_float_file_is_rounded_and_named(silu_float_file):
    ir = resolve(FSConfig(act=str(silu_float_file), Q=10))
    assert ir.Q == 10 and any("rounded to Q=10" in n for n in ir.notes)
    assert ir.name == "fs_silu_k16_q10"
    assert ir.codes["T"] == list(published_set("silu_K16", 10).T)
    assert resolve(FSConfig(act=str(silu_float_file))).Q == 8


def test_paramset_object_and_names(silu_file):
    pset = published_set("silu_K16", 8)
    assert resolve(FSConfig(act=pset)).name == "fs_silu"
    assert resolve(FSConfig(act=str(silu_file), arch="unrolled", lanes=4)).name == \
        "fs_silu_k16_q8_unrolled_x4"
    assert resolve(FSConfig(act=str(silu_file), width=12, frac=6)).name == "fs_silu_k16_q8_w12f6"
    assert resolve(FSConfig(act=str(silu_file), name="my_core")).name == "my_core"
    assert resolve(FSConfig(act="relu", K=8, frac=2)).name == "fs_relu_k8_w12f2"


@pytest.mark.parametrize("Q", [2, 3])
def test_small_q_gives_negative_fraction(tmp_path, Q):
    """Q < 4: codes are multiples of 2^(4-Q) > 1, so the default input fraction is negative."""
    path = write_set(random_set(4, Q, seed=Q), tmp_path, "r")
    ir = resolve(FSConfig(act=str(path)))
    assert ir.F == Q - 4 == ir.Fout
    assert ir.T == [int(c) for c in random_set(4, Q, seed=Q).T]


# ---- widths: derived from value ranges, sound at the extremes ----------------------------------

def _trace(x, T, h, d):
    """Every v(t) and running sum for inputs x (exact, int64): arrays of shape (K+1, len(x))."""
    v = x.astype(np.int64).copy()
    acc = np.zeros_like(v)
    vs, accs = [v.copy()], [acc.copy()]
    for Tt, ht, dt in zip(T, h, d):
        z = v >= Tt
        v = v - ht * z
        acc = acc + dt * z
        vs.append(v.copy())
        accs.append(acc.copy())
    return np.array(vs), np.array(accs)


def check_ranges(x, T, h, d, steps):
    """Assert that every reachable v(t) and running sum lies inside the derived ranges."""
    vs, accs = _trace(x, T, h, d)
    for t, s in enumerate(steps):
        lo, hi = s["v"]
        if not (lo <= vs[t].min() and vs[t].max() <= hi):
            raise AssertionError(f"v({t + 1}) reaches [{vs[t].min()}, {vs[t].max()}] outside "
                                 f"[{lo}, {hi}]")
        lo, hi = s["acc"]
        if not (lo <= accs[t].min() and accs[t].max() <= hi):
            raise AssertionError(f"sum before step {t + 1} reaches [{accs[t].min()}, "
                                 f"{accs[t].max()}] outside [{lo}, {hi}]")


WIDTH_CASES = [
    ("relu", lambda: FSConfig(act="relu", K=8)),
    ("relu_f2", lambda: FSConfig(act="relu", K=6, frac=2)),
    ("silu", lambda: FSConfig(act=published_set("silu_K16", 8))),
    ("sigmoid_q10", lambda: FSConfig(act=published_set("sigmoid_K12", 10))),
] + [(f"random{s}", (lambda s=s: FSConfig(act=random_set(6, 6, seed=s), width=10)))
     for s in range(6)]


@pytest.mark.parametrize("case", [c[1] for c in WIDTH_CASES], ids=[c[0] for c in WIDTH_CASES])
@pytest.mark.parametrize("arch", ["shared", "unrolled"])
def test_widths_sound_for_every_input(case, arch):
    cfg = case()
    cfg = FSConfig(**{**cfg.__dict__, "arch": arch})
    ir = resolve(cfg)
    x = np.arange(ir.x_range[0], ir.x_range[1] + 1)        # every W-bit input, extremes included
    check_ranges(x, ir.T, ir.h, ir.d, ir.steps)
    coarse = fs_int_bounds(x[0], x[-1], ir.T, ir.h, ir.d)
    for s in ir.steps:                                      # never looser than the whole-run bound
        assert coarse["v"][0] <= s["v"][0] and s["v"][1] <= coarse["v"][1]
    for key, w in ir.widths.items():                        # each width is that of its range
        assert w["width"] == signed_width(*w["range"]), key
    value, _ = fs_int(x, ir.T, ir.h, ir.d)
    assert ir.widths["out"]["range"][0] <= value.min() <= value.max() <= \
        ir.widths["out"]["range"][1]
    assert ir.Wout == ir.widths["out"]["width"]
    if arch == "shared":
        assert ir.widths["v"]["range"] == (min(s["v"][0] for s in ir.steps[:ir.K]),
                                           max(s["v"][1] for s in ir.steps[:ir.K]))
    else:
        for t in range(2, ir.K + 1):
            assert ir.widths[f"v{t}"]["range"] == ir.steps[t - 1]["v"]


def test_range_checker_catches_an_unsound_bound():
    T, h, d = [3, -2, 1], [5, -4, 2], [2, -3, 1]
    x = np.arange(-16, 16)
    good = step_ranges(-16, 15, T, h, d)
    check_ranges(x, T, h, d, good)
    bad = [dict(s) for s in good]
    bad[2]["v"] = (bad[2]["v"][0], bad[2]["v"][1] - 1)       # one short at the top
    with pytest.raises(AssertionError, match=r"v\(3\)"):
        check_ranges(x, T, h, d, bad)


def test_step_ranges_match_hand_derivation():
    # one step, T=2, h=5, d=7 over x in [-4, 3]: fire for x in [2, 3] -> v in [-3, -2];
    # rest for x in [-4, 1]; so v(2) in [-4, 1], output in [0, 7]
    s = step_ranges(-4, 3, [2], [5], [7])
    assert s[0] == {"v": (-4, 3), "acc": (0, 0), "can_fire": True, "can_rest": True}
    assert s[1]["v"] == (-4, 1) and s[1]["acc"] == (0, 7)
    # a threshold below the range always fires: no silent branch
    s = step_ranges(0, 3, [-1], [1], [2])
    assert s[0]["can_rest"] is False and s[1]["v"] == (-1, 2) and s[1]["acc"] == (2, 2)


# ---- manifest and files -------------------------------------------------------------------------

def test_manifest_keys_and_values(silu_file):
    ir = resolve(FSConfig(act=str(silu_file), lanes=2))
    core, man = ir.component(), ir.manifest()
    assert list(man)[:len(MANIFEST_KEYS)] == MANIFEST_KEYS
    assert man["core"] == "fsneuron" and man["top"] == "fs_silu_k16_q8_x2"
    assert man["verilog"] == "fs_silu_k16_q8_x2.v"
    assert man["activation"] == "silu" and man["arch"] == "shared" and man["lanes"] == 2
    assert man["input"] == {"width": 9, "frac": 4}
    assert man["output"]["frac"] == 4 and man["interval"] == [-8, 12]
    assert len(man["T"]) == len(man["h"]) == len(man["d"]) == 16
    assert all(type(v) is int for k in ("T", "h", "d") for v in man[k])
    json.dumps(man)                                         # plain JSON
    assert "/" not in man["source"]                         # no absolute paths
    Fragment.get(core, None)
    assert core.i.payload.shape().size == 2 * 9
    assert core.o.payload.shape().size == 2 * (16 + man["output"]["width"])


def test_mse_is_the_integer_core_against_the_activation(silu_file):
    ir = resolve(FSConfig(act=str(silu_file)))
    x = np.arange(-128, 192)                                # every input in [-8, 12) at F=4
    assert np.array_equal(representable_inputs(ir.interval, ir.F, ir.W)[0], x)
    value, _ = fs_int(x, ir.T, ir.h, ir.d)
    err = value / 16 - get_activation("silu")(x / 16)
    assert ir.mse["value"] == pytest.approx(float(np.mean(err ** 2)), rel=1e-5)
    assert ir.mse["inputs"] == 320 and ir.mse["stride"] == 1


def test_mse_subsamples_huge_inputs():
    pset = random_set(3, 16, seed=1, interval=(-8, 8))
    ir = resolve(FSConfig(act=pset, frac=30, width=40))
    assert ir.mse["stride"] > 1 and ir.mse["inputs"] <= (1 << 22)


def test_generate_is_deterministic_and_atomic(tmp_path, silu_file):
    a = generate_ir(resolve(FSConfig(act=str(silu_file))), tmp_path / "a")
    b = generate_ir(resolve(FSConfig(act=str(silu_file))), tmp_path / "b")
    assert a.verilog.read_bytes() == b.verilog.read_bytes()
    assert a.manifest.read_bytes() == b.manifest.read_bytes()
    text = a.verilog.read_text()
    assert "module fs_silu_k16_q8(" in text and str(tmp_path) not in text
    assert json.loads(a.manifest.read_text()) == a.ir.manifest()
    # an output "folder" that is a file: nothing written
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ValueError, match="is a file"):
        generate_ir(resolve(FSConfig(act="relu", K=4)), blocker)


def test_expression_activation_mse(tmp_path):
    pset = random_set(4, 8, seed=2)
    pset = FSParamSet("x*tanh(softplus(x))", pset.K, pset.interval, pset.T, pset.h, pset.d, Q=8)
    path = tmp_path / "mish_K4_Q8.json"
    save(pset, path)
    ir = resolve(FSConfig(act=str(path)))
    assert ir.activation == "x*tanh(softplus(x))" and math.isfinite(ir.mse["value"])
    assert ir.name == "fs_mish_k4_q8"
    pset = FSParamSet("not a function(", pset.K, pset.interval, pset.T, pset.h, pset.d, Q=8)
    assert resolve(FSConfig(act=pset)).mse is None
