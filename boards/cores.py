"""Generated cores as the boards flow sees them: a Verilog file plus its JSON manifest.

The boards flow reads what ``python -m gen ...`` wrote. The manifest names the Verilog file and
its top module; its ``ports`` entry (generated from the component's signature, see
``gen/manifest.schema.json``) gives every payload layout, and must agree with the port widths
declared in the Verilog (checked here, so a manifest that does not describe its Verilog is caught
before any synthesis). Nothing here depends on the kind of core.
"""

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from common.checks import InputError
from common.payload import check_layout, leaves

__all__ = ["Core", "load_core", "verilog_ports", "spike_bits"]

#: Payload fields whose bits are spikes (LEDs show them).
SPIKE_FIELDS = ("spikes", "pos", "neg")


@dataclass(frozen=True)
class Core:
    """A generated core on disk.

    Attributes
    ----------
    manifest : dict
        The manifest as written by the generator.
    manifest_path, verilog_path : Path
        Where the two files are.
    top : str
        Verilog module name.
    kind : str
        ``manifest["core"]``.
    in_width, out_width : int
        Widths of ``i__payload`` and ``o__payload`` (from ``ports``).
    lanes : int
        Values computed per ``ii`` cycles at full rate: ``throughput.values`` when the manifest
        gives it, else ``lanes`` (1 when absent); a network: 1 (an image).
    ii : int
        Cycles per ``lanes`` values at full rate: ``throughput.cycles``, else ``ii`` (a network:
        the rounded ``ii_mean`` over the digits test images where it has one).
    latency : int or None
        Manifest ``latency``.
    spike_bits : tuple of int
        Bit positions of spikes in the output payload (LEDs show these).
    """

    manifest: dict
    manifest_path: Path
    verilog_path: Path
    top: str
    kind: str
    in_width: int
    out_width: int
    lanes: int
    ii: int
    latency: int = None
    spike_bits: tuple = field(default=(), repr=False)

    @property
    def name(self):
        return self.top

    @property
    def in_layout(self):
        return self.manifest["ports"]["i"]["payload"]

    @property
    def out_layout(self):
        return self.manifest["ports"]["o"]["payload"]

    def describe(self):
        """A short human description: ``fsneuron silu K=16 Q=8 lanes=1 shared``."""
        m = self.manifest
        parts = [self.kind]
        for key in ("activation", "K", "Q", "lanes", "arch", "inputs", "neurons", "pe"):
            if key in m and m[key] is not None:
                parts.append(str(m[key]) if key in ("activation", "arch")
                             else f"{key}={m[key]}")
        return " ".join(parts)


def spike_bits(layout):
    """Bit positions of every spike field (:data:`SPIKE_FIELDS`) in a payload layout."""
    bits = []
    for path, offset, width, _ in leaves(layout):
        if path and path[-1] in SPIKE_FIELDS:
            bits.extend(range(offset, offset + width))
    return tuple(bits)


_PORT = re.compile(r"^\s*(input|output)\s+(?:wire\s+|reg\s+)?(?:\[(\d+):(\d+)\]\s+)?"
                   r"\\?([A-Za-z_][A-Za-z0-9_$]*)\s*;", re.M)


def verilog_ports(text, top):
    """``{port: (direction, width)}`` of module ``top`` in Verilog ``text``.

    Understands the port declarations Yosys' Verilog backend writes (``input [7:0] x;`` in the
    module body), which is what every Amaranth-generated core contains.
    """
    start = re.search(r"^\s*module\s+\\?" + re.escape(top) + r"\s*\(", text, re.M)
    if start is None:
        raise InputError(f"the Verilog has no module {top!r}")
    end = text.find("endmodule", start.end())
    body = text[start.end():end if end >= 0 else len(text)]
    ports = {}
    for direction, msb, lsb, name in _PORT.findall(body):
        width = abs(int(msb) - int(lsb)) + 1 if msb else 1
        ports[name] = (direction, width)
    return ports


def _positive(m, key, where):
    v = m.get(key)
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise InputError(f"{where}: manifest key {key!r} must be a positive integer, not {v!r}")
    return v


def _rate(m, where):
    """``(values, cycles)``: values computed per cycles at full rate."""
    tp = m.get("throughput")
    if isinstance(tp, dict):
        return _positive(tp, "values", f"{where} throughput"), \
            _positive(tp, "cycles", f"{where} throughput")
    mean = m.get("ii_mean")
    if isinstance(mean, (int, float)) and not isinstance(mean, bool) and mean > 0:
        # a network: an evaluation is an image, at the mean interval over the digits test
        # split (the data-dependent cycle model); ``ii`` is its worst case
        return 1, max(1, round(mean))
    if m.get("core") == "network":
        # a network that does not take digits images: an image per ``ii``, its worst case (its
        # ``lanes`` are neuron lanes inside the core, null by default, not images per beat)
        return 1, _positive(m, "ii", where)
    return (_positive(m, "lanes", where) if "lanes" in m else 1), _positive(m, "ii", where)


def _stream_layouts(m, where):
    ports = m.get("ports")
    if not isinstance(ports, dict):
        raise InputError(f"{where}: manifest has no 'ports' (regenerate it with python -m gen)")
    layouts = []
    for name in ("i", "o"):
        port = ports.get(name)
        if not isinstance(port, dict) or "payload" not in port:
            raise InputError(f"{where}: manifest 'ports' has no stream {name!r}")
        try:
            layouts.append(check_layout(port["payload"], f"ports.{name}.payload"))
        except ValueError as exc:
            raise InputError(f"{where}: {exc}") from None
    return layouts


def _read_manifest(manifest_path):
    where = str(manifest_path)
    try:
        m = json.loads(manifest_path.read_text())
    except FileNotFoundError:
        raise InputError(f"no manifest {where}") from None
    except IsADirectoryError:
        raise InputError(f"{where} is a folder, not a manifest") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{where}: not a JSON manifest ({exc})") from None
    if not isinstance(m, dict):
        raise InputError(f"{where}: a manifest must be a JSON object")
    for key in ("core", "top", "verilog"):
        if not isinstance(m.get(key), str):
            raise InputError(f"{where}: manifest key {key!r} missing or not a string")
    if Path(m["verilog"]).name != m["verilog"]:
        raise InputError(f"{where}: 'verilog' must be a file name beside the manifest, "
                         f"not {m['verilog']!r}")
    return m


def load_core(manifest_path):
    """Read a generated core's manifest and check it against its Verilog.

    Raises :class:`InputError` (one line, naming the file) when the manifest is malformed, the
    Verilog is missing, or the Verilog's stream ports do not have the widths of ``ports``.
    """
    manifest_path = Path(manifest_path)
    where = str(manifest_path)
    m = _read_manifest(manifest_path)
    vpath = manifest_path.parent / m["verilog"]
    if not vpath.is_file():
        raise InputError(f"{where}: its Verilog {vpath} does not exist")
    in_layout, out_layout = _stream_layouts(m, where)
    lanes, ii = _rate(m, where)
    ports = verilog_ports(vpath.read_text(), m["top"])
    want = {"clk": ("input", 1), "rst": ("input", 1),
            "i__valid": ("input", 1), "i__ready": ("output", 1),
            "i__payload": ("input", in_layout["width"]),
            "o__valid": ("output", 1), "o__ready": ("input", 1),
            "o__payload": ("output", out_layout["width"])}
    for port, (direction, width) in want.items():
        if port not in ports:
            raise InputError(f"{vpath}: module {m['top']} has no port {port}")
        if ports[port] != (direction, width):
            raise InputError(f"{vpath}: port {port} is {ports[port][0]} [{ports[port][1]}], "
                             f"the manifest says {direction} [{width}]")
    latency = m.get("latency") if isinstance(m.get("latency"), int) else None
    return Core(manifest=m, manifest_path=manifest_path, verilog_path=vpath, top=m["top"],
                kind=m["core"], in_width=in_layout["width"], out_width=out_layout["width"],
                lanes=lanes, ii=ii, latency=latency, spike_bits=spike_bits(out_layout))
