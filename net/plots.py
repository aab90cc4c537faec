"""PNG figures of the conversion runs (matplotlib, Agg): accuracy vs K, spike histograms.

Each function returns the PNG as bytes, so callers write every output file atomically together.
"""

import io

import numpy as np

__all__ = ["accuracy_vs_K", "spike_histogram"]


def _figure(*args, **kwargs):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt, plt.subplots(*args, **kwargs)


def _png(plt, fig):
    buf = io.BytesIO()
    # no timestamps or software versions in the file: same data, same bytes
    fig.savefig(buf, format="png", dpi=110, metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def accuracy_vs_K(title, Ks, curves, ann_accuracy, spikes=None, xlabel="K (time steps)"):
    """Accuracy (and spikes per neuron) against K.

    Parameters
    ----------
    curves : dict label -> list of accuracies (one per K, None where missing)
    spikes : dict label -> list of mean spikes per neuron, optional (right panel)
    """
    plt, (fig, axes) = _figure(1, 2 if spikes else 1, figsize=(9.5 if spikes else 5.5, 3.8),
                               squeeze=False)
    ax = axes[0][0]
    ax.axhline(ann_accuracy, color="k", ls="--", lw=1, label=f"ANN {ann_accuracy:.2f}%")
    for label, ys in curves.items():
        pts = [(k, y) for k, y in zip(Ks, ys) if y is not None]
        ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-", label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    if spikes:
        ax2 = axes[0][1]
        for label, ys in spikes.items():
            pts = [(k, y) for k, y in zip(Ks, ys) if y is not None]
            ax2.plot([p[0] for p in pts], [p[1] for p in pts], "s-", label=label)
        ax2.axhline(2.0, color="gray", ls=":", lw=1, label="2 spikes")
        ax2.set_xlabel(xlabel)
        ax2.set_ylabel("spikes per neuron per image")
        ax2.set_title("spikes")
        ax2.grid(alpha=0.3)
        ax2.legend(fontsize=8)
    fig.tight_layout()
    return _png(plt, fig)


def spike_histogram(title, counts, max_spikes=None):
    """Histogram of the spikes each neuron emits per image (fraction of neuron-images)."""
    counts = np.asarray(counts).reshape(-1)
    top = int(counts.max()) if max_spikes is None else int(max_spikes)
    top = max(top, 1)
    freq = np.bincount(counts, minlength=top + 1)[:top + 1] / max(counts.size, 1)
    plt, (fig, axes) = _figure(1, 1, figsize=(5.5, 3.6), squeeze=False)
    ax = axes[0][0]
    ax.bar(np.arange(top + 1), freq, color="tab:blue")
    mean = float(counts.mean()) if counts.size else 0.0
    ax.axvline(mean, color="tab:red", ls="--", label=f"mean {mean:.2f}")
    ax.set_xlabel("spikes per neuron per image")
    ax.set_ylabel("fraction of neuron-images")
    ax.set_title(title)
    ax.set_xticks(np.arange(top + 1))
    ax.grid(alpha=0.3, axis="y")
    ax.legend()
    fig.tight_layout()
    return _png(plt, fig)
