"""Synthesis, place and route of generated cores and board designs with the PyPI tools.

:func:`synthesize` puts a generated core (Verilog + manifest) in the small-pin
:class:`~boards.harness.SynthHarness` and runs the board's Amaranth platform flow (Yosys,
nextpnr, packer). :func:`run_flow` runs any top-level design the same way (the demo boards use
it). Both return a :class:`SynthResult`:

* ``luts``, ``ffs``, ``brams``, ``dsps``: cells of the core module alone, counted from Yosys
  ``stat`` after an out-of-context run of the same ``synth_<family>`` on the core's Verilog
  (the core as a separate block, as in a user's design; no harness cell is in them);
* ``design``: the same four for the whole design (core + harness, or the whole board design),
  also from Yosys ``stat``;
* ``total``: the whole placed design's utilization from nextpnr's report (what the device
  holds: logic cells on iCE40, slices on Gowin);
* ``fmax_mhz``: nextpnr's achieved Fmax for the clock (the lowest over clocks), with the clock
  constrained at ``clock_mhz``; ``timing_met`` = every clock reaches its constraint.

nextpnr runs with ``--timing-allow-fail`` so a failing design still produces its report: the
verdict is taken from the report by :func:`check_timing`, which the tests show rejects a design
run at an absurd clock.

How LUTs are counted per family (what the device's logic cell holds):

* iCE40: ``SB_LUT4`` (a carry ``SB_CARRY`` shares the logic cell of its LUT);
* ECP5: ``LUT4`` + 2 x ``CCU2C`` (a carry cell occupies two LUT4 positions of a slice);
* Gowin: ``LUT1``..``LUT4`` + ``ALU`` (each ALU occupies a LUT position).
"""

import json
import os
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .platforms import board as get_board, device_board, make_platform
from .toolchain import missing_tools, tool_env

__all__ = ["SynthResult", "SynthError", "synthesize", "run_flow", "parse_yosys_stat",
           "parse_nextpnr_report", "check_timing", "cell_summary"]


class SynthError(RuntimeError):
    """A tool failed; the message names the step and ends with the log's last lines."""


@dataclass
class SynthResult:
    """What one place-and-route run measured. See the module docstring for the definitions."""

    board: str
    device: str
    family: str
    module: str
    clock_mhz: float
    fmax_mhz: float
    timing_met: bool
    luts: int
    ffs: int
    brams: int
    dsps: int
    total: dict = field(default_factory=dict)
    design: dict = field(default_factory=dict)
    cells: dict = field(default_factory=dict)
    seconds: float = 0.0

    def as_dict(self):
        return asdict(self)


#: Yosys cell types per family: (LUT cells with their LUT-position weight, FF prefixes,
#: block-RAM cells, DSP cells)
_CELLS = {
    "ice40": ({"SB_LUT4": 1}, ("SB_DFF",), ("SB_RAM40_4K", "SB_SPRAM256KA"), ("SB_MAC16",)),
    "ecp5": ({"LUT4": 1, "CCU2C": 2}, ("TRELLIS_FF",), ("DP16KD", "PDPW16KD"),
             ("MULT18X18D", "ALU54B")),
    "gowin": ({"LUT1": 1, "LUT2": 1, "LUT3": 1, "LUT4": 1, "ALU": 1}, ("DFF",),
              ("SP", "SPX9", "SDP", "SDPX9", "SDPB", "SDPX9B", "DP", "DPX9", "DPB", "DPX9B",
               "pROM", "pROMX9"), ("MULT9X9", "MULT18X18", "MULT36X36", "MULTALU18X18",
                                   "MULTALU36X18", "MULTADDALU18X18", "ALU54D")),
}

#: nextpnr utilization keys per family: luts, ffs, brams, dsps (a key may be missing)
_UTIL = {
    "ice40": (("ICESTORM_LC",), None, ("ICESTORM_RAM", "ICESTORM_SPRAM"), ("ICESTORM_DSP",)),
    "ecp5": (("TRELLIS_COMB",), ("TRELLIS_FF",), ("DP16KD",), ("MULT18X18D", "ALU54B")),
    "gowin": (("SLICE",), None, ("BSRAM",), ("DSP", "MULT18X18")),
}


def cell_summary(cells, family):
    """luts, ffs, brams, dsps from a ``{cell type: count}`` map of mapped cells."""
    lut_w, ff_prefix, bram, dsp = _CELLS[family]
    luts = sum(n * lut_w.get(t, 0) for t, n in cells.items())
    ffs = sum(n for t, n in cells.items() if t.startswith(ff_prefix))
    brams = sum(n for t, n in cells.items() if t in bram)
    dsps = sum(n for t, n in cells.items() if t in dsp)
    return {"luts": luts, "ffs": ffs, "brams": brams, "dsps": dsps}


def _strip(name):
    return name[1:] if name.startswith("\\") else name


def parse_yosys_stat(stat, module):
    """Leaf cells of ``module`` and everything below it, from Yosys ``stat -json``.

    Parameters
    ----------
    stat : dict
        The parsed output of ``stat -json``.
    module : str
        Module whose cells to count (submodule instances are expanded recursively).

    Returns
    -------
    dict
        ``{cell type: count}`` of primitive cells, sorted by type.
    """
    modules = {_strip(k): v for k, v in stat.get("modules", {}).items()}
    if module not in modules:
        raise SynthError(f"yosys stat has no module {module!r} "
                         f"(modules: {', '.join(sorted(modules))})")

    def expand(name, seen):
        if name in seen:
            raise SynthError(f"recursive module {name!r}")
        out = {}
        for ctype, n in modules[name].get("num_cells_by_type", {}).items():
            ctype = _strip(ctype)
            if ctype in modules:
                for sub, k in expand(ctype, seen | {name}).items():
                    out[sub] = out.get(sub, 0) + n * k
            else:
                out[ctype] = out.get(ctype, 0) + n
        return out

    return dict(sorted(expand(module, frozenset()).items()))


def parse_nextpnr_report(report, family):
    """Fmax per clock and whole-design utilization from nextpnr's ``--report`` JSON.

    Returns
    -------
    fmax : dict
        ``{clock net: (achieved MHz, constraint MHz)}``.
    total : dict
        ``luts``, ``ffs``, ``brams``, ``dsps`` used by the whole design (ffs is None where the
        family's report does not count flops separately).
    """
    fmax = {}
    for clk, v in report.get("fmax", {}).items():
        fmax[clk] = (float(v["achieved"]), float(v["constraint"]))
    util = report.get("utilization", {})
    keys = _UTIL[family]
    total = {}
    for name, ks in zip(("luts", "ffs", "brams", "dsps"), keys):
        total[name] = None if ks is None else sum(util.get(k, {}).get("used", 0) for k in ks)
    return fmax, total


def check_timing(fmax, clock_mhz=None):
    """(fmax_mhz, timing_met) over all clocks of a design.

    ``fmax_mhz`` is the lowest achieved Fmax; timing is met when every clock reaches its
    constraint (and ``clock_mhz``, when given). A design with no clock at all has nothing to
    check and is reported as not met: a harness always has one, so that means a broken run.
    """
    if not fmax:
        return 0.0, False
    worst = min(a for a, _ in fmax.values())
    met = all(a >= c for a, c in fmax.values())
    if clock_mhz is not None:
        met = met and worst >= clock_mhz
    return worst, met


def _flow_env():
    """This process's environment with the tools of :func:`boards.toolchain.tool_env`."""
    env = dict(os.environ)
    env.update(tool_env())
    return env


def _run_script(build_dir, script, log_path):
    env = _flow_env()
    with open(log_path, "w") as log:
        proc = subprocess.run(["sh", script], cwd=build_dir, env=env, stdout=log,
                              stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        tail = Path(log_path).read_text().splitlines()[-25:]
        errors = [ln for ln in tail if "ERROR" in ln or "Error" in ln]
        first = errors[0].strip() if errors else (tail[-1].strip() if tail else "")
        raise SynthError(f"{script} failed in {build_dir} ({first}); log: {log_path}")


def _core_stat(build_dir, sources, top, family, synth_opts=""):
    """Out-of-context synthesis of module ``top`` alone: writes ``core_stat.json``."""
    env = _flow_env()
    reads = "; ".join(f"read_verilog {f}" for f in sources)
    # no I/O buffers on the module's ports (synth_gowin adds them unless told not to)
    noiopads = " -noiopads" if family == "gowin" else ""
    # Internal wires of Amaranth's Verilog may be named like bits of a port (a lane view
    # "i__payload[0]"); Yosys 0.70's ABC9 reintegration then asserts on the name clash
    # (count_id(wire->name) == 0), so internal wires get private names first (cells unchanged)
    script = (f"{reads}; hierarchy -top {top}; rename -hide w:*; "
              f"synth_{family}{noiopads} -top {top}; "
              f"tee -q -o core_stat.json stat -json")
    with open(Path(build_dir) / "core_stat.log", "w") as log:
        proc = subprocess.run([env["YOSYS"], "-q", "-p", script], cwd=build_dir, env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        raise SynthError(f"out-of-context synthesis of {top} failed; log: "
                         f"{Path(build_dir) / 'core_stat.log'}")


def run_flow(top, board_name, build_dir, *, clock_mhz=None, name="top", keep=None,
             platform_setup=None):
    """Synthesize, place, route and pack ``top`` on a board; return a :class:`SynthResult`.

    Parameters
    ----------
    top : Elaboratable
        The top-level design (it requests the board's pins).
    board_name : str
        A name from :data:`boards.platforms.BOARDS`.
    build_dir : path
        Folder for the tool files (``NAME.*``, ``report.json``, ``stat.json``, ``flow.log``).
    clock_mhz : float, optional
        Clock constraint; default the board oscillator.
    keep : str, optional
        Module whose own cells are reported (the core's top): counted by an out-of-context
        synthesis of that module alone. Without it the whole design's cells are reported.
    platform_setup : callable, optional
        Called with the platform before the build (to add resources).
    """
    b = get_board(board_name)
    missing = missing_tools(b.family)
    if missing:
        raise SynthError(f"missing tools for {b.family}: {', '.join(missing)} "
                         f"(pip install the spikegen[synth] extra)")
    clock = b.clock_mhz if clock_mhz is None else float(clock_mhz)
    platform = make_platform(b, clock)
    if platform_setup is not None:
        platform_setup(platform)
    build_dir = Path(build_dir)
    build_dir.mkdir(parents=True, exist_ok=True)
    for stale in ("report.json", "stat.json", "core_stat.json"):
        (build_dir / stale).unlink(missing_ok=True)

    nextpnr = ["--report", "report.json", "--timing-allow-fail"]
    if b.family == "gowin":
        # Amaranth's Apicula flow writes no clock constraint for nextpnr-gowin
        nextpnr += ["--freq", f"{clock:g}"]
    overrides = {
        # see _core_stat: private names for internal wires (ports keep theirs, cells are
        # unchanged) keep Yosys 0.70's ABC9 from asserting on Amaranth's "x[0]" wire names
        "script_after_read": "rename -hide w:*",
        "synth_opts": b.synth_opts,
        "nextpnr_opts": " ".join(nextpnr),
        "script_after_synth": "tee -q -o stat.json stat -json",
    }
    # Amaranth's own source locations hold absolute paths; leave them out of the netlist
    plan = platform.build(top, name=name, do_build=False, emit_src=False, **overrides)
    plan.extract(build_dir)
    start = time.monotonic()
    _run_script(build_dir, f"{plan.script}.sh", build_dir / "flow.log")
    seconds = time.monotonic() - start

    if keep is not None:
        sources = sorted(f for f in plan.files if f.endswith(".v") and not f.endswith(".debug.v"))
        _core_stat(build_dir, sources, keep, b.family, b.synth_opts)
    report = json.loads((build_dir / "report.json").read_text())
    stat = json.loads((build_dir / "stat.json").read_text())
    fmax, total = parse_nextpnr_report(report, b.family)
    fmax_mhz, met = check_timing(fmax, clock)
    design = cell_summary(parse_yosys_stat(stat, name), b.family)
    if keep is None:
        cells = parse_yosys_stat(stat, name)
    else:
        cells = parse_yosys_stat(json.loads((build_dir / "core_stat.json").read_text()), keep)
    summary = cell_summary(cells, b.family)
    return SynthResult(board=b.name, device=b.device, family=b.family,
                       module=keep or name, clock_mhz=clock, fmax_mhz=round(fmax_mhz, 2),
                       timing_met=met, total=total, design=design, cells=cells, seconds=round(seconds, 1),
                       **summary)


def synthesize(core, device, build_dir, *, clock_mhz=None):
    """Place and route generated ``core`` (a :class:`boards.cores.Core`) in the synthesis
    harness on ``device`` (``ice40``, ``ecp5`` or ``gowin``)."""
    from .harness import SynthHarness

    b = device_board(device)
    return run_flow(SynthHarness(core), b.name, build_dir, clock_mhz=clock_mhz,
                    name="harness", keep=core.top)
