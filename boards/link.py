"""What every board top shares: the UART link with its byte FIFOs, the core's reset, the LEDs,
and the board wrapper that puts a top on a board's pins.

:class:`UartLink`::

    rx pin -> UARTRx -> rx FIFO -> stream o (bytes received)
    stream i (bytes to send) -> tx FIFO -> UARTTx -> tx pin

A UART cannot be stalled, so the receive FIFO must have room for whatever the host may send
ahead (each protocol bounds the requests a host keeps outstanding by it); the transmit side is
stalled by the FIFO and the UART, so replies are never lost. Both FIFOs are
``amaranth.lib.fifo.SyncFIFOBuffered`` (one block RAM each where the device has them).

:class:`OnBoard` puts any top with ``rx``/``tx``/``leds`` ports on a board: its UART pins and
every user LED the platform has (the coprocessor of :mod:`boards.demo` and the classifier of
:mod:`boards.classifier` both run on it).
"""

from amaranth import Elaboratable, Module, ResetSignal, Signal
from amaranth.build import ResourceError
from amaranth.lib import io, stream, wiring
from amaranth.lib.fifo import SyncFIFOBuffered
from amaranth.lib.wiring import In, Out

from common.checks import check_int

from .uart import UARTRx, UARTTx

__all__ = ["UartLink", "core_reset", "OnBoard", "board_leds"]


class UartLink(wiring.Component):
    """UART receiver and transmitter behind byte FIFOs.

    Parameters
    ----------
    divisor : int
        Clock cycles per UART bit.
    rx_log2_depth, tx_log2_depth : int
        The receive / transmit FIFO holds ``2**log2_depth`` bytes.

    Members
    -------
    rx : In(1)
        The receive pin (idles high).
    tx : Out(1)
        The transmit pin.
    o : Out(stream.Signature(8))
        Bytes received, oldest first.
    i : In(stream.Signature(8))
        Bytes to send.
    overflow, error : Out(1)
        One-cycle pulses: a received byte was dropped (FIFO full); a frame had no stop bit.
    """

    def __init__(self, divisor, *, rx_log2_depth=9, tx_log2_depth=9):
        self.divisor = check_int("divisor", divisor, 4)
        self.rx_log2_depth = check_int("rx_log2_depth", rx_log2_depth, 4, 16)
        self.tx_log2_depth = check_int("tx_log2_depth", tx_log2_depth, 4, 16)
        super().__init__({
            "rx": In(1, init=1),
            "tx": Out(1, init=1),
            "o": Out(stream.Signature(8)),
            "i": In(stream.Signature(8)),
            "overflow": Out(1),
            "error": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.uart_rx = uart_rx = UARTRx(self.divisor)
        m.submodules.uart_tx = uart_tx = UARTTx(self.divisor)
        m.submodules.rx_fifo = rx_fifo = SyncFIFOBuffered(width=8, depth=1 << self.rx_log2_depth)
        m.submodules.tx_fifo = tx_fifo = SyncFIFOBuffered(width=8, depth=1 << self.tx_log2_depth)
        m.d.comb += [
            uart_rx.rx.eq(self.rx),
            self.tx.eq(uart_tx.tx),
            rx_fifo.w_data.eq(uart_rx.o.payload),
            rx_fifo.w_en.eq(uart_rx.o.valid),
            uart_rx.o.ready.eq(rx_fifo.w_rdy),
            self.o.payload.eq(rx_fifo.r_data),
            self.o.valid.eq(rx_fifo.r_rdy),
            rx_fifo.r_en.eq(self.o.ready),
            tx_fifo.w_data.eq(self.i.payload),
            tx_fifo.w_en.eq(self.i.valid),
            self.i.ready.eq(tx_fifo.w_rdy),
            uart_tx.i.payload.eq(tx_fifo.r_data),
            uart_tx.i.valid.eq(tx_fifo.r_rdy),
            tx_fifo.r_en.eq(uart_tx.i.ready),
            self.overflow.eq(uart_rx.overflow),
            self.error.eq(uart_rx.error),
        ]
        return m


def core_reset(m):
    """A reset for a generated core inside ``m``: held for 15 cycles after configuration
    (ECP5's default domain has no reset signal) or while the domain's own reset is asserted."""
    por = Signal(range(16), init=15, reset_less=True)
    with m.If(por != 0):
        m.d.sync += por.eq(por - 1)
    rst = Signal()
    m.d.comb += rst.eq((por != 0) | ResetSignal("sync", allow_reset_less=True))
    return rst


def board_leds(platform, m):
    """Output buffers of every user LED the platform has (``led`` 0, 1, ...), in order."""
    leds = []
    while True:
        try:
            port = platform.request("led", len(leds), dir="-")
        except ResourceError:       # no more LEDs
            return leds
        buf = io.Buffer("o", port)
        m.submodules[f"led{len(leds)}"] = buf
        leds.append(buf)


class OnBoard(Elaboratable):
    """A top with ``rx``/``tx``/``leds`` ports on a board's UART pins and LEDs.

    Parameters
    ----------
    make_top : callable
        ``make_top(clock_hz, n_leds)`` returns the top component (made at elaboration, when the
        platform's clock and LEDs are known).
    verilog : list of Path
        Verilog files the top instantiates (added to the platform's files).
    """

    def __init__(self, make_top, verilog=()):
        self.make_top = make_top
        self.verilog = list(verilog)

    def elaborate(self, platform):
        m = Module()
        for path in self.verilog:
            platform.add_file(path.name, path.read_text())
        uart = platform.request("uart", 0, dir="-")
        m.submodules.rx_buf = rx_buf = io.Buffer("i", uart.rx)
        m.submodules.tx_buf = tx_buf = io.Buffer("o", uart.tx)
        leds = board_leds(platform, m)
        m.submodules.top = top = self.make_top(platform.default_clk_frequency, max(1, len(leds)))
        m.d.comb += [top.rx.eq(rx_buf.i), tx_buf.o.eq(top.tx)]
        for n, led in enumerate(leds):
            m.d.comb += led.o.eq(top.leds[n])
        return m
