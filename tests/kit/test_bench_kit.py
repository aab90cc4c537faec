"""The cocotb bench kit catches the bugs it exists to catch.

A two-stage pipeline that adds a constant passes under random gaps and back-pressure; the
same pipeline with a classic handshake bug (ready ignores a full output register, so a stalled
beat is overwritten) must fail.
"""

import pytest
from amaranth import Module, Signal
from amaranth.back import verilog
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from rtlsim import BUILD, run_bench, simulator

WIDTH, CONST = 8, 37


class AddPipe(wiring.Component):
    def __init__(self, broken=False):
        self.broken = broken
        super().__init__({"i": In(stream.Signature(WIDTH)), "o": Out(stream.Signature(WIDTH))})

    def elaborate(self, platform):
        m = Module()
        mid, mid_valid = Signal(WIDTH), Signal()
        mid_ready = Signal()
        m.d.comb += mid_ready.eq(~self.o.valid | self.o.ready)
        if self.broken:
            m.d.comb += self.i.ready.eq(1)           # the bug: never stalls the input
        else:
            m.d.comb += self.i.ready.eq(~mid_valid | mid_ready)
        with m.If(self.i.ready):
            m.d.sync += [mid.eq(self.i.payload + CONST), mid_valid.eq(self.i.valid)]
        with m.If(mid_ready):
            m.d.sync += [self.o.payload.eq(mid), self.o.valid.eq(mid_valid)]
        return m


@pytest.mark.parametrize("broken", [False, True], ids=["good", "broken"])
def test_bench_kit(broken):
    simulator()
    name = f"selftest_{'broken' if broken else 'good'}"
    out = BUILD / "src" / f"{name}.v"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(verilog.convert(AddPipe(broken), name=name, emit_src=False))
    env = {"SELFTEST_WIDTH": WIDTH, "SELFTEST_CONST": CONST}
    if broken:
        with pytest.raises(AssertionError, match="cocotb tests failed"):
            run_bench([out], name, "selftest_tb", name, env=env)
    else:
        run_bench([out], name, "selftest_tb", name, env=env)
