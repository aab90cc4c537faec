"""``spikegen``: one command over the packages' command lines, and the version in one place."""

import importlib.metadata
import re
import shutil
import subprocess
import sys
from pathlib import Path

from clirun import ROOT, run_cli

import spikegen
from spikegen.__main__ import COMMANDS, main


def test_version_is_the_distributions():
    assert re.fullmatch(r"\d+\.\d+\.\d+", spikegen.__version__)
    assert importlib.metadata.version("spikegen") == spikegen.__version__
    assert 'dynamic = ["version"]' in (ROOT / "pyproject.toml").read_text()


def test_version_flag(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"spikegen {spikegen.__version__}\n"


def test_commands_are_the_python_m_entry_points():
    assert set(COMMANDS) == {"gen", "quant", "net", "boards"}


def test_same_files_as_python_m(tmp_path):
    a = run_cli("gen", "fsneuron", "--act", "relu", "--K", "4", "--out", tmp_path / "a")
    b = run_cli("spikegen", "gen", "fsneuron", "--act", "relu", "--K", "4", "--out",
                tmp_path / "b")
    assert a.returncode == b.returncode == 0, b.stderr
    for name in ("fs_relu_k4.v", "fs_relu_k4.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert a.stdout.replace(str(tmp_path / "a"), "X") == b.stdout.replace(str(tmp_path / "b"), "X")


def test_errors_are_one_line_exit_2(capsys):
    assert main(["bogus"]) == 2
    assert capsys.readouterr().err.startswith("error: spikegen: unknown command 'bogus'")
    assert main(["gen", "fsneuron", "--K", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ")


def test_console_script_is_installed():
    exe = Path(sys.executable).parent / "spikegen"
    if not exe.exists():
        exe = shutil.which("spikegen")
    r = subprocess.run([str(exe), "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip() == f"spikegen {spikegen.__version__}"
