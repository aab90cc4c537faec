"""A tiny core the stream kits test themselves on: a two-stage pipeline adding a constant, and
variants with the handshake bugs the kits exist to catch."""

from amaranth import Module, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

WIDTH, CONST = 8, 37

#: Variants: a correct pipeline; one whose input never stalls (a stalled beat is overwritten:
#: beats are lost under back-pressure); one whose output register loads every cycle (the
#: payload changes while a beat waits to be taken: the monitor's stream rule).
VARIANTS = ("good", "never_stalls", "unstable_output")


class AddPipe(wiring.Component):
    """``o = i + CONST`` (mod 2^WIDTH) through two registers, with stall-together control."""

    def __init__(self, variant="good"):
        if variant not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}, not {variant!r}")
        self.variant = variant
        super().__init__({"i": In(stream.Signature(WIDTH)), "o": Out(stream.Signature(WIDTH))})

    def elaborate(self, platform):
        m = Module()
        mid, mid_valid = Signal(WIDTH), Signal()
        mid_ready = Signal()
        m.d.comb += mid_ready.eq(~self.o.valid | self.o.ready)
        if self.variant == "never_stalls":
            m.d.comb += self.i.ready.eq(1)
        else:
            m.d.comb += self.i.ready.eq(~mid_valid | mid_ready)
        with m.If(self.i.ready):
            m.d.sync += [mid.eq(self.i.payload + CONST), mid_valid.eq(self.i.valid)]
        with m.If(mid_ready):
            m.d.sync += [self.o.payload.eq(mid), self.o.valid.eq(mid_valid)]
        if self.variant == "unstable_output":
            with m.If(~mid_ready & mid_valid):
                m.d.sync += self.o.payload.eq(mid + 1)
        return m
