"""The virtual board: a board's whole top, UART pins included, simulated in Verilator behind a
pseudo-terminal, so ``python -m boards demo BOARD ... --port /dev/pts/N`` runs unchanged, through
pyserial, with no hardware.

``python -m boards sim-board BOARD --network NET.json`` (the classifier) or
``python -m boards sim-board BOARD`` (the coprocessor of a build folder) builds the top at the
board's clock and baud rate (:mod:`boards.verisim`), starts the simulator with the bench
:func:`boards.cocotb_classifier.serve_pty`, prints ``port: /dev/pts/N`` as its first line on
stdout once the board is up, and serves until SIGINT or SIGTERM; then it stops the simulator
(which is reaped) and exits 0.

Process tree: this process -> ``python -m boards.virtual`` (cocotb's runner, in its own session
so a terminal's Ctrl-C reaches only this process) -> the Verilator executable. On a signal this
process sends SIGTERM to the runner, which raises there, so the runner's ``subprocess.run``
kills and waits for the simulator.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from common.cli import CLIError

__all__ = ["VirtualBoard", "classifier_board", "coprocessor_board", "serve"]

#: The cocotb module of the virtual board's bench.
BENCH = "boards.cocotb_classifier"
#: Seconds the simulator gets to come up after its build.
START_TIMEOUT_S = 600


class VirtualBoard:
    """A built top ready to serve: Verilator build folder, wrapper name, baud rate."""

    def __init__(self, build_dir, toplevel, baud, describe):
        self.build_dir, self.toplevel, self.baud = Path(build_dir).resolve(), toplevel, baud
        self.describe = describe


def _build(board, top_path, core, work, clock_hz, n_leds, baud, describe, log):
    from .verisim import build_top, clocked_wrapper

    files, wrapper = clocked_wrapper(top_path.stem, clock_hz, n_leds, top_path.parent)
    log(f"building the virtual {board.name} ({describe}) with Verilator in {work} ...")
    build_top([files[0], top_path, core.verilog_path, files[1]], wrapper, work / "sim")
    return VirtualBoard(work / "sim", wrapper, baud, describe)


def classifier_board(board, network_path, pe, baud, work, log=print):
    """Generate the network core, write the classifier top for ``board`` and build it."""
    from .build import generate_core, pe_text
    from .classifier import classifier_fifo_log2, write_classifier_verilog
    from .cores import load_core
    from .platforms import led_count

    import tempfile

    from .verisim import write_if_changed

    work = Path(work)
    src = work / "src"
    core_dir = src / "core"
    with tempfile.TemporaryDirectory(prefix="spikegen-net-") as tmp:
        manifest, _ = generate_core("network", [str(network_path), "--pe", pe_text(pe)], tmp)
        if core_dir.is_dir():
            for old in core_dir.iterdir():
                if not (Path(tmp) / old.name).exists():
                    old.unlink()
        for f in Path(tmp).iterdir():
            write_if_changed(core_dir / f.name, f.read_bytes())
    core = load_core(core_dir / manifest.name)
    rx, tx = classifier_fifo_log2(board, core.manifest["input"]["count"])
    n_leds = led_count(board, extra=True)
    top = src / "classifier_top.v"
    write_classifier_verilog(core, top, board.clock_mhz * 1e6, baud, n_leds, rx, tx)
    return _build(board, top, core, work, board.clock_mhz * 1e6, n_leds, baud,
                  f"classifier of {Path(network_path).name}, P={pe_text(pe)}", log)


def coprocessor_board(board, core, baud, work, log=print):
    """Write the coprocessor top around a built ``core`` for ``board`` and build it."""
    from .demo import write_demo_verilog
    from .platforms import led_count

    work = Path(work)
    n_leds = led_count(board)
    top = write_demo_verilog(core, work / "src", board.clock_mhz * 1e6, baud, n_leds=n_leds,
                             log2_depth=board.fifo_log2)
    return _build(board, top, core, work, board.clock_mhz * 1e6, n_leds, baud,
                  f"coprocessor with {core.describe()}", log)


def serve(vb, out=sys.stdout, log=print):
    """Start the simulator, print ``port: NAME`` on ``out`` when it serves, wait for SIGINT or
    SIGTERM, stop it; return 0."""
    ready = vb.build_dir / "pty.txt"
    ready.unlink(missing_ok=True)
    spec = json.dumps({"build_dir": str(vb.build_dir), "toplevel": vb.toplevel,
                       "baud": vb.baud, "ready": str(ready)})
    stop = []

    def on_signal(signum, frame):
        stop.append(signum)

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    child = subprocess.Popen([sys.executable, "-m", "boards.virtual", spec],
                             start_new_session=True)
    try:
        start = time.monotonic()
        while not ready.is_file():
            if stop:
                return 0
            if child.poll() is not None:
                raise CLIError(f"the simulator stopped before serving (exit {child.returncode}"
                               f"); log: {vb.build_dir / 'sim.log'}")
            if time.monotonic() - start > START_TIMEOUT_S:
                raise CLIError(f"the simulator did not come up in {START_TIMEOUT_S} s; log: "
                               f"{vb.build_dir / 'sim.log'}")
            time.sleep(0.05)
        print(f"port: {ready.read_text().strip()}", file=out, flush=True)
        log(f"virtual board up: {vb.describe}, {vb.baud} baud; stop with Ctrl-C or SIGTERM")
        while not stop:
            if child.poll() is not None:
                raise CLIError(f"the simulator stopped (exit {child.returncode}); log: "
                               f"{vb.build_dir / 'sim.log'}")
            time.sleep(0.1)
        return 0
    finally:
        _stop(child)
        for s, handler in old.items():
            signal.signal(s, handler)


def _stop(child):
    if child.poll() is None:
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _run(spec):
    """The runner process: run the bench until SIGTERM (cocotb's runner then kills and reaps
    the simulator)."""
    from .verisim import verilator_env

    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    verilator_env()
    from cocotb_tools.runner import get_runner

    spec = json.loads(spec)
    build_dir = Path(spec["build_dir"])
    runner = get_runner("verilator")
    try:
        runner.test(hdl_toplevel=spec["toplevel"], hdl_toplevel_lang="verilog",
                    test_module=BENCH, testcase="serve_pty",
                    build_dir=build_dir, test_dir=build_dir,
                    extra_env={"VB_BAUD": str(spec["baud"]), "VB_READY": spec["ready"]},
                    results_xml=str(build_dir / "serve.xml"), log_file=build_dir / "sim.log")
    except (KeyboardInterrupt, SystemExit):
        pass
    return 0


if __name__ == "__main__":
    sys.exit(_run(sys.argv[1]))
