"""ANN to TSC conversion: layer-wise threshold balancing (Han & Roy, ECCV 2020, Sect. 4.1).

The threshold of a layer is ``theta = alpha * max input``, the maximum taken over the layer's
neurons, time steps and a data set, each layer balanced on the spikes of the already balanced
layers below it (the paper's sequential procedure, after Sengupta et al. 2019).

* :func:`balance_threshold` -- ``alpha * max(inputs)``.
* :func:`max_current` -- a stream-mode layer's max input: the largest current I on the data.
* :func:`balance_network` -- a stack of stream-mode layers, balanced one after the other.
* :func:`max_drive` -- a framed layer's max input: the largest frame input per step,
  ``max V / (N - 1)`` (the paper's V_in of Eq. 7, normalized so that ``eta = V_in / theta <= 1``
  is exactly an on-time within the frame, <= N - 1).
* :func:`threshold_int` -- the threshold in integer weight-code units.
"""

import numbers

import numpy as np

from sim.tsc import tsc_durations, tsc_float
from sim.tsc.spikes import as_spikes, first_flags

__all__ = ["balance_threshold", "max_current", "max_drive", "balance_network",
           "threshold_int", "DEFAULT_ALPHA"]

#: Threshold-balancing factor of the TSC paper: theta = 0.8 * max input over the data.
DEFAULT_ALPHA = 0.8




def balance_threshold(inputs, alpha=DEFAULT_ALPHA):
    """Layer-wise threshold balancing: ``theta = alpha * max(inputs)`` over the data.

    ``inputs`` are the values the layer's neurons integrate, collected over a data set: the
    currents I of every neuron at every step (:func:`max_current`) when balancing a spiking
    layer, or the ANN pre-activations ``W x`` when balancing from the source network. alpha
    < 1 (0.8 in the TSC paper) lets neurons driven below the data maximum still fire.
    """
    alpha = float(alpha)
    if not np.isfinite(alpha) or alpha <= 0:
        raise ValueError(f"alpha must be a positive number, not {alpha!r}")
    arr = np.asarray(inputs, dtype=np.float64)
    if arr.size == 0:
        raise ValueError("no inputs to balance the threshold on")
    if not np.all(np.isfinite(arr)):
        raise ValueError("inputs must be finite")
    peak = float(arr.max())
    if peak <= 0:
        raise ValueError(f"the largest input is {peak!r}: no positive threshold balances it")
    return alpha * peak


def max_current(weights, pos, neg, first=None):
    """Largest current I reached by any neuron at any step over a batch of spike trains.

    The current depends only on the input spikes (not on the threshold), so this is the
    layer's "max input over data" for :func:`balance_threshold`.

    Parameters
    ----------
    weights : (L, M)
    pos, neg : (..., T, M) bool
    first : (T,) bool, optional
    """
    w = np.asarray(weights, dtype=np.float64)
    pos, neg = as_spikes(pos, "pos"), as_spikes(neg, "neg")
    if pos.shape != neg.shape or pos.ndim < 2 or w.ndim != 2 or pos.shape[-1] != w.shape[1]:
        raise ValueError(f"pos/neg of shape {pos.shape} do not match weights {w.shape}")
    T = pos.shape[-2]
    flags = first_flags(first, T)
    drive = (pos.astype(np.float64) - neg.astype(np.float64)) @ w.T     # (..., T, L)
    # I restarts from 0 at every frame start (and at step 0: the state starts cleared)
    frame = np.cumsum(flags)
    peak = -np.inf
    for f in np.unique(frame):
        peak = max(peak, float(np.cumsum(drive[..., frame == f, :], axis=-2).max()))
    return peak


def max_drive(weights, pos, neg):
    """A framed layer's max input over a batch of one-frame spike trains: the largest
    ``V / (N - 1)``, V = ``sum_m w[l][m] D_m`` the membrane a neuron integrates over the frame
    (D the on-times, :func:`sim.tsc.tsc_durations`), N the frame length.

    With ``theta = max_drive`` no neuron's on-time ``V / theta`` exceeds N - 1 on this data.
    """
    w = np.asarray(weights, dtype=np.float64)
    pos, neg = as_spikes(pos, "pos"), as_spikes(neg, "neg")
    if pos.shape != neg.shape or pos.ndim < 2 or w.ndim != 2 or pos.shape[-1] != w.shape[1]:
        raise ValueError(f"pos/neg of shape {pos.shape} do not match weights {w.shape}")
    N = pos.shape[-2]
    if N < 2:
        raise ValueError(f"frames need at least 2 steps, not {N}")
    return float((tsc_durations(pos, neg) @ w.T).max()) / (N - 1)


def balance_network(weights, pos, neg, first=None, alpha=DEFAULT_ALPHA):
    """Thresholds of a stack of TSC layers, balanced layer by layer (float model).

    Layer k gets ``theta_k = alpha * max_current(W_k, inputs_k)``; its spikes, with that
    threshold, are the inputs of layer k+1.

    Parameters
    ----------
    weights : list of (L_k, M_k) arrays
        ``M_{k+1} = L_k``.
    pos, neg : (..., T, M_0) bool
        Encoded data (e.g. :func:`tsc_encode` of a batch of inputs).

    Returns
    -------
    list of float
        One threshold per layer, in the units of that layer's weights.
    """
    thetas = []
    for k, w in enumerate(weights):
        w = np.asarray(w, dtype=np.float64)
        theta = balance_threshold([max_current(w, pos, neg, first)], alpha)
        thetas.append(theta)
        if k + 1 < len(weights):
            pos, neg = tsc_float(w, theta, pos, neg, first)
    return thetas


def threshold_int(theta, weight_frac):
    """Integer threshold for weight codes with ``weight_frac`` fraction bits:
    ``max(1, round(theta * 2**weight_frac))`` (ties to even), in weight-code units."""
    theta = float(theta)
    if not np.isfinite(theta) or theta <= 0:
        raise ValueError(f"threshold must be a positive number, not {theta!r}")
    if isinstance(weight_frac, bool) or not isinstance(weight_frac, numbers.Integral):
        raise TypeError(f"weight_frac must be an integer, not {weight_frac!r}")
    return max(1, int(np.rint(theta * 2.0 ** int(weight_frac))))
