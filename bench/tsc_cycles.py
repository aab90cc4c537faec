"""Cycles per time step of the TSC core, measured in simulation, against its formula.

    python bench/tsc_cycles.py [--inputs 64] [--neurons 16] [--mode stream|framed]
                               [--steps-per-frame 32] [--frames 8] [--active 0.2 1.0]
                               [--seed 0]

Builds the core of ``python -m gen tsc --inputs M --neurons L [--mode framed --steps N]``
(seeded random weights; a framed core gets frames of N = ``--steps-per-frame`` steps),
encodes random frames with TSC (a fraction ``active`` of the inputs non-zero, uniform in
(0, 1]; the rest 0, as in sparse images) and runs them through the Amaranth simulation without
input gaps or output back-pressure. For each sparsity it prints the events per step (input
spikes), the measured cycles per step (from the first to the last accepted input beat, plus
the last step's own cycles), the formula's max(1, E) per step, and the latency of a step. The
outputs are checked against the golden model of the mode (sim.tsc) on the way, and so are
the weight reads: exactly the events, at most two per synapse and frame.
"""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common.checks import arg, check_float, check_int       # noqa: E402
from common.cli import ArgumentParser, main_wrapper         # noqa: E402
from gen.tsc import TSCConfig, TSCCore, build_ir            # noqa: E402
from gen.tsc.ir import CYCLES_PER_STEP                      # noqa: E402
from gen.tsc.simulate import simulate_core                  # noqa: E402
from sim.tsc import FramedTSCLayer, TSCLayer, step_events, tsc_encode   # noqa: E402


def frames(rng, M, N, count, active):
    pos, neg, first = [], [], []
    for _ in range(count):
        x = np.where(rng.random(M) < active, rng.uniform(0, 1, M), 0.0)
        p, n = tsc_encode(x, N)
        f = np.zeros(N, dtype=bool)
        f[0] = True
        pos.append(p), neg.append(n), first.append(f)
    return np.concatenate(pos), np.concatenate(neg), np.concatenate(first)


def build_parser():
    ap = ArgumentParser(prog="python bench/tsc_cycles.py", description=__doc__.splitlines()[0])
    ap.add_argument("--inputs", type=arg(check_int, "--inputs", 1), default=64)
    ap.add_argument("--neurons", type=arg(check_int, "--neurons", 1), default=16)
    ap.add_argument("--mode", choices=["stream", "framed"], default="stream")
    ap.add_argument("--steps-per-frame", type=arg(check_int, "--steps-per-frame", 1),
                    default=32)
    ap.add_argument("--frames", type=arg(check_int, "--frames", 1), default=8)
    ap.add_argument("--active", type=arg(check_float, "--active", 0, 1), nargs="+",
                    default=[0.2, 1.0])
    ap.add_argument("--seed", type=arg(check_int, "--seed", 0), default=0)
    return ap


def main(argv=None):
    args = build_parser().parse_args(argv)

    framed = args.mode == "framed"
    ir = build_ir(TSCConfig(inputs=args.inputs, neurons=args.neurons, mode=args.mode,
                            steps=args.steps_per_frame if framed else 256))
    rng = np.random.default_rng(args.seed)
    print(f"core {ir.name}: cycles per step = {CYCLES_PER_STEP}, E = input events of the "
          f"step; frames of {args.steps_per_frame} steps")
    print(f"{'active inputs':>14} {'steps':>6} {'events/step':>12} {'cycles/step':>12} "
          f"{'formula':>8} {'latency (cycles)':>17} {'reads/synapse/frame':>20}")
    for active in args.active:
        pos, neg, first = frames(rng, args.inputs, args.steps_per_frame, args.frames, active)
        run = simulate_core(TSCCore.from_ir(ir), pos, neg, first)
        widths = dict(current_width=ir.widths["current"], membrane_width=ir.widths["membrane"])
        layer = (FramedTSCLayer(ir.weights, ir.threshold, ir.steps, **widths) if framed
                 else TSCLayer(ir.weights, ir.threshold, **widths))
        for t in range(pos.shape[0]):
            p, n = layer.step(pos[t], neg[t], bool(first[t]))
            want = sum(1 << int(k) for k in np.flatnonzero(p)) | \
                sum(1 << (ir.neurons + int(k)) for k in np.flatnonzero(n))
            assert run["outputs"][t] == want, f"step {t}: core and model differ"
        events = step_events(pos, neg)
        assert run["reads"] == [int(m) for t in range(len(pos))
                                for m in np.flatnonzero(pos[t] ^ neg[t])], "reads != events"
        frame = np.cumsum(first)                  # the frame of every step
        read_frame = np.repeat(frame, events)     # ... and of every read (in step order)
        reads = np.array(run["reads"])
        per_frame = max(int(np.bincount(reads[read_frame == f], minlength=args.inputs).max())
                        for f in np.unique(frame))
        assert per_frame <= 2, f"{per_frame} reads of one synapse in a frame"
        T = len(events)
        acc = np.array(run["accepts"])
        cycles = acc[-1] - acc[0] + max(1, int(events[-1]))
        formula = int(np.maximum(1, events).sum())
        latency = np.array(run["emits"]) - acc
        print(f"{active:>14.0%} {T:>6} {events.mean():>12.3f} {cycles / T:>12.3f} "
              f"{formula / T:>8.3f} {int(latency.min()):>8}..{int(latency.max()):<7} "
              f"{per_frame:>20}")


if __name__ == "__main__":
    sys.exit(main_wrapper(main))
