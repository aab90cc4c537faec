"""``python -m quant show``: a parameter file as a PNG (the paper's Fig. 4, 5a/b)."""

import sys
from pathlib import Path

from common.cli import CLIError, atomic_write
from .options import OUT

DESCRIPTION = ("Plot a parameter file: the activation and its FS approximation, the error, and "
               "spikes per input with the network input density; the published set as a second "
               "curve where one exists.")


def add_arguments(p):
    p.add_argument("file", help="parameter file (JSON)")
    p.add_argument("--out", default=None, help="PNG file (default: out/<FILE's name>.png)")


def run(args):
    from ..params import load
    from ..report import plot_show

    pset = load(args.file)
    out = Path(args.out) if args.out else OUT / (Path(args.file).stem + ".png")
    if out.suffix.lower() != ".png":
        raise CLIError(f"figure file {str(out)!r} must end in .png")
    atomic_write(out, plot_show(pset))
    print(f"wrote {out}", file=sys.stderr)
