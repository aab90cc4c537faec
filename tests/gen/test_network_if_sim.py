"""The IF network hardware in the Amaranth simulator, step by step, against the integer
network.

Small random IF MLPs and a CNN (N = 2^K - 1 time steps, K small) with P values that do not
divide the layer widths and fewer neuron lanes than accumulators, under random input gaps and
output back-pressure. The first engine's vectors must equal the constant currents of the first IF
layer, every later engine's vectors the currents of each step (``record=True``: ``x``), every
IF vector the spikes of its step, the read-out's results the logits summed over the steps and
the class.
"""

import numpy as np
import pytest

from net.netfile import from_dict
from random_networks import if_unit, random_cnn, random_mlp
from tests.gen.test_network_sim import by_neuron, simulate

RNG = np.random.default_rng


def step_logits(network, want):
    """The last layer's sums of every step, (images, N, classes), from the recorded spikes of
    the last IF layer (through pooling and flattening)."""
    s = want.records[-1]["spikes"].astype(np.int64)
    n, N = s.shape[:2]
    x = s.reshape(n * N, *s.shape[2:])
    tail = network.layers[network.layers.index(network.neuron_layers[-1]) + 1:]
    for layer in tail:
        if layer.op == "avgpool":
            c, h, w = x.shape[1:]
            k = layer.k
            x = x.reshape(n * N, c, h // k, k, w // k, k).sum(axis=(3, 5))
        elif layer.op == "flatten":
            x = x.reshape(n * N, -1)
        else:
            assert layer.op == "linear", layer.op
            x = x @ layer.W.T + layer.b
    return x.reshape(n, N, -1)


def check_if(net_dict, P, n_images=3, seed=0, lanes=None, p_gap=0.3, p_stall=0.3):
    network = from_dict(net_dict)
    N = network.unit.steps
    rng = RNG(seed)
    lo, hi = network.input_range
    x = rng.integers(lo, hi + 1, (n_images, network.input_count))
    x[0] = hi
    want = network.forward(x, record=True)
    # a test that can fail: every IF layer spikes, and not in every step everywhere
    assert all(0 < rec["spikes"].mean() < 1 for rec in want.records)
    plan, results, emitted, neurons = simulate(network, P, x, seed=seed, lanes=lanes,
                                               p_gap=p_gap, p_stall=p_stall)
    for n, aff in enumerate(plan.affine):
        if n == 0:
            got = by_neuron(aff, emitted[n], n_images)
            ref = want.records[0]["x"][:, 0]              # constant over the steps
        else:
            got = by_neuron(aff, emitted[n], n_images * N)
            ref = want.records[n]["x"] if not aff.last else step_logits(network, want)
        assert np.array_equal(got.reshape(ref.shape), ref), f"layer {n}: vectors"
        if aff.last:
            break
        spikes = by_neuron(aff, [s for s, _ in neurons[n]], n_images * N)
        ref = want.records[n]["spikes"]
        assert np.array_equal(spikes.reshape(ref.shape), ref), f"layer {n}: spikes"
    assert [r["class"] for r in results] == want.predictions.tolist()
    assert [r["logits"] for r in results] == want.logits.tolist()
    return want


@pytest.mark.parametrize("P, lanes", [(1, None), (4, None), ((5, 4, 3), 2)])
def test_if_mlp(P, lanes):
    # widths 7, 6, 5, 3 with P = 4: ragged last groups; P = 5, 4, 3 with 2 lanes: ragged chunks
    net = random_mlp(RNG(1), if_unit(3), [7, 6, 5, 3], in_range=(0, 13))
    check_if(net, P, lanes=lanes)


def test_if_one_word_signed_input():
    """One neuron word per layer (V = 1: the next step of a word reads the membrane being
    written) and signed inputs; a threshold that is not a power of two."""
    net = random_mlp(RNG(9), if_unit(2, theta=5), [4, 3, 2, 4], in_range=(-8, 7))
    check_if(net, 4, n_images=4, seed=3)


def test_if_deeper_full_rate():
    """Three IF layers at full rate (no gaps, no back-pressure): the steps of consecutive
    images overlap in the pipeline."""
    net = random_mlp(RNG(9), if_unit(3), [6, 7, 5, 4, 3], in_range=(0, 15))
    check_if(net, 3, n_images=3, seed=5, p_gap=0.0, p_stall=0.0)


def test_if_cnn_pool_flatten():
    """The format's other ops under IF neurons: conv (padding 1) -> if -> avgpool 2 -> conv
    -> if -> flatten -> linear (net digits converts MLPs only; a file may hold any of them):
    each step's spikes pool into the next engine's events."""
    net = random_cnn(RNG(0), if_unit(2), in_shape=(2, 4, 4), in_range=(0, 7),
                     unflatten_input=True, channels=(3, 2), kernels=(3, 2), pads=(1, 0),
                     pool=(2, 1))
    check_if(net, 2, n_images=2, seed=0, lanes=None)
