"""The AMOS results: the table of docs/amos.md and its figures, from the shipped sets.

Every figure is computed here from the parameter files with the golden models: the Q8 columns
over every representable input of the interval with the exact integer models
(:meth:`quant.paramfile.ParamSet.representable_mse`), the float columns on dense grids.
"""

import io

import numpy as np

from .activations import number_text
from .amos_params import amos_path, load as load_amos
from .amos_train import SHIPPED, SHIPPED_Q
from .metrics import representable_inputs
from .params import load as load_fs, shipped_path

__all__ = ["results_table", "plot_sets"]


def _whole(mse):
    """The whole-interval figure of a ``made_by``-style region dict (its last entry)."""
    return list(mse.values())[-1]


def results_table(folder=None):
    """The results of the shipped sets (in ``folder``, default ``quant/params``) as a markdown
    table."""
    rows = ["| set | K | FS Q8 | AMOS Q8 | FS float | AMOS float |",
            "|---|---|---|---|---|---|"]
    for act, K in SHIPPED:
        amos_q = load_amos(amos_path(act, K, SHIPPED_Q, folder))
        a_q = amos_q.representable_mse()["value"]
        a_f = _whole(load_amos(amos_path(act, K, folder=folder)).dense_mse())
        if amos_q.two_input:
            rows.append(f"| {act} (x*y on [-1,1]^2) | {K} | (AMOS paper, float: 0.0102) | "
                        f"{a_q:.3g} | - | {a_f:.3g} |")
            continue
        f_q = load_fs(shipped_path(act, K, SHIPPED_Q, folder=folder)).representable_mse()["value"]
        f_f = _whole(load_fs(shipped_path(act, K, folder=folder)).dense_mse())
        lo, hi = (number_text(v) for v in amos_q.interval)
        rows.append(f"| {act} on [{lo},{hi}) | {K} | {f_q:.3g} | {a_q:.3g} ({a_q / f_q:.2f}x) | "
                    f"{f_f:.3g} | {a_f:.3g} |")
    return "\n".join(rows) + "\n"


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def plot_sets(folder=None):
    """PNGs of the shipped Q8 sets: the exact cores' outputs and errors (one input: AMOS vs FS
    on every representable input; x*y: target, output and error maps). Returns
    ``{file name: PNG bytes}``."""
    plt = _pyplot()
    out = {}
    for act, K in SHIPPED:
        amos = load_amos(amos_path(act, K, SHIPPED_Q, folder))
        if amos.two_input:
            fig = _plot_two_input(plt, amos)
        else:
            fig = _plot_one_input(plt, amos, load_fs(shipped_path(act, K, SHIPPED_Q,
                                                                  folder=folder)))
        fig.tight_layout()
        buf = io.BytesIO()
        # no software/version metadata: the same figure gives the same bytes everywhere
        fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
        plt.close(fig)
        out[f"amos_{act}_K{K}.png"] = buf.getvalue()
    return out


def _plot_two_input(plt, amos):
    F = amos.default_frac()
    n, _ = representable_inputs(amos.interval, F, max_points=None)
    xs = n * 2.0 ** -F
    gx, gy = np.meshgrid(n, n, indexing="ij")
    got = amos.int_model(F)(gx, gy) * amos.qformat.lsb
    want = np.outer(xs, xs)
    mse = amos.representable_mse()["value"]
    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    ext = (xs[0], xs[-1], xs[0], xs[-1])
    for ax, img, title in zip(axes, (want, got, got - want),
                              ("x*y", f"AMOS K={amos.K} Q={amos.Q} core",
                               f"error (MSE {mse:.2e})")):
        im = ax.imshow(img.T, origin="lower", extent=ext, cmap="RdBu_r",
                       vmin=-np.abs(img).max(), vmax=np.abs(img).max())
        ax.set_title(title)
        ax.set_xlabel("x")
        ax.set_ylabel("y")
        fig.colorbar(im, ax=ax, shrink=0.8)
    return fig


def _plot_one_input(plt, amos, fs):
    F = amos.default_frac()
    n, _ = representable_inputs(amos.interval, F, max_points=None)
    x = n * 2.0 ** -F
    want = amos.target()(x)
    curves = [(fs, "FS", "tab:orange"), (amos, "AMOS", "tab:blue")]
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(8, 7), sharex=True)
    ax1.plot(x, want, "k-", lw=2, label=amos.activation)
    for ps, kind, color in curves:
        got = ps.int_model(F)(n) * ps.qformat.lsb
        mse = ps.representable_mse(F)["value"]
        ax1.plot(x, got, "-", color=color, lw=1,
                 label=f"{kind} K={ps.K} Q={ps.Q} core (MSE {mse:.2e})")
        ax2.plot(x, got - want, "-", color=color, lw=1, label=f"{kind} error")
    ax1.legend(loc="upper left")
    ax1.set_ylabel("output")
    lo, hi = (number_text(v) for v in amos.interval)
    ax1.set_title(f"{amos.activation}: every representable input (F={F}) of [{lo}, {hi})")
    ax2.axhline(0, color="k", lw=0.5)
    ax2.legend(loc="upper left")
    ax2.set_xlabel("x")
    ax2.set_ylabel("error")
    return fig
