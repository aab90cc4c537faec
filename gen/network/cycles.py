"""Cycle counts of the network hardware, from the events of each image (a model of the RTL).

Every stage of :mod:`gen.network.top` does one thing per clock, so its time for an image follows
from what the image makes it do:

* input writer: one clock per code (its planes go to one memory each);
* affine stage, G passes of P channels, each: Horner: ``T A`` (a sweep per plane over the A
  accumulator words, one per output position) plus R per event (the kernel offsets that land
  inside the output, 1 for linear) plus the emission; scale: a bias sweep, the events, a sweep
  per plane that had events, the emission. The emission is one word per clock into AMOS lanes;
  the FS core takes a vector every K clocks after the first two (its input buffer), so A words
  take ``max(A, (A-2) K + 1)`` clocks;
* neurons and spike writer: ``A K`` per pass for the FS core; the writer a clock to take each
  vector in, then a clock per plane written (at least one);
* read-out: one clock per class.

The network is a pipeline: images follow each other through the stages, each stage working on
its own image, so the interval between images is the slowest stage's time (:func:`interval`).
The worst case (:func:`worst_stages`) takes every position spiking in every plane it can (the
input: every code with the most bits the input range allows).
"""

import numpy as np

__all__ = ["stage_names", "image_stages", "worst_stages", "interval", "worst_latency",
           "image_intervals", "image_latencies", "worst_interval", "latency",
           "image_stages_once",
           "worst_stages_once"]

#: Clocks of pipeline registers and hand-overs a stage adds per image (the issue, read and
#: execute stages, the output register; a buffer flip).
OVERHEAD = 4
#: An affine stage's engine: one more (the read stage registers the memories' words).
ENGINE_OVERHEAD = OVERHEAD + 1


def stage_names(plan):
    names = ["input"]
    for aff in plan.affine:
        names.append(f"layer{aff.n}")
        if not aff.last:
            names.append(f"neurons{aff.n}")
    names.append("readout")
    return names


def _emit(aff, neuron):
    """Clocks of one pass's emission: A words of ``chunks`` beats each."""
    n = aff.words * aff.chunks
    if aff.last or neuron.coding in ("amos", "if"):
        return n
    return max(n, (n - 2) * neuron.K + 1)


def _engine(aff, neuron, ops, planes_used):
    """Clocks of one affine stage for an image whose events make ``ops`` operations per pass
    (R summed over the events), in G passes."""
    A = aff.words
    if aff.mode == "horner":
        sweeps = aff.T * A
    else:
        sweeps = A + planes_used * A
    return aff.G * (sweeps + ops + _emit(aff, neuron)) + ENGINE_OVERHEAD


def _offsets_table(aff):
    """Conv: kernel offsets inside the output per input position (y, x); linear: 1."""
    if aff.kind != "conv":
        return None
    _, H, W = aff.source.index.sizes
    return np.array([[len(aff.offsets((0, y, x))) for x in range(W)] for y in range(H)])


def _popcount(a):
    a = np.asarray(a, dtype=np.int64)
    out = np.zeros(a.shape, dtype=np.int64)
    while np.any(a):
        out += a & 1
        a = a >> 1
    return out


def image_stages(plan, x_codes):
    """Clocks of every stage for every image: an array (images, stages)."""
    net = plan.network
    x = np.asarray(x_codes, dtype=np.int64)
    res = net.forward(x, record=True)
    n = len(x)
    w = plan.input_width
    codes = x & ((1 << w) - 1)
    cols = [np.full(n, net.input_count)]          # a code per clock (banked buffer)
    # the items of each affine stage's source: per image, per producer position, the mask
    masks = [codes]                      # every source's items: positions in C order
    for rec in res.records:
        masks.append(np.asarray(rec["mask"], dtype=np.int64))
    for aff in plan.affine:
        src = masks[aff.n]
        live = sum(1 << q for q, ok in enumerate(aff.source.live) if ok)
        if aff.source.kind == "input":
            # plane q is bit w-1-q: reverse to count planes
            m = np.zeros_like(src)
            for q in range(w):
                m |= ((src >> (w - 1 - q)) & 1) << q
            src = m
        src = src.reshape(n, -1) & live
        pc = _popcount(src)
        R = _item_offsets(plan, aff)
        ops = (pc * R[None, :]).sum(1)
        used = np.zeros(n, dtype=np.int64)
        for q in range(aff.T):
            used += np.any((src >> q) & 1, axis=1)
        neuron = None if aff.last else plan.neurons[aff.n]
        cols.append(_engine(aff, neuron, ops, used))
        if not aff.last:
            cols.append(_neuron_writer(plan, aff, neuron, masks[aff.n + 1].reshape(n, -1)))
    cols.append(np.full(n, plan.readout.classes + 2))
    return np.stack([np.broadcast_to(np.asarray(c), (n,)) for c in cols], axis=1)


def _first_engine(plan, x):
    """(input, first engine) clocks per image: the stages an IF network runs once per image."""
    x = np.asarray(x, dtype=np.int64)
    w = plan.input_width
    aff = plan.affine[0]
    codes = x & ((1 << w) - 1)
    m = np.zeros_like(codes)
    for q in range(w):                              # plane q is bit w-1-q
        m |= ((codes >> (w - 1 - q)) & 1) << q
    live = sum(1 << q for q, ok in enumerate(aff.source.live) if ok)
    src = m.reshape(len(x), -1) & live
    ops = (_popcount(src) * _item_offsets(plan, aff)[None, :]).sum(1)
    used = sum(np.any((src >> q) & 1, axis=1) for q in range(aff.T))
    return np.full(len(x), plan.network.input_count), _engine(aff, plan.neurons[0], ops, used)


def image_stages_once(plan, x):
    """Per image, the slower of the input writer and the first engine."""
    return np.maximum(*_first_engine(plan, x))


def worst_stages_once(plan):
    """Worst-case clocks of the input writer and the first engine."""
    return worst_stages(plan, once=True)


def image_intervals(plan, x):
    """Modelled clocks per image at full rate, for every image of ``x``."""
    from . import ifcycles

    if ifcycles.is_if(plan):
        return ifcycles.image_intervals(plan, x)
    return interval(image_stages(plan, x))


def image_latencies(plan, x):
    """Modelled latency of every image of ``x`` (an FS or AMOS network: the bound of its
    stages)."""
    from . import ifcycles

    if ifcycles.is_if(plan):
        return ifcycles.image_latencies(plan, x)
    return np.array([worst_latency(plan, row) for row in image_stages(plan, x)])


def worst_interval(plan):
    """The worst-case clocks per image (the manifest's ``ii``)."""
    from . import ifcycles

    if ifcycles.is_if(plan):
        return int(ifcycles.worst_interval(plan))
    return int(interval(worst_stages(plan)))


def latency(plan):
    """The latency bound (the manifest's ``latency``)."""
    from . import ifcycles

    if ifcycles.is_if(plan):
        return ifcycles.worst_latency(plan)
    return worst_latency(plan)


def _item_offsets(plan, aff):
    """Per source position (producer order, C order), the kernel offsets its events take."""
    table = _offsets_table(aff)
    if aff.source.kind == "input":
        count = aff.source.capacity
        if table is None:
            return np.ones(count, dtype=np.int64)
        return np.tile(table.reshape(-1), aff.source.index.sizes[0])
    prod = plan.affine[aff.n - 1]
    if table is None:
        return np.ones(aff.source.capacity, dtype=np.int64)
    co, ho, wo = prod.layer.out_shape
    s = plan.writers[aff.n - 1].pool_shift
    ys = np.arange(ho) >> s
    xs = np.arange(wo) >> s
    per = table[ys][:, xs]
    return np.tile(per.reshape(-1), co)


def _neuron_writer(plan, aff, neuron, masks):
    """Neurons + spike writer: the core's A K (FS) against the writer's items."""
    live = sum(1 << q for q, ok in enumerate(plan.writers[aff.n].live) if ok)
    n = len(masks)
    # the producer's neurons in emission order: pass g, position, chunk of L lanes
    pc = _popcount(masks & live)
    A, P, G, L, C = aff.words, aff.P, aff.G, aff.L, aff.chunks
    if aff.kind == "conv":
        co, ho, wo = aff.layer.out_shape
        pc = pc.reshape(n, co, ho * wo)
    else:
        pc = pc.reshape(n, aff.n_out, 1)
    pc = np.pad(pc, ((0, 0), (0, G * P - pc.shape[1]), (0, 0))).reshape(n, G, P, -1)
    pc = np.pad(pc, ((0, 0), (0, 0), (0, C * L - P), (0, 0))).reshape(n, G, C, L, -1)
    per_vec = pc.sum(3)                                  # (n, G, C, positions)
    writer = (1 + np.maximum(1, per_vec)).sum((1, 2, 3))  # take a vector in, write its items
    vectors = G * A * C
    core = vectors * neuron.K if neuron.coding == "fs" else vectors
    return np.maximum(writer, core) + OVERHEAD + 1


def worst_stages(plan, once=False):
    """Clocks of every stage for the worst image (every position spiking in every plane it
    can); ``once``: the input writer and the first engine only. An IF network:
    :func:`gen.network.ifcycles.worst_stages`."""
    from . import ifcycles

    if ifcycles.is_if(plan) and not once:
        return ifcycles.worst_stages(plan)
    net = plan.network
    lo, hi = net.input_range
    w = plan.input_width
    top = max(_popcount(np.arange(lo, hi + 1) & ((1 << w) - 1)))
    out = [net.input_count]
    for aff in plan.affine:
        R = _item_offsets(plan, aff)
        planes = int(top) if aff.source.kind == "input" else sum(aff.source.live)
        ops = int(R.sum()) * planes
        neuron = None if aff.last else plan.neurons[aff.n]
        out.append(int(_engine(aff, neuron, ops, planes)))
        if once:
            return out
        if not aff.last:
            live = sum(plan.writers[aff.n].live)
            vectors = aff.G * aff.words * aff.chunks
            writer = aff.out_pos.count * aff.n_out * live + 2 * vectors
            core = vectors * (neuron.K if neuron.coding == "fs" else 1)
            out.append(max(writer, core) + OVERHEAD)
    out.append(plan.readout.classes + 2)
    return out


def interval(stages):
    """The pipeline's cycles per image: its slowest stage."""
    return np.max(np.asarray(stages), axis=-1)


def worst_latency(plan, stages=None):
    """Cycles from the last input of an image to its output with the network idle: every
    stage after the input in turn (each a bound), plus each neuron core's own latency."""
    stages = worst_stages(plan) if stages is None else stages
    extra = 0
    for npl in plan.neurons:
        extra += (npl.K + 1) if npl.coding == "fs" else npl.core_ir.latency
    return int(sum(stages[1:]) + extra + len(stages))
