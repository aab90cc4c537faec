"""``python -m net digits``: train a digits ANN, convert it to a spiking network, measure it.

Prints a table (ANN vs SNN: accuracy, spikes per neuron, time steps per inference, images per
step when pipelined); ``--json FILE`` writes the figures with the keys ann_accuracy,
snn_accuracy, spikes_per_neuron, time_steps, coding, model, act, K, Q; ``--plots DIR`` writes
the spikes-per-neuron histogram and accuracy against K (``net_<model>_<act>_<coding>_*.png``).
"""

from pathlib import Path

from common.checks import arg, check_float, check_int, check_output_dir, check_output_file
from common.cli import AtomicFiles, CLIError, dumps_json

DESCRIPTION = __doc__.splitlines()[0].split(": ", 1)[1] + """

Without --Q the float spiking network runs; with --Q the exact integer network (Q-bit neuron
parameters, --weight-bits weights). K is the FS neuron's time steps, the AMOS unit's gates, or
the TSC frame length N (defaults: FS relu 10, silu 16; AMOS relu 10, silu 12; TSC 64).
--coding if converts the ReLU MLP to rate-coded integrate-and-fire neurons (subtractive reset,
N = 2^K - 1 time steps, default K 10: the output precision of FS with K steps), integer only
(give --Q).
--coding tsc runs the framed TSC neuron by default (--tsc-mode stream: the neuron that answers
within the frame, fine-tuned through its dynamics by default); --json then adds tsc_mode and
frame_steps."""


def add_arguments(p):
    from quant.fixed import Q_MAX, Q_MIN
    from quant.params import VARIANTS

    from .models import MODELS
    from .units import CODINGS, NEURON_ACTS

    p.add_argument("--model", choices=MODELS, default="mlp",
                   help="mlp (64-64-32-10) or cnn (conv, average pooling); default mlp")
    p.add_argument("--act", choices=NEURON_ACTS, default="relu", help="activation (default relu)")
    p.add_argument("--coding", choices=CODINGS, default="fs",
                   help="fs (FS neurons), amos (AMOS units), tsc (TSC neurons) or if "
                        "(rate-coded integrate-and-fire, the baseline); default fs")
    p.add_argument("--params", choices=sorted(VARIANTS), default=None,
                   help="a shipped variant of the FS SiLU parameter sets: lowspike "
                        "(quant/params/silu_K<K>_lowspike[_Q<Q>].json, spike-aware training; "
                        "default: the plain sets)")
    p.add_argument("--K", type=arg(check_int, "--K"), default=None,
                   help="FS steps / AMOS gates / TSC steps per frame / IF: 2^K - 1 steps "
                        "(default per coding)")
    p.add_argument("--Q", type=arg(check_int, "--Q", Q_MIN, Q_MAX), default=None,
                   help="run the exact integer network with Q-bit neuron parameters "
                        "(4..16; default: the float network)")
    p.add_argument("--weight-bits", type=arg(check_int, "--weight-bits"), default=8,
                   metavar="B",
                   help="weight code width of the integer network (default 8)")
    p.add_argument("--tsc-mode", choices=("framed", "stream"), default=None,
                   help="TSC neuron: framed (default; on-time = frame input / theta, sent in "
                        "the next frame) or stream (answers within the frame)")
    p.add_argument("--tsc-alpha", type=arg(check_float, "--tsc-alpha"), default=None,
                   metavar="A",
                   help="TSC threshold balancing: theta = A * max input over the training "
                        "images (default: framed, the A of 1.0, 0.9, ..., 0.5 whose network "
                        "classifies the training split best; stream, 0.8, or 0.1 as the start "
                        "of the fine-tuning)")
    p.add_argument("--tsc-train", type=arg(check_int, "--tsc-train", 0), default=None,
                   metavar="EPOCHS",
                   help="TSC stream mode: fine-tune the converted network through the TSC "
                        "dynamics for EPOCHS epochs (default 30; 0: threshold balancing only)")
    p.add_argument("--seed", type=arg(check_int, "--seed", 0), default=0,
                   help="training seed (default 0)")
    p.add_argument("--epochs", type=arg(check_int, "--epochs", 1), default=40,
                   help="training epochs (default 40)")
    p.add_argument("--retrain", action="store_true",
                   help="train the ANN afresh instead of reading the shipped weights "
                        "(net/weights, trained with the default --seed 0 --epochs 40)")
    p.add_argument("--json", type=arg(check_output_file, "--json"), metavar="FILE",
                   help="write the figures as JSON")
    p.add_argument("--plots", type=arg(check_output_dir, "--plots"), metavar="DIR",
                   help="write the spike histogram and accuracy-vs-K PNGs into DIR")
    p.add_argument("--sweep-K", type=arg(check_int, "--sweep-K"), nargs="+", metavar="K",
                   default=None,
                   help="K values of the accuracy-vs-K plot (default per coding)")
    p.add_argument("--export", type=arg(check_output_file, "--export"), metavar="FILE",
                   help="write the integer network (weight codes, formats, neuron parameters) "
                        "as JSON (needs --Q; fs, amos or if)")
    p.add_argument("--device", default="cpu",
                   help="torch device of the simulations: cpu (default), cuda, cuda:N")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def _check_device(text):
    import torch

    try:
        dev = torch.device(text)
    except (RuntimeError, ValueError):
        raise CLIError(f"--device: {text!r} is not a torch device") from None
    if dev.type not in ("cpu", "cuda"):
        raise CLIError(f"--device: {text!r} is neither cpu nor cuda")
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise CLIError(f"--device {text}: CUDA is not available here")
    return str(dev)


def _config(args):
    from .experiment import Config
    from .train import TrainConfig

    if args.tsc_alpha is not None and args.coding != "tsc":
        raise CLIError("--tsc-alpha applies to --coding tsc only")
    if args.tsc_mode is not None and args.coding != "tsc":
        raise CLIError("--tsc-mode applies to --coding tsc only")
    if args.tsc_train is not None and args.coding != "tsc":
        raise CLIError("--tsc-train applies to --coding tsc only")
    if args.tsc_train and args.tsc_mode in (None, "framed"):
        raise CLIError("--tsc-train fine-tunes the stream-mode network: give --tsc-mode stream")
    return Config(model=args.model, act=args.act, coding=args.coding, K=args.K, Q=args.Q,
                  weight_bits=args.weight_bits, tsc_alpha=args.tsc_alpha,
                  tsc_train=args.tsc_train, tsc_mode=args.tsc_mode, params=args.params,
                  train=TrainConfig(epochs=args.epochs, seed=args.seed))


def format_table(result):
    """The printed table of one run."""
    c = result.config
    rows = [("ANN (float32)", f"{result.ann_accuracy:.2f}", "-", "-", "-")]
    kind = {"fs": "FS", "amos": "AMOS", "tsc": f"TSC {c.tsc_mode}", "if": "IF"}[c.coding]
    steps = str(result.time_steps)
    rate = f"{result.images_per_step:.4g}"
    if result.float_accuracy is not None or not c.is_int:
        acc = result.float_accuracy if c.is_int else result.snn_accuracy
        sp = result.float_spikes if c.is_int else result.spikes_per_neuron
        rows.append((f"SNN {kind} float", f"{acc:.2f}", f"{sp:.3f}", steps, rate))
    if c.is_int:
        q = "" if c.act == "relu" or c.coding == "tsc" else f"Q={c.Q} params, "
        rows.append((f"SNN {kind} integer ({q}{c.weight_bits}-bit weights)",
                     f"{result.snn_accuracy:.2f}", f"{result.spikes_per_neuron:.3f}", steps,
                     rate))
    head = ("network", "accuracy %", "spikes/neuron", "time steps", "images/step")
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(5)]
    k_name = "N" if c.coding == "tsc" else "K"
    lines = [f"digits {c.model}-{c.act}, {kind}, {k_name}={c.K}"
             + (f", Q={c.Q}" if c.is_int else "")
             + f": {result.neurons} neurons in {result.neuron_layers} layers, "
               f"{len(result.spike_counts)} test images",
             f"parameters: {result.source}"]
    fmt = "  ".join("{:<%d}" % widths[0] if i == 0 else "{:>%d}" % widths[i] for i in range(5))
    lines.append(fmt.format(*head))
    lines.append(fmt.format(*("-" * w for w in widths)))
    lines += [fmt.format(*r) for r in rows]
    if c.coding == "if":
        lines.append(f"IF network: {result.spikes_per_neuron * result.neurons:.2f} spikes per "
                     f"image ({result.neurons} neurons), {result.time_steps} time steps of every "
                     f"layer per image")
    if "input_spikes_per_pixel" in result.extra:
        lines.append(f"TSC input encoder: {result.extra['input_spikes_per_pixel']:.3f} spikes "
                     f"per pixel")
    return "\n".join(lines)


def default_sweep(config):
    """K values of the accuracy-vs-K plot: every K with parameters, in a useful range."""
    from quant.params import list_shipped

    if config.coding == "tsc":
        return [8, 16, 32, 64, 128]
    if config.coding == "if":
        return [2, 4, 6, 8, 10]
    if config.act == "relu":
        return [2, 4, 6, 8, 10, 12, 14, 16]
    Ks = set()
    names = list_shipped(config.act + "_")
    if config.coding == "amos":
        names += list_shipped("amos_" + config.act + "_")
    for name in names:
        parts = name.split("_")
        k = [p for p in parts if p.startswith("K")]
        if k and k[0][1:].isdigit():
            Ks.add(int(k[0][1:]))
    Ks.add(config.K)
    return sorted(Ks)


def sweep(config, Ks, trained, device="cpu", show_progress=True):
    """(float accuracies, integer accuracies, spikes) per K; None where a K has no set."""
    from dataclasses import replace

    from common.cli import progress
    from .experiment import run

    acc_f, acc_i, sp_f, sp_i = [], [], [], []
    with progress(Ks, desc="sweep K", disable=not show_progress, leave=False) as bar:
        for K in bar:
            try:
                cfg = replace(config, K=K)
                cfg.check_params()
            except ValueError:
                acc_f.append(None), acc_i.append(None), sp_f.append(None), sp_i.append(None)
                continue
            r = run(cfg, trained, show_progress=False, device=device)
            if cfg.is_int:
                acc_i.append(r.snn_accuracy)
                sp_i.append(r.spikes_per_neuron)
                acc_f.append(r.float_accuracy)
                sp_f.append(r.float_spikes)
            else:
                acc_f.append(r.snn_accuracy)
                sp_f.append(r.spikes_per_neuron)
                acc_i.append(None)
                sp_i.append(None)
    return acc_f, acc_i, sp_f, sp_i


def plot_files(result, trained, Ks, plot_dir, device="cpu", show_progress=True):
    """{path: png bytes} of the two plots of a run."""
    from . import plots

    c = result.config
    act = c.act + (f"_{c.params}" if c.params else "")
    stem = Path(plot_dir) / f"net_{c.model}_{act}_{c.coding}"
    kind = {"fs": "FS", "amos": "AMOS", "tsc": "TSC", "if": "IF"}[c.coding]
    mode = "integer" if c.is_int else "float"
    files = {}
    files[f"{stem}_spikes.png"] = plots.spike_histogram(
        f"{c.model}-{c.act} {kind} {mode}, K={c.K}: spikes per neuron",
        result.spike_counts, max_spikes=None)
    acc_f, acc_i, sp_f, sp_i = sweep(c, Ks, trained, device, show_progress)
    curves = {f"SNN {kind} float": acc_f}
    spikes = {f"SNN {kind} float": sp_f}
    if c.is_int:
        curves[f"SNN {kind} integer"] = acc_i
        spikes[f"SNN {kind} integer"] = sp_i
    files[f"{stem}_acc_vs_K.png"] = plots.accuracy_vs_K(
        f"{c.model}-{c.act} {kind}: accuracy vs {'N' if c.coding == 'tsc' else 'K'}", Ks,
        curves, result.ann_accuracy, spikes,
        xlabel="N (steps per frame)" if c.coding == "tsc" else "K")
    return files


def run(args):
    # every check before the slow part (torch, training), so bad input costs nothing; the
    # ranges of K, Q and the weight bits depend on the coding: net.experiment.Config checks them
    config = _config(args)
    Ks = args.sweep_K
    if Ks is not None:
        from dataclasses import replace
        for K in Ks:
            replace(config, K=K)          # raises InputError for a K out of range
    config.check_params()
    if args.export is not None and (not config.is_int or config.coding == "tsc"):
        raise CLIError("--export needs the integer FS, AMOS or IF network (give --Q; not tsc)")
    device = _check_device(args.device)

    from .experiment import run as run_experiment, train_cached

    show = not args.quiet
    trained = train_cached(config.model, config.act, config.train, show_progress=show,
                           retrain=args.retrain)
    result = run_experiment(config, trained, show_progress=show, device=device)
    print(format_table(result))

    files = AtomicFiles()
    if args.json is not None:
        files.add(args.json, dumps_json(result.to_json()))
    if args.export is not None:
        from .export import export_text
        files.add(args.export, export_text(config, trained))
    if args.plots is not None:
        for path, data in plot_files(result, trained, Ks or default_sweep(config), args.plots,
                                     device, show).items():
            files.add(path, data)
    files.commit()
    for path in files.paths:
        print(f"wrote {path}")
    return 0
