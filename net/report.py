"""``python -m net digits-report``: regenerate the results of docs/network.md and its plots.

Trains the four ANNs (MLP/CNN x ReLU/SiLU, seed 0), converts each with every coding that
applies, in float and in exact integers, and rewrites two parts of the page: the FS and AMOS
results between ``<!-- results:begin -->`` and ``<!-- results:end -->``, the TSC results (both
neuron modes) between ``<!-- tsc-results:begin -->`` and ``<!-- tsc-results:end -->``, the
low-spike SiLU sets against the plain ones between ``<!-- lowspike-results:begin -->`` and
``<!-- lowspike-results:end -->``, plus the ``net_*.png`` plots. ``--only SECTION`` rebuilds one
of them. The page is ``--out`` (default ``out/network.md``, started from the repository's
docs/network.md when it does not exist yet; ``--out docs/network.md`` rewrites the repository's
page), the plots go into ``img/`` beside it. Everything is written at the end, atomically; the
same command gives the same bytes.
"""

from pathlib import Path

from common.checks import arg, check_output_dir, check_output_file
from common.cli import AtomicFiles, CLIError, read_text
from .tsctrain import DEFAULT_EPOCHS as TSC_EPOCHS

DESCRIPTION = __doc__.splitlines()[0].split(": ", 1)[1]

BEGIN = "<!-- results:begin -->"
END = "<!-- results:end -->"
TSC_BEGIN = "<!-- tsc-results:begin -->"
TSC_END = "<!-- tsc-results:end -->"
LOW_BEGIN = "<!-- lowspike-results:begin -->"
LOW_END = "<!-- lowspike-results:end -->"

#: section -> (begin marker, end marker); the builders are :func:`build`, :func:`build_tsc`
#: and :func:`build_lowspike`.
SECTIONS = {"main": (BEGIN, END), "tsc": (TSC_BEGIN, TSC_END),
            "lowspike": (LOW_BEGIN, LOW_END)}

#: The repository's page: the template of a page that does not exist yet.
TEMPLATE = Path(__file__).resolve().parents[1] / "docs" / "network.md"


def add_arguments(p):
    p.add_argument("--out", type=arg(check_output_file, "--out"), default="out/network.md",
                   metavar="FILE",
                   help="the page to update, holding the sections' markers (default "
                        "out/network.md, started from the repository's docs/network.md; "
                        "--out docs/network.md rewrites the repository's page)")
    p.add_argument("--only", choices=tuple(SECTIONS), default=None,
                   help="rebuild one section: main (FS, AMOS), tsc or lowspike (the low-spike "
                        "SiLU sets); default: all")
    p.add_argument("--img-dir", type=arg(check_output_dir, "--img-dir"), default=None,
                   metavar="DIR",
                   help="where the PNGs go (default: img beside --out), linked relative to "
                        "--out")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


#: The main table's rows: (model, act, coding, K, Q, TSC fine-tuning epochs, TSC mode); Q
#: None is the float network. TSC has its own section (:data:`TSC_ROWS`).
ROWS = [(m, a, c, K, Q, None, None)
        for m in ("mlp", "cnn")
        for a, c, K in (("relu", "fs", 10), ("relu", "amos", 10), ("silu", "fs", 16),
                        ("silu", "amos", 12))
        for Q in (None, 8)]

#: Frame lengths of the TSC table.
TSC_N = (8, 16, 32, 64)

#: The TSC table's columns: (heading, fine-tuning epochs, mode). The stream mode twice:
#: threshold balancing alone and fine-tuned through its dynamics.
TSC_COLUMNS = (("framed, balancing", 0, "framed"), ("stream, balancing", 0, "stream"),
               ("stream, fine-tuned", TSC_EPOCHS, "stream"))

#: The TSC table's rows, keyed like :data:`ROWS`; the framed ones are the rows the TSC targets
#: are checked on. The CNN's stream fine-tuning costs minutes per N (1536 neurons unrolled to
#: dense maps, 4x more per doubling of N): N <= 16 only.
TSC_ROWS = [(m, "relu", "tsc", N, Q, t, mode)
            for m in ("mlp", "cnn") for N in TSC_N for Q in (None, 8)
            for _, t, mode in TSC_COLUMNS
            if not (m == "cnn" and t and N > 16)]


#: Training seeds of the robustness table.
SEEDS = (0, 1, 2, 3, 4)

#: The stream-mode TSC balancing sweep: frame lengths and alphas.
TSC_SWEEP_N = (16, 32, 64)
TSC_SWEEP_ALPHA = (0.8, 0.4, 0.2, 0.1)


def _target_table():
    """(markdown lines, row(name, keys, ok_fn, fmt)): a target table and its row writer."""
    out = ["| target | rows | figures | met |", "|---|---|---|---|"]

    def row(name, keys, ok_fn, fmt, results):
        got = [(k, results[k]) for k in keys if k in results]
        if not got:
            out.append(f"| {name} | - | not run | - |")
            return
        figs = "; ".join(fmt(k, r) for k, r in got)
        met = all(ok_fn(r) for _, r in got)
        label = ", ".join(f"{k[0]}-{k[1]} {k[2].upper()}"
                          f"{' ' + k[6] if k[6] else ''}"
                          f"{' fine-tuned' if k[5] else ''} "
                          f"{'float' if k[4] is None else 'Q' + str(k[4])}" for k, _ in got)
        out.append(f"| {name} | {label} | {figs} | {'yes' if met else '**no**'} |")

    return out, row


def _diff(k, r):
    return f"{r.snn_accuracy - r.ann_accuracy:+.2f} pt"


def targets(results):
    """Markdown lines: each FS/AMOS/ANN target, met or not, with the figures behind it."""
    out, table_row = _target_table()

    def row(name, keys, ok_fn, fmt):
        table_row(name, keys, ok_fn, fmt, results)

    diff = _diff

    relu = [(m, "relu", "fs", 10, q, None, None) for m in ("mlp", "cnn") for q in (None, 8)]
    row("FS-ReLU K=10: within 0.5 points of the ANN", relu,
        lambda r: abs(r.snn_accuracy - r.ann_accuracy) <= 0.5, diff)
    row("FS-ReLU K=10: mean spikes per neuron <= 2", relu, lambda r: r.spikes_per_neuron <= 2,
        lambda k, r: f"{r.spikes_per_neuron:.3f}")
    row("FS-SiLU K=16, Q=8 set, 8-bit weights (integer): within 1.0 point",
        [(m, "silu", "fs", 16, 8, None, None) for m in ("mlp", "cnn")],
        lambda r: abs(r.snn_accuracy - r.ann_accuracy) <= 1.0, diff)
    row("AMOS: within 0.5 points",
        [k for k in results if k[2] == "amos"],
        lambda r: abs(r.snn_accuracy - r.ann_accuracy) <= 0.5,
        lambda k, r: f"{k[1]} {diff(k, r)}")
    for model, need in (("mlp", 96.0), ("cnn", 97.0)):
        keys = [next(k for k in results if k[:2] == (model, act))
                for act in ("relu", "silu") if any(k[:2] == (model, act) for k in results)]
        row(f"ANN accuracy on the test split >= {need:.0f}% ({model})", keys,
            lambda r: r.ann_accuracy >= need, lambda k, r: f"{k[1]} {r.ann_accuracy:.2f}%")
    return out


def tsc_targets(results):
    """Markdown lines: the TSC targets, checked on the framed rows with N <= 32."""
    out, row = _target_table()
    framed = [k for k in results if k[2] == "tsc" and k[6] == "framed" and k[3] <= 32]
    row("TSC framed, threshold balancing alone: within 1.0 point of the ANN with N <= 32",
        framed, lambda r: abs(r.snn_accuracy - r.ann_accuracy) <= 1.0,
        lambda k, r: f"N={k[3]} {_diff(k, r)}", results)
    row("TSC framed: at most 2 spikes per neuron (largest count; mean in brackets)",
        framed, lambda r: int(r.spike_counts.max()) <= 2,
        lambda k, r: f"{int(r.spike_counts.max())} ({r.spikes_per_neuron:.3f})", results)
    return out


def build(quiet=False, img_rel="img", img_dir=Path("docs/img")):
    """(markdown of the FS/AMOS results section, {png path: bytes})."""
    from common.cli import progress
    from .cli import default_sweep, plot_files
    from .experiment import Config, run, train_cached
    from .train import TrainConfig

    files = {}
    lines = ["| model | act | coding | K/N | Q | ANN % | SNN % | diff | spikes/neuron | "
             "time steps | images/step | parameters |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    skipped = []
    results = {}
    with progress(ROWS, desc="conversions", disable=quiet) as bar:
        for key in bar:
            model, act, coding, K, Q, epochs, mode = key
            cfg = Config(model=model, act=act, coding=coding, K=K, Q=Q, tsc_train=epochs,
                         tsc_mode=mode)
            try:
                cfg.check_params()
            except ValueError as exc:
                skipped.append(f"{model}-{act} {coding} K={K} Q={Q}: {exc}")
                continue
            trained = train_cached(model, act, cfg.train, show_progress=not quiet)
            r = run(cfg, trained, show_progress=False, with_float=False)
            results[key] = r
            lines.append(
                f"| {model} | {act} | {coding.upper()}{' ' + mode if mode else ''} | {K} | "
                f"{Q if Q else 'float'} | "
                f"{r.ann_accuracy:.2f} | {r.snn_accuracy:.2f} | "
                f"{r.snn_accuracy - r.ann_accuracy:+.2f} | {r.spikes_per_neuron:.3f} | "
                f"{r.time_steps} | {r.images_per_step:.4g} | {r.source} |")
    # the figures: accuracy vs K and the spike histograms, integer FS networks
    figs = []
    for model, act, Q in (("mlp", "relu", 8), ("cnn", "relu", 8), ("mlp", "silu", 8),
                          ("cnn", "silu", 8)):
        cfg = Config(model=model, act=act, coding="fs", Q=Q)
        trained = train_cached(model, act, cfg.train, show_progress=not quiet)
        r = run(cfg, trained, show_progress=False)
        for path, data in plot_files(r, trained, default_sweep(cfg), img_dir,
                                     show_progress=not quiet).items():
            files[path] = data
            figs.append(Path(path).name)

    # the FS targets over training seeds: not a lucky seed
    seed_lines = ["| model | act | K | Q | seed | ANN % | SNN % | diff | spikes/neuron |",
                  "|---|---|---|---|---|---|---|---|---|"]
    grid = [(m, a, K, s) for m in ("mlp", "cnn") for a, K in (("relu", 10), ("silu", 16))
            for s in SEEDS]
    with progress(grid, desc="seeds", disable=quiet) as bar:
        for model, act, K, seed in bar:
            cfg = Config(model=model, act=act, coding="fs", K=K, Q=8,
                         train=TrainConfig(seed=seed))
            try:
                cfg.check_params()
            except ValueError as exc:
                skipped.append(f"seeds {model}-{act}: {exc}")
                continue
            trained = train_cached(model, act, cfg.train, show_progress=not quiet)
            r = run(cfg, trained, show_progress=False, with_float=False)
            seed_lines.append(f"| {model} | {act} | {K} | 8 | {seed} | {r.ann_accuracy:.2f} | "
                              f"{r.snn_accuracy:.2f} | {r.snn_accuracy - r.ann_accuracy:+.2f} | "
                              f"{r.spikes_per_neuron:.3f} |")

    md = ["Generated by `python -m net digits-report` (seed 0, 450 test images: one image "
          "is 0.22 points).", ""] + lines
    if skipped:
        md += ["", "Not run (missing parameter sets or models in this checkout):", ""]
        md += [f"- {s}" for s in skipped]
    md += ["", "Targets, checked on the rows above:", ""] + targets(results)
    md += ["", "The integer FS networks over five training seeds (the split stays fixed):", ""]
    md += seed_lines
    md += [""]
    for name in sorted(figs):
        md.append(f"![{name}]({img_rel}/{name})")
    return "\n".join(md) + "\n", files


#: The low-spike table's rows: (model, Q) of the FS SiLU K=16 networks, each with the plain and
#: the low-spike parameter sets (quant/params/silu_K16[_lowspike][_Q8].json).
LOWSPIKE_ROWS = [(m, Q) for m in ("mlp", "cnn") for Q in (None, 8)]


def build_lowspike(quiet=False, img_rel="img", img_dir=None):
    """(markdown of the low-spike section, {}): the FS SiLU K=16 networks with the plain and
    the spike-aware parameter sets side by side (accuracy, spikes per neuron)."""
    from common.cli import progress
    from .experiment import Config, run, train_cached

    lines = ["| model | Q | ANN % | plain SNN % | plain spikes/neuron | low-spike SNN % | "
             "low-spike spikes/neuron | accuracy change | spikes change |",
             "|---|---|---|---|---|---|---|---|---|"]
    with progress(LOWSPIKE_ROWS, desc="low-spike sets", disable=quiet) as bar:
        for model, Q in bar:
            r = {}
            for params in (None, "lowspike"):
                cfg = Config(model=model, act="silu", coding="fs", K=16, Q=Q, params=params)
                trained = train_cached(model, "silu", cfg.train, show_progress=not quiet)
                r[params] = run(cfg, trained, show_progress=False, with_float=False)
            a, b = r[None], r["lowspike"]
            lines.append(
                f"| {model} | {Q if Q else 'float'} | {a.ann_accuracy:.2f} | "
                f"{a.snn_accuracy:.2f} | {a.spikes_per_neuron:.3f} | {b.snn_accuracy:.2f} | "
                f"{b.spikes_per_neuron:.3f} | {b.snn_accuracy - a.snn_accuracy:+.2f} | "
                f"{100 * (b.spikes_per_neuron / a.spikes_per_neuron - 1):+.1f} % |")
    note = ("Made by `python -m net digits-report --only lowspike` (seed 0, the shipped ANN "
            "weights, 450 test images: one image is 0.22 points). FS SiLU K = 16 neurons with "
            "the plain parameter sets and with the low-spike sets of spike-aware training "
            "(docs/quant.md; `python -m net digits --act silu --params lowspike`).")
    return "\n".join([note, "", *lines]) + "\n", {}


def build_tsc(quiet=False, img_rel="img", img_dir=Path("docs/img")):
    """(markdown of the TSC results section, {png path: bytes})."""
    from .cli import default_sweep, plot_files
    from .experiment import Config, run, train_cached

    results = {}
    tsc_lines, alpha_lines = tsc_tables(results, quiet)
    sweep_lines = stream_sweep(quiet)
    files, figs = {}, []
    cfg = Config(model="mlp", act="relu", coding="tsc", Q=8)
    trained = train_cached("mlp", "relu", cfg.train, show_progress=not quiet)
    r = run(cfg, trained, show_progress=False)
    for path, data in plot_files(r, trained, default_sweep(cfg), img_dir,
                                 show_progress=not quiet).items():
        files[path] = data
        figs.append(Path(path).name)
    ann = {m: train_cached(m, "relu", Config().train, False).test_accuracy
           for m in ("mlp", "cnn")}
    md = ["Generated by `python -m net digits-report` (`--only tsc` rebuilds this part alone; "
          "seed 0, 450 test images: one image is 0.22 points). Both neuron modes side by side "
          "(ReLU; test accuracy %, the difference to the ANN in brackets, then mean spikes per "
          f"neuron; ANN MLP {ann['mlp']:.2f}%, CNN {ann['cnn']:.2f}%; time steps per "
          "inference: framed 3N, stream N; one image per N steps in both):", ""] + tsc_lines
    md += ["", "Targets, checked on the framed rows above:", ""] + tsc_targets(results)
    md += ["", "The framed networks' alpha: the training-split accuracy (%) of the converted "
               "network for each alpha, and the one chosen (ties: nearest the paper's 0.8):",
           ""] + alpha_lines
    md += ["", "Stream-mode threshold balancing on the MLP (float; test accuracy %, spikes per "
               f"neuron in brackets; ANN {ann['mlp']:.2f}%):", ""] + sweep_lines
    md += [""] + [f"![{name}]({img_rel}/{name})" for name in sorted(figs)]
    return "\n".join(md) + "\n", files


def tsc_tables(results, quiet=False):
    """Markdown lines of the TSC table (both modes, :data:`TSC_ROWS`; rows already in
    ``results`` are reused, new ones added) and of the framed networks' alpha choice."""
    from common.cli import progress
    from .experiment import Config, run, train_cached

    with progress([k for k in TSC_ROWS if k not in results], desc="TSC modes",
                  disable=quiet) as bar:
        for key in bar:
            model, act, coding, K, Q, epochs, mode = key
            cfg = Config(model=model, act=act, coding=coding, K=K, Q=Q, tsc_train=epochs,
                         tsc_mode=mode)
            trained = train_cached(model, act, cfg.train, show_progress=not quiet)
            results[key] = run(cfg, trained, show_progress=False, with_float=False)
    lines = ["| model | N | weights | " + " | ".join(h for h, _, _ in TSC_COLUMNS) + " |",
             "|---|---|---|" + "---|" * len(TSC_COLUMNS)]
    alphas = []
    for model in ("mlp", "cnn"):
        for N in TSC_N:
            for Q in (None, 8):
                cells = []
                for _, epochs, mode in TSC_COLUMNS:
                    r = results.get((model, "relu", "tsc", N, Q, epochs, mode))
                    cells.append("-" if r is None else
                                 f"{r.snn_accuracy:.2f} ({r.snn_accuracy - r.ann_accuracy:+.2f})"
                                 f", {r.spikes_per_neuron:.2f}")
                weights = "float" if Q is None else "8-bit"
                lines.append(f"| {model} | {N} | {weights} | " + " | ".join(cells) + " |")
                r = results[(model, "relu", "tsc", N, Q, 0, "framed")]
                scores = r.extra.get("alpha_scores", {})
                alphas.append((model, N, weights, scores, r))
    grid = sorted({a for *_, scores, _ in alphas for a in scores}, reverse=True)
    alpha_lines = ["| model | N | weights | " + " | ".join(f"alpha {a:g}" for a in grid)
                   + " | chosen |", "|---|---|---|" + "---|" * (len(grid) + 1)]
    for model, N, weights, scores, r in alphas:
        cells = [f"{scores[a]:.2f}" if a in scores else "-" for a in grid]
        alpha_lines.append(f"| {model} | {N} | {weights} | " + " | ".join(cells)
                           + f" | {r.extra.get('alpha', '-')} |")
    return lines, alpha_lines


def stream_sweep(quiet=False):
    """Markdown lines: stream-mode threshold balancing on the float MLP, per balancing rule
    and alpha (how far they move it)."""
    from common.cli import progress
    from . import data as digits
    from .experiment import TSC_CALIBRATION, Config, train_cached
    from .graph import extract
    from .train import accuracy
    from .tscnet import TSCNet

    split = digits.load()
    trained = train_cached("mlp", "relu", Config().train, show_progress=not quiet)
    ops = extract(trained.net)
    calib = split.to_float(split.x_train[:TSC_CALIBRATION])
    x_test = split.to_float(split.x_test)
    lines = ["| balance | alpha | " + " | ".join(f"N={N}" for N in TSC_SWEEP_N) + " |",
             "|---|---|" + "---|" * len(TSC_SWEEP_N)]
    grid = [(b, a) for b in ("current", "drive") for a in TSC_SWEEP_ALPHA]
    with progress(grid, desc="TSC stream sweep", disable=quiet) as bar:
        for balance, alpha in bar:
            cells = []
            for N in TSC_SWEEP_N:
                r = TSCNet(ops, N, calib, alpha=alpha, balance=balance).forward(x_test)
                cells.append(f"{accuracy(r.predictions, split.y_test):.2f} "
                             f"({r.mean_spikes():.2f})")
            lines.append(f"| {balance} | {alpha} | " + " | ".join(cells) + " |")
    return lines


def _page(out, sections):
    """The text of the page ``out`` (the template when it does not exist yet), checked for
    exactly one of each section's markers."""
    text = read_text(out if out.exists() else TEMPLATE, "--out")
    for name in sections:
        begin, end = SECTIONS[name]
        if text.count(begin) != 1 or text.count(end) != 1 or \
                text.index(begin) > text.index(end):
            raise CLIError(f"--out {out}: needs exactly one {begin} ... {end} section")
    return text


def _replace(text, name, section):
    begin, end = SECTIONS[name]
    head, rest = text.split(begin)
    _, tail = rest.split(end)
    return head + begin + "\n" + section + end + tail


def run(args):
    out = Path(args.out)
    sections = [args.only] if args.only else list(SECTIONS)
    _page(out, sections)                            # fail before the long build
    img_dir = out.parent / "img" if args.img_dir is None else Path(args.img_dir)
    try:
        img_rel = img_dir.resolve().relative_to(out.resolve().parent).as_posix()
    except ValueError:
        raise CLIError(f"--img-dir {img_dir} must be inside the folder of --out") from None
    builders = {"main": build, "tsc": build_tsc, "lowspike": build_lowspike}
    built = {name: builders[name](args.quiet, img_rel, img_dir) for name in sections}
    # read the page again: the build takes half an hour, and the prose around the markers may
    # have been edited meanwhile
    text = _page(out, sections)
    pngs = {}
    for name, (section, files) in built.items():
        text = _replace(text, name, section)
        pngs.update(files)
    files = AtomicFiles({out: text})
    for path, data in pngs.items():
        files.add(path, data)
    files.commit()
    for path in files.paths:
        print(f"wrote {path}")
    return 0
