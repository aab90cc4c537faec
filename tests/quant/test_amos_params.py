"""AMOS parameter files (quant.amos_params): the matrix h and the second input c2, malformed
sets rejected with one-line messages, the FS special case and the code -> integer conversion
(the checks every kind shares are in test_paramfile.py)."""

import copy
import json
import re

import numpy as np
import pytest

from param_files import changed, rejected
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


def h_with(i, j, v):
    h = copy.deepcopy(GOOD_FLOAT["h"])
    h[i][j] = v
    return h


@pytest.mark.parametrize("obj,message", [
    (changed(GOOD_FLOAT, c=[1.0, 2.0]), "'c' has 2 entries, K=3 needs 3"),
    (changed(GOOD_FLOAT, T=[0.5, 1.0]), "'T' has 2 entries, K=3 needs 3"),
    (changed(GOOD_FLOAT, d=[1, 2, 3, 4]), "'d' has 4 entries, K=3 needs 3"),
    (changed(GOOD_FLOAT, c=[1.0, float("nan"), 0.0]), r"c\(2\) = nan is not finite"),
    (changed(GOOD_FLOAT, c=[1.0, 9.5, 0.0]), r"c\(2\) = 9.5 is outside \[-8, 8\]"),
    (changed(GOOD_FLOAT, h=h_with(2, 0, float("inf"))), r"h\(3,1\) = inf is not finite"),
    (changed(GOOD_FLOAT, h=h_with(1, 0, "x")), r"h\(2,1\) = 'x' is not a number"),
    (changed(GOOD_FLOAT, h=h_with(0, 2, 1.0)), r"h\(1,3\) = 1.0 is on or above the diag"),
    (changed(GOOD_FLOAT, h=h_with(1, 1, 0.5)), r"h\(2,2\) = 0.5 is on or above the diag"),
    (changed(GOOD_FLOAT, h=[[0, 0, 0], [1, 0, 0]]), "'h' must be a 3 x 3 matrix"),
    (changed(GOOD_FLOAT, h=[[0, 0, 0], [1, 0], [0, 0, 0]]), "'h' row 2 has 2 entries"),
    (changed(GOOD_FLOAT, h=[0.0, 1.0, 2.0]), "'h' must be a 3 x 3 matrix"),
    (changed(GOOD_FLOAT, c2=[1.0, 1.0, 1.0]), "'c2' is only for two-input functions"),
    (changed(GOOD_Q, c2=KeyError), "'mul' is a two-input function: the set needs 'c2'"),
    (changed(GOOD_Q, c2=[1, 2, 3]), "'c2' has 3 entries, K=2 needs 2"),
    (changed(GOOD_Q, c=[-129, 0]), r"c\(1\) = -129 is out of range for Q=8 \[-128, 127\]"),
    (changed(GOOD_Q, c2=[1.5, 0]), r"c2\(1\) = 1.5 is not an integer code"),
    (changed(GOOD_Q, h=[[0, 0], [1.0, 0]]), r"h\(2,1\) = 1.0 is not an integer code"),
    (changed(GOOD_Q, h=[[0, 0], [128, 0]]), r"h\(2,1\) = 128 is out of range"),
])
def test_malformed_sets_rejected(tmp_path, obj, message):
    assert re.search(message, rejected(tmp_path, load, obj))


def test_fs_set_is_not_an_amos_set(tmp_path):
    path = tmp_path / "fs.json"
    path.write_text(json.dumps({"activation": "silu", "K": 1, "interval": [-8, 12],
                                "T": [0.0], "h": [1.0], "d": [1.0]}))
    with pytest.raises(ParamError, match="missing key.*'c'.*an FS-neuron set"):
        load(path)


def test_dataclass_validates_too():
    with pytest.raises(ParamError, match="'c' has 1 entries"):
        AmosParamSet("silu", 2, (-1.0, 1.0), (0.0,), (0.0, 0.0), ((0.0, 0.0), (0.0, 0.0)),
                     (0.0, 0.0))
