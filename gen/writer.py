"""The last stage of every generator: Verilog and manifest, written together or not at all.

:func:`generate` takes any :class:`gen.core.CoreIR` and writes ``NAME.v`` and ``NAME.json``.
Output is deterministic: no source locations (they hold absolute paths), no timestamps, and the
Amaranth/Yosys versions are pinned in pyproject.toml, so the same command gives byte-identical
files (checked against rtl/ by the test suite).
"""

import re
from dataclasses import dataclass
from pathlib import Path

from common.checks import InputError
from common.cli import AtomicFiles, check_out_dir, dumps_json

__all__ = ["check_name", "to_verilog", "generate", "GenerateResult"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def check_name(name):
    """A module name must be a plain Verilog identifier (it is also the file name)."""
    if not isinstance(name, str) or not _NAME.match(name) or len(name) > 128:
        raise InputError(f"name {name!r} is not a Verilog identifier "
                         f"(letters, digits, '_', not starting with a digit)")
    return name


def to_verilog(component, top):
    """Verilog text of an Amaranth ``wiring.Component``, free of paths and internal attributes."""
    from amaranth.back import verilog

    return verilog.convert(component, name=check_name(top), emit_src=False,
                           strip_internal_attrs=True)


@dataclass(frozen=True)
class GenerateResult:
    """What :func:`generate` wrote.

    Attributes
    ----------
    ir : CoreIR
        The core.
    verilog, manifest : Path
        The two files.
    summary : str
        The text ``python -m gen`` prints.
    """

    ir: object
    verilog: Path
    manifest: Path
    summary: str


def generate(ir, out_dir):
    """Write ``out_dir/NAME.v`` and ``out_dir/NAME.json`` for any core IR, atomically.

    Everything is rendered in memory before the first byte is written; a failure writes
    nothing. Returns a :class:`GenerateResult`.
    """
    out_dir = check_out_dir(out_dir)
    name = check_name(ir.name)
    manifest = ir.manifest()
    text = to_verilog(ir.component(), name)
    vpath, jpath = out_dir / f"{name}.v", out_dir / f"{name}.json"
    AtomicFiles({vpath: text, jpath: dumps_json(manifest)}).commit()
    return GenerateResult(ir, vpath, jpath, ir.summary((vpath, jpath)))


def write_core(component, top, out_dir, manifest):
    """Write a component and a hand-made manifest (for cores not yet described by a
    :class:`gen.core.CoreIR`); ``ports`` is still generated from the signature."""
    from .core import ports_of

    out_dir = check_out_dir(out_dir)
    text = to_verilog(component, top)
    manifest = dict(manifest)
    manifest["top"] = top
    manifest["verilog"] = f"{top}.v"
    manifest["ports"] = ports_of(component.signature)
    vpath, jpath = out_dir / f"{top}.v", out_dir / f"{top}.json"
    AtomicFiles({vpath: text, jpath: dumps_json(manifest)}).commit()
    return vpath, jpath
