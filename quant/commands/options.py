"""What the ``python -m quant`` commands share: option definitions, their checks, and the command
line a file records to name its own regeneration."""

import shlex
from pathlib import Path

from common.checks import (InputError, arg, check_float, check_input_file, check_int,
                           check_output_dir, check_output_file)
from ..fixed import Q_MAX, Q_MIN
from ..paramfile import K_MAX

PROG = "python -m quant"

#: Default output folder of every command that writes files.
OUT = Path("out")

K_ARG = arg(check_int, "K", 1, K_MAX)
Q_ARG = arg(check_int, "Q", Q_MIN, Q_MAX)


def command_line(*words):
    """``python -m quant`` and the words, shell-quoted: the ``made_by.command`` record."""
    return " ".join([PROG] + [shlex.quote(str(w)) for w in words])


def number_word(v):
    """A number as typed: ``-8`` rather than ``-8.0``."""
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def out_words(path):
    """``["--out", path]`` for a relative path, nothing for an absolute one: a recorded command
    must not depend on where the checkout lives."""
    return ["--out", str(path)] if path is not None and not Path(path).is_absolute() else []


def check_input_dir(name, path):
    """``Path(path)``, checked to be an existing folder (of parameter sets to read)."""
    p = Path(path)
    if not p.is_dir():
        what = "is a file, not a folder" if p.exists() else "does not exist"
        raise InputError(f"{name} {str(p)!r} {what}")
    return p


# Paths are typed, so that a bad one fails before any training (and the fuzz of every command
# line, tests/common/test_cli_fuzz.py, knows which is which).

def add_out_file(p, name="--out", help="output file (default: JSON on stdout)", **kw):
    p.add_argument(name, type=arg(check_output_file, name), default=None, help=help, **kw)


def add_in_file(p, name, help, what=None, **kw):
    p.add_argument(name, type=arg(check_input_file, what or name), help=help, **kw)


def add_out_dir(p, default, what):
    """``--out-dir`` (also ``--out``), default ``out/<default>``."""
    p.add_argument("--out-dir", "--out", dest="out_dir", type=arg(check_output_dir, "--out-dir"),
                   default=str(OUT / default), metavar="DIR",
                   help=f"{what} (default out/{default})")


def add_in_dir(p, name, help, default=None):
    p.add_argument(name, type=arg(check_input_dir, name), default=default, metavar="DIR",
                   help=help)


def add_act_options(p, act_help, K_help, Q_help, K_many=False, Q_many=False):
    """``--act``, ``--K``, ``--Q`` and ``--interval``."""
    p.add_argument("--act", required=True, help=act_help)
    p.add_argument("--K", type=K_ARG, required=True, nargs="+" if K_many else None,
                   help=K_help)
    p.add_argument("--Q", type=Q_ARG, default=None, nargs="+" if Q_many else None,
                   required=Q_many, help=Q_help)
    p.add_argument("--interval", type=arg(check_float, "--interval"), nargs=2,
                   metavar=("LO", "HI"), default=None,
                   help="training interval (default: the activation's)")


def add_training_options(p):
    """The options of the training stages (:mod:`quant.stages`), shared by FS and AMOS."""
    p.add_argument("--seed", type=arg(check_int, "--seed"), default=0,
                   help="random seed (default 0)")
    p.add_argument("--weight", action="append", default=None, metavar="[LO,HI]=W",
                   help="loss weight of a region, repeatable; default [-2,2]=4 (the core "
                        "region four times the rest); '--weight [-8,12]=1' for uniform")
    p.add_argument("--steps", type=arg(check_int, "--steps", 1), default=None,
                   help="float-stage Adam steps (default: FS 2000, AMOS 1500)")
    p.add_argument("--restarts", type=arg(check_int, "--restarts", 1), default=None,
                   help="float-stage random restarts (default: FS 32, AMOS 16)")
    p.add_argument("--qat-steps", type=arg(check_int, "--qat-steps", 1), default=None,
                   help="quantization-aware stage steps (default 600)")
    p.add_argument("--qat-restarts", type=arg(check_int, "--qat-restarts", 1), default=None,
                   help="quantization-aware stage restarts (default 16)")
    p.add_argument("--kicks", type=arg(check_int, "--kicks", 0), default=None,
                   help="iterated-local-search kicks of the quantized stage (default: FS 40, "
                        "AMOS 20)")
    p.add_argument("--search-iters", type=arg(check_int, "--search-iters", 0), default=None,
                   help="most moves of each exact local search (default 400)")
    add_device_options(p)


def add_device_options(p):
    p.add_argument("--device", default="auto", help="cpu, cuda or auto (default: CUDA when "
                                                    "present)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


BUDGET = ("steps", "restarts", "qat_steps", "qat_restarts", "kicks", "search_iters")


def training_kwargs(args):
    """The training options as keyword arguments of :func:`quant.train.train_fs` and
    :func:`quant.amos_train.train_amos` (a bad device or weight fails before any training)."""
    from ..loop import resolve_device
    from ..objective import RegionWeights
    from ..stages import Budget

    weights = RegionWeights.parse(args.weight) if args.weight else None
    return dict(seed=args.seed, weights=weights, device=resolve_device(args.device),
                show_progress=not args.quiet,
                budget=Budget(**{k: getattr(args, k) for k in BUDGET}))


def training_words(args):
    """The training options as they appear on a command line (for ``made_by.command``)."""
    words = ["--seed", str(args.seed)]
    for w in args.weight or ():
        words += ["--weight", w]
    for name in BUDGET:
        v = getattr(args, name)
        if v is not None:
            words += [f"--{name.replace('_', '-')}", str(v)]
    return words


def interval_words(interval):
    return ["--interval", *(number_word(v) for v in interval)] if interval else []
