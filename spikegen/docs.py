"""Generated sections of the documentation pages: a page holds the section between
``<!-- begin NAME -->`` and ``<!-- end NAME -->``, and this module writes it from its source (the
manifest schema, a reference manifest, a simulation), so a page never says what its source does
not::

    python -m spikegen.docs            # rewrite every generated section (README.md, docs/*.md)
    python -m spikegen.docs --check    # exit 1 if a section is out of date (a test runs this)

Figures are written with the sections; ``--check`` compares the sections' text, which holds the
figures' data (a PNG differs between matplotlib versions, its data does not).
"""

import json
import re
import sys
from pathlib import Path

from common.cli import ArgumentParser, CLIError, atomic_write, main_wrapper

from .results import results, summary, which_core

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


def verilog_template(root, name="fs_silu_k16_q8"):
    """A Verilog instantiation of a reference core, with its payload fields, from its manifest."""
    from common.payload import leaves

    m = json.loads((root / "rtl" / f"{name}.json").read_text())
    conns = ["    .clk(clk),", "    .rst(rst),"]
    fields = []
    for port, p in m["ports"].items():
        wire = "x" if port == "i" else "y"
        for sig in ("valid", "ready"):
            conns.append(f"    .{p['signals'][sig]}({wire}_{sig}),")
        conns.append(f"    .{p['signals']['payload']}({wire}),"
                     f"{' ' * 8}// [{p['payload']['width'] - 1}:0]")
        for path, offset, width, signed in leaves(p["payload"]):
            fields.append(f"//   {wire}[{offset + width - 1}:{offset}]  "
                          f"{'.'.join(map(str, path)) or '(whole)'}: "
                          f"{'signed' if signed else 'unsigned'} {width} bits")
    conns[-1] = conns[-1].replace("),", ") ", 1)
    decl = [f"wire [{m['ports']['i']['payload']['width'] - 1}:0] x;",
            f"wire [{m['ports']['o']['payload']['width'] - 1}:0] y;",
            "wire x_valid, x_ready, y_valid, y_ready;"]
    text = ["```verilog", f"// {name}.v from: rtl/{name}.json (latency {m['latency']}, "
            f"ii {m['ii']})", *decl, *fields, f"{m['top']} u_{m['top']} (", *conns, ");", "```"]
    return "\n".join(text) + "\n"


def _handshakes():
    from .waveform import CASES, trace

    return [(title, trace(build(), xs, v, r)) for title, build, xs, v, r in CASES]


def handshake(root):
    """The stream handshake of two cores, recorded from simulation (tables; the PNG is written
    beside them by :func:`write_figures`)."""
    from .waveform import markdown

    return "\n".join(markdown(t, rec) for t, rec in _handshakes())


def write_figures(root):
    from .waveform import plot

    atomic_write(root / "docs" / "img" / "stream_handshake.png", plot(_handshakes()))


#: section name -> function(root) -> markdown
SECTIONS = {"manifest-keys": manifest_keys, "verilog-template": verilog_template,
            "handshake": handshake, "results": results, "which-core": which_core,
            "summary": summary}


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
    """The pages with generated sections: README.md and docs/*.md."""
    readme = [root / "README.md"] if (root / "README.md").is_file() else []
    return readme + sorted((root / "docs").glob("*.md"))


def main(argv=None):
    p = ArgumentParser(prog="python -m spikegen.docs",
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
    if not args.check:
        write_figures(root)
    if args.check and stale:
        names = ", ".join(str(p.relative_to(root)) for p in stale)
        print(f"generated sections out of date in {names}: run python -m spikegen.docs",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main_wrapper(main))
