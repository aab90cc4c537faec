"""The last stage of every generator: Verilog and manifest, written together or not at all.

Output is deterministic: no source locations (they hold absolute paths), no timestamps, and the
Amaranth/Yosys versions are pinned in pyproject.toml, so the same command gives byte-identical
files (checked against rtl/ by the test suite).
"""

import re
from pathlib import Path

from common.cli import AtomicFiles, dumps_json

__all__ = ["check_name", "to_verilog", "write_core"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def check_name(name):
    """A module name must be a plain Verilog identifier (it is also the file name)."""
    if not isinstance(name, str) or not _NAME.match(name) or len(name) > 128:
        raise ValueError(f"name {name!r} is not a Verilog identifier "
                         f"(letters, digits, '_', not starting with a digit)")
    return name


def to_verilog(component, top):
    """Verilog text of an Amaranth ``wiring.Component``, free of paths and internal attributes."""
    from amaranth.back import verilog

    return verilog.convert(component, name=check_name(top), emit_src=False,
                           strip_internal_attrs=True)


def write_core(component, top, out_dir, manifest):
    """Write ``out_dir/top.v`` and ``out_dir/top.json`` atomically; return both paths.

    ``manifest`` gets ``top`` and ``verilog`` filled in (the keys every core's manifest has).
    Everything is rendered in memory before the first byte is written.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"output folder {str(out_dir)!r} is a file")
    text = to_verilog(component, top)
    manifest = dict(manifest)
    manifest["top"] = top
    manifest["verilog"] = f"{top}.v"
    files = AtomicFiles()
    vpath, jpath = out_dir / f"{top}.v", out_dir / f"{top}.json"
    files.add(vpath, text)
    files.add(jpath, dumps_json(manifest))
    files.commit()
    return vpath, jpath
