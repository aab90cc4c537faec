"""AMOS parameter files (quant.amos_params): good sets load and round-trip, malformed ones are
rejected with one-line messages, the FS special case and the code -> integer conversion."""

import copy
import json

import numpy as np
import pytest

from quant.amos_params import AmosParamSet, ParamError, load, loads, save
from quant.params import loads as fs_loads
from sim.amos import amos_float, amos_int

GOOD_FLOAT = {"activation": "silu", "K": 3, "interval": [-8, 12],
              "c": [1.0, 0.5, -2.0], "T": [0.5, -1.0, 2.0],
              "h": [[0, 0, 0], [1.5, 0, 0], [0.25, -1.0, 0]], "d": [0.5, 0.25, -0.125]}
GOOD_Q = {"activation": "mul", "K": 2, "interval": [-1, 1], "Q": 8,
          "c": [16, -3], "c2": [5, 127], "T": [-128, 127], "h": [[0, 0], [3, 0]],
          "d": [16, -1]}


def test_good_sets_load_and_round_trip(tmp_path):
    for obj in (GOOD_FLOAT, GOOD_Q):
        s = loads(json.dumps(obj))
        path = tmp_path / "p.json"
        save(s, path)
        assert load(path) == s
        assert json.loads(path.read_text())["h"] == obj["h"]
    assert loads(json.dumps(GOOD_Q)).two_input and not loads(json.dumps(GOOD_FLOAT)).two_input


def test_values_quantized_and_hw():
    s = loads(json.dumps(GOOD_FLOAT)).quantized(8)
    assert s.Q == 8 and s.c == (16, 8, -32) and s.h[2] == (4, -16, 0)
    c, T, h, d, c2 = s.values()
    assert list(c) == [1.0, 0.5, -2.0] and c2 is None and h.shape == (3, 3)
    # T and h shift left by F (units of input LSB x c LSB); c and d stay codes
    c, T, h, d, c2 = s.to_hw(4)
    assert c == [16, 8, -32] and T == [8 << 4, -16 << 4, 32 << 4] and h[1][0] == 24 << 4
    assert d == [8, 4, -2]


def test_hw_integers_give_the_float_unit():
    s = loads(json.dumps(GOOD_FLOAT)).quantized(8)
    F = 5
    x = np.arange(-(8 << F), 12 << F)
    value, _ = amos_int(x, *s.to_hw(F)[:4])
    c, T, h, d, _ = s.values()
    assert np.array_equal(value * 2.0 ** -4, amos_float(x * 2.0 ** -F, c, T, h, d)[0])


def test_float_set_has_no_hw_integers():
    with pytest.raises(ValueError, match="quantize it to a Q first"):
        loads(json.dumps(GOOD_FLOAT)).to_hw(4)


def test_from_fs():
    fs = fs_loads(json.dumps({"activation": "sigmoid", "K": 3, "interval": [-10, 10], "Q": 8,
                              "T": [1, 2, 3], "h": [4, 5, 6], "d": [7, 8, 9],
                              "made_by": {"seed": 3}}))
    a = AmosParamSet.from_fs(fs)
    assert a.c == (16, 16, 16) and a.h == ((0, 0, 0), (4, 0, 0), (4, 5, 0))
    assert a.T == fs.T and a.d == fs.d and a.Q == 8
    fs_low = fs_loads(json.dumps({"activation": "sigmoid", "K": 1, "interval": [-10, 10],
                                  "Q": 3, "T": [1], "h": [1], "d": [1]}))
    with pytest.raises(ValueError, match="needs Q >= 4"):
        AmosParamSet.from_fs(fs_low)


def bad(base, **changes):
    obj = copy.deepcopy(base)
    for k, v in changes.items():
        if v is KeyError:
            obj.pop(k)
        else:
            obj[k] = v
    return obj


def h_with(base, i, j, v):
    h = copy.deepcopy(base["h"])
    h[i][j] = v
    return h


@pytest.mark.parametrize("obj,message", [
    (bad(GOOD_FLOAT, c=[1.0, 2.0]), "'c' has 2 entries, K=3 needs 3"),
    (bad(GOOD_FLOAT, T=[0.5, 1.0]), "'T' has 2 entries, K=3 needs 3"),
    (bad(GOOD_FLOAT, d=[1, 2, 3, 4]), "'d' has 4 entries, K=3 needs 3"),
    (bad(GOOD_FLOAT, c=[1.0, float("nan"), 0.0]), r"c\(2\) = nan is not finite"),
    (bad(GOOD_FLOAT, c=[1.0, 9.5, 0.0]), r"c\(2\) = 9.5 is outside \[-8, 8\]"),
    (bad(GOOD_FLOAT, h=h_with(GOOD_FLOAT, 2, 0, float("inf"))), r"h\(3,1\) = inf is not finite"),
    (bad(GOOD_FLOAT, h=h_with(GOOD_FLOAT, 1, 0, "x")), r"h\(2,1\) = 'x' is not a number"),
    (bad(GOOD_FLOAT, h=h_with(GOOD_FLOAT, 0, 2, 1.0)), r"h\(1,3\) = 1.0 is on or above the diag"),
    (bad(GOOD_FLOAT, h=h_with(GOOD_FLOAT, 1, 1, 0.5)), r"h\(2,2\) = 0.5 is on or above the diag"),
    (bad(GOOD_FLOAT, h=[[0, 0, 0], [1, 0, 0]]), "'h' must be a 3 x 3 matrix"),
    (bad(GOOD_FLOAT, h=[[0, 0, 0], [1, 0], [0, 0, 0]]), "'h' row 2 has 2 entries"),
    (bad(GOOD_FLOAT, h=[0.0, 1.0, 2.0]), "'h' must be a 3 x 3 matrix"),
    (bad(GOOD_FLOAT, K=0), "'K' must be an integer from 1 to 64, not 0"),
    (bad(GOOD_FLOAT, interval=[3, 1]), "'interval' must be"),
    (bad(GOOD_FLOAT, extra=1), "unknown key"),
    (bad(GOOD_FLOAT, c=KeyError), "missing key"),
    (bad(GOOD_FLOAT, c2=[1.0, 1.0, 1.0]), "'c2' is only for two-input functions"),
    (bad(GOOD_Q, c2=KeyError), "'mul' is a two-input function: the set needs 'c2'"),
    (bad(GOOD_Q, c2=[1, 2, 3]), "'c2' has 3 entries, K=2 needs 2"),
    (bad(GOOD_Q, c=[-129, 0]), r"c\(1\) = -129 is out of range for Q=8 \[-128, 127\]"),
    (bad(GOOD_Q, c2=[1.5, 0]), r"c2\(1\) = 1.5 is not an integer code"),
    (bad(GOOD_Q, h=[[0, 0], [1.0, 0]]), r"h\(2,1\) = 1.0 is not an integer code"),
    (bad(GOOD_Q, h=[[0, 0], [128, 0]]), r"h\(2,1\) = 128 is out of range"),
    (bad(GOOD_Q, Q=17), "'Q' must be an integer from 2 to 16, not 17"),
    (bad(GOOD_Q, made_by=[1]), "'made_by' must be an object"),
])
def test_malformed_sets_rejected(tmp_path, obj, message):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(obj))
    with pytest.raises(ParamError, match=message) as info:
        load(path)
    text = str(info.value)
    assert "\n" not in text and text.startswith(str(path))


def test_fs_set_is_not_an_amos_set(tmp_path):
    path = tmp_path / "fs.json"
    path.write_text(json.dumps({"activation": "silu", "K": 1, "interval": [-8, 12],
                                "T": [0.0], "h": [1.0], "d": [1.0]}))
    with pytest.raises(ParamError, match="missing key.*'c'.*an FS-neuron set"):
        load(path)


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
    with pytest.raises(ParamError, match="'c' has 1 entries"):
        AmosParamSet("silu", 2, (-1.0, 1.0), (0.0,), (0.0, 0.0), ((0.0, 0.0), (0.0, 0.0)),
                     (0.0, 0.0))
