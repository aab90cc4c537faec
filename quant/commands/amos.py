"""``python -m quant amos train|ship|report``: AMOS parameter sets (docs/amos.md).

One-input units start from the FS-neuron set with the same K; the training options are the FS
ones (:mod:`quant.stages` trains both).
"""

import sys
from pathlib import Path

from common.checks import arg, check_int
from common.cli import ArgumentParser, AtomicFiles, CLIError, dumps_json
from .options import (add_act_options, add_device_options, add_in_dir, add_in_file,
                      add_out_dir, add_out_file, add_training_options, command_line,
                      interval_words, out_words, training_kwargs, training_words)

DESCRIPTION = ("AMOS parameter sets: train one, retrain the shipped ones, or tabulate and plot "
               "them (one-input units start from the FS-neuron set with the same K).")


def add_arguments(p):
    sub = p.add_subparsers(dest="amos_command", metavar="COMMAND", required=True,
                           parser_class=ArgumentParser)
    q = sub.add_parser("train", help="train one AMOS set",
                       description="Train an AMOS set: a float stage, then (with --Q) a "
                                   "quantization-aware stage and an exact code search.")
    add_act_options(q, "silu, sigmoid, tanh, gelu, an expression of x, or mul (x*y)",
                    "number of gates", "code width: also train Q-bit codes")
    add_in_file(q, "--fs", "FS float set to start from (default "
                           "quant/params/<act>_K<K>.json)", default=None, metavar="FILE")
    add_in_file(q, "--fs-q", "FS Q-bit set to start from (default "
                             "quant/params/<act>_K<K>_Q<Q>.json)", default=None, metavar="FILE")
    add_out_file(q)
    add_out_file(q, "--float-out", help="also write the float stage's set (with --Q)",
                 metavar="FILE")
    add_training_options(q)
    q.set_defaults(_amos=run_train)
    q = sub.add_parser("ship", help="retrain the shipped AMOS sets",
                       description="Retrain the shipped AMOS sets (float and Q=8) into "
                                   "--out-dir (default out/params; give quant/params to "
                                   "replace the shipped files).")
    q.add_argument("--only", nargs="+", default=None, metavar="NAME",
                   help="only these (e.g. amos_silu_K12)")
    add_out_dir(q, "params", "folder of the sets")
    add_in_dir(q, "--fs-dir", "folder of the FS sets to start from (default quant/params)")
    q.add_argument("--seed", type=arg(check_int, "--seed"), default=0,
                   help="random seed (default 0)")
    add_device_options(q)
    q.set_defaults(_amos=run_ship)
    q = sub.add_parser("report", help="results table (stdout) and PNGs of the shipped sets",
                       description="Print the AMOS-vs-FS results table of the shipped sets "
                                   "(markdown) and plot them into --out-dir.")
    add_out_dir(q, "amos", "PNG folder (docs/img for the repository's)")
    add_in_dir(q, "--params-dir", "the sets to report (default: the shipped quant/params)")
    q.add_argument("--table-only", action="store_true", help="only the table, no PNGs")
    q.set_defaults(_amos=run_report)


def run(args):
    return args._amos(args)


def _train_words(act, K, Q, interval, fs, fs_q):
    words = ["amos", "train", "--act", act, "--K", K]
    words += (["--Q", Q] if Q is not None else []) + interval_words(interval)
    for opt, path in (("--fs", fs), ("--fs-q", fs_q)):
        words += [opt, path] if path is not None and not Path(path).is_absolute() else []
    return words


def run_train(args):
    from ..amos_train import train_amos

    act, Q = args.act.strip(), args.Q
    interval = tuple(args.interval) if args.interval else None
    words = _train_words(act, args.K, None, interval, args.fs, None) + training_words(args)
    q_words = _train_words(act, args.K, Q, interval, args.fs, args.fs_q) + training_words(args)
    float_out = args.float_out if Q is not None else args.out
    float_set, q_set = train_amos(
        act, args.K, Q, interval, fs=args.fs, fs_q=args.fs_q,
        command=command_line(*q_words, *out_words(args.out)),
        float_command=command_line(*words, *out_words(float_out)), **training_kwargs(args))
    out_set = q_set if q_set is not None else float_set
    for ps in (float_set, q_set):
        if ps is not None:
            report_set(ps)
    files = AtomicFiles()
    if args.float_out:
        files.add(args.float_out, dumps_json(float_set.to_dict()))
    if args.out:
        files.add(args.out, dumps_json(out_set.to_dict()))
    else:
        sys.stdout.write(dumps_json(out_set.to_dict()))
    files.commit()


def run_ship(args):
    from ..amos_params import PREFIX, TWO_INPUT
    from ..amos_train import SHIPPED, SHIPPED_Q, default_fs_paths, train_amos
    from ..loop import resolve_device

    names = {f"{PREFIX}{a}_K{K}": (a, K) for a, K in SHIPPED}
    only = args.only or sorted(names)
    for name in only:
        if name not in names:
            raise CLIError(f"unknown shipped set {name!r} (shipped: {', '.join(sorted(names))})")
    device = resolve_device(args.device)
    folder = Path(args.out_dir)
    for name in only:
        act, K = names[name]
        fs = fs_q = None
        if args.fs_dir is not None and act not in TWO_INPUT:
            fs, fs_q = (str(Path(args.fs_dir) / p.name) for p in default_fs_paths(act, K,
                                                                                 SHIPPED_Q))
        tail = ["--seed", args.seed]
        print(f"{name}: training (float, then Q={SHIPPED_Q})", file=sys.stderr)
        float_set, q_set = train_amos(
            act, K, SHIPPED_Q, fs=fs, fs_q=fs_q, seed=args.seed, device=device,
            show_progress=not args.quiet,
            float_command=command_line(*_train_words(act, K, None, None, fs, None), *tail,
                                       *out_words(folder / f"{name}.json")),
            command=command_line(*_train_words(act, K, SHIPPED_Q, None, fs, fs_q), *tail,
                                 *out_words(folder / f"{name}_Q{SHIPPED_Q}.json")))
        report_set(float_set)
        report_set(q_set)
        AtomicFiles({folder / f"{name}.json": dumps_json(float_set.to_dict()),
                     folder / f"{name}_Q{SHIPPED_Q}.json": dumps_json(q_set.to_dict())}).commit()


def run_report(args):
    from ..amos_report import plot_sets, results_table

    sys.stdout.write(results_table(args.params_dir))
    if not args.table_only:
        files = AtomicFiles({Path(args.out_dir) / name: png
                             for name, png in plot_sets(args.params_dir).items()})
        files.commit()
        for path in files.paths:
            print(f"wrote {path}", file=sys.stderr)


def report_set(ps):
    """One line on stderr: the set's MSE per region and over the representable inputs."""
    q = f" Q={ps.Q}" if ps.Q is not None else ""
    mse = ", ".join(f"{k} {v:.4g}" for k, v in ps.made_by["mse"].items())
    extra = ""
    grid = ps.made_by.get("grid_mse")
    if grid:
        extra = f"; every representable input (F={grid['F']}): {grid['amos']:.4g}"
        if "fs" in grid:
            extra += f" (FS set: {grid['fs']:.4g})"
    print(f"AMOS {ps.activation} K={ps.K}{q}: MSE {mse}{extra}", file=sys.stderr)
