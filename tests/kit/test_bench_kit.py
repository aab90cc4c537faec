"""The cocotb stream kit catches the bugs it exists to catch, each under the patterns that
expose it: a correct pipeline passes every handshake pattern; one whose input never stalls
loses beats only under back-pressure; one whose output changes while stalled breaks the stream
rule the monitor checks."""

import json

import pytest
from amaranth.back import verilog

from addpipe import CONST, WIDTH, AddPipe
from gen.core import ports_of
from handshake import PATTERNS, pattern_test
from rtlsim import BUILD, Regression

STALLS = {"random_backpressure", "both"}


def _make(variant):
    def make():
        name = f"selftest_{variant}"
        folder = BUILD / "src" / name
        folder.mkdir(parents=True, exist_ok=True)
        core = AddPipe(variant)
        (folder / f"{name}.v").write_text(verilog.convert(core, name=name, emit_src=False))
        manifest = {"latency": 2, "ii": 1, "width": WIDTH, "const": CONST,
                    "ports": ports_of(core)}
        (folder / f"{name}.json").write_text(json.dumps(manifest))
        return [folder / f"{name}.v"], name, {"SELFTEST_MANIFEST": folder / f"{name}.json"}
    return Regression(f"selftest_{variant}", "selftest_tb", make)


BENCHES = {v: _make(v) for v in ("good", "never_stalls", "unstable_output")}


@pytest.mark.parametrize("pattern", PATTERNS)
def test_good_pipeline_passes(pattern):
    BENCHES["good"].check(pattern_test("add_constant", pattern))


@pytest.mark.parametrize("pattern", PATTERNS)
def test_lost_beats_fail_under_backpressure(pattern):
    if pattern in STALLS:
        with pytest.raises(AssertionError, match="beats differ|beats for"):
            BENCHES["never_stalls"].check(pattern_test("add_constant", pattern))
    else:
        BENCHES["never_stalls"].check(pattern_test("add_constant", pattern))


@pytest.mark.parametrize("pattern", sorted(STALLS))
def test_monitor_catches_payload_change_while_stalled(pattern):
    with pytest.raises(AssertionError, match="payload changed from"):
        BENCHES["unstable_output"].check(pattern_test("add_constant", pattern))
