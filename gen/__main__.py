"""``python -m gen <core> ...``: emit a verified core as Verilog plus its JSON manifest."""

import importlib
import sys

from common.cli import ArgumentParser, main_wrapper

#: core name -> (module with add_arguments(parser) and run(args), one-line help)
COMMANDS = {
    "fsneuron": ("gen.fsneuron.cli", "FS-neuron core: K time steps, shared-ROM or unrolled"),
    "amos": ("gen.amos.cli", "AMOS core: K threshold gates, fully pipelined, ii = 1"),
    "tsc": ("gen.tsc.cli", "TSC layer core: event-driven +/- spike pairs, M inputs, L neurons"),
}


def build_parser():
    parser = ArgumentParser(
        prog="python -m gen",
        description="Generate spiking-neuron cores as Verilog (Amaranth), each with a JSON "
                    "manifest describing its ports, widths, parameters and timing.")
    sub = parser.add_subparsers(dest="core", metavar="CORE", required=True,
                                parser_class=ArgumentParser)
    for name, (module, help_text) in COMMANDS.items():
        mod = importlib.import_module(module)
        p = sub.add_parser(name, help=help_text, description=getattr(mod, "DESCRIPTION",
                                                                     help_text))
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    return args._run(args)


if __name__ == "__main__":
    sys.exit(main_wrapper(main))
