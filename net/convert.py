"""``python -m net convert``: a model trained elsewhere (ONNX or NIR) to a network file.

Reads MODEL.onnx or MODEL.nir, checks the import against the file's own runtime on the
calibration data (onnxruntime; the ``nir`` package's reading of the graph), calibrates the ReLU
ranges and the input codes, converts every activation to a layer of FS neurons or AMOS units and
writes the integer network as a network file (``--out``, default ``out/<model>.json``) that
``python -m gen network`` turns into hardware. With ``--labels`` it prints the accuracy of the
float model, the float spiking network and the integer one side by side; ``--json FILE`` writes
the figures. docs/import.md is the tutorial.
"""

from pathlib import Path

from common.checks import (InputError, arg, check_float, check_input_file, check_int,
                           check_output_file)
from common.cli import AtomicFiles, CLIError, dumps_json, progress

DESCRIPTION = __doc__.split("\n\n", 1)[0].split(": ", 1)[1] + "\n\n" + \
    __doc__.split("\n\n", 1)[1]


def add_arguments(p):
    p.add_argument("model", type=arg(check_input_file, "MODEL"), metavar="MODEL",
                   help="MODEL.onnx (opset >= 13) or MODEL.nir")
    p.add_argument("--coding", choices=("fs", "amos"), required=True,
                   help="fs (FS neurons) or amos (AMOS units)")
    p.add_argument("--K", type=arg(check_int, "--K", 1, 32), default=None,
                   help="FS steps / AMOS gates (default: relu 10; silu FS 16, AMOS 12; "
                        "sigmoid FS 12, AMOS 8)")
    p.add_argument("--Q", type=arg(check_int, "--Q", 4, 16), default=None,
                   help="neuron parameter code width (default 8; ReLU has no codes)")
    p.add_argument("--weight-bits", type=arg(check_int, "--weight-bits", 2, 16), default=8,
                   metavar="B", help="weight code width (default 8)")
    p.add_argument("--calib", type=arg(check_input_file, "--calib"), required=True,
                   metavar="DATA.npy",
                   help="calibration inputs, float, shape (n, *model input shape)")
    p.add_argument("--labels", type=arg(check_input_file, "--labels"), metavar="LABELS.npy",
                   help="labels of the calibration inputs: report the accuracies")
    p.add_argument("--test", type=arg(check_input_file, "--test"), nargs=2,
                   metavar=("DATA.npy", "LABELS.npy"),
                   help="measure the accuracies on these inputs and labels instead")
    p.add_argument("--input-frac", type=arg(check_int, "--input-frac", 0, 24), default=None,
                   metavar="F", help="fraction bits of the input codes (default: from the data)")
    p.add_argument("--input-range", type=arg(check_float, "--input-range"), nargs=2,
                   default=None, metavar=("LO", "HI"),
                   help="real input range the codes cover (default: the data's min and max)")
    p.add_argument("--alpha-percentile", type=arg(check_float, "--alpha-percentile", 50, 100),
                   default=100.0, metavar="P",
                   help="ReLU range alpha: this percentile of each layer's positive inputs "
                        "(default 100: the maximum)")
    p.add_argument("--if-steps", type=arg(check_int, "--if-steps", 1, 1 << 16), default=None,
                   metavar="N",
                   help="NIR models with --labels/--test: also simulate the IF network itself "
                        "for N steps")
    p.add_argument("--out", type=arg(check_output_file, "--out"), metavar="NET.json",
                   help="network file (default out/<model>.json)")
    p.add_argument("--json", type=arg(check_output_file, "--json"), metavar="FILE",
                   help="write the figures as JSON")
    p.add_argument("--device", default="cpu",
                   help="torch device of the simulations: cpu (default), cuda, cuda:N")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def _check_paths(args):
    model = Path(args.model)
    out = Path(args.out) if args.out else Path("out") / (model.stem + ".json")
    for opt, path in (("--out", out), ("--json", args.json)):
        if path is not None and Path(path).is_dir():
            raise CLIError(f"{opt} {path}: is a directory")
    if args.json is not None and Path(args.json).resolve() == out.resolve():
        raise CLIError("--json and --out name the same file")
    if args.if_steps is not None and model.suffix.lower() != ".nir":
        raise CLIError("--if-steps applies to NIR models only")
    if args.if_steps is not None and args.labels is None and args.test is None:
        raise CLIError("--if-steps needs --labels or --test (it measures accuracy)")
    return out


def run(args):
    from net.cli import _check_device
    from net.importers import check_import, read_model
    from net.importers.conversion import (convert, dumps_network, input_format,
                                          load_calibration, load_labels, network_file)

    out = _check_paths(args)
    show = not args.quiet
    imported = read_model(args.model)
    x = load_calibration(args.calib, imported.input_shape)
    y = load_labels(args.labels, len(x), imported.classes) if args.labels else None
    x_eval, y_eval = (x, y)
    if args.test:
        x_eval = load_calibration(args.test[0], imported.input_shape)
        y_eval = load_labels(args.test[1], len(x_eval), imported.classes, what="--test")
    fmt = input_format(x, args.input_frac, args.input_range)
    device = _check_device(args.device)

    figures = {"model": Path(args.model).name, "format": imported.kind}
    with progress(total=5, desc="convert", disable=not show, leave=False) as bar:
        bar.set_postfix_str("import check")
        check = check_import(imported, x)
        if not check.ok:
            raise InputError(f"{args.model}: import check failed: the imported graph differs "
                             f"from {check.reference} by {check.max_abs_diff:.3g}, more than "
                             f"{check.tolerance:g} of the output range {check.output_range:.3g}")
        figures["import_check"] = check.to_json()
        bar.update()
        bar.set_postfix_str("calibrate")
        conv = convert(imported, x, args.coding, args.K, args.Q, args.weight_bits,
                       args.alpha_percentile, fmt)
        figures["leak"] = _leak_check(imported, x, conv.K)
        bar.update()
        bar.set_postfix_str("network file")
        text = dumps_network(network_file(conv))
        bar.update()
        acc = {}
        if y_eval is not None:
            bar.set_postfix_str("accuracy")
            acc = _accuracies(conv, x_eval, y_eval, args.if_steps, device)
        bar.update(2)
    figures.update(_figures(conv, acc, len(x_eval) if y_eval is not None else None))
    print(format_table(conv, figures))
    files = AtomicFiles({out: text})
    if args.json is not None:
        files.add(args.json, dumps_json(figures))
    files.commit()
    for path in files.paths:
        print(f"wrote {path}")
    return 0


def _leak_check(imported, x, K):
    """NIR LIF layers: the leak figure over the calibration data; refuse a large leak."""
    if imported.kind != "nir":
        return []
    from net.importers.nir import LEAK_LIMIT, leak_figures

    steps = 1 << K
    rows = []
    for name, figure, tau in leak_figures(imported, x.reshape(len(x), -1), steps):
        if figure > LEAK_LIMIT:
            raise InputError(f"node {name!r} (LIF): the leak takes back up to {100 * figure:.3g}% "
                             f"of the membrane charge before a spike over the calibration data "
                             f"(tau {tau:g}, {steps}-step window); LIF converts as IF only when "
                             f"that is at most {100 * LEAK_LIMIT:g}%")
        rows.append({"node": name, "leak": float(f"{figure:.6g}"), "tau": tau})
    return rows


def _accuracies(conv, x, y, if_steps, device):
    import numpy as np
    import torch

    from net.graph import forward_float
    from net.snn import FloatSNN
    from net.train import accuracy

    flat = x.reshape(len(x), -1)
    ops = conv.imported.ops
    with torch.no_grad():
        ann = forward_float(ops, torch.as_tensor(flat)).numpy()
    acc = {"ann": accuracy(ann.argmax(1), y)}
    if conv.float_unit is not None:
        res = FloatSNN(ops, conv.float_unit, conv.alphas).forward(flat, device=device)
        acc["float_snn"] = accuracy(res.predictions, y)
        acc["float_spikes"] = res.mean_spikes()
    res = conv.net.forward(conv.input.codes(x), device=device)
    acc["int_snn"] = accuracy(res.predictions, y)
    acc["int_spikes"] = res.mean_spikes()
    if if_steps is not None:
        from net.importers.nir import simulate

        graph, order = conv.imported.extra["graph"]
        counts = simulate(graph, order, x, if_steps)
        acc["if_network"] = accuracy(np.asarray(counts).argmax(1), y)
        acc["if_steps"] = if_steps
    return acc


def _figures(conv, acc, n_eval):
    from net.experiment import time_steps

    layers = sum(op.kind == "act" for op in conv.imported.ops)
    steps, _ = time_steps(conv.coding, conv.K, layers)
    f = {"coding": conv.coding, "activation": conv.unit.act, "K": conv.K, "Q": conv.Q,
         "weight_bits": conv.weight_bits, "input": conv.input.to_json(),
         "alpha_percentile": conv.alpha_percentile,
         "alphas": [float(f"{a:.6g}") for a in conv.alphas] if conv.alphas else None,
         "neuron_layers": layers, "time_steps": steps, "notes": list(conv.imported.notes)}
    if acc:
        f["eval_images"] = n_eval
        f["accuracy"] = {k: round(float(v), 4) for k, v in acc.items()
                         if k in ("ann", "float_snn", "int_snn", "if_network")}
        f["spikes_per_neuron"] = {k.split("_")[0] + "_snn": round(float(v), 4)
                                  for k, v in acc.items() if k.endswith("_spikes")}
        if "if_steps" in acc:
            f["if_steps"] = acc["if_steps"]
            f["if_time_steps"] = acc["if_steps"]
    return f


def format_table(conv, f):
    """The printed summary of one conversion."""
    kind = "FS" if conv.coding == "fs" else "AMOS"
    ic = f["import_check"]
    lines = [f"{f['model']} ({f['format']}): {f['neuron_layers']} neuron layers, "
             f"{kind}-{conv.unit.act} K={conv.K} Q={conv.Q}, {conv.weight_bits}-bit weights",
             f"import check against {ic['reference']}: max |difference| {ic['max_abs_diff']:.3g} "
             f"(output range {ic['output_range']:.4g}, limit {ic['tolerance']:g} of it)",
             f"input codes: {conv.input.frac} fraction bits, {conv.input.lo}..{conv.input.hi}"
             + (" (signed)" if conv.input.signed else "")]
    lines += [f"note: {n}" for n in f["notes"]]
    lines += [f"LIF {r['node']}: leak {100 * r['leak']:.3g}% of the charge before a spike"
              for r in f["leak"]]
    acc = f.get("accuracy")
    if acc:
        steps = str(f["time_steps"])
        rows = [("float model", f"{acc['ann']:.2f}", "-")]
        if "float_snn" in acc:
            rows.append((f"SNN {kind} float", f"{acc['float_snn']:.2f}", steps))
        rows.append((f"SNN {kind} integer", f"{acc['int_snn']:.2f}", steps))
        if "if_network" in acc:
            rows.append(("IF network (the NIR graph)", f"{acc['if_network']:.2f}",
                         str(f["if_steps"])))
        head = ("network", "accuracy %", "time steps")
        w = [max(len(r[i]) for r in rows + [head]) for i in range(3)]
        lines.append(f"accuracy on {f['eval_images']} inputs:")
        for r in [head, tuple("-" * n for n in w)] + rows:
            lines.append(f"{r[0]:<{w[0]}}  {r[1]:>{w[1]}}  {r[2]:>{w[2]}}")
    return "\n".join(lines)
