"""The low-spike SiLU sets by name: ``python -m gen fsneuron --act silu_lowspike`` and
``python -m net digits --act silu --params lowspike`` take quant/params/silu_K16_lowspike*.json,
and a variant that does not exist is a one-line error."""

import json

import numpy as np
import pytest

from clirun import assert_usage_error, run_cli
from common.checks import InputError
from quant.params import PARAMS_DIR, load, split_family

LOW8 = PARAMS_DIR / "silu_K16_lowspike_Q8.json"


def test_family_names():
    assert split_family("silu_lowspike") == ("silu", "lowspike")
    assert split_family("silu") == ("silu", None)
    assert split_family("silu_fast") == ("silu_fast", None)        # not a known variant


def test_gen_resolves_the_variant_by_name():
    from gen.fsneuron.ir import FSConfig, resolve

    ir = resolve(FSConfig(act="silu_lowspike", K=16, Q=8))
    pset = load(LOW8)
    assert ir.params_source == "quant/params/silu_K16_lowspike_Q8.json"
    assert ir.name == "fs_silu_lowspike_k16_q8" and ir.activation == "silu"
    assert ir.codes == {"T": list(pset.T), "h": list(pset.h), "d": list(pset.d)}
    plain = resolve(FSConfig(act="silu", K=16, Q=8))
    assert plain.codes != ir.codes and plain.params_source.endswith("silu_K16_Q8.json")
    with pytest.raises(InputError, match="no trained silu_lowspike set for K=8 Q=8.*"
                                         "silu_K16_lowspike_Q8"):
        resolve(FSConfig(act="silu_lowspike", K=8, Q=8))


def test_gen_cli_writes_the_low_spike_core(tmp_path):
    r = run_cli("gen", "fsneuron", "--act", "silu_lowspike", "--K", "16", "--Q", "8", "--out",
                tmp_path)
    assert r.returncode == 0, r.stderr
    manifest = json.loads((tmp_path / "fs_silu_lowspike_k16_q8.json").read_text())
    assert manifest["source"] == "quant/params/silu_K16_lowspike_Q8.json"
    assert (tmp_path / "fs_silu_lowspike_k16_q8.v").exists()
    r = run_cli("gen", "fsneuron", "--act", "silu_lowspike", "--K", "12", "--out", tmp_path / "x")
    assert_usage_error(r, "no trained silu_lowspike set for K=12 Q=8")
    assert not (tmp_path / "x").exists()


def test_net_units_take_the_variant():
    from net.experiment import Config
    from net.units import fs_unit

    unit = fs_unit("silu", 16, 8, variant="lowspike")
    pset = load(LOW8)
    assert unit.source == "quant/params/silu_K16_lowspike_Q8.json"
    assert np.array_equal(unit.params["T"], pset.T) and np.array_equal(unit.params["d"], pset.d)
    assert fs_unit("silu", 16, None, variant="lowspike").source == \
        "quant/params/silu_K16_lowspike.json"
    assert Config(act="silu", K=16, Q=8, params="lowspike").unit(8).source == unit.source
    with pytest.raises(InputError, match="variant lowspike"):
        fs_unit("silu", 8, 8, variant="lowspike")               # no published stand-in
    for kw in (dict(act="relu"), dict(act="silu", coding="amos")):
        with pytest.raises(InputError, match="applies to --coding fs --act silu only"):
            Config(params="lowspike", **kw)


def test_net_digits_cli_uses_the_variant(tmp_path):
    out = tmp_path / "r.json"
    r = run_cli("net", "digits", "--act", "silu", "--K", "16", "--Q", "8", "--params",
                "lowspike", "--epochs", "2", "--quiet", "--json", out)
    assert r.returncode == 0, r.stderr
    assert "parameters: quant/params/silu_K16_lowspike_Q8.json" in r.stdout
    assert json.loads(out.read_text())["act"] == "silu"
    r = run_cli("net", "digits", "--act", "relu", "--params", "lowspike", "--json",
                tmp_path / "no.json")
    assert_usage_error(r, "applies to --coding fs --act silu only")
    r = run_cli("net", "digits", "--act", "silu", "--params", "fast")
    assert_usage_error(r, "--params")
    assert not (tmp_path / "no.json").exists()
