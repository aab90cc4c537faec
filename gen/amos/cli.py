"""``python -m gen amos``: the command line over :mod:`gen.amos` (argparse -> IR)."""

from common.checks import arg, check_int
from quant.params import K_MAX

from .ir import DEFAULT_K, MAX_WIDTH, NAMED_ACTS, build_ir

DESCRIPTION = (
    "AMOS (At Most One Spike) core: K threshold gates side by side, fully pipelined, one "
    "input per clock (ii = 1), latency K+2. Gate i fires when c_i*x - sum_{j<i} h[i][j]*z_j - "
    "T_i >= 0; the output is sum_i d_i z_i. Writes OUT/NAME.v and OUT/NAME.json (manifest).")


def add_arguments(p):
    p.add_argument("--act", default="silu", metavar="{" + ",".join(NAMED_ACTS) + ",PARAMS.json}",
                   help="activation: relu (analytic), sigmoid, silu, mul (x*y, two inputs; "
                        "shipped sets quant/params/amos_<act>_K<K>_Q<Q>.json) or an AMOS "
                        "parameter file (default: silu)")
    p.add_argument("--K", type=arg(check_int, "K", 1, K_MAX), default=None,
                   help="number of gates (default: " + ", ".join(
                       f"{a} {k}" for a, k in DEFAULT_K.items()) + "; a file's own K)")
    p.add_argument("--Q", type=arg(check_int, "Q", 2, 16), default=None,
                   help="parameter code width in bits, 2..16 (default 8; a Q-bit file's own "
                        "Q; relu has no codes)")
    p.add_argument("--width", type=arg(check_int, "input width", 2, MAX_WIDTH), default=None,
                   metavar="W", help="input width in bits (default: relu K+2, otherwise just "
                                     "wide enough for the training interval)")
    p.add_argument("--frac", type=arg(check_int, "input fraction", 0, MAX_WIDTH), default=None,
                   metavar="F", help="input fraction bits (default: Q-4; relu 0)")
    p.add_argument("--name", default=None,
                   help="Verilog module and file name (default amos_<act>_k<K>[_q<Q>])")


def build(args):
    """The :class:`~gen.amos.ir.AmosIR` of parsed command-line arguments."""
    return build_ir(args.act, K=args.K, Q=args.Q, width=args.width, frac=args.frac,
                    name=args.name)
