"""Seeded, reproducible training of the digits ANNs on the CPU (CUDA when asked).

Adam with a one-cycle learning-rate schedule, cross-entropy plus an L1 penalty on the
activations (sparse activations mean few spikes), mini-batches drawn by a seeded generator:
the same seed gives the same weights, bit for bit, on the same machine (one torch thread).
About 3 s (MLP) and 4 s (CNN) on one CPU core.
"""

from dataclasses import dataclass, asdict

import numpy as np

from common.cli import progress as progress_bar
from . import data as digits
from .models import build, is_activation
from .threads import one_thread

__all__ = ["TrainConfig", "Trained", "train", "accuracy"]


@dataclass(frozen=True)
class TrainConfig:
    """Training hyper-parameters.

    ``activity_l1`` weights an L1 penalty on the activations (mean |a| of every activation
    layer, summed). It makes the activations sparse and small, which is what keeps an FS neuron
    near two spikes (a ReLU neuron's spikes are the binary digits of its output): without it
    the MLP-ReLU at K = 10 averages 2.7 spikes per neuron, with 0.1 about 1.0, and the test
    accuracy goes up, not down (it regularizes).
    """

    epochs: int = 40
    lr: float = 1e-2
    batch: int = 32
    weight_decay: float = 1e-4
    seed: int = 0
    activity_l1: float = 0.1

    def __post_init__(self):
        for name in ("epochs", "batch"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be a positive integer, not {v!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed must be a non-negative integer, not {self.seed!r}")
        if not self.lr > 0:
            raise ValueError(f"lr must be positive, not {self.lr!r}")
        if not self.activity_l1 >= 0:
            raise ValueError(f"activity_l1 must be >= 0, not {self.activity_l1!r}")
        if not self.weight_decay >= 0:
            raise ValueError(f"weight_decay must be >= 0, not {self.weight_decay!r}")


@dataclass
class Trained:
    """A trained ANN and how it was made.

    Attributes
    ----------
    net : torch.nn.Sequential
        The network, in eval mode, on the CPU, float32.
    model, act : str
        ``mlp``/``cnn`` and ``relu``/``silu``.
    config : TrainConfig
    test_accuracy : float
        Percent of the test images classified right.
    """

    net: object
    model: str
    act: str
    config: TrainConfig
    test_accuracy: float

    def describe(self):
        return {"model": self.model, "act": self.act, **asdict(self.config)}


def accuracy(pred, labels):
    """Percent of ``pred`` equal to ``labels``."""
    pred = np.asarray(pred)
    labels = np.asarray(labels)
    return 100.0 * float(np.mean(pred == labels))


def _forward_with_activity(net, x):
    """The logits and the mean |activation| summed over the activation layers."""
    activity = 0.0
    for m in net:
        x = m(x)
        if is_activation(m):
            activity = activity + x.abs().mean()
    return x, activity


def train(model, act, config=TrainConfig(), show_progress=True, device="cpu"):
    """Train one ANN on the digits training split and measure it on the test split."""
    import torch

    split = digits.load()
    # one thread: faster for these tiny nets, and one fixed order of the float reductions
    with one_thread():
        return _train(model, act, config, show_progress, device, split)


def _train(model, act, config, show_progress, device, split):
    import torch

    torch.manual_seed(config.seed)
    net = build(model, act).to(device)
    x = torch.tensor(split.to_float(split.x_train), device=device)
    y = torch.tensor(split.y_train, device=device)
    steps_per_epoch = (len(x) + config.batch - 1) // config.batch
    opt = torch.optim.Adam(net.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, config.lr,
                                                total_steps=config.epochs * steps_per_epoch)
    gen = torch.Generator().manual_seed(config.seed)
    net.train()
    with progress_bar(range(config.epochs), desc=f"train {model}-{act}", unit="epoch",
                      disable=not show_progress, leave=False) as epochs:
        for _ in epochs:
            order = torch.randperm(len(x), generator=gen).to(device)
            total = 0.0
            for start in range(0, len(x), config.batch):
                idx = order[start:start + config.batch]
                logits, activity = _forward_with_activity(net, x[idx])
                loss = torch.nn.functional.cross_entropy(logits, y[idx])
                if config.activity_l1:
                    loss = loss + config.activity_l1 * activity
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
                total += float(loss.detach()) * len(idx)
            if hasattr(epochs, "set_postfix"):
                epochs.set_postfix(loss=f"{total / len(x):.4f}")
    net = net.cpu().eval()
    with torch.no_grad():
        logits = net(torch.tensor(split.to_float(split.x_test)))
    acc = accuracy(logits.argmax(1).numpy(), split.y_test)
    return Trained(net, model, act, config, acc)
