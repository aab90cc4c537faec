"""cocotb bench of a TSC layer core, scored against the exact model of its mode:
:class:`sim.tsc.TSCLayer` (``stream``) or :class:`sim.tsc.FramedTSCLayer` (``framed``).

Reads the generator's manifest (``TSC_MANIFEST``): mode, weights, thresholds, widths, frame
length and the payload layouts (packed with :mod:`common.payload`). Drives multi-frame streams
(``first`` marks each frame's step 1; framed cores get frames of their N steps, plus one
trailing frame that flushes the last answer out) under random input gaps and output
back-pressure and checks, step by step:

* every output beat equals the model's (bit-exact, in order, nothing lost or duplicated);
* the weight reads (the core's ``weight_read``/``weight_addr`` probe, sampled every cycle):
  in order, they are exactly the steps' events ``pos XOR neg``, each step lowest index first,
  so their number equals the model's; with TSC-encoded input no weight word (hence no
  synapse) is read more than twice per frame;
* without gaps or back-pressure, a step with E events takes exactly max(1, E) cycles.

Environment: ``TSC_MANIFEST`` (path), ``TSC_SEED`` (stimulus seed), ``TSC_SCALE`` (1 = the
regular amount of stimulus).
"""

import json

import cocotb
import numpy as np

from common.payload import pack, unpack
from sim.tsc import FramedTSCLayer, TSCLayer, step_events, tsc_encode
from streams import TB, compare, env_int, env_str


class TSCBench:
    """Manifest, model and payload packing of one TSC core."""

    def __init__(self, dut):
        with open(env_str("TSC_MANIFEST")) as f:
            self.manifest = json.load(f)
        man = self.manifest
        assert man["core"] == "tsc", man["core"]
        self.M, self.L = man["inputs"], man["neurons"]
        self.mode = man.get("mode", "stream")
        self.N = man["steps"]
        self.in_layout = man["ports"]["i"]["payload"]
        self.out_layout = man["ports"]["o"]["payload"]
        self.seed = env_int("TSC_SEED", 1)
        self.scale = env_int("TSC_SCALE", 1)
        self.rng = np.random.default_rng(self.seed)
        self.tb = TB(dut, seed=self.seed)
        self.dut = dut
        self.reads = []         # (cycle, address) of every weight read

    def layer(self):
        man = self.manifest
        widths = dict(current_width=man["widths"]["current"],
                      membrane_width=man["widths"]["membrane"])
        if self.mode == "framed":
            return FramedTSCLayer(man["weights"], man["threshold"], self.N, **widths)
        return TSCLayer(man["weights"], man["threshold"], **widths)

    def pack(self, pos, neg, first):
        """Input payload {pos, neg, first} by the manifest's layout."""
        return pack(self.in_layout, {"pos": bits_int(pos), "neg": bits_int(neg),
                                     "first": int(bool(first))})

    def unpack(self, value):
        fields = unpack(self.out_layout, value)
        return " ".join(f"{k}={[(fields[k] >> b) & 1 for b in range(self.L)]}"
                        for k in ("pos", "neg"))

    def expected(self, pos, neg, first):
        """Model outputs (packed by the output layout) of a (T, M) stream, fresh state."""
        layer = self.layer()
        out = []
        for t in range(pos.shape[0]):
            p, n = layer.step(pos[t], neg[t], bool(first[t]))
            out.append(pack(self.out_layout, {"pos": bits_int(p), "neg": bits_int(n)}))
        return out, layer.reads

    def probe(self, tb):
        if int(self.dut.weight_read.value):
            self.reads.append((tb.cycles, int(self.dut.weight_addr.value)))

    async def run(self, pos, neg, first, p_valid, p_ready, what):
        """Send a stream, compare outputs and reads; return accept and emit cycles."""
        payloads = [self.pack(pos[t], neg[t], first[t]) for t in range(pos.shape[0])]
        want, model_reads = self.expected(pos, neg, first)
        self.reads = []
        got, accepts, emits = await self.tb.run(payloads, p_valid=p_valid, p_ready=p_ready,
                                                on_cycle=self.probe)
        compare(got, want, decode=self.unpack, what=f"{what} output")
        per_step = split_reads([addr for _, addr in self.reads], pos, neg, what)
        assert len(self.reads) == model_reads, (len(self.reads), model_reads)
        return per_step, accepts, emits


def bits_int(bits):
    """A boolean vector as an int, element k at bit k."""
    return sum(1 << int(k) for k in np.flatnonzero(bits))


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


def tsc_frames(rng, M, frames, lengths=(2, 32), signed=True):
    """Concatenated TSC-encoded frames of random values; returns pos, neg, first, frame ids.
    ``lengths``: the range of frame lengths, or one length."""
    if isinstance(lengths, int):
        lengths = (lengths, lengths)
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
async def tsc_encoded_frames(dut):
    """Multi-frame TSC-encoded input under gaps and stalls: bit-exact, <= 2 reads/synapse."""
    bench = TSCBench(dut)
    await bench.tb.reset()
    # a framed core answers a frame in the next one: frames of its N steps, and one more
    # (silent) frame that flushes the last answer out
    framed = bench.mode == "framed"
    spikes = 0
    for p_valid, p_ready in ((1.0, 1.0), (0.5, 0.5), (0.9, 0.3), (0.3, 0.9)):
        frames = 4 * bench.scale + framed
        pos, neg, first, ids = tsc_frames(bench.rng, bench.M, frames,
                                          lengths=bench.N if framed else (2, 32),
                                          signed=bench.rng.random() < 0.7)
        if framed:
            pos[ids == frames - 1] = neg[ids == frames - 1] = False
        per_step, _, _ = await bench.run(pos, neg, first, p_valid, p_ready,
                                         f"tsc p_valid={p_valid} p_ready={p_ready}")
        worst = reads_per_synapse(per_step, ids, bench.M)
        assert worst <= 2, f"a weight word was read {worst} times in one frame (at most 2)"
        spikes += sum(bin(v).count("1") for v in bench.expected(pos, neg, first)[0])
    assert spikes > 0, "the stimulus made no neuron spike: the comparison would be vacuous"
    dut._log.info("TSC-encoded frames (%s mode): %d output spikes checked", bench.mode, spikes)


@cocotb.test()
async def random_sparse_and_dense(dut):
    """Random (not TSC-shaped) spikes, sparse to dense, random frame starts."""
    bench = TSCBench(dut)
    await bench.tb.reset()
    settings = [(0.02, 0.1, 1.0, 1.0), (0.02, 0.05, 0.4, 0.6), (0.3, 0.1, 0.8, 0.4),
                (0.9, 0.2, 0.7, 0.7), (0.5, 0.0, 1.0, 0.5)]
    for density, p_first, p_valid, p_ready in settings:
        T = int(60 * bench.scale)
        pos, neg, first = random_stream(bench.rng, T, bench.M, density, p_first)
        first[0] = bench.rng.random() < 0.5      # sometimes continue the previous frame
        # the model starts from the state the core has after the previous run: replay it
        await bench.tb.reset()
        await bench.run(pos, neg, first, p_valid, p_ready,
                        f"random density={density} p_valid={p_valid} p_ready={p_ready}")


@cocotb.test()
async def cycles_per_step(dut):
    """No gaps, no back-pressure: each step takes exactly max(1, E) cycles."""
    bench = TSCBench(dut)
    await bench.tb.reset()
    pos, neg, first, _ = tsc_frames(bench.rng, bench.M, 3, lengths=(16, 16))
    rpos, rneg, rfirst = random_stream(bench.rng, 40, bench.M, 0.2, 0.1)
    pos, neg = np.concatenate([pos, rpos]), np.concatenate([neg, rneg])
    first = np.concatenate([first, rfirst])
    _, accepts, emits = await bench.run(pos, neg, first, 1.0, 1.0, "cycles")
    events = step_events(pos, neg)
    period = np.diff(accepts)
    want = np.maximum(1, events[:-1])
    bad = np.flatnonzero(period != want)
    assert bad.size == 0, (f"step {int(bad[0])}: {int(period[bad[0]])} cycles for "
                           f"{int(events[bad[0]])} events")
    latency = np.array(emits) - np.array(accepts)
    want_latency = np.maximum(1, events) + 8
    bad = np.flatnonzero(latency != want_latency)
    assert bad.size == 0, (f"step {int(bad[0])}: latency {int(latency[bad[0]])}, "
                           f"want {int(want_latency[bad[0]])}")
    n = 48   # the three TSC frames
    dut._log.info("TSC frames: %d steps, %d events, %d cycles (%.3f cycles/step)", n,
                  int(events[:n].sum()), int(accepts[n] - accepts[0]),
                  (accepts[n] - accepts[0]) / n)
