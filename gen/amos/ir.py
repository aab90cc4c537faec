"""Configuration -> IR for the AMOS core: parameters resolved to hardware integers, every width
derived from value ranges, the latency fixed.

The IR is what the component (:mod:`gen.amos.core`) is built from and what the manifest says;
nothing below it looks at parameter files or command lines.

Number formats (see :mod:`sim.amos` for the derivation):

* input x (and y): signed ``width`` bits, real value ``x * 2^-frac``;
* c, c2: Q-bit codes (c LSB = 2^(4-Q)); T, h: ``code << frac``, in units of
  (input LSB x c LSB) = 2^-(frac+Q-4); d: codes, so the output has ``Q-4`` fraction bits;
* ReLU has no codes: c = 1, T = d = 2^(K-i), h_ij = 2^(K-j) in units of the input quantum
  (alpha 2^-K, alpha folded into the upstream weights), input and output fraction 0.
"""

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from common.checks import InputError, check_int
from gen.core import CoreIR
from gen.widths import signed_range, signed_width
from gen.writer import check_name
from quant.activations import get_activation
from quant.amos_params import (PREFIX, TWO_INPUT, amos_path, input_range, list_amos,
                               load as load_amos, two_input_function)
from quant.fixed import check_Q
from quant.metrics import representable_mse
from quant.params import K_MAX, ParamError
from sim.amos import amos_int, amos_int_bounds, relu_params

__all__ = ["AmosIR", "build_ir", "NAMED_ACTS", "DEFAULT_K", "MAX_WIDTH", "LATENCY_EXTRA",
           "TRAIN_COMMAND"]

#: Activations selected by name (anything else is a parameter file path).
NAMED_ACTS = ("relu", "sigmoid", "silu", "mul")

#: K when --K is not given: the shipped sets' K (and the issue's ReLU K).
DEFAULT_K = {"relu": 10, "sigmoid": 8, "silu": 12, "mul": 40}

#: Widest input the generator accepts (the widths below grow with it; 32 is plenty).
MAX_WIDTH = 32

#: Pipeline stages before the gates: the products c_i x (and c'_i y), then acc_i = sum - T_i.
LATENCY_EXTRA = 2

#: How a missing shipped set is made.
TRAIN_COMMAND = "python -m quant.amos_train train --act {act} --K {K} --Q {Q}"


@dataclass(frozen=True)
class AmosIR(CoreIR):
    """A fully resolved AMOS core: integer parameters, widths, latency.

    Follows the core protocol (:class:`gen.core.CoreIR`): ``kind`` is ``"amos"``.

    Parameters
    ----------
    name : str
        Verilog module name.
    activation : str
        What the unit approximates (``relu``, a name, an expression, ``mul``).
    K : int
        Number of gates.
    Q : int or None
        Code width of the parameters; None for the analytic ReLU.
    width, frac : int
        Input width W and fraction bits F (of x, and of y for a two-input unit).
    c, T, d : tuple of int
        Hardware integers of gates 1..K (units in the module docstring).
    h : tuple of tuple of int
        K x K, h[i][j] for j < i, zero elsewhere.
    c2 : tuple of int or None
        Weights of the second input y (two-input units), None otherwise.
    interval : tuple of float
        Training interval of the parameters (of x and y), real units.
    source : str
        Where the parameters came from (a shipped set, a file, "analytic").
    """

    name: str
    activation: str
    K: int
    Q: int
    width: int
    frac: int
    c: tuple
    T: tuple
    h: tuple
    d: tuple
    c2: tuple = None
    interval: tuple = None
    source: str = ""
    made_by: dict = field(default=None, compare=False)
    notes: tuple = ()

    kind = "amos"

    def __post_init__(self):
        check_int("K", self.K, 1, K_MAX)
        check_int("input width", self.width, 2, MAX_WIDTH)
        check_int("input fraction", self.frac, 0, MAX_WIDTH)
        check_name(self.name)

    # ---- derived numbers -------------------------------------------------------------------

    @property
    def two_input(self):
        return self.c2 is not None

    @property
    def x_range(self):
        """Every W-bit input (x and y alike)."""
        return signed_range(self.width)

    @cached_property
    def bounds(self):
        """:func:`sim.amos.amos_int_bounds` over every W-bit input."""
        return amos_int_bounds(self.x_range, self.c, self.T, self.h, self.d, c2=self.c2,
                               y_range=self.x_range if self.two_input else None)

    @property
    def prod_x_widths(self):
        """Width of each product register c_i x: its range over every W-bit x."""
        return [signed_width(lo, hi) for lo, hi in self.bounds["prod_x"]]

    @property
    def prod_y_widths(self):
        if not self.two_input:
            return None
        return [signed_width(lo, hi) for lo, hi in self.bounds["prod_y"]]

    @property
    def acc_widths(self):
        """Width of gate i's accumulator: c_i x [+ c'_i y] - T_i minus any subset of
        h[i][j], j < i (every partial sum the pipeline holds is such a value)."""
        return [signed_width(lo, hi) for lo, hi in self.bounds["acc"]]

    @property
    def out_width(self):
        """Output width: the value lies between the sums of the negative and positive d."""
        return signed_width(*self.bounds["out"])

    @property
    def out_frac(self):
        """Output fraction bits: Q-4 (d are codes); 0 for ReLU (d are quanta)."""
        return 0 if self.Q is None else self.Q - 4

    @property
    def latency(self):
        """Cycles from an input transfer to its output being valid, with no stalls: the product
        stage, the threshold stage, then one stage per gate (the last is the output register)."""
        return LATENCY_EXTRA + self.K

    @property
    def ii(self):
        return 1

    # ---- accuracy ---------------------------------------------------------------------------

    def target(self):
        """The function the unit approximates, of real input(s)."""
        if self.two_input:
            return two_input_function(self.activation)
        if self.activation == "relu":
            return lambda x: x.clip(0, None)
        return get_activation(self.activation)

    @cached_property
    def mse(self):
        """MSE of this exact core against :meth:`target` over every representable input of the
        interval (the grid of pairs for two inputs): :func:`quant.metrics.representable_mse`."""
        if self.two_input:
            def model(x, y):
                return amos_int(x, self.c, self.T, self.h, self.d, y=y, c2=self.c2)[0]
        else:
            def model(x):
                return amos_int(x, self.c, self.T, self.h, self.d)[0]
        return representable_mse(model, self.target(), self.interval, self.frac, self.out_frac,
                                 width=self.width, two_input=self.two_input)

    # ---- core protocol ----------------------------------------------------------------------

    def signature(self):
        """Stream ports ``i`` (signed W-bit x, or the struct {x, y} with x low for two inputs)
        and ``o`` (struct {spikes: K bits, bit i-1 = z_i; value: signed Wout bits})."""
        from amaranth import signed, unsigned
        from amaranth.lib import data, stream, wiring
        from amaranth.lib.wiring import In, Out

        W = self.width
        in_shape = (data.StructLayout({"x": signed(W), "y": signed(W)}) if self.two_input
                    else signed(W))
        out_shape = data.StructLayout({"spikes": unsigned(self.K),
                                       "value": signed(self.out_width)})
        return wiring.Signature({"i": In(stream.Signature(in_shape)),
                                 "o": Out(stream.Signature(out_shape))})

    def component(self):
        from .core import AmosCore

        return AmosCore(self)

    def manifest_fields(self):
        """The AMOS core's manifest keys (after the common ones, see :mod:`gen.core`)."""
        out = {
            "activation": self.activation,
            "K": self.K,
            "Q": self.Q,
            "input": {"width": self.width, "frac": self.frac},
            "output": {"width": self.out_width, "frac": self.out_frac},
            "c": list(self.c),
        }
        if self.two_input:
            out["c2"] = list(self.c2)
        out.update({
            "T": list(self.T),
            "h": [list(r) for r in self.h],
            "d": list(self.d),
            "interval": [_num(v) for v in self.interval],
            "units": ("x real = x * 2^-input.frac; c in c-LSB units (2^(4-Q), 1 for relu); "
                      "acc_i = c_i*x" + (" + c2_i*y" if self.two_input else "")
                      + " - sum_{j<i} h[i][j]*z_j - T_i with T, h in input-LSB x c-LSB units; "
                      "z_i = [acc_i >= 0]; value = sum_i d_i z_i, real = value * "
                      "2^-output.frac"),
            "threshold": "z_i = [acc_i >= 0]",
            "source": self.source,
            "mse": self.mse,
        })
        return out

    def describe(self):
        W, F = self.width, self.frac
        inputs = "x, y" if self.two_input else "x"
        value = self.mse["value"]
        return (f"AMOS {self.activation}, K={self.K}, "
                + ("analytic (no codes)" if self.Q is None else f"Q={self.Q}"), [
                    ("source", self.source),
                    *(("note", n) for n in self.notes),
                    ("input", f"i: {inputs} signed {W} bits, {F} fraction bits"
                              + (" each (payload struct {x, y}, x low)" if self.two_input
                                 else "")),
                    ("output", f"o: spikes {self.K} bits (bit i-1 = z_i) + value signed "
                               f"{self.out_width} bits, {self.out_frac} fraction bits"),
                    ("interval", f"[{self.interval[0]:g}, {self.interval[1]:g})"
                                 + (" for x and y" if self.two_input else "")),
                    ("mse", "n/a" if value is None else
                     f"{value:.4g} (this exact core vs {self.activation}, every representable "
                     f"input of the interval)")])


def _num(v):
    return int(v) if float(v).is_integer() else float(v)


def default_width(interval, frac):
    """Fewest bits holding every representable input of the interval ``[lo, hi)`` with
    ``frac`` fraction bits."""
    lo, hi = input_range(interval, frac)
    return max(2, signed_width(min(lo, 0), max(hi, 0)))


def _default_name(activation, K, Q, stem=None):
    if stem is not None:
        base = re.sub(r"[^A-Za-z0-9_]", "_", stem).lower()
        base = base[len(PREFIX):] if base.startswith(PREFIX) else base
        name = f"{PREFIX}{base}"
        if Q is not None and not base.endswith(f"_q{Q}"):
            name += f"_q{Q}"
        return name if re.match(r"[A-Za-z_]", name) else f"{PREFIX}{name}"
    return f"{PREFIX}{activation}_k{K}" + ("" if Q is None else f"_q{Q}")


def _missing_set(act, K, Q):
    have = ", ".join(list_amos()) or "none"
    cmd = TRAIN_COMMAND.format(act=act, K=K, Q=Q)
    return InputError(f"no shipped AMOS set {amos_path(act, K, Q).name} "
                      f"(shipped: {have}); make one with: {cmd}")


def resolve_params(act, K=None, Q=None):
    """The parameter set for ``--act`` (name or file), ``--K`` and ``--Q``.

    Returns ``(paramset, source, stem)``; the set is quantized (a float file is rounded to Q).
    """
    Q_given = Q is not None
    Q = check_Q(8 if Q is None else Q)
    if act in NAMED_ACTS:
        K = DEFAULT_K[act] if K is None else K
        path = amos_path(act, K, Q)
        if not path.exists():
            raise _missing_set(act, K, Q)
        ps = load_amos(path)
        stem = None
        source = f"quant/params/{path.name}"
    else:
        path = Path(act)
        if path.suffix != ".json" and not path.exists():
            raise InputError(f"unknown activation {act!r}: use one of "
                             f"{', '.join(NAMED_ACTS)} or a parameter file (.json)")
        ps = load_amos(path)
        if K is not None and K != ps.K:
            raise InputError(f"--K {K} does not match the parameter file {path} (K={ps.K})")
        stem = path.stem
        source = path.name
    if ps.two_input and ps.activation not in TWO_INPUT:  # pragma: no cover - loader checks
        raise ParamError(f"{source}: unknown two-input function {ps.activation!r}")
    if ps.Q is None:
        ps = ps.quantized(Q).with_made_by(ps.made_by)
        source += f" rounded to Q={Q}"
    elif Q_given and ps.Q != Q:
        raise InputError(f"--Q {Q} does not match the parameter file {source} (Q={ps.Q})")
    if not ps.two_input:
        get_activation(ps.activation)  # an unknown expression is an error here, not later
    return ps, source, stem


def build_ir(act="silu", K=None, Q=None, width=None, frac=None, name=None):
    """Resolve a command line's choices into an :class:`AmosIR`.

    Parameters
    ----------
    act : str
        ``relu``, ``sigmoid``, ``silu``, ``mul`` (shipped sets ``amos_<act>_K<K>_Q<Q>.json``)
        or the path of an AMOS parameter file.
    K : int, optional
        Number of gates (default: the shipped set's, 10 for relu; a file's own K).
    Q : int, optional
        Code width (default 8; a Q-bit file's own Q). Not used by relu.
    width, frac : int, optional
        Input width W and fraction F. Defaults: relu W = K+2, F = 0; otherwise F = Q-4
        (at least 0) and W just wide enough for the training interval.
    name : str, optional
        Module name (default ``amos_<act>_k<K>[_q<Q>]``).
    """
    if not isinstance(act, str) or not act.strip():
        raise InputError(f"activation must be a name or a parameter file, not {act!r}")
    act = act.strip()
    if K is not None:
        K = check_int("K", K, 1, K_MAX)
    if Q is not None:
        Q = check_int("Q", Q, 2, 16)
    if width is not None:
        width = check_int("input width", width, 2, MAX_WIDTH)
    if frac is not None:
        frac = check_int("input fraction", frac, 0, MAX_WIDTH)

    if act == "relu":
        # Input in units of the quantum alpha 2^-K (alpha folded into the upstream weights),
        # scaled by 2^F when a fraction is given: T and h shift left by F (c stays 1), so the
        # core computes clamp(floor(x 2^-F), 0, 2^K - 1). No codes: Q does not apply.
        K = DEFAULT_K["relu"] if K is None else K
        F = 0 if frac is None else frac
        c, T, h, d = relu_params(K)
        T = [v << F for v in T]
        h = [[v << F for v in row] for row in h]
        # gate 1 fires at x = T_1 = 2^(K-1+F): W must hold it (K+F+1 bits); the default adds
        # a bit so that inputs beyond the clamp range are representable too
        need = signed_width(0, T[0])
        W = K + 2 + F if width is None else width
        if W < need:
            raise InputError(f"input width {W} cannot hold the ReLU threshold T_1 = "
                             f"2^{K - 1 + F}: relu K={K} with fraction {F} needs a width of at "
                             f"least {need} (K+F+1)")
        if W > MAX_WIDTH:
            raise InputError(f"relu K={K} with fraction {F} needs an input width of {W} bits, "
                             f"more than the {MAX_WIDTH} supported")
        suffix = "" if (width is None and F == 0) else f"_w{W}f{F}"
        return AmosIR(name=name or _default_name("relu", K, None) + suffix, activation="relu",
                      K=K, Q=None, width=W, frac=F, c=tuple(c), T=tuple(T),
                      h=tuple(tuple(r) for r in h), d=tuple(d), c2=None,
                      interval=(0.0, float(1 << K)), source="analytic",
                      notes=() if Q is None else (f"--Q {Q} ignored: the ReLU unit has no "
                                                  f"parameter codes",))

    ps, source, stem = resolve_params(act, K, Q)
    F = max(ps.Q - 4, 0) if frac is None else frac
    W = default_width(ps.interval, F) if width is None else width
    c, T, h, d, c2 = ps.to_hw(F)
    return AmosIR(name=name or _default_name(ps.activation, ps.K, ps.Q, stem),
                  activation=ps.activation, K=ps.K, Q=ps.Q, width=W, frac=F, c=tuple(c),
                  T=tuple(T), h=tuple(tuple(r) for r in h), d=tuple(d),
                  c2=None if c2 is None else tuple(c2), interval=tuple(ps.interval),
                  source=source, made_by=ps.made_by)
