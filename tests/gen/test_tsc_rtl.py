"""TSC core in RTL simulation (cocotb, tests/kit/benches/tsc_tb.py): the reference core in rtl/,
a framed core of the same size and two small cores whose registers wrap (one per mode).

The bench reads each core's manifest and scores every output beat and every weight read
against the golden model of its mode (sim.tsc.TSCLayer, sim.tsc.FramedTSCLayer); each
configuration is built once, and each of its cocotb tests (TSC frames and random spikes under
each handshake pattern, cycles per step) is its own pytest item.
"""

import pytest

from clirun import ROOT
from gen.tsc import TSCConfig, build_ir
from gen.writer import generate
from handshake import PATTERNS, pattern_id, pattern_test
from rtlsim import BUILD, Regression

RTL = ROOT / "rtl"
#: the reference core: python -m gen tsc --inputs 64 --neurons 16 --out rtl
REFERENCE = "tsc_m64_l16"


def _reference():
    return [RTL / f"{REFERENCE}.v"], REFERENCE, {"TSC_SEED": 11,
                                                "TSC_MANIFEST": RTL / f"{REFERENCE}.json"}


def _generated(config, env):
    """A build function for a core made here (in the build folder) from ``config``."""
    def build():
        folder = BUILD / "src" / config.name
        folder.mkdir(parents=True, exist_ok=True)
        result = generate(build_ir(config), folder)
        return [result.verilog], config.name, {**env, "TSC_MANIFEST": result.manifest}
    return build


#: The cores besides the reference: (config, bench environment).
GENERATED = {
    # M = 5, L = 3, 4-bit weights, widths for 6-step frames: the long random frames of the
    # bench wrap I and V, which the model must follow bit for bit
    "small_wrap": (TSCConfig(inputs=5, neurons=3, wbits=4, steps=6, seed=5,
                             threshold=[3, 7, 20], name="tsc_small_wrap"),
                   {"TSC_SEED": 12, "TSC_SCALE": 2}),
    # framed mode, the reference size: M = 64, L = 16, frames of N = 16 steps
    "framed": (TSCConfig(inputs=64, neurons=16, steps=16, mode="framed", threshold=600,
                         name="tsc_framed_m64_l16"), {"TSC_SEED": 13}),
    # framed mode, small and wrapping: random frames longer than the N = 5 it is sized for
    "framed_small_wrap": (TSCConfig(inputs=5, neurons=3, wbits=4, steps=5, seed=6,
                                    threshold=[2, 6, 15], mode="framed",
                                    name="tsc_framed_small_wrap"),
                          {"TSC_SEED": 14, "TSC_SCALE": 2}),
}


RUNS = {"reference": Regression("tsc_reference", "tsc_tb", _reference),
        **{case: Regression(f"tsc_{case}", "tsc_tb", _generated(*GENERATED[case]))
           for case in GENERATED}}
TESTS = [*(pattern_test(t, p) for t in ("tsc_frames", "random_spikes") for p in PATTERNS),
         "cycles_per_step"]


@pytest.mark.parametrize("test", TESTS, ids=pattern_id)
@pytest.mark.parametrize("case", sorted(RUNS))
def test_cocotb(case, test):
    RUNS[case].check(test)


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
