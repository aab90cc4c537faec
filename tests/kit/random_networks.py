"""Small random network files (format ``spikegen-snn`` version 1) for the generator's tests.

Every op the format has, odd shapes, signed and unsigned inputs, FS and AMOS units with the
analytic ReLU schedule (Horner planes) or random integer parameters (scaled planes). The shifts
are chosen from the value ranges so that the neurons see inputs around their working range.
"""

import numpy as np

from net.netfile import from_dict, trace

__all__ = ["relu_unit", "random_unit", "if_unit", "random_mlp", "random_cnn", "network"]


def relu_unit(coding, K):
    w = [1 << (K - 1 - q) for q in range(K)]
    unit = {"coding": coding, "K": K, "T": w, "d": w, "Q": None, "frac_in": K, "frac_out": K,
            "source": "analytic"}
    if coding == "fs":
        unit["h"] = w
    else:
        unit["c"] = [1] * K
        unit["h"] = [[w[j] if j < i else 0 for j in range(K)] for i in range(K)]
    return unit


def if_unit(K, theta=None):
    """Rate-coded IF neurons: N = 2^K - 1 steps, threshold theta (default 2^K)."""
    return {"coding": "if", "K": K, "theta": (1 << K) if theta is None else theta,
            "frac_in": K, "frac_out": 0, "source": "analytic"}


def random_unit(coding, K, Q, rng):
    """Random integer parameters (Q-bit codes, input fraction Q-4): a scaled-plane unit."""
    lo, hi = -(1 << (Q - 1)), (1 << (Q - 1)) - 1
    T = [int(v) for v in rng.integers(lo // 2, hi, K)]
    d = [int(v) for v in rng.integers(lo, hi + 1, K)]
    unit = {"coding": coding, "K": K, "T": T, "d": d, "Q": Q, "frac_in": Q - 4,
            "frac_out": Q - 4, "source": "random"}
    if coding == "fs":
        unit["h"] = [int(v) for v in rng.integers(1, hi + 1, K)]
    else:
        unit["c"] = [int(v) for v in rng.integers(1, hi + 1, K)]
        unit["h"] = [[int(rng.integers(0, hi + 1)) if j < i else 0 for j in range(K)]
                     for i in range(K)]
    return unit


def _affine(kind, W, b, padding=0):
    return {"op": kind, "W": W.tolist(), "b": [int(v) for v in b], "padding": padding}


def _neuron(net, unit, rng):
    """A neuron layer whose shift brings the typical accumulator (over random inputs) to the
    neurons' working range, so that some neurons spike and some do not."""
    trial = dict(net, layers=list(net["layers"]) + [{"op": unit["coding"], "shift": 0}],
                 classes=1)
    shape = trace(trial)[-1].out_shape
    if len(shape) > 1:
        trial["layers"].append({"op": "flatten"})
    n = int(np.prod(shape))
    trial["layers"].append({"op": "linear", "W": [[0] * n], "b": [0]})
    checked = from_dict(trial)
    lo, hi = checked.input_range
    x = rng.integers(lo, hi + 1, (16, checked.input_count))
    acc = checked.forward(x, record=True).records[-1]["x"]
    typical = int(np.percentile(np.abs(acc), 80)) + 1
    if unit["coding"] == "if":           # currents of the threshold's size: some fire often
        target = unit["theta"].bit_length()
    else:
        target = unit["K"] - 1 if unit["source"] == "analytic" else unit["Q"] - 3
    return {"op": unit["coding"], "shift": typical.bit_length() - target}


def network(unit, in_shape, in_range, layers, classes, weight_bits=8):
    return {"format": "spikegen-snn", "version": 1, "activation": "relu"
            if unit["source"] == "analytic" else "silu", "unit": unit,
            "weight_bits": weight_bits,
            "input": {"shape": list(in_shape), "signed": in_range[0] < 0, "frac": 0,
                      "range": list(in_range)},
            "classes": classes, "layers": layers}


def random_mlp(rng, unit, sizes, in_range=(0, 16), weight_bits=8, sparsity=0.3):
    """input [sizes[0]] -> linear -> neurons -> ... -> linear [sizes[-1]]."""
    wl, wh = -(1 << (weight_bits - 1)), (1 << (weight_bits - 1)) - 1
    net = network(unit, (sizes[0],), in_range, [], sizes[-1], weight_bits)
    for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        W = rng.integers(wl, wh + 1, (n_out, n_in))
        W[rng.random(W.shape) < sparsity] = 0
        b = rng.integers(-200, 200, n_out)
        net["layers"].append(_affine("linear", W, b))
        if k < len(sizes) - 2:
            net["layers"].append(_neuron(net, unit, rng))
    from_dict(net)
    return net


def random_cnn(rng, unit, in_shape=(2, 6, 6), channels=(3, 4), kernels=(3, 2), pads=(1, 0),
               pool=(2, 1), classes=5, in_range=(-8, 7), weight_bits=6, unflatten_input=False):
    """[unflatten ->] conv -> neurons [-> pool] -> conv -> neurons [-> pool] -> flatten ->
    linear; with ``unflatten_input`` the input is flat and the first layer unflattens it."""
    wl, wh = -(1 << (weight_bits - 1)), (1 << (weight_bits - 1)) - 1
    layers = []
    flat = (int(np.prod(in_shape)),)
    net = network(unit, flat if unflatten_input else in_shape, in_range, layers, classes,
                  weight_bits)
    if unflatten_input:
        layers.append({"op": "unflatten", "shape": list(in_shape)})
    c, h, w = in_shape
    for co, k, p, pk in zip(channels, kernels, pads, pool):
        W = rng.integers(wl, wh + 1, (co, c, k, k))
        b = rng.integers(-50, 50, co)
        layers.append(_affine("conv", W, b, p))
        layers.append(_neuron(net, unit, rng))
        h, w, c = h + 2 * p - k + 1, w + 2 * p - k + 1, co
        if pk > 1:
            layers.append({"op": "avgpool", "k": pk})
            h, w = h // pk, w // pk
    layers.append({"op": "flatten"})
    W = rng.integers(wl, wh + 1, (classes, c * h * w))
    layers.append(_affine("linear", W, rng.integers(-50, 50, classes)))
    from_dict(net)
    return net
