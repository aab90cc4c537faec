"""The trained digits ANNs shipped with the repository, and ``python -m net train-weights``.

Training is not bit-reproducible across machines: the same seed gives different float32
reductions with and without AVX-512, so the same command can land on a different network (the
CNN-ReLU at seed 0 scores 99.78 % on one machine and 99.33 % on another). Every figure that
starts from a trained ANN (conversion, the example network files, docs/network.md, README)
therefore starts from the weights shipped in ``net/weights/<model>_<act>.npz``, the four digits
ANNs trained with the default :class:`net.train.TrainConfig` (seed 0, 40 epochs). ``--retrain``
(``python -m net digits``) trains afresh instead; a test checks that retraining lands within one
point of the shipped accuracy.

File format: an ``.npz`` (numpy zip, no pickles) holding the ``state_dict`` arrays (float32)
and ``meta``, a JSON text: ``model``, ``act``, ``train`` (the TrainConfig fields), ``command``
(what made the file), ``test_accuracy`` (percent, on the machine that trained it) and the torch
version. The zip entries carry a fixed date, so the same weights give the same bytes.
"""

import io
import json
import zipfile
from dataclasses import asdict
from pathlib import Path

import numpy as np

from common.cli import AtomicFiles

__all__ = ["WEIGHTS_DIR", "MODELS_SHIPPED", "weights_path", "weights_bytes", "load_weights",
           "shipped", "COMMAND"]

DESCRIPTION = "train the four digits ANNs and write the shipped weights (net/weights)"

WEIGHTS_DIR = Path(__file__).with_name("weights")

#: The ANNs shipped: (model, activation).
MODELS_SHIPPED = (("mlp", "relu"), ("mlp", "silu"), ("cnn", "relu"), ("cnn", "silu"))

#: The command that wrote the shipped files.
COMMAND = "python -m net train-weights"

_DATE = (1980, 1, 1, 0, 0, 0)


def weights_path(model, act, folder=WEIGHTS_DIR):
    return Path(folder) / f"{model}_{act}.npz"


def weights_bytes(trained, command=COMMAND):
    """The ``.npz`` bytes of a :class:`net.train.Trained` (deterministic)."""
    import torch

    meta = {"model": trained.model, "act": trained.act, "train": asdict(trained.config),
            "command": command, "test_accuracy": round(trained.test_accuracy, 4),
            "torch": torch.__version__.split("+")[0]}
    arrays = {k: v.detach().cpu().numpy().astype(np.float32)
              for k, v in trained.net.state_dict().items()}
    arrays["meta"] = np.array(json.dumps(meta, sort_keys=True))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, arr in arrays.items():
            data = io.BytesIO()
            np.lib.format.write_array(data, np.ascontiguousarray(arr), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data.getvalue())
    return buf.getvalue()


def load_weights(path):
    """A :class:`net.train.Trained` from a weights file (its accuracy measured here)."""
    import torch

    from . import data as digits
    from .models import build
    from .train import TrainConfig, Trained, accuracy

    with np.load(path, allow_pickle=False) as z:
        meta = json.loads(str(z["meta"].reshape(-1)[0]))
        state = {k: torch.from_numpy(z[k].copy()) for k in z.files if k != "meta"}
    net = build(meta["model"], meta["act"])
    net.load_state_dict(state)
    net.eval()
    split = digits.load()
    with torch.no_grad():
        logits = net(torch.tensor(split.to_float(split.x_test)))
    acc = accuracy(logits.argmax(1).numpy(), split.y_test)
    return Trained(net, meta["model"], meta["act"], TrainConfig(**meta["train"]), acc)


def shipped(model, act, config):
    """The shipped ANN for (model, act) when it was trained with ``config``, else None."""
    path = weights_path(model, act)
    if not path.exists():
        return None
    trained = load_weights(path)
    return trained if trained.config == config else None


def add_arguments(p):
    p.add_argument("--out", default=str(WEIGHTS_DIR), metavar="DIR",
                   help="where the .npz files go (default net/weights)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def run(args):
    from common.cli import check_out_dir

    from .train import TrainConfig, train

    out = check_out_dir(args.out)
    files = AtomicFiles()
    for model, act in MODELS_SHIPPED:
        trained = train(model, act, TrainConfig(), show_progress=not args.quiet)
        print(f"{model}-{act}: test accuracy {trained.test_accuracy:.2f} %")
        files.add(weights_path(model, act, out), weights_bytes(trained))
    files.commit()
    for path in files.paths:
        print(f"wrote {path}")
    return 0
