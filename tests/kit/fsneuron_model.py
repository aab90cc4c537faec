"""Reference side of the FS-neuron benches, driven by the manifest alone.

The cocotb bench (``fsneuron_tb.py``) and the Amaranth-simulator tests read a core's
``NAME.json`` and nothing of the generator: the lanes are the fields of the input payload
(``ports.i.payload``, each a signed W-bit x), each output lane a struct ``{spikes, value}``
(``ports.o.payload``); payloads are field dicts (:mod:`common.payload` packs them). The expected
results come from the golden model ``sim.fs.fs_int`` on the manifest's T, h, d.
"""

import json
from pathlib import Path

import numpy as np

from sim.fs import fs_int

__all__ = ["CoreSpec", "boundary_inputs"]


class CoreSpec:
    """A core as its manifest describes it.

    Parameters
    ----------
    manifest : path or dict
        ``NAME.json`` or its contents.
    """

    def __init__(self, manifest):
        if not isinstance(manifest, dict):
            manifest = json.loads(Path(manifest).read_text())
        self.m = manifest
        fields = manifest["ports"]["i"]["payload"]["fields"]
        self.lanes = [f["name"] for f in fields]
        widths = {f["width"] for f in fields}
        assert len(widths) == 1 and all(f["signed"] for f in fields), fields
        self.W = widths.pop()
        self.T, self.h, self.d = manifest["T"], manifest["h"], manifest["d"]
        self.latency, self.ii = manifest["latency"], manifest["ii"]
        self.x_min, self.x_max = -(1 << (self.W - 1)), (1 << (self.W - 1)) - 1

    # golden model ---------------------------------------------------------------------------
    def expected(self, vectors):
        """Expected output payloads (field dicts) of input payloads, from ``sim.fs.fs_int``."""
        if not vectors:
            return []
        x = np.array([[v[lane] for lane in self.lanes] for v in vectors], dtype=np.int64)
        value, spikes = fs_int(x, self.T, self.h, self.d)
        return [{lane: {"spikes": int(s[n]), "value": int(v[n])}
                 for n, lane in enumerate(self.lanes)} for s, v in zip(spikes, value)]

    # stimuli --------------------------------------------------------------------------------
    def vectors(self, values, rng=None):
        """Input payloads in which every lane sees every one of ``values`` (each lane in its own
        random order when ``rng`` is given, else rotated)."""
        values = list(values)
        cols = []
        for n in range(len(self.lanes)):
            col = values[:]
            if rng is not None:
                rng.shuffle(col)
            else:
                col = col[n:] + col[:n]
            cols.append(col)
        return [dict(zip(self.lanes, map(int, v))) for v in zip(*cols)]

    def random_vectors(self, count, rng):
        return [{lane: rng.randint(self.x_min, self.x_max) for lane in self.lanes}
                for _ in range(count)]

    def all_inputs(self):
        return list(range(self.x_min, self.x_max + 1))


def boundary_inputs(spec):
    """Inputs where something can go wrong: the ends of the range, 0, +-1, and each threshold
    and the values next to it (where a spike appears or not)."""
    vals = {spec.x_min, spec.x_min + 1, spec.x_max, spec.x_max - 1, 0, 1, -1}
    for T in spec.T:
        vals.update((T - 1, T, T + 1))
    return sorted(v for v in vals if spec.x_min <= v <= spec.x_max)
