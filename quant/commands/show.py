"""``python -m quant show``: a parameter file as a PNG (the paper's Fig. 4, 5a/b)."""

import sys
from pathlib import Path

from common.cli import CLIError, atomic_write
from .options import OUT, add_in_file, add_out_file

DESCRIPTION = ("Plot a parameter file: the activation and its FS approximation, the error, and "
               "spikes per input with the network input density; the published set as a second "
               "curve where one exists.")


def add_arguments(p):
    add_in_file(p, "file", "parameter file (JSON)", what="parameter file", metavar="FILE")
    add_out_file(p, help="PNG file (default: out/<FILE's name>.png)")


def run(args):
    from ..params import load
    from ..report import plot_show

    out = Path(args.out) if args.out else OUT / (Path(args.file).stem + ".png")
    if out.suffix.lower() != ".png":
        raise CLIError(f"figure file {str(out)!r} must end in .png")
    pset = load(args.file)
    atomic_write(out, plot_show(pset))
    print(f"wrote {out}", file=sys.stderr)
