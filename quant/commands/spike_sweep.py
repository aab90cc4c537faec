"""``python -m quant spike-sweep``: MSE against mean spikes, a set per spike weight LAMBDA."""

from common.checks import arg, check_float
from .options import (add_act_options, add_out_dir, add_training_options, command_line,
                      interval_words, number_word, spike_words, training_words)
from .sweep import no_repeats, stem, write

DESCRIPTION = ("Train a set per spike weight LAMBDA (spike-aware training: LAMBDA x the mean "
               "spike count under the input distribution added to the loss; 0: the plain "
               "training) and write the table (markdown, JSON), the figure of MSE against mean "
               "spikes with its Pareto front and the shipped and published sets as points, and "
               "the sets, to --out-dir.")


def add_arguments(p):
    add_act_options(p, "activation name or expression of x", "time steps",
                    "code width: quantization-aware sets")
    p.add_argument("--lambda", dest="lambdas", type=arg(check_float, "--lambda", 0), nargs="+",
                   required=True, metavar="LAMBDA", help="spike weights (>= 0; 0: no spike term)")
    p.add_argument("--input-dist", nargs=3, default=None, metavar=("normal", "MEAN", "VAR"),
                   help="input distribution of the spike term and of the figure (default for "
                        "silu: normal -0.112 1.99, the FS paper's Fig. 5a; other activations: "
                        "required)")
    add_out_dir(p, "spike_sweep", "output folder")
    add_training_options(p)


def distribution(act, words):
    """The input distribution of the sweep (the activation's default without ``words``)."""
    from ..spikes import spike_term

    # a unit weight only to resolve and check the distribution the way train does
    return spike_term(act.spec, 1.0, words).dist


def run(args):
    from ..spike_sweep import plot_spike_sweep, reference_points, spike_table, sweep_spikes
    from ..spikes import SpikeTerm
    from .sweep import start

    act, interval, kwargs = start(args)
    dist = distribution(act, args.input_dist)
    lambdas = no_repeats(args.lambdas, "LAMBDA")
    rows, sets = sweep_spikes(act, args.K, lambdas, dist, args.Q, interval=interval, **kwargs)
    head = ["train", "--act", act.spec, "--K", args.K] + (
        ["--Q", args.Q] if args.Q is not None else []) + interval_words(interval) \
        + training_words(args)
    q = f"_Q{args.Q}" if args.Q is not None else ""
    named = {}
    for lam, pset in sets.items():
        term = SpikeTerm(lam, dist) if lam > 0 else None
        words = head + spike_words(term)
        named[f"{stem(act)}_K{args.K}{q}_lambda{number_word(lam)}"] = pset.with_made_by(
            {**pset.made_by, "command": command_line(*words)})
    refs = reference_points(act.spec, args.K, args.Q, dist, interval=interval)
    title = f"{act.spec} K={args.K}" + (f" Q={args.Q}" if args.Q is not None else " float")
    write(args, f"spike_sweep_{stem(act)}_K{args.K}{q}", spike_table(rows, refs),
          {"input": dist.to_json(), "rows": rows, "references": refs},
          plot_spike_sweep(rows, refs, title, dist), named)
