"""Stream payloads of a core and the values its golden model expects, from its files alone.

The demo host, the end-to-end simulation and the synthesis harness see a core only through its
manifest: the payload layouts come from ``ports`` (packed with :mod:`common.payload`), the
expected values from the core package's golden adapter (:func:`gen.golden.golden_for`, which
runs the ``sim/`` models). Nothing here depends on the kind of core.
"""

from common.payload import pack, unpack
from gen.golden import golden_for

__all__ = ["adapter", "stimulus", "encode", "expected", "decode", "check_outputs",
           "evaluations"]


def adapter(core):
    """The golden-model adapter of a :class:`boards.cores.Core`."""
    return golden_for(core.manifest)


def stimulus(core, max_points=None):
    """``(xs, payloads)``: a demo's input payloads (ints) and the x they carry (None when the
    core's inputs are not an x sweep)."""
    xs, beats = adapter(core).stimulus(max_points)
    return xs, encode(core, beats)


def encode(core, beats):
    """Input payload ints of input payload values (field dicts or numbers)."""
    return [pack(core.in_layout, b) for b in beats]


def decode(core, payload):
    """The value (field dict) of an output payload int."""
    return unpack(core.out_layout, payload)


def expected(core, payloads):
    """The output payload ints the core must return for input payload ints."""
    beats = [unpack(core.in_layout, p) for p in payloads]
    return [pack(core.out_layout, e) for e in adapter(core).expected(beats)]


def evaluations(core, xs, outputs):
    """``(x, spike count, value)`` per swept x, from the output payload ints."""
    return adapter(core).evaluations(xs, [decode(core, o) for o in outputs])


def check_outputs(core, payloads, outputs):
    """One line per output that differs from the golden model (empty when all agree)."""
    want = expected(core, payloads)
    problems = []
    if len(outputs) != len(want):
        problems.append(f"{len(outputs)} replies for {len(want)} requests")
    for n, (got, exp) in enumerate(zip(outputs, want)):
        if got != exp:
            problems.append(f"beat {n} (input {unpack(core.in_layout, payloads[n])}): got "
                            f"{decode(core, got)}, want {decode(core, exp)}")
    return problems
