"""Properties of the Q-bit parameter format (quant.fixed)."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from quant.fixed import QFormat

Qs = st.integers(2, 16)
reals = st.floats(-1e6, 1e6, allow_nan=False)


@given(Qs)
def test_levels_cover_minus8_to_8(Q):
    q = QFormat(Q)
    assert q.code_max - q.code_min + 1 == 2 ** Q
    assert q.value_min == -8.0
    assert q.value_max == 8.0 - 2.0 ** (4 - Q)
    assert q.lsb == 2.0 ** (4 - Q)


@given(Qs, reals)
def test_codes_in_range(Q, x):
    q = QFormat(Q)
    c = int(q.quantize(x))
    assert q.code_min <= c <= q.code_max


@given(Qs, st.floats(-8, 8, allow_nan=False))
def test_rounds_to_nearest_inside_range(Q, x):
    q = QFormat(Q)
    v = float(q.round_trip(x))
    if x <= q.value_max:
        assert abs(v - x) <= q.lsb / 2
        # no other level is nearer
        for other in (v - q.lsb, v + q.lsb):
            if q.value_min <= other <= q.value_max:
                assert abs(other - x) >= abs(v - x)
    else:  # between the top level and 8: saturates
        assert v == q.value_max


@given(Qs, reals)
def test_saturates(Q, x):
    q = QFormat(Q)
    c = int(q.quantize(x))
    if x >= q.value_max:
        assert c == q.code_max
    if x <= q.value_min:
        assert c == q.code_min


@given(Qs, st.data())
def test_round_trip_of_codes(Q, data):
    q = QFormat(Q)
    c = data.draw(st.integers(q.code_min, q.code_max))
    assert int(q.quantize(q.value(c))) == c


def test_ties_to_even():
    q = QFormat(8)   # lsb 1/16
    assert list(q.quantize([0.5 / 16, 1.5 / 16, 2.5 / 16, -0.5 / 16, -1.5 / 16])) == \
        [0, 2, 2, 0, -2]


def test_infinities_saturate_nan_rejected():
    q = QFormat(6)
    assert list(q.quantize([math.inf, -math.inf])) == [q.code_max, q.code_min]
    with pytest.raises(ValueError, match="NaN"):
        q.quantize([1.0, math.nan])


@given(Qs, st.integers(0, 12), st.data())
def test_to_hw_scales_to_input_lsb(Q, extra, data):
    q = QFormat(Q)
    F = Q - 4 + extra
    c = data.draw(st.integers(q.code_min, q.code_max))
    (hw,) = q.to_hw([c], F)
    assert hw == c << extra
    # the hardware integer in input-LSB units has the code's value
    assert hw * 2.0 ** -F == q.value(c)


@pytest.mark.parametrize("Q", [1, 17, 0, -3])
def test_bad_Q(Q):
    with pytest.raises(ValueError, match=f"Q must be between 2 and 16, not {Q}"):
        QFormat(Q)


def test_bad_Q_type():
    with pytest.raises(TypeError, match="Q must be an integer"):
        QFormat(8.0)


def test_to_hw_needs_enough_fraction_bits():
    with pytest.raises(ValueError, match="F=3 is too small for Q=8"):
        QFormat(8).to_hw([1], 3)


def test_code_checks():
    q = QFormat(4)
    with pytest.raises(ValueError, match="code 8 is out of range for Q=4"):
        q.check_codes([1, 8])
    with pytest.raises(TypeError, match="must be an integer, not 1.5"):
        q.check_codes([1.5])
    assert list(q.check_codes(np.array([-8, 7]))) == [-8, 7]
