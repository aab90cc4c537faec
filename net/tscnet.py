"""TSC conversion: the ANN as a stack of TSC layers (:mod:`sim.tsc`), driven by the TSC input
encoder, thresholds set by layer-wise threshold balancing.

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
      ``S_l = S_(l-1) theta_l`` (a neuron firing on every step drains ``theta_l`` per step).
    * Thresholds: layer by layer, ``theta_l = alpha * max_current`` over calibration images
      (:func:`sim.tsc.balance_threshold` on :func:`sim.tsc.max_current`; alpha = 0.8 by default,
      as in the TSC paper), each layer balanced on the spikes of the already balanced layers
      below it.
    * The read-out layer does not spike: its membrane integrates ``sum_m w_m D_m`` plus the
      bias channel over the frame, and the class is the arg-max of those sums.
    * Every layer runs in the same N-step frame (a layer's output spikes at step t are the next
      layer's input at step t), so one inference takes N steps and a pipelined network accepts
      one image per N steps.

Fine-tuning (:meth:`TSCNet.finetuned`, :mod:`net.tsctrain`): by the TSC neuron rule a
neuron's on-time is nearly binary, not proportional to its integrated input, so the balanced
conversion loses accuracy. The weights are then trained through the exact TSC dynamics (surrogate
gradient), starting from a balanced conversion; every threshold becomes 1 (``2^s`` in the
integer network) and the forward path below is unchanged.

Integer network (``weight_bits`` given): each layer's weights ``[A | bias column]`` become
codes with one power-of-two exponent per layer (:func:`net.snn.quantize_weights`), the
threshold ``threshold_int(theta, exp)`` in the same units, and the layer runs in
:class:`sim.tsc.TSCLayer`, the exact event-driven model of the TSC core. The read-out sums are
integers too.
"""

import numpy as np

from .graph import apply_linear
from .snn import SimResult, quantize_weights
from .threads import one_thread

__all__ = ["TSCNet", "segments", "unroll", "FINETUNE_BALANCE", "FINETUNE_ALPHA"]

#: The conversion fine-tuning starts from: drive balancing with alpha 0.1 (chosen by 3-fold
#: cross-validation on the training split, MLP N=16; never on the test split).
FINETUNE_BALANCE = "drive"
FINETUNE_ALPHA = 0.1


def _tsc():
    try:
        import sim.tsc as tsc
    except ImportError:
        raise ValueError("TSC conversion needs sim/tsc.py (the TSC golden models), which this "
                         "checkout does not have yet") from None
    return tsc


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
        Threshold-balancing factor (0.8).
    weight_bits : int or None
        None: float layers (:func:`sim.tsc.tsc_float`). An int: integer layers with weight
        codes of that width (:class:`sim.tsc.TSCLayer`).
    balance : str
        ``current`` (default, the TSC paper's rule): max input = the largest current I of the
        layer over the calibration frames (:func:`sim.tsc.max_current`). ``drive``: the largest
        total input of a frame per step, ``max (W D) / (N-1)``, i.e. the ANN pre-activation
        in the units of the layer's weights.
    """

    def __init__(self, ops, N, x_calib, alpha=None, weight_bits=None, batch=64,
                 balance="current"):
        with one_thread():
            self._build(ops, N, x_calib, alpha, weight_bits, batch, balance)

    def _build(self, ops, N, x_calib, alpha, weight_bits, batch, balance):
        tsc = _tsc()
        acts = {op.act for op in ops if op.kind == "act"}
        if acts != {"relu"}:
            raise ValueError(f"TSC conversion needs ReLU activations (an on-time is never "
                             f"negative), not {', '.join(sorted(acts))}")
        if isinstance(N, bool) or not isinstance(N, (int, np.integer)) or N < 2:
            raise ValueError(f"N must be an integer >= 2, not {N!r}")
        if balance not in ("current", "drive"):
            raise ValueError(f"balance must be 'current' or 'drive', not {balance!r}")
        self.N = int(N)
        self.balance = balance
        self.alpha = tsc.DEFAULT_ALPHA if alpha is None else float(alpha)
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
        pos, neg = self._encode(np.asarray(x_calib, dtype=np.float64))
        for k, (A, c) in enumerate(self.maps[:-1]):
            W = np.concatenate([A, (c / S)[:, None]], axis=1)
            peak = -np.inf
            for s in range(0, len(pos), batch):          # in batches: (n, N, L) arrays
                p, n = pos[s:s + batch], neg[s:s + batch]
                if balance == "current":
                    peak = max(peak, tsc.max_current(W, p, n))
                else:
                    # the largest total drive of a frame per step: the ANN pre-activation
                    peak = max(peak, float((tsc.tsc_durations(p, n) @ W.T).max()) / (N - 1))
            theta = tsc.balance_threshold([peak], self.alpha)
            if weight_bits is not None:
                codes, exp = quantize_weights(W, weight_bits)
                self.weights.append(codes)
                self.exps.append(exp)
                self.thresholds.append(tsc.threshold_int(theta, exp))
            else:
                self.weights.append(W)
                self.exps.append(None)
                self.thresholds.append(theta)
            pos, neg = self._layer(k, pos, neg)
            S *= theta
        A, c = self.maps[-1]
        W = np.concatenate([A, (c / S)[:, None]], axis=1)
        if weight_bits is not None:
            codes, exp = quantize_weights(W, weight_bits)
            self.readout, self.readout_exp = codes, exp
        else:
            self.readout, self.readout_exp = W, None

    @classmethod
    def finetuned(cls, ops, N, x_train, y_train, weight_bits=None, config=None, alpha=None,
                  calib=None, show_progress=True):
        """The ANN converted, then fine-tuned through the TSC dynamics (:mod:`net.tsctrain`).

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
    def from_layers(cls, N, weights, thresholds, readout, weight_bits=None, batch=64):
        """A network from float layers: ``weights[k]`` (L_k, M_k + 1) with the bias column,
        ``thresholds[k]``, the read-out (10, L + 1). With ``weight_bits`` each layer becomes
        codes and an exponent (:func:`net.snn.quantize_weights`) and its threshold
        ``threshold_int(theta, exp)``; the read-out becomes codes."""
        tsc = _tsc()
        if isinstance(N, bool) or not isinstance(N, (int, np.integer)) or N < 2:
            raise ValueError(f"N must be an integer >= 2, not {N!r}")
        if len(weights) != len(thresholds) or not weights:
            raise ValueError(f"{len(weights)} weight matrices but {len(thresholds)} thresholds")
        net = cls.__new__(cls)
        net.N, net.batch, net.weight_bits = int(N), batch, weight_bits
        net.alpha, net.balance, net.maps, net.train_config = None, None, None, None
        net.weights, net.thresholds, net.exps = [], [], []
        for W, theta in zip(weights, thresholds):
            W = np.asarray(W, dtype=np.float64)
            if weight_bits is None:
                net.weights.append(W)
                net.exps.append(None)
                net.thresholds.append(float(theta))
            else:
                codes, exp = quantize_weights(W, weight_bits)
                net.weights.append(codes)
                net.exps.append(exp)
                net.thresholds.append(tsc.threshold_int(theta, exp))
        readout = np.asarray(readout, dtype=np.float64)
        if weight_bits is None:
            net.readout, net.readout_exp = readout, None
        else:
            net.readout, net.readout_exp = quantize_weights(readout, weight_bits)
        return net

    @property
    def neuron_layers(self):
        return len(self.weights)

    def _encode(self, x):
        """TSC-encode pixels and append the always-on bias channel: (n, N, 65) each."""
        tsc = _tsc()
        pos, neg = tsc.tsc_encode(x, self.N)
        return self._with_bias(pos, neg)

    def _with_bias(self, pos, neg):
        bp, bn = _tsc().tsc_encode(np.ones(1), self.N)          # (N, 1): on for N-1 steps
        shape = pos.shape[:-1] + (1,)
        return (np.concatenate([pos, np.broadcast_to(bp, shape)], axis=-1),
                np.concatenate([neg, np.broadcast_to(bn, shape)], axis=-1))

    def _layer(self, k, pos, neg):
        """Layer k on (n, N, M+1) trains; returns the next layer's input (with its bias)."""
        tsc = _tsc()
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

    def forward(self, x):
        """Run pixel values (n, 64) in [0, 1]; return a :class:`SimResult`.

        ``spikes`` counts every neuron's pos and neg spikes (0, 1 or 2 per frame);
        ``input_spikes`` (an attribute set on the result) those of the input encoder.
        """
        tsc = _tsc()
        pos, neg = self._encode(np.asarray(x, dtype=np.float64))
        input_spikes = (pos[..., :-1].sum(axis=1) + neg[..., :-1].sum(axis=1))
        spikes = []
        for k in range(self.neuron_layers):
            pos, neg = self._layer(k, pos, neg)
            spikes.append(pos[..., :-1].sum(axis=1) + neg[..., :-1].sum(axis=1))
        dur = tsc.tsc_durations(pos, neg)                            # (n, M + 1)
        if self.weight_bits is None:
            logits = dur.astype(np.float64) @ self.readout.T
        else:
            logits = dur.astype(np.int64) @ self.readout.T
        res = SimResult(logits, [s.astype(np.int64) for s in spikes])
        res.input_spikes = input_spikes.astype(np.int64)
        return res
