"""Deliberately broken FS cores: the simulation, formal and RTL tests must catch each one."""

from amaranth import Const

from gen.fsneuron import SharedCore, UnrolledCore

__all__ = ["GtShared", "GtUnrolled", "NoStallShared", "NoStallUnrolled"]


class GtShared(SharedCore):
    """Broken: the published code's strict ``>``."""

    def fires(self, v, T):
        return v > T


class GtUnrolled(UnrolledCore):
    """Broken: the published code's strict ``>``."""

    def fires(self, v, T):
        return v > T


class NoStallShared(SharedCore):
    """Broken: finishes a vector even when the output register is full and not taken."""

    def output_free(self):
        return Const(1)


class NoStallUnrolled(UnrolledCore):
    """Broken: advances the pipeline even when the output register is full and not taken."""

    def elaborate(self, platform):
        m = super().elaborate(platform)
        # a later assignment in the same domain wins: the pipeline enable is stuck at 1
        m.d.comb += self.pipe.enable.eq(Const(1))
        return m
