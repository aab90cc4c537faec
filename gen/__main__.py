"""``python -m gen <core> ...``: emit a verified core as Verilog plus its JSON manifest.

The registry of generators: each sub-command names a module with ``DESCRIPTION``,
``add_arguments(parser)`` and ``build(args)``, which returns the core's IR (a
:class:`gen.core.CoreIR`). Everything after that is the same for every core:
:func:`gen.writer.generate` writes ``OUT/NAME.v`` and ``OUT/NAME.json`` and the summary is
printed. No code here knows one core kind from another.
"""

import argparse
import importlib
import sys

from common.cli import command_parser, main_wrapper

from .writer import generate

#: sub-command -> (module providing DESCRIPTION, add_arguments(parser), build(args); help)
COMMANDS = {
    "fsneuron": ("gen.fsneuron.cli", "FS-neuron core: K time steps, shared-ROM or unrolled"),
    "amos": ("gen.amos.cli", "AMOS core: K threshold gates, fully pipelined, ii = 1"),
    "tsc": ("gen.tsc.cli", "TSC layer core: event-driven +/- spike pairs, M inputs, L neurons"),
    "ifneuron": ("gen.ifneuron.cli", "rate-coded integrate-and-fire neuron (the baseline)"),
}

#: Where generated files go unless --out says otherwise.
DEFAULT_OUT = "out"


def build_ir(command, args):
    """The IR a sub-command's parsed arguments describe."""
    return importlib.import_module(COMMANDS[command][0]).build(args)


def _add_out(parser):
    try:
        parser.add_argument("--out", default=DEFAULT_OUT, metavar="DIR",
                            help="output folder (default: %(default)s/)")
    except argparse.ArgumentError:      # TEMPORARY: a generator not yet on the registry API
        pass


def build_parser():
    return command_parser(
        "python -m gen",
        "Generate spiking-neuron cores as Verilog (Amaranth), each with a JSON manifest "
        "describing its ports, widths, parameters and timing.",
        COMMANDS, dest="core", metavar="CORE", common=_add_out)


def main(argv=None):
    args = build_parser().parse_args(argv)
    if not hasattr(args._module, "build"):      # TEMPORARY: see _add_out
        return args._run(args)
    result = generate(args._module.build(args), args.out)
    print(result.summary)
    return 0


if __name__ == "__main__":
    sys.exit(main_wrapper(main))
