"""Generated files are the same on every machine: the figures a manifest holds do not depend on
the order or the vector width of the float sums behind them.

Another CPU (AVX2 vs AVX-512) sums float64 errors in another order and may compute ``exp`` a last
bit differently; here both are simulated — the squared errors are perturbed by a few ulps and
summed naively in reverse — and the reference manifests in rtl/ must come out byte for byte.
"""

import numpy as np
import pytest

from clirun import ROOT

import quant.metrics
from gen.__main__ import main


def _perturbed_mean_square(err):
    err = np.asarray(err, dtype=np.float64).reshape(-1)
    if err.size == 0:
        return None
    jitter = np.random.default_rng(1).integers(-4, 5, err.size)
    sq = np.nextafter(err * err, np.where(jitter > 0, np.inf, -np.inf))
    sq = np.where(jitter == 0, err * err, sq)
    return float(np.sum(sq[::-1])) / err.size


@pytest.mark.parametrize("name,args", [
    ("fs_sigmoid_k12_q8", ["fsneuron", "--act", "sigmoid", "--K", "12", "--Q", "8"]),
    ("fs_silu_k16_q8", ["fsneuron", "--K", "16", "--Q", "8"]),
    ("amos_silu_k12_q8", ["amos", "--act", "silu", "--K", "12", "--Q", "8"]),
])
def test_manifest_survives_other_float_sums(name, args, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(quant.metrics, "exact_mean_square", _perturbed_mean_square)
    assert main([*args, "--out", str(tmp_path)]) == 0
    assert (tmp_path / f"{name}.json").read_bytes() == (ROOT / "rtl" / f"{name}.json").read_bytes()


def test_exact_mean_square_ignores_order():
    err = np.random.default_rng(0).normal(size=10001) * 1e-3
    a = quant.metrics.exact_mean_square(err)
    assert a == quant.metrics.exact_mean_square(err[::-1])
    assert a == quant.metrics.exact_mean_square(np.random.default_rng(1).permutation(err))
