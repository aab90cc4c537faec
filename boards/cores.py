"""Generated cores as the boards flow sees them: a Verilog file plus its JSON manifest.

The boards flow never imports a generator. It reads what ``python -m gen ...`` wrote: the
manifest names the Verilog file and its top module and describes the parameters; the stream
payload widths are derived from the manifest by the layout rules of each core's issue and must
agree with the port widths declared in the Verilog (checked here, so a manifest that does not
describe its Verilog is caught before any synthesis).

Payload layouts (bit 0 = LSB):

=========== ================================ ==============================================
core        input ``i__payload``              output ``o__payload``
=========== ================================ ==============================================
fsneuron    lanes x signed W (lane n at n*W)  lanes x {spikes: K, value: Wout} (spikes low)
amos        signed W (``mul``: {x: W, y: W})  {spikes: K, value: Wout}
tsc         {pos: M, neg: M, first: 1}        {pos: L, neg: L}
ifneuron    signed W                          {value: K} (spike count, unsigned)
network     one input code (``ports.i``)      {class, logits} (``ports.o``)
=========== ================================ ==============================================
"""

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Core", "load_core", "verilog_ports", "KNOWN_CORES"]

KNOWN_CORES = ("fsneuron", "amos", "tsc", "ifneuron", "network")


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
        ``manifest["core"]``: fsneuron, amos, tsc or ifneuron.
    in_width, out_width : int
        Widths of ``i__payload`` and ``o__payload``.
    lanes : int
        Neurons evaluated together (FS lanes; 1 for amos/ifneuron; the L neurons of tsc).
    ii : int
        Cycles per neuron evaluation at full rate: manifest ``ii``; for tsc the cycles of a
        whole frame of ``steps`` time steps with TSC-encoded input, at most ``steps + 2M``.
    latency : int or None
        Manifest ``latency`` when present.
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

    def describe(self):
        """A short human description: ``fsneuron silu K=16 Q=8 lanes=1 shared``."""
        m = self.manifest
        parts = [self.kind]
        for key in ("activation", "K", "Q", "lanes", "arch", "inputs", "neurons", "pe"):
            if key in m and m[key] is not None:
                parts.append(str(m[key]) if key in ("activation", "arch")
                             else f"{key}={m[key]}")
        return " ".join(parts)


_PORT = re.compile(r"^\s*(input|output)\s+(?:wire\s+|reg\s+)?(?:\[(\d+):(\d+)\]\s+)?"
                   r"\\?([A-Za-z_][A-Za-z0-9_$]*)\s*;", re.M)


def verilog_ports(text, top):
    """``{port: (direction, width)}`` of module ``top`` in Verilog ``text``.

    Understands the port declarations Yosys' Verilog backend writes (``input [7:0] x;`` in the
    module body), which is what every Amaranth-generated core contains.
    """
    start = re.search(r"^\s*module\s+\\?" + re.escape(top) + r"\s*\(", text, re.M)
    if start is None:
        raise ValueError(f"the Verilog has no module {top!r}")
    end = text.find("endmodule", start.end())
    body = text[start.end():end if end >= 0 else len(text)]
    ports = {}
    for direction, msb, lsb, name in _PORT.findall(body):
        width = abs(int(msb) - int(lsb)) + 1 if msb else 1
        ports[name] = (direction, width)
    return ports


def _int(m, key, where):
    v = m.get(key)
    if isinstance(v, bool) or not isinstance(v, int):
        raise ValueError(f"{where}: manifest key {key!r} must be an integer, not {v!r}")
    return v


def _width(m, key, where):
    v = m.get(key)
    if not isinstance(v, dict) or "width" not in v:
        raise ValueError(f"{where}: manifest key {key!r} must be an object with 'width'")
    return _int(v, "width", f"{where} {key}")


def _layout(m, where):
    """(in_width, out_width, lanes, ii, spike_bits) of a manifest, by the issue's rules."""
    kind = m.get("core")
    if kind == "fsneuron":
        K, lanes = _int(m, "K", where), _int(m, "lanes", where)
        W, Wout = _width(m, "input", where), _width(m, "output", where)
        lane = K + Wout
        spikes = tuple(n * lane + t for n in range(lanes) for t in range(K))
        return lanes * W, lanes * lane, lanes, _int(m, "ii", where), spikes
    if kind == "amos":
        K = _int(m, "K", where)
        W, Wout = _width(m, "input", where), _width(m, "output", where)
        n_in = 2 if m.get("activation") == "mul" else 1
        ii = m.get("ii", 1)
        return n_in * W, K + Wout, 1, ii, tuple(range(K))
    if kind == "tsc":
        M, L = _int(m, "inputs", where), _int(m, "neurons", where)
        # A neuron evaluation is one value per neuron: a frame of N steps. A step takes
        # max(1, E) cycles for E input events, and TSC-encoded input has at most two events
        # per input per frame, so a frame takes at most N + 2M cycles: that is the ii used
        # for the evaluation rate (a bound; sparser input is faster).
        N = m.get("steps")
        ii = (N + 2 * M) if isinstance(N, int) and N >= 1 else 1
        return 2 * M + 1, 2 * L, L, ii, tuple(range(2 * L))
    if kind == "ifneuron":
        K, W = _int(m, "K", where), _width(m, "input", where)
        return W, K, 1, _int(m, "ii", where), ()
    if kind == "network":
        # widths from the generated ports; an evaluation is an image, at the mean interval
        # over the digits test split when the manifest has one (else the worst case)
        ports = m.get("ports")
        if not isinstance(ports, dict) or not all(
                isinstance(ports.get(p), dict) and isinstance(ports[p].get("payload"), dict)
                for p in ("i", "o")):
            raise ValueError(f"{where}: a network manifest needs ports.i and ports.o")
        w_in = _int(ports["i"]["payload"], "width", where)
        w_out = _int(ports["o"]["payload"], "width", where)
        mean = m.get("ii_mean")
        ii = round(mean) if isinstance(mean, (int, float)) and not isinstance(mean, bool) \
            else _int(m, "ii", where)
        return w_in, w_out, 1, max(1, ii), ()
    raise ValueError(f"{where}: unknown core {kind!r} (known: {', '.join(KNOWN_CORES)})")


def load_core(manifest_path):
    """Read a generated core's manifest and check it against its Verilog.

    Raises ``ValueError`` (one line, naming the file) when the manifest is malformed, the
    Verilog is missing, or the Verilog's stream ports do not have the widths the manifest
    implies.
    """
    manifest_path = Path(manifest_path)
    where = str(manifest_path)
    try:
        m = json.loads(manifest_path.read_text())
    except FileNotFoundError:
        raise ValueError(f"no manifest {where}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{where}: not a JSON manifest ({exc})") from None
    if not isinstance(m, dict):
        raise ValueError(f"{where}: a manifest must be a JSON object")
    for key in ("core", "top", "verilog"):
        if not isinstance(m.get(key), str):
            raise ValueError(f"{where}: manifest key {key!r} missing or not a string")
    if Path(m["verilog"]).name != m["verilog"]:
        raise ValueError(f"{where}: 'verilog' must be a file name beside the manifest, "
                         f"not {m['verilog']!r}")
    vpath = manifest_path.parent / m["verilog"]
    if not vpath.is_file():
        raise ValueError(f"{where}: its Verilog {vpath} does not exist")
    in_w, out_w, lanes, ii, spikes = _layout(m, where)
    ports = verilog_ports(vpath.read_text(), m["top"])
    want = {"clk": ("input", 1), "rst": ("input", 1),
            "i__valid": ("input", 1), "i__ready": ("output", 1),
            "i__payload": ("input", in_w),
            "o__valid": ("output", 1), "o__ready": ("input", 1),
            "o__payload": ("output", out_w)}
    for port, (direction, width) in want.items():
        if port not in ports:
            raise ValueError(f"{vpath}: module {m['top']} has no port {port}")
        if ports[port] != (direction, width):
            raise ValueError(f"{vpath}: port {port} is {ports[port][0]} [{ports[port][1]}], "
                             f"the manifest implies {direction} [{width}]")
    latency = m.get("latency") if isinstance(m.get("latency"), int) else None
    return Core(manifest=m, manifest_path=manifest_path, verilog_path=vpath, top=m["top"],
                kind=m["core"], in_width=in_w, out_width=out_w, lanes=lanes,
                ii=ii if isinstance(ii, int) and ii >= 1 else 1, latency=latency,
                spike_bits=spikes)
