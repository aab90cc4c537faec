"""FS-neuron parameter sets (quant.params): the values of codes, rounding a float set, and the
per-value checks of T, h, d with one-line messages (the checks every kind shares are in
test_paramfile.py)."""

import json
import re

import pytest

from param_files import rejected
from quant.params import FSParamSet, ParamError, load, loads

GOOD_FLOAT = {"activation": "silu", "K": 3, "interval": [-8, 12],
              "T": [0.5, -1.0, 2.0], "h": [1.0, 1.5, 0.25], "d": [0.5, 0.25, -0.125]}
GOOD_Q = {"activation": "sigmoid", "K": 2, "interval": [-10, 10], "Q": 8,
          "T": [-128, 127], "h": [3, 0], "d": [16, -1]}


def test_values_of_codes():
    T, h, d = loads(json.dumps(GOOD_Q)).values()
    # value = code * 2^(4-Q)
    assert list(T) == [-8.0, 127 / 16] and list(h) == [3 / 16, 0.0] and list(d) == [1.0, -1 / 16]


def test_quantized_rounds_float_set():
    s = loads(json.dumps(GOOD_FLOAT)).quantized(8)
    assert s.Q == 8 and s.T == (8, -16, 32) and s.d == (8, 4, -2)


@pytest.mark.parametrize("obj,message", [
    (dict(GOOD_FLOAT, T=[0.5, 1.0]), "'T' has 2 entries, K=3 needs 3"),
    (dict(GOOD_FLOAT, d=[0.5, 0.25, 0.1, 0.2]), "'d' has 4 entries, K=3 needs 3"),
    (dict(GOOD_FLOAT, h=[1.0, float("nan"), 0.0]), r"h\(2\) = nan is not finite"),
    (dict(GOOD_FLOAT, h=[1.0, float("inf"), 0.0]), r"h\(2\) = inf is not finite"),
    (dict(GOOD_FLOAT, T=[0.5, 9.0, 0.0]), r"T\(2\) = 9.0 is outside \[-8, 8\]"),
    (dict(GOOD_FLOAT, T=[0.5, "x", 0.0]), r"T\(2\) = 'x' is not a number"),
    (dict(GOOD_FLOAT, T=[0.5, True, 0.0]), r"T\(2\) = True is not a number"),
    (dict(GOOD_FLOAT, d=3), "'d' must be a list of 3 numbers, not int"),
    (dict(GOOD_Q, T=[-129, 0]), r"T\(1\) = -129 is out of range for Q=8 \[-128, 127\]"),
    (dict(GOOD_Q, d=[1.5, 0]), r"d\(1\) = 1.5 is not an integer code"),
    (dict(GOOD_Q, h=[1.0, 0]), r"h\(1\) = 1.0 is not an integer code"),
])
def test_malformed_sets_rejected(tmp_path, obj, message):
    assert re.search(message, rejected(tmp_path, load, obj))


def test_dataclass_validates_too():
    with pytest.raises(ParamError, match="^parameter set: 'T' has 1 entries"):
        FSParamSet("silu", 2, (-1.0, 1.0), (0.0,), (0.0, 0.0), (0.0, 0.0))
