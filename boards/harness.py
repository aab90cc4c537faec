"""A small-pin synthesis harness around a generated core.

A core can have hundreds of port bits (16 lanes x 12-bit inputs, 16 x 28-bit outputs), far more
than a board has pins, and ports tied to constants would let the synthesizer delete logic. The
harness gives every port bit a real, independent source and sink with three pins:

* ``din`` (UART RX pin): a shift register of ``in_width + 2`` flops shifts in one bit per cycle;
  its bits drive ``i__payload``, ``i__valid`` and ``o__ready``, so every input bit is
  controllable from outside;
* ``dout`` (UART TX pin): one flop holding the XOR of every output bit (``o__payload``,
  ``o__valid``, ``i__ready``), so every output bit is observable and nothing can be optimized
  away.

How the harness overhead is kept out of the figures: the core's LUT/FF/BRAM/DSP counts come
from an out-of-context synthesis of the core's Verilog alone (the same ``synth_<family>``
script, Yosys ``stat``), so no harness cell is in them; Fmax comes from the placed and routed
harness, whose own paths (a shift register, a registered XOR tree) are far shorter than the
core's. The whole design's counts are reported beside the core's, so the overhead is visible:
``in_width + 7`` flops and about ``out_width / 3`` LUTs.

Why not keep the core as a hierarchy level inside the harness run: nextpnr-gowin cannot read a
hierarchical netlist, and Yosys 0.70's ABC9 asserts (``count_id(wire->name) == 0``) on a
module whose internal wires are named like bits of other wires (Amaranth's lane views
``i__payload[0]``): every run gives internal wires private names first (``rename -hide``).
"""

from amaranth import ClockSignal, Elaboratable, Module, ResetSignal, Signal
from amaranth.hdl import Instance
from amaranth.lib import io

__all__ = ["SynthHarness"]


class SynthHarness(Elaboratable):
    """Harness for synthesizing ``core`` (a :class:`boards.cores.Core`) on a board platform.

    The core's Verilog is added to the platform's files and instantiated by name, so what is
    synthesized is exactly the generated file.
    """

    def __init__(self, core):
        self.core = core

    def elaborate(self, platform):
        m = Module()
        core = self.core
        platform.add_file(core.verilog_path.name, core.verilog_path.read_text())
        uart = platform.request("uart", 0, dir="-")
        m.submodules.din = din = io.Buffer("i", uart.rx)
        m.submodules.dout = dout = io.Buffer("o", uart.tx)

        # ECP5's default domain has no reset (it relies on the global set/reset), so the core
        # gets its own: held for 15 cycles after configuration, or while the domain's reset
        # (where the platform has one) is asserted
        por = Signal(range(16), init=15, reset_less=True)
        with m.If(por != 0):
            m.d.sync += por.eq(por - 1)
        core_rst = Signal()
        m.d.comb += core_rst.eq((por != 0) | ResetSignal("sync", allow_reset_less=True))

        # serial in: payload bits, then valid, then ready
        shift = Signal(core.in_width + 2)
        m.d.sync += shift.eq((shift << 1) | din.i)
        i_payload = shift[:core.in_width]
        i_valid = shift[core.in_width]
        o_ready = shift[core.in_width + 1]

        i_ready = Signal()
        o_valid = Signal()
        o_payload = Signal(core.out_width)
        m.submodules.core = Instance(
            core.top,
            i_clk=ClockSignal("sync"), i_rst=core_rst,
            i_i__payload=i_payload, i_i__valid=i_valid, o_i__ready=i_ready,
            o_o__payload=o_payload, o_o__valid=o_valid, i_o__ready=o_ready)

        # serial out: the XOR of every output bit, registered
        parity = Signal()
        m.d.sync += parity.eq(o_payload.xor() ^ o_valid ^ i_ready)
        m.d.comb += dout.o.eq(parity)
        return m
