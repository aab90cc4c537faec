"""``python -m quant train``: one FS-neuron parameter set (ReLU: the analytic schedule)."""

import sys

from common.cli import CLIError, dumps_json
from .options import (add_act_options, add_out_file, add_training_options, command_line,
                      interval_words, number_word, out_words, training_kwargs, training_words)

DESCRIPTION = ("Train an FS-neuron parameter set (relu: the analytic schedule) and write it as "
               "JSON.")


def add_arguments(p):
    add_act_options(p, "silu, sigmoid, relu, tanh, gelu or an expression of x", "time steps",
                    "code width: train quantization-aware")
    add_out_file(p)
    add_training_options(p)


def run(args, record_out=None):
    """Train (or write the ReLU set) and save it; ``record_out`` is the ``--out`` the set's
    command records instead of ``args.out`` (``ship``)."""
    from ..activations import get_activation
    from ..train import relu_fs, train_fs

    act = get_activation(args.act)
    interval = tuple(args.interval) if args.interval else None
    words = ["train", "--act", act.spec, "--K", args.K]
    words += (["--Q", args.Q] if args.Q is not None else []) + interval_words(interval)
    out = out_words(record_out if record_out is not None else args.out)
    if act.name == "relu":
        pset = relu_fs(args.K, alpha=_relu_alpha(interval), Q=args.Q,
                       command=command_line(*words, *out))
    else:
        words += training_words(args)
        pset = train_fs(act, args.K, args.Q, interval, command=command_line(*words, *out),
                        **training_kwargs(args))
    report_set(pset)
    if args.out:
        pset.save(args.out)
    else:
        sys.stdout.write(dumps_json(pset.to_dict()))


def _relu_alpha(interval):
    if not interval:
        return None
    if interval[0] != 0:
        raise CLIError(f"relu's interval is [0, alpha], not starting at "
                       f"{number_word(interval[0])}")
    return interval[1]


def report_set(pset):
    """One line on stderr: the set's MSE per region."""
    mse = pset.made_by["mse"] if pset.made_by else {}
    q = f" Q={pset.Q}" if pset.Q is not None else ""
    parts = ", ".join(f"{k} {v:.4g}" for k, v in mse.items())
    print(f"{pset.activation} K={pset.K}{q}: MSE {parts}", file=sys.stderr)
