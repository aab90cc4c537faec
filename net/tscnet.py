"""TSC conversion: the ANN as a stack of TSC layers (:mod:`sim.tsc`), driven by the TSC input
encoder, thresholds set by layer-wise threshold balancing (:mod:`net.tscconvert`).

How the ANN maps onto TSC layers
    * The linear part between two neuron layers (linear, conv, average pooling, reshapes) is one
      affine map ``y = A x + c``; it is unrolled into a dense ``A`` (a TSC layer is an L x M
      weight matrix), exactly, by pushing the identity through it. Pooling thereby folds into
      the next layer's weights.
    * A TSC value is an on-time: an input channel on for D steps adds ``w D`` to the membrane.
      Pixels p in [0, 1] are encoded by :func:`sim.tsc.tsc_encode` (on for
      ``floor(p (N-1))`` steps). The bias becomes one more input channel that is always on
      (``tsc_encode(1)``: on for N-1 steps), with weight ``c_l / S_(l-1)``, where ``S_l`` is the
      real value of "on for N-1 steps" at the output of layer l: ``S_0 = 1`` and
      ``S_l = S_(l-1) theta_l`` (a neuron on for N-1 steps integrated ``(N-1) theta_l``).
    * The read-out layer does not spike: its membrane integrates ``sum_m w_m D_m`` plus the
      bias channel over the frame, and the class is the arg-max of those sums.

The two neuron modes (``mode``)
    * ``framed`` (:mod:`sim.tsc.framed`): a neuron integrates its input over a frame,
      ``V = sum_m w_m D_m``, and sends an on-time ``min(floor(V / theta), N - 1)`` during the
      next frame: a ReLU of its input, quantized to steps of theta and clipped at N - 1. The
      thresholds are balanced as in the TSC paper, ``theta = alpha * max V / (N - 1)`` over
      the training images (:func:`net.tscconvert.max_drive`: the largest input per step, so
      ``alpha = 1`` keeps every on-time of the training data inside the frame). Layers are
      pipelined by frames: ``(layers + 1) N`` steps per inference, one image per N steps.
      The network is computed in that closed form (on-times and membranes, no step loop),
      which is exactly the chain of :class:`sim.tsc.FramedTSCLayer` for the integer network
      (a test checks it spike for spike) and the float model up to the rounding of the sums.
    * ``stream`` (:mod:`sim.tsc.stream`): every layer runs in the same N-step frame (a layer's
      output spikes at step t are the next layer's input at step t), N steps per inference.
      By its neuron rule an on-time is nearly binary, not proportional to the integrated
      input, so the balanced conversion loses accuracy; :meth:`TSCNet.finetuned`
      (:mod:`net.tsctrain`) trains the weights through the exact stream dynamics (surrogate
      gradient), starting from a balanced conversion; every threshold becomes 1 (``2^s`` in the
      integer network) and the forward path is unchanged.

Integer network (``weight_bits`` given): each layer's weights ``[A | bias column]`` become
codes with one power-of-two exponent per layer (:func:`net.snn.quantize_weights`), the
threshold ``threshold_int(theta, exp)`` in the same units; the layers are the exact integer
models (:class:`sim.tsc.TSCLayer`, :class:`sim.tsc.FramedTSCLayer`) of the TSC cores. The
read-out sums are integers too.
"""

import numpy as np

import sim.tsc as tsc
from . import tscconvert
from .graph import apply_linear
from .snn import SimResult, quantize_weights
from .threads import one_thread

__all__ = ["TSCNet", "segments", "unroll", "FINETUNE_BALANCE", "FINETUNE_ALPHA", "MODES",
           "DEFAULT_BALANCE"]

#: The neuron modes.
MODES = tsc.MODES

#: The balancing factors :meth:`TSCNet.balanced` chooses from, by training-split accuracy
#: (1: no training image's on-time is clipped at N - 1; smaller: finer steps, the largest
#: inputs clipped). Ties go to the one nearest the TSC paper's 0.8 (then the larger).
ALPHAS = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5)

#: The max input each mode balances on by default: stream the largest current (the TSC
#: paper's rule), framed the largest frame input per step (the only one it has).
DEFAULT_BALANCE = {"stream": "current", "framed": "drive"}

#: The conversion fine-tuning starts from: drive balancing with alpha 0.1 (chosen by 3-fold
#: cross-validation on the training split, MLP N=16; never on the test split).
FINETUNE_BALANCE = "drive"
FINETUNE_ALPHA = 0.1


def segments(ops):
    """Split the ops at the activations: [(linear ops, act op or None), ...]."""
    out, cur = [], []
    for op in ops:
        if op.kind == "act":
            out.append((cur, op))
            cur = []
        else:
            cur.append(op)
    out.append((cur, None))
    return out


def unroll(seg_ops, in_shape):
    """The affine map of a run of linear ops as a dense (A, c): ``y = A x + c`` on flat x."""
    import torch

    M = int(np.prod(in_shape))
    with torch.no_grad():
        zero = torch.zeros((1,) + tuple(in_shape), dtype=torch.float64)
        eye = torch.eye(M, dtype=torch.float64).reshape((M,) + tuple(in_shape))
        for op in seg_ops:
            zero = apply_linear(op, zero)
            eye = apply_linear(op, eye)
        c = zero.reshape(-1)
        A = (eye.reshape(M, -1) - c).T
    return A.numpy().copy(), c.numpy().copy(), tuple(zero.shape[1:])


class TSCNet:
    """The ANN converted to TSC layers.

    Parameters
    ----------
    ops : list of Op
        The ANN (ReLU activations only: a TSC neuron's on-time cannot go negative).
    N : int
        Steps per frame (>= 2).
    x_calib : ndarray
        Pixel values in [0, 1], shape (n, 64): the data the thresholds are balanced on.
    alpha : float
        Threshold-balancing factor (default 0.8, the TSC paper's).
    weight_bits : int or None
        None: float layers. An int: integer layers with weight codes of that width.
    balance : str, optional
        What "max input" is. ``current`` (stream mode only; the default there): the largest
        current I of the layer over the calibration frames (:func:`net.tscconvert.max_current`).
        ``drive`` (the framed default): the largest total input of a frame per step,
        ``max (W D) / (N-1)`` (:func:`net.tscconvert.max_drive`), i.e. the ANN
        pre-activation in the units of the layer's weights.
    mode : str
        ``stream`` (default) or ``framed`` (see the module docstring).
    """

    def __init__(self, ops, N, x_calib, alpha=None, weight_bits=None, batch=64,
                 balance=None, mode="stream"):
        with one_thread():
            self._build(ops, N, x_calib, alpha, weight_bits, batch, balance, mode)

    def _build(self, ops, N, x_calib, alpha, weight_bits, batch, balance, mode):
        acts = {op.act for op in ops if op.kind == "act"}
        if acts != {"relu"}:
            raise ValueError(f"TSC conversion needs ReLU activations (an on-time is never "
                             f"negative), not {', '.join(sorted(acts))}")
        _check_N(N)
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        balance = DEFAULT_BALANCE[mode] if balance is None else balance
        allowed = ("current", "drive") if mode == "stream" else ("drive",)
        if balance not in allowed:
            raise ValueError(f"{mode} mode balances on {' or '.join(map(repr, allowed))}, "
                             f"not {balance!r}")
        self.N, self.mode, self.balance = int(N), mode, balance
        self.alpha = tscconvert.DEFAULT_ALPHA if alpha is None else float(alpha)
        self.weight_bits = weight_bits
        self.batch = batch
        self.train_config = None
        # unroll every linear segment into a dense affine map
        self.maps = []
        shape = (64,)
        for seg_ops, _ in segments(ops):
            A, c, shape = unroll(seg_ops, shape)
            self.maps.append((A, c))
        # balance layer by layer; the bias becomes an always-on input channel
        self.weights, self.thresholds, self.exps = [], [], []
        S = 1.0
        x_calib = np.asarray(x_calib, dtype=np.float64)
        if mode == "framed":
            inputs = self._encode_on_times(x_calib)
        else:
            inputs = self._encode(x_calib)
        for k, (A, c) in enumerate(self.maps[:-1]):
            W = np.concatenate([A, (c / S)[:, None]], axis=1)
            theta = tscconvert.balance_threshold([self._peak(W, inputs)], self.alpha)
            self._add_layer(W, theta)
            inputs = self._layer(k, *inputs) if mode == "stream" else self._framed_layer(
                k, inputs)
            S *= theta
        A, c = self.maps[-1]
        self._set_readout(np.concatenate([A, (c / S)[:, None]], axis=1))

    def _peak(self, W, inputs):
        """The layer's max input over the calibration data (see ``balance``)."""
        N = self.N
        if self.mode == "framed":
            return float((inputs @ W.T).max()) / (N - 1)
        pos, neg = inputs
        peak = -np.inf
        for s in range(0, len(pos), self.batch):          # in batches: (n, N, L) arrays
            p, n = pos[s:s + self.batch], neg[s:s + self.batch]
            if self.balance == "current":
                peak = max(peak, tscconvert.max_current(W, p, n))
            else:
                peak = max(peak, tscconvert.max_drive(W, p, n))
        return peak

    def _add_layer(self, W, theta):
        """Append a layer: float weights and threshold, or codes and an integer threshold."""
        W = np.asarray(W, dtype=np.float64)
        if self.weight_bits is None:
            self.weights.append(W)
            self.exps.append(None)
            self.thresholds.append(float(theta))
        else:
            codes, exp = quantize_weights(W, self.weight_bits)
            self.weights.append(codes)
            self.exps.append(exp)
            self.thresholds.append(tscconvert.threshold_int(theta, exp))

    def _set_readout(self, R):
        R = np.asarray(R, dtype=np.float64)
        if self.weight_bits is None:
            self.readout, self.readout_exp = R, None
        else:
            self.readout, self.readout_exp = quantize_weights(R, self.weight_bits)

    @classmethod
    def balanced(cls, ops, N, x_train, y_train, weight_bits=None, mode="framed", alphas=ALPHAS):
        """The conversion balanced on ``x_train`` with the alpha of ``alphas`` whose network
        classifies ``x_train`` best; ties go to the alpha nearest the TSC paper's 0.8, then
        to the larger.

        The training split only: the test split plays no part in the choice. The result has
        ``alpha_scores``, {alpha: training accuracy %}.
        """
        from .train import accuracy

        nets, scores = {}, {}
        for alpha in alphas:
            net = cls(ops, N, x_train, alpha=alpha, weight_bits=weight_bits, mode=mode)
            nets[net.alpha] = net
            scores[net.alpha] = accuracy(net.forward(x_train).predictions, y_train)
        paper = tscconvert.DEFAULT_ALPHA
        best = max(scores, key=lambda a: (scores[a], -abs(a - paper), a))
        nets[best].alpha_scores = scores
        return nets[best]

    @classmethod
    def finetuned(cls, ops, N, x_train, y_train, weight_bits=None, config=None, alpha=None,
                  calib=None, show_progress=True):
        """The ANN converted to stream-mode layers, then fine-tuned through the TSC dynamics
        (:mod:`net.tsctrain`).

        Parameters
        ----------
        ops, N :
            As for :class:`TSCNet`.
        x_train, y_train : ndarray
            Training images (pixel values in [0, 1]) and labels: what the weights are trained on.
        weight_bits : int or None
            None: a float network. An int: quantization-aware training, then the integer network
            with weight codes of that width.
        config : net.tsctrain.TSCTrainConfig, optional
        alpha : float, optional
            Balancing factor of the starting conversion (default :data:`FINETUNE_ALPHA`, with
            :data:`FINETUNE_BALANCE` balancing).
        calib : ndarray, optional
            Images the starting conversion is balanced on (default: ``x_train``).
        """
        from .tsctrain import TSCTrainConfig, finetune

        config = TSCTrainConfig() if config is None else config
        alpha = FINETUNE_ALPHA if alpha is None else alpha
        start = cls(ops, N, x_train if calib is None else calib, alpha=alpha,
                    balance=FINETUNE_BALANCE)
        weights, readout = finetune(start, x_train, y_train, config, weight_bits,
                                    show_progress=show_progress)
        net = cls.from_layers(N, weights, [1.0] * len(weights), readout, weight_bits,
                              batch=start.batch)
        net.alpha, net.balance = start.alpha, start.balance
        net.train_config = config
        return net

    @classmethod
    def from_layers(cls, N, weights, thresholds, readout, weight_bits=None, batch=64,
                    mode="stream"):
        """A network from float layers: ``weights[k]`` (L_k, M_k + 1) with the bias column,
        ``thresholds[k]``, the read-out (10, L + 1). With ``weight_bits`` each layer becomes
        codes and an exponent (:func:`net.snn.quantize_weights`) and its threshold
        ``threshold_int(theta, exp)``; the read-out becomes codes."""
        _check_N(N)
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        if len(weights) != len(thresholds) or not weights:
            raise ValueError(f"{len(weights)} weight matrices but {len(thresholds)} thresholds")
        net = cls.__new__(cls)
        net.N, net.batch, net.weight_bits, net.mode = int(N), batch, weight_bits, mode
        net.alpha, net.balance, net.maps, net.train_config = None, None, None, None
        net.weights, net.thresholds, net.exps = [], [], []
        for W, theta in zip(weights, thresholds):
            net._add_layer(W, theta)
        net._set_readout(readout)
        return net

    @property
    def neuron_layers(self):
        return len(self.weights)

    @property
    def time_steps(self):
        """Steps per inference: N (stream: every layer in the same frame) or
        (layers + 1) N (framed: each layer answers in the next frame)."""
        return self.N if self.mode == "stream" else (self.neuron_layers + 1) * self.N

    # ---- stream mode: spike trains through the step models ----------------------------------

    def _encode(self, x):
        """TSC-encode pixels and append the always-on bias channel: (n, N, 65) each."""
        pos, neg = tsc.tsc_encode(x, self.N)
        return self._with_bias(pos, neg)

    def _with_bias(self, pos, neg):
        bp, bn = tsc.tsc_encode(np.ones(1), self.N)          # (N, 1): on for N-1 steps
        shape = pos.shape[:-1] + (1,)
        return (np.concatenate([pos, np.broadcast_to(bp, shape)], axis=-1),
                np.concatenate([neg, np.broadcast_to(bn, shape)], axis=-1))

    def _layer(self, k, pos, neg):
        """Stream layer k on (n, N, M+1) trains; returns the next layer's input (with its
        bias)."""
        W, theta = self.weights[k], self.thresholds[k]
        if self.weight_bits is None:
            outs = [tsc.tsc_float(W, theta, pos[s:s + self.batch], neg[s:s + self.batch])
                    for s in range(0, len(pos), self.batch)]
            op = np.concatenate([o[0] for o in outs])
            on = np.concatenate([o[1] for o in outs])
        else:
            layer = tsc.TSCLayer(W, theta)
            op = np.zeros(pos.shape[:-1] + (W.shape[0],), dtype=bool)
            on = np.zeros_like(op)
            for i in range(len(pos)):
                op[i], on[i] = layer.run(pos[i], neg[i])
        return self._with_bias(op, on)

    # ---- framed mode: on-times and membranes -------------------------------------------------

    def _encode_on_times(self, x):
        """On-times of the TSC-encoded pixels and the bias channel (N - 1): (n, 65) int64."""
        pos, neg = tsc.tsc_encode(x, self.N)
        D = tsc.tsc_durations(pos, neg)
        return np.concatenate([D, np.full((len(D), 1), self.N - 1, dtype=np.int64)], axis=1)

    def membranes(self, k, on_times):
        """Framed layer k's membranes at the end of a frame: ``V = D @ W.T`` (int64 for the
        integer network, exactly the integrated V of :class:`sim.tsc.FramedTSCLayer`)."""
        W = self.weights[k]
        if self.weight_bits is None:
            return on_times.astype(np.float64) @ W.T
        # integers: a float64 product is exact while every partial sum stays below 2^53 (and
        # far faster than numpy's int64 product); beyond that, int64
        bound = int(np.abs(W).sum(axis=1).max()) * int(np.abs(on_times).max(initial=0))
        if bound < 1 << 53:
            return np.rint(on_times.astype(np.float64) @ W.T.astype(np.float64)).astype(np.int64)
        return on_times.astype(np.int64) @ W.T.astype(np.int64)

    def _framed_layer(self, k, on_times):
        """Framed layer k: the next frame's on-times, with the bias channel appended."""
        D = tsc.framed_on_time(self.membranes(k, on_times), self.thresholds[k], self.N)
        return np.concatenate([D, np.full((len(D), 1), self.N - 1, dtype=np.int64)], axis=1)

    # ---- both --------------------------------------------------------------------------------

    def forward(self, x):
        """Run pixel values (n, 64) in [0, 1]; return a :class:`SimResult`.

        ``spikes`` counts every neuron's pos and neg spikes (0, 1 or 2 per frame);
        ``input_spikes`` (an attribute set on the result) those of the input encoder.
        """
        with one_thread():
            x = np.asarray(x, dtype=np.float64)
            pos, neg = tsc.tsc_encode(x, self.N)
            input_spikes = pos.sum(axis=1) + neg.sum(axis=1)
            if self.mode == "framed":
                dur, spikes = self._forward_framed(x)
            else:
                dur, spikes = self._forward_stream(x)
        if self.weight_bits is None:
            logits = dur.astype(np.float64) @ self.readout.T
        else:
            logits = dur.astype(np.int64) @ self.readout.T
        res = SimResult(logits, [s.astype(np.int64) for s in spikes])
        res.input_spikes = input_spikes.astype(np.int64)
        return res

    def _forward_stream(self, x):
        pos, neg = self._encode(x)
        spikes = []
        for k in range(self.neuron_layers):
            pos, neg = self._layer(k, pos, neg)
            spikes.append(pos[..., :-1].sum(axis=1) + neg[..., :-1].sum(axis=1))
        return tsc.tsc_durations(pos, neg), spikes                   # (n, M + 1)

    def _forward_framed(self, x):
        D = self._encode_on_times(x)
        spikes = []
        for k in range(self.neuron_layers):
            D = self._framed_layer(k, D)
            # pos at the emission frame's step 0 and neg at step D: two spikes when D >= 1
            spikes.append(2 * (D[:, :-1] > 0))
        return D, spikes


def _check_N(N):
    if isinstance(N, bool) or not isinstance(N, (int, np.integer)) or N < 2:
        raise ValueError(f"N must be an integer >= 2, not {N!r}")
