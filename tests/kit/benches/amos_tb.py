"""cocotb bench for AMOS cores: every output against the integer golden model (sim.amos).

Reads only the manifest the generator wrote (``AMOS_MANIFEST``): widths, c (c2), T, h, d,
latency. Inputs: all 2^W (x, or x and y together) when the payload has at most
``AMOS_EXHAUSTIVE_BITS`` bits (default 12), otherwise the boundary values plus
``AMOS_RANDOM`` random ones. Phases: full rate (checks latency and ii = 1), then random gaps
and back-pressure of several densities.

Environment: ``AMOS_MANIFEST`` (path), ``AMOS_SEED``, ``AMOS_RANDOM``, ``AMOS_EXHAUSTIVE_BITS``.
"""

import json
import random

import cocotb
import numpy as np

from sim.amos import amos_int
from streams import TB, compare, env_int, env_str


class AmosTB:
    """Drives one AMOS core and checks it against :func:`sim.amos.amos_int`."""

    def __init__(self, dut, manifest, seed):
        self.m = manifest
        self.K = manifest["K"]
        self.W = manifest["input"]["width"]
        self.Wout = manifest["output"]["width"]
        self.two = "c2" in manifest
        self.rng = random.Random(seed)
        self.tb = TB(dut, seed=seed)

    # ---- payloads ---------------------------------------------------------------------------

    def pack_in(self, x, y=None):
        mask = (1 << self.W) - 1
        word = x & mask
        if self.two:
            word |= (y & mask) << self.W
        return word

    def pack_out(self, value, spikes):
        return int(spikes) | ((int(value) & ((1 << self.Wout) - 1)) << self.K)

    def decode(self, word):
        spikes = word & ((1 << self.K) - 1)
        value = word >> self.K
        if value >> (self.Wout - 1):
            value -= 1 << self.Wout
        return f"value={value} spikes={spikes:#x}"

    # ---- stimulus ---------------------------------------------------------------------------

    def inputs(self, exhaustive_bits, n_random):
        lo, hi = -(1 << (self.W - 1)), (1 << (self.W - 1)) - 1
        bits = self.W * (2 if self.two else 1)
        if bits <= exhaustive_bits:
            xs = list(range(lo, hi + 1))
            if self.two:
                pairs = [(x, y) for x in xs for y in xs]
            else:
                pairs = [(x, None) for x in xs]
            self.rng.shuffle(pairs)
            return pairs
        # boundaries: the ends, zero, and where each gate's accumulator crosses zero with no
        # inhibition (c_i x = T_i) and with all of it
        special = {lo, hi, 0, -1, 1}
        for i, (c, T) in enumerate(zip(self.m["c"], self.m["T"])):
            if c:
                for total in (T, T + sum(self.m["h"][i])):
                    for x in (total // c - 1, total // c, total // c + 1):
                        if lo <= x <= hi:
                            special.add(x)
        special = sorted(special)
        pairs = []
        if self.two:
            pairs += [(x, y) for x in special[:24] for y in special[:24]]
            pairs += [(self.rng.randint(lo, hi), self.rng.randint(lo, hi))
                      for _ in range(n_random)]
        else:
            pairs += [(x, None) for x in special]
            pairs += [(self.rng.randint(lo, hi), None) for _ in range(n_random)]
        return pairs

    def expected(self, pairs):
        x = np.array([p[0] for p in pairs], dtype=np.int64)
        y = np.array([p[1] for p in pairs], dtype=np.int64) if self.two else None
        value, spikes = amos_int(x, self.m["c"], self.m["T"], self.m["h"], self.m["d"],
                                 y=y, c2=self.m.get("c2"))
        return [self.pack_out(v, s) for v, s in zip(value.tolist(), spikes.tolist())]

    async def phase(self, pairs, p_valid, p_ready):
        words = [self.pack_in(x, y) for x, y in pairs]
        outputs, accepts, emits = await self.tb.run(words, p_valid=p_valid, p_ready=p_ready)
        compare(outputs, self.expected(pairs), decode=self.decode)
        return accepts, emits


@cocotb.test()
async def amos_core(dut):
    with open(env_str("AMOS_MANIFEST")) as f:
        manifest = json.load(f)
    bench = AmosTB(dut, manifest, env_int("AMOS_SEED", 1))
    await bench.tb.reset()
    pairs = bench.inputs(env_int("AMOS_EXHAUSTIVE_BITS", 12), env_int("AMOS_RANDOM", 2000))

    # full rate: one input per clock in, one out per clock after `latency` cycles
    accepts, emits = await bench.phase(pairs, 1.0, 1.0)
    lat = [e - a for a, e in zip(accepts, emits)]
    assert set(lat) == {manifest["latency"]}, f"latency {sorted(set(lat))}, manifest says " \
                                              f"{manifest['latency']}"
    gaps = {b - a for a, b in zip(accepts, accepts[1:])}
    assert gaps == {manifest["ii"]}, f"accepted every {sorted(gaps)} cycles, ii is " \
                                     f"{manifest['ii']}"

    # random gaps and back-pressure: nothing lost, duplicated or reordered
    sub = pairs if len(pairs) <= 1500 else bench.rng.sample(pairs, 1500)
    for p_valid, p_ready in ((0.5, 0.5), (0.9, 0.3), (0.3, 0.9), (1.0, 0.7)):
        await bench.phase(sub, p_valid, p_ready)
