"""``python -m quant regenerate``: ``ship`` then ``report``: every FS set and every result."""

from common.checks import arg, check_output_dir
from . import report, ship
from .options import OUT, add_out_dir

DESCRIPTION = ("Retrain every shipped FS set into --params-dir, then write the report of those "
               "sets into --out-dir (the repository's own: --params-dir quant/params --out-dir "
               "docs).")


def add_arguments(p):
    p.add_argument("--params-dir", type=arg(check_output_dir, "--params-dir"),
                   default=str(OUT / "params"), metavar="DIR",
                   help="folder of the sets (default out/params)")
    add_out_dir(p, "quant", "folder of the report")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def run(args):
    ship.run(_with(args, only=None, out_dir=args.params_dir))
    report.run(_with(args, reuse_sweep=False))


def _with(args, **changes):
    out = type(args)(**vars(args))
    for k, v in changes.items():
        setattr(out, k, v)
    return out
