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

import argparse
import shlex
import sys
from pathlib import Path

from common.cli import ArgumentParser, CLIError, main_wrapper

PROG = "python -m quant"


def _positive_int(text):
    v = _int(text)
    if v < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, not {v}")
    return v


def _int(text):
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None


def _float(text):
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
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
    p.add_argument("--kicks", type=_int, default=None,
                   help="iterated-local-search kicks of the quantized stage (default 40)")
    p.add_argument("--search-iters", type=_int, default=None,
                   help="most moves of each exact local search (default 400)")
    p.add_argument("--device", default="auto", help="cpu, cuda or auto (default: CUDA when "
                                                    "present)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _training_kwargs(args):
    from .train import RegionWeights, resolve_device

    weights = RegionWeights.parse(args.weight) if args.weight else None
    device = resolve_device(args.device)      # a bad device fails before any training
    return dict(seed=args.seed, weights=weights, steps=args.steps, restarts=args.restarts,
                qat_steps=args.qat_steps, qat_restarts=args.qat_restarts, kicks=args.kicks,
                device=device, show_progress=not args.quiet,
                **({} if args.search_iters is None else {"search_iters": args.search_iters}))


def _training_flags(args):
    """The training options as they appear on a command line (for ``made_by.command``)."""
    flags = ["--seed", str(args.seed)]
    for w in args.weight or ():
        flags += ["--weight", w]
    for name in ("steps", "restarts", "qat_steps", "qat_restarts", "kicks", "search_iters"):
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
    if args.out and Path(args.out).is_dir():
        # checked now, not after minutes of training
        raise CLIError(f"--out {args.out} is a folder; give a file name")
    out_words = []
    if getattr(args, "record_out", None):
        out_words = ["--out", args.record_out]
    elif args.out and not Path(args.out).is_absolute():
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

#: Sigmoid: uniform loss weights (its published figure and target are whole-interval MSEs)
#: and twice the default restarts (its float loss has more poor local optima than SiLU's).
_SIGMOID_OPTIONS = ("--weight", "[-10,10]=1", "--restarts", "64")


def shipped_commands():
    """Every shipped FS set: file name -> the ``train`` arguments that make it (in order: the
    sets the hardware flows need first)."""
    sets = {}

    def add(act, K, Q=None):
        name = f"{act}_K{K}" + (f"_Q{Q}" if Q is not None else "")
        words = ["train", "--act", act, "--K", str(K)]
        if Q is not None:
            words += ["--Q", str(Q)]
        if act == "sigmoid":
            words += list(_SIGMOID_OPTIONS)
        sets[name] = words + ["--out", f"quant/params/{name}.json"]

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


def cmd_ship(args):
    from .params import PARAMS_DIR

    sets = shipped_commands()
    names = args.only or list(sets)
    unknown = [n for n in names if n not in sets]
    if unknown:
        raise CLIError(f"unknown shipped set(s) {', '.join(unknown)} "
                       f"(known: {', '.join(sorted(sets))})")
    # the recorded commands write to quant/params/ relative to the repository root
    root = PARAMS_DIR.parent.parent
    for name in names:
        words = [w if not w.startswith("quant/params/") else str(root / w) for w in sets[name]]
        sub = build_parser().parse_args(words + (["--quiet"] if args.quiet else []))
        sub.record_out = sets[name][-1]
        cmd_train(sub)


def _png_path(path):
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise CLIError(f"figure file {str(path)!r} must end in .png")
    return path


def _check_ks(Ks):
    for K in Ks:
        if not 1 <= K <= 64:
            raise CLIError(f"K must be from 1 to 64, not {K}")
    if len(set(Ks)) != len(Ks):
        raise CLIError(f"repeated K in {' '.join(map(str, Ks))}")
    return sorted(Ks)


def _sweep_common(args, act):
    from .activations import get_activation

    act = get_activation(act)
    if act.name == "relu":
        raise CLIError("relu is analytic (never trained); there is nothing to sweep")
    interval = tuple(args.interval) if args.interval else None
    kwargs = _training_kwargs(args)
    return act, interval, kwargs


def _write_sweep(args, stem, table_md, rows, png, sets):
    import json

    from common.cli import AtomicFiles, dumps_json

    out = Path(args.out_dir)
    files = AtomicFiles()
    files.add(out / f"{stem}.md", table_md)
    files.add(out / f"{stem}.json", dumps_json(json.loads(json.dumps(rows))))
    files.add(out / f"{stem}.png", png)
    for name, pset in sets.items():
        files.add(out / f"{name}.json", dumps_json(pset.to_dict()))
    files.commit()
    sys.stdout.write(table_md)
    print(f"wrote {len(files.paths)} files to {out}", file=sys.stderr)


def cmd_sweep(args):
    from .report import plot_sweep_q, sweep_q, table

    act, interval, kwargs = _sweep_common(args, args.act)
    if not 1 <= args.K <= 64:
        raise CLIError(f"K must be from 1 to 64, not {args.K}")
    Qs = sorted({_check_Q(Q) for Q in args.Q})
    if len(Qs) != len(args.Q):
        raise CLIError(f"repeated Q in {' '.join(map(str, args.Q))}")
    words = ["train", "--act", act.spec, "--K", args.K]
    if interval:
        words += ["--interval", *(_num(v) for v in interval)]
    words += _training_flags(args)
    rows, sets = sweep_q(act, args.K, Qs, interval=interval, **kwargs)
    named = {}
    for Q, pset in sets.items():
        # each set records the train command that reproduces it on its own
        cmd = words + (["--Q", Q] if Q is not None else [])
        pset.made_by["command"] = _command(cmd)
        named[_set_name(act, args.K, Q)] = pset
    region = list(rows[0]["mse"])[-1]
    stem = f"sweep_{_stem(act)}_K{args.K}_Q"
    _write_sweep(args, stem, table(rows, "Q"), rows,
                 plot_sweep_q(rows, act.spec, args.K, region), named)


def cmd_sweep_k(args):
    from .report import plot_sweep_k, sweep_k, table

    act, interval, kwargs = _sweep_common(args, args.act)
    Ks = _check_ks(args.K)
    Q = _check_Q(args.Q) if args.Q is not None else None
    words = ["train", "--act", act.spec]
    if Q is not None:
        words += ["--Q", Q]
    if interval:
        words += ["--interval", *(_num(v) for v in interval)]
    words += _training_flags(args)
    rows, sets = sweep_k(act, Ks, Q, interval=interval, **kwargs)
    named = {}
    for K, pset in sets.items():
        pset.made_by["command"] = _command(words[:3] + ["--K", K] + words[3:])
        named[_set_name(act, K, Q)] = pset
    stem = f"sweep_{_stem(act)}_K" + (f"_Q{Q}" if Q is not None else "")
    _write_sweep(args, stem, table(rows, "K"), rows,
                 plot_sweep_k(rows, act.spec, list(rows[0]["mse"])), named)


def _stem(act):
    """A file-name-safe name for an activation (expressions become 'expr')."""
    return act.name if act.is_named else "expr"


def _set_name(act, K, Q):
    return f"{_stem(act)}_K{K}" + (f"_Q{Q}" if Q is not None else "")


def cmd_show(args):
    from common.cli import atomic_write

    from .params import load
    from .report import plot_show

    pset = load(args.file)
    out = _png_path(args.out) if args.out else Path(Path(args.file).stem + ".png")
    atomic_write(out, plot_show(pset))
    print(f"wrote {out}", file=sys.stderr)


REPORT_COMMAND = "python -m quant report"
SHIP_COMMAND = "python -m quant ship"
REGENERATE_COMMAND = "python -m quant regenerate"


def cmd_report(args):
    import json

    from common.cli import AtomicFiles, dumps_json

    from .report import SWEEP_K, SWEEP_K_BUDGET, build_report, sweep_k

    out = Path(args.out_dir)
    cache = out / "img" / "quant_sweep_k_silu.json"
    sweep_words = ["sweep-k", "--act", "silu", "--K", *SWEEP_K,
                   "--steps", SWEEP_K_BUDGET["steps"], "--restarts", SWEEP_K_BUDGET["restarts"]]
    if args.reuse_sweep:
        try:
            rows = json.loads(cache.read_text())
        except FileNotFoundError:
            raise CLIError(f"--reuse-sweep: {cache} does not exist (run without it once)") \
                from None
    else:
        rows, _ = sweep_k("silu", SWEEP_K, show_progress=not args.quiet, **SWEEP_K_BUDGET)
        rows = json.loads(json.dumps(rows))
    commands = {"report": REPORT_COMMAND, "ship": SHIP_COMMAND,
                "regenerate": REGENERATE_COMMAND, "sweep_k": _command(sweep_words)}
    files = AtomicFiles()
    for rel, data in build_report(rows, commands, show_progress=not args.quiet).items():
        files.add(out / rel, data)
    files.add(cache, dumps_json(rows))
    files.commit()
    print(f"wrote {len(files.paths)} files to {out}", file=sys.stderr)


def cmd_regenerate(args):
    cmd_ship(args)
    args.reuse_sweep = False
    cmd_report(args)


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

    p = sub.add_parser("ship", help="retrain every shipped set in quant/params",
                       description="Retrain the shipped FS sets in quant/params/ with the "
                                   "commands recorded in them (about two minutes each on one "
                                   "core).")
    p.add_argument("--only", nargs="+", metavar="NAME", help="just these sets (file names "
                                                             "without .json)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(_run=cmd_ship)

    p = sub.add_parser("sweep", help="MSE vs Q: train a set per Q, table + PNG (Fig. 5e/f)",
                       description="Train the float set and a quantization-aware set per Q; "
                                   "write the MSE table (markdown, JSON), the figure and the "
                                   "sets to --out-dir.")
    p.add_argument("--act", required=True, help="activation name or expression of x")
    p.add_argument("--K", type=_int, required=True, help="time steps")
    p.add_argument("--Q", type=_int, nargs="+", required=True, help="code widths")
    p.add_argument("--interval", type=_float, nargs=2, metavar=("LO", "HI"), default=None)
    p.add_argument("--out-dir", default=".", help="output folder (default: here)")
    _add_training_options(p)
    p.set_defaults(_run=cmd_sweep)

    p = sub.add_parser("sweep-k", help="MSE vs K: train a set per K, table + PNG (Fig. 5d)",
                       description="Train a set per K (float, or quantization-aware with "
                                   "--Q); write the MSE and spike table, the figure and the "
                                   "sets to --out-dir.")
    p.add_argument("--act", required=True, help="activation name or expression of x")
    p.add_argument("--K", type=_int, nargs="+", required=True, help="time steps")
    p.add_argument("--Q", type=_int, default=None, help="code width (default: float)")
    p.add_argument("--interval", type=_float, nargs=2, metavar=("LO", "HI"), default=None)
    p.add_argument("--out-dir", default=".", help="output folder (default: here)")
    _add_training_options(p)
    p.set_defaults(_run=cmd_sweep_k)

    p = sub.add_parser("show", help="PNG of f vs f-hat and spikes vs x (Fig. 4, 5a/b)",
                       description="Plot a parameter file: the activation and its FS "
                                   "approximation, the error, and spikes per input with the "
                                   "network input density; the published set as a second "
                                   "curve where one exists.")
    p.add_argument("file", help="parameter file (JSON)")
    p.add_argument("--out", default=None, help="PNG file (default: FILE's name, .png, here)")
    p.set_defaults(_run=cmd_show)

    p = sub.add_parser("report", help="docs/quant.md and its figures",
                       description="Evaluate the shipped and published sets, train the K "
                                   "sweep, and write docs/quant.md with docs/img/quant_*.png.")
    p.add_argument("--out-dir", default="docs", help="docs folder (default: docs)")
    p.add_argument("--reuse-sweep", action="store_true",
                   help="take the K sweep from the previous report's JSON instead of "
                        "retraining it")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(_run=cmd_report)

    p = sub.add_parser("regenerate", help="ship + report: every set and every result",
                       description="Retrain every shipped set, then write the report.")
    p.add_argument("--out-dir", default="docs", help="docs folder (default: docs)")
    p.set_defaults(only=None)
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(_run=cmd_regenerate)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    return args._run(args)


if __name__ == "__main__":
    sys.exit(main_wrapper(main))
