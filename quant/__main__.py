"""``python -m quant``: train, sweep, inspect and report FS-neuron parameter sets.

Commands::

    python -m quant train --act silu --K 16 [--Q 8] [--interval -8 12] [--seed 0] [--out FILE]
    python -m quant sweep --act silu --K 16 --Q 4 5 6 7 8 9 10 11 12 [--out-dir DIR]
    python -m quant sweep-k --act silu --K 4 6 8 10 12 14 16 18 20 [--out-dir DIR]
    python -m quant show FILE [--out PNG]
    python -m quant ship [--only NAME ...]          retrain every shipped set in quant/params
    python -m quant report [--out-dir docs]         docs/quant.md + docs/img/quant_*.png

Bad input gives one line ``error: ...`` on stderr and exit status 2, and writes no file.
"""

import shlex
import sys
from pathlib import Path

from common.cli import ArgumentParser, CLIError, main_wrapper

PROG = "python -m quant"


def _positive_int(text):
    try:
        v = int(text)
    except ValueError:
        raise CLIError(f"{text!r} is not an integer") from None
    if v < 1:
        raise CLIError(f"expected a positive integer, not {v}")
    return v


def _int(text):
    try:
        return int(text)
    except ValueError:
        raise CLIError(f"{text!r} is not an integer") from None


def _float(text):
    try:
        v = float(text)
    except ValueError:
        raise CLIError(f"{text!r} is not a number") from None
    return v


def _add_training_options(p):
    p.add_argument("--seed", type=_int, default=0, help="random seed (default 0)")
    p.add_argument("--weight", action="append", default=None, metavar="[LO,HI]=W",
                   help="loss weight of a region, repeatable; default [-2,2]=4 (the core "
                        "region four times the rest); '--weight [-8,12]=1' for uniform")
    p.add_argument("--steps", type=_positive_int, default=None,
                   help="float-stage Adam steps (default 2000)")
    p.add_argument("--restarts", type=_positive_int, default=None,
                   help="float-stage random restarts (default 32)")
    p.add_argument("--qat-steps", type=_positive_int, default=None,
                   help="quantization-aware stage steps (default 600)")
    p.add_argument("--qat-restarts", type=_positive_int, default=None,
                   help="quantization-aware stage restarts (default 16)")
    p.add_argument("--device", default="auto", help="cpu, cuda or auto (default: CUDA when "
                                                    "present)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _training_kwargs(args):
    from .train import RegionWeights

    weights = RegionWeights.parse(args.weight) if args.weight else None
    return dict(seed=args.seed, weights=weights, steps=args.steps, restarts=args.restarts,
                qat_steps=args.qat_steps, qat_restarts=args.qat_restarts,
                device=None if args.device == "auto" else args.device,
                show_progress=not args.quiet)


def _training_flags(args):
    """The training options as they appear on a command line (for ``made_by.command``)."""
    flags = ["--seed", str(args.seed)]
    for w in args.weight or ():
        flags += ["--weight", w]
    for name in ("steps", "restarts", "qat_steps", "qat_restarts"):
        v = getattr(args, name)
        if v is not None:
            flags += [f"--{name.replace('_', '-')}", str(v)]
    return flags


def _command(words):
    return " ".join([PROG] + [shlex.quote(str(w)) for w in words])


def _check_Q(Q):
    from .fixed import check_Q
    return check_Q(Q)


# ------------------------------------------------------------------------------------------

def cmd_train(args):
    from .activations import get_activation
    from .params import save
    from .train import relu_fs, train_fs

    act = get_activation(args.act)
    if args.K < 1 or args.K > 64:
        raise CLIError(f"K must be from 1 to 64, not {args.K}")
    Q = _check_Q(args.Q) if args.Q is not None else None
    interval = tuple(args.interval) if args.interval else None
    words = ["train", "--act", act.spec, "--K", args.K]
    if Q is not None:
        words += ["--Q", Q]
    if interval:
        words += ["--interval", *(_num(v) for v in interval)]
    out_words = []
    if args.out and not Path(args.out).is_absolute():
        # recorded so the file names its own regeneration; absolute paths are left out
        # (output must not depend on where the checkout lives)
        out_words = ["--out", args.out]
    if act.name == "relu":
        alpha = None
        if interval:
            if interval[0] != 0:
                raise CLIError(f"relu's interval is [0, alpha], not starting at "
                               f"{_num(interval[0])}")
            alpha = interval[1]
        pset = relu_fs(args.K, alpha=alpha, Q=Q, command=_command(words + out_words))
    else:
        kwargs = _training_kwargs(args)
        words += _training_flags(args)
        pset = train_fs(act, args.K, Q, interval, command=_command(words + out_words), **kwargs)
    _report_set(pset)
    if args.out:
        save(pset, args.out)
    else:
        from common.cli import dumps_json
        sys.stdout.write(dumps_json(pset.to_dict()))


def _num(v):
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def _report_set(pset):
    mse = pset.made_by["mse"] if pset.made_by else {}
    q = f" Q={pset.Q}" if pset.Q is not None else ""
    parts = ", ".join(f"{k} {v:.4g}" for k, v in mse.items())
    print(f"{pset.activation} K={pset.K}{q}: MSE {parts}", file=sys.stderr)


# ------------------------------------------------------------------------------------------

def build_parser():
    parser = ArgumentParser(prog=PROG, description="Train, sweep, inspect and report FS-neuron "
                                                   "parameter sets.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True,
                                parser_class=ArgumentParser)

    p = sub.add_parser("train", help="train one parameter set",
                       description="Train an FS-neuron parameter set (relu: the analytic "
                                   "schedule) and write it as JSON.")
    p.add_argument("--act", required=True,
                   help="silu, sigmoid, relu, tanh, gelu or an expression of x")
    p.add_argument("--K", type=_int, required=True, help="time steps")
    p.add_argument("--Q", type=_int, default=None, help="code width: train quantization-aware")
    p.add_argument("--interval", type=_float, nargs=2, metavar=("LO", "HI"), default=None,
                   help="training interval (default: the activation's)")
    p.add_argument("--out", default=None, help="output file (default: JSON on stdout)")
    _add_training_options(p)
    p.set_defaults(_run=cmd_train)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    return args._run(args)


if __name__ == "__main__":
    sys.exit(main_wrapper(main))
