"""What every exact TSC layer model shares: weights, thresholds, register widths, and the
event-driven current update.

Both neuron modes (:mod:`sim.tsc.stream`, :mod:`sim.tsc.framed`) integrate their input the same
way: per step, ``I += sum_m w[l][m] (pos_m - neg_m)``, one weight-column read and one L-wide add
per input event (input m with ``pos_m != neg_m``; a bit with both set adds ``w (1 - 1) = 0``
and is skipped). They differ in what the membrane does with I.
"""

import numpy as np

from .spikes import as_int_array, as_spikes, check_width, first_flags, wrap

__all__ = ["EventLayer", "float_inputs"]


class EventLayer:
    """Base of the exact integer TSC layers: parameters, event checks, the current, reads.

    Parameters
    ----------
    weights : array_like of int, shape (L, M)
        ``weights[l][m]``: synapse from input m to neuron l.
    threshold : int or array_like of int, shape (L,)
        theta_l >= 1, in weight units.
    current_width, membrane_width : int, optional
        Register widths of I and V (two's complement), as in the hardware; default unbounded.

    Attributes
    ----------
    current : ndarray, shape (L,)
        I after the last step.
    reads : int
        Weight-column reads so far (one per input event; one read serves all L neurons).

    Notes
    -----
    Arithmetic is int64 and switches to Python integers before anything could overflow 62
    bits, so the models are exact for any frame length.
    """

    def __init__(self, weights, threshold, *, current_width=None, membrane_width=None):
        w = as_int_array(weights, "weights")
        if w.ndim != 2 or 0 in w.shape:
            raise ValueError(f"weights must be an L x M matrix, not shape {w.shape}")
        self.neurons, self.inputs = w.shape
        theta = as_int_array(threshold, "threshold")
        if theta.ndim == 0:
            theta = np.full(self.neurons, int(theta), dtype=np.int64)
        theta = theta.reshape(-1)
        if theta.shape != (self.neurons,):
            raise ValueError(f"threshold must be one value or one per neuron ({self.neurons}), "
                             f"not {theta.size}")
        if any(int(t) < 1 for t in theta):
            raise ValueError(f"thresholds must be >= 1, not {int(min(theta))}")
        check_width("current_width", current_width)
        check_width("membrane_width", membrane_width)
        if membrane_width is not None:
            if int(max(theta)) > (1 << (membrane_width - 1)) - 1:
                raise ValueError(f"threshold {int(max(theta))} does not fit a membrane of "
                                 f"{membrane_width} bits")
            if current_width is not None and current_width > membrane_width:
                raise ValueError(f"current_width {current_width} exceeds membrane_width "
                                 f"{membrane_width}")
        self.weights = w
        self.threshold = theta
        self.current_width = current_width
        self.membrane_width = membrane_width
        # columns as rows: one input's L weights are contiguous (one "memory word")
        self._columns = np.ascontiguousarray(w.T)
        self._bound = int(np.max(np.abs(w.astype(object)).sum(axis=1)))   # S of the bounds
        self.reads = 0
        self.reset()

    def _zeros(self):
        return np.zeros(self.neurons, dtype=object if self.weights.dtype == object else np.int64)

    def reset(self):
        """Clear the state (what a frame's first step does first)."""
        raise NotImplementedError

    #: Names of the integer registers that grow with the frame (widened together).
    registers = ("current",)

    def _widen_if_needed(self):
        # the next step adds at most S to |I| and |I| + S to |V|; keep int64 while that is safe
        if self.current.dtype == object:
            return
        big = sum(int(np.abs(getattr(self, name)).max()) for name in self.registers)
        if 2 * (big + 2 * self._bound + int(self.threshold.max())) >= (1 << 62):
            for name in self.registers:
                setattr(self, name, getattr(self, name).astype(object))

    @staticmethod
    def _check_events(index, sign, inputs):
        index = np.asarray(index, dtype=np.int64).reshape(-1)
        sign = np.asarray(sign, dtype=np.int64).reshape(-1)
        if index.shape != sign.shape:
            raise ValueError(f"{index.size} event indices but {sign.size} signs")
        if index.size:
            if index.min() < 0 or index.max() >= inputs:
                raise ValueError(f"event index out of range 0..{inputs - 1}")
            if not np.all(np.abs(sign) == 1):
                raise ValueError("event signs must be +1 or -1")
        return index, sign

    def _integrate_current(self, index, sign):
        """I += sum over events of sign * w[:, m]: one column read per event (I wraps)."""
        if index.size:
            delta = sign.astype(self.current.dtype) @ self._columns[index]
            self.current = self.current + delta
            self.reads += int(index.size)
            if self.current_width is not None:
                self.current = wrap(self.current, self.current_width)

    def _store_membrane(self, value, like):
        """``value`` as the stored membrane: wrapped to its width, in the current's dtype."""
        if self.membrane_width is not None:
            value = wrap(value, self.membrane_width)
        if value.dtype != like.dtype:
            value = value.astype(like.dtype)
        return value

    def step_events(self, index, sign, first=False):
        """One time step from input events.

        Parameters
        ----------
        index : array_like of int
            Inputs that spiked this step (each at most once).
        sign : array_like of int
            +1 (pos spike) or -1 (neg spike) for each.
        first : bool
            This step starts a frame.

        Returns
        -------
        out_index, out_sign : ndarray of int64
            Neurons that emitted a spike and its sign (+1 pos, -1 neg), in neuron order: the
            events of the next layer's step (a neuron with pos and neg in one step has no
            event: it adds ``w (1 - 1) = 0``).
        """
        index, sign = self._check_events(index, sign, self.inputs)
        pos, neg = self._step(index, sign, bool(first))
        fired = np.flatnonzero(pos ^ neg)
        return fired.astype(np.int64), np.where(pos[fired], 1, -1).astype(np.int64)

    def _step(self, index, sign, first):
        """One step from checked events; returns dense (pos, neg) of shape (L,)."""
        raise NotImplementedError

    def step(self, pos, neg, first=False):
        """One time step from dense spike vectors (M,); returns dense (pos, neg) of shape (L,)."""
        pos, neg = as_spikes(pos, "pos").reshape(-1), as_spikes(neg, "neg").reshape(-1)
        if pos.shape != (self.inputs,) or neg.shape != (self.inputs,):
            raise ValueError(f"pos and neg must have {self.inputs} bits, not {pos.size} and "
                             f"{neg.size}")
        index = np.flatnonzero(pos ^ neg)
        return self._step(index, np.where(pos[index], 1, -1).astype(np.int64), bool(first))

    def run(self, pos, neg, first=None):
        """Run T steps of dense spikes, shape (T, M); returns (pos, neg) of shape (T, L).

        ``first`` (T flags) marks frame starts; default: one frame starting at step 0. The
        layer's state carries over from earlier calls until a step with ``first`` set.
        """
        pos, neg = as_spikes(pos, "pos"), as_spikes(neg, "neg")
        if pos.ndim != 2 or pos.shape != neg.shape or pos.shape[1] != self.inputs:
            raise ValueError(f"pos and neg must have shape (T, {self.inputs}), not {pos.shape} "
                             f"and {neg.shape}")
        T = pos.shape[0]
        flags = first_flags(first, T)
        out_pos = np.zeros((T, self.neurons), dtype=bool)
        out_neg = np.zeros((T, self.neurons), dtype=bool)
        changed = pos ^ neg
        for t in range(T):
            index = np.flatnonzero(changed[t])
            out_pos[t], out_neg[t] = self._step(
                index, np.where(pos[t, index], 1, -1).astype(np.int64), bool(flags[t]))
        return out_pos, out_neg


def float_inputs(weights, threshold, pos, neg, first):
    """Checked arguments of a float layer model.

    Returns ``(theta, flags, drive)``: theta as L floats > 0, the T frame-start flags, and the
    per-step input ``drive = (pos - neg) @ W.T`` of shape (..., T, L), float64.
    """
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 2 or 0 in w.shape:
        raise ValueError(f"weights must be an L x M matrix, not shape {w.shape}")
    L, M = w.shape
    theta = np.broadcast_to(np.asarray(threshold, dtype=np.float64), (L,))
    if not np.all(np.isfinite(w)) or not np.all(np.isfinite(theta)):
        raise ValueError("weights and thresholds must be finite")
    if np.any(theta <= 0):
        raise ValueError(f"thresholds must be > 0, not {float(theta.min())!r}")
    pos, neg = as_spikes(pos, "pos"), as_spikes(neg, "neg")
    if pos.shape != neg.shape or pos.ndim < 2 or pos.shape[-1] != M:
        raise ValueError(f"pos and neg must have shape (..., T, {M}), not {pos.shape} and "
                         f"{neg.shape}")
    flags = first_flags(first, pos.shape[-2])
    drive = (pos.astype(np.float64) - neg.astype(np.float64)) @ w.T
    return theta, flags, drive
