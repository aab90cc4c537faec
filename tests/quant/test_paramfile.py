"""The parameter-file format both neuron kinds share (quant.paramfile): reading, writing, the
common checks with one-line messages, codes; every shipped file reads and writes back byte for
byte."""

import json

import numpy as np
import pytest

from param_files import changed, rejected
from quant.amos_params import AmosParamSet
from quant.paramfile import PARAMS_DIR, ParamError
from quant.params import FSParamSet, PUBLISHED_DIR, load_published

FS = {"activation": "silu", "K": 3, "interval": [-8, 12],
      "T": [0.5, -1.0, 2.0], "h": [1.0, 1.5, 0.25], "d": [0.5, 0.25, -0.125]}
AMOS = {"activation": "mul", "K": 2, "interval": [-1, 1], "Q": 8,
        "c": [16, -3], "c2": [5, 127], "T": [-128, 127], "h": [[0, 0], [3, 0]], "d": [16, -1]}
KINDS = [(FSParamSet, FS), (AmosParamSet, AMOS)]


def load_text(cls, tmp_path, text):
    return rejected(tmp_path, cls.load, None, text)


@pytest.mark.parametrize("cls,good", KINDS)
def test_round_trip(tmp_path, cls, good):
    s = cls.loads(json.dumps(good))
    path = tmp_path / "p.json"
    s.save(path)
    assert cls.load(path) == s
    assert json.loads(path.read_text()) == good


@pytest.mark.parametrize("cls,good", KINDS)
@pytest.mark.parametrize("changes,message", [
    (dict(extra=1), "unknown key(s) 'extra' (allowed: activation, K, interval, "),
    (dict(T=KeyError), "missing key(s) 'T'"),
    (dict(T=None), "'T' must be a list of"),
    (dict(K=0), "'K' must be an integer from 1 to 64, not 0"),
    (dict(K=True), "'K' must be an integer from 1 to 64, not True"),
    (dict(interval=[3, 1]), "'interval' must be [lo, hi] with finite lo < hi, not [3, 1]"),
    (dict(interval=[0, float("inf")]), "'interval' must be [lo, hi]"),
    (dict(activation=" "), "'activation' must be a non-empty string, not ' '"),
    (dict(Q=17), "'Q' must be an integer from 2 to 16, not 17"),
    (dict(made_by=[1]), "'made_by' must be an object, not list"),
])
def test_common_checks(tmp_path, cls, good, changes, message):
    assert message in load_text(cls, tmp_path, json.dumps(changed(good, **changes)))


@pytest.mark.parametrize("cls,good", KINDS)
def test_unreadable_files(tmp_path, cls, good):
    assert "not valid JSON" in load_text(cls, tmp_path, "{not json")
    assert "not valid JSON" in load_text(cls, tmp_path, "")
    assert "expected a JSON object, not list" in load_text(cls, tmp_path, "[1, 2]")
    text = json.dumps(changed(good, interval=[0, 1])).replace("[0, 1]", "[0, NaN]")
    assert "'interval' must be [lo, hi] with finite lo < hi, not [0, nan]" in \
        load_text(cls, tmp_path, text)
    with pytest.raises(ParamError, match="no such parameter file"):
        cls.load(tmp_path / "missing.json")
    with pytest.raises(ParamError, match=r"cannot read \(IsADirectoryError\)"):
        cls.load(tmp_path)


@pytest.mark.parametrize("cls,good", KINDS)
def test_built_sets_are_checked_too(cls, good):
    s = cls.loads(json.dumps(good))
    with pytest.raises(ParamError, match=r"^[A-Za-z ]*parameter set: 'K' must be"):
        s.with_made_by(None).__class__(**{**s.__dict__, "K": 0})


def test_codes_values_and_quantizing():
    s = FSParamSet.loads(json.dumps(FS))
    with pytest.raises(ValueError, match="a float set has no codes"):
        s.codes()
    q = s.quantized(8)
    # nearest code of the value * 16, ties to even
    assert {k: v.tolist() for k, v in q.codes().items()} == \
        {"T": [8, -16, 32], "h": [16, 24, 4], "d": [8, 4, -2]}
    assert {k: list(v) for k, v in q.arrays().items()} == \
        {"T": [0.5, -1.0, 2.0], "h": [1.0, 1.5, 0.25], "d": [0.5, 0.25, -0.125]}
    with pytest.raises(ValueError, match="already quantized to Q=8"):
        q.quantized(6)
    a = AmosParamSet.loads(json.dumps(AMOS))
    assert a.arrays()["h"].tolist() == [[0, 0], [3 / 16, 0]] and a.name == "amos_mul_K2_Q8"
    assert a.provenance() == {"set": "amos_mul_K2_Q8", "command": None}


def shipped_files():
    return sorted(PARAMS_DIR.glob("*.json"))


@pytest.mark.parametrize("path", shipped_files(), ids=lambda p: p.stem)
def test_shipped_file_reads_and_writes_back_byte_for_byte(tmp_path, path):
    cls = AmosParamSet if path.stem.startswith("amos_") else FSParamSet
    s = cls.load(path)
    assert s.name == path.stem
    s.save(tmp_path / path.name)
    assert (tmp_path / path.name).read_bytes() == path.read_bytes()


@pytest.mark.parametrize("path", sorted(PUBLISHED_DIR.glob("*.json")), ids=lambda p: p.stem)
def test_published_sets_load_unchanged(path):
    raw = json.loads(path.read_text())
    act, K, interval, T, h, d = load_published(path)
    assert (act, K, list(interval)) == (raw["activation"], raw["K"], raw["training_interval"])
    for got, key in ((T, "T"), (h, "h"), (d, "d")):
        assert got.dtype == np.float64 and got.tolist() == raw[key]


def test_bad_published_set_is_one_line(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"activation": "silu", "K": 2, "T": [1, 2], "h": [1, 2],
                                "d": [1]}))
    with pytest.raises(ParamError, match="not a published set") as info:
        load_published(path)
    assert "\n" not in str(info.value)
    path.write_text(json.dumps({"activation": "silu", "K": 2, "training_interval": [0, 1],
                                "T": [1, 2], "h": [1, 2], "d": [1]}))
    with pytest.raises(ParamError, match="T, h, d must have K=2 entries"):
        load_published(path)
