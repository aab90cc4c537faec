"""``python -m quant sweep``: MSE vs Q, a set per Q (the paper's Fig. 5e/f)."""

import json
import sys
from pathlib import Path

from common.cli import AtomicFiles, CLIError, dumps_json
from .options import (add_act_options, add_out_dir, add_training_options, command_line,
                      interval_words, training_kwargs, training_words)

DESCRIPTION = ("Train the float set and a quantization-aware set per Q; write the MSE table "
               "(markdown, JSON), the figure and the sets to --out-dir.")


def add_arguments(p, K_many=False, Q_many=True, folder="sweep"):
    add_act_options(p, "activation name or expression of x", "time steps", "code widths",
                    K_many=K_many, Q_many=Q_many)
    add_out_dir(p, folder, "output folder")
    add_training_options(p)


def start(args):
    """The activation, interval and training keyword arguments of a sweep, checked."""
    from ..activations import get_activation

    act = get_activation(args.act)
    if act.name == "relu":
        raise CLIError("relu is analytic (never trained); there is nothing to sweep")
    interval = tuple(args.interval) if args.interval else None
    return act, interval, training_kwargs(args)


def no_repeats(values, name):
    if len(set(values)) != len(values):
        raise CLIError(f"repeated {name} in {' '.join(map(str, values))}")
    return sorted(values)


def base_words(args, act, interval):
    """The ``train`` words every set of the sweep records, but K and Q."""
    return ["train", "--act", act.spec], interval_words(interval) + training_words(args)


def stem(act):
    """A file-name-safe name for an activation (expressions become 'expr')."""
    return act.name if act.is_named else "expr"


def set_name(act, K, Q):
    return f"{stem(act)}_K{K}" + (f"_Q{Q}" if Q is not None else "")


def with_command(pset, *words):
    """The set recording ``words`` as its command (each set of a sweep records the ``train``
    command that reproduces it on its own)."""
    return pset.with_made_by({**pset.made_by, "command": command_line(*words)})


def write(args, stem, table_md, rows, png, sets):
    """The table (markdown, JSON), the figure and the sets, all together or none."""
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


def run(args):
    from ..report import plot_sweep_q, sweep_q, table

    act, interval, kwargs = start(args)
    Qs = no_repeats(args.Q, "Q")
    head, tail = base_words(args, act, interval)
    rows, sets = sweep_q(act, args.K, Qs, interval=interval, **kwargs)
    named = {set_name(act, args.K, Q): with_command(
        pset, *head, "--K", args.K, *(["--Q", Q] if Q is not None else []), *tail)
        for Q, pset in sets.items()}
    region = list(rows[0]["mse"])[-1]
    write(args, f"sweep_{stem(act)}_K{args.K}_Q", table(rows, "Q"), rows,
          plot_sweep_q(rows, act.spec, args.K, region), named)
