"""Generated sections of the documentation pages: a page holds the section between
``<!-- begin NAME -->`` and ``<!-- end NAME -->``, and this module writes it from its source file,
so a page never says what its source does not::

    python -m common.docs            # rewrite every generated section of docs/*.md
    python -m common.docs --check    # exit 1 if a section is out of date (a test runs this)

Sections (:data:`SECTIONS`) read repository files only (schemas, JSON results), never the code
of a higher layer.
"""

import json
import re
import sys
from pathlib import Path

from .cli import ArgumentParser, CLIError, atomic_write, main_wrapper

__all__ = ["SECTIONS", "render_page", "main"]

_BLOCK = re.compile(r"(<!-- begin ([a-z0-9-]+) -->\n)(.*?)(<!-- end \2 -->)", re.S)


def _cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def _type(spec):
    if "enum" in spec:
        return "one of " + ", ".join(f"`{v}`" for v in spec["enum"])
    if "anyOf" in spec:
        return " or ".join(_type(s) for s in spec["anyOf"])
    t = spec.get("type", "object" if "$ref" in spec else "")
    t = " or ".join(t) if isinstance(t, list) else t
    if t == "array" and isinstance(spec.get("items"), dict) and spec["items"].get("type"):
        t = f"array of {_type(spec['items'])}"
    return t


def manifest_keys(root):
    """The manifest keys table, from gen/manifest.schema.json."""
    schema = json.loads((root / "gen" / "manifest.schema.json").read_text())
    required = set(schema["required"])
    lines = ["| key | type | required | meaning |", "|---|---|---|---|"]
    for key, spec in schema["properties"].items():
        sub = ""
        if "properties" in spec and key != "ports":
            sub = " Fields: " + ", ".join(f"`{k}`" for k in spec["properties"]) + "."
        lines.append(f"| `{key}` | {_cell(_type(spec))} | {'yes' if key in required else ''} "
                     f"| {_cell(spec.get('description', ''))}{sub} |")
    return "\n".join(lines) + "\n"


#: section name -> function(root) -> markdown
SECTIONS = {"manifest-keys": manifest_keys}


def render_page(text, root, page="page"):
    """``text`` with every generated section rewritten."""
    def replace(m):
        name = m.group(2)
        if name not in SECTIONS:
            raise CLIError(f"{page}: unknown generated section {name!r} "
                           f"(known: {', '.join(SECTIONS)})")
        return m.group(1) + SECTIONS[name](root) + m.group(4)
    return _BLOCK.sub(replace, text)


def pages(root):
    return sorted((root / "docs").glob("*.md"))


def main(argv=None):
    p = ArgumentParser(prog="python -m common.docs",
                       description="Rewrite the generated sections of docs/*.md.")
    p.add_argument("--check", action="store_true",
                   help="only check: exit 1 (naming the pages) if a section is out of date")
    p.add_argument("--root", default=".", help="repository root (default: .)")
    args = p.parse_args(argv)
    root = Path(args.root)
    stale = []
    for path in pages(root):
        old = path.read_text()
        new = render_page(old, root, str(path.relative_to(root)))
        if new != old:
            stale.append(path)
            if not args.check:
                atomic_write(path, new)
    if args.check and stale:
        names = ", ".join(str(p.relative_to(root)) for p in stale)
        print(f"generated sections out of date in {names}: run python -m common.docs",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main_wrapper(main))
