"""End to end, with no board: the classifier top (UART receiver and transmitter, byte FIFOs,
deframer, serializer, LEDs) around a generated network core, at the iCEBreaker's clock, baud
rate and FIFO depths.

* cocotb: cocotbext-uart drives the top's pins while the host code of ``python -m boards demo``
  classifies 30 digits test images; every class and logit must equal the integer network's;
* the virtual board: ``python -m boards sim-board`` serves the same top behind a
  pseudo-terminal, and ``python -m boards demo ... --port /dev/pts/N`` runs against it through
  pyserial for 20 images, then the server is stopped with SIGTERM and must exit 0.

Both run on one Verilator build (the same sources in the same folder)."""

import fcntl
import json
import os
import signal
import subprocess
import sys

import pytest

from rtlsim import BUILD, ROOT, simulator

from boards.classifier import classifier_fifo_log2
from boards.netproto import window
from boards.platforms import board
from boards.virtual import classifier_board

pytestmark = pytest.mark.slow

NETWORK = ROOT / "net" / "examples" / "mlp_fs_relu_k10.json"
BOARD = "icebreaker"
#: the board's default P, as sim-board and demo take it when --pe is not given
PE = board(BOARD).network_pe
BAUD = 115200


@pytest.fixture(scope="module")
def virtual():
    """The one Verilator build of the top (under a lock: pytest-xdist may run both tests at
    once, and the second finds the build up to date)."""
    simulator()
    work = BUILD / "classifier_icebreaker"
    work.mkdir(parents=True, exist_ok=True)
    with open(work / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return classifier_board(board(BOARD), NETWORK, PE, BAUD, work, log=lambda *_: None)


def run_cocotb(vb, bench, testcase, env, name):
    """Run ``testcase`` of cocotb module ``bench`` on the virtual board's Verilator build;
    AssertionError with the log's tail when it fails."""
    from cocotb_tools.runner import get_results, get_runner

    xml = vb.build_dir / f"{name}.xml"
    log = vb.build_dir / f"{name}.log"
    xml.unlink(missing_ok=True)
    saved = os.environ.pop("PYTEST_CURRENT_TEST", None)
    try:
        get_runner("verilator").test(
            hdl_toplevel=vb.toplevel, hdl_toplevel_lang="verilog", test_module=bench,
            testcase=testcase,
            build_dir=vb.build_dir, test_dir=vb.build_dir,
            extra_env={k: str(v) for k, v in env.items()}, results_xml=str(xml),
            log_file=log)
    except SystemExit as exc:
        raise AssertionError(f"simulator exited with {exc.code}:\n"
                             f"{log.read_text()[-4000:]}") from None
    finally:
        if saved is not None:
            os.environ["PYTEST_CURRENT_TEST"] = saved
    n_tests, n_failed = get_results(xml)
    assert n_tests == 1 and not n_failed, log.read_text()[-6000:]


def test_classifier_end_to_end(virtual):
    """30 digits images through the UART pins, every reply checked, frame rules included."""
    rx, _ = classifier_fifo_log2(board(BOARD), 64)
    result = virtual.build_dir / "result.json"
    result.unlink(missing_ok=True)
    run_cocotb(virtual, "uart_classifier_tb", "classify_digits",
               {"CLS_NETWORK": NETWORK, "CLS_BAUD": BAUD, "CLS_IMAGES": 30,
                "CLS_WINDOW": window(64, rx), "CLS_RESULT": result}, "classifier_e2e")
    data = json.loads(result.read_text())
    assert len(data["replies"]) == 30 and not data["problems"]


def test_virtual_board_demo(virtual, tmp_path):
    """sim-board serves the same top on a pseudo-terminal: its first stdout line is the port;
    demo runs against it through pyserial for 20 images, every reply equal to the integer
    network's; SIGTERM stops it with exit status 0 and no simulator left behind."""
    work = virtual.build_dir.parent
    server = subprocess.Popen(
        [sys.executable, "-m", "boards", "sim-board", BOARD, "--network", str(NETWORK),
         "--work", str(work)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        assert line.startswith("port: /dev/pts/"), (line, server.stderr.read()
                                                    if server.poll() is not None else "")
        port = line.split(": ", 1)[1].strip()
        png = tmp_path / "confusion.png"
        demo = subprocess.run(
            [sys.executable, "-m", "boards", "demo", BOARD, "--network", str(NETWORK),
             "--port", port, "--images", "20", "--png", str(png), "--out", str(tmp_path),
             "--timeout", "30"],
            cwd=ROOT, capture_output=True, text=True, timeout=900)
        assert demo.returncode == 0, demo.stdout + demo.stderr
        assert "20 of 20 replies equal the integer network's" in demo.stdout, demo.stdout
        assert "every reply matches the integer network" in demo.stdout
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            code = server.wait(timeout=60)
        finally:
            if server.poll() is None:
                server.kill()
    assert code == 0, server.stderr.read()
    # the runner is gone and the simulator was reaped (no zombie left)
    procs = subprocess.run(["ps", "-eo", "stat,args"], capture_output=True, text=True).stdout
    left = [p for p in procs.splitlines() if "boards.virtual" in p and str(work) in p
            or p.startswith("Z") and virtual.toplevel in p]
    assert not left, procs
