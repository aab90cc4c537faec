"""Throughput of the integer network golden model (net.netfile -> net.snn.IntSNN) on one core.

    python bench/network_golden.py [NET.json ...] [--n 4500] [--repeat 3]

For every network file (default: the four shipped examples, net/examples/*.json) runs ``n``
digits test images (the 450 repeated) through the exact integer network on the CPU, one torch
thread, and prints images per second (median of the repeats) and the spikes per image. Pin to
one core with ``taskset -c 0`` for a strict single-core figure.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from net import data as digits  # noqa: E402
from net.netfile import load  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("networks", nargs="*", metavar="NET.json",
                   help="network files (default: net/examples/*.json)")
    p.add_argument("--n", type=int, default=4500, help="images per run (default 4500)")
    p.add_argument("--repeat", type=int, default=3, help="runs (default 3)")
    args = p.parse_args()
    paths = args.networks or sorted((ROOT / "net" / "examples").glob("*.json"))
    x_test = digits.load().x_test
    x = np.resize(x_test, (args.n, x_test.shape[1]))
    for path in paths:
        net = load(path).int_snn()
        net.forward(x[:64])                                    # warm up
        rates = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            res = net.forward(x)
            rates.append(args.n / (time.perf_counter() - t0))
        spikes = res.spikes_per_neuron().sum(1).mean()
        print(f"{Path(path).stem}: median {statistics.median(rates):.4g} images/s "
              f"(min {min(rates):.4g}, max {max(rates):.4g}; {args.repeat} runs of {args.n} "
              f"images, {spikes:.1f} spikes per image)")


if __name__ == "__main__":
    main()
