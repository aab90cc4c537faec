"""The exact discrete search (quant.search): from codes a step or two off, it finds the set
again."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from quant.fixed import QFormat  # noqa: E402
from quant.neurons import FSModel  # noqa: E402
from quant.objective import Objective, RegionWeights  # noqa: E402
from quant.search import iterated_search, local_search  # noqa: E402
from sim.fs import fs_float  # noqa: E402


def _target_and_start(K=5, Q=8, seed=3):
    """A target that is an FS neuron itself, and its codes moved off by one or two steps."""
    q = QFormat(Q)
    rng = np.random.default_rng(seed)
    codes = {"T": rng.integers(-40, 60, K), "h": rng.integers(4, 50, K),
             "d": rng.integers(-30, 40, K)}
    p = {k: torch.tensor(v * q.lsb, dtype=torch.float64)[None] for k, v in codes.items()}
    T, h, d = (p[k][0].numpy() for k in "Thd")
    model = FSModel(K, (-8, 12))
    obj = Objective.cells(model, lambda x: fs_float(x, T, h, d)[0], (-8, 12),
                          RegionWeights.core(), q.lsb, "cpu")
    start = {k: v.clone() for k, v in p.items()}
    start["T"][0, 1] += 2 * q.lsb
    start["h"][0, 3] -= q.lsb
    start["d"][0, 0] += q.lsb
    return q, model, obj, start


def test_local_search_recovers_perturbed_codes():
    q, model, obj, start = _target_and_start()
    assert float(obj(start)[0]) > 1e-4
    found, loss = local_search(model, start, obj, (q.lsb, 2 * q.lsb), (-8.0, q.value_max))
    # some codes have no effect at all on this interval: the output, not the codes, must match
    assert loss < 1e-12
    assert float(obj(found)[0]) == loss
    for k in "Thd":
        assert torch.all(torch.remainder(found[k] / q.lsb, 1) == 0)


def test_search_keeps_masked_entries_and_bounds():
    q, model, obj, start = _target_and_start()
    masks = {"T": torch.tensor([True, False, True, True, True])}
    found, _ = local_search(model, start, obj, (q.lsb,), (-1.0, 1.0), masks, max_iters=50)
    assert found["T"][0, 1] == start["T"][0, 1]            # not a free entry: never moved
    moved = found["h"] != start["h"]
    assert torch.all(found["h"][moved].abs() <= 1.0)


def test_iterated_search_never_worse_and_deterministic():
    q, model, obj, start = _target_and_start(seed=5)
    runs = [iterated_search(model, start, obj, (q.lsb,), (-8.0, q.value_max), {}, 3,
                            torch.Generator().manual_seed(0), max_iters=3) for _ in range(2)]
    plain = local_search(model, start, obj, (q.lsb,), (-8.0, q.value_max), max_iters=3)[1]
    assert runs[0][1] <= plain and runs[0][1] == runs[1][1]
    assert all(torch.equal(runs[0][0][k], runs[1][0][k]) for k in "Thd")
