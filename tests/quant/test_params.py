"""The parameter-file loader (quant.params) accepts good sets and rejects malformed ones with
one-line messages."""

import json

import pytest

from quant.params import FSParamSet, ParamError, load, loads, save

GOOD_FLOAT = {"activation": "silu", "K": 3, "interval": [-8, 12],
              "T": [0.5, -1.0, 2.0], "h": [1.0, 1.5, 0.25], "d": [0.5, 0.25, -0.125]}
GOOD_Q = {"activation": "sigmoid", "K": 2, "interval": [-10, 10], "Q": 8,
          "T": [-128, 127], "h": [3, 0], "d": [16, -1]}


def test_good_sets_load_and_round_trip(tmp_path):
    for obj in (GOOD_FLOAT, GOOD_Q):
        s = loads(json.dumps(obj))
        path = tmp_path / "p.json"
        save(s, path)
        assert load(path) == s
        assert json.loads(path.read_text())["T"] == obj["T"]


def test_values_of_codes():
    s = loads(json.dumps(GOOD_Q))
    T, h, d = s.values()
    assert list(T) == [-8.0, 127 / 16] and list(d) == [1.0, -1 / 16]


def test_quantized_rounds_float_set():
    s = loads(json.dumps(GOOD_FLOAT)).quantized(8)
    assert s.Q == 8 and s.T == (8, -16, 32) and s.d == (8, 4, -2)


def bad(**changes):
    obj = dict(GOOD_Q if "Q" in changes.get("_base", "") else GOOD_FLOAT)
    obj.pop("_base", None)
    for k, v in changes.items():
        if k == "_base":
            continue
        if v is KeyError:
            obj.pop(k)
        else:
            obj[k] = v
    return obj


@pytest.mark.parametrize("obj,message", [
    (bad(T=[0.5, 1.0]), "'T' has 2 entries, K=3 needs 3"),
    (bad(d=[0.5, 0.25, 0.1, 0.2]), "'d' has 4 entries, K=3 needs 3"),
    (bad(h=[1.0, float("nan"), 0.0]), r"h\(2\) = nan is not finite"),
    (bad(h=[1.0, float("inf"), 0.0]), r"h\(2\) = inf is not finite"),
    (bad(T=[0.5, 9.0, 0.0]), r"T\(2\) = 9.0 is outside \[-8, 8\]"),
    (bad(T=[0.5, "x", 0.0]), r"T\(2\) = 'x' is not a number"),
    (bad(K=0), "'K' must be an integer from 1 to 64, not 0"),
    (bad(K=True), "'K' must be an integer"),
    (bad(interval=[3, 1]), "'interval' must be"),
    (bad(activation=""), "'activation' must be a non-empty string"),
    (bad(extra=1), "unknown key"),
    (bad(d=KeyError), "missing key"),
    (dict(GOOD_Q, T=[-129, 0]), r"T\(1\) = -129 is out of range for Q=8 \[-128, 127\]"),
    (dict(GOOD_Q, d=[1.5, 0]), r"d\(1\) = 1.5 is not an integer code"),
    (dict(GOOD_Q, h=[1.0, 0]), r"h\(1\) = 1.0 is not an integer code"),
    (dict(GOOD_Q, Q=17), "'Q' must be an integer from 2 to 16, not 17"),
    (dict(GOOD_Q, made_by=[1]), "'made_by' must be an object"),
])
def test_malformed_sets_rejected(tmp_path, obj, message):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(obj))
    with pytest.raises(ParamError, match=message) as info:
        load(path)
    text = str(info.value)
    assert "\n" not in text and text.startswith(str(path))


def test_not_json_and_missing_file(tmp_path):
    path = tmp_path / "x.json"
    path.write_text("{not json")
    with pytest.raises(ParamError, match="not valid JSON"):
        load(path)
    with pytest.raises(ParamError, match="no such parameter file"):
        load(tmp_path / "missing.json")
    path.write_text("[1, 2]")
    with pytest.raises(ParamError, match="expected a JSON object"):
        load(path)


def test_dataclass_validates_too():
    with pytest.raises(ParamError, match="'T' has 1 entries"):
        FSParamSet("silu", 2, (-1.0, 1.0), (0.0,), (0.0, 0.0), (0.0, 0.0))
