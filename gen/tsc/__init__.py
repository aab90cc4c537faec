"""``python -m gen tsc``: the event-driven Temporal Switch Coding layer core.

config (:class:`TSCConfig`) -> IR (:func:`build_ir`, :class:`TSCIR`, a
:class:`gen.core.CoreIR`) -> Amaranth component (:class:`TSCCore`) -> Verilog + manifest
(:func:`gen.writer.generate`).
"""

from .core import TSCCore, input_layout, output_layout
from .ir import TSCConfig, TSCIR, build_ir
from .scan import LowestSetBit
from .weights import default_threshold, load_weights, random_weights

__all__ = ["TSCConfig", "TSCIR", "TSCCore", "LowestSetBit", "build_ir", "load_weights",
           "random_weights", "default_threshold", "input_layout", "output_layout"]
