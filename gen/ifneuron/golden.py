"""The IF core's golden model on its payloads (see :mod:`gen.golden`):
:func:`sim.ifneuron.if_int`."""

import numpy as np

from gen.golden import GoldenBase
from sim.ifneuron import if_int

__all__ = ["Golden"]


class Golden(GoldenBase):
    """One input x per beat; the output is the spike count."""

    @property
    def target(self):
        top = self.manifest["steps"]
        return lambda x: np.clip(np.floor(x), 0, top)

    def beats(self, xs):
        return [int(x) for x in np.asarray(xs).reshape(-1)]

    def expected(self, beats):
        m = self.manifest
        return [{"value": int(v)} for v in if_int(beats, m["K"], m["theta"])]

    def evaluations(self, xs, outputs):
        return [(int(x), o["value"], o["value"])
                for x, o in zip(np.asarray(xs).reshape(-1), outputs)]
