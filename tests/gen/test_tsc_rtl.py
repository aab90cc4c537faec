"""TSC core in RTL simulation (cocotb, tests/kit/benches/tsc_tb.py) and the reference core in rtl/.

The bench reads each core's manifest and scores every output beat and every weight read
against sim.tsc.TSCLayer under random gaps and back-pressure.
"""

import pytest

from clirun import ROOT
from rtlsim import BUILD, run_bench, simulator  # also puts tests/kit/benches on sys.path

from gen.tsc import TSCConfig, generate

RTL = ROOT / "rtl"
#: the reference core: python -m gen tsc --inputs 64 --neurons 16 (default out: rtl/)
REFERENCE = "tsc_m64_l16"


def _build(config, folder):
    folder.mkdir(parents=True, exist_ok=True)
    return generate(config, folder)


@pytest.mark.parametrize("case", ["reference", "small_wrap"])
def test_cocotb(case):
    simulator()
    if case == "reference":
        vpath, jpath = RTL / f"{REFERENCE}.v", RTL / f"{REFERENCE}.json"
        top, env = REFERENCE, {"TSC_SEED": 11}
    else:
        # M = 5, L = 3, 4-bit weights, widths for 6-step frames: the long random frames of
        # the bench wrap I and V, which the model must follow bit for bit
        config = TSCConfig(inputs=5, neurons=3, wbits=4, steps=6, seed=5, threshold=[3, 7, 20],
                           name="tsc_small_wrap")
        vpath, jpath = _build(config, BUILD / "src" / "tsc_small_wrap")
        top, env = "tsc_small_wrap", {"TSC_SEED": 12, "TSC_SCALE": 2}
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
