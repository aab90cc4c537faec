"""Synthesis flow: report parsers, the timing verdict, core loading, and a real place-and-route
smoke test through yowasp (a small core, so it stays CI-friendly)."""

import json
import shutil

import pytest

from clirun import run_cli

from boards.cores import load_core, verilog_ports
from gen import generate
from gen.ifneuron import resolve as resolve_if
from boards.synth import (SynthError, cell_summary, check_timing, parse_nextpnr_report,
                          parse_yosys_stat, synthesize)
from boards.toolchain import missing_tools


def _need(family):
    missing = missing_tools(family)
    if missing:
        pytest.skip(f"missing tools: {', '.join(missing)}")


# --- parsers -------------------------------------------------------------------------------

STAT = {
    "modules": {
        "\\top": {"num_cells_by_type": {"SB_LUT4": 3, "SB_DFF": 2, "\\sub": 2}},
        "\\sub": {"num_cells_by_type": {"SB_LUT4": 5, "SB_CARRY": 4, "SB_DFFE": 1,
                                        "\\leaf": 1}},
        "\\leaf": {"num_cells_by_type": {"SB_RAM40_4K": 1, "SB_MAC16": 1}},
    }
}


def test_stat_expands_hierarchy():
    cells = parse_yosys_stat(STAT, "top")
    assert cells == {"SB_CARRY": 8, "SB_DFF": 2, "SB_DFFE": 2, "SB_LUT4": 13,
                     "SB_MAC16": 2, "SB_RAM40_4K": 2}
    assert parse_yosys_stat(STAT, "leaf") == {"SB_MAC16": 1, "SB_RAM40_4K": 1}
    with pytest.raises(SynthError, match="no module 'nope'"):
        parse_yosys_stat(STAT, "nope")


def test_cell_summary_per_family():
    assert cell_summary(parse_yosys_stat(STAT, "top"), "ice40") == \
        {"luts": 13, "ffs": 4, "brams": 2, "dsps": 2}
    # an ECP5 carry cell holds two LUT4 positions
    assert cell_summary({"LUT4": 10, "CCU2C": 3, "TRELLIS_FF": 7, "DP16KD": 1,
                         "MULT18X18D": 2, "PFUMX": 4}, "ecp5") == \
        {"luts": 16, "ffs": 7, "brams": 1, "dsps": 2}
    assert cell_summary({"LUT2": 1, "LUT4": 2, "ALU": 3, "DFFRE": 5, "DFFR": 1,
                         "MUX2_LUT5": 9}, "gowin") == \
        {"luts": 6, "ffs": 6, "brams": 0, "dsps": 0}


def _report(achieved, constraint):
    return {"fmax": {"clk": {"achieved": achieved, "constraint": constraint}},
            "utilization": {"ICESTORM_LC": {"used": 40, "available": 5280},
                            "ICESTORM_RAM": {"used": 1, "available": 30}}}


def test_nextpnr_report_and_timing_verdict():
    fmax, total = parse_nextpnr_report(_report(55.5, 24.0), "ice40")
    assert fmax == {"clk": (55.5, 24.0)}
    assert total == {"luts": 40, "ffs": None, "brams": 1, "dsps": 0}
    assert check_timing(fmax) == (55.5, True)
    assert check_timing(fmax, 60.0) == (55.5, False)
    fmax, _ = parse_nextpnr_report(_report(55.5, 100.0), "ice40")
    assert check_timing(fmax) == (55.5, False)
    # the worst clock decides
    two = {"a": (200.0, 100.0), "b": (90.0, 100.0)}
    assert check_timing(two) == (90.0, False)
    # a run with no clock at all is not a pass
    assert check_timing({}) == (0.0, False)


# --- core files ----------------------------------------------------------------------------

def test_verilog_ports():
    text = ("module other(a); input [3:0] a; endmodule\n"
            "module top(clk, x, y);\n  input clk;\n  wire clk;\n  input [11:0] x;\n"
            "  output [20:0] y;\n  reg [20:0] y = 21'h0;\nendmodule\n")
    assert verilog_ports(text, "top") == {"clk": ("input", 1), "x": ("input", 12),
                                          "y": ("output", 21)}
    with pytest.raises(ValueError, match="no module 'nope'"):
        verilog_ports(text, "nope")


def test_load_core_checks_manifest_against_verilog(tmp_path):
    path = generate(resolve_if(K=3, width=6), tmp_path).manifest
    core = load_core(path)
    assert (core.in_width, core.out_width, core.ii, core.lanes) == (6, 3, 7, 1)

    m = json.loads(path.read_text())
    m["ports"]["i"]["payload"]["width"] = 7
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(m))
    with pytest.raises(ValueError, match=r"i__payload is input \[6\], the manifest says "
                                         r"input \[7\]"):
        load_core(bad)
    del m["ports"]
    bad.write_text(json.dumps(m))
    with pytest.raises(ValueError, match="manifest has no 'ports'"):
        load_core(bad)
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="not a JSON manifest"):
        load_core(bad)
    m = json.loads(path.read_text())
    m["verilog"] = "missing.v"
    bad.write_text(json.dumps(m))
    with pytest.raises(ValueError, match="does not exist"):
        load_core(bad)
    m["verilog"] = "../x.v"
    bad.write_text(json.dumps(m))
    with pytest.raises(ValueError, match="file name beside the manifest"):
        load_core(bad)


# --- place and route smoke tests -----------------------------------------------------------

@pytest.fixture(scope="module")
def small_core(tmp_path_factory):
    return load_core(generate(resolve_if(K=4, width=6), tmp_path_factory.mktemp("core")).manifest)


def test_synth_smoke_ice40(small_core, tmp_path):
    """A small core placed and routed on the iCE40UP5K: timing met, the core's own cells
    counted without the harness."""
    _need("ice40")
    r = synthesize(small_core, "ice40", tmp_path, clock_mhz=24)
    assert r.timing_met and r.fmax_mhz >= 24
    assert r.device == "iCE40UP5K-SG48"
    # the IF core: a 4-bit count, 4-bit step counter, 5-bit membrane, 5-bit clamped input,
    # busy and the output register: about 20 flops; no RAM, no DSP
    assert 15 <= r.ffs <= 30 and r.brams == 0 and r.dsps == 0
    assert 0 < r.luts < r.design["luts"]
    # the harness adds its shift register (in_width + 2), parity and reset counter flops
    assert r.design["ffs"] - r.ffs >= small_core.in_width + 3
    assert r.total["luts"] >= r.design["luts"]


def test_timing_check_fails_at_an_absurd_clock(small_core, tmp_path):
    """The same core asked to run at 1 GHz: the flow completes, the verdict is 'not met',
    and the command exits 1."""
    _need("ice40")
    out = tmp_path / "result.json"
    result = run_cli("boards", "synth", small_core.manifest_path, "--device", "ice40",
                     "--clock", "1000", "--work", tmp_path / "work", "--json", out)
    assert result.returncode == 1, result.stderr
    assert "timing met" in result.stdout and "NO" in result.stdout
    data = json.loads(out.read_text())
    assert data["timing_met"] is False and data["clock_mhz"] == 1000
    assert 0 < data["fmax_mhz"] < 1000


def test_synth_reports_tool_failure(small_core, tmp_path, monkeypatch):
    """A tool that fails is one error naming the step and the log, not a silent result."""
    _need("ice40")
    fake = tmp_path / "bin"
    fake.mkdir()
    script = fake / "broken-nextpnr"
    script.write_text("#!/bin/sh\necho 'ERROR: simulated failure' >&2\nexit 1\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}:{__import__('os').environ['PATH']}")
    monkeypatch.setenv("NEXTPNR_ICE40", "broken-nextpnr")
    with pytest.raises(SynthError, match="simulated failure"):
        synthesize(small_core, "ice40", tmp_path / "work", clock_mhz=24)


def test_synth_cli_usage_errors(tmp_path):
    from clirun import assert_usage_error

    assert_usage_error(run_cli("boards", "synth", tmp_path / "none.json"), "no manifest")
    assert_usage_error(run_cli("boards", "synth", tmp_path / "none.json", "--device", "xc7"),
                       "--device")
    assert_usage_error(run_cli("boards", "synth", tmp_path / "none.json", "--clock", "-3"),
                       "clock must be between 0 and 1000 MHz")
    assert_usage_error(run_cli("boards", "report", "--devices", "ice40,xc7", "--out",
                               tmp_path / "x.md"), "unknown device 'xc7'")
    assert not (tmp_path / "x.md").exists()
    assert shutil.which("sh")


@pytest.mark.slow
def test_report_command_small(tmp_path):
    """python -m boards report on two rows and one device: the markdown table, the FS-vs-IF
    comparison with its ratio, the JSON data and the PNG, all written."""
    _need("ice40")
    out = tmp_path / "docs" / "synthesis.md"
    result = run_cli("boards", "report", "--only", "fs-relu-k10,if-k10", "--devices", "ice40",
                     "--out", out, "--work", tmp_path / "work", timeout=1200)
    assert result.returncode == 0, result.stderr[-3000:]
    md = out.read_text()
    assert "python -m boards report --out" in md
    assert "| fs-relu-k10 | ice40 |" in md and "| if-k10 | ice40 |" in md
    assert "FS neuron vs rate-coded integrate-and-fire at K = 10" in md
    data = json.loads(out.with_suffix(".json").read_text())
    rows = {r["name"]: r for r in data["rows"]}
    fs, rate = rows["fs-relu-k10"], rows["if-k10"]
    assert rate["ii"] == 1023 and fs["ii"] == 10
    assert fs["timing_met"] and rate["timing_met"]
    ratio = (fs["evals_per_s"] / fs["luts"]) / (rate["evals_per_s"] / rate["luts"])
    assert f"| {ratio:.0f}x |" in md
    assert (out.parent / "img" / "boards_fs_vs_if.png").read_bytes()[:4] == b"\x89PNG"
