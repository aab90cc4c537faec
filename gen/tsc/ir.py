"""TSC generator, stages 1-2: configuration and intermediate representation.

:class:`TSCConfig` holds what the user asked for (sizes, mode, weights or a seed, thresholds);
:func:`build_ir` resolves it into a :class:`TSCIR`: the L x M integer weights, the L thresholds,
every register width (derived from value ranges, :func:`sim.tsc.tsc_int_bounds` or
:func:`sim.tsc.tsc_framed_bounds`), the memory organization, the timing and the manifest. The
Amaranth core (:mod:`gen.tsc.core`) is built from the IR alone.

Timing. The core works on the events of a step, one weight read per cycle: a step with E input
events (``popcount(pos XOR neg)``) takes ``max(1, E)`` cycles, and its output beat is valid
``max(1, E) + 8`` cycles after its input beat was accepted. The manifest's integer ``ii`` and
``latency`` are these figures for the worst step, E = M (every input has an event); the
formulas, which hold step by step, are the ``cycles_per_step`` entry.
"""

from dataclasses import dataclass

import numpy as np

from common.checks import InputError, check_choice, check_int
from gen.core import CoreIR
from gen.widths import signed_range, signed_width
from gen.writer import check_name
from sim.tsc import MODES, tsc_framed_bounds, tsc_int_bounds

from .weights import default_threshold, int_matrix, random_weights, resolve_thresholds

__all__ = ["TSCConfig", "TSCIR", "build_ir", "LIMITS", "CYCLES_PER_STEP", "LATENCY",
           "PIPELINE_STAGES"]

#: Accepted parameter ranges (inclusive).
LIMITS = {
    "inputs": (1, 4096),
    "neurons": (1, 256),
    "wbits": (2, 16),
    "steps": (1, 65536),
    "weight_frac": (0, 32),
    "seed": (0, (1 << 63) - 1),
}

#: Registered stages after the scan: the one-hot pick, the read address, the memory read, the
#: word register, the signed weight register, the current add, the neuron update and the spike
#: register, with the output buffer's own cycle: latency = the scan's max(1, E) + 8.
PIPELINE_STAGES = 8

#: Steady-state cycles per time step and the latency of a step, as formulas in E.
CYCLES_PER_STEP = "max(1, E)"
LATENCY = f"max(1, E) + {PIPELINE_STAGES}"

#: What one step computes, per mode (the manifest's ``semantics``).
SEMANTICS = {
    "stream": "per step: I += sum_m w[l][m] (pos_m - neg_m); V += I; s = [V >= theta_l]; if s: "
              "V -= theta_l; if not done and not firing and s: pos, firing = 1; elif firing and "
              "not s: neg, firing = 0, done = 1; a step with first = 1 clears I, V, firing, done "
              "first",
    "framed": "integration, per step: I += sum_m w[l][m] (pos_m - neg_m); V += I. A step with "
              "first = 1 first hands V to H and clears I, V, on, done and the step counter t "
              "(else t = min(t + 1, N - 1), N = steps). Emission from H, per step: s = [H >= "
              "theta_l]; if s and not done: H -= theta_l, on (the first on-step emits pos); if "
              "on before and not s: neg, done; a neuron on at t = N - 1 emits neg there. "
              "On-time min(floor(V / theta), N - 1); output beat t of frame k+1 answers frame k",
}


@dataclass(frozen=True)
class TSCConfig:
    """What the user asked for.

    Parameters
    ----------
    inputs, neurons : int
        M and L.
    wbits : int
        Weight width (signed), 2 to 16.
    weights : array_like, optional
        L x M integer codes; default: :func:`gen.tsc.weights.random_weights` with ``seed``.
    threshold : int or sequence of int, optional
        One value for every neuron or L values, >= 1, in weight units; default
        :func:`gen.tsc.weights.default_threshold`.
    weight_frac : int, optional
        Fraction bits of the weight codes (real weight = code * 2**-weight_frac), recorded in
        the manifest for conversion; default ``wbits - 1`` (codes cover [-1, 1)).
    steps : int
        Stream mode: the longest frame (time steps) the core computes exactly (sizes I and V).
        Framed mode: the frame length N (the emission's last step) and the frame the
        registers are sized for.
    mode : str
        ``stream`` (:mod:`sim.tsc.stream`) or ``framed`` (:mod:`sim.tsc.framed`).
    seed : int
        Seed of the random weights.
    name : str, optional
        Verilog module name; default ``tsc_m{M}_l{L}`` (``..._framed`` in framed mode).
    weights_file : str, optional
        Base name of the weight file: the manifest's ``source``.
    threshold_source : str, optional
        Where the thresholds came from, named in error messages.
    """

    inputs: int
    neurons: int
    wbits: int = 8
    weights: object = None
    threshold: object = None
    weight_frac: object = None
    steps: int = 256
    mode: str = "stream"
    seed: int = 0
    name: object = None
    weights_file: object = None
    threshold_source: object = None


@dataclass(frozen=True)
class TSCIR(CoreIR):
    """A resolved TSC layer core: everything the Amaranth component and the manifest need.

    Attributes
    ----------
    mode : str
        ``stream`` or ``framed``.
    weights : tuple of tuple of int
        L rows of M codes.
    threshold : tuple of int
        L thresholds.
    widths : dict
        ``weight``, ``delta`` (a signed weight, negated or not: wbits + 1), ``current``,
        ``membrane``, ``address``, ``word`` (memory word, L * wbits), ``input_payload``
        (2M + 1), ``output_payload`` (2L); framed: ``step`` (the emission step counter).
    bounds : dict
        The value ranges the widths come from.
    source : str
        Where the weights came from: the weight file's name, or the seeded draw.
    """

    kind = "tsc"

    name: str
    inputs: int
    neurons: int
    wbits: int
    weight_frac: int
    steps: int
    mode: str
    weights: tuple
    threshold: tuple
    widths: dict
    bounds: dict
    source: str

    @property
    def latency(self):
        """Cycles from a step's input transfer to its output transfer for the worst step
        (E = M events), the core idle and ``o.ready`` high."""
        return self.inputs + PIPELINE_STAGES

    @property
    def ii(self):
        """Cycles between input transfers at full rate for the worst step: E = M."""
        return self.inputs

    def signature(self):
        """Stream ports ``i`` (struct {pos: M, neg: M, first: 1}) and ``o`` (struct {pos: L,
        neg: L}), LSB first."""
        from .core import core_signature

        return core_signature(self.inputs, self.neurons)

    def component(self):
        from .core import TSCCore

        return TSCCore.from_ir(self)

    def manifest_fields(self):
        M, L, wb = self.inputs, self.neurons, self.wbits
        return {
            "inputs": M,
            "neurons": L,
            "mode": self.mode,
            "weights": [list(row) for row in self.weights],
            "threshold": list(self.threshold),
            "weight_frac": self.weight_frac,
            "wbits": wb,
            "steps": self.steps,
            "source": self.source,
            # a frame of `steps` steps gives one value per neuron; TSC-encoded input has at most
            # two events per input per frame, so a frame takes at most steps + 2M cycles
            "throughput": {"values": L, "cycles": self.steps + 2 * M},
            "widths": dict(self.widths),
            "cycles_per_step": {
                "formula": CYCLES_PER_STEP,
                "E": "input events of the step: popcount(pos XOR neg)",
                "latency": LATENCY,
                "worst_case": f"E = M = {M}: ii {self.ii}, latency {self.latency} (the "
                              f"manifest's ii and latency)",
                "note": "steady state without input gaps or output back-pressure: one "
                        "weight read per cycle; a step with no events still takes one cycle",
            },
            "probes": {
                "weight_read": "internal signal: high in a cycle that reads a weight word "
                               "(one per input event)",
                "weight_addr": "internal signal: the input index read in that cycle",
            },
            "memory": {
                "depth": M,
                "width": L * wb,
                "word": f"word m holds w[l][m] for l = 0..{L - 1}, neuron l in bits "
                        f"[{wb}*l, {wb}*l + {wb})",
                "read": "synchronous, one read per input event, shared by all L neurons",
            },
            "semantics": SEMANTICS[self.mode],
            "overflow": f"exact for frames of up to {self.steps} steps; longer frames wrap I "
                        f"and V in two's complement (sim.tsc.{self.model_name} with "
                        f"current_width and membrane_width models it)",
        }

    @property
    def model_name(self):
        """The golden model's class in :mod:`sim.tsc`."""
        return "FramedTSCLayer" if self.mode == "framed" else "TSCLayer"

    def describe(self):
        M, L = self.inputs, self.neurons
        theta = sorted(set(self.threshold))
        theta_text = str(theta[0]) if len(theta) == 1 else f"{theta[0]}..{theta[-1]} (per neuron)"
        w = self.widths
        frames = (f"frames of N = {self.steps} steps, answer in the next frame"
                  if self.mode == "framed" else
                  f"exact for frames of up to {self.steps} steps")
        lines = [
            ("weights", f"{L} x {M} signed {self.wbits}-bit codes, {self.weight_frac} fraction "
                        f"bits, from {self.source}"),
            ("threshold", f"{theta_text} (weight units)"),
            ("registers", f"current {w['current']} bits, membrane {w['membrane']} bits; "
                          f"{frames}"),
            ("memory", f"{M} words x {L * self.wbits} bits, one read per input event"),
            ("per step", f"{CYCLES_PER_STEP} cycles, latency {LATENCY} (E = input events)"),
        ]
        return f"TSC layer ({self.mode} mode), M={M} inputs, L={L} neurons", lines


def _weights(config, M, L, wbits, seed):
    """(weights, source) of a configuration, checked against the sizes and ``wbits``."""
    where = f"weights file {config.weights_file!r}" if config.weights_file else "weights"
    if config.weights is None:
        w = random_weights(M, L, wbits, seed)
        lo, hi = signed_range(wbits)
        source = (f"seed {seed}: numpy.random.default_rng({seed}).integers({lo}, {hi + 1}, "
                  f"size=({L}, {M}))")
    else:
        w = int_matrix(config.weights, where)
        if w.shape != (L, M):
            raise InputError(f"{where} has shape {w.shape[0]} x {w.shape[1]}, expected "
                             f"neurons x inputs = {L} x {M}")
        source = config.weights_file or "weights given to gen.tsc.build_ir"
    lo, hi = signed_range(wbits)
    outside = (w < lo) | (w > hi)
    if outside.any():
        l, m = np.argwhere(outside)[0]
        raise InputError(f"{where}: weight [{l}][{m}] = {int(w[l, m])} is outside the "
                         f"{wbits}-bit range [{lo}, {hi}]")
    return w, source


def _widths(w, theta, steps, mode, M, L, wbits):
    """Register widths from value ranges over frames of up to ``steps`` steps."""
    # |I| <= steps S; V in the ranges of the mode's bounds (S = max_l sum_m |w|). Theta must
    # also fit the membrane width: the compare with theta is exact in wV + 2 bits only for
    # theta < 2**(wV-1). delta = +-w needs one bit more than w (-(-2**(wbits-1)) =
    # 2**(wbits-1)).
    bounds = (tsc_framed_bounds if mode == "framed" else tsc_int_bounds)(w, theta, steps)
    current = max(2, signed_width(*bounds["current"]))
    membrane = max(current, signed_width(bounds["membrane"][0],
                                         max(bounds["membrane"][1], max(theta))))
    widths = {
        "weight": wbits,
        "delta": wbits + 1,
        "current": current,
        "membrane": membrane,
        "address": (M - 1).bit_length(),          # ceil(log2 M), 0 for M = 1
        "word": L * wbits,
        "input_payload": 2 * M + 1,
        "output_payload": 2 * L,
    }
    if mode == "framed":
        widths["step"] = max(1, (steps - 1).bit_length())    # counts 0 .. N - 1
    return widths, bounds


def build_ir(config):
    """Check a :class:`TSCConfig` and resolve it into a :class:`TSCIR`."""
    M = check_int("inputs", config.inputs, *LIMITS["inputs"])
    L = check_int("neurons", config.neurons, *LIMITS["neurons"])
    wbits = check_int("wbits", config.wbits, *LIMITS["wbits"])
    steps = check_int("steps", config.steps, *LIMITS["steps"])
    seed = check_int("seed", config.seed, *LIMITS["seed"])
    mode = check_choice("mode", config.mode, MODES)
    default_name = f"tsc_m{M}_l{L}" + ("_framed" if mode == "framed" else "")
    name = check_name(config.name if config.name is not None else default_name)
    w, source = _weights(config, M, L, wbits, seed)
    if config.threshold is None:
        theta = [default_threshold(w)] * L
    else:
        theta = resolve_thresholds(config.threshold, L, config.threshold_source)
    weight_frac = wbits - 1 if config.weight_frac is None else config.weight_frac
    weight_frac = check_int("weight_frac", weight_frac, *LIMITS["weight_frac"])
    widths, bounds = _widths(w, theta, steps, mode, M, L, wbits)
    return TSCIR(name=name, inputs=M, neurons=L, wbits=wbits, weight_frac=weight_frac,
                 steps=steps, mode=mode, weights=tuple(tuple(int(v) for v in row) for row in w),
                 threshold=tuple(theta), widths=widths,
                 bounds={k: list(v) if isinstance(v, tuple) else v for k, v in bounds.items()},
                 source=source)
