"""``python -m gen ifneuron``: the rate-coded IF neuron core (the baseline of the FS neuron)."""

from common.checks import arg, check_int

from .ir import K_MAX, WIDTH_MAX, resolve

DESCRIPTION = (
    "Rate-coded integrate-and-fire neuron: 2^K - 1 steps per value (one per clock), output the "
    "spike count clamp(x, 0, 2^K - 1), the function of the FS ReLU core with the same K. The "
    "baseline the FS neuron is measured against. Writes OUT/NAME.v and OUT/NAME.json.")


def add_arguments(p):
    p.add_argument("--K", type=arg(check_int, "K", 1, K_MAX), default=10,
                   help="output bits: 2^K - 1 steps per value (default: %(default)s)")
    p.add_argument("--width", type=arg(check_int, "input width", 2, WIDTH_MAX), default=None,
                   metavar="W", help="signed input width (default: K + 2)")
    p.add_argument("--theta", type=arg(check_int, "theta", 1), default=None,
                   help="threshold (default: 2^K - 1)")
    p.add_argument("--name", default=None,
                   help="Verilog module and file name (default if_k<K>_w<W>)")


def build(args):
    return resolve(K=args.K, width=args.width, theta=args.theta, name=args.name)
