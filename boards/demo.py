"""The activation coprocessor: UART in, a generated core, UART out, LEDs showing spikes.

Data path (protocol in :mod:`boards.protocol`)::

    rx pin -> UartLink.o (UART receiver, rx FIFO) -> Deframer -> core.i
    core.o -> Serializer -> UartLink.i (tx FIFO, UART transmitter) -> tx pin
                  ^-- identify requests from the Deframer

(:class:`boards.link.UartLink`, shared with the classifier of :mod:`boards.classifier`.)

The byte FIFOs (``2**log2_depth`` bytes each, one block RAM) absorb the difference between the
UART's fixed rate and the core's: with the host keeping at most ``window`` requests outstanding
neither can overflow, whatever the core's ii. The Serializer reads the core's output payload in
place (a stream payload is stable while ``valid`` is high) and takes it (``o.ready``) when its
last byte is queued, so no copy of a wide output is made.

:class:`DemoTop` is the whole design as a component with ``rx``/``tx``/``leds`` ports (what the
end-to-end simulation runs); :class:`BoardDemo` puts it on a board's pins.
"""

from amaranth import Array, Cat, ClockSignal, Const, Module, Signal
from amaranth.hdl import Instance
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from common.checks import check_int

from .protocol import CMD_EVAL, CMD_IDENT, core_crc, ident_bytes, nbytes
from .link import OnBoard, UartLink, core_reset
from .uart import uart_divisor

__all__ = ["DemoTop", "BoardDemo", "DEFAULT_BAUD", "led_groups"]

DEFAULT_BAUD = 115200


def led_groups(spike_bits, n_leds):
    """Split the output's spike bit positions into ``n_leds`` contiguous groups (one per
    LED). With fewer spike bits than LEDs, the extra LEDs get none (and stay dark)."""
    bits = list(spike_bits)
    groups = []
    for n in range(n_leds):
        groups.append(bits[n * len(bits) // n_leds:(n + 1) * len(bits) // n_leds])
    return groups


class DemoTop(wiring.Component):
    """The coprocessor around ``core`` (a :class:`boards.cores.Core`).

    Parameters
    ----------
    core : Core
        The generated core; instantiated by module name (its Verilog is added separately).
    clock_hz : float
        Clock frequency (sets the UART divisor and the LED pulse length).
    baud : int
        UART bit rate.
    n_leds : int
        LEDs to drive.
    log2_depth : int
        Each byte FIFO holds ``2**log2_depth`` bytes.
    """

    def __init__(self, core, clock_hz, baud=DEFAULT_BAUD, n_leds=1, log2_depth=9):
        self.core = core
        self.clock_hz = clock_hz
        self.divisor = uart_divisor(clock_hz, baud)
        self.n_leds = check_int("n_leds", n_leds, 1)
        self.log2_depth = check_int("log2_depth", log2_depth, 4, 16)
        self.ident = bytes([CMD_IDENT]) + ident_bytes(
            core.in_width, core.out_width, log2_depth, core_crc(core.verilog_path.read_bytes()))
        super().__init__({
            "rx": In(1, init=1),
            "tx": Out(1, init=1),
            "leds": Out(n_leds),
        })

    def elaborate(self, platform):
        m = Module()
        core = self.core
        in_bytes, out_bytes = nbytes(core.in_width), nbytes(core.out_width)

        m.submodules.link = link = UartLink(self.divisor, rx_log2_depth=self.log2_depth,
                                            tx_log2_depth=self.log2_depth)
        m.d.comb += [link.rx.eq(self.rx), self.tx.eq(link.tx)]

        core_rst = core_reset(m)
        i_valid, i_ready = Signal(), Signal()
        o_valid, o_ready = Signal(), Signal()
        i_payload = Signal(8 * in_bytes)
        o_payload = Signal(core.out_width)
        m.submodules.core = Instance(
            core.top,
            i_clk=ClockSignal("sync"), i_rst=core_rst,
            i_i__payload=i_payload[:core.in_width], i_i__valid=i_valid, o_i__ready=i_ready,
            o_o__payload=o_payload, o_o__valid=o_valid, i_o__ready=o_ready)

        # --- status flags, sticky until reported by an identify reply
        lost, framing = Signal(), Signal()
        with m.If(link.overflow):
            m.d.sync += lost.eq(1)
        with m.If(link.error):
            m.d.sync += framing.eq(1)

        # --- deframer: 'E' + in_bytes payload bytes -> one core input beat; '?' -> identify
        ident_req = Signal()
        ident_ack = Signal()
        with m.If(ident_ack):
            m.d.sync += ident_req.eq(0)
        byte_idx = Signal(range(max(in_bytes, 2)))
        with m.FSM(name="deframer"):
            with m.State("IDLE"):
                m.d.comb += link.o.ready.eq(1)
                with m.If(link.o.valid):
                    with m.If(link.o.payload == CMD_EVAL):
                        m.d.sync += byte_idx.eq(0)
                        m.next = "DATA"
                    with m.Elif(link.o.payload == CMD_IDENT):
                        m.d.sync += ident_req.eq(1)
            with m.State("DATA"):
                m.d.comb += link.o.ready.eq(1)
                with m.If(link.o.valid):
                    m.d.sync += [i_payload.word_select(byte_idx, 8).eq(link.o.payload),
                                 byte_idx.eq(byte_idx + 1)]
                    with m.If(byte_idx == in_bytes - 1):
                        m.next = "OFFER"
            with m.State("OFFER"):
                m.d.comb += i_valid.eq(1)
                with m.If(i_ready):
                    m.next = "IDLE"

        # --- serializer: identify replies and 'E' + out_bytes of each core output beat
        o_padded = Signal(8 * out_bytes)
        m.d.comb += o_padded.eq(o_payload)
        ident_rom = [Const(b, 8) for b in self.ident]
        flags_at = 1 + 3 + 1 + 2 + 2 + 1           # header, magic, version, widths, depth
        flags = Signal(8)
        ident_rom[flags_at] = flags
        ident_byte = Array(ident_rom)
        tx_idx = Signal(range(max(len(self.ident), out_bytes) + 1))
        with m.FSM(name="serializer"):
            with m.State("IDLE"):
                with m.If(ident_req):
                    m.d.comb += ident_ack.eq(1)
                    m.d.sync += [flags.eq(Cat(lost, framing)), lost.eq(0), framing.eq(0),
                                 tx_idx.eq(0)]
                    m.next = "IDENT"
                with m.Elif(o_valid):
                    m.next = "HEAD"
            with m.State("IDENT"):
                m.d.comb += [link.i.payload.eq(ident_byte[tx_idx]), link.i.valid.eq(1)]
                with m.If(link.i.ready):
                    m.d.sync += tx_idx.eq(tx_idx + 1)
                    with m.If(tx_idx == len(self.ident) - 1):
                        m.next = "IDLE"
            with m.State("HEAD"):
                m.d.comb += [link.i.payload.eq(CMD_EVAL), link.i.valid.eq(1)]
                with m.If(link.i.ready):
                    m.d.sync += tx_idx.eq(0)
                    m.next = "DATA"
            with m.State("DATA"):
                m.d.comb += [link.i.payload.eq(o_padded.word_select(tx_idx, 8)),
                             link.i.valid.eq(1)]
                with m.If(link.i.ready):
                    m.d.sync += tx_idx.eq(tx_idx + 1)
                    with m.If(tx_idx == out_bytes - 1):
                        m.d.comb += o_ready.eq(1)        # the beat is fully queued: take it
                        m.next = "IDLE"

        # --- LEDs: each lights for about 1/8 s when its group of spike bits fires
        groups = led_groups(core.spike_bits, self.n_leds) if core.spike_bits else \
            [list(range(core.out_width))] + [[] for _ in range(self.n_leds - 1)]
        prescale_bits = max(1, int(self.clock_hz / 64).bit_length() - 1)
        prescale = Signal(prescale_bits)
        m.d.sync += prescale.eq(prescale + 1)
        tick = Signal()
        m.d.comb += tick.eq(prescale == 0)
        taken = Signal()
        m.d.comb += taken.eq(o_valid & o_ready)
        for n, group in enumerate(groups):
            hold = Signal(3, name=f"led{n}_hold")
            fired = Cat(o_payload[b] for b in group).any() if group else Const(0)
            with m.If(taken & fired):
                m.d.sync += hold.eq(7)
            with m.Elif(tick & (hold != 0)):
                m.d.sync += hold.eq(hold - 1)
            m.d.comb += self.leds[n].eq(hold != 0)
        return m


class BoardDemo(OnBoard):
    """:class:`DemoTop` on a board: its UART pins and every user LED the board has."""

    def __init__(self, core, baud=DEFAULT_BAUD, log2_depth=9):
        self.core = core
        self.baud = baud
        self.log2_depth = log2_depth
        super().__init__(lambda clock_hz, n_leds: DemoTop(core, clock_hz, baud, n_leds,
                                                          log2_depth),
                         [core.verilog_path])


def write_demo_verilog(core, out_dir, clock_hz, baud=DEFAULT_BAUD, n_leds=2, log2_depth=9,
                       name="demo_top"):
    """Write the demo top (without the core, which it instantiates) as ``out_dir/NAME.v``
    for simulation; return the path. Simulate it together with the core's Verilog."""
    from pathlib import Path

    from gen.writer import to_verilog

    from .verisim import write_if_changed

    path = Path(out_dir) / f"{name}.v"
    write_if_changed(path, to_verilog(DemoTop(core, clock_hz, baud, n_leds, log2_depth), name))
    return path
