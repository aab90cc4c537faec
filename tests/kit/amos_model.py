"""Reference side of the AMOS benches, driven by the manifest alone.

The cocotb bench (``benches/amos_tb.py``) and the Amaranth-simulator tests read a core's
manifest and nothing of the generator: the input payload (``ports.i.payload``) is x itself (one
input) or a struct ``{x, y}``; the output is ``{spikes, value}``. Expected results come from the
golden model :func:`sim.amos.amos_int` on the manifest's c (c2), T, h, d.
"""

import itertools

import numpy as np

from sim.amos import amos_int

__all__ = ["AmosSpec"]


class AmosSpec:
    """An AMOS core as its manifest describes it, and its golden model."""

    def __init__(self, manifest):
        self.m = manifest
        layout = manifest["ports"]["i"]["payload"]
        # one input: the payload is x itself; two: a struct {x, y}
        self.names = [f["name"] for f in layout["fields"]] if "fields" in layout else None
        self.W = layout["fields"][0]["width"] if self.names else layout["width"]
        self.lo, self.hi = -(1 << (self.W - 1)), (1 << (self.W - 1)) - 1

    def payload(self, xy):
        return dict(zip(self.names, xy)) if self.names else xy[0]

    def boundaries(self):
        """The ends, zero, and where each gate's accumulator crosses zero with no inhibition
        (c_i x = T_i) and with all of it."""
        special = {self.lo, self.hi, 0, -1, 1}
        for i, (c, T) in enumerate(zip(self.m["c"], self.m["T"])):
            if c:
                for total in (T, T + sum(self.m["h"][i])):
                    special.update(x for x in (total // c - 1, total // c, total // c + 1)
                                   if self.lo <= x <= self.hi)
        special = sorted(special)
        if self.names:
            return [(x, y) for x in special[:24] for y in special[:24]]
        return [(x,) for x in special]

    def inputs(self, exhaustive_bits, n_random, rng):
        """All inputs, shuffled, when there are few enough; else ``n_random`` random ones."""
        if self.W * (len(self.names) if self.names else 1) <= exhaustive_bits:
            pairs = list(itertools.product(range(self.lo, self.hi + 1),
                                           repeat=len(self.names) if self.names else 1))
            rng.shuffle(pairs)
            return pairs
        return [tuple(rng.randint(self.lo, self.hi) for _ in (self.names or [0]))
                for _ in range(n_random)]

    def expected(self, pairs):
        """Output payloads ``{spikes, value}`` from :func:`sim.amos.amos_int`."""
        x = np.array([p[0] for p in pairs], dtype=np.int64)
        y = np.array([p[1] for p in pairs], dtype=np.int64) if self.names else None
        value, spikes = amos_int(x, self.m["c"], self.m["T"], self.m["h"], self.m["d"],
                                 y=y, c2=self.m.get("c2"))
        return [{"spikes": s, "value": v} for v, s in zip(value.tolist(), spikes.tolist())]
