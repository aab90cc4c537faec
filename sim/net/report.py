"""``python -m sim digits-report``: the results section of docs/network.md and its plots.

Trains the four ANNs (MLP/CNN x ReLU/SiLU, seed 0), converts each with every coding that
applies, in float and in exact integers, and rewrites the part of the page between
``<!-- results:begin -->`` and ``<!-- results:end -->`` plus ``docs/img/net_*.png``. Everything
is written at the end, atomically; the same command gives the same bytes.
"""

from pathlib import Path

from common.cli import AtomicFiles, CLIError

DESCRIPTION = __doc__.splitlines()[0].split(": ", 1)[1]

BEGIN = "<!-- results:begin -->"
END = "<!-- results:end -->"


def add_arguments(p):
    p.add_argument("--out", default="docs/network.md", metavar="FILE",
                   help="the page to update (default docs/network.md)")
    p.add_argument("--img-dir", default="docs/img", metavar="DIR",
                   help="where the PNGs go (default docs/img), linked relative to --out")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


#: The table's rows: (model, act, coding, K, Q); Q None is the float network.
ROWS = [(m, a, c, K, Q)
        for m in ("mlp", "cnn")
        for a, c, K in (("relu", "fs", 10), ("relu", "amos", 10), ("relu", "tsc", 16),
                        ("relu", "tsc", 64), ("silu", "fs", 16), ("silu", "amos", 12))
        for Q in (None, 8)]


#: The TSC balancing sweep: frame lengths and alphas.
TSC_SWEEP_N = (16, 32, 64)
TSC_SWEEP_ALPHA = (0.8, 0.4, 0.2, 0.1)


def build(quiet=False, img_rel="img", img_dir=Path("docs/img")):
    """(markdown of the results section, {png path: bytes})."""
    from common.cli import progress
    from .cli import default_sweep, plot_files
    from .experiment import Config, run, train_cached

    files = {}
    lines = ["| model | act | coding | K/N | Q | ANN % | SNN % | diff | spikes/neuron | "
             "time steps | images/step | parameters |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    skipped = []
    with progress(ROWS, desc="conversions", disable=quiet) as bar:
        for model, act, coding, K, Q in bar:
            cfg = Config(model=model, act=act, coding=coding, K=K, Q=Q)
            try:
                cfg.check_params()
            except ValueError as exc:
                skipped.append(f"{model}-{act} {coding} K={K} Q={Q}: {exc}")
                continue
            trained = train_cached(model, act, cfg.train, show_progress=not quiet)
            r = run(cfg, trained, show_progress=False, with_float=False)
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

    md = ["Generated by `python -m sim digits-report` (seed 0, 450 test images: one image "
          "is 0.22 points).", ""] + lines
    if skipped:
        md += ["", "Not run (missing parameter sets or models in this checkout):", ""]
        md += [f"- {s}" for s in skipped]
    if sweep_lines:
        md += ["", "TSC threshold balancing on the MLP (float; test accuracy %, spikes per "
                   "neuron in brackets; ANN "
               f"{train_cached('mlp', 'relu', Config().train, False).test_accuracy:.2f}%):",
               ""] + sweep_lines
    md += [""]
    for name in sorted(figs):
        md.append(f"![{name}]({img_rel}/{name})")
    return "\n".join(md) + "\n", files


def run(args):
    out = Path(args.out)
    if not out.exists():
        raise CLIError(f"--out {out}: no such file (it must hold the {BEGIN} / {END} markers)")
    text = out.read_text()
    if text.count(BEGIN) != 1 or text.count(END) != 1 or text.index(BEGIN) > text.index(END):
        raise CLIError(f"--out {out}: needs exactly one {BEGIN} ... {END} section")
    img_dir = Path(args.img_dir)
    try:
        img_rel = img_dir.resolve().relative_to(out.resolve().parent).as_posix()
    except ValueError:
        raise CLIError(f"--img-dir {img_dir} must be inside the folder of --out") from None
    section, pngs = build(args.quiet, img_rel, img_dir)
    head, rest = text.split(BEGIN)
    _, tail = rest.split(END)
    files = AtomicFiles({out: head + BEGIN + "\n" + section + END + tail})
    for path, data in pngs.items():
        files.add(path, data)
    files.commit()
    for path in files.paths:
        print(f"wrote {path}")
    return 0
