"""The classifier demo's host logic, shared by ``python -m boards demo BOARD --network ...``
(pyserial: a board or the virtual board's pseudo-terminal) and the end-to-end cocotb bench
(cocotbext-uart): the same protocol generator runs over either transport, and every reply is
checked against the integer network of the network file (:mod:`net.netfile`, :mod:`net.snn`).
"""

import numpy as np

from common.checks import InputError

from .netproto import Classifier

__all__ = ["digits_images", "Expected", "expected", "session", "check_replies",
           "confusion_matrix", "plot_confusion", "chip_cycles"]


def digits_images(network, n=None):
    """``(codes, labels)``: the first ``n`` digits test images (all 450 by default), when the
    network takes digits images (64 codes covering 0..16); :class:`InputError` otherwise."""
    from net import data as digits

    lo, hi = network.input_range
    if network.input_count != 64 or lo > 0 or hi < 16 or network.classes != 10:
        raise InputError(f"{network.name}: the demo sends 8x8 digits images (64 codes 0..16, "
                         f"10 classes); this network takes {network.input_count} codes "
                         f"{lo}..{hi} and has {network.classes} classes")
    split = digits.load()
    n = len(split.x_test) if n is None else n
    if not 1 <= n <= len(split.x_test):
        raise InputError(f"--images must be from 1 to {len(split.x_test)}, not {n}")
    return split.x_test[:n], split.y_test[:n]


class Expected:
    """What the integer network computes for a batch of images.

    Attributes
    ----------
    classes : ndarray of int, (n,)
    logits : ndarray of int64, (n, C)
    spikes : ndarray of int, (n,)
        Spikes per image (every neuron layer).
    """

    def __init__(self, classes, logits, spikes):
        self.classes, self.logits, self.spikes = classes, logits, spikes


def expected(network, x):
    """The integer network's classes, logits and spikes for input codes ``x``."""
    res = network.forward(np.asarray(x, dtype=np.int64))
    return Expected(np.asarray(res.predictions), np.asarray(res.logits, dtype=np.int64),
                    res.spikes_per_neuron().sum(1))


def check_replies(replies, want):
    """One line per reply that differs from the integer network (empty when all agree)."""
    problems = []
    if len(replies) != len(want.classes):
        problems.append(f"{len(replies)} replies for {len(want.classes)} images")
    for n, (cls, logits) in enumerate(replies):
        w_cls, w_log = int(want.classes[n]), [int(v) for v in want.logits[n]]
        if cls != w_cls or logits != w_log:
            problems.append(f"image {n}: class {cls} logits {logits}, the integer network: "
                            f"class {w_cls} logits {w_log}")
    return problems


def session(proto, images, window, on_reply=None):
    """Protocol generator: identify the board, classify ``images``, identify again (the
    protocol's order check: the identify reply must come after every class reply); returns
    ``(identity, replies)``."""
    ident = yield from proto.identify()
    replies = yield from proto.classify(images, window, on_reply)
    yield from proto.identify()
    return ident, replies


def host_for(network):
    """The :class:`boards.netproto.Classifier` of a loaded network file."""
    return Classifier.for_network(network)


def confusion_matrix(labels, predicted, classes):
    """``cm[true, predicted]`` counts."""
    cm = np.zeros((classes, classes), dtype=np.int64)
    for t, p in zip(labels, predicted):
        cm[int(t), int(p)] += 1
    return cm


def plot_confusion(cm, title):
    """PNG bytes of a confusion matrix (counts in the cells)."""
    import io

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(cm)
    fig, ax = plt.subplots(figsize=(5.2, 4.6), dpi=100)
    im = ax.imshow(cm, cmap="Blues")
    for t in range(n):
        for p in range(n):
            if cm[t, p]:
                ax.text(p, t, str(cm[t, p]), ha="center", va="center", fontsize=8,
                        color="white" if cm[t, p] > cm.max() / 2 else "black")
    ax.set_xticks(range(n))
    ax.set_yticks(range(n))
    ax.set_xlabel("class from the board")
    ax.set_ylabel("true class")
    ax.set_title(title, fontsize=9)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def chip_cycles(network_path, pe, x):
    """``(cycles per image, latency cycles)`` on chip, means over images ``x``: the network
    core's cycle model (:mod:`gen.network.cycles`, checked against the RTL by its cocotb
    regression) for ``pe`` accumulators per layer."""
    from gen.network import cycles
    from gen.network.ir import build_ir

    plan = build_ir(network_path, pe=pe).plan
    ii = cycles.image_intervals(plan, x)
    latency = cycles.image_latencies(plan, x)
    return float(np.mean(ii)), float(np.mean(latency))
