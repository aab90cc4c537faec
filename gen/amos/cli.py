"""``python -m gen amos``: the command line over :mod:`gen.amos` (argparse -> IR -> writer)."""

from gen.writer import check_name

from . import generate
from .ir import DEFAULT_K, NAMED_ACTS, build_ir

DESCRIPTION = (
    "AMOS (At Most One Spike) core: K threshold gates side by side, fully pipelined, one "
    "input per clock (ii = 1), latency K+2. Gate i fires when c_i*x - sum_{j<i} h[i][j]*z_j - "
    "T_i >= 0; the output is sum_i d_i z_i. Writes DIR/NAME.v and DIR/NAME.json (manifest).")


def add_arguments(p):
    p.add_argument("--act", default="silu", metavar="{" + ",".join(NAMED_ACTS) + ",PARAMS.json}",
                   help="activation: relu (analytic), sigmoid, silu, mul (x*y, two inputs; "
                        "shipped sets quant/params/amos_<act>_K<K>_Q<Q>.json) or an AMOS "
                        "parameter file (default: silu)")
    p.add_argument("--K", type=int, default=None,
                   help="number of gates (default: " + ", ".join(
                       f"{a} {k}" for a, k in DEFAULT_K.items()) + "; a file's own K)")
    p.add_argument("--Q", type=int, default=None,
                   help="parameter code width in bits, 2..16 (default 8; a Q-bit file's own "
                        "Q; relu has no codes)")
    p.add_argument("--width", type=int, default=None, metavar="W",
                   help="input width in bits (default: relu K+2, otherwise just wide enough "
                        "for the training interval)")
    p.add_argument("--frac", type=int, default=None, metavar="F",
                   help="input fraction bits (default: Q-4; relu 0)")
    p.add_argument("--name", default=None,
                   help="Verilog module and file name (default amos_<act>_k<K>[_q<Q>])")
    p.add_argument("--out", default="rtl", metavar="DIR",
                   help="output folder (default: rtl)")


def run(args):
    if args.name is not None:
        check_name(args.name)
    ir = build_ir(args.act, K=args.K, Q=args.Q, width=args.width, frac=args.frac,
                  name=args.name)
    vpath, jpath = generate(ir, args.out)
    print(summary(ir, vpath, jpath))
    return 0


def summary(ir, vpath, jpath):
    W, F = ir.width, ir.frac
    inputs = "x, y" if ir.two_input else "x"
    lines = [
        f"wrote {vpath} and {jpath}",
        f"  core     AMOS {ir.activation}, K={ir.K}, "
        + ("analytic (no codes)" if ir.Q is None else f"Q={ir.Q}") + f", from {ir.source}",
        f"  input    i: {inputs} signed {W} bits, {F} fraction bits"
        + (" each (payload struct {x, y}, x low)" if ir.two_input else ""),
        f"  output   o: spikes {ir.K} bits (bit i-1 = z_i) + value signed {ir.out_width} bits, "
        f"{ir.out_frac} fraction bits",
        f"  timing   latency {ir.latency} cycles, ii {ir.ii} (one input per clock)",
        f"  interval [{ir.interval[0]:g}, {ir.interval[1]:g}]"
        + (" for x and y" if ir.two_input else ""),
        f"  mse      {ir.mse():.4g} (this exact core vs {ir.activation}, every representable "
        f"input of the interval)",
    ]
    return "\n".join(lines)
