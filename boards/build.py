"""Board builds: generate a core with ``python -m gen``, wrap it in the demo top, place and route
it for a board, write the bitstream and ``report.json``.

Output folder layout (``python -m boards build BOARD --out DIR``)::

    DIR/core/NAME.v, NAME.json     the core exactly as ``python -m gen CORE ...`` wrote it
    DIR/BOARD.bin|bit|fs           the bitstream
    DIR/report.json                board, device, core, luts, ffs, brams, dsps, fmax_mhz,
                                   clock_mhz, timing_met (+ details)
    DIR/work/                      tool files and logs (flow.log, nextpnr report.json, ...)
"""

import json
import shutil
import tempfile
from pathlib import Path

from common.checks import InputError
from common.cli import AtomicFiles, dumps_json

from .cores import load_core
from .demo import DEFAULT_BAUD, BoardDemo
from .platforms import board as get_board
from .synth import run_flow

__all__ = ["CORES", "generate_core", "build_board", "REPORT_KEYS", "format_report",
           "default_out"]

#: Cores a board can carry (``--core``), each made by ``python -m gen CORE``.
CORES = ("fsneuron", "amos", "tsc", "ifneuron")

#: The keys issue 7 asks for, in order (report.json has more after them).
REPORT_KEYS = ("board", "device", "core", "luts", "ffs", "brams", "dsps", "fmax_mhz",
               "clock_mhz", "timing_met")


def default_out(board_name):
    return Path("build") / "boards" / board_name


def generate_core(core, gen_args, out_dir):
    """Run ``python -m gen CORE GEN_ARGS --out OUT_DIR`` in this process; return the path of
    the manifest it wrote and the summary it printed.

    The generator validates its own options, so a bad option is its one-line error (an
    ``InputError`` or ``CLIError``), raised before any file exists.
    """
    import contextlib
    import io

    from gen.__main__ import COMMANDS
    from gen.__main__ import main as gen_main

    if core not in COMMANDS:
        raise InputError(f"unknown core {core!r} (known: {', '.join(COMMANDS)})")
    for a in gen_args:
        if a == "--out" or a.startswith("--out="):
            raise InputError("give the output folder with the boards --out, not a gen --out")
    summary = io.StringIO()
    with contextlib.redirect_stdout(summary):
        gen_main([core, *gen_args, "--out", str(out_dir)])
    manifests = sorted(Path(out_dir).glob("*.json"))
    if len(manifests) != 1:
        raise RuntimeError(f"python -m gen {core} wrote {len(manifests)} manifests in {out_dir}")
    return manifests[0], summary.getvalue()


def build_board(board_name, core_kind="fsneuron", gen_args=(), out_dir=None,
                baud=DEFAULT_BAUD, log=print):
    """Build the coprocessor demo for a board; return the report dict.

    Everything is checked (board, core options, baud against the board clock) before a file
    is written; the core, bitstream and report are then written together at the end.
    """
    from .uart import uart_divisor

    b = get_board(board_name)
    uart_divisor(b.clock_mhz * 1e6, baud)
    out_dir = Path(out_dir) if out_dir is not None else default_out(b.name)
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"output folder {str(out_dir)!r} is a file")

    with tempfile.TemporaryDirectory(prefix="spikegen-core-") as tmp:
        manifest_path, summary = generate_core(core_kind, list(gen_args), tmp)
        core = load_core(manifest_path)
        log(f"building the coprocessor for {b.name} around "
            f"{summary.strip().splitlines()[0] if summary.strip() else core.top} ...")
        work = out_dir / "work"
        # the core's files go beside the flow (as the generator wrote them)
        result = run_flow(BoardDemo(core, baud=baud, log2_depth=b.fifo_log2), b.name, work,
                          keep=core.top, name="top")
        bit_src = work / f"top.{b.bitstream}"
        if not bit_src.is_file():
            raise RuntimeError(f"the flow wrote no bitstream {bit_src}")
        report = {
            "board": b.name,
            "device": b.device,
            "core": core.kind,
            "luts": result.design["luts"],
            "ffs": result.design["ffs"],
            "brams": result.design["brams"],
            "dsps": result.design["dsps"],
            "fmax_mhz": result.fmax_mhz,
            "clock_mhz": result.clock_mhz,
            "timing_met": result.timing_met,
            "core_top": core.top,
            "core_description": core.describe(),
            "manifest": f"core/{manifest_path.name}",
            "bitstream": f"{b.name}.{b.bitstream}",
            "baud": baud,
            "core_cells": {k: getattr(result, k) for k in ("luts", "ffs", "brams", "dsps")},
            "utilization": result.total,
            "counted": "luts/ffs/brams/dsps: mapped cells of the whole design (yosys stat); "
                       "core_cells: the core module alone; utilization: nextpnr",
        }
        files = AtomicFiles()
        files.add(out_dir / "core" / manifest_path.name, manifest_path.read_bytes())
        files.add(out_dir / "core" / core.verilog_path.name, core.verilog_path.read_bytes())
        files.add(out_dir / report["bitstream"], bit_src.read_bytes())
        files.add(out_dir / "report.json", dumps_json(report))
        # a previous build's core files would confuse ``demo`` (one manifest per folder)
        old = out_dir / "core"
        if old.is_dir():
            shutil.rmtree(old)
        files.commit()
    return report


def format_report(report):
    """The report as a two-column text table (the issue's keys first)."""
    rows = [(k, report[k]) for k in REPORT_KEYS]
    rows += [("core_cells", ", ".join(f"{k} {v}" for k, v in report["core_cells"].items())),
             ("bitstream", report["bitstream"])]
    width = max(len(k) for k, _ in rows)
    lines = [f"{'key':<{width}}  value", f"{'-' * width}  {'-' * 24}"]
    for k, v in rows:
        if isinstance(v, float):
            v = f"{v:.2f}"
        lines.append(f"{k:<{width}}  {v}")
    return "\n".join(lines)


def read_report(out_dir):
    path = Path(out_dir) / "report.json"
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise ValueError(f"no build in {out_dir} (no report.json): run python -m boards build "
                         f"first") from None
