"""The TSC core's golden model on its payloads (see :mod:`gen.golden`): ``sim``'s TSC layer."""

import numpy as np

from gen.golden import GoldenBase

__all__ = ["Golden"]


def _bits(value, n):
    return [(int(value) >> k) & 1 for k in range(n)]


def _word(bits):
    return sum(int(b) << k for k, b in enumerate(bits))


class Golden(GoldenBase):
    """Beats are time steps {pos, neg, first}; a frame is ``steps`` of them."""

    def sweep(self, max_points=None):
        self.no_sweep("its inputs are spike frames (see frames())")

    def stimulus(self, max_points=None):
        return None, self.frames()

    def frames(self, frames=2, seed=0):
        """Input beats: ``frames`` frames of ``steps`` steps, each the TSC code
        (``sim.tsc.tsc_encode``) of seeded uniform values in [-1, 1], ``first`` on each frame's
        first step."""
        from sim.tsc import tsc_encode

        m = self.manifest
        M, N = m["inputs"], m["steps"]
        rng = np.random.default_rng(seed)
        beats = []
        for _ in range(frames):
            pos, neg = tsc_encode(rng.uniform(-1, 1, M), N)
            beats += [{"pos": _word(pos[t]), "neg": _word(neg[t]), "first": int(t == 0)}
                      for t in range(N)]
        return beats

    def expected(self, beats):
        from sim.tsc import tsc_int

        m = self.manifest
        M = m["inputs"]
        pos = np.array([_bits(b["pos"], M) for b in beats], dtype=bool).reshape(-1, M)
        neg = np.array([_bits(b["neg"], M) for b in beats], dtype=bool).reshape(-1, M)
        first = np.array([b["first"] for b in beats], dtype=bool)
        pos_out, neg_out = tsc_int(m["weights"], m["threshold"], pos, neg, first)
        return [{"pos": _word(p), "neg": _word(n)} for p, n in zip(pos_out, neg_out)]
