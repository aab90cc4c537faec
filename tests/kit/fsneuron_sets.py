"""Parameter files for the FS-neuron core tests.

The tests do not depend on the trained sets: they build cores from the published float sets
rounded to Q bits (clipped to the format's [-8, 8] first) and from random code sets, written to
temporary files and read back by the generator like any user's ``--act PARAMS.json``.
"""

import numpy as np

from clirun import REFERENCE
from quant.fixed import QFormat
from quant.params import FSParamSet, load_published, save, shipped_path


def published_set(name, Q=None):
    """The published float set ``name`` (e.g. ``silu_K16``) clipped to [-8, 8], optionally
    rounded to Q-bit codes."""
    act, K, interval, T, h, d = load_published(REFERENCE / f"{name}.json")
    T, h, d = (tuple(float(v) for v in np.clip(p, -8, 8)) for p in (T, h, d))
    pset = FSParamSet(act, K, interval, T, h, d)
    return pset if Q is None else pset.quantized(Q)


def random_set(K, Q, seed, interval=(-8, 8), activation="silu"):
    """A random Q-bit set: codes uniform over the whole range, so widths are stressed."""
    rng = np.random.default_rng(seed)
    q = QFormat(Q)
    T, h, d = (tuple(int(c) for c in rng.integers(q.code_min, q.code_max + 1, K))
               for _ in range(3))
    return FSParamSet(activation, K, interval, T, h, d, Q=Q)


def write_set(pset, folder, stem):
    """Save a set as ``folder/stem.json``; return the path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}.json"
    save(pset, path)
    return path


def shipped_or_skip(act, K, Q):
    """Path of a shipped trained set; skips the test (naming the file) when it is missing."""
    import pytest

    path = shipped_path(act, K, Q)
    if not path.exists():
        pytest.skip(f"shipped set quant/params/{path.name} not present yet (made by the "
                    f"training area: python -m quant train --act {act} --K {K} --Q {Q})")
    return path
