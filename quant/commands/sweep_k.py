"""``python -m quant sweep-k``: MSE vs K, a set per K (the paper's Fig. 5d)."""

from . import sweep

DESCRIPTION = ("Train a set per K (float, or quantization-aware with --Q); write the MSE and "
               "spike table, the figure and the sets to --out-dir.")


def add_arguments(p):
    sweep.add_arguments(p, K_many=True, Q_many=False, folder="sweep-k")


def run(args):
    from ..report import plot_sweep_k, sweep_k, table

    act, interval, kwargs = sweep.start(args)
    Ks = sweep.no_repeats(args.K, "K")
    head, tail = sweep.base_words(args, act, interval)
    q = ["--Q", args.Q] if args.Q is not None else []
    rows, sets = sweep_k(act, Ks, args.Q, interval=interval, **kwargs)
    named = {sweep.set_name(act, K, args.Q): sweep.with_command(pset, *head, "--K", K, *q, *tail)
             for K, pset in sets.items()}
    stem = f"sweep_{sweep.stem(act)}_K" + (f"_Q{args.Q}" if args.Q is not None else "")
    sweep.write(args, stem, table(rows, "K"), rows,
                plot_sweep_k(rows, act.spec, list(rows[0]["mse"])), named)
