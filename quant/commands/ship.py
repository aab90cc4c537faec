"""``python -m quant ship``: retrain the shipped FS sets, each with the command it records."""

from pathlib import Path

from common.cli import CLIError
from . import train
from .options import add_out_dir

DESCRIPTION = ("Retrain the shipped FS sets (about two minutes each on one core) into --out-dir "
               "(default out/params; give quant/params to replace the shipped files).")

#: Sigmoid: uniform loss weights (its published figure and target are whole-interval MSEs)
#: and twice the default restarts (its float loss has more poor local optima than SiLU's).
SIGMOID_OPTIONS = ("--weight", "[-10,10]=1", "--restarts", "64")


def shipped_commands():
    """Every shipped FS set: file name -> the ``train`` arguments that make it, without
    ``--out`` (in order: the sets the hardware flows need first)."""
    sets = {}

    def add(act, K, Q=None):
        name = f"{act}_K{K}" + (f"_Q{Q}" if Q is not None else "")
        words = ["train", "--act", act, "--K", str(K)]
        if Q is not None:
            words += ["--Q", str(Q)]
        sets[name] = words + (list(SIGMOID_OPTIONS) if act == "sigmoid" else [])

    for act, K in (("silu", 16), ("sigmoid", 12)):
        add(act, K)
        add(act, K, 8)
    for act, K in (("silu", 8), ("silu", 12), ("sigmoid", 8)):
        add(act, K)
        add(act, K, 8)
    for act, K in (("silu", 16), ("sigmoid", 12)):
        for Q in range(4, 13):
            if Q != 8:
                add(act, K, Q)
    return sets


def add_arguments(p):
    p.add_argument("--only", nargs="+", metavar="NAME",
                   help="just these sets (file names without .json)")
    add_out_dir(p, "params", "folder of the sets")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def run(args):
    from ..__main__ import build_parser

    sets = shipped_commands()
    names = args.only or list(sets)
    unknown = [n for n in names if n not in sets]
    if unknown:
        raise CLIError(f"unknown shipped set(s) {', '.join(unknown)} "
                       f"(known: {', '.join(sorted(sets))})")
    for name in names:
        out = Path(args.out_dir) / f"{name}.json"
        sub = build_parser().parse_args(sets[name] + ["--out", str(out)]
                                        + (["--quiet"] if args.quiet else []))
        # the record names the folder as given (quant/params/... for the shipped files)
        train.run(sub, record_out=str(out))
