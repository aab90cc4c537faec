"""Configuration and intermediate representation of an FS-neuron core.

:class:`FSConfig` is what a user asks for (the command-line options); :func:`resolve` turns it
into an :class:`FSCoreIR`: every parameter as an integer in hardware units, every register width
with the value range it was derived from, the latency and initiation interval, and the manifest.
The Amaranth components (:mod:`gen.fsneuron.cores`) are built from the IR alone.

Parameter sources
-----------------
* ``act="relu"``: no file. The input is in units of the quantum ``alpha * 2**-K`` (alpha is
  folded into the upstream weights), scaled by ``2**F`` when an input fraction is given:
  ``T(t) = h(t) = 2**(K-t) << F`` input LSBs and ``d(t) = 2**(K-t)`` output LSBs (output
  fraction 0), so the core computes ``clamp(floor(x * 2**-F), 0, 2**K - 1)`` exactly. ``Q`` does
  not apply (the manifest's ``Q`` is null).
* ``act="silu"``, ``"sigmoid"`` (or any name with a shipped set): the shipped Q-bit set
  ``quant/params/<act>_K<K>_Q<Q>.json``.
* ``act=PATH`` (a ``.json`` file) or an :class:`quant.params.FSParamSet`: a Q-bit set is used as
  is (asking for a different Q is an error); a float set is rounded to Q bits (ties to even), which
  the IR records in ``notes``.

Trained sets: thresholds and resets become input-LSB integers ``code << (F - (Q-4))``; the output
weights stay codes, so the output has ``Q-4`` fraction bits. The default input fraction is
``F = Q-4`` and the default width is the narrowest that holds every input of the training
interval ``[lo, hi)`` and every threshold and reset.

Width derivation
----------------
For the W-bit input range ``[-2**(W-1), 2**(W-1) - 1]`` the membrane range is propagated step by
step with interval arithmetic (:func:`step_ranges`): at step t the neuron can fire only if
``v_hi >= T(t)`` and can stay silent only if ``v_lo < T(t)``; firing maps
``[max(v_lo, T), v_hi]`` to that minus ``h(t)``, silence keeps ``[v_lo, min(v_hi, T-1)]``. The
running output sum is propagated the same way. These ranges are sound (every reachable value lies
inside) and never wider than :func:`sim.fs.fs_int_bounds`; each register gets
:func:`gen.widths.signed_width` of its range.
"""

import math
import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from common.checks import InputError, check_choice, check_int
from gen.core import CoreIR
from gen.widths import signed_range, signed_width
from gen.writer import check_name
from quant.fixed import QFormat, check_Q
from quant.metrics import representable_mse
from quant.params import FSParamSet, list_shipped, load, shipped_path
from sim.fs import fs_int, fs_int_bounds, relu_schedule

__all__ = ["FSConfig", "FSCoreIR", "resolve", "step_ranges", "ARCHS", "K_MIN", "K_MAX",
           "W_MAX", "DEFAULT_Q", "DEFAULT_K", "default_name", "TRAINED"]

#: The architectures: one ROM shared by N lanes (ii = K), or K pipeline stages (ii = 1).
ARCHS = ("shared", "unrolled")

K_MIN, K_MAX = 1, 32

#: Widest input accepted (keeps every quantity well inside the simulators' integers).
W_MAX = 64

#: Most lanes one core may have.
LANES_MAX = 1024

DEFAULT_K = 16
DEFAULT_Q = 8

#: Activations with shipped trained sets named on the command line.
TRAINED = ("silu", "sigmoid")

_REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class FSConfig:
    """What to generate: the options of ``python -m gen fsneuron``.

    Parameters
    ----------
    act : str or FSParamSet
        ``"silu"``, ``"sigmoid"`` (shipped trained sets), ``"relu"`` (analytic, no ROM), a path to a
        parameter file (``*.json``), or a parameter set object.
    K : int or None
        Time steps, 1 to 32. None: 16, or the K of the parameter file.
    Q : int or None
        Parameter code width, 2 to 16. None: 8, or the Q of a Q-bit parameter file. Ignored for
        ReLU (checked for range all the same).
    lanes : int
        Neurons per core (one input vector holds ``lanes`` inputs).
    arch : str
        ``"shared"`` or ``"unrolled"``.
    width, frac : int or None
        Input width W and fraction bits F (real value ``x * 2**-F``). None: the defaults
        (trained: F = Q-4, W just wide enough for the interval; ReLU: F = 0, W = K+2).
    name : str or None
        Verilog module and file name; None: :func:`default_name`.
    """

    act: object = "silu"
    K: int = None
    Q: int = None
    lanes: int = 1
    arch: str = "shared"
    width: int = None
    frac: int = None
    name: str = None

    def __post_init__(self):
        if not isinstance(self.act, (str, FSParamSet)) or (isinstance(self.act, str)
                                                           and not self.act.strip()):
            raise InputError(f"activation must be silu, sigmoid, relu or a parameter file, "
                             f"not {self.act!r}")
        if self.K is not None:
            check_int("K", self.K, K_MIN, K_MAX)
        if self.Q is not None:
            check_Q(self.Q)
        check_int("lanes", self.lanes, 1, LANES_MAX)
        check_choice("arch", self.arch, ARCHS)
        if self.width is not None:
            check_int("input width W", self.width, 1, W_MAX)
        if self.frac is not None:
            check_int("input fraction F", self.frac)
        if self.name is not None:
            check_name(self.name)

    @property
    def is_relu(self):
        return isinstance(self.act, str) and self.act.strip() == "relu"


@dataclass
class FSCoreIR(CoreIR):
    """A resolved FS-neuron core: integers, widths, timing. Built by :func:`resolve`.

    Follows the core protocol (:class:`gen.core.CoreIR`): ``kind`` is ``"fsneuron"``.

    Attributes
    ----------
    name : str
        Verilog module name.
    activation : str
        What the core approximates.
    K, lanes, arch :
        As configured.
    Q : int or None
        Code width (None for ReLU).
    W, F : int
        Input width and fraction bits.
    Wout, Fout : int
        Output value width and fraction bits.
    T, h : list of int
        Thresholds and resets in input-LSB units.
    d : list of int
        Output weights in output-LSB units.
    interval : tuple
        The activation's training interval (in real input units).
    steps : list of dict
        Per step t = 1..K: ``v`` (range of v(t)), ``acc`` (range of the output sum before step t),
        ``can_fire``, ``can_rest``; plus a final entry with ``v`` = range of v(K+1) and ``acc`` =
        the output range.
    widths : dict
        Register name -> ``{"width", "range", "why"}``: every internal width and its derivation.
    latency, ii : int
        Cycles from an input transfer to its output transfer with no stalls; cycles between
        successive input transfers at full rate.
    params_source : str or None
        Where the parameters came from (repository-relative or a bare file name: no absolute
        paths, so manifests are reproducible).
    codes : dict or None
        The Q-bit codes ``{"T", "h", "d"}`` of a trained set.
    notes : list of str
        Things the summary should say (a float set rounded to Q bits, an ignored Q).
    """

    name: str
    activation: str
    K: int
    Q: object
    lanes: int
    arch: str
    W: int
    F: int
    Wout: int
    Fout: int
    T: list
    h: list
    d: list
    interval: tuple
    steps: list
    widths: dict
    latency: int
    ii: int
    params_source: object = None
    codes: object = None
    notes: list = field(default_factory=list)
    mse: dict = None

    kind = "fsneuron"

    @property
    def is_relu(self):
        return self.activation == "relu" and self.Q is None

    @property
    def x_range(self):
        """(lo, hi) of the W-bit input."""
        return signed_range(self.W)

    @property
    def rom(self):
        """``(depth, word_bits)`` of the shared parameter ROM, or None when the core has none
        (ReLU: shifted threshold register; unrolled: constants in the logic)."""
        if self.arch != "shared" or self.is_relu:
            return None
        word = sum(self.widths[k]["width"] for k in ("rom_T", "rom_h", "rom_d"))
        return self.K, word

    @property
    def rom_bits(self):
        rom = self.rom
        return 0 if rom is None else rom[0] * rom[1]

    @property
    def lane_in_bits(self):
        return self.W

    @property
    def lane_out_bits(self):
        return self.K + self.Wout

    def signature(self):
        """Stream ports ``i`` (lanes x signed W-bit x) and ``o`` (lanes x {spikes, value}),
        payload layouts from :func:`gen.fsneuron.cores.payload_layouts`."""
        from amaranth.lib import stream, wiring
        from amaranth.lib.wiring import In, Out

        from .cores import payload_layouts

        in_layout, out_layout = payload_layouts(self)
        return wiring.Signature({"i": In(stream.Signature(in_layout)),
                                 "o": Out(stream.Signature(out_layout))})

    def component(self):
        """The Amaranth component: :class:`SharedCore` or :class:`UnrolledCore`."""
        from .cores import core_class

        return core_class(self.arch)(self)

    def manifest_fields(self):
        """The FS core's manifest keys (after the common ones, see :mod:`gen.core`)."""
        lo, hi = self.interval
        return {
            "activation": self.activation,
            "K": self.K,
            "Q": self.Q,
            "lanes": self.lanes,
            "arch": self.arch,
            "input": {"width": self.W, "frac": self.F},
            "output": {"width": self.Wout, "frac": self.Fout},
            "T": list(self.T),
            "h": list(self.h),
            "d": list(self.d),
            "interval": [_num(lo), _num(hi)],
            "threshold": "z(t) = [v(t) >= T(t)]",
            "widths": {k: {"width": w["width"], "range": list(w["range"])}
                       for k, w in self.widths.items()},
            "rom_bits": self.rom_bits,
            "source": self.params_source,
            "codes": self.codes,
            "mse": self.mse,
        }

    def describe(self):
        """Title and lines of the summary ``python -m gen fsneuron`` prints."""
        K, N = self.K, self.lanes
        w_lo, w_hi = self.x_range
        scale = 2.0 ** -self.F
        what = f"{self.activation}, K={K}, " + (f"Q={self.Q}" if self.Q is not None
                                                 else "Q n/a (ReLU)")
        title = (f"FS-neuron core ({what}), arch {self.arch}, {N} lane"
                 f"{'s' if N != 1 else ''}")
        lines = [("parameters", self.params_source)] if self.params_source else []
        lines += [("note", note) for note in self.notes]
        lines.append(("input", f"{N} x signed {self.W}-bit x, frac {self.F} (real = x * "
                               f"2^{-self.F}, range [{_fmt(w_lo * scale)}, {_fmt(w_hi * scale)}])"
                               f"; lane n at bits [{self.W}n, {self.W}n+{self.W})"))
        lines.append(("output", f"{N} x {{spikes[{K - 1}:0], value signed {self.Wout}-bit frac "
                                f"{self.Fout}}}; lane n at bit {K + self.Wout}n, spikes low"))
        lines.append(("widths", self._widths_text()))
        lo, hi = self.interval
        lines.append(("interval", f"[{_fmt(lo)}, {_fmt(hi)})"))
        lines.append(("ROM", self._rom_text()))
        lines.append(("MSE", self._mse_text()))
        return title, lines

    def _widths_text(self):
        if self.arch == "unrolled":
            vw = [self.widths[f"v{t}"]["width"] for t in range(2, self.K + 1)]
            return f"per-stage membrane widths {vw}" if vw else "no membrane registers"
        return ", ".join(f"{k} {w['width']}b [{w['range'][0]}, {w['range'][1]}]"
                         for k, w in self.widths.items() if k not in ("x", "out"))

    def _rom_text(self):
        if self.rom is not None:
            depth, word = self.rom
            return (f"{depth} x {word} bits = {self.rom_bits} bits, shared by {self.lanes} "
                    f"lane{'s' if self.lanes != 1 else ''}")
        if self.arch == "shared":
            return "none (ReLU: threshold register shifted once per step)"
        return "none (unrolled: constants in each stage)"

    def _mse_text(self):
        if self.mse is None:
            return f"n/a ({self.activation!r} is not a known function of x)"
        if self.mse["value"] is None:
            return "n/a (no representable input in the interval)"
        lo, hi = self.interval
        every = "every" if self.mse["stride"] == 1 else f"every {self.mse['stride']}th"
        return (f"{self.mse['value']:.6g} vs {self.activation} over {every} representable input "
                f"in [{_fmt(lo)}, {_fmt(hi)}) ({self.mse['inputs']} inputs, integer model of "
                f"this core)")


def _fmt(v):
    return str(int(v)) if float(v).is_integer() else f"{float(v):g}"


def _num(v):
    return int(v) if float(v).is_integer() else float(v)


def step_ranges(x_lo, x_hi, T, h, d):
    """Sound ranges of the membrane and the running output sum at every step.

    Parameters
    ----------
    x_lo, x_hi : int
        Input range.
    T, h, d : list of int
        The integer parameters (as for :func:`sim.fs.fs_int`).

    Returns
    -------
    list of dict
        K + 1 entries. Entry t-1 (t = 1..K) describes step t: ``v`` = (lo, hi) of v(t),
        ``acc`` = (lo, hi) of sum_{s<t} d(s) z(s), ``can_fire`` / ``can_rest`` whether z(t) can be
        1 / 0. The last entry holds v(K+1) and the final output range.
    """
    v_lo, v_hi = int(x_lo), int(x_hi)
    a_lo = a_hi = 0
    out = []
    for Tt, ht, dt in zip(T, h, d):
        fire = v_hi >= Tt           # some v(t) in range reaches the threshold
        rest = v_lo < Tt            # some v(t) in range stays below it
        out.append({"v": (v_lo, v_hi), "acc": (a_lo, a_hi), "can_fire": fire, "can_rest": rest})
        nv, na = [], []
        if fire:
            nv.append((max(v_lo, Tt) - ht, v_hi - ht))
            na.append((a_lo + dt, a_hi + dt))
        if rest:
            nv.append((v_lo, min(v_hi, Tt - 1)))
            na.append((a_lo, a_hi))
        v_lo, v_hi = min(r[0] for r in nv), max(r[1] for r in nv)
        a_lo, a_hi = min(r[0] for r in na), max(r[1] for r in na)
    out.append({"v": (v_lo, v_hi), "acc": (a_lo, a_hi), "can_fire": False, "can_rest": False})
    return out


def _hull(ranges):
    ranges = list(ranges)
    return min(r[0] for r in ranges), max(r[1] for r in ranges)


# ---------------------------------------------------------------------------------------------
# parameter sources


def _rel(path):
    """A path as the manifest records it: repository-relative, else the bare file name."""
    path = Path(path).resolve()
    try:
        return path.relative_to(_REPO).as_posix()
    except ValueError:
        return path.name


def _is_file_spec(act):
    return act.endswith(".json") or "/" in act or "\\" in act or Path(act).is_file()


def _shipped_fs_sets():
    """Shipped Q-bit FS sets (``<act>_K<K>_Q<Q>``), AMOS and float sets left out."""
    pat = re.compile(r"[a-z][a-z0-9]*_K\d+_Q\d+\Z")
    return [n for n in list_shipped() if pat.match(n) and not n.startswith("amos_")]


def _known_trained():
    names = set(TRAINED)
    names.update(n.split("_K")[0] for n in _shipped_fs_sets())
    return sorted(names)


def _load_shipped(act, K, Q):
    path = shipped_path(act, K, Q)
    if not path.exists():
        available = [n for n in _shipped_fs_sets() if n.startswith(f"{act}_K")]
        listing = ", ".join(available) if available else "none"
        raise InputError(
            f"no trained {act} set for K={K} Q={Q} (quant/params/{path.name} is missing); "
            f"available {act} sets: {listing}; make one with: python -m quant train --act {act} "
            f"--K {K} --Q {Q} --out quant/params/{path.name}")
    return load(path), _rel(path)


def _sanitize(text):
    s = re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_").lower()
    return s or "params"


def default_name(base, arch, lanes, suffix=""):
    """``fs_<base>[<suffix>][_unrolled][_x<lanes>]``: the default module and file name."""
    name = f"fs_{base}{suffix}"
    if arch != "shared":
        name += f"_{arch}"
    if lanes != 1:
        name += f"_x{lanes}"
    return name


# ---------------------------------------------------------------------------------------------
# resolution


def resolve(config):
    """Resolve a :class:`FSConfig` into an :class:`FSCoreIR`.

    Raises ``ValueError`` (one line, naming the problem) for anything that cannot be built: a
    missing trained set, a K or Q that contradicts the parameter file, W/F that cannot hold the
    parameters.
    """
    if not isinstance(config, FSConfig):
        raise TypeError(f"expected an FSConfig, not {type(config).__name__}")
    if config.is_relu:
        return _resolve_relu(config)
    return _resolve_trained(config)


def _resolve_relu(cfg):
    K = cfg.K if cfg.K is not None else DEFAULT_K
    notes = []
    if cfg.Q is not None:
        notes.append(f"Q={cfg.Q} ignored: the ReLU schedule has no parameter codes")
    F = 0 if cfg.frac is None else int(cfg.frac)
    if F < 0:
        raise InputError(f"input fraction F={F} is negative; ReLU needs F >= 0 "
                         f"(T = 2^(K-t) << F)")
    T0, h0, d = relu_schedule(K)
    T = [v << F for v in T0]
    h = [v << F for v in h0]
    # T(1) = 2^(K-1+F) must be representable as an input (else the top bit could never fire):
    # signed_width(0, 2^(K-1+F)) = K+F+1; the default adds one bit so that inputs beyond the
    # clamp range (x >= 2^K and x < 0) are representable too.
    need = signed_width(0, max(T))
    W = K + 2 + F if cfg.width is None else int(cfg.width)
    if W < need:
        raise InputError(f"input width W={W} cannot hold the ReLU thresholds: T(1) = 2^{K - 1 + F}"
                         f" needs W >= {need} (K+F+1)")
    interval = (0, 1 << K)          # the clamp range, in quanta: out == x exactly there
    base = f"relu_k{K}"
    suffix = "" if (W == K + 2 + F and F == 0) else f"_w{W}f{F}"
    name = cfg.name or default_name(base, cfg.arch, cfg.lanes, suffix)
    return _finish(cfg, name=name, activation="relu", K=K, Q=None, W=W, F=F, Fout=0, T=T, h=h,
                   d=d, interval=interval, params_source="analytic", codes=None, notes=notes)


def _resolve_trained(cfg):
    notes = []
    act = cfg.act
    if isinstance(act, FSParamSet):
        pset, source, file_base = act, "in-memory parameter set", _sanitize(act.activation)
    elif act.strip() not in _known_trained():
        # a file: a trained set's name wins over a file of that name (use ./silu for the file)
        act = act.strip()
        if not _is_file_spec(act):
            raise InputError(f"unknown activation {act!r}: use relu, "
                             f"{', '.join(_known_trained())} or a parameter file (.json)")
        path = Path(act)
        if not path.exists():
            raise InputError(f"activation {act!r}: no such parameter file")
        pset = load(path)
        source, file_base = _rel(path), _sanitize(path.stem)
    else:
        act = act.strip()
        K = cfg.K if cfg.K is not None else DEFAULT_K
        Q = cfg.Q if cfg.Q is not None else DEFAULT_Q
        pset, source = _load_shipped(act, K, Q)
        file_base = None

    if cfg.K is not None and cfg.K != pset.K:
        raise InputError(f"--K {cfg.K} contradicts the parameter set, which has K={pset.K}")
    K = pset.K
    if not K_MIN <= K <= K_MAX:
        raise InputError(f"the parameter set has K={K}; the core supports K from {K_MIN} to "
                         f"{K_MAX}")
    rounded = False
    if pset.is_quantized:
        if cfg.Q is not None and cfg.Q != pset.Q:
            raise InputError(f"--Q {cfg.Q} contradicts the parameter set, which holds Q={pset.Q} "
                             f"codes (give a float set to round it to another Q)")
        Q = pset.Q
    else:
        Q = cfg.Q if cfg.Q is not None else DEFAULT_Q
        pset = pset.quantized(Q)
        rounded = True
        notes.append(f"float parameters rounded to Q={Q} codes (nearest, ties to even, "
                     f"saturating at [-8, 8)); no retraining")
    qf = QFormat(Q)
    F = qf.frac if cfg.frac is None else int(cfg.frac)
    if F < qf.frac:
        raise InputError(f"input fraction F={F} cannot hold Q={Q} parameters: thresholds have "
                         f"Q-4 = {qf.frac} fraction bits, so F >= {qf.frac}")
    T = qf.to_hw(pset.T, F)
    h = qf.to_hw(pset.h, F)
    d = [int(c) for c in pset.d]
    lo, hi = pset.interval

    # default W: every input of the training interval [lo, hi) and every threshold and reset
    # (in input LSBs) representable; an explicit W must hold the thresholds and resets.
    x_lo = math.ceil(Fraction(lo) * Fraction(2) ** F)
    x_hi = math.ceil(Fraction(hi) * Fraction(2) ** F) - 1
    p_lo, p_hi = min(T + h), max(T + h)
    need = signed_width(p_lo, p_hi)
    w_default = max(need, signed_width(x_lo, max(x_lo, x_hi)))
    if cfg.width is None:
        W = w_default
        if W > W_MAX:
            raise InputError(f"the input would need W={W} bits (> {W_MAX}) at F={F}; "
                             f"use a smaller F")
    else:
        W = int(cfg.width)
        if W < need:
            raise InputError(f"input width W={W} cannot hold the parameters: thresholds and "
                             f"resets span [{p_lo}, {p_hi}] input LSBs (F={F}), which needs "
                             f"W >= {need}")
    # a non-default input format is part of the default name, so it cannot overwrite the
    # default core's files
    suffix = "" if (W == w_default and F == qf.frac) else f"_w{W}f{F}"
    if file_base is None:
        base = f"{act}_k{K}_q{Q}"
    else:
        base = file_base + (f"_q{Q}" if rounded and not file_base.endswith(f"_q{Q}") else "")
    name = cfg.name or default_name(base, cfg.arch, cfg.lanes, suffix)
    codes = {"T": [int(c) for c in pset.T], "h": [int(c) for c in pset.h], "d": d[:]}
    return _finish(cfg, name=name, activation=pset.activation, K=K, Q=Q, W=W, F=F, Fout=qf.frac,
                   T=T, h=h, d=d, interval=(lo, hi), params_source=source, codes=codes,
                   notes=notes)


def _finish(cfg, *, name, activation, K, Q, W, F, Fout, T, h, d, interval, params_source, codes,
            notes):
    x_lo, x_hi = signed_range(W)
    steps = step_ranges(x_lo, x_hi, T, h, d)
    coarse = fs_int_bounds(x_lo, x_hi, T, h, d)
    out_range = steps[-1]["acc"]
    # the interval analysis can only be tighter than the lead's whole-run bound
    assert coarse["out"][0] <= out_range[0] and out_range[1] <= coarse["out"][1]
    widths = {}

    def put(key, rng, why):
        widths[key] = {"width": signed_width(*rng), "range": (int(rng[0]), int(rng[1])),
                       "why": why}

    put("x", (x_lo, x_hi), "the W-bit input")
    put("out", out_range, "sum_t d(t) z(t) over every spike pattern the input range allows")
    Wout = widths["out"]["width"]
    if cfg.arch == "shared":
        # one membrane register for all steps: it holds v(1) = x .. v(K) (v(K+1) is never
        # stored, the result leaves at step K); one accumulator holds the sums before step K
        put("v", _hull(s["v"] for s in steps[:K]), "hull of v(1..K) ranges (step_ranges)")
        put("acc", _hull(s["acc"] for s in steps[:K]),
            "hull of the output sums before steps 1..K")
        if not (Q is None and activation == "relu"):
            put("rom_T", (min(T), max(T)), "thresholds in input LSBs")
            put("rom_h", (min(h), max(h)), "resets in input LSBs")
            put("rom_d", (min(d), max(d)), "output weights in output LSBs")
        latency, ii = K + 1, K
    else:
        # stage t's register holds v(t+1) and the sum after step t (the last stage holds the
        # output only)
        for t in range(1, K):
            put(f"v{t + 1}", steps[t]["v"], f"v({t + 1}) range (step_ranges)")
            put(f"acc{t}", steps[t]["acc"], f"output sum after step {t}")
        latency, ii = K, 1
    ir = FSCoreIR(name=name, activation=activation, K=K, Q=Q, lanes=cfg.lanes, arch=cfg.arch,
                  W=W, F=F, Wout=Wout, Fout=Fout, T=T, h=h, d=d, interval=tuple(interval),
                  steps=steps, widths=widths, latency=latency, ii=ii,
                  params_source=params_source, codes=codes, notes=notes)
    ir.mse = core_mse(ir)
    return ir


def core_mse(ir):
    """MSE of this exact core (integer model) against its activation over every representable
    input of the interval (:func:`quant.metrics.representable_mse`); None when the activation is
    not a known function of x."""
    from quant.activations import get_activation

    try:
        f = get_activation(ir.activation)
    except ValueError:
        return None
    return representable_mse(lambda x: fs_int(x, ir.T, ir.h, ir.d)[0], f, ir.interval, ir.F,
                             ir.Fout, width=ir.W)
