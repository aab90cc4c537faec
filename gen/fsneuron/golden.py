"""The FS core's golden model on its payloads (see :mod:`gen.golden`): :func:`sim.fs.fs_int`."""

import numpy as np

from gen.golden import GoldenBase
from sim.fs import fs_int

from .cores import lane

__all__ = ["Golden"]


class Golden(GoldenBase):
    """Inputs fill the lanes in order; the last beat repeats its first input in empty lanes."""

    @property
    def lanes(self):
        return self.manifest["lanes"]

    @property
    def target(self):
        from quant.activations import get_activation

        act = self.manifest["activation"]
        if act == "relu":
            # the ReLU cores compute clamp(x, 0, 2^K - 1) in quantum units
            top = ((1 << self.manifest["K"]) - 1) * 2.0 ** -self.manifest["input"]["frac"]
            return lambda x: np.clip(x, 0, top)
        try:
            return get_activation(act)
        except ValueError:
            return None

    def beats(self, xs):
        xs = [int(x) for x in np.asarray(xs).reshape(-1)]
        out = []
        for start in range(0, len(xs), self.lanes):
            group = xs[start:start + self.lanes]
            group += [group[0]] * (self.lanes - len(group))
            out.append({lane(n): x for n, x in enumerate(group)})
        return out

    def expected(self, beats):
        m = self.manifest
        xs = np.array([[b[lane(n)] for n in range(self.lanes)] for b in beats], dtype=np.int64)
        value, spikes = fs_int(xs, m["T"], m["h"], m["d"])
        return [{lane(n): {"spikes": int(spikes[k, n]), "value": int(value[k, n])}
                 for n in range(self.lanes)} for k in range(len(beats))]

    def evaluations(self, xs, outputs):
        lanes = [o[lane(n)] for o in outputs for n in range(self.lanes)]
        return [(int(x), bin(o["spikes"]).count("1"), o["value"])
                for x, o in zip(np.asarray(xs).reshape(-1), lanes)]
