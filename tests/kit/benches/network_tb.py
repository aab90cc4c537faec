"""cocotb bench for generated networks: every image's class and logits against the integer
network (:mod:`net.netfile`), under input gaps and output back-pressure.

The bench reads only the manifest (``NET_MANIFEST``: port signals and payload layouts, packed and
unpacked with :mod:`common.payload`) and a cases file (``NET_CASES``, written by the pytest
side from the golden model): ``inputs`` (lists of codes, one list per image) and ``expected``
(``{class, logits}`` per image), split into named sets (``digits``, ``random``).

A network takes hundreds to thousands of clocks per image, with one output beat per image, so
the stream agents here sleep between handshakes instead of waking every clock: the source
offers a beat, then waits for ``ready`` to rise (or for the clock edge that takes it); the sink
holds ``ready`` low or high for random stretches and wakes only when ``valid`` rises or the
stretch ends. The clock is made in HDL by a wrapper (``clk`` toggles every 5 ns, rising edges at
5 + 10 k ns; see ``tests/gen/test_network_cocotb.py``): the simulator runs at full speed while
the bench sleeps. The handshake rules are those of ``amaranth.lib.stream`` (a beat offered stays
offered, unchanged, until taken), sampled in the ReadOnly phase; a transfer is counted at the
clock edge that follows. Tests:

* ``full_rate``: the digits images back to back, ``o.ready`` high: the measured cycles per image
  (output to output) and the latency of an image sent alone, written to ``NET_RESULTS``;
* ``stalls_digits`` / ``stalls_random``: the same with random input gaps and random output
  back-pressure (phases of different density), every image compared.

Environment: ``NET_MANIFEST``, ``NET_CASES``, ``NET_RESULTS`` (paths), ``NET_SEED``.
"""

import json
import random

import cocotb
from cocotb.triggers import First, ReadOnly, RisingEdge, Timer
from cocotb.utils import get_sim_time

from common.payload import pack, unpack
from streams import env_int, env_str

PERIOD_NS = 10


class Ports:
    """The network's streams, named as the manifest says."""

    def __init__(self, dut, manifest):
        self.dut = dut
        ports = manifest["ports"]
        self.i_layout = ports["i"]["payload"]
        self.o_layout = ports["o"]["payload"]
        si, so = ports["i"]["signals"], ports["o"]["signals"]
        self.i_valid = getattr(dut, si["valid"])
        self.i_ready = getattr(dut, si["ready"])
        self.i_payload = getattr(dut, si["payload"])
        self.o_valid = getattr(dut, so["valid"])
        self.o_ready = getattr(dut, so["ready"])
        self.o_payload = getattr(dut, so["payload"])


def cycle():
    """Rising edges so far (edge k at 5 + 10 k ns)."""
    return int(get_sim_time("ns")) // PERIOD_NS


def sleep(n):
    """A trigger for the middle of the n-th clock period from now (no wake-up per edge);
    follow it with ``RisingEdge(clk)`` to resume right after edge n."""
    return Timer(PERIOD_NS * n - PERIOD_NS // 2, "ns")


async def cycles(clk, n):
    """Resume right after the n-th rising edge from now (n >= 1)."""
    if n > 1:
        await sleep(n)
    await RisingEdge(clk)


async def start(dut, ports):
    """Reset for three clocks."""
    await RisingEdge(dut.clk)
    ports.i_valid.value = 0
    ports.i_payload.value = 0
    ports.o_ready.value = 0
    dut.rst.value = 1
    await cycles(dut.clk, 3)
    dut.rst.value = 0
    await RisingEdge(dut.clk)


def gap_lengths(rng, density):
    """Endless idle stretches before each beat: none, or 1..8 clocks, in phases of
    different density (mostly steady, sometimes bursty)."""
    while True:
        chance = rng.choice(density)
        for _ in range(rng.randint(8, 64)):
            yield rng.randint(1, 8) if rng.random() < chance else 0


async def source(ports, beats, rng=None, accepts=None):
    """Offer ``beats`` (packed ints) in order; with ``rng``, random idle stretches first."""
    clk = ports.dut.clk
    gaps = gap_lengths(rng, (0.1, 0.5, 0.9)) if rng is not None else None
    for beat in beats:
        if gaps is not None:
            idle = next(gaps)
            if idle:
                ports.i_valid.value = 0
                await cycles(clk, idle)
        ports.i_payload.value = beat
        ports.i_valid.value = 1
        while True:
            await ReadOnly()
            if ports.i_ready.value:
                break
            await RisingEdge(ports.i_ready)
        if accepts is not None:
            accepts.append(cycle())
        await RisingEdge(clk)              # the transfer
    ports.i_valid.value = 0


async def sink(ports, count, out, rng=None, emits=None):
    """Take ``count`` beats into ``out`` (unpacked); with ``rng``, ``ready`` low and high for
    random stretches."""
    clk = ports.dut.clk
    while len(out) < count:
        if rng is not None and rng.random() < rng.choice((0.3, 0.6, 0.9)):
            ports.o_ready.value = 0
            await cycles(clk, rng.randint(1, 40))
        ports.o_ready.value = 1
        window = rng.randint(1, 60) if rng is not None else 1 << 30
        end = cycle() + window
        while len(out) < count and cycle() < end:
            await ReadOnly()
            if ports.o_valid.value:
                out.append(unpack(ports.o_layout, int(ports.o_payload.value)))
                if emits is not None:
                    emits.append(cycle())
                await RisingEdge(clk)      # the transfer
                continue
            left = end - cycle()
            if left <= 1:
                await RisingEdge(clk)
                break
            fired = await First(RisingEdge(ports.o_valid), sleep(min(left, 1 << 30)))
            if not isinstance(fired, RisingEdge):
                await RisingEdge(clk)
    ports.o_ready.value = 0


def compare(got, want, what):
    """Every image's class and logits; names the first mismatches."""
    assert len(got) == len(want), f"{what}: {len(got)} outputs for {len(want)} images"
    bad = [n for n, (g, w) in enumerate(zip(got, want)) if g != w]
    if bad:
        n = bad[0]
        raise AssertionError(f"{what}: {len(bad)} of {len(want)} images differ; first image "
                             f"{n}: got {got[n]}, want {want[n]}")


def load(dut):
    """The manifest and the cases."""
    with open(env_str("NET_MANIFEST")) as f:
        manifest = json.load(f)
    with open(env_str("NET_CASES")) as f:
        cases = json.load(f)
    return manifest, cases


async def run_set(dut, manifest, case, seed, stalls):
    ports = Ports(dut, manifest)
    await start(dut, ports)
    beats = [pack(ports.i_layout, v) for image in case["inputs"] for v in image]
    got, accepts, emits = [], [], []
    rng_i = random.Random(2 * seed + 1) if stalls else None
    rng_o = random.Random(2 * seed + 2) if stalls else None
    src = cocotb.start_soon(source(ports, beats, rng_i, accepts))
    await sink(ports, len(case["expected"]), got, rng_o, emits)
    await src
    # nothing more may come out
    ports.o_ready.value = 1
    for _ in range(16):
        await ReadOnly()
        assert not ports.o_valid.value, "an output beat more than images sent"
        await RisingEdge(dut.clk)
    return got, accepts, emits


@cocotb.test()
async def full_rate(dut):
    manifest, cases = load(dut)
    case = cases["digits"]
    got, accepts, emits = await run_set(dut, manifest, case, 0, stalls=False)
    compare(got, case["expected"], "digits, full rate")
    n = len(emits)
    count = manifest["input"]["count"]
    results = {"images": n,
               "cycles_per_image": (emits[-1] - emits[0]) / (n - 1) if n > 1 else None,
               "max_interval": max(b - a for a, b in zip(emits, emits[1:])) if n > 1 else None,
               "total_cycles": emits[-1] - accepts[0]}
    # latency: images sent alone into an idle network, from the last input to the output
    lat = []
    for image, want in list(zip(case["inputs"], case["expected"]))[:8]:
        g, acc, em = await run_set(dut, manifest, {"inputs": [image], "expected": [want]},
                                   0, stalls=False)
        compare(g, [want], "alone")
        lat.append(em[0] - acc[count - 1])
    results["latency_max"] = max(lat)
    results["latency_mean"] = sum(lat) / len(lat)
    assert results["latency_max"] <= manifest["latency"], (results, manifest["latency"])
    if n > 1:
        assert results["max_interval"] <= manifest["ii"] + manifest["latency"], results
    with open(env_str("NET_RESULTS"), "w") as f:
        json.dump(results, f, indent=1)


@cocotb.test()
async def stalls_digits(dut):
    manifest, cases = load(dut)
    got, _, _ = await run_set(dut, manifest, cases["digits"], env_int("NET_SEED", 1), True)
    compare(got, cases["digits"]["expected"], "digits, gaps and back-pressure")


@cocotb.test()
async def stalls_random(dut):
    manifest, cases = load(dut)
    got, _, _ = await run_set(dut, manifest, cases["random"], env_int("NET_SEED", 1) + 7, True)
    compare(got, cases["random"]["expected"], "random inputs, gaps and back-pressure")
