"""Network files from trained ANNs, and the shipped examples (``python -m net examples``).

:func:`export_dict` converts a trained digits ANN to the integer network (:class:`net.snn.IntSNN`)
and returns it as a network file (format ``spikegen-snn`` version 1, docs/network-format.md);
``python -m net digits ... --export FILE`` writes one. :data:`EXAMPLES` are the five networks
shipped in ``net/examples/``, made from the shipped ANN weights (:mod:`net.shipped`);
``python -m net examples`` rewrites them and a test checks that it gives the same bytes.
"""

from dataclasses import dataclass
from pathlib import Path

__all__ = ["export_dict", "export_text", "EXAMPLES", "EXAMPLES_DIR", "Example", "example_text"]

DESCRIPTION = "rewrite the example network files net/examples/*.json from the shipped weights"

EXAMPLES_DIR = Path(__file__).with_name("examples")


@dataclass(frozen=True)
class Example:
    """One shipped example network: ``python -m net digits`` options and the file name."""

    name: str
    model: str
    act: str
    coding: str
    K: int
    Q: int = 8

    def command(self):
        return (f"python -m net digits --model {self.model} --act {self.act} --coding "
                f"{self.coding} --K {self.K} --Q {self.Q} --export net/examples/{self.name}.json")

    def config(self):
        from .experiment import Config

        return Config(model=self.model, act=self.act, coding=self.coding, K=self.K, Q=self.Q)


#: The example networks (the seeds' digits MLP and CNN with FS and AMOS neurons; the MLP with
#: rate-coded IF neurons, the baseline).
EXAMPLES = (
    Example("mlp_fs_relu_k10", "mlp", "relu", "fs", 10),
    Example("mlp_fs_silu_k16_q8", "mlp", "silu", "fs", 16),
    Example("cnn_fs_relu_k10", "cnn", "relu", "fs", 10),
    Example("mlp_amos_relu_k10", "mlp", "relu", "amos", 10),
    Example("mlp_if_relu_k10", "mlp", "relu", "if", 10),
)


def export_dict(config, trained):
    """The integer network of ``config`` (integer FS, AMOS or IF) built from ``trained``, as a
    network file's data."""
    from . import data as digits
    from .graph import extract, relu_alphas
    from .snn import IntSNN

    split = digits.load()
    ops = extract(trained.net)
    alphas = relu_alphas(ops, split.to_float(split.x_train)) if config.act == "relu" else None
    net = IntSNN(ops, config.unit(config.Q), alphas, weight_bits=config.weight_bits)
    return net.to_dict(model=config.model, seed=config.train.seed)


def export_text(config, trained):
    """The network file's text, checked by the reader (:mod:`net.netfile`) first."""
    from .netfile import NetworkFileError, dumps, from_dict

    obj = export_dict(config, trained)
    try:
        from_dict(obj, where="exported network")
    except NetworkFileError as exc:       # the exporter's bug, not the user's: keep a traceback
        raise AssertionError(f"the exporter wrote an invalid network: {exc}") from exc
    return dumps(obj)


def example_text(example, show_progress=False):
    """The text of one shipped example, from the shipped weights."""
    from .experiment import train_cached

    config = example.config()
    trained = train_cached(config.model, config.act, config.train, show_progress=show_progress)
    return export_text(config, trained)


def add_arguments(p):
    p.add_argument("--out", default=str(EXAMPLES_DIR), metavar="DIR",
                   help="where the files go (default net/examples)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def run(args):
    from common.cli import AtomicFiles, check_out_dir, progress

    out = check_out_dir(args.out)
    files = AtomicFiles()
    with progress(EXAMPLES, desc="examples", disable=args.quiet, leave=False) as bar:
        for ex in bar:
            files.add(out / f"{ex.name}.json", example_text(ex, show_progress=not args.quiet))
    files.commit()
    for path in files.paths:
        print(f"wrote {path}")
    return 0
