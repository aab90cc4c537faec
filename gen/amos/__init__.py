"""AMOS core generator: ``python -m gen amos``.

config (:func:`gen.amos.ir.build_ir`) -> IR (:class:`gen.amos.ir.AmosIR`) -> component
(:class:`gen.amos.core.AmosCore`) -> writer (:func:`gen.writer.write_core`).

Library use::

    from gen.amos import build_ir, AmosCore, generate
    ir = build_ir("silu", K=12, Q=8)
    core = AmosCore(ir)                    # an Amaranth wiring.Component
    vpath, jpath = generate(ir, "rtl/")    # Verilog + manifest, atomically
"""

from .core import AmosCore
from .ir import AmosIR, build_ir

__all__ = ["AmosCore", "AmosIR", "build_ir", "generate"]


def generate(ir, out_dir):
    """Write ``out_dir/<name>.v`` and ``out_dir/<name>.json`` for an IR; return both paths."""
    from gen.writer import write_core

    return write_core(AmosCore(ir), ir.name, out_dir, ir.manifest())
