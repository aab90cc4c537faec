"""Formal proofs of the FS-neuron cores (SymbiYosys via yowasp-sby, yices).

One stream contract (``tests/kit/formal/contract.py``) with the FS golden rule and lemmas
(``tests/kit/formal/fs.py``):

* Unrolled cores, k-induction on the generated Verilog (black box) with ``o.ready`` high: the
  core takes an input every cycle and every output equals the golden model of the input
  ``latency`` cycles before, for every input, at every cycle (relu K=10, the default SiLU core,
  the published SiLU set).
* Both architectures, k-induction under arbitrary handshakes and resets (unbounded): every
  output equals the golden model of the input it belongs to, nothing is lost, duplicated or
  changed while stalled; made inductive by white-box lemmas on the core's registers. The
  default SiLU and sigmoid cores, relu K=10, a 3-lane random set, relu K=3 with 2 lanes.
* Shared cores, bounded, black box on the generated Verilog under arbitrary handshakes (also
  checks that an output follows within ``latency`` cycles), and the default SiLU core at full
  rate over three whole vectors.
* Deliberately broken variants (``>`` instead of ``>=``, a dropped output stall, a register one
  bit too narrow) must fail.
"""

import pytest

from clirun import ROOT
from formal.fs import black_box, white_box
from formal.sby import missing_tools, run_sby
from fs_broken import GtShared, GtUnrolled, NoStallShared, NoStallUnrolled
from fsneuron_sets import published_set, random_set, shipped_or_skip, write_set
from gen.core import ports_of
from gen.fsneuron import FSConfig, SharedCore, UnrolledCore, resolve
from gen.writer import to_verilog

BUILD = ROOT / "build" / "formal"

pytestmark = pytest.mark.skipif(bool(missing_tools()),
                                reason=f"missing {', '.join(missing_tools())} "
                                       "(pip install -e '.[formal]')")


class NarrowShared(SharedCore):
    """Broken: the accumulator one bit narrower than its derived width."""

    def elaborate(self, platform):
        acc = self.ir.widths["acc"]
        self.ir.widths["acc"] = dict(acc, width=acc["width"] - 1)
        try:
            return super().elaborate(platform)
        finally:
            self.ir.widths["acc"] = acc


def _config(kind, **fields):
    """An FSConfig for a named parameter source."""
    if kind == "relu":
        return FSConfig(act="relu", **fields)
    if kind == "silu_default":
        return FSConfig(act=str(shipped_or_skip("silu", 16, 8)), **fields)
    if kind == "silu_published":
        return FSConfig(act=str(write_set(published_set("silu_K16", 8), BUILD / "sets",
                                          "silu_published_K16_Q8")), **fields)
    if kind == "sigmoid_default":
        return FSConfig(act=str(shipped_or_skip("sigmoid", 12, 8)), **fields)
    if kind == "random_k3":
        return FSConfig(act=str(write_set(random_set(3, 4, seed=11), BUILD / "sets",
                                          "random_K3_Q4")), **fields)
    if kind == "random_k6":
        return FSConfig(act=str(write_set(random_set(6, 6, seed=12), BUILD / "sets",
                                          "random_K6_Q6")), **fields)
    raise ValueError(kind)


def _check_verilog(cls, config, mode, depth, tag="", **contract):
    """The black-box contract around the Verilog of ``cls`` built from ``config``."""
    ir = resolve(config)
    workdir = BUILD / f"{ir.name}_{mode}{tag}_{cls.__name__}"
    vfile = BUILD / f"{workdir.name}.v"
    vfile.parent.mkdir(parents=True, exist_ok=True)
    core = cls(ir)
    vfile.write_text(to_verilog(core, ir.name))
    # the manifest the writer publishes, ports from the signature of the core under check
    man = dict(ir.manifest(), ports=ports_of(core))
    return run_sby(workdir, black_box(man, **contract), mode=mode, depth=depth, verilog=[vfile])


@pytest.mark.parametrize("kind,fields", [
    ("relu", {"K": 10}),
    ("silu_default", {}),
    ("silu_published", {}),
], ids=["relu_k10", "silu_k16_q8_default", "silu_k16_q8_published"])
def test_unrolled_equals_spec_for_all_inputs(kind, fields):
    config = _config(kind, arch="unrolled", **fields)
    depth = resolve(config).latency + 2
    result = _check_verilog(UnrolledCore, config, "prove", depth, o_ready="high")
    assert result.status == "PASS", result.log


@pytest.mark.parametrize("kind,fields,depth", [
    ("relu", {"K": 3, "lanes": 2}, 16),
    ("random_k3", {}, 16),
], ids=["relu_k3_x2", "random_k3_q4"])
def test_shared_any_handshake_bounded(kind, fields, depth):
    config = _config(kind, **fields)
    result = _check_verilog(SharedCore, config, "bmc", depth,
                            response=resolve(config).latency)
    assert result.status == "PASS", result.log


@pytest.mark.parametrize("kind", ["silu_default", "silu_published"])
def test_shared_full_rate_bounded(kind):
    config = _config(kind)
    ir = resolve(config)
    depth = 3 * ir.ii + ir.latency + 2          # three whole vectors, any values
    result = _check_verilog(SharedCore, config, "bmc", depth, tag="_full", i_valid="high",
                            o_ready="high", reset="initial", response=ir.latency)
    assert result.status == "PASS", result.log


@pytest.mark.parametrize("cls,kind,fields,mode,depth,contract", [
    (GtUnrolled, "relu", {"K": 10, "arch": "unrolled"}, "prove", 12, {"o_ready": "high"}),
    (NoStallUnrolled, "relu", {"K": 3, "arch": "unrolled"}, "bmc", 8, {}),
    (GtShared, "relu", {"K": 3, "lanes": 2}, "bmc", 12, {}),
    (NoStallShared, "relu", {"K": 3, "lanes": 2}, "bmc", 16, {}),
    (NoStallShared, "random_k3", {}, "bmc", 16, {}),
], ids=["unrolled_gt", "unrolled_no_stall", "shared_gt", "shared_no_stall",
        "shared_no_stall_trained"])
def test_broken_variant_fails(cls, kind, fields, mode, depth, contract):
    result = _check_verilog(cls, _config(kind, **fields), mode, depth, **contract)
    assert result.status == "FAIL", result.log


def _prove(cls, config, mode, depth):
    """The white-box contract (with lemmas) around the Amaranth core ``cls``."""
    ir = resolve(config)
    workdir = BUILD / f"{ir.name}_proof_{mode}_{cls.__name__}"
    return run_sby(workdir, white_box(cls(ir)), mode=mode, depth=depth)


PROOF_CASES = [
    ("silu_default", {}),
    ("sigmoid_default", {}),
    ("relu", {"K": 10}),
    ("relu", {"K": 3, "lanes": 2}),
    ("random_k6", {"lanes": 3}),
]
PROOF_IDS = ["silu_k16_q8_default", "sigmoid_k12_q8_default", "relu_k10", "relu_k3_x2",
             "random_k6_q6_x3"]


@pytest.mark.parametrize("kind,fields", PROOF_CASES, ids=PROOF_IDS)
def test_shared_any_handshake_proof(kind, fields):
    result = _prove(SharedCore, _config(kind, **fields), "prove", 3)
    assert result.status == "PASS", result.log


# The unrolled core's handshake (one global enable) does not depend on its parameters, and its
# data path is proven for all inputs above; the 16-stage SiLU core would cost minutes here
# (each stage's invariant recomputes the spec from its input: K^2/2 steps).
@pytest.mark.parametrize("kind,fields", PROOF_CASES[2:], ids=PROOF_IDS[2:])
def test_unrolled_any_handshake_proof(kind, fields):
    result = _prove(UnrolledCore, _config(kind, arch="unrolled", **fields), "prove", 3)
    assert result.status == "PASS", result.log


@pytest.mark.parametrize("cls,kind,fields,depth", [
    (GtShared, "relu", {"K": 3, "lanes": 2}, 6),
    (NoStallShared, "relu", {"K": 3, "lanes": 2}, 12),
    (NarrowShared, "random_k3", {}, 8),
    (GtUnrolled, "relu", {"K": 3, "arch": "unrolled"}, 5),
    (NoStallUnrolled, "relu", {"K": 3, "arch": "unrolled"}, 8),
], ids=["shared_gt", "shared_no_stall", "shared_narrow_acc", "unrolled_gt", "unrolled_no_stall"])
def test_proof_rejects_broken_variant(cls, kind, fields, depth):
    """A real counterexample from the initial state (bmc), not just a failed induction step."""
    result = _prove(cls, _config(kind, **fields), "bmc", depth)
    assert result.status == "FAIL", result.log
