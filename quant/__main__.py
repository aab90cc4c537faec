"""``python -m quant``: train, sweep, inspect and report FS-neuron and AMOS parameter sets.

Commands::

    python -m quant train --act silu --K 16 [--Q 8] [--interval -8 12] [--seed 0] [--out FILE]
    python -m quant sweep --act silu --K 16 --Q 4 5 6 7 8 9 10 11 12 [--out-dir DIR]
    python -m quant sweep-k --act silu --K 4 6 8 10 12 14 16 18 20 [--out-dir DIR]
    python -m quant show FILE [--out PNG]
    python -m quant ship [--only NAME ...] [--out-dir DIR]     retrain the shipped FS sets
    python -m quant report [--out-dir DIR] [--params-dir DIR]  quant.md + img/quant_*.png
    python -m quant regenerate [--params-dir DIR] [--out-dir DIR]  ship + report
    python -m quant amos train|ship|report ...               AMOS sets (docs/amos.md)

Files go to ``./out/...`` unless told otherwise (``--out``, ``--out-dir``); the repository's
``quant/params/`` and ``docs/`` are rewritten only when named. Bad input gives one line
``error: ...`` on stderr and exit status 2, and writes no file.
"""

import sys

from common.cli import command_parser, main_wrapper

#: command -> (module with add_arguments(parser) and run(args), one-line help)
COMMANDS = {
    "train": ("quant.commands.train", "train one FS-neuron parameter set"),
    "ship": ("quant.commands.ship", "retrain every shipped FS set"),
    "sweep": ("quant.commands.sweep", "MSE vs Q: train a set per Q, table + PNG (Fig. 5e/f)"),
    "sweep-k": ("quant.commands.sweep_k", "MSE vs K: train a set per K, table + PNG (Fig. 5d)"),
    "show": ("quant.commands.show", "PNG of f vs f-hat and spikes vs x (Fig. 4, 5a/b)"),
    "report": ("quant.commands.report", "the FS results page (docs/quant.md) and its figures"),
    "regenerate": ("quant.commands.regenerate", "ship + report: every FS set and every result"),
    "amos": ("quant.commands.amos", "AMOS parameter sets: train, ship, report"),
}


def build_parser():
    return command_parser(
        "python -m quant",
        "Train, sweep, inspect and report FS-neuron and AMOS parameter sets.", COMMANDS)


def main(argv=None):
    args = build_parser().parse_args(argv)
    return args._run(args)


if __name__ == "__main__":
    sys.exit(main_wrapper(main))
