"""``spikegen gen|quant|net|boards ...``: one command for the packages' command lines.

``spikegen X ARGS`` runs exactly what ``python -m X ARGS`` runs (same options, same output, same
exit status); ``spikegen --version`` prints the version.
"""

import importlib
import sys

from spikegen import __version__

#: sub-command -> (module with main(argv), what it does)
COMMANDS = {
    "gen": ("gen.__main__", "generate a core as Verilog + manifest (python -m gen)"),
    "quant": ("quant.__main__", "train and inspect neuron parameter sets (python -m quant)"),
    "net": ("net.__main__", "convert and simulate spiking networks (python -m net)"),
    "boards": ("boards.__main__", "synthesis, bitstreams, board demos (python -m boards)"),
}

USAGE = "usage: spikegen [--version] {" + ",".join(COMMANDS) + "} ..."


def _help():
    lines = [USAGE, "", "Spiking-neuron models turned into verified hardware.", "",
             "commands:"]
    lines += [f"  {name:<8} {what}" for name, (_, what) in COMMANDS.items()]
    lines += ["", "spikegen COMMAND --help shows a command's options."]
    return "\n".join(lines)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(_help())
        return 0 if argv else 2
    if argv[0] == "--version":
        print(f"spikegen {__version__}")
        return 0
    if argv[0] not in COMMANDS:
        print(f"error: spikegen: unknown command {argv[0]!r} (choose from "
              f"{', '.join(COMMANDS)})", file=sys.stderr)
        return 2
    from common.cli import main_wrapper

    module = importlib.import_module(COMMANDS[argv[0]][0])
    return main_wrapper(module.main, argv[1:])


def entry():
    """The console script ``spikegen``."""
    sys.exit(main())


if __name__ == "__main__":
    entry()
