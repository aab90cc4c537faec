"""Golden models of Temporal Switch Coding (TSC; Han & Roy, ECCV 2020).

* :mod:`sim.tsc.encode` -- the TSC input encoder (and TTFS, Poisson for comparison), on-times,
  decoding, events per step.
* :mod:`sim.tsc.stream` -- the layer in ``stream`` mode (a neuron answers within the frame):
  :class:`TSCLayer` (exact integers, event-driven), :func:`tsc_int`, :func:`tsc_float`,
  :func:`tsc_int_bounds`.
* :mod:`sim.tsc.framed` -- the layer in ``framed`` mode (the on-time is the frame's input over
  theta, emitted during the next frame): :class:`FramedTSCLayer`, :func:`tsc_framed_int`,
  :func:`tsc_framed_float`, :func:`tsc_framed_bounds`, :func:`framed_on_time`;
  :func:`sim.tsc.torch_layer.tsc_framed_torch` in torch.

Every name is re-exported here. ANN conversion (threshold balancing) lives in
:mod:`net.tscconvert`.
"""

from .encode import (poisson_encode, step_events, tsc_decode, tsc_durations, tsc_encode,
                     ttfs_encode)
from .framed import (FramedTSCLayer, framed_on_time, tsc_framed_bounds, tsc_framed_float,
                     tsc_framed_int)
from .spikes import wrap
from .stream import TSCLayer, tsc_float, tsc_int, tsc_int_bounds

__all__ = [
    "tsc_encode", "ttfs_encode", "poisson_encode", "tsc_durations", "tsc_decode",
    "step_events", "TSCLayer", "tsc_int", "tsc_float", "tsc_int_bounds", "wrap",
    "FramedTSCLayer", "tsc_framed_int", "tsc_framed_float", "tsc_framed_bounds",
    "framed_on_time", "MODES",
]

#: The neuron modes: ``stream`` (answers within the frame) and ``framed`` (answers in the next).
MODES = ("stream", "framed")
