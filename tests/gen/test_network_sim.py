"""The network hardware in the Amaranth simulator, layer by layer, against the integer network.

Small random networks (every op of the format, odd shapes, signed and unsigned inputs, Horner
and scaled planes, FS and AMOS neurons) with P values that do not divide the layer widths, run
under random input gaps and output back-pressure. Every vector an affine stage hands to its
neurons must equal the integer network's neuron inputs (``record=True``: ``x``), every neuron
vector its spikes and values, and every result the logits and class, image by image.
"""

import numpy as np
import pytest
from amaranth.sim import Simulator

from common.payload import unpack
from gen.core import layout_of
from gen.network.plan import make_plan
from gen.network.top import NetworkCore
from net.netfile import from_dict
from random_networks import random_cnn, random_mlp, random_unit, relu_unit


def beat(ctx, port, P, field=None):
    out = []
    for p in range(P):
        v = port.payload[f"lane{p}"]
        out.append(ctx.get(v if field is None else v[field]))
    return out


def simulate(network, P, x, seed=0, p_gap=0.3, p_stall=0.3, max_cycles=200_000, lanes=None):
    """Run images ``x`` through the hardware; return the results and, per layer, the vectors
    the engines emitted and the neuron vectors (spikes, values), in order."""
    plan = make_plan(network, P, lanes)
    dut = NetworkCore(plan)
    sim = Simulator(dut)
    sim.add_clock(1e-6)
    rng = np.random.default_rng(seed)
    out_layout = layout_of(dut.o.payload.shape())
    results = []
    emitted = [[] for _ in plan.affine]
    neurons = [[] for _ in plan.neurons]
    codes = [int(v) for row in x for v in row]

    async def bench(ctx):
        sent = 0
        for _ in range(max_cycles):
            offer = sent < len(codes) and rng.random() >= p_gap
            ctx.set(dut.i.valid, offer)
            if offer:
                ctx.set(dut.i.payload, codes[sent])
            ready = rng.random() >= p_stall
            ctx.set(dut.o.ready, ready)
            if offer and ctx.get(dut.i.ready):
                sent += 1
            if ready and ctx.get(dut.o.valid):
                results.append(unpack(out_layout, ctx.get(dut.o.payload.as_value())))
            for n, (aff, stage) in enumerate(zip(plan.affine, dut.stages)):
                if ctx.get(stage.o.valid) and ctx.get(stage.o.ready):
                    emitted[n].append(beat(ctx, stage.o, aff.L))
            for n, (npl, core) in enumerate(zip(plan.neurons, dut.neuron_cores)):
                if ctx.get(core.o.valid) and ctx.get(core.o.ready):
                    neurons[n].append((beat(ctx, core.o, npl.P, "spikes"),
                                       beat(ctx, core.o, npl.P, "value")))
            if len(results) == len(x):
                return
            await ctx.tick()
        raise AssertionError(f"timed out: {sent} codes sent, {len(results)} results")

    sim.add_testbench(bench)
    sim.run()
    return plan, results, emitted, neurons


def by_neuron(aff, vectors, n_images):
    """Emitted vectors (emission order: pass g, position, chunk c; lane l is channel
    g P + c L + l) as (images, *out_shape)."""
    P, G, L, C = aff.P, aff.G, aff.L, aff.chunks
    positions = aff.out_pos.count
    v = np.array(vectors, dtype=np.int64).reshape(n_images, G, positions, C * L)[..., :P]
    v = v.transpose(0, 1, 3, 2).reshape(n_images, G * P, positions)[:, :aff.n_out]
    return v.reshape(n_images, *aff.layer.out_shape)


def check(net_dict, P, n_images=3, seed=0, lanes=None):
    network = from_dict(net_dict)
    rng = np.random.default_rng(seed)
    lo, hi = network.input_range
    x = rng.integers(lo, hi + 1, (n_images, network.input_count))
    x[0] = hi
    want = network.forward(x, record=True)
    # a test that can fail: every neuron layer has spikes to get wrong
    assert all(rec["mask"].any() for rec in want.records)
    plan, results, emitted, neurons = simulate(network, P, x, seed=seed, lanes=lanes)
    for n, aff in enumerate(plan.affine):
        got = by_neuron(aff, emitted[n], n_images)
        ref = want.records[n]["x"] if not aff.last else want.logits
        assert np.array_equal(got.reshape(ref.shape), ref), f"layer {n}: neuron inputs"
        if aff.last:
            break
        spikes = by_neuron(aff, [s for s, _ in neurons[n]], n_images)
        values = by_neuron(aff, [v for _, v in neurons[n]], n_images)
        assert np.array_equal(spikes, want.records[n]["mask"]), f"layer {n}: spikes"
        assert np.array_equal(values, want.records[n]["value"]), f"layer {n}: values"
    assert [r["class"] for r in results] == want.predictions.tolist()
    assert [r["logits"] for r in results] == want.logits.tolist()
    return want


RNG = np.random.default_rng


@pytest.mark.parametrize("P, lanes", [(1, None), (4, None), ((5, 4, 3), 2)])
def test_mlp_fs_relu_horner(P, lanes):
    # widths 7, 6, 5, 3: P = 4 leaves a ragged last group in every layer; P = 5, 4, 3 with 2
    # neuron lanes a ragged last chunk
    net = random_mlp(RNG(1), relu_unit("fs", 4), [7, 6, 5, 3], in_range=(0, 13))
    check(net, P, lanes=lanes)


def test_mlp_amos_scaled_signed():
    rng = RNG(2)
    net = random_mlp(rng, random_unit("amos", 4, 6, rng), [5, 7, 3], in_range=(-8, 7))
    check(net, 3)


def test_mlp_fs_scaled():
    rng = RNG(3)
    net = random_mlp(rng, random_unit("fs", 5, 8, rng), [6, 5, 4])
    check(net, 2)


def test_padding_lanes_stay_silent():
    """A unit that spikes at x = 0 (T(1) < 0) and ragged groups and chunks: the lanes past the
    last channel compute x = 0 and spike, and must not become events."""
    rng = RNG(6)
    unit = random_unit("fs", 4, 8, rng)
    unit["T"][0] = -3
    net = random_mlp(rng, unit, [5, 7, 3])
    check(net, 3, lanes=2)


def test_cnn_fs_relu_pool_flatten():
    # unflatten -> conv (padding 1) -> fs -> avgpool 2 -> conv (no padding) -> fs -> flatten
    # -> linear, with 3 and 4 channels at P = 3, neurons 2 lanes at a time
    net = random_cnn(RNG(4), relu_unit("fs", 3), in_shape=(2, 6, 6), in_range=(0, 7),
                     unflatten_input=True)
    check(net, 3, n_images=2, lanes=2)


def test_cnn_amos_relu_p1():
    net = random_cnn(RNG(5), relu_unit("amos", 3), in_shape=(1, 4, 4), channels=(2, 3),
                     kernels=(3, 3), pads=(1, 1), pool=(2, 1), classes=3, in_range=(-4, 3))
    check(net, 1, n_images=2)
