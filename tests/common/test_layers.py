"""The one-way layering of the packages (pyproject.toml [tool.importlinter]) holds, and the
check catches an upward import."""

import shutil
import subprocess
import sys
from pathlib import Path

from clirun import ROOT

PACKAGES = ("spikegen", "common", "sim", "quant", "net", "gen", "boards")


def _lint(root):
    exe = Path(sys.executable).parent / "lint-imports"
    return subprocess.run([str(exe), "--config", str(root / "pyproject.toml")], cwd=root,
                          capture_output=True, text=True, env={"PYTHONPATH": str(root)},
                          timeout=300)


def test_layers_contract_is_kept():
    r = _lint(ROOT)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert "0 broken" in r.stdout


def test_an_upward_import_breaks_the_contract(tmp_path):
    for pkg in PACKAGES:
        shutil.copytree(ROOT / pkg, tmp_path / pkg,
                        ignore=shutil.ignore_patterns("__pycache__", "*.json", "*.png"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    with open(tmp_path / "sim" / "fs.py", "a") as f:
        f.write("\n\ndef _upward():\n    from quant import fixed  # noqa: F401\n")
    r = _lint(tmp_path)
    assert r.returncode != 0
    assert "BROKEN" in r.stdout and "sim.fs -> quant.fixed" in r.stdout
