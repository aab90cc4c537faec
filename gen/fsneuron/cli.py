"""``python -m gen fsneuron``: the command line over :mod:`gen.fsneuron`."""

from common.checks import arg, check_int

from .ir import ARCHS, DEFAULT_K, DEFAULT_Q, K_MAX, K_MIN, LANES_MAX, W_MAX, FSConfig, resolve

DESCRIPTION = """\
Generate a pipelined FS-neuron (few-spikes neuron) core as Verilog, bit-exact with the integer
golden model sim.fs.fs_int, plus its JSON manifest. Each of the K steps computes
z(t) = [v(t) >= T(t)], v(t+1) = v(t) - h(t) z(t); the core outputs the spikes and
sum_t d(t) z(t). Writes OUT/NAME.v and OUT/NAME.json (both or neither) and prints a summary:
ports, widths, latency, interval, ROM bits and the MSE of this exact core against the activation
over every representable input of the interval. See docs/fsneuron.md."""


def add_arguments(parser):
    parser.add_argument(
        "--act", default="silu", metavar="silu|sigmoid|relu|PARAMS.json",
        help="activation: silu or sigmoid (the trained set quant/params/<act>_K<K>_Q<Q>.json), "
             "relu (analytic: T = h = d = 2^(K-t) in units of the quantum alpha*2^-K, no "
             "parameter file, no ROM, Q does not apply), or a parameter file: a Q-bit file is "
             "used as is, a float file is rounded to --Q bits (default: %(default)s)")
    parser.add_argument(
        "--K", type=arg(check_int, "K", K_MIN, K_MAX), default=None, metavar="K",
        help=f"time steps, {K_MIN} to {K_MAX} (default: {DEFAULT_K}, or the K of PARAMS.json)")
    parser.add_argument(
        "--Q", type=arg(check_int, "Q", 2, 16), default=None, metavar="Q",
        help=f"parameter code width in bits, 2 to 16: 2^Q levels over [-8, 8) "
             f"(default: {DEFAULT_Q}, or the Q of a Q-bit PARAMS.json; ignored for relu)")
    parser.add_argument(
        "--lanes", type=arg(check_int, "lanes", 1, LANES_MAX), default=1, metavar="N",
        help="neurons per core; one input vector holds N inputs (default: %(default)s)")
    parser.add_argument(
        "--arch", choices=ARCHS, default="shared",
        help="shared: N lanes share one parameter ROM, one vector every K cycles; unrolled: K "
             "pipeline stages with constant parameters, one vector per cycle "
             "(default: %(default)s)")
    parser.add_argument(
        "--width", type=arg(check_int, "input width W", 1, W_MAX), default=None, metavar="W",
        help=f"input width in bits, at most {W_MAX}; must hold every threshold and reset "
             f"(default: trained sets just wide enough for the training interval; relu K+2)")
    parser.add_argument(
        "--frac", type=arg(check_int, "input fraction F"), default=None, metavar="F",
        help="input fraction bits: real input = x * 2^-F; needs F >= Q-4 "
             "(default: Q-4 for trained sets, 0 for relu)")
    parser.add_argument(
        "--name", default=None, metavar="NAME",
        help="Verilog module and file name (default: fs_<act>_k<K>_q<Q>, fs_relu_k<K> or "
             "fs_<params file stem>, plus _w<W>f<F> for a non-default input format, _unrolled "
             "and _x<N> for N lanes)")


def build(args):
    """The :class:`~gen.fsneuron.ir.FSCoreIR` of parsed command-line arguments."""
    return resolve(FSConfig(act=args.act, K=args.K, Q=args.Q, lanes=args.lanes, arch=args.arch,
                            width=args.width, frac=args.frac, name=args.name))
