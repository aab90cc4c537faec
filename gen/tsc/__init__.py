"""``python -m gen tsc``: the event-driven Temporal Switch Coding layer core.

config (:class:`TSCConfig`) -> IR (:func:`build_ir`, :class:`TSCIR`) -> Amaranth component
(:class:`TSCCore`) -> Verilog + manifest (:func:`generate`, through :mod:`gen.writer`).
"""

from .core import LowestSetBit, TSCCore, input_layout, output_layout
from .ir import TSCConfig, TSCIR, build_ir, load_weights, random_weights, default_threshold

__all__ = ["TSCConfig", "TSCIR", "TSCCore", "LowestSetBit", "build_ir", "load_weights",
           "random_weights", "default_threshold", "input_layout", "output_layout", "generate"]


def generate(config, out_dir):
    """Config -> IR -> core -> ``out_dir/<name>.v`` and ``.json``; returns the two paths."""
    from gen.writer import write_core

    ir = build_ir(config)
    return write_core(TSCCore.from_ir(ir), ir.name, out_dir, ir.manifest())
