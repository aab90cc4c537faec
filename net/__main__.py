"""``python -m net <command> ...``: simulations on the golden models.

Commands::

    python -m net digits [--model mlp|cnn] [--act relu|silu] [--coding fs|amos|tsc] [--K K]
                         [--Q Q] [--json FILE] [--plots DIR] ...
    python -m net digits-report [--out docs/network.md] [--img-dir docs/img]
    python -m net train-weights [--out net/weights]
    python -m net examples [--out net/examples]
    python -m net convert MODEL.onnx|MODEL.nir --coding fs|amos --calib DATA.npy [--out NET.json]
    python -m net export-nir NET.json OUT.nir

Bad input gives one line ``error: ...`` on stderr and exit status 2, and writes no file.
"""

import sys

from common.cli import command_parser, main_wrapper, run_command

#: command -> (module with add_arguments(parser) and run(args), one-line help)
COMMANDS = {
    "digits": ("net.cli", "convert a digits ANN to a spiking network and measure it"),
    "digits-report": ("net.report", "regenerate docs/network.md's tables and plots"),
    "train-weights": ("net.shipped", "train the four digits ANNs, write net/weights/*.npz"),
    "examples": ("net.export", "rewrite the example network files net/examples/*.json"),
    "convert": ("net.convert", "convert an ONNX or NIR model to a network file"),
    "export-nir": ("net.export_nir", "write a network file as a NIR graph"),
}


def build_parser():
    return command_parser(
        "python -m net",
        "Simulations on the golden models: ANN-to-SNN conversion on the 8x8 digits with FS, "
        "AMOS and TSC neurons, float and bit-exact integer.",
        COMMANDS)


def main(argv=None):
    return run_command(build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main_wrapper(main))
