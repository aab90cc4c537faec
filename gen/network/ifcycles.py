"""Cycle counts of an IF network's hardware (a model of the RTL, like :mod:`gen.network.cycles`).

The input writer and the first engine work once per image, as in the FS network. The first IF
layer takes the image's V0 current vectors into one half of its current memory (while it runs
the steps of the image before from the other), then runs N = 2^K - 1 steps; every step flows
through the later stages, each doing per step what an FS stage does per image:

* IF lanes: a clock per vector, V per step; the spike writer a clock to take each vector in and
  one per item written (at least one);
* a later engine (one spike plane, Horner): G passes of ``A`` (the sweep that loads the bias),
  one clock per spike event, the emission, plus its hand-overs;
* the summing read-out: one clock per class; after an image's last step, one more per class to
  find the first maximum.

The steps are pipelined through these stages, so a step costs the slowest of them at that step,
and an image the sum over its steps of that maximum plus ``V0 + 3 + C`` clocks (hand-over, the
read-out's search for the class)
(:func:`image_intervals`; the first engine, once per image, is slower only for very small N). The per-image figures of the stages (the manifest's ``stages`` and
``layers[].cycles``) are the sums over the steps; the worst case takes every neuron spiking at
every step.
"""

import numpy as np

from . import cycles

__all__ = ["is_if", "image_intervals", "image_latencies", "worst_stages", "worst_interval",
           "worst_latency"]

#: Clocks an image adds to the step pipeline besides V0: the hand-over from one image's steps to
#: the next one's, and the read-out's output beat.
IMAGE_OVERHEAD = 3
#: Clocks a step adds to a later engine: its hand-overs (buffer flip, issue, execute, output).
#: The FS model's extra clock for the engine's read stage is left out: with it the model
#: overestimates the RTL by 3 to 4 % (the example: 13,856 modelled, 13,414 measured), without it
#: underestimates by 2 to 4 % (12,925), the cocotb bench's measurement.
STEP_OVERHEAD = cycles.OVERHEAD


def is_if(plan):
    return bool(plan.neurons) and plan.neurons[0].coding == "if"


def _writer(aff, counts):
    """Spike writer clocks per step from per-vector spike counts (..., vectors)."""
    return (1 + np.maximum(1, counts)).sum(-1)


def _per_vector(aff, spikes):
    """Spike counts per emitted vector: (..., neurons) -> (..., G C) in emission order (linear
    layers; conv layers per position as well)."""
    P, G, L, C = aff.P, aff.G, aff.L, aff.chunks
    lead = spikes.shape[:-1]
    s = spikes.reshape(*lead, aff.n_out, -1)
    s = np.concatenate([s, np.zeros((*lead, G * P - aff.n_out, s.shape[-1]), s.dtype)], -2)
    s = s.reshape(*lead, G, P, -1)
    s = np.concatenate([s, np.zeros((*lead, G, C * L - P, s.shape[-1]), s.dtype)], -2)
    return s.reshape(*lead, G, C, L, -1).sum(-2).reshape(*lead, -1)


def _step_costs(plan, spikes):
    """Per step stage costs (..., stages after the first engine) from each IF layer's spikes
    ``spikes[k]`` (..., neurons of layer k)."""
    cols = []
    for k, npl in enumerate(plan.neurons):
        prod, cons = plan.affine[k], plan.affine[k + 1]
        V = npl.core_ir.V
        cols.append(np.maximum(_writer(prod, _per_vector(prod, spikes[k])), V))
        R = cycles._item_offsets(plan, cons)
        ops = (spikes[k].reshape(*spikes[k].shape[:-1], -1) * R).sum(-1)
        emit = cons.words * cons.chunks
        cols.append(cons.G * (cons.words + ops + emit) + STEP_OVERHEAD)
    cols.append(np.full(spikes[0].shape[:-1], plan.readout.classes))
    return np.stack(np.broadcast_arrays(*cols), -1)


def _load(plan):
    """Clocks an image adds besides its steps: the first IF layer's V0 vectors, the read-out's
    search (a clock per class), the hand-overs."""
    return plan.neurons[0].core_ir.V + plan.readout.classes


def _image_steps(plan, x_codes):
    """Per image and step, every stepped stage's clocks: (images, steps, stages)."""
    net = plan.network
    res = net.forward(np.asarray(x_codes, dtype=np.int64), record="spikes")
    n = len(x_codes)
    spikes = [r["spikes"].reshape(n, net.unit.steps, -1).astype(np.int64) for r in res.records]
    return _step_costs(plan, spikes)


def image_intervals(plan, x_codes, steps=None):
    """Modelled clocks per image at full rate for every image of ``x_codes``."""
    steps = _image_steps(plan, x_codes) if steps is None else steps
    stepped = _load(plan) + IMAGE_OVERHEAD + steps.max(-1).sum(-1)
    first = cycles.image_stages_once(plan, x_codes)
    return np.maximum(stepped, first)


def image_latencies(plan, x_codes):
    """Modelled clocks from each image's last input to its output, the network idle: the
    first engine, then the image's steps, then its last step through the later stages."""
    steps = _image_steps(plan, x_codes)
    _, first = cycles._first_engine(plan, x_codes)
    return (first + _load(plan) + IMAGE_OVERHEAD + steps.max(-1).sum(-1)
            + steps[:, -1].sum(-1))


def _worst_step(plan):
    """Per step stage costs with every neuron spiking."""
    spikes = [np.ones((1, int(np.prod(npl.layer.out_shape))), dtype=np.int64)
              for npl in plan.neurons]
    return _step_costs(plan, spikes)[0]


def worst_stages(plan):
    """Clocks per image of every stage (input, engines, neurons, read-out) in the worst case:
    the input and the first engine once, the others summed over the N steps."""
    N = plan.network.unit.steps
    once = cycles.worst_stages_once(plan)
    step = [int(v) * N for v in _worst_step(plan)]
    step[0] += plan.neurons[0].core_ir.V        # the first IF layer takes its currents
    step[-1] += plan.readout.classes            # the read-out searches the class
    return once + step


def worst_interval(plan):
    N = plan.network.unit.steps
    stepped = _load(plan) + IMAGE_OVERHEAD + N * int(_worst_step(plan).max())
    return max(stepped, max(cycles.worst_stages_once(plan)))


def worst_latency(plan):
    """Clocks from an image's last input to its output, the network idle: the first engine,
    the load, N steps at the slowest stage's pace, and one step through every stage."""
    N = plan.network.unit.steps
    step = _worst_step(plan)
    once = cycles.worst_stages_once(plan)
    return int(sum(once[1:]) + _load(plan) + IMAGE_OVERHEAD + N * int(step.max())
               + int(step.sum()) + 2 * len(step) + 8)
