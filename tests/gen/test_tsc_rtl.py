"""TSC core in RTL simulation (cocotb, tests/kit/benches/tsc_tb.py) and the reference core in rtl/.

The bench reads each core's manifest and scores every output beat and every weight read
against the golden model of its mode (sim.tsc.TSCLayer, sim.tsc.FramedTSCLayer) under random
gaps and back-pressure.
"""

import pytest

from clirun import ROOT
from rtlsim import BUILD, run_bench, simulator  # also puts tests/kit/benches on sys.path

from gen.tsc import TSCConfig, build_ir
from gen.writer import generate

RTL = ROOT / "rtl"
#: the reference core: python -m gen tsc --inputs 64 --neurons 16 --out rtl
REFERENCE = "tsc_m64_l16"


def _build(config, folder):
    folder.mkdir(parents=True, exist_ok=True)
    result = generate(build_ir(config), folder)
    return result.verilog, result.manifest


#: The cores the bench runs on, besides the reference core in rtl/.
CASES = {
    # M = 5, L = 3, 4-bit weights, widths for 6-step frames: the long random frames of the
    # bench wrap I and V, which the model must follow bit for bit
    "small_wrap": (TSCConfig(inputs=5, neurons=3, wbits=4, steps=6, seed=5,
                             threshold=[3, 7, 20], name="tsc_small_wrap"),
                   {"TSC_SEED": 12, "TSC_SCALE": 2}),
    # framed mode, the reference size: M = 64, L = 16, frames of N = 16 steps
    "framed": (TSCConfig(inputs=64, neurons=16, steps=16, mode="framed", threshold=600,
                         name="tsc_framed_m64_l16"), {"TSC_SEED": 13}),
    # framed mode, small and wrapping: frames of the bench longer than the N = 5 it is sized for
    "framed_small_wrap": (TSCConfig(inputs=5, neurons=3, wbits=4, steps=5, seed=6,
                                    threshold=[2, 6, 15], mode="framed",
                                    name="tsc_framed_small_wrap"),
                          {"TSC_SEED": 14, "TSC_SCALE": 2}),
}


@pytest.mark.parametrize("case", ["reference", *CASES])
def test_cocotb(case):
    simulator()
    if case == "reference":
        vpath, jpath = RTL / f"{REFERENCE}.v", RTL / f"{REFERENCE}.json"
        top, env = REFERENCE, {"TSC_SEED": 11}
    else:
        config, env = CASES[case]
        vpath, jpath = _build(config, BUILD / "src" / config.name)
        top, env = config.name, dict(env)
    env["TSC_MANIFEST"] = jpath
    run_bench([vpath], top, "tsc_tb", f"tsc_{case}", env=env)


def test_bench_read_checks_can_fail():
    import numpy as np
    from tsc_tb import reads_per_synapse, split_reads

    pos = np.array([[1, 0, 1], [0, 0, 0], [0, 1, 0]], dtype=bool)
    neg = np.array([[0, 0, 1], [1, 0, 0], [0, 0, 0]], dtype=bool)
    # events: step 0 -> [0] (input 2 has both bits), step 1 -> [0], step 2 -> [1]
    assert split_reads([0, 0, 1], pos, neg) == [[0], [0], [1]]
    for bad, match in (([0, 1, 0], "step 1"), ([0, 0], "step 2"), ([0, 0, 1, 1], "more than"),
                       ([0, 2, 0, 1], "step 1")):
        with pytest.raises(AssertionError, match=match):
            split_reads(bad, pos, neg)
    ids = np.array([0, 0, 0])
    assert reads_per_synapse([[0], [0], [1]], ids, 3) == 2
    assert reads_per_synapse([[0], [0], [0, 1]], ids, 3) == 3
    assert reads_per_synapse([[0], [0], [0, 1]], np.array([0, 0, 1]), 3) == 2
