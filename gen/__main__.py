"""``python -m gen <core> ...``: emit a verified core as Verilog plus its JSON manifest."""

import sys

from common.cli import command_parser, main_wrapper

#: core name -> (module with add_arguments(parser) and run(args), one-line help)
COMMANDS = {
    "fsneuron": ("gen.fsneuron.cli", "FS-neuron core: K time steps, shared-ROM or unrolled"),
    "amos": ("gen.amos.cli", "AMOS core: K threshold gates, fully pipelined, ii = 1"),
    "tsc": ("gen.tsc.cli", "TSC layer core: event-driven +/- spike pairs, M inputs, L neurons"),
    "network": ("gen.network.cli", "a whole spiking network from its network file"),
}


def build_parser():
    return command_parser(
        "python -m gen",
        "Generate spiking-neuron cores as Verilog (Amaranth), each with a JSON manifest "
        "describing its ports, widths, parameters and timing.",
        COMMANDS, dest="core", metavar="CORE")


def main(argv=None):
    args = build_parser().parse_args(argv)
    return args._run(args)


if __name__ == "__main__":
    sys.exit(main_wrapper(main))
