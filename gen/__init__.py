"""Generators: Amaranth cores built from golden-model parameters, written as Verilog + manifest.

Layer: imports ``net``, ``quant``, ``sim`` and ``common``; never ``boards``.

Every core follows one protocol (:mod:`gen.core`): an IR object with ``name``, ``kind``,
``latency``, ``ii``, ``component()``, ``manifest()`` and ``summary()``. :func:`generate` writes
any IR as ``NAME.v`` + ``NAME.json``; ``python -m gen`` (:mod:`gen.__main__`) is a registry that
maps each sub-command to its IR builder. One sub-package per core: :mod:`gen.fsneuron`,
:mod:`gen.amos`, :mod:`gen.tsc`, :mod:`gen.ifneuron`.
"""

from .core import CoreIR, layout_of, ports_of
from .writer import GenerateResult, generate

__all__ = ["CoreIR", "GenerateResult", "generate", "layout_of", "ports_of"]
