"""What both stream kits share: the named handshake patterns, their seeded pause generators and
the scoreboard that compares received beats with the golden model's.

The cocotb kit (``benches/streams.py``) and the Amaranth-simulator kit (``amaranth_streams.py``)
drive the same patterns from the same generators, so a pattern means the same stimulus in both.

Pause generators follow cocotbext-axi: an endless iterator of booleans, one per clock cycle,
``True`` meaning "hold back this cycle" (a source offers nothing new, a sink is not ready).
"""

import random

__all__ = ["PATTERNS", "pattern_test", "pattern_id", "random_pauses", "pattern_pauses",
           "check_beats", "differences"]

#: The handshake patterns every stream bench runs, each as its own named test:
#: full rate; random input gaps; random output back-pressure; both at once.
PATTERNS = ("no_stalls", "random_gaps", "random_backpressure", "both")


def pattern_test(test, pattern):
    """The name of cocotb test ``test`` made for ``pattern`` by ``streams.for_each_pattern``."""
    return f"{test}/pattern={pattern}"


def pattern_id(test):
    """A pytest id for a cocotb test name: ``stream/pattern=both`` -> ``stream_both``."""
    return test.replace("/pattern=", "_")


def random_pauses(seed, levels=(0.1, 0.5, 0.9), phase=(8, 64)):
    """Endless seeded pause pattern in phases of random length (``phase`` cycles, inclusive),
    each phase with a pause chance drawn from ``levels``.

    Changing the density in phases gives, in one stream, bursts into a slow sink and a trickle
    into a fast one (where pipelines fill up and drain), not only a steady 50 % duty cycle.
    """
    rng = random.Random(seed)
    while True:
        chance = rng.choice(levels)
        for _ in range(rng.randint(*phase)):
            yield rng.random() < chance


def pattern_pauses(pattern, seed=0):
    """``(source_pauses, sink_pauses)`` of a named pattern; ``None`` where that end never
    pauses."""
    if pattern not in PATTERNS:
        raise ValueError(f"pattern must be one of {', '.join(PATTERNS)}, not {pattern!r}")
    gaps = pattern in ("random_gaps", "both")
    stalls = pattern in ("random_backpressure", "both")
    return (random_pauses(2 * seed + 1) if gaps else None,
            random_pauses(2 * seed + 2) if stalls else None)


def differences(got, want, path=""):
    """Readable differences between two payload values (ints, field dicts, lists)."""
    if isinstance(want, dict) and isinstance(got, dict):
        out = []
        for key in want:
            out += differences(got.get(key), want[key], f"{path}.{key}" if path else str(key))
        return out
    if isinstance(want, (list, tuple)) and isinstance(got, (list, tuple)) \
            and len(got) == len(want):
        out = []
        for n, (g, w) in enumerate(zip(got, want)):
            out += differences(g, w, f"{path}[{n}]")
        return out
    if got == want:
        return []
    return [f"{path or 'payload'} got {got!r}, want {want!r}"]


def check_beats(got, want, inputs=None, what="output", show=3):
    """Scoreboard: assert the received beats ``got`` equal ``want`` in order.

    Parameters
    ----------
    got, want : list
        Received and expected payload values (field dicts, lists or ints).
    inputs : list, optional
        The input beat behind each expected one, named in the report.
    what : str
        What the beats are, for the message.
    show : int
        How many mismatches to describe.

    Raises
    ------
    AssertionError
        Naming the number of mismatches, the first ``show`` of them field by field (with their
        inputs), and any missing or extra beats.
    """
    bad = [n for n, (g, w) in enumerate(zip(got, want)) if g != w]
    if not bad and len(got) == len(want):
        return
    lines = []
    if bad:
        lines.append(f"{len(bad)} of {min(len(got), len(want))} {what} beats differ:")
    for n in bad[:show]:
        cause = f" (input {inputs[n]!r})" if inputs is not None and n < len(inputs) else ""
        lines.append(f"  beat {n}{cause}: " + "; ".join(differences(got[n], want[n])))
    if len(got) != len(want):
        lines.append(f"{len(got)} {what} beats for {len(want)} expected"
                     + (f"; first extra: {got[len(want)]!r}" if len(got) > len(want) else
                        f"; first missing: {want[len(got)]!r}"))
    raise AssertionError("\n".join(lines))
