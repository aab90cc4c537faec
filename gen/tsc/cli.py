"""``python -m gen tsc``: the command line, thin over :mod:`gen.tsc` (argparse -> IR; the
registry in :mod:`gen.__main__` adds ``--out`` and writes the files)."""

from pathlib import Path

from common.checks import InputError, arg, check_int
from sim.tsc import MODES

from .ir import LIMITS, TSCConfig, build_ir
from .weights import load_weights, parse_thresholds

__all__ = ["DESCRIPTION", "add_arguments", "build", "config_from_args"]

DESCRIPTION = (
    "Event-driven Temporal Switch Coding layer: M inputs, L neurons. One input beat per time "
    "step (pos, neg, first), one output beat per step (pos, neg); the core walks only the "
    "set input bits, one weight-memory read and one add per event. --mode stream (default): "
    "a neuron answers within the frame; --mode framed: its on-time is its frame's input over "
    "theta, sent during the next frame. Writes OUT/NAME.v and OUT/NAME.json.")


def _int(name, lo_hi):
    return arg(check_int, name, *lo_hi)


def add_arguments(p):
    p.add_argument("--inputs", type=_int("inputs", LIMITS["inputs"]), required=True,
                   metavar="M",
                   help=f"number of inputs M ({LIMITS['inputs'][0]}..{LIMITS['inputs'][1]})")
    p.add_argument("--neurons", type=_int("neurons", LIMITS["neurons"]), required=True,
                   metavar="L",
                   help=f"number of neurons L ({LIMITS['neurons'][0]}..{LIMITS['neurons'][1]})")
    p.add_argument("--mode", default="stream", choices=MODES,
                   help="stream (default): a neuron sends neg at its first step without a "
                        "threshold crossing after its pos; framed: it integrates a whole frame "
                        "and sends an on-time of min(floor(V / theta), N - 1) steps during "
                        "the next frame (docs/tsc.md)")
    p.add_argument("--weights", metavar="FILE",
                   help="L x M integer weight codes, .npy or .json (a list of L rows, or an "
                        "object with 'weights' and optional 'threshold', 'weight_frac'); "
                        "default: seeded uniform random integers over the wbits range")
    p.add_argument("--threshold", nargs="+", metavar="T",
                   help="threshold in weight units: one value for all neurons or L values "
                        "(spaces or commas); default: the weight file's, else "
                        "floor(0.8 * max_l sum_m max(w[l][m], 0)) for all neurons")
    p.add_argument("--wbits", type=_int("wbits", LIMITS["wbits"]), default=8,
                   help="signed weight width in bits (default 8)")
    p.add_argument("--weight-frac", type=_int("weight_frac", LIMITS["weight_frac"]),
                   default=None, metavar="F",
                   help="fraction bits of the weight codes, recorded in the manifest "
                        "(default: the weight file's, else wbits - 1)")
    p.add_argument("--steps", type=_int("steps", LIMITS["steps"]), default=256, metavar="N",
                   help="stream: the longest frame in time steps that the core computes "
                        "exactly (sizes the current and membrane registers); framed: the "
                        "frame length N (default 256)")
    p.add_argument("--seed", type=_int("seed", LIMITS["seed"]), default=0,
                   help="seed of the random weights (default 0)")
    p.add_argument("--name", default=None,
                   help="Verilog module and file name (default tsc_m<M>_l<L>, framed "
                        "tsc_m<M>_l<L>_framed)")


def config_from_args(args):
    """The :class:`TSCConfig` of parsed command-line arguments (reads the weight file)."""
    weights = threshold = weight_frac = weights_file = source = None
    if args.weights is not None:
        loaded = load_weights(args.weights)
        weights = loaded["weights"]
        weights_file = Path(args.weights).name
        if "threshold" in loaded:
            threshold, source = loaded["threshold"], f"weights file {args.weights!r}"
        weight_frac = loaded.get("weight_frac")
        if weight_frac is not None and (isinstance(weight_frac, bool) or
                                        not isinstance(weight_frac, int)):
            raise InputError(f"weights file {args.weights!r}: weight_frac must be an integer, "
                             f"not {weight_frac!r}")
    if args.threshold is not None:
        threshold, source = parse_thresholds(args.threshold), "--threshold"
    if args.weight_frac is not None:
        weight_frac = args.weight_frac
    return TSCConfig(inputs=args.inputs, neurons=args.neurons, wbits=args.wbits,
                     weights=weights, threshold=threshold, weight_frac=weight_frac,
                     steps=args.steps, mode=args.mode, seed=args.seed, name=args.name,
                     weights_file=weights_file, threshold_source=source)


def build(args):
    """The :class:`gen.tsc.ir.TSCIR` of parsed command-line arguments."""
    return build_ir(config_from_args(args))
