"""The Amaranth-simulator stream kit catches the bugs it exists to catch, each under the
patterns that expose it (the same pipeline variants as the cocotb kit's test)."""

import random

import pytest

from addpipe import CONST, WIDTH, AddPipe
from amaranth_streams import PATTERNS, check_beats, run_stream, stream_ports

STALLS = {"random_backpressure", "both"}


def _check(variant, pattern):
    rng = random.Random(3)
    xs = [rng.randrange(1 << WIDTH) for _ in range(200)]
    run = run_stream(AddPipe(variant), xs, pattern=pattern, seed=2)
    check_beats(run.outputs, [(x + CONST) % (1 << WIDTH) for x in xs], xs)
    return run


@pytest.mark.parametrize("pattern", PATTERNS)
def test_good_pipeline_passes(pattern):
    run = _check("good", pattern)
    if pattern == "no_stalls":
        assert [e - a for a, e in zip(run.accepts, run.emits)] == [2] * 200
        assert run.accepts == list(range(run.accepts[0], run.accepts[0] + 200))


@pytest.mark.parametrize("pattern", PATTERNS)
def test_lost_beats_fail_under_backpressure(pattern):
    if pattern in STALLS:
        with pytest.raises(AssertionError, match="beats differ|beats for"):
            _check("never_stalls", pattern)
    else:
        _check("never_stalls", pattern)


@pytest.mark.parametrize("pattern", sorted(STALLS))
def test_monitor_catches_payload_change_while_stalled(pattern):
    with pytest.raises(AssertionError, match="payload changed from"):
        _check("unstable_output", pattern)


def test_stream_ports_are_the_manifest_payloads():
    from amaranth.hdl import Fragment

    from gen.core import ports_of
    from gen.fsneuron import FSConfig, resolve

    for core in (AddPipe(), resolve(FSConfig(act="relu", K=3, lanes=2)).component()):
        full = ports_of(core)
        assert stream_ports(core) == {n: {"payload": p["payload"]} for n, p in full.items()}
        Fragment.get(core, None)            # elaborated: not an unused design
