"""End-to-end simulation of the activation coprocessor with no board: the whole demo top (UART
receiver and transmitter, byte FIFOs, deframer, serializer, LEDs) around a generated core, its
``rx``/``tx`` pins driven by cocotbext-uart, while the host protocol code of
``python -m boards demo`` (:func:`boards.host.demo_session`) checks every reply against the
golden model in ``sim/``."""

import json

import pytest

from rtlsim import BUILD, run_bench, simulator

from boards.build import generate_core
from boards.cores import load_core
from boards.demo import write_demo_verilog
from gen import generate
from gen.ifneuron import resolve as resolve_if

pytestmark = pytest.mark.slow


def _run(core, name, clock_hz=12_000_000, baud=1_000_000, points=0, log2_depth=9,
         expect_fail=False):
    simulator()
    top = write_demo_verilog(core, BUILD / "src" / name, clock_hz, baud, n_leds=2,
                             log2_depth=log2_depth)
    env = {"DEMO_MANIFEST": core.manifest_path, "DEMO_CLOCK_HZ": clock_hz, "DEMO_BAUD": baud,
           "DEMO_POINTS": points, "DEMO_EXPECT_FAIL": int(expect_fail)}
    run_bench([top, core.verilog_path], "demo_top", "uart_demo_tb", name, env=env)


def _gen(core, args, name):
    out = BUILD / "src" / name / "core"
    if out.is_dir():
        for f in out.iterdir():
            f.unlink()
    manifest, _ = generate_core(core, args, out)
    return load_core(manifest)


def test_demo_default_core_at_board_settings():
    """The default core (FS SiLU K=16 Q=8) exactly as on the iCEBreaker: 12 MHz clock,
    115200 baud, 512-byte FIFOs; every representable input of [-8, 12)."""
    core = _gen("fsneuron", ["--act", "silu", "--K", "16", "--Q", "8"], "demo_fs_silu")
    _run(core, "demo_fs_silu", clock_hz=12_000_000, baud=115200)


def test_demo_multi_lane_core_small_fifo():
    """Four lanes per beat (lane packing both ways) and 32-byte FIFOs, so the host's window
    (4 requests) is what keeps the FIFOs from overflowing."""
    core = _gen("fsneuron", ["--act", "relu", "--K", "6", "--lanes", "4"], "demo_fs_relu_x4")
    _run(core, "demo_fs_relu_x4", log2_depth=5)


def test_demo_amos_core():
    """An AMOS core (one input per clock) behind the UART: every input of relu K=8."""
    core = _gen("amos", ["--act", "relu", "--K", "8"], "demo_amos_relu_k8")
    _run(core, "demo_amos_relu_k8")


def test_demo_tsc_core():
    """A TSC layer behind the UART: each request is one time step {pos, neg, first}; two
    TSC-encoded frames of 32 steps, every output step checked against sim.tsc."""
    core = _gen("tsc", ["--inputs", "16", "--neurons", "6", "--steps", "32"], "demo_tsc")
    _run(core, "demo_tsc")


def test_demo_if_core():
    """The rate-coded IF core (a core whose ii, 15 cycles, is longer than the deframer needs),
    every input of a 6-bit range; then the same build with a manifest that does not describe
    its Verilog (theta changed), whose replies must be reported as mismatches."""
    src = BUILD / "src" / "demo_if_k4"
    core = load_core(generate(resolve_if(K=4, width=6), src).manifest)
    _run(core, "demo_if_k4", log2_depth=5)

    m = json.loads(core.manifest_path.read_text())
    m["theta"] = 14
    wrong = src / "if_k4_w6_wrong.json"
    wrong.write_text(json.dumps(m))
    # same Verilog, same build folder: only the bench's golden model changes
    _run(load_core(wrong), "demo_if_k4", log2_depth=5, expect_fail=True)
