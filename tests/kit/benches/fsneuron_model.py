"""Reference side of the FS-neuron benches, driven by the manifest alone.

The cocotb bench (``fsneuron_tb.py``), the Amaranth-simulator tests and the formal spec read a
core's ``NAME.json`` and nothing of the generator: payload packing follows the layout the issue
specifies (lane n input at bits ``[n*W, (n+1)*W)``; lane n output at ``n*(K+Wout)``, spikes in
the low bits) and the expected results come from the golden model ``sim.fs.fs_int`` on the
manifest's T, h, d.
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
        self.K = manifest["K"]
        self.lanes = manifest["lanes"]
        self.W = manifest["input"]["width"]
        self.Wout = manifest["output"]["width"]
        self.T, self.h, self.d = manifest["T"], manifest["h"], manifest["d"]
        self.latency, self.ii = manifest["latency"], manifest["ii"]
        self.lane_out = self.K + self.Wout
        self.x_min, self.x_max = -(1 << (self.W - 1)), (1 << (self.W - 1)) - 1

    # payloads -----------------------------------------------------------------------------
    def pack(self, xs):
        """Input payload of one vector (``lanes`` signed ints)."""
        assert len(xs) == self.lanes
        mask = (1 << self.W) - 1
        p = 0
        for n, x in enumerate(xs):
            assert self.x_min <= x <= self.x_max, x
            p |= (int(x) & mask) << (n * self.W)
        return p

    def unpack(self, payload):
        """Output payload -> list of (spikes, value) per lane, value sign-extended."""
        out = []
        for n in range(self.lanes):
            lane = (payload >> (n * self.lane_out)) & ((1 << self.lane_out) - 1)
            spikes = lane & ((1 << self.K) - 1)
            value = lane >> self.K
            if value >= 1 << (self.Wout - 1):
                value -= 1 << self.Wout
            out.append((spikes, value))
        return out

    def pack_out(self, lanes):
        p = 0
        for n, (spikes, value) in enumerate(lanes):
            assert -(1 << (self.Wout - 1)) <= value < (1 << (self.Wout - 1)), value
            lane = spikes | ((value & ((1 << self.Wout) - 1)) << self.K)
            p |= lane << (n * self.lane_out)
        return p

    # golden model ---------------------------------------------------------------------------
    def expected(self, vectors):
        """Expected output payloads of input vectors (list of lists), from ``sim.fs.fs_int``."""
        if not len(vectors):
            return []
        x = np.array(vectors, dtype=np.int64).reshape(len(vectors), self.lanes)
        value, spikes = fs_int(x, self.T, self.h, self.d)
        return [self.pack_out(list(zip(map(int, s), map(int, v))))
                for s, v in zip(spikes, value)]

    # stimuli --------------------------------------------------------------------------------
    def vectors(self, values, rng=None):
        """Vectors in which every lane sees every one of ``values`` (each lane in its own
        random order when ``rng`` is given, else rotated)."""
        values = list(values)
        cols = []
        for n in range(self.lanes):
            col = values[:]
            if rng is not None:
                rng.shuffle(col)
            else:
                col = col[n:] + col[:n]
            cols.append(col)
        return [list(v) for v in zip(*cols)]

    def random_vectors(self, count, rng):
        return [[rng.randint(self.x_min, self.x_max) for _ in range(self.lanes)]
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
