"""The AMOS core's golden model on its payloads (see :mod:`gen.golden`):
:func:`sim.amos.amos_int`."""

import numpy as np

from gen.golden import GoldenBase
from sim.amos import amos_int

__all__ = ["Golden"]


class Golden(GoldenBase):
    """One input x per beat (a two-input unit takes {x, y} and has no x sweep)."""

    @property
    def two_input(self):
        return "c2" in self.manifest

    @property
    def target(self):
        from quant.activations import get_activation

        act = self.manifest["activation"]
        if self.two_input:
            return None
        if act == "relu":
            top = ((1 << self.manifest["K"]) - 1) * 2.0 ** -self.manifest["input"]["frac"]
            return lambda x: np.clip(x, 0, top)
        return get_activation(act)

    def sweep(self, max_points=None):
        if self.two_input:
            self.no_sweep("it takes pairs (x, y)")
        return super().sweep(max_points)

    def beats(self, xs):
        if self.two_input:
            return [{"x": int(x), "y": int(y)} for x, y in xs]
        return [int(x) for x in np.asarray(xs).reshape(-1)]

    def expected(self, beats):
        m = self.manifest
        if self.two_input:
            x = np.array([b["x"] for b in beats], dtype=np.int64)
            y = np.array([b["y"] for b in beats], dtype=np.int64)
            value, spikes = amos_int(x, m["c"], m["T"], m["h"], m["d"], y=y, c2=m["c2"])
        else:
            value, spikes = amos_int(np.array(beats, dtype=np.int64), m["c"], m["T"], m["h"],
                                     m["d"])
        return [{"spikes": int(s), "value": int(v)}
                for v, s in zip(np.asarray(value).reshape(-1), np.asarray(spikes).reshape(-1))]

    def evaluations(self, xs, outputs):
        return [(int(x), bin(o["spikes"]).count("1"), o["value"])
                for x, o in zip(np.asarray(xs).reshape(-1), outputs)]
