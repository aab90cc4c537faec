"""The TSC core (gen.tsc.core) in the Amaranth simulator, against sim.tsc.TSCLayer (stream
mode) and sim.tsc.FramedTSCLayer (framed mode).

Fast checks next to the cocotb regression (test_tsc_rtl.py): small configurations, each under
every handshake pattern as its own test (the Amaranth-simulator stream kit), every output beat,
every weight read, the stream rules and the cycle count per step. A corrupted core must fail
the same checks.
"""

import numpy as np
import pytest
from amaranth import Module
from amaranth.sim import Simulator

from amaranth_streams import PATTERNS, check_beats, run_stream
from gen.tsc import LowestSetBit, TSCConfig, TSCCore, build_ir
from sim.tsc import FramedTSCLayer, TSCLayer, step_events, tsc_encode


def model_layer(ir):
    """The golden model of a core, with its register widths."""
    widths = dict(current_width=ir.widths["current"], membrane_width=ir.widths["membrane"])
    if ir.mode == "framed":
        return FramedTSCLayer(ir.weights, ir.threshold, ir.steps, **widths)
    return TSCLayer(ir.weights, ir.threshold, **widths)


def _mask(bits):
    return sum(1 << int(m) for m in np.flatnonzero(bits))


def model_outputs(ir, pos, neg, first):
    """Output beats ``{pos, neg}`` of the model (registers as wide as the core's)."""
    layer = model_layer(ir)
    out = []
    for t in range(pos.shape[0]):
        p, n = layer.step(pos[t], neg[t], bool(first[t]))
        out.append({"pos": _mask(p), "neg": _mask(n)})
    return out


def check(ir, core, pos, neg, first, pattern="no_stalls", seed=0):
    """Outputs equal the model's and the weight reads, in order, are the steps' events (each
    step's lowest index first); returns the accept and emit cycles."""
    reads = []

    def probe(ctx, cycle):
        if ctx.get(core.weight_read):
            reads.append(ctx.get(core.weight_addr))

    beats = [{"pos": _mask(pos[t]), "neg": _mask(neg[t]), "first": int(first[t])}
             for t in range(pos.shape[0])]
    run = run_stream(core, beats, pattern=pattern, seed=seed, probes=[probe],
                     patience=25 * (ir.inputs + 10) + 200, quiet=12)
    check_beats(run.outputs, model_outputs(ir, pos, neg, first), beats)
    start = 0
    for t in range(pos.shape[0]):
        events = [int(m) for m in np.flatnonzero(pos[t] ^ neg[t])]
        got = reads[start:start + len(events)]
        assert got == events, f"step {t}: reads {got}, events {events}"
        start += len(events)
    assert start == len(reads), f"{len(reads) - start} reads more than events"
    return run.accepts, run.emits


def stimulus(rng, M, T, density, p_first):
    pos = rng.random((T, M)) < density
    neg = (rng.random((T, M)) < density) & (~pos | (rng.random((T, M)) < 0.2))
    first = rng.random(T) < p_first
    return pos, neg, first


def tsc_stream(rng, M, frames, N):
    pos, neg, first = [], [], []
    for _ in range(frames):
        p, n = tsc_encode(rng.uniform(-1, 1, M), N)
        f = np.zeros(N, dtype=bool)
        f[0] = True
        pos.append(p), neg.append(n), first.append(f)
    return np.concatenate(pos), np.concatenate(neg), np.concatenate(first)


# ----------------------------------------------------------------------------- the encoder


@pytest.mark.parametrize("width", [1, 2, 3, 5, 7])
def test_lowest_set_bit_exhaustive(width):
    dut = LowestSetBit(width)

    async def bench(ctx):
        for mask in range(1 << width):
            ctx.set(dut.mask, mask)
            await ctx.delay(1e-9)
            low = mask & -mask
            assert ctx.get(dut.onehot) == low
            assert ctx.get(dut.index) == (low.bit_length() - 1 if mask else 0)
            assert ctx.get(dut.rest) == mask ^ low
            assert ctx.get(dut.any) == (mask != 0)
            assert ctx.get(dut.last) == ((mask ^ low) == 0)

    sim = Simulator(dut)
    sim.add_testbench(bench)
    sim.run()


# -------------------------------------------------------------------------------- the core


CONFIGS = {
    "m1_l1": TSCConfig(inputs=1, neurons=1, seed=2, threshold=40),
    "m8_l4": TSCConfig(inputs=8, neurons=4, seed=2, threshold=[60, 150, 20, 300]),
    "m13_l2_w3": TSCConfig(inputs=13, neurons=2, wbits=3, seed=3),
    # tiny weights, 2-step frames: registers narrower than one 8-bit weight, and they wrap
    "m3_l2_tiny": TSCConfig(inputs=3, neurons=2, weights=[[1, -1, 0], [0, 1, 1]], steps=2,
                            threshold=1),
    # framed mode: frames of N = 9 steps (the TSC-encoded part) and random frame lengths
    "m8_l4_framed": TSCConfig(inputs=8, neurons=4, seed=2, threshold=[30, 90, 12, 200],
                              steps=9, mode="framed"),
    "m13_l3_framed_w3": TSCConfig(inputs=13, neurons=3, wbits=3, seed=4, steps=9,
                                  threshold=[1, 5, 9], mode="framed"),
    "m1_l1_framed_n1": TSCConfig(inputs=1, neurons=1, seed=1, steps=1, threshold=3,
                                 mode="framed"),
}


@pytest.mark.parametrize("pattern", PATTERNS)
@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_core_matches_model(name, pattern):
    ir = build_ir(CONFIGS[name])
    rng = np.random.default_rng(len(name))
    M = ir.inputs
    parts = [tsc_stream(rng, M, 3, 9), stimulus(rng, M, 40, 0.1, 0.1),
             stimulus(rng, M, 40, 0.8, 0.15)]
    pos, neg, first = (np.concatenate(x) for x in zip(*parts))
    out = model_outputs(ir, pos, neg, first)
    assert any(o["pos"] for o in out) and any(o["neg"] for o in out)    # not vacuous
    check(ir, TSCCore.from_ir(ir), pos, neg, first, pattern, seed=PATTERNS.index(pattern))


@pytest.mark.parametrize("mode", ["stream", "framed"])
def test_core_wraps_like_the_model(mode):
    # registers sized for 3-step frames, driven with 60-step frames: I and V wrap
    ir = build_ir(TSCConfig(inputs=4, neurons=3, wbits=4, steps=3, seed=9, threshold=[2, 5, 9],
                            mode=mode))
    rng = np.random.default_rng(5)
    pos, neg, first = stimulus(rng, 4, 120, 0.4, 0.0)
    first[0] = first[60] = first[63] = True
    wrapped = model_outputs(ir, pos, neg, first)
    plain = (FramedTSCLayer(ir.weights, ir.threshold, ir.steps) if mode == "framed"
             else TSCLayer(ir.weights, ir.threshold))
    unbounded = [plain.step(pos[t], neg[t], bool(first[t])) for t in range(120)]
    unbounded = [{"pos": _mask(p), "neg": _mask(n)} for p, n in unbounded]
    assert wrapped != unbounded            # the stimulus does overflow the registers
    check(ir, TSCCore.from_ir(ir), pos, neg, first, "both")


@pytest.mark.parametrize("name", ["m8_l4", "m8_l4_framed"])
def test_cycles_per_step_and_latency(name):
    ir = build_ir(CONFIGS[name])
    rng = np.random.default_rng(11)
    parts = [tsc_stream(rng, 8, 2, 12), stimulus(rng, 8, 30, 0.3, 0.1)]
    pos, neg, first = (np.concatenate(x) for x in zip(*parts))
    accepts, emits = check(ir, TSCCore.from_ir(ir), pos, neg, first)
    events = step_events(pos, neg)
    assert list(np.diff(accepts)) == list(np.maximum(1, events[:-1]))
    assert list(np.array(emits) - np.array(accepts)) == list(np.maximum(1, events) + 8)


class CorruptWeight(TSCCore):
    """A core whose memory holds one wrong weight (the sign bit of w[0][0] flipped)."""

    def memory_words(self):
        words = super().memory_words()
        words[0] ^= 1 << (self.wbits - 1)
        return words


class HighestFirst(LowestSetBit):
    """A priority encoder that picks the highest set bit: same sums, different reads."""

    def elaborate(self, platform):
        m = Module()
        m.submodules.low = low = LowestSetBit(self.width)
        m.d.comb += low.mask.eq(self.mask[::-1])
        m.d.comb += [
            self.onehot.eq(low.onehot[::-1]),
            self.rest.eq(low.rest[::-1]),
            self.any.eq(low.any),
            self.last.eq(low.last),
            self.index.eq(self.width - 1 - low.index),
        ]
        return m


class ReadsHighestFirst(TSCCore):
    scan_encoder = HighestFirst


def test_checks_catch_broken_cores():
    ir = build_ir(CONFIGS["m8_l4"])
    rng = np.random.default_rng(1)
    pos, neg, first = tsc_stream(rng, 8, 2, 10)
    pos[:, 0], neg[:, 0] = True, False     # input 0 (whose weight gets corrupted) always on
    # a wrong weight changes the outputs
    with pytest.raises(AssertionError, match="beats differ"):
        check(ir, CorruptWeight.from_ir(ir), pos, neg, first)
    # reading the events in another order gives the right outputs but not the right reads
    with pytest.raises(AssertionError, match=r"step 0: reads \[7, "):
        check(ir, ReadsHighestFirst.from_ir(ir), pos, neg, first)


# ---------------------------------------------------------------------------- parameter checks


@pytest.mark.parametrize("kwargs,match", [
    ({"weights": [], "threshold": []}, "non-empty"),
    ({"weights": [[1, 2], [3]], "threshold": [1, 1]}, "non-empty L x M"),
    ({"weights": [[1, 200]], "threshold": [1]}, r"weight \[0\]\[1\] = 200"),
    ({"weights": [[1, 2]], "threshold": [1, 2]}, "2 thresholds for 1 neurons"),
    ({"weights": [[1, 2]], "threshold": [0]}, "threshold 0"),
    ({"weights": [[1, 2]], "threshold": [1], "current_width": 30, "membrane_width": 20},
     "exceeds"),
    ({"weights": [[1, 2]], "threshold": [1], "wbits": 1}, "wbits"),
])
def test_core_parameter_checks(kwargs, match):
    args = {"wbits": 8, "current_width": 12, "membrane_width": 20}
    args.update(kwargs)
    weights, threshold = args.pop("weights"), args.pop("threshold")
    with pytest.raises(ValueError, match=match):
        TSCCore(weights, threshold, **args)


@pytest.mark.parametrize("width", [0, -1, 2.0, True])
def test_lowest_set_bit_checks(width):
    with pytest.raises(ValueError, match="width must be a positive integer"):
        LowestSetBit(width)


@pytest.mark.parametrize("width", [1, 3, 4, 6, 9])
def test_count_to_three_exhaustive(width):
    from amaranth.lib import wiring
    from amaranth.lib.wiring import In, Out

    from gen.tsc.scan import count_to_three

    class Counter(wiring.Component):
        bits: In(width)
        count: Out(2)

        def elaborate(self, platform):
            m = Module()
            m.d.comb += self.count.eq(count_to_three(m, self.bits, "c"))
            return m

    dut = Counter()

    async def bench(ctx):
        for value in range(1 << width):
            ctx.set(dut.bits, value)
            await ctx.delay(1e-9)
            assert ctx.get(dut.count) == min(bin(value).count("1"), 3), value

    sim = Simulator(dut)
    sim.add_testbench(bench)
    sim.run()
