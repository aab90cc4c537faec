"""``python -m net digits-report``: regenerate the results of docs/network.md and its plots.

Trains the four ANNs (MLP/CNN x ReLU/SiLU, seed 0), converts each with every coding that
applies, in float and in exact integers, and rewrites the part of the page between
``<!-- results:begin -->`` and ``<!-- results:end -->`` plus ``docs/img/net_*.png``. Everything
is written at the end, atomically; the same command gives the same bytes.
"""

from pathlib import Path

from common.checks import arg, check_input_file, check_output_dir
from common.cli import AtomicFiles, CLIError, read_text
from .tsctrain import DEFAULT_EPOCHS as TSC_EPOCHS

DESCRIPTION = __doc__.splitlines()[0].split(": ", 1)[1]

BEGIN = "<!-- results:begin -->"
END = "<!-- results:end -->"


def add_arguments(p):
    p.add_argument("--out", type=arg(check_input_file, "--out"), default="docs/network.md",
                   metavar="FILE",
                   help=f"the page to update: a markdown file holding the {BEGIN} ... {END} "
                        f"markers (default docs/network.md)")
    p.add_argument("--img-dir", type=arg(check_output_dir, "--img-dir"), default="docs/img",
                   metavar="DIR",
                   help="where the PNGs go (default docs/img), linked relative to --out")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


#: The table's rows: (model, act, coding, K, Q, TSC fine-tuning epochs); Q None is the float
#: network. TSC runs twice: threshold balancing only (0 epochs, for context) and fine-tuned
#: through the TSC dynamics (the rows the TSC target is checked on).
ROWS = [(m, a, c, K, Q, t)
        for m in ("mlp", "cnn")
        for a, c, K, t in (("relu", "fs", 10, None), ("relu", "amos", 10, None),
                           ("relu", "tsc", 16, 0), ("relu", "tsc", 64, 0),
                           ("relu", "tsc", 16, TSC_EPOCHS), ("relu", "tsc", 32, TSC_EPOCHS),
                           ("relu", "tsc", 64, TSC_EPOCHS),
                           ("silu", "fs", 16, None), ("silu", "amos", 12, None))
        # the CNN's fine-tuning costs minutes per N (1536 neurons unrolled to dense maps): N=16
        if not (m == "cnn" and c == "tsc" and t and K > 16)
        for Q in (None, 8)]


#: Training seeds of the robustness table.
SEEDS = (0, 1, 2, 3, 4)

#: The TSC balancing sweep: frame lengths and alphas.
TSC_SWEEP_N = (16, 32, 64)
TSC_SWEEP_ALPHA = (0.8, 0.4, 0.2, 0.1)


def targets(results):
    """Markdown lines: each target of the issue, met or not, with the figures behind it."""
    out = ["| target | rows | figures | met |", "|---|---|---|---|"]

    def row(name, keys, ok_fn, fmt):
        got = [(k, results[k]) for k in keys if k in results]
        if not got:
            out.append(f"| {name} | - | not run | - |")
            return
        figs = "; ".join(fmt(k, r) for k, r in got)
        met = all(ok_fn(r) for _, r in got)
        label = ", ".join(f"{k[0]}-{k[1]} {k[2].upper()}"
                          f"{' fine-tuned' if k[5] else ''} "
                          f"{'float' if k[4] is None else 'Q' + str(k[4])}" for k, _ in got)
        out.append(f"| {name} | {label} | {figs} | {'yes' if met else '**no**'} |")

    def diff(k, r):
        return f"{r.snn_accuracy - r.ann_accuracy:+.2f} pt"

    relu = [(m, "relu", "fs", 10, q, None) for m in ("mlp", "cnn") for q in (None, 8)]
    row("FS-ReLU K=10: within 0.5 points of the ANN", relu,
        lambda r: abs(r.snn_accuracy - r.ann_accuracy) <= 0.5, diff)
    row("FS-ReLU K=10: mean spikes per neuron <= 2", relu, lambda r: r.spikes_per_neuron <= 2,
        lambda k, r: f"{r.spikes_per_neuron:.3f}")
    row("FS-SiLU K=16, Q=8 set, 8-bit weights (integer): within 1.0 point",
        [(m, "silu", "fs", 16, 8, None) for m in ("mlp", "cnn")],
        lambda r: abs(r.snn_accuracy - r.ann_accuracy) <= 1.0, diff)
    row("AMOS: within 0.5 points",
        [k for k in results if k[2] == "amos"],
        lambda r: abs(r.snn_accuracy - r.ann_accuracy) <= 0.5,
        lambda k, r: f"{k[1]} {diff(k, r)}")
    row("TSC: within 1.0 point with N <= 64 (fine-tuned through the TSC dynamics)",
        [k for k in results if k[2] == "tsc" and k[3] <= 64 and k[5]],
        lambda r: abs(r.snn_accuracy - r.ann_accuracy) <= 1.0,
        lambda k, r: f"N={k[3]} {diff(k, r)}")
    row("TSC threshold balancing only (context, not the target)",
        [k for k in results if k[2] == "tsc" and k[3] <= 64 and not k[5]],
        lambda r: abs(r.snn_accuracy - r.ann_accuracy) <= 1.0,
        lambda k, r: f"N={k[3]} {diff(k, r)}")
    for model, need in (("mlp", 96.0), ("cnn", 97.0)):
        keys = [next(k for k in results if k[:2] == (model, act))
                for act in ("relu", "silu") if any(k[:2] == (model, act) for k in results)]
        row(f"ANN accuracy on the test split >= {need:.0f}% ({model})", keys,
            lambda r: r.ann_accuracy >= need, lambda k, r: f"{k[1]} {r.ann_accuracy:.2f}%")
    return out


def build(quiet=False, img_rel="img", img_dir=Path("docs/img")):
    """(markdown of the results section, {png path: bytes})."""
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
        for model, act, coding, K, Q, epochs in bar:
            cfg = Config(model=model, act=act, coding=coding, K=K, Q=Q, tsc_train=epochs)
            try:
                cfg.check_params()
            except ValueError as exc:
                skipped.append(f"{model}-{act} {coding} K={K} Q={Q}: {exc}")
                continue
            trained = train_cached(model, act, cfg.train, show_progress=not quiet)
            r = run(cfg, trained, show_progress=False, with_float=False)
            results[(model, act, coding, K, Q, epochs)] = r
            lines.append(
                f"| {model} | {act} | {coding.upper()} | {K} | {Q if Q else 'float'} | "
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
    cfg = Config(model="mlp", act="relu", coding="tsc", Q=None)
    trained = train_cached("mlp", "relu", cfg.train, show_progress=not quiet)
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

    # the TSC balancing sweep (MLP, float): how far alpha and the balancing rule move it
    sweep_lines = []
    try:
        from .tscnet import TSCNet
        from . import data as digits
        from .experiment import TSC_CALIBRATION
        from .graph import extract
        from .train import accuracy
        split = digits.load()
        trained = train_cached("mlp", "relu", Config().train, show_progress=not quiet)
        ops = extract(trained.net)
        calib = split.to_float(split.x_train[:TSC_CALIBRATION])
        x_test = split.to_float(split.x_test)
        sweep_lines = ["| balance | alpha | " + " | ".join(f"N={N}" for N in TSC_SWEEP_N)
                       + " |", "|---|---|" + "---|" * len(TSC_SWEEP_N)]
        grid = [(b, a) for b in ("current", "drive") for a in TSC_SWEEP_ALPHA]
        with progress(grid, desc="TSC sweep", disable=quiet) as bar:
            for balance, alpha in bar:
                cells = []
                for N in TSC_SWEEP_N:
                    net = TSCNet(ops, N, calib, alpha=alpha, balance=balance)
                    r = net.forward(x_test)
                    cells.append(f"{accuracy(r.predictions, split.y_test):.2f} "
                                 f"({r.mean_spikes():.2f})")
                sweep_lines.append(f"| {balance} | {alpha} | " + " | ".join(cells) + " |")
    except ValueError as exc:                       # no sim.tsc in this checkout
        skipped.append(f"TSC sweep: {exc}")

    md = ["Generated by `python -m net digits-report` (seed 0, 450 test images: one image "
          "is 0.22 points).", ""] + lines
    if skipped:
        md += ["", "Not run (missing parameter sets or models in this checkout):", ""]
        md += [f"- {s}" for s in skipped]
    md += ["", "Targets of the issue, checked on the rows above:", ""] + targets(results)
    md += ["", "The integer FS networks over five training seeds (the split stays fixed):", ""]
    md += seed_lines
    if sweep_lines:
        md += ["", "TSC threshold balancing on the MLP (float; test accuracy %, spikes per "
                   "neuron in brackets; ANN "
               f"{train_cached('mlp', 'relu', Config().train, False).test_accuracy:.2f}%):",
               ""] + sweep_lines
    md += [""]
    for name in sorted(figs):
        md.append(f"![{name}]({img_rel}/{name})")
    return "\n".join(md) + "\n", files


def _page(out):
    """The text of the page ``out``, checked for exactly one results section."""
    text = read_text(out, "--out")
    if text.count(BEGIN) != 1 or text.count(END) != 1 or text.index(BEGIN) > text.index(END):
        raise CLIError(f"--out {out}: needs exactly one {BEGIN} ... {END} section")
    return text


def run(args):
    out = Path(args.out)
    _page(out)                                      # fail before the long build
    img_dir = Path(args.img_dir)
    try:
        img_rel = img_dir.resolve().relative_to(out.resolve().parent).as_posix()
    except ValueError:
        raise CLIError(f"--img-dir {img_dir} must be inside the folder of --out") from None
    section, pngs = build(args.quiet, img_rel, img_dir)
    # read the page again: the build takes half an hour, and the prose around the markers may
    # have been edited meanwhile
    text = _page(out)
    head, rest = text.split(BEGIN)
    _, tail = rest.split(END)
    files = AtomicFiles({out: head + BEGIN + "\n" + section + END + tail})
    for path, data in pngs.items():
        files.add(path, data)
    files.commit()
    for path in files.paths:
        print(f"wrote {path}")
    return 0
