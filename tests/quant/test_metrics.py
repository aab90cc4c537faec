"""The MSE over every representable input (quant.metrics) against exact rational arithmetic, and
the figures quant writes into files unchanged when the order of the summed inputs is
perturbed."""

import math
from fractions import Fraction

import numpy as np
import pytest

import quant.activations
import quant.metrics
from common.cli import dumps_json
from quant.amos_params import amos_path, load as load_amos
from quant.metrics import (exact_mean, exact_mean_square, representable_inputs,
                           representable_mse, representable_range, round_sig)
from quant.params import load, shipped_path


def test_representable_range_is_exact():
    # x = n/16 in [-8, 12): n = -128 .. 191
    assert representable_range((-8, 12), 4) == (-128, 191)
    # ends off the grid: x = n/8 in [-0.1, 0.3) is n = 0, 1, 2 (0.375 is out)
    assert representable_range((-0.1, 0.3), 3) == (0, 2)
    # 0.1 is not a float: the interval's ends are taken as the floats they are
    assert representable_range((0.1, 0.2), 10) == (math.ceil(Fraction(0.1) * 1024),
                                                   math.ceil(Fraction(0.2) * 1024) - 1)
    assert representable_range((-8, 12), 4, width=8) == (-128, 127)
    assert representable_range((-8, 12), -1) == (-4, 5)          # x = 2n
    x, stride = representable_inputs((-8, 12), 4, max_points=100)
    assert stride == 4 and x[0] == -128 and np.all(np.diff(x) == 4)


def test_representable_mse_against_fractions():
    # an integer "model": out = floor(3x/4) with 2 output fraction bits, input frac 3
    def model(x):
        return (3 * x) // 4

    def f(x):
        return np.sin(x)

    got = representable_mse(model, f, (-1.5, 2.25), 3, 2)
    xs = range(-12, 18)
    exact = sum((Fraction(int(model(np.int64(n)))) / 4 - Fraction(float(np.sin(n / 8)))) ** 2
                for n in xs) / len(xs)
    assert got == {"interval": [-1.5, 2.25], "inputs": 30, "stride": 1,
                   "value": float(f"{float(exact):.6g}")}


def test_two_input_grid():
    got = representable_mse(lambda x, y: x * y, lambda x, y: x * y / 4, (-1, 1), 1, 0,
                            two_input=True)
    # x, y in {-1, -0.5, 0, 0.5}, x_int = 2x: the error is x_int y_int - xy/4
    pts = [-1, -0.5, 0, 0.5]
    exact = sum((Fraction(int(2 * a) * int(2 * b)) - Fraction(a * b) / 4) ** 2
                for a in pts for b in pts) / 16
    assert got["inputs"] == 16 and got["value"] == round_sig(float(exact))


def test_exact_sums_do_not_depend_on_order():
    values = [1e16, 1.0, -1e16, 3.0]
    assert sum(values) != sum(reversed(values))          # a plain sum does
    assert exact_mean(values) == exact_mean(values[::-1]) == 1.0
    rng = np.random.default_rng(1)
    err = rng.normal(size=100_003) * 10.0 ** rng.integers(-8, 8, 100_003)
    perm = rng.permutation(err.size)
    assert exact_mean_square(err) == exact_mean_square(err[perm])
    assert exact_mean(err, weights=np.abs(err)) == exact_mean(err[perm], np.abs(err[perm]))
    assert round_sig(1234567.89) == 1234570.0 and round_sig(float("nan")) is None


def _perturbed(monkeypatch, order):
    """Every grid quant sums over, reordered (reversed or shuffled)."""
    def reorder(a):
        a = np.asarray(a)
        if order == "reversed":
            return a[::-1].copy()
        return a[np.random.default_rng(7).permutation(a.size)]

    inputs, grid = quant.metrics.representable_inputs, quant.activations.region_grid
    monkeypatch.setattr(quant.metrics, "representable_inputs",
                        lambda *a, **k: (reorder(inputs(*a, **k)[0]), inputs(*a, **k)[1]))
    monkeypatch.setattr(quant.activations, "region_grid", lambda *a, **k: reorder(grid(*a, **k)))


def _written():
    """What quant writes about two shipped sets: their made_by records, the AMOS table, and the
    unrounded region MSEs the report's tables print."""
    from quant.amos_report import results_table

    fs = load(shipped_path("silu", 16, 8))
    amos = load_amos(amos_path("sigmoid", 8, 8))
    return (dumps_json(fs.recorded("cmd", 0, grid=fs.representable_mse()).to_dict())
            + dumps_json(amos.recorded("cmd", 0, grid=amos.representable_mse()).to_dict())
            + results_table()
            + repr(quant.activations.mse_by_region(fs.float_model(), "silu", fs.interval)))


@pytest.mark.parametrize("order", ["reversed", "shuffled"])
def test_written_figures_do_not_depend_on_summation_order(monkeypatch, order):
    before = _written()
    _perturbed(monkeypatch, order)
    fs = load(shipped_path("silu", 16, 8))
    x, _ = quant.metrics.representable_inputs(fs.interval, 4)
    assert x[0] > x[-1] or not np.all(np.diff(x) > 0)            # the patch is in place
    assert _written() == before
