"""End-to-end bench of the activation coprocessor: the whole demo top, UART pins included.

cocotbext-uart drives the ``rx`` pin and listens on ``tx``; the host protocol code of
``python -m boards demo`` (:func:`boards.host.demo_session`) runs unchanged over that transport,
and every reply is checked against the golden model in ``sim/``.

Environment: DEMO_MANIFEST (the core's manifest), DEMO_CLOCK_HZ, DEMO_BAUD, DEMO_POINTS (inputs
to sweep, default all), DEMO_EXPECT_FAIL (1: the run must report mismatches).
"""

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, Timer
from cocotbext.uart import UartSink, UartSource

from streams import env_int, env_str

from boards import golden
from boards.cores import load_core
from boards.host import demo_session
from boards.protocol import ProtocolError, run_async


class UartTransport:
    """cocotbext-uart source/sink as the async byte transport of the protocol runner."""

    def __init__(self, dut, baud, timeout_bytes=4096):
        self.source = UartSource(dut.rx, baud=baud)
        self.sink = UartSink(dut.tx, baud=baud)
        for end in (self.source, self.sink):
            end.log.setLevel("WARNING")
        self.byte_ns = 10 * 1e9 / baud
        self.timeout_ns = timeout_bytes * self.byte_ns

    async def write(self, data):
        await self.source.write(data)

    async def read(self, n):
        waited = 0
        step = int(self.byte_ns)
        while self.sink.count() < n and waited < self.timeout_ns:
            await Timer(step, "ns")
            waited += step
        return bytes(self.sink.read_nowait(min(n, self.sink.count())))


@cocotb.test()
async def coprocessor_sweep(dut):
    core = load_core(env_str("DEMO_MANIFEST"))
    clock_hz, baud = env_int("DEMO_CLOCK_HZ"), env_int("DEMO_BAUD")
    points = env_int("DEMO_POINTS", 0) or None
    expect_fail = env_int("DEMO_EXPECT_FAIL", 0)

    period_ps = 2 * round(1e12 / clock_hz / 2)
    cocotb.start_soon(Clock(dut.clk, period_ps, unit="ps").start())
    dut.rx.value = 1
    dut.rst.value = 1
    await ClockCycles(dut.clk, 4)
    dut.rst.value = 0
    await ClockCycles(dut.clk, 20)

    transport = UartTransport(dut, baud)
    xs = golden.sweep(core, points)
    try:
        ident, outputs, problems = await run_async(demo_session(core, xs), transport)
    except ProtocolError as exc:
        if expect_fail:
            dut._log.info("protocol failure, as expected: %s", exc)
            return
        raise
    dut._log.info("%s: %d inputs, %d replies, window %d, %d mismatches", core.describe(),
                  len(xs), len(outputs), ident.window, len(problems))
    await Timer(1, "us")
    if expect_fail:
        assert problems, "a broken core passed the end-to-end check"
    else:
        assert not problems, "\n".join(problems[:10])
