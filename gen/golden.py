"""Golden-model adapters: what a core must output, from its manifest alone.

Every core package has a ``golden`` module with a class built from a manifest (``Golden``):

``sweep(max_points=None)``
    The inputs a demo sweeps (integer x, every representable input of the interval, thinned
    evenly), or an :class:`InputError` for a core without such a sweep.
``beats(xs)``
    Input payload values (field dicts, see :mod:`common.payload`) carrying inputs ``xs``.
``expected(beats)``
    The output payload values the core must return for those beats (from ``sim/``).
``evaluations(xs, outputs)``
    ``(x, spike count, value)`` per input: what a demo tabulates and plots.
``stimulus(max_points=None)``
    ``(xs, beats)``: a demo's input beats and the x they carry (xs None for a core whose
    inputs are not an x sweep, e.g. spike frames).
``target``
    The function the core approximates (real in, real out), or None.

:func:`golden_for` picks the adapter by the manifest's ``core`` key: the one place that maps a
kind to its package. Consumers (the board demo, the synthesis harness, benchmarks) pack and
unpack payloads with ``common.payload`` and the manifest's ``ports``.
"""

import importlib

import numpy as np

from common.checks import InputError
from quant.metrics import representable_inputs

__all__ = ["KINDS", "golden_for", "GoldenBase"]

#: manifest ``core`` -> the package whose ``golden.Golden`` models it
KINDS = {
    "fsneuron": "gen.fsneuron",
    "amos": "gen.amos",
    "tsc": "gen.tsc",
    "ifneuron": "gen.ifneuron",
}


def golden_for(manifest):
    """The golden-model adapter of a manifest's core."""
    kind = manifest.get("core")
    if kind not in KINDS:
        raise InputError(f"unknown core {kind!r} (known: {', '.join(KINDS)})")
    return importlib.import_module(KINDS[kind] + ".golden").Golden(manifest)


class GoldenBase:
    """What the adapters share: the manifest, real-valued inputs and outputs, the sweep."""

    def __init__(self, manifest):
        self.manifest = manifest

    @property
    def target(self):
        return None

    def real_input(self, x):
        return np.asarray(x, dtype=np.float64) * 2.0 ** -self.manifest["input"].get("frac", 0)

    def real_output(self, value):
        frac = self.manifest["output"].get("frac", 0)
        return np.asarray(value, dtype=np.float64) * 2.0 ** -frac

    def sweep(self, max_points=None):
        """Every representable x of the manifest's interval (the whole input range without
        one), thinned evenly to ``max_points``."""
        m = self.manifest
        W, F = m["input"]["width"], m["input"].get("frac", 0)
        interval = m.get("interval")
        if not (isinstance(interval, (list, tuple)) and len(interval) == 2):
            interval = (-(1 << (W - 1)) * 2.0 ** -F, (1 << (W - 1)) * 2.0 ** -F)
        xs, _ = representable_inputs(interval, F, W, max_points=None)
        if max_points is not None and len(xs) > max_points:
            xs = xs[np.unique(np.linspace(0, len(xs) - 1, max_points).round().astype(int))]
        return xs

    def stimulus(self, max_points=None):
        xs = self.sweep(max_points)
        return xs, self.beats(xs)

    def no_sweep(self, why):
        raise InputError(f"a {self.manifest['core']} core has no x sweep: {why}")
