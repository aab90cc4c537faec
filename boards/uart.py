"""8N1 UART receiver and transmitter with stream interfaces.

Both count clock cycles per bit (``divisor = round(clock / baud)``); the rounding error must stay
under 2 % so the tenth bit of a frame is still sampled inside its bit time (the limit usually
quoted for 8N1 is about 4.5 % for both ends together).
"""

from amaranth import Module, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from common.checks import InputError, check_float, check_int

__all__ = ["uart_divisor", "UARTRx", "UARTTx"]


def uart_divisor(clock_hz, baud):
    """Clock cycles per bit, checked to be within 2 % of the exact ratio."""
    for name, v in (("clock", clock_hz), ("baud", baud)):
        if check_float(name, v) <= 0:
            raise InputError(f"{name} must be a positive number, not {v!r}")
    divisor = round(clock_hz / baud)
    if divisor < 4:
        raise InputError(f"baud {baud} is too fast for a {clock_hz / 1e6:g} MHz clock "
                         f"(at least 4 cycles per bit)")
    error = abs(divisor * baud - clock_hz) / clock_hz
    if error > 0.02:
        raise InputError(f"baud {baud} is {100 * error:.1f}% off with a "
                         f"{clock_hz / 1e6:g} MHz clock (divisor {divisor}); choose another")
    return divisor


class UARTRx(wiring.Component):
    """UART receiver: ``rx`` pin in, one byte per frame on stream ``o``.

    A UART cannot be stalled: a byte that arrives while ``o`` still holds the previous one is
    dropped and ``overflow`` pulses. A frame whose stop bit is not 1 is dropped (``error``
    pulses) and reception resumes once the line is idle (high) again.
    """

    def __init__(self, divisor):
        self.divisor = check_int("divisor", divisor, 4)
        super().__init__({
            "rx": In(1, init=1),
            "o": Out(stream.Signature(8)),
            "overflow": Out(1),
            "error": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        div = self.divisor

        # two flops against metastability; the line idles high
        sync0 = Signal(init=1)
        sync1 = Signal(init=1)
        m.d.sync += [sync0.eq(self.rx), sync1.eq(sync0)]

        timer = Signal(range(div + div // 2 + 1))
        bit = Signal(range(9))
        shreg = Signal(8)

        with m.If(self.o.valid & self.o.ready):
            m.d.sync += self.o.valid.eq(0)
        m.d.sync += [self.overflow.eq(0), self.error.eq(0)]

        with m.FSM():
            with m.State("IDLE"):
                with m.If(~sync1):
                    # start bit: the first data bit is sampled 1.5 bit times from its edge
                    m.d.sync += [timer.eq(div + div // 2 - 1), bit.eq(0)]
                    m.next = "DATA"
            with m.State("DATA"):
                with m.If(timer != 0):
                    m.d.sync += timer.eq(timer - 1)
                with m.Else():
                    m.d.sync += [shreg.eq((shreg >> 1) | (sync1 << 7)), bit.eq(bit + 1),
                                 timer.eq(div - 1)]
                    with m.If(bit == 7):
                        m.next = "STOP"
            with m.State("STOP"):
                with m.If(timer != 0):
                    m.d.sync += timer.eq(timer - 1)
                with m.Else():
                    with m.If(~sync1):
                        # framing error (or a break): wait for the idle line before looking
                        # for the next start bit, or the low stop bit would be taken for one
                        m.d.sync += self.error.eq(1)
                        m.next = "BREAK"
                    with m.Else():
                        with m.If(self.o.valid & ~self.o.ready):
                            m.d.sync += self.overflow.eq(1)
                        with m.Else():
                            m.d.sync += [self.o.payload.eq(shreg), self.o.valid.eq(1)]
                        # back to idle mid stop bit: the next start edge is not missed
                        m.next = "IDLE"
            with m.State("BREAK"):
                with m.If(sync1):
                    m.next = "IDLE"
        return m


class UARTTx(wiring.Component):
    """UART transmitter: bytes from stream ``i`` out on the ``tx`` pin (8N1, LSB first)."""

    def __init__(self, divisor):
        self.divisor = check_int("divisor", divisor, 4)
        super().__init__({
            "i": In(stream.Signature(8)),
            "tx": Out(1, init=1),
        })

    def elaborate(self, platform):
        m = Module()
        div = self.divisor
        timer = Signal(range(div))
        # start bit, 8 data bits, stop bit, shifted out LSB first
        frame = Signal(10, init=0x3FF)
        left = Signal(range(11))

        m.d.comb += self.i.ready.eq(left == 0)
        m.d.sync += self.tx.eq(frame[0])
        with m.If(self.i.valid & self.i.ready):
            m.d.sync += [frame.eq((1 << 9) | (self.i.payload << 1)), left.eq(10),
                         timer.eq(div - 1)]
        with m.Elif(left != 0):
            with m.If(timer != 0):
                m.d.sync += timer.eq(timer - 1)
            with m.Else():
                m.d.sync += [frame.eq((frame >> 1) | (1 << 9)), left.eq(left - 1),
                             timer.eq(div - 1)]
        return m
