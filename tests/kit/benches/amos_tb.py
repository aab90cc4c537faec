"""cocotb bench for AMOS cores: every output against the integer golden model (sim.amos).

Reads only the manifest the generator wrote (``AMOS_MANIFEST``): ports (payload layouts), c
(c2), T, h, d, latency, ii. Inputs: all 2^W values of x (or pairs x, y) when the input payload
has at most ``AMOS_EXHAUSTIVE_BITS`` bits (default 12), otherwise boundary values plus
``AMOS_RANDOM`` random ones. Tests: ``timing`` (latency and ii = 1 at full rate) and ``stream``
under each handshake pattern, which takes a quarter of the inputs (the four together cover all
of them) plus the boundaries.

Environment: ``AMOS_MANIFEST`` (path), ``AMOS_SEED``, ``AMOS_RANDOM``, ``AMOS_EXHAUSTIVE_BITS``.
"""

import itertools
import json
import random

import cocotb
import numpy as np

from sim.amos import amos_int
from streams import PATTERNS, CoreTB, check_beats, env_int, env_str, for_each_pattern


class AmosSpec:
    """An AMOS core as its manifest describes it, and its golden model."""

    def __init__(self, manifest):
        self.m = manifest
        layout = manifest["ports"]["i"]["payload"]
        # one input: the payload is x itself; two: a struct {x, y}
        self.names = [f["name"] for f in layout["fields"]] if "fields" in layout else None
        self.W = layout["fields"][0]["width"] if self.names else layout["width"]
        self.lo, self.hi = -(1 << (self.W - 1)), (1 << (self.W - 1)) - 1

    def payload(self, xy):
        return dict(zip(self.names, xy)) if self.names else xy[0]

    def boundaries(self):
        """The ends, zero, and where each gate's accumulator crosses zero with no inhibition
        (c_i x = T_i) and with all of it."""
        special = {self.lo, self.hi, 0, -1, 1}
        for i, (c, T) in enumerate(zip(self.m["c"], self.m["T"])):
            if c:
                for total in (T, T + sum(self.m["h"][i])):
                    special.update(x for x in (total // c - 1, total // c, total // c + 1)
                                   if self.lo <= x <= self.hi)
        special = sorted(special)
        if self.names:
            return [(x, y) for x in special[:24] for y in special[:24]]
        return [(x,) for x in special]

    def inputs(self, exhaustive_bits, n_random, rng):
        """All inputs, shuffled, when there are few enough; else ``n_random`` random ones."""
        if self.W * (len(self.names) if self.names else 1) <= exhaustive_bits:
            pairs = list(itertools.product(range(self.lo, self.hi + 1),
                                           repeat=len(self.names) if self.names else 1))
            rng.shuffle(pairs)
            return pairs
        return [tuple(rng.randint(self.lo, self.hi) for _ in (self.names or [0]))
                for _ in range(n_random)]

    def expected(self, pairs):
        """Output payloads ``{spikes, value}`` from :func:`sim.amos.amos_int`."""
        x = np.array([p[0] for p in pairs], dtype=np.int64)
        y = np.array([p[1] for p in pairs], dtype=np.int64) if self.names else None
        value, spikes = amos_int(x, self.m["c"], self.m["T"], self.m["h"], self.m["d"],
                                 y=y, c2=self.m.get("c2"))
        return [{"spikes": s, "value": v} for v, s in zip(value.tolist(), spikes.tolist())]


def _setup(dut, pattern="no_stalls", salt=0):
    with open(env_str("AMOS_MANIFEST")) as f:
        manifest = json.load(f)
    seed = env_int("AMOS_SEED", 1)
    return AmosSpec(manifest), CoreTB(dut, manifest, pattern, seed + salt), seed


async def _check(tb, spec, pairs):
    payloads = [spec.payload(p) for p in pairs]
    run = await tb.run(payloads)
    check_beats(run.outputs, spec.expected(pairs), payloads)
    return run


@cocotb.test()
async def timing(dut):
    """Full rate: one input per clock in, each out after exactly ``latency`` cycles."""
    spec, tb, seed = _setup(dut)
    await tb.reset()
    pairs = spec.boundaries()[:64]
    run = await _check(tb, spec, pairs)
    lat = {e - a for a, e in zip(run.accepts, run.emits)}
    assert lat == {spec.m["latency"]}, f"latency {sorted(lat)}, manifest says " \
                                       f"{spec.m['latency']}"
    gaps = {b - a for a, b in zip(run.accepts, run.accepts[1:])}
    assert gaps == {spec.m["ii"]}, f"accepted every {sorted(gaps)} cycles, ii is " \
                                   f"{spec.m['ii']}"


@cocotb.test()
@for_each_pattern
async def stream(dut, pattern):
    """Boundaries and this pattern's quarter of the inputs: nothing lost, duplicated,
    reordered or wrong."""
    salt = PATTERNS.index(pattern)
    spec, tb, seed = _setup(dut, pattern, salt)
    await tb.reset()
    everything = spec.inputs(env_int("AMOS_EXHAUSTIVE_BITS", 12),
                             env_int("AMOS_RANDOM", 2000), random.Random(seed))
    await _check(tb, spec, spec.boundaries() + everything[salt::len(PATTERNS)])
