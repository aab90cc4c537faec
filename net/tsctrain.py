"""Fine-tuning a converted stream-mode TSC network through its exact dynamics (backpropagation
through time with a surrogate derivative).

Why
    Threshold balancing (:class:`net.tscnet.TSCNet`) assumes a neuron's on-time (pos to neg)
    is proportional to the input it integrates. For the stream neuron (:mod:`sim.tsc.stream`)
    it is not: the neuron sends ``neg`` at the first step after its first spike on which it
    does not cross the threshold, so it stays on only while its current keeps V above theta.
    Its on-time is nearly binary (one step, or until the frame ends), whatever the integrated
    input, and the converted network computes something else than the ANN. No choice of
    thresholds fixes that; the weights have to be trained for that neuron. (The framed neuron,
    :mod:`sim.tsc.framed`, converts by threshold balancing alone and is not trained here.)

What is trained
    The weights of every TSC layer (the unrolled dense maps with their bias column) and of the
    read-out, starting from a threshold-balanced conversion. Each layer's weights are trained
    divided by its threshold, with theta = 1: a TSC layer's spikes do not change when W and
    theta are scaled together, so thresholds (per layer or per neuron) are redundant with the
    weights and are not trained separately. The integer network has the threshold ``2^s``
    (s: the layer's weight exponent), exactly 1 in weight units.

Forward and backward
    :func:`tsc_torch` runs the per-step semantics of :func:`sim.tsc.tsc_float` in float64, in the
    same order of operations: ``I += W (pos - neg)``; ``V += I``; ``s = [V >= theta]``; soft
    reset; pos/neg/firing/done. The Heaviside step gets a surrogate derivative (fast sigmoid,
    ``1 / (1 + k |V - theta| / theta)^2``); the soft reset is held constant in the backward pass.
    The pos/neg/firing/done logic is passed straight through by two exact identities: the
    firing state after step t is ``(1 - done(t-1)) s(t)``, and the next layer's current is W
    times the input on-states. The backward pass uses them with ``done`` constant, so a spike at
    step t adds one step of on-time, and its weight to the next layer's current at step t. The
    read-out is ``sum_m w_m D_m``, D the on-time (the sum over the frame of the firing state),
    as in :meth:`net.tscnet.TSCNet.forward`.

Quantization-aware training
    With ``weight_bits`` the forward uses the weights the integer network will have,
    ``rint(W 2^s) 2^-s`` with s as in :func:`net.snn.quantize_weights` (straight-through
    gradient). Then every current and membrane is a small dyadic number, exact in float64, and
    the training forward equals the exact integer network (:class:`sim.tsc.TSCLayer`) spike for
    spike.

Training: Adam, cosine learning-rate decay, cross-entropy on the read-out sums divided by
N - 1 (the read-out is first scaled so those have unit standard deviation over the training
images), mini-batches from a seeded generator, Gaussian pixel jitter (``noise``, clipped to
[0, 1]) before the TSC encoder, float64, one torch thread. Training images only, and no
selection: the last epoch's weights are kept. The defaults (and the starting conversion,
:data:`net.tscnet.FINETUNE_ALPHA`) were chosen by 3-fold cross-validation on the training
split (MLP, N = 16), never on the test split.
"""

from dataclasses import dataclass

import numpy as np

from common.cli import progress as progress_bar
from .threads import one_thread

__all__ = ["TSCTrainConfig", "tsc_torch", "network_torch", "fake_quant", "encode_drive",
           "finetune", "DEFAULT_EPOCHS"]

#: Fine-tuning epochs of ``python -m net digits --coding tsc`` (``--tsc-train``).
DEFAULT_EPOCHS = 30


@dataclass(frozen=True)
class TSCTrainConfig:
    """Fine-tuning hyper-parameters.

    ``surrogate`` is the sharpness k of the surrogate derivative of the Heaviside step,
    ``1 / (1 + k |V - theta| / theta)^2``; ``noise`` the standard deviation of the pixel jitter
    (pixels in [0, 1]; 0: none).
    """

    epochs: int = DEFAULT_EPOCHS
    lr: float = 1e-2
    batch: int = 64
    seed: int = 0
    surrogate: float = 5.0
    noise: float = 0.05

    def __post_init__(self):
        for name in ("epochs", "batch"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"TSC fine-tuning {name} must be a positive integer, not {v!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"TSC fine-tuning seed must be a non-negative integer, "
                             f"not {self.seed!r}")
        if isinstance(self.noise, bool) or not isinstance(self.noise, (int, float)) or not (
                np.isfinite(self.noise) and self.noise >= 0):
            raise ValueError(f"TSC fine-tuning noise must be a number >= 0, not {self.noise!r}")
        for name in ("lr", "surrogate"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not (np.isfinite(v)
                                                                              and v > 0):
                raise ValueError(f"TSC fine-tuning {name} must be a positive number, not {v!r}")


def _spike_fn():
    import torch

    class Spike(torch.autograd.Function):
        """Heaviside ``[x >= 0]`` forward; ``1 / (1 + k |x|)^2`` backward (x = (V-theta)/theta)."""

        @staticmethod
        def forward(ctx, x, k):
            ctx.save_for_backward(x)
            ctx.k = k
            return (x >= 0).to(x.dtype)

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad / (1.0 + ctx.k * x.abs()) ** 2, None

    return Spike.apply


def fake_quant(W, bits):
    """``rint(W 2^s) 2^-s`` with the exponent s of :func:`net.snn.quantize_weights`
    (largest with ``max |W| 2^s <= 2^(bits-1) - 1``); straight-through gradient."""
    import math

    import torch

    top = (1 << (int(bits) - 1)) - 1
    m = float(W.detach().abs().max())
    if m == 0.0:
        return W
    s = math.floor(math.log2(top / m))
    while m * 2.0 ** s > top:
        s -= 1
    q = torch.round(W.detach() * 2.0 ** s) * 2.0 ** -s
    return W + (q - W).detach()


def _ste_zero(x):
    """Zero in value, identity in gradient."""
    return x - x.detach()


def tsc_torch(W, theta, drive, on=None, surrogate=5.0, spike=None):
    """One TSC layer over a frame, in torch: the forward of :func:`sim.tsc.tsc_float`.

    Parameters
    ----------
    W : tensor (L, M)
    theta : float or tensor (L,)
    drive : tensor (B, T, M)
        ``pos - neg`` of the input channels at every step (one frame from step 0), exact 0/+-1.
    on : tensor (B, T, M), optional
        The input channels' on-states (``cumsum(drive)`` in value), carrying the gradient to
        the layer below.
    surrogate : float
        Sharpness of the surrogate derivative.

    Returns
    -------
    out : tensor (B, T, L)
        ``pos - neg`` of the layer's spikes (the next layer's drive), exact, no gradient.
    on : tensor (B, T, L)
        The firing state after every step, with gradient; its sum over T is the on-time D
        (``tsc_durations``).

    Notes
    -----
    The firing state after step t is exactly ``(1 - done(t-1)) s(t)`` (a neuron that is not
    done is on exactly when it crosses the threshold), and the next layer's current is
    ``W`` times the on-states (the running sum of ``pos - neg``). The backward pass uses those
    two identities with ``done`` held constant (straight-through for the pos/neg/firing/done
    logic): a spike at step t adds one step of on-time and ``w`` to the next layer's current at
    step t. The forward values are the exact ones: the current is the running sum of
    ``W (pos - neg)``, as in :func:`sim.tsc.tsc_float`.
    """
    import torch

    if spike is None:
        spike = _spike_fn()
    B, T, _ = drive.shape
    L = W.shape[0]
    # I after each step: I += W (pos - neg), summed in the order of tsc_float
    current = torch.cumsum(drive @ W.T, dim=1)
    if on is not None:
        current = current + _ste_zero(on) @ W.detach().T
    V = drive.new_zeros(B, L)
    firing = drive.new_zeros(B, L)
    done = drive.new_zeros(B, L)
    outs, ons = [], []
    for t in range(T):
        V = V + current[:, t]
        s = spike((V - theta) / theta, surrogate)      # [V >= theta]
        V = V - theta * s.detach()                      # soft reset (constant in backward)
        ons.append((1.0 - done) * s)                    # == firing after this step
        with torch.no_grad():
            p = (1.0 - done) * (1.0 - firing) * s
            n = firing * (1.0 - s)
            firing = firing + p - n
            done = done + n
        outs.append(p - n)
    return torch.stack(outs, dim=1), torch.stack(ons, dim=1)


def _bias_drive(B, N, like):
    """The always-on bias channel (``tsc_encode(1)``: pos at step 0, neg at step N-1)."""
    d = like.new_zeros(B, N, 1)
    d[:, 0] = 1.0
    d[:, N - 1] -= 1.0
    return d


def network_torch(weights, readout, drive, weight_bits=None, surrogate=5.0, spike=None):
    """The whole TSC network in torch, every threshold 1.

    Parameters
    ----------
    weights : list of tensor (L_k, M_k + 1)
        TSC layers, the last column the bias channel's weight.
    readout : tensor (10, L + 1)
    drive : tensor (B, N, 65)
        ``pos - neg`` of the encoded pixels and the bias channel (:func:`encode_drive`).
    weight_bits : int or None
        Use the weights of the integer network with codes of that width (:func:`fake_quant`).

    Returns
    -------
    logits : tensor (B, 10)
        ``D @ readout.T``, D the on-times of the last layer (and N-1 for its bias channel).
    on_times : list of tensor (B, L_k)
        D of every layer.
    spikes : list of tensor (B, L_k)
        pos and neg spikes of every neuron (0, 1 or 2).
    """
    import torch

    if spike is None:
        spike = _spike_fn()
    B, N, _ = drive.shape
    on_in, on_times, spikes = None, [], []
    for W in weights:
        Wq = fake_quant(W, weight_bits) if weight_bits is not None else W
        out, on = tsc_torch(Wq, 1.0, drive, on_in, surrogate, spike)
        on_times.append(on.sum(dim=1))
        spikes.append(out.abs().sum(dim=1))
        bias = _bias_drive(B, N, out)
        drive = torch.cat([out, bias], dim=2)
        on_in = torch.cat([on, torch.cumsum(bias, dim=1)], dim=2)
    D = torch.cat([on_times[-1], drive.new_full((B, 1), float(N - 1))], dim=1)
    R = fake_quant(readout, weight_bits) if weight_bits is not None else readout
    return D @ R.T, on_times, spikes


def encode_drive(net, x):
    """``pos - neg`` of the TSC-encoded pixels with the bias channel, float64 (n, N, 65)."""
    pos, neg = net._encode(np.asarray(x, dtype=np.float64))
    return pos.astype(np.float64) - neg.astype(np.float64)


def finetune(net, x_train, y_train, config=TSCTrainConfig(), weight_bits=None,
             show_progress=True):
    """Fine-tune a float :class:`net.tscnet.TSCNet` on training images.

    Parameters
    ----------
    net : TSCNet
        A float conversion (``weight_bits`` None): the starting point.
    x_train : ndarray (n, 64)
        Pixel values in [0, 1] (training images only).
    y_train : ndarray (n,)
    config : TSCTrainConfig
    weight_bits : int or None
        Train against the weights of the integer network with codes of that width.

    Returns
    -------
    weights : list of ndarray
        Per TSC layer, the ``(L, M+1)`` float64 weights for threshold 1.
    readout : ndarray (10, L+1)
        Read-out weights on the on-times D (in steps).
    """
    if net.weight_bits is not None:
        raise ValueError("fine-tuning starts from the float TSC conversion (weight_bits None)")
    if net.mode != "stream":
        raise ValueError(f"fine-tuning trains a stream-mode TSC network, not {net.mode!r}")
    x_train = np.asarray(x_train, dtype=np.float64)
    y_train = np.asarray(y_train)
    if x_train.ndim != 2 or len(x_train) != len(y_train) or len(y_train) == 0:
        raise ValueError(f"x_train {x_train.shape} and y_train {y_train.shape} do not match")
    with one_thread():
        return _finetune(net, x_train, y_train, config, weight_bits, show_progress)


def _finetune(net, x_train, y_train, config, weight_bits, show_progress):
    import torch

    N = net.N
    torch.manual_seed(config.seed)
    gen = torch.Generator().manual_seed(config.seed)
    spike = _spike_fn()
    drive_all = torch.tensor(encode_drive(net, x_train))
    y = torch.tensor(y_train, dtype=torch.int64)
    weights = [torch.tensor(np.asarray(W, dtype=np.float64) / float(th), requires_grad=True)
               for W, th in zip(net.weights, net.thresholds)]
    # the converted read-out's sums are in units of the ANN's logits / S: scale them to unit
    # spread, where cross-entropy has useful gradients
    with torch.no_grad():
        readout = torch.tensor(np.asarray(net.readout, dtype=np.float64))
        logits, _, _ = network_torch(weights, readout, drive_all, None, config.surrogate, spike)
        spread = float((logits / (N - 1)).std())
        readout = readout / (spread if spread > 0 else 1.0)
    readout.requires_grad_(True)
    params = weights + [readout]
    n = len(y)
    steps = config.epochs * ((n + config.batch - 1) // config.batch)
    opt = torch.optim.Adam(params, lr=config.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    with progress_bar(range(config.epochs), desc=f"fine-tune TSC N={N}", unit="epoch",
                      disable=not show_progress, leave=False) as epochs:
        for _ in epochs:
            order = torch.randperm(n, generator=gen)
            total, right = 0.0, 0
            for start in range(0, n, config.batch):
                idx = order[start:start + config.batch]
                drive = drive_all[idx]
                if config.noise:
                    # pixel jitter (Gaussian, clipped to [0, 1]): the input on-times move by a
                    # step or two, as they would for images not in the training set
                    jitter = torch.randn(len(idx), x_train.shape[1], generator=gen,
                                         dtype=torch.float64).numpy()
                    xb = np.clip(x_train[idx.numpy()] + config.noise * jitter, 0.0, 1.0)
                    drive = torch.tensor(encode_drive(net, xb))
                logits, _, _ = network_torch(weights, readout, drive, weight_bits,
                                             config.surrogate, spike)
                loss = torch.nn.functional.cross_entropy(logits / (N - 1), y[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
                total += float(loss.detach()) * len(idx)
                right += int((logits.detach().argmax(1) == y[idx]).sum())
            if hasattr(epochs, "set_postfix"):
                epochs.set_postfix(loss=f"{total / n:.4f}", train=f"{100.0 * right / n:.1f}%")
    return [W.detach().numpy().copy() for W in weights], readout.detach().numpy().copy()
