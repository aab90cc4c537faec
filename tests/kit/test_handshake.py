"""The shared pieces of the stream kits: pause patterns and the scoreboard's report."""

import itertools

import pytest

from handshake import PATTERNS, check_beats, pattern_pauses, random_pauses


def test_patterns_pause_the_ends_they_name():
    for pattern in PATTERNS:
        source, sink = pattern_pauses(pattern, seed=3)
        assert (source is not None) == (pattern in ("random_gaps", "both"))
        assert (sink is not None) == (pattern in ("random_backpressure", "both"))
    with pytest.raises(ValueError, match="not 'sometimes'"):
        pattern_pauses("sometimes")


def test_pauses_are_seeded_and_vary_in_density():
    a = list(itertools.islice(random_pauses(5), 4000))
    assert a == list(itertools.islice(random_pauses(5), 4000))
    assert a != list(itertools.islice(random_pauses(6), 4000))
    # phases of different density: some 64-cycle windows mostly pause, some mostly run
    windows = [sum(a[k:k + 64]) / 64 for k in range(0, 4000, 64)]
    assert min(windows) < 0.3 and max(windows) > 0.7


def test_scoreboard_names_the_first_mismatches_field_by_field():
    want = [{"lane0": {"spikes": n, "value": n}} for n in range(10)]
    got = [dict(w) for w in want]
    check_beats(got, want)
    got[4] = {"lane0": {"spikes": 4, "value": -1}}
    got[7] = {"lane0": {"spikes": 0, "value": 7}}
    with pytest.raises(AssertionError) as info:
        check_beats(got, want, inputs=[{"lane0": 100 + n} for n in range(10)], show=1)
    text = str(info.value)
    assert "2 of 10 output beats differ" in text
    assert "beat 4 (input {'lane0': 104}): lane0.value got -1, want 4" in text
    assert "beat 7" not in text and "spikes" not in text


def test_scoreboard_reports_missing_and_extra_beats():
    with pytest.raises(AssertionError, match="2 output beats for 3 expected; first missing: 3"):
        check_beats([1, 2], [1, 2, 3])
    with pytest.raises(AssertionError, match="4 output beats for 3 expected; first extra: 9"):
        check_beats([1, 2, 3, 9], [1, 2, 3])
