"""cocotb bench of a TSC layer core, scored against the exact model of its mode:
:class:`sim.tsc.TSCLayer` (``stream``) or :class:`sim.tsc.FramedTSCLayer` (``framed``).

Reads the generator's manifest (``TSC_MANIFEST``): ports, mode, weights, thresholds, widths,
frame length, probes. Drives multi-frame streams (``first`` marks each frame's step 1; a framed
core gets frames of its N steps and one trailing silent frame that flushes its last answer) and
checks, step by step:

* every output beat equals the model's (bit-exact, in order, nothing lost or duplicated);
* the weight reads (the core's ``weight_read``/``weight_addr`` probe, sampled every cycle):
  in order, they are exactly the steps' events ``pos XOR neg``, each step lowest index first,
  so their number equals the model's; with TSC-encoded input no weight word (hence no
  synapse) is read more than twice per frame;
* without gaps or back-pressure, a step with E events takes exactly max(1, E) cycles.

Tests: ``tsc_frames`` and ``random_spikes`` under each handshake pattern, ``cycles_per_step``.
Environment: ``TSC_MANIFEST`` (path), ``TSC_SEED`` (stimulus seed), ``TSC_SCALE`` (1 = the
regular amount of stimulus).
"""

import json

import cocotb
import numpy as np

from sim.tsc import FramedTSCLayer, TSCLayer, step_events, tsc_encode
from streams import PATTERNS, CoreTB, check_beats, env_int, env_str, for_each_pattern


def _mask(bits):
    """A boolean vector as an int, element m at bit m."""
    return sum(1 << int(m) for m in np.flatnonzero(bits))


class TSCBench:
    """Manifest, model and weight-read probe of one TSC core."""

    def __init__(self, dut, pattern="no_stalls", salt=0):
        with open(env_str("TSC_MANIFEST")) as f:
            self.manifest = json.load(f)
        man = self.manifest
        assert man["core"] == "tsc", man["core"]
        self.M, self.L = man["inputs"], man["neurons"]
        self.mode, self.N = man.get("mode", "stream"), man["steps"]
        self.seed = env_int("TSC_SEED", 1) + salt
        self.scale = env_int("TSC_SCALE", 1)
        self.rng = np.random.default_rng(self.seed)
        self.tb = CoreTB(dut, man, pattern, self.seed)
        self.read, self.addr = dut.weight_read, dut.weight_addr
        self.reads = []         # address of every weight read
        self.tb.on_sample(self.probe)

    def probe(self, tb):
        if tb.in_reset:
            return
        if int(self.read.value):
            self.reads.append(int(self.addr.value))

    def expected(self, pos, neg, first):
        """Model outputs ``{pos, neg}`` of a (T, M) stream from a fresh state, and the number
        of weight reads."""
        man = self.manifest
        widths = dict(current_width=man["widths"]["current"],
                      membrane_width=man["widths"]["membrane"])
        if self.mode == "framed":
            layer = FramedTSCLayer(man["weights"], man["threshold"], self.N, **widths)
        else:
            layer = TSCLayer(man["weights"], man["threshold"], **widths)
        out = []
        for t in range(pos.shape[0]):
            p, n = layer.step(pos[t], neg[t], bool(first[t]))
            out.append({"pos": _mask(p), "neg": _mask(n)})
        return out, layer.reads

    async def run(self, pos, neg, first):
        """Send a stream, compare outputs and reads; return (reads per step, Run)."""
        beats = [{"pos": _mask(pos[t]), "neg": _mask(neg[t]), "first": int(first[t])}
                 for t in range(pos.shape[0])]
        want, model_reads = self.expected(pos, neg, first)
        self.spikes = sum(bin(w["pos"]).count("1") + bin(w["neg"]).count("1") for w in want)
        self.reads = []
        run = await self.tb.run(beats, patience=25 * (self.M + 10) + 200, quiet=self.M + 12)
        check_beats(run.outputs, want, beats)
        per_step = split_reads(self.reads, pos, neg, self.tb.pattern)
        assert len(self.reads) == model_reads, (len(self.reads), model_reads)
        return per_step, run


def split_reads(reads, pos, neg, what="reads"):
    """Check the weight reads, in order, are the steps' events (each step lowest index first,
    one read per input with ``pos != neg``); return them split by step."""
    per_step, start = [], 0
    for t in range(pos.shape[0]):
        events = [int(m) for m in np.flatnonzero(pos[t] ^ neg[t])]
        got = list(reads[start:start + len(events)])
        assert got == events, f"{what} step {t}: read addresses {got}, events {events}"
        per_step.append(got)
        start += len(events)
    assert start == len(reads), f"{what}: {len(reads) - start} reads more than events"
    return per_step


def reads_per_synapse(per_step, frame_ids, M):
    """Largest number of reads of any one input's weight word in any frame."""
    worst = 0
    for f in np.unique(frame_ids):
        counts = np.zeros(M, dtype=int)
        for t in np.flatnonzero(frame_ids == f):
            for addr in per_step[t]:
                counts[addr] += 1
        worst = max(worst, int(counts.max()))
    return worst


def random_stream(rng, T, M, density, p_first, p_both=0.1):
    """Random spikes: pos and neg bits with the given density, some inputs with both set."""
    pos = rng.random((T, M)) < density
    neg = rng.random((T, M)) < density
    both = rng.random((T, M)) < p_both
    neg &= ~pos | both
    first = rng.random(T) < p_first
    return pos, neg, first


def tsc_frames_of(rng, M, frames, lengths=(2, 32), signed=True):
    """Concatenated TSC-encoded frames of random values; returns pos, neg, first, frame ids."""
    pos, neg, first, ids = [], [], [], []
    for f in range(frames):
        N = int(rng.integers(lengths[0], lengths[1] + 1))
        lo = -1.0 if signed else 0.0
        x = rng.uniform(lo, 1.0, M)
        x[rng.random(M) < 0.2] = 0.0                  # some silent inputs
        x[rng.random(M) < 0.1] = np.sign(rng.uniform(lo, 1.0)) or 1.0     # some at +-1
        p, n = tsc_encode(x, N)
        pos.append(p)
        neg.append(n)
        fl = np.zeros(N, dtype=bool)
        fl[0] = True
        first.append(fl)
        ids += [f] * N
    return (np.concatenate(pos), np.concatenate(neg), np.concatenate(first), np.array(ids))


@cocotb.test()
@for_each_pattern
async def tsc_frames(dut, pattern):
    """Multi-frame TSC-encoded input: bit-exact, <= 2 reads per synapse and frame."""
    bench = TSCBench(dut, pattern, PATTERNS.index(pattern))
    await bench.tb.reset()
    framed = bench.mode == "framed"
    frames = 4 * bench.scale + framed
    pos, neg, first, ids = tsc_frames_of(bench.rng, bench.M, frames,
                                         lengths=(bench.N, bench.N) if framed else (2, 32),
                                         signed=bench.rng.random() < 0.7)
    if framed:      # a framed core answers a frame in the next: a silent frame flushes it
        pos[ids == frames - 1] = neg[ids == frames - 1] = False
    per_step, _ = await bench.run(pos, neg, first)
    worst = reads_per_synapse(per_step, ids, bench.M)
    assert worst <= 2, f"a weight word was read {worst} times in one frame (at most 2)"
    assert bench.spikes > 0, "no neuron spiked: the comparison would be vacuous"


@cocotb.test()
@for_each_pattern
async def random_spikes(dut, pattern):
    """Random (not TSC-shaped) spikes, sparse to dense, random frame starts."""
    bench = TSCBench(dut, pattern, 10 + PATTERNS.index(pattern))
    # sparse, medium, and dense in one long frame (where small registers wrap)
    for density, p_first in ((0.02, 0.1), (0.3, 0.1), (0.9, 0.0)):
        T = int(20 * bench.scale)
        pos, neg, first = random_stream(bench.rng, T, bench.M, density, p_first)
        first[0] = bench.rng.random() < 0.5      # sometimes continue the (reset) state
        # the model starts from a fresh state: so does the core, after a reset
        await bench.tb.reset()
        await bench.run(pos, neg, first)


@cocotb.test()
async def cycles_per_step(dut):
    """No gaps, no back-pressure: each step takes exactly max(1, E) cycles."""
    bench = TSCBench(dut)
    await bench.tb.reset()
    pos, neg, first, _ = tsc_frames_of(bench.rng, bench.M, 3, lengths=(16, 16))
    rpos, rneg, rfirst = random_stream(bench.rng, 40, bench.M, 0.2, 0.1)
    pos, neg = np.concatenate([pos, rpos]), np.concatenate([neg, rneg])
    first = np.concatenate([first, rfirst])
    _, run = await bench.run(pos, neg, first)
    events = step_events(pos, neg)
    period = np.diff(run.accepts)
    want = np.maximum(1, events[:-1])
    bad = np.flatnonzero(period != want)
    assert bad.size == 0, (f"step {int(bad[0])}: {int(period[bad[0]])} cycles for "
                           f"{int(events[bad[0]])} events")
    latency = np.array(run.emits) - np.array(run.accepts)
    want_latency = np.maximum(1, events) + 8
    bad = np.flatnonzero(latency != want_latency)
    assert bad.size == 0, (f"step {int(bad[0])}: latency {int(latency[bad[0]])}, "
                           f"want {int(want_latency[bad[0]])}")
    n = 48   # the three TSC frames
    dut._log.info("TSC frames: %d steps, %d events, %d cycles (%.3f cycles/step)", n,
                  int(events[:n].sum()), int(run.accepts[n] - run.accepts[0]),
                  (run.accepts[n] - run.accepts[0]) / n)
