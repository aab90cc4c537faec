"""Rate-coded integrate-and-fire neuron core: ``python -m gen ifneuron``.

config (:func:`resolve`) -> IR (:class:`IFCoreIR`) -> component (:class:`IFNeuron`) ->
:func:`gen.writer.generate`. The golden model is :func:`sim.ifneuron.if_int`.
"""

from .core import IFNeuron
from .ir import IFCoreIR, resolve

__all__ = ["IFNeuron", "IFCoreIR", "resolve"]
