"""examples/fs_core_flow.py runs as documented: generate, cocotb check, place and route."""

import subprocess
import sys

import pytest

from clirun import ROOT


@pytest.mark.slow
def test_example_runs(tmp_path):
    r = subprocess.run([sys.executable, "examples/fs_core_flow.py", "--out", str(tmp_path)],
                       cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "fs_relu_k6: FS-neuron core" in r.stdout
    assert "cocotb: 1 of 1 tests passed" in r.stdout
    assert "iCE40UP5K:" in r.stdout and "timing met" in r.stdout
    assert (tmp_path / "core" / "fs_relu_k6.json").is_file()
