"""End-to-end simulation of the activation coprocessor: demo top + core, UART pins driven by
cocotbext-uart, the host protocol code of ``python -m boards demo`` checking every reply against
the golden model."""

import json

import pytest

from rtlsim import BUILD, run_bench, simulator

from boards.cores import load_core
from boards.demo import write_demo_verilog
from boards.ifneuron import write_if_core


def _run(core, name, clock_hz=12_000_000, baud=1_000_000, points=0, log2_depth=9,
         expect_fail=False):
    simulator()
    top = write_demo_verilog(core, BUILD / "src" / name, clock_hz, baud, n_leds=2, log2_depth=log2_depth)
    env = {"DEMO_MANIFEST": core.manifest_path, "DEMO_CLOCK_HZ": clock_hz, "DEMO_BAUD": baud,
           "DEMO_POINTS": points, "DEMO_EXPECT_FAIL": int(expect_fail)}
    run_bench([top, core.verilog_path], "demo_top", "uart_demo_tb", name, env=env)


def test_demo_if_core():
    """The rate-coded IF core behind the UART, every input of a 6-bit range, K = 4; then the
    same build with a manifest that does not describe its Verilog (theta changed), whose
    replies must be reported as mismatches."""
    src = BUILD / "src" / "demo_if_k4"
    core = load_core(write_if_core(src, 4, 6))
    _run(core, "demo_if_k4", log2_depth=5)

    m = json.loads(core.manifest_path.read_text())
    m["theta"] = 14
    wrong = src / "if_k4_w6_wrong.json"
    wrong.write_text(json.dumps(m))
    # same Verilog, same build folder: only the bench's golden model changes
    _run(load_core(wrong), "demo_if_k4", log2_depth=5, expect_fail=True)
