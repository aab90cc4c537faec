"""Spike-aware training over a range of spike weights: error against mean spikes.

:func:`sweep_spikes` trains a set for every spike weight LAMBDA (:mod:`quant.spikes`; LAMBDA = 0
is the plain training) and measures its MSE per region and its mean spike count under the input
distribution; :func:`pareto` marks the sets no other beats in spikes and every region at once;
:func:`reference_points` gives the shipped and published sets as points of the same axes;
:func:`plot_spike_sweep` and :func:`spike_table` are the figure and the table. The FS paper
(Stoeckl & Maass 2021) reports its SiLU set at about two spikes per neuron; these show what
each spike costs in error.
"""

from .activations import get_activation, number_text
from .params import list_shipped, load, parse_set_name, shipped_path
from .report import _e, _png, _pyplot, evaluate_values, published_baseline
from .train import mean_spikes, train_fs

__all__ = ["sweep_spikes", "pareto", "reference_points", "plot_spike_sweep", "spike_table",
           "regions_of"]


def sweep_spikes(activation, K, lambdas, dist, Q=None, **train_kwargs):
    """Train a set per spike weight; returns ``(rows, sets)``.

    Each row: ``lambda``, ``mse`` (region -> MSE, dense grids), ``spikes`` (mean spike count
    for x ~ ``dist``), ``pareto`` (:func:`pareto`). ``sets``: lambda -> the set.
    """
    from common.cli import progress
    from .spikes import SpikeTerm

    act = get_activation(activation)
    rows, sets = [], {}
    with progress(list(lambdas), desc="spike sweep", unit="set", leave=False,
                  disable=not train_kwargs.get("show_progress", True)) as bar:
        for lam in bar:
            lam = float(lam)
            term = SpikeTerm(lam, dist) if lam > 0 else None
            pset = train_fs(act, K, Q, spikes=term, **train_kwargs)
            rows.append({"lambda": lam, "mse": dict(pset.made_by["mse"]),
                         "spikes": spikes_of(pset, dist)})
            sets[lam] = pset
    for row, front in zip(rows, pareto(rows)):
        row["pareto"] = front
    return rows, sets


def spikes_of(values, dist):
    """Mean spike count of a set (or :class:`quant.report.Baseline`) for x ~ ``dist``, to 6
    significant digits."""
    from .metrics import round_sig

    return round_sig(mean_spikes(values, dist.mean, dist.var))


def regions_of(rows):
    """The regions a figure shows: the core and the rest where the interval has both, else
    the whole interval."""
    regions = list(rows[0]["mse"])
    return regions[:2] if len(regions) == 3 else regions[-1:]


def pareto(rows):
    """For each row: whether no other row has at most its spikes and at most its MSE on every
    region, and less of one of them."""
    keys = [(r["spikes"], *r["mse"].values()) for r in rows]

    def beats(a, b):
        return all(x <= y for x, y in zip(a, b)) and a != b

    return [not any(beats(other, mine) for other in keys) for mine in keys]


def reference_points(activation, K, Q, dist, folder=None, interval=None):
    """The shipped sets with this activation, K and Q (the plain set first, then its
    variants, ``<act>_K<K>[_<variant>][_Q<Q>]``) and the published set (rounded to Q for a Q),
    as rows ``label``, ``mse``, ``spikes``; only those on ``interval`` (default: the
    activation's), whose error regions are the sweep's."""
    act = get_activation(activation)
    if not act.is_named:
        return []
    interval = tuple(float(v) for v in (interval or act.default_interval))
    return [r for r in _references(act, K, Q, dist, folder) if r.pop("interval") == interval]


def _references(act, K, Q, dist, folder):
    refs = []
    names = []
    for stem in list_shipped(f"{act.name}_K{K}", folder=folder):
        parsed = parse_set_name(stem)
        if parsed is not None and parsed[0] == act.name and parsed[1] == K and parsed[3] == Q:
            names.append((parsed[2] or "", stem))
    for variant, stem in sorted(names):
        pset = load(shipped_path(act.name, K, Q, folder=folder, variant=variant or None))
        refs.append({"label": f"shipped {stem}", "mse": pset.dense_mse(),
                     "spikes": spikes_of(pset, dist), "interval": pset.interval})
    base = published_baseline(act.name, K, Q)
    if base is not None:
        mse = {k: _round(v) for k, v in evaluate_values(
            *base.values(), act.name, base.interval).items()}
        refs.append({"label": base.label, "mse": mse, "spikes": spikes_of(base, dist),
                     "interval": tuple(base.interval)})
    return refs


def _round(v):
    from .metrics import round_sig

    return round_sig(v)


_MARKERS = ("*", "s", "D", "^", "v", "P")
_COLORS = ("tab:red", "tab:orange", "tab:green", "tab:purple", "tab:brown", "tab:gray")


def plot_spike_sweep(rows, refs, title, dist):
    """PNG bytes: MSE against mean spikes, one panel per region (:func:`regions_of`); the
    trained sets as dots labelled with their LAMBDA, those on the Pareto front joined; the
    reference points (:func:`reference_points`) as other markers."""
    plt = _pyplot()
    regions = regions_of(rows)
    fig, axes = plt.subplots(1, len(regions), figsize=(5.2 * len(regions), 4.2), squeeze=False)
    front = sorted((r for r in rows if r["pareto"]), key=lambda r: r["spikes"])
    for ax, region in zip(axes[0], regions):
        ax.plot([r["spikes"] for r in front], [r["mse"][region] for r in front], "-",
                color="tab:blue", lw=1, label="Pareto front")
        for r in rows:
            ax.semilogy(r["spikes"], r["mse"][region], "o", color="tab:blue",
                        mfc="tab:blue" if r["pareto"] else "none")
            ax.annotate(number_text(r["lambda"]), (r["spikes"], r["mse"][region]),
                        textcoords="offset points", xytext=(4, 4), fontsize=7)
        for ref, marker, color in zip(refs, _MARKERS, _COLORS):
            ax.semilogy(ref["spikes"], ref["mse"][region], marker, color=color, ms=9,
                        ls="none", label=ref["label"])
        ax.set_xlabel(f"mean spikes, x ~ {dist.describe()}")
        ax.set_ylabel(f"MSE on {region}")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7)
    fig.suptitle(f"{title}: error vs spikes (labels: spike weight LAMBDA)", fontsize=10)
    fig.tight_layout()
    return _png(fig)


def spike_table(rows, refs):
    """Markdown: one line per trained set (LAMBDA, spikes, MSE per region, on the front), then
    the reference points."""
    regions = list(rows[0]["mse"])
    head = ["set", "LAMBDA", "mean spikes"] + [f"MSE {r}" for r in regions] + ["Pareto front"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        lines.append("| " + " | ".join(
            ["trained", number_text(r["lambda"]), f"{r['spikes']:.3f}"]
            + [_e(r["mse"][k]) for k in regions] + ["yes" if r["pareto"] else "no"]) + " |")
    for ref in refs:
        lines.append("| " + " | ".join(
            [ref["label"], "-", f"{ref['spikes']:.3f}"]
            + [_e(ref["mse"][k]) if k in ref["mse"] else "-" for k in regions] + ["-"]) + " |")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------
# the section of the results page
# ------------------------------------------------------------------------------------------

#: The shipped low-spike sets, in the order the page shows them.
LOWSPIKE = ("silu_K16_lowspike", "silu_K16_lowspike_Q8")


def spike_section(sets, rows, commands, files, folder=None):
    """Markdown lines of docs/quant.md's spike-aware training section; its figures go into
    ``files``. ``rows``: the report's spike sweep (:func:`sweep_spikes` rows), or None;
    ``folder``: where the shipped sets are (default ``quant/params``)."""
    from .report import grid_mse, plot_show
    from .spikes import NormalInput, NETWORK_INPUT

    dist = NormalInput(*NETWORK_INPUT)
    md = ["## Spike-aware training\n", _SPIKE_METHOD.format(
        mean=NETWORK_INPUT[0], var=NETWORK_INPUT[1],
        plain=_spikes_text(sets.get("silu_K16"), dist),
        published=f"{spikes_of(published_baseline('silu', 16), dist):.2f}")]
    if rows:
        refs = reference_points("silu", 16, None, dist, folder=folder)
        rel = "img/quant_spike_sweep_silu_K16.png"
        files[rel] = plot_spike_sweep(rows, refs, "silu K=16 float", dist)
        md += ["### Error against spikes\n",
               "Float SiLU K=16 sets, one per spike weight, trained with the budget of the K "
               "sweep: `" + commands["spike_sweep"] + "`. A set is on the Pareto front when no "
               "other has at most its spikes and at most its error on every region. The shipped "
               "sets and the published set are the other points.\n",
               spike_table(rows, refs), f"![silu K=16: error vs spikes]({rel})\n"]
    shipped = [n for n in LOWSPIKE if n in sets]
    if shipped:
        md += ["### The shipped low-spike sets\n",
               "Made by `" + commands["ship_lowspike"] + "`; each records its `train` command "
               "(with `--spike-weight` and `--input-dist`) and `made_by.spikes`. Besides the "
               "spike term they weigh the core [-2, 2] eight times the rest of the interval "
               "(the plain sets: four times): the spikes are saved where the inputs are, so it "
               "is the core's error that grows, while the rest of the interval has error to "
               "spare. *grid*: the MSE over every representable input of the Q=8 core (exact "
               "integer model).\n",
               "| set | LAMBDA | mean spikes | MSE [-2,2] | MSE rest | MSE [-8,12] | grid | "
               "made by |\n|---|---|---|---|---|---|---|---|"]
        for name in shipped:
            pset = sets[name]
            mse = list(pset.dense_mse().values())
            spikes = (pset.made_by or {}).get("spikes") or {}
            grid = _e(grid_mse(pset)) if pset.Q is not None else "-"
            md.append(f"| `{name}` | {number_text(spikes['weight']) if spikes else '-'} | "
                      f"{spikes_of(pset, dist):.3f} | " + " | ".join(_e(v) for v in mse)
                      + f" | {grid} | `{(pset.made_by or {}).get('command', '-')}` |")
        md.append("")
        for name in shipped:
            rel = f"img/quant_show_{name}.png"
            files[rel] = plot_show(sets[name])
            md += [f"`python -m quant show quant/params/{name}.json --out docs/{rel}`\n",
                   f"![{name}]({rel})\n"]
        md.append(_SPIKE_USE)
    return md


def _spikes_text(pset, dist):
    return "-" if pset is None else f"{spikes_of(pset, dist):.2f}"


_SPIKE_METHOD = """The energy of a spiking network on neuromorphic hardware is proportional to its
number of spikes, and the FS paper's headline is "about two spikes per neuron" (Stoeckl & Maass,
Nature Machine Intelligence 2021). The plain sets above minimize the error alone: SiLU K=16
spends {plain} spikes per neuron for x ~ N({mean}, {var}), the published set {published}.
Spike-aware training (`quant/spikes.py`) adds the mean spike count to the loss of both stages:

    loss = weighted MSE + LAMBDA * E[n(x)],   n(x) = z(1) + ... + z(K),   x ~ N(mean, var)

The input distribution is the paper's Fig. 5a: the inputs of the SiLU neurons of
EfficientNet-B7, modelled as a normal distribution with mean {mean} and variance {var}. It is
the default for SiLU; no other activation has a default (`--input-dist normal MEAN VAR` is then
required). The distribution is cut at +-8 standard deviations and split into cells with their
exact probabilities. In a training step n(x) goes through the same triangle pseudo-derivative
as the output, at n_train/2 cell centres jittered inside their cells (from the one seeded
generator: the same command gives the same file); in the exact loss (the best-restart tracking
and the local search) a Q-bit set's count is exact (it is constant on every cell of the code
grid, weighted with that cell's probability), a float set's is the midpoint rule on n_eval
cells.
The figure written into a set (`made_by.spikes.mean`) and every spike figure on this page is the
quadrature of `quant.train.mean_spikes` (10^6 points over +-10 standard deviations, summed
exactly).

```
python -m quant train --act silu --K 16 --spike-weight 0.001 [--input-dist normal -0.112 1.99]
python -m quant spike-sweep --act silu --K 16 --lambda 0 1e-4 1e-3 --out-dir out/spike_sweep
```
"""

_SPIKE_USE = """The low-spike sets are used by name: `python -m gen fsneuron --act silu_lowspike
--K 16 --Q 8` (the core `fs_silu_lowspike_k16_q8`) and `python -m net digits --act silu --K 16
--Q 8 --params lowspike [--model cnn]` (the digits MLP or CNN with this set in its neurons).
"""
