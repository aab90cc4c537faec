"""End to end, with no board: the classifier top (UART receiver and transmitter, byte FIFOs,
deframer, serializer, LEDs) around a generated network core, at the iCEBreaker's clock, baud
rate and FIFO depths.

* cocotb: cocotbext-uart drives the top's pins while the host code of ``python -m boards demo``
  classifies 30 digits test images; every class and logit must equal the integer network's;
* the virtual board: ``python -m boards sim-board`` serves the same top behind a
  pseudo-terminal, and ``python -m boards demo ... --port /dev/pts/N`` runs against it through
  pyserial for 20 images, then the server is stopped with SIGTERM and must exit 0.

Both run on one Verilator build (the same sources in the same folder)."""

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
PE = 16
BAUD = 115200


@pytest.fixture(scope="module")
def virtual():
    simulator()
    return classifier_board(board(BOARD), NETWORK, PE, BAUD, BUILD / "classifier_icebreaker",
                            log=lambda *_: None)


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
