"""Golden models of the TSC layer in ``framed`` mode: a neuron's on-time is its frame's input.

Han & Roy (ECCV 2020, Sect. 4) describe the TSC neuron by its input averaged over the N steps of
a frame, ``V_in`` (Eq. 7), and the gap between its output spikes, proportional to
``V_in / V_th`` when ``eta = V_in / V_th <= 1`` keeps the negative spike inside the frame (Sect.
4.1). This mode is that neuron, made exact. Per neuron l, with frames of N steps (a frame
starts at a step with ``first = 1``):

* **integration**, frame k: I and V are cleared at the frame's first step; every step
  ``I += sum_m w[l][m] (pos_m - neg_m)`` and ``V += I``. With TSC-encoded input, V at the end
  of the frame is ``sum_m w[l][m] D_m``, D_m the on-time (gap) of input m.
* **emission**, during frame k+1: at the first step of frame k+1, V is handed to an output
  register H (``held``). At every step of frame k+1: ``s = [H >= theta_l]``; if s and the
  neuron is not done: ``H -= theta_l`` (soft reset), the neuron is on, and its first on-step
  emits ``pos``; if it was on and s is false: it emits ``neg`` and is done. A neuron still on
  at the frame's last step (step N-1, counted from ``first``) emits ``neg`` there.

So the on-time is ``n = min(floor(V / theta), N - 1)`` for ``V >= theta`` (pos at step 0, neg at
step n) and there is no spike for ``V < theta``: no divider, only the soft reset, at most two
spikes per neuron per frame, and at most two weight reads and two additions per synapse per
frame for TSC-encoded input (the integration is the stream mode's, :mod:`sim.tsc.layer`).

Layers are pipelined by frames: a layer emits frame k while it integrates frame k+1, so a
stack of L layers answers (L + 1) x N steps after its input frame started (the read-out
integrates the last layer's emission frame), and takes one image per N steps. The output of
step t of frame k+1 is the layer's answer to frame k; a host sends one trailing frame to
flush the last answer out. The first frame after a reset emits nothing (H = 0 < theta).

The step counter that finds "the frame's last step" restarts at 0 with every ``first`` and
stops at N - 1. A frame shorter than N steps cuts the emission short (a neuron still on gets
no ``neg``: its on-time runs to the end of that frame, which is what the next layer counts); in
a frame longer than N every neuron is done from step N - 1 on.

Models, one semantics:

* :class:`FramedTSCLayer` -- exact integers, event-driven, optionally wrapping I and V to the
  hardware widths: the model the framed TSC core is checked against, bit for bit.
* :func:`tsc_framed_int` -- :class:`FramedTSCLayer` over a whole dense spike train.
* :func:`tsc_framed_float` -- float64, dense, batched; equal to the integer model when
  weights and thresholds are integers. :func:`sim.tsc.torch_layer.tsc_framed_torch` is the
  same in torch.
* :func:`framed_on_time` -- the closed form ``min(floor(V / theta), N - 1)``.

Register ranges come from :func:`tsc_framed_bounds`.
"""

import numpy as np

from .layer import EventLayer, float_inputs
from .spikes import as_int_array, check_steps

__all__ = ["FramedTSCLayer", "tsc_framed_int", "tsc_framed_float", "tsc_framed_bounds",
           "framed_on_time"]


def tsc_framed_bounds(weights, threshold, steps):
    """Ranges of the integer quantities of a framed TSC layer over frames of at most ``steps``
    steps.

    With ``S = max_l sum_m |w[l][m]|`` and t the step within the frame (I, V cleared at
    t = 1): ``|I(t)| <= t S`` and ``|V(t)| <= S t(t+1)/2`` (V is a sum of t currents, with no
    reset during the integration). The output register H starts from a final V and only
    decreases towards 0 while ``H >= theta``, so it stays in V's range. Any input spikes (not
    only TSC-encoded) respect these bounds.

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
    return {
        "current": (-steps * S, steps * S),
        "membrane": (-tri, tri),
        "threshold": (int(min(theta)), int(max(theta))),
        "weight": (int(w.min()), int(w.max())),
        "row_abs_sum": S,
    }


def framed_on_time(membrane, threshold, frame_steps):
    """On-time of a framed neuron for its integrated membrane: ``min(floor(V / theta), N - 1)``
    for ``V >= theta``, else 0 (no spikes).

    Integer arrays give the exact integer result (what :class:`FramedTSCLayer` emits); float
    arrays the float quotient's floor, which equals the float model's count of soft resets up
    to rounding.
    """
    N = check_steps(frame_steps, "frame_steps")
    V = np.asarray(membrane)
    theta = np.asarray(threshold)
    if V.dtype.kind in "iu" and theta.dtype.kind in "iu":
        n = V // theta
    else:
        n = np.floor(V / theta)
    return np.where(V >= theta, np.minimum(n, N - 1), 0).astype(np.int64)


class FramedTSCLayer(EventLayer):
    """Exact integer TSC layer in framed mode, event-driven: the golden model of the framed core.

    Parameters
    ----------
    weights : array_like of int, shape (L, M)
        ``weights[l][m]``: synapse from input m to neuron l.
    threshold : int or array_like of int, shape (L,)
        theta_l >= 1, in weight units.
    frame_steps : int
        N: the step (N - 1, counted from ``first``) at which a neuron still on emits ``neg``.
    current_width, membrane_width : int, optional
        Register widths of I, V and H (two's complement), as in the hardware: I wraps after
        each add, V after each ``V += I``; H takes V's stored bits. Default unbounded.

    Attributes
    ----------
    current, membrane : ndarray, shape (L,)
        I and V of the frame being integrated.
    held : ndarray, shape (L,)
        H: the previous frame's V, less theta for every emitted on-step.
    on, done : ndarray of bool, shape (L,)
    step_index : int
        The emission step within the frame (0 at ``first``, stops at N - 1).
    reads : int
        Weight-column reads so far (one per input event).
    """

    registers = ("current", "membrane", "held")

    def __init__(self, weights, threshold, frame_steps, *, current_width=None,
                 membrane_width=None):
        self.frame_steps = check_steps(frame_steps, "frame_steps")
        super().__init__(weights, threshold, current_width=current_width,
                         membrane_width=membrane_width)

    def reset(self):
        """The state after a reset: everything 0 (the first frame emits nothing)."""
        self.current = self._zeros()
        self.membrane = self._zeros()
        self.held = self._zeros()
        self.on = np.zeros(self.neurons, dtype=bool)
        self.done = np.zeros(self.neurons, dtype=bool)
        self.step_index = 0

    def _start_frame(self):
        """A frame's first step: hand V over to H, clear the integration and the emission."""
        self.held = self.membrane.copy()
        self.current = np.zeros_like(self.current)
        self.membrane = np.zeros_like(self.membrane)
        self.on[:] = False
        self.done[:] = False
        self.step_index = 0

    def _emit(self):
        """One emission step from H; returns dense (pos, neg)."""
        s = self.held >= self.threshold
        fire = s & ~self.done
        self.held = np.where(fire, self.held - self.threshold, self.held).astype(
            self.current.dtype)
        pos = fire & ~self.on
        drop = self.on & ~s
        on = (self.on | fire) & ~drop
        cut = on & (self.step_index == self.frame_steps - 1)
        neg = drop | cut
        self.on = on & ~cut
        self.done = self.done | neg
        return pos, neg

    def _step(self, index, sign, first):
        if first:
            self._start_frame()
        else:
            self.step_index = min(self.step_index + 1, self.frame_steps - 1)
        self._widen_if_needed()
        self._integrate_current(index, sign)
        self.membrane = self._store_membrane(self.membrane + self.current, self.current)
        return self._emit()


def tsc_framed_int(weights, threshold, pos, neg, first=None, *, frame_steps,
                   current_width=None, membrane_width=None):
    """Exact integer framed TSC layer over a dense spike train (fresh state).

    Parameters
    ----------
    weights : (L, M) ints
    threshold : int or (L,) ints
    pos, neg : (T, M) bool
    first : (T,) bool, optional
        Frame starts; default one frame starting at step 0.
    frame_steps : int
        N (see :class:`FramedTSCLayer`).
    current_width, membrane_width : int, optional
        Hardware register widths.

    Returns
    -------
    pos, neg : ndarray of bool, shape (T, L)
        Output step t of frame k+1 is the answer to frame k.
    """
    layer = FramedTSCLayer(weights, threshold, frame_steps, current_width=current_width,
                           membrane_width=membrane_width)
    return layer.run(pos, neg, first)


def tsc_framed_float(weights, threshold, pos, neg, first=None, *, frame_steps, record=False):
    """Float64 framed TSC layer, dense and batched: the per-step semantics of
    :class:`FramedTSCLayer`.

    Parameters
    ----------
    weights : array_like, shape (L, M)
    threshold : float or array_like, shape (L,)
        theta > 0.
    pos, neg : array_like of bool, shape (..., T, M)
        Input spikes; leading axes are a batch of independent runs.
    first : array_like of bool, shape (T,), optional
        Frame starts (shared by the batch); default one frame starting at step 0.
    frame_steps : int
        N.
    record : bool
        Also return I, V and H after every step.

    Returns
    -------
    pos, neg : ndarray of bool, shape (..., T, L)
    trace : dict, only with ``record``
        ``current``, ``membrane``, ``held``: float64 arrays of shape (..., T, L).
    """
    N = check_steps(frame_steps, "frame_steps")
    theta, flags, drive = float_inputs(weights, threshold, pos, neg, first)
    batch, (T, L) = drive.shape[:-2], drive.shape[-2:]
    I, V, H = (np.zeros(batch + (L,)) for _ in range(3))
    on = np.zeros(batch + (L,), dtype=bool)
    done = np.zeros(batch + (L,), dtype=bool)
    out_pos = np.zeros(batch + (T, L), dtype=bool)
    out_neg = np.zeros(batch + (T, L), dtype=bool)
    trace = {k: np.zeros(batch + (T, L)) for k in ("current", "membrane", "held")} \
        if record else None
    step = 0
    for t in range(T):
        if flags[t]:
            H = V.copy()
            I[...] = 0
            V[...] = 0
            on[...] = False
            done[...] = False
            step = 0
        else:
            step = min(step + 1, N - 1)
        I += drive[..., t, :]
        V += I
        s = H >= theta
        fire = s & ~done
        H -= np.where(fire, theta, 0.0)
        p = fire & ~on
        drop = on & ~s
        on = (on | fire) & ~drop
        cut = on & (step == N - 1)
        n = drop | cut
        on &= ~cut
        done |= n
        out_pos[..., t, :] = p
        out_neg[..., t, :] = n
        if record:
            trace["current"][..., t, :] = I
            trace["membrane"][..., t, :] = V
            trace["held"][..., t, :] = H
    if record:
        return out_pos, out_neg, trace
    return out_pos, out_neg
