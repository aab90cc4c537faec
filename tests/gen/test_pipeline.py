"""gen.pipeline.Pipeline: parameter checks, and the shell itself proved against the stream
contract (tests/kit/formal/contract.py) around a pipeline whose stages only carry the data."""

import pytest
from amaranth import Const, Module, Signal
from amaranth.hdl import Assert
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from clirun import ROOT
from formal.contract import PipelineModel, StreamContract
from formal.sby import missing_tools, run_sby
from gen.pipeline import Pipeline

FORMAL = ROOT / "build" / "formal"


@pytest.mark.parametrize("depth", [0, -1, True, 2.0, "3"])
def test_bad_depth(depth):
    with pytest.raises(ValueError, match="at least one stage"):
        Pipeline(depth)


def test_names():
    pipe = Pipeline(3, names=["a", "b"])
    assert [s.name for s in pipe.stage_valid] == ["a_valid", "b_valid"]
    assert [s.name for s in Pipeline(3, name="p").stage_valid] == ["p1_valid", "p2_valid"]
    assert Pipeline(1).stage_valid == []
    with pytest.raises(ValueError, match="2 non-empty strings"):
        Pipeline(3, names=["a"])
    with pytest.raises(TypeError, match="non-empty string"):
        Pipeline(3, name="")


class Delay(wiring.Component):
    """``depth`` registered stages that carry the payload unchanged."""

    i: In(stream.Signature(8))
    o: Out(stream.Signature(8))

    def __init__(self, depth):
        self.pipe = Pipeline(depth, name="delay")
        self.regs = [Signal(8, name=f"r{k + 1}", reset_less=True) for k in range(depth)]
        super().__init__()

    def elaborate(self, platform):
        m = Module()
        self.pipe.elaborate_into(m, self.i, self.o)
        with m.If(self.pipe.enable):
            m.d.sync += self.regs[0].eq(self.i.payload)
            m.d.sync += [b.eq(a) for a, b in zip(self.regs, self.regs[1:])]
        m.d.comb += self.o.payload.eq(self.regs[-1])
        return m


class NoStallDelay(Delay):
    """Broken: the stages move even when the output is full and not taken."""

    def elaborate(self, platform):
        m = super().elaborate(platform)
        m.d.comb += self.pipe.enable.eq(Const(1))       # a later assignment wins
        return m


def _contract(core):
    def lemmas(m, c):
        c.model.stage_lemmas(m, c, core.pipe)
        for reg, valid, x in zip(core.regs, c.model.valid, c.model.data):
            with m.If(~c.rst & valid):
                m.d.comb += Assert(reg == x)
    return StreamContract(core, lambda m, x, y: [y == x], PipelineModel(len(core.regs)),
                          lemmas=lemmas)


@pytest.mark.skipif(bool(missing_tools()), reason=f"missing {', '.join(missing_tools())}")
@pytest.mark.parametrize("cls,mode,status", [(Delay, "prove", "PASS"),
                                             (NoStallDelay, "bmc", "FAIL")])
def test_shell_meets_the_stream_contract(cls, mode, status):
    """Any handshake, any reset, unbounded: in order, none lost or duplicated, output held while
    stalled, i.ready = o.ready | ~o.valid, latency = depth; the broken shell gives a trace."""
    result = run_sby(FORMAL / f"pipeline_{cls.__name__}", _contract(cls(3)), mode=mode, depth=5)
    assert result.status == status, result.log
