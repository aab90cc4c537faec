"""The virtual board with the coprocessor top: ``python -m boards sim-board BOARD`` serves the
build in ``--out DIR`` on a pseudo-terminal, and ``python -m boards demo BOARD --port
/dev/pts/N`` checks its replies against the golden model through pyserial."""

import signal
import subprocess
import sys

import pytest

from clirun import ROOT
from rtlsim import BUILD, simulator

from boards.build import generate_core
from common.cli import dumps_json

pytestmark = pytest.mark.slow


def _build_folder(folder):
    """A build folder as ``python -m boards build`` leaves it, without the synthesis: the core
    and a report naming it (all that demo and sim-board read)."""
    core = folder / "core"
    if core.is_dir():
        for f in core.iterdir():
            f.unlink()
    manifest, _ = generate_core("fsneuron", ["--act", "relu", "--K", "6"], core)
    (folder / "report.json").write_text(dumps_json({"board": "icebreaker",
                                                    "manifest": f"core/{manifest.name}",
                                                    "baud": 115200}))
    return folder


def test_virtual_coprocessor_demo(tmp_path):
    simulator()
    out = _build_folder(BUILD / "virtual_coprocessor" / "build")
    work = BUILD / "virtual_coprocessor" / "sim"
    server = subprocess.Popen(
        [sys.executable, "-m", "boards", "sim-board", "icebreaker", "--out", str(out),
         "--work", str(work)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    try:
        line = server.stdout.readline()
        assert line.startswith("port: /dev/pts/"), server.stderr.read() if server.poll() else line
        demo = subprocess.run(
            [sys.executable, "-m", "boards", "demo", "icebreaker", "--out", str(out), "--port",
             line.split(": ", 1)[1].strip(), "--points", "24", "--png",
             str(tmp_path / "demo.png"), "--timeout", "30"],
            cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert demo.returncode == 0, demo.stdout + demo.stderr
        assert "every reply matches the golden model" in demo.stdout
    finally:
        server.send_signal(signal.SIGINT)
        try:
            code = server.wait(timeout=60)
        finally:
            if server.poll() is None:
                server.kill()
    assert code == 0, server.stderr.read()
