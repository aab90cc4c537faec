"""Configuration -> IR of the rate-coded IF neuron core (the FS neuron's baseline).

The model (:mod:`sim.ifneuron`): 2^K - 1 steps of integrate, fire, subtract theta; the output is
the spike count, ``clamp(x, 0, 2^K - 1)`` for the default theta = 2^K - 1 — the function of the
FS ReLU core with the same K, on the same integer input (W = K + 2 bits by default).
"""

from dataclasses import dataclass

from common.checks import check_int
from gen.core import CoreIR
from gen.writer import check_name
from quant.metrics import representable_mse
from sim.ifneuron import K_MAX, if_int

__all__ = ["IFCoreIR", "resolve", "K_MAX", "WIDTH_MAX"]

#: Widest input.
WIDTH_MAX = 32


@dataclass(frozen=True)
class IFCoreIR(CoreIR):
    """A resolved IF core.

    Attributes
    ----------
    name : str
        Verilog module name.
    K : int
        Output bits; 2^K - 1 steps per value.
    width : int
        Input width W (signed integers, fraction 0).
    theta : int
        Threshold (default 2^K - 1).
    """

    name: str
    K: int
    width: int
    theta: int

    kind = "ifneuron"

    @property
    def steps(self):
        return (1 << self.K) - 1

    @property
    def latency(self):
        return self.steps + 1

    @property
    def ii(self):
        return self.steps

    def signature(self):
        """Stream ports ``i`` (signed W-bit x) and ``o`` (struct {value: K-bit spike count})."""
        from amaranth import signed, unsigned
        from amaranth.lib import data, stream, wiring
        from amaranth.lib.wiring import In, Out

        return wiring.Signature({
            "i": In(stream.Signature(signed(self.width))),
            "o": Out(stream.Signature(data.StructLayout({"value": unsigned(self.K)}))),
        })

    def component(self):
        from .core import IFNeuron

        return IFNeuron(self)

    def _mse(self):
        # the IF neuron computes clamp(x, 0, 2^K - 1) exactly for the default theta
        top = self.steps
        return representable_mse(lambda x: if_int(x, self.K, self.theta),
                                 lambda x: x.clip(0, top), (-(1 << (self.width - 1)),
                                                            1 << (self.width - 1)),
                                 0, 0, width=self.width)

    def manifest_fields(self):
        N = self.steps
        return {
            "activation": "relu",
            "K": self.K,
            "steps": N,
            "theta": self.theta,
            "lanes": 1,
            "input": {"width": self.width, "frac": 0},
            "output": {"width": self.K, "frac": 0},
            "function": (f"spike count after {N} steps = clamp(x, 0, {N})" if self.theta == N
                         else f"spike count after {N} steps, theta = {self.theta}"),
            "mse": self._mse() if self.theta == N else None,
        }

    def describe(self):
        N = self.steps
        return (f"rate-coded IF neuron, K={self.K} ({N} steps per value)",
                [("input", f"signed {self.width}-bit x, integer units"),
                 ("output", f"spike count, unsigned {self.K} bits"),
                 ("rule", f"v = max(v + x, 0); s = [v >= {self.theta}]; v -= {self.theta} s; "
                          f"count += s; {N} steps")])


def resolve(K=10, width=None, theta=None, name=None):
    """The :class:`IFCoreIR` of the options (width default K + 2, theta default 2^K - 1)."""
    K = check_int("K", K, 1, K_MAX)
    width = K + 2 if width is None else check_int("input width", width, 2, WIDTH_MAX)
    theta = (1 << K) - 1 if theta is None else check_int("theta", theta, 1)
    name = check_name(name) if name is not None else f"if_k{K}_w{width}"
    return IFCoreIR(name=name, K=K, width=width, theta=theta)
