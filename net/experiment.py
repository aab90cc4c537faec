"""One conversion run, measured: the ANN, its spiking version, accuracy, spikes and time steps.

:func:`run` is the library behind ``python -m net digits``: it checks the configuration (before
any training, so a bad argument costs nothing), trains the ANN (or takes a trained one),
converts it and runs the test split.

Time steps per inference and throughput when pipelined (one layer per pipeline stage):

* FS: K steps per neuron layer, ``K * layers`` in all; a shared pipeline takes a new image every
  K steps (``1/K`` images per step).
* AMOS: the K gates work side by side, one step per neuron layer; one image per step.
* TSC, framed mode (the default): each layer answers in the frame after its input's,
  ``(layers + 1) N`` steps (the read-out integrates the last layer's frame); a pipeline takes a
  new image every N steps.
* TSC, stream mode: all layers run in the same N-step frame: N steps, one image per N steps.
* IF (rate coding): every layer runs in each of the N = 2^K - 1 steps, N steps per inference;
  a pipeline takes a new image every N steps.
"""

from dataclasses import dataclass, field

import numpy as np

from common.checks import InputError
from quant.fixed import check_Q
from . import data as digits
from .graph import extract, relu_alphas
from .models import ACTIVATIONS, MODELS
from .snn import FloatSNN, IntSNN
from .train import TrainConfig, accuracy, train
from .units import CODINGS, IF_K_MAX, amos_unit, fs_unit, if_unit

__all__ = ["Config", "Result", "run", "default_K", "JSON_KEYS", "train_cached"]

#: The keys of ``--json``, in order (the contract: exactly these; TSC adds :data:`TSC_KEYS`).
JSON_KEYS = ("ann_accuracy", "snn_accuracy", "spikes_per_neuron", "time_steps", "coding",
             "model", "act", "K", "Q")

#: The keys ``--json`` adds for the tsc coding: the neuron mode and N (= K).
TSC_KEYS = ("tsc_mode", "frame_steps")

_DEFAULT_K = {("fs", "relu"): 10, ("fs", "silu"): 16, ("amos", "relu"): 10,
              ("amos", "silu"): 12, ("tsc", "relu"): 64, ("if", "relu"): 10}

#: Training images the stream-mode TSC thresholds are balanced on (the first of the fixed split;
#: the framed mode balances on the whole training split).
TSC_CALIBRATION = 256

#: The TSC neuron mode of ``--coding tsc`` when none is given.
DEFAULT_TSC_MODE = "framed"

#: Largest TSC frame the CLI accepts (the float model holds (images, N, neurons) arrays).
N_MAX = 1024


def default_K(coding, act):
    """K (FS steps, AMOS gates) or N (TSC steps per frame) when none is given."""
    return _DEFAULT_K.get((coding, act), 10)


@dataclass(frozen=True)
class Config:
    """A checked conversion configuration.

    ``K`` is the FS neuron's steps, the AMOS unit's gates, or the TSC frame length N.
    ``tsc_mode``: the TSC neuron mode, ``framed`` (default) or ``stream``. ``tsc_alpha``: the
    balancing factor (None: framed chooses it on the training split, :data:`net.tscnet.ALPHAS`;
    stream uses 0.8, or 0.1 as the start of fine-tuning). ``tsc_train``: epochs of fine-tuning
    the stream-mode network through its dynamics (None: the default,
    :data:`net.tsctrain.DEFAULT_EPOCHS` for stream, 0 for framed; 0: threshold balancing
    only). ``Q``
    selects the integer model: Q-bit neuron parameters and ``weight_bits``-bit weights (ReLU
    and TSC have no parameter codes; for them Q only selects the integer model). Q None: the
    float model. ``params``: a shipped variant of the FS SiLU sets (:data:`quant.params.VARIANTS`,
    e.g. ``lowspike``); None: the plain sets.
    """

    model: str = "mlp"
    act: str = "relu"
    coding: str = "fs"
    K: int = None
    Q: int = None
    weight_bits: int = 8
    tsc_alpha: float = None
    tsc_train: int = None
    tsc_mode: str = None
    train: TrainConfig = TrainConfig()
    params: str = None

    def __post_init__(self):
        if self.model not in MODELS:
            raise InputError(f"unknown model {self.model!r} (choose from {', '.join(MODELS)})")
        if self.act not in ACTIVATIONS:
            raise InputError(f"unknown activation {self.act!r} "
                             f"(choose from {', '.join(ACTIVATIONS)})")
        if self.coding not in CODINGS:
            raise InputError(f"unknown coding {self.coding!r} (choose from {', '.join(CODINGS)})")
        if self.coding == "tsc" and self.act != "relu":
            raise InputError(f"TSC conversion needs --act relu (a TSC on-time cannot be "
                             f"negative), not {self.act}")
        K = default_K(self.coding, self.act) if self.K is None else self.K
        if isinstance(K, bool) or not isinstance(K, (int, np.integer)):
            raise InputError(f"K must be an integer, not {K!r}")
        if self.coding == "if":
            self._check_if(K)
        if self.coding == "tsc" and not 2 <= K <= N_MAX:
            raise InputError(f"TSC needs N = K from 2 to {N_MAX} steps per frame, not {K}")
        if self.coding != "tsc" and not 1 <= K <= 32:
            raise InputError(f"K must be an integer from 1 to 32, not {K}")
        object.__setattr__(self, "K", int(K))
        if self.Q is not None:
            object.__setattr__(self, "Q", check_Q(self.Q))
            if self.Q < 4 and not (self.act == "relu" or self.coding == "tsc"):
                raise InputError(f"Q must be at least 4 for the integer network (codes with "
                                 f"Q-4 fraction bits), not {self.Q}")
        wb = self.weight_bits
        if isinstance(wb, bool) or not isinstance(wb, (int, np.integer)) or not 2 <= wb <= 16:
            raise InputError(f"weight bits must be an integer from 2 to 16, not {wb!r}")
        if self.tsc_alpha is not None and not (0 < float(self.tsc_alpha) <= 4):
            raise InputError(f"TSC alpha must be in (0, 4], not {self.tsc_alpha!r}")
        if self.params is not None and (self.coding != "fs" or self.act != "silu"):
            raise InputError(f"parameter variant {self.params!r} applies to --coding fs "
                             f"--act silu only")
        self._check_tsc()

    def _check_if(self, K):
        """The IF network: the ReLU MLP converted by threshold balancing, integer only."""
        if self.model != "mlp" or self.act != "relu":
            raise InputError(f"IF conversion takes the ReLU MLP only (--model mlp --act relu), "
                             f"not {self.model}-{self.act}")
        if not 1 <= K <= IF_K_MAX:
            raise InputError(f"IF neurons need K from 1 to {IF_K_MAX} (2^K - 1 time steps), "
                             f"not {K}")
        if self.Q is None:
            raise InputError("--coding if runs the exact integer network only: give --Q "
                             "(e.g. --Q 8; ReLU has no parameter codes)")

    def _check_tsc(self):
        """The TSC options: mode, fine-tuning epochs (defaults per mode)."""
        from .tscnet import MODES

        mode = self.tsc_mode
        if mode is not None and self.coding != "tsc":
            raise InputError("the TSC mode applies to the tsc coding only")
        if self.coding == "tsc":
            mode = DEFAULT_TSC_MODE if mode is None else mode
            if mode not in MODES:
                raise InputError(f"TSC mode must be one of {', '.join(MODES)}, not {mode!r}")
            object.__setattr__(self, "tsc_mode", mode)
        ep = self.tsc_train
        if ep is not None:
            if isinstance(ep, bool) or not isinstance(ep, (int, np.integer)) or ep < 0:
                raise InputError(f"TSC fine-tuning epochs must be an integer >= 0, not {ep!r}")
            if self.coding != "tsc":
                raise InputError("TSC fine-tuning applies to the tsc coding only")
            if ep and mode == "framed":
                raise InputError("TSC fine-tuning trains the stream-mode network (TSC mode "
                                 "stream); the framed network converts by threshold balancing")
            object.__setattr__(self, "tsc_train", int(ep))
        elif self.coding == "tsc":
            from .tsctrain import DEFAULT_EPOCHS
            object.__setattr__(self, "tsc_train", DEFAULT_EPOCHS if mode == "stream" else 0)

    @property
    def is_int(self):
        return self.Q is not None

    def unit(self, Q=None):
        """The FS neuron / AMOS unit of this configuration (float, or Q-bit with ``Q``)."""
        if self.params is not None:
            return fs_unit(self.act, self.K, Q, variant=self.params)
        if self.coding == "if":
            return if_unit(self.K, Q)
        make = fs_unit if self.coding == "fs" else amos_unit
        return make(self.act, self.K, Q)

    def check_params(self):
        """Resolve the parameter sets now (a missing set is an error before any training)."""
        if self.coding in ("fs", "amos", "if"):
            self.unit(self.Q)


@dataclass
class Result:
    """The measured figures of one run (``to_json`` gives the ``--json`` contract)."""

    config: Config
    ann_accuracy: float
    snn_accuracy: float
    spikes_per_neuron: float
    time_steps: int
    images_per_step: float
    neurons: int
    neuron_layers: int
    spike_counts: np.ndarray           # (images, neurons) of the reported SNN
    float_accuracy: float = None       # the float SNN, when the reported one is integer
    float_spikes: float = None
    source: str = ""
    extra: dict = field(default_factory=dict)

    def to_json(self):
        c = self.config
        out = {"ann_accuracy": round(self.ann_accuracy, 4),
               "snn_accuracy": round(self.snn_accuracy, 4),
               "spikes_per_neuron": round(self.spikes_per_neuron, 4),
               "time_steps": int(self.time_steps), "coding": c.coding, "model": c.model,
               "act": c.act, "K": c.K, "Q": c.Q}
        if c.coding == "tsc":
            out.update(tsc_mode=c.tsc_mode, frame_steps=c.K)
        return out


_TRAINED = {}


def train_cached(model, act, config=TrainConfig(), show_progress=True, retrain=False):
    """The ANN for (model, act, config), remembered in this process.

    The shipped weights (:mod:`net.shipped`, ``net/weights``) when they were trained with this
    ``config`` and ``retrain`` is false, so every figure reproduces on any machine; otherwise
    :func:`net.train.train`.
    """
    from .shipped import shipped

    key = (model, act, config, bool(retrain))
    if key not in _TRAINED:
        trained = None if retrain else shipped(model, act, config)
        if trained is None:
            trained = train(model, act, config, show_progress=show_progress)
        _TRAINED[key] = trained
    return _TRAINED[key]


def time_steps(coding, K, layers, tsc_mode="stream"):
    """(time steps per inference, images per step when pipelined)."""
    if coding == "fs":
        return K * layers, 1.0 / K
    if coding == "amos":
        return layers, 1.0
    if coding == "if":
        return (1 << K) - 1, 1.0 / ((1 << K) - 1)
    if tsc_mode == "framed":
        return (layers + 1) * K, 1.0 / K
    return K, 1.0 / K


def _float_unit_or_none(config):
    """The float unit beside an integer run, or None when there is no float set for it."""
    try:
        return config.unit(None)
    except ValueError:
        return None


def _tsc_network(config, ops, split, x_train, weight_bits, show_progress):
    """The converted TSC network of a configuration (``weight_bits`` None: float)."""
    from .tscnet import TSCNet
    from .tsctrain import TSCTrainConfig

    if config.tsc_mode == "framed":
        # balanced on the whole training split; alpha, when not given, chosen by the
        # training-split accuracy of the converted network (never the test split)
        if config.tsc_alpha is None:
            return TSCNet.balanced(ops, config.K, x_train, split.y_train,
                                   weight_bits=weight_bits, mode="framed")
        return TSCNet(ops, config.K, x_train, alpha=config.tsc_alpha, weight_bits=weight_bits,
                      mode="framed")
    calib = x_train[:TSC_CALIBRATION]
    if config.tsc_train:
        # trained through the TSC dynamics on the training split (quantization-aware for the
        # integer network), seeded with the ANN's training seed
        tcfg = TSCTrainConfig(epochs=config.tsc_train, seed=config.train.seed)
        return TSCNet.finetuned(ops, config.K, x_train, split.y_train, weight_bits=weight_bits,
                                config=tcfg, alpha=config.tsc_alpha, calib=calib,
                                show_progress=show_progress)
    return TSCNet(ops, config.K, calib, alpha=config.tsc_alpha, weight_bits=weight_bits)


def _tsc_source(config, net):
    """How a TSC network's parameters were made (the table's "parameters")."""
    if config.tsc_train:
        return (f"stream, fine-tuned {config.tsc_train} epochs through the TSC dynamics "
                f"(from {net.balance} balancing, alpha {net.alpha})")
    if config.tsc_mode == "framed":
        how = "given" if config.tsc_alpha is not None else "chosen on the training split"
        return f"framed, threshold balancing, alpha {net.alpha:g} ({how})"
    return f"stream, threshold balancing, alpha {net.alpha:g}"


def run(config, trained=None, show_progress=True, device="cpu", with_float=True):
    """Convert and measure one configuration on the test split; returns a :class:`Result`.

    Parameters
    ----------
    config : Config
    trained : net.train.Trained, optional
        The ANN to convert; trained (and cached for the process) when not given.
    with_float : bool
        For an integer run, also run the float SNN (reported beside it).
    """
    config.check_params()
    if trained is None:
        trained = train_cached(config.model, config.act, config.train, show_progress)
    split = digits.load()
    ops = extract(trained.net)
    x_train = split.to_float(split.x_train)
    x_test = split.to_float(split.x_test)
    layers = sum(op.kind == "act" for op in ops)
    steps, rate = time_steps(config.coding, config.K, layers, config.tsc_mode)
    extra = {}

    if config.coding == "tsc":
        widths = ((None, config.weight_bits) if config.is_int and with_float
                  else ((config.weight_bits,) if config.is_int else (None,)))
        runs = {}
        for wb in widths:
            net = _tsc_network(config, ops, split, x_train, wb, show_progress)
            runs[wb] = (net, net.forward(x_test))
        net, res = runs[config.weight_bits if config.is_int else None]
        extra["input_spikes_per_pixel"] = float(res.input_spikes.mean())
        extra["thresholds"] = [float(t) for t in net.thresholds]
        extra["alpha"] = net.alpha
        if hasattr(net, "alpha_scores"):
            extra["alpha_scores"] = net.alpha_scores
        source = _tsc_source(config, net)
        float_res = runs.get(None, (None, None))[1] if config.is_int else None
    else:
        alphas = relu_alphas(ops, x_train) if config.act == "relu" else None
        if alphas is not None:
            extra["alphas"] = alphas
        float_res = None
        float_unit = config.unit(None) if not config.is_int else _float_unit_or_none(config)
        if float_unit is not None and (not config.is_int or with_float):
            float_res = FloatSNN(ops, float_unit, alphas).forward(x_test, device=device)
        if config.is_int:
            unit = config.unit(config.Q)
            net = IntSNN(ops, unit, alphas, weight_bits=config.weight_bits)
            res = net.forward(split.x_test, device=device)
            extra["layers"] = net.describe()
            source = unit.source
        else:
            res = float_res
            source = config.unit(None).source
    counts = res.spikes_per_neuron()
    out = Result(config, trained.test_accuracy, accuracy(res.predictions, split.y_test),
                 float(counts.mean()), steps, rate, counts.shape[1], layers, counts,
                 source=source, extra=extra)
    if config.is_int and float_res is not None:
        out.float_accuracy = accuracy(float_res.predictions, split.y_test)
        out.float_spikes = float_res.mean_spikes()
    return out
