"""Throughput of the integer FS-neuron golden model (sim.fs.fs_int) on one core.

    python bench/fs_golden.py [--K 16] [--n 4000000] [--repeat 5]

Prints neuron evaluations per second (median of the repeats). Target: >= 1e7 for K = 16.
Pin to one core with ``taskset -c 0`` for a single-core figure (numpy does not thread these
element-wise operations anyway).
"""

import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common.checks import arg, check_int                    # noqa: E402
from common.cli import ArgumentParser, main_wrapper         # noqa: E402
from sim.fs import fs_int                                   # noqa: E402


def build_parser():
    p = ArgumentParser(prog="python bench/fs_golden.py", description=__doc__.splitlines()[0])
    p.add_argument("--K", type=arg(check_int, "--K", 1, 64), default=16)
    p.add_argument("--n", type=arg(check_int, "--n", 1000), default=4_000_000)
    p.add_argument("--repeat", type=arg(check_int, "--repeat", 1), default=5)
    p.add_argument("--Q", type=arg(check_int, "--Q", 2, 16), default=8)
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    rng = np.random.default_rng(0)
    lo, hi = -(1 << (args.Q - 1)), 1 << (args.Q - 1)
    # a Q-bit set with a 9-bit input (F = Q-4), as the default SiLU core uses
    T, h, d = ([int(v) for v in rng.integers(lo, hi, args.K)] for _ in range(3))
    x = rng.integers(-256, 256, args.n)
    fs_int(x[:1000], T, h, d)   # warm up
    rates = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        fs_int(x, T, h, d)
        rates.append(args.n / (time.perf_counter() - t0))
    print(f"fs_int K={args.K}: median {statistics.median(rates):.3g} neuron evaluations/s "
          f"(min {min(rates):.3g}, max {max(rates):.3g}, {args.repeat} runs of {args.n})")


if __name__ == "__main__":
    sys.exit(main_wrapper(main))
