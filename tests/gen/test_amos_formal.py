"""Formal proofs of AMOS cores, for every input and every handshake (k-induction, SymbiYosys +
yices; the stream contract in tests/kit/formal/contract.py, the AMOS golden rule and stage lemmas
in tests/kit/formal/amos.py): the ReLU core (K = 10, the reference core) against the ReLU
definition, the trained sigmoid core against the integer recurrence, and broken variants that the
same harness must refute with a concrete trace."""

import pytest
from amaranth import Const

from formal.amos import white_box
from formal.sby import missing_tools, run_sby
from gen.amos import AmosCore, build_ir
from clirun import ROOT

FORMAL = ROOT / "build" / "formal"

pytestmark = pytest.mark.skipif(bool(missing_tools()),
                                reason=f"missing {', '.join(missing_tools())} "
                                       "(pip install -e '.[formal]')")


def test_relu_K10_proved():
    ir = build_ir("relu", K=10)
    result = run_sby(FORMAL / "amos_relu_k10", white_box(AmosCore(ir), relu=True),
                     mode="prove", depth=2)
    assert result.passed, result.log
    assert "successful proof by k-induction" in result.log


def test_trained_sigmoid_core_proved():
    """A trained core (rtl/amos_sigmoid_k8_q8) against the combinational integer recurrence
    (the golden model's semantics); ``PYTHONPATH=tests/kit python -m formal.amos --act silu``
    does the same for the SiLU K=12 core (minutes)."""
    ir = build_ir("sigmoid", K=8, Q=8)
    result = run_sby(FORMAL / "amos_sigmoid_k8_q8", white_box(AmosCore(ir)),
                     mode="prove", depth=2)
    assert result.passed, result.log


class StrictHeaviside(AmosCore):
    """Broken: z = [acc > 0] (Theta(0) = 0)."""

    def fires(self, acc):
        return acc > 0


class NoStall(AmosCore):
    """Broken: the pipeline moves even when the output register is full and not taken."""

    def elaborate(self, platform):
        m = super().elaborate(platform)
        m.d.comb += self.pipe.enable.eq(Const(1))       # a later assignment wins
        return m


@pytest.mark.parametrize("cls", [StrictHeaviside, NoStall], ids=["strict_heaviside", "no_stall"])
def test_broken_relu_is_refuted(cls):
    ir = build_ir("relu", K=10)
    # bounded from reset, deep enough for an input to reach the output: a real trace
    result = run_sby(FORMAL / f"amos_relu_k10_{cls.__name__}", white_box(cls(ir), relu=True),
                     mode="bmc", depth=ir.latency + 2)
    assert result.status == "FAIL", result.log
    assert "counterexample trace" in result.log
