"""Golden models of the TSC layer in ``stream`` mode: every neuron answers within the frame.

A TSC layer of L neurons over M inputs keeps, per neuron l, a current I and a membrane V. Per
time step, exactly::

    I += sum_m w[l][m] * (pos_m - neg_m)
    V += I
    s  = [V >= theta_l];  if s: V -= theta_l            (soft reset)
    if not done and not firing and s:  emit pos, firing = 1
    elif firing and not s:             emit neg, firing = 0, done = 1

so each neuron sends at most one pos and one neg spike per frame. The first step of a frame
clears I, V, firing and done before it runs. Between its pos and its neg spike an input adds
its weight to I on every step, so the membrane integrates ``w * (t_neg - t_pos)``: the gap is the
value. An input spike only changes I (one weight read, one add); with TSC-encoded input each
synapse costs at most two reads and two additions per frame (Han & Roy, ECCV 2020, Eq. 5-6).

The neuron answers in the same frame (a layer's output spikes at step t are the next layer's
input at step t); its on-time is the run of consecutive threshold crossings after its first one,
which makes it nearly binary for a current below theta (docs/network.md). The ``framed`` mode
(:mod:`sim.tsc.framed`) is the neuron whose on-time is proportional to its input.

Models, one semantics:

* :class:`TSCLayer` -- exact integers, event-driven (work per step proportional to the input
  spikes, plus the O(L) neuron update), optionally wrapping I and V to the hardware widths. The
  model every stream-mode TSC core is checked against, bit for bit.
* :func:`tsc_int` -- :class:`TSCLayer` over a whole dense spike train.
* :func:`tsc_float` -- float64, dense, batched over any leading axes (for ANN conversion and
  accuracy runs); equal to the integer model when weights and thresholds are integers.

Hardware widths come from :func:`tsc_int_bounds`.
"""

import numpy as np

from .layer import EventLayer, float_inputs
from .spikes import as_int_array, check_steps

__all__ = ["TSCLayer", "tsc_int", "tsc_float", "tsc_int_bounds"]


def tsc_int_bounds(weights, threshold, steps):
    """Ranges of the integer quantities of a TSC layer over frames of at most ``steps`` steps.

    With ``S = max_l sum_m |w[l][m]|`` (the most one step can change a current) and t the step
    within the frame (I, V cleared at t = 1):

    * current: ``|I(t)| <= t S``;
    * membrane: ``V(t) >= min(0, V(t-1) + I(t))`` (a firing step leaves ``V + I - theta >= 0``)
      so ``V(t) >= -S t(t+1)/2``; and ``V(t) <= max(theta - 1, V(t-1) + t S)`` so
      ``V(t) <= theta_max - 1 + S t(t+1)/2``. The sum ``U = V(t-1) + I(t)`` before the reset
      lies in the same range.

    Any input spikes (not only TSC-encoded) respect these bounds. The hardware sizes I and V
    from them; beyond ``steps`` steps in one frame the registers wrap (modelled exactly by
    :class:`TSCLayer` with widths).

    Returns
    -------
    dict
        ``current``, ``membrane``, ``threshold``, ``weight``: (lo, hi) pairs; ``row_abs_sum``: S.
    """
    w = as_int_array(weights, "weights")
    if w.ndim != 2 or 0 in w.shape:
        raise ValueError(f"weights must be an L x M matrix, not shape {w.shape}")
    theta = as_int_array(threshold, "threshold").reshape(-1)
    steps = check_steps(steps, "steps")
    S = max(sum(abs(int(v)) for v in row) for row in w)
    tri = S * steps * (steps + 1) // 2
    th_lo, th_hi = int(min(theta)), int(max(theta))
    return {
        "current": (-steps * S, steps * S),
        "membrane": (-tri, max(th_hi - 1, 0) + tri),
        "threshold": (th_lo, th_hi),
        "weight": (int(w.min()), int(w.max())),
        "row_abs_sum": S,
    }


class TSCLayer(EventLayer):
    """Exact integer TSC layer in stream mode, event-driven: the golden model of the stream core.

    Parameters
    ----------
    weights : array_like of int, shape (L, M)
        ``weights[l][m]``: synapse from input m to neuron l.
    threshold : int or array_like of int, shape (L,)
        theta_l >= 1, in weight units.
    current_width, membrane_width : int, optional
        Register widths of I and V, as in the hardware: I is kept as a ``current_width``-bit
        two's complement number (it wraps after each add), the sum ``V + I`` and its
        comparison with theta are exact, and the new V (after the soft reset) is kept as a
        ``membrane_width``-bit number. Inside the ranges of :func:`tsc_int_bounds` nothing
        wraps and the result equals the unbounded model. Default: unbounded integers.

    Attributes
    ----------
    current, membrane : ndarray, shape (L,)
        I and V after the last step.
    firing, done : ndarray of bool, shape (L,)
    reads : int
        Weight-column reads so far (one per input event; one read serves all L neurons).

    Notes
    -----
    Work per step: one column read and an L-wide add per input event, then the O(L) membrane
    update (:class:`sim.tsc.layer.EventLayer`).
    """

    registers = ("current", "membrane")

    def reset(self):
        """Clear I, V, firing and done (what a frame's first step does first)."""
        self.current = self._zeros()
        self.membrane = self._zeros()
        self.firing = np.zeros(self.neurons, dtype=bool)
        self.done = np.zeros(self.neurons, dtype=bool)

    def _step(self, index, sign, first):
        if first:
            self.reset()
        self._widen_if_needed()
        self._integrate_current(index, sign)
        u = self.membrane + self.current
        s = u >= self.threshold
        self.membrane = self._store_membrane(np.where(s, u - self.threshold, u), self.current)
        pos = ~self.done & ~self.firing & s
        neg = self.firing & ~s
        self.firing = (self.firing | pos) & ~neg
        self.done = self.done | neg
        return pos, neg


def tsc_int(weights, threshold, pos, neg, first=None, *, current_width=None,
            membrane_width=None):
    """Exact integer TSC layer over a dense spike train (fresh state).

    Parameters
    ----------
    weights : (L, M) ints
    threshold : int or (L,) ints
    pos, neg : (T, M) bool
    first : (T,) bool, optional
        Frame starts; default one frame starting at step 0.
    current_width, membrane_width : int, optional
        Hardware register widths (see :class:`TSCLayer`).

    Returns
    -------
    pos, neg : ndarray of bool, shape (T, L)
    """
    layer = TSCLayer(weights, threshold, current_width=current_width,
                     membrane_width=membrane_width)
    return layer.run(pos, neg, first)


def tsc_float(weights, threshold, pos, neg, first=None, *, record=False):
    """Float64 TSC layer, dense and batched: same per-step semantics as :class:`TSCLayer`.

    Parameters
    ----------
    weights : array_like, shape (L, M)
        Real-valued weights.
    threshold : float or array_like, shape (L,)
        theta > 0.
    pos, neg : array_like of bool, shape (..., T, M)
        Input spikes; leading axes are a batch of independent runs.
    first : array_like of bool, shape (T,), optional
        Frame starts (shared by the batch); default one frame starting at step 0.
    record : bool
        Also return the current and membrane after every step.

    Returns
    -------
    pos, neg : ndarray of bool, shape (..., T, L)
    trace : dict, only with ``record``
        ``current``, ``membrane``: float64 arrays of shape (..., T, L).
    """
    theta, flags, drive = float_inputs(weights, threshold, pos, neg, first)
    batch, (T, L) = drive.shape[:-2], drive.shape[-2:]
    I = np.zeros(batch + (L,))
    V = np.zeros(batch + (L,))
    firing = np.zeros(batch + (L,), dtype=bool)
    done = np.zeros(batch + (L,), dtype=bool)
    out_pos = np.zeros(batch + (T, L), dtype=bool)
    out_neg = np.zeros(batch + (T, L), dtype=bool)
    if record:
        cur = np.zeros(batch + (T, L))
        mem = np.zeros(batch + (T, L))
    for t in range(T):
        if flags[t]:
            I[...] = 0
            V[...] = 0
            firing[...] = False
            done[...] = False
        I += drive[..., t, :]
        V += I
        s = V >= theta
        V -= np.where(s, theta, 0.0)
        p = ~done & ~firing & s
        n = firing & ~s
        firing = (firing | p) & ~n
        done |= n
        out_pos[..., t, :] = p
        out_neg[..., t, :] = n
        if record:
            cur[..., t, :] = I
            mem[..., t, :] = V
    if record:
        return out_pos, out_neg, {"current": cur, "membrane": mem}
    return out_pos, out_neg
