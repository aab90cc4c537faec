"""AMOS core generator: ``python -m gen amos``.

config (:func:`gen.amos.ir.build_ir`) -> IR (:class:`gen.amos.ir.AmosIR`, a
:class:`gen.core.CoreIR`) -> component (:class:`gen.amos.core.AmosCore`) ->
:func:`gen.writer.generate`.

Library use::

    from gen import generate
    from gen.amos import build_ir
    ir = build_ir("silu", K=12, Q=8)
    core = ir.component()                  # an Amaranth wiring.Component
    result = generate(ir, "out")           # Verilog + manifest, atomically
"""

from .core import AmosCore
from .ir import AmosIR, build_ir

__all__ = ["AmosCore", "AmosIR", "build_ir"]
