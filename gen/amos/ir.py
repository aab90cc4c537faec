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

import math
import numbers
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from gen.widths import signed_range, signed_width
from quant.activations import get_activation
from quant.amos_params import (PREFIX, TWO_INPUT, amos_path, input_range, list_amos,
                               load as load_amos, two_input_function)
from quant.fixed import check_Q
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
TRAIN_COMMAND = "python -m quant amos train --act {act} --K {K} --Q {Q}"


@dataclass(frozen=True)
class AmosIR:
    """A fully resolved AMOS core: integer parameters, widths, latency.

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

    def __post_init__(self):
        if not 1 <= self.K <= K_MAX:
            raise ValueError(f"K must be from 1 to {K_MAX}, not {self.K}")
        if not 2 <= self.width <= MAX_WIDTH:
            raise ValueError(f"input width must be from 2 to {MAX_WIDTH}, not {self.width}")
        if not 0 <= self.frac <= MAX_WIDTH:
            raise ValueError(f"input fraction must be from 0 to {MAX_WIDTH}, not {self.frac}")

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

    def grid(self):
        """Every W-bit input whose real value ``x 2^-F`` lies in the interval ``[lo, hi)``
        (the FS core's convention, so the two cores' MSEs are over the same inputs): x ints,
        and y ints for two inputs as the full grid of pairs."""
        lo, hi = input_range(self.interval, self.frac)
        lo_w, hi_w = self.x_range
        xs = np.arange(max(lo, lo_w), min(hi, hi_w) + 1, dtype=np.int64)
        if not self.two_input:
            return xs, None
        gx, gy = np.meshgrid(xs, xs, indexing="ij")
        return gx.reshape(-1), gy.reshape(-1)

    def mse(self):
        """MSE of this exact core against the activation over :meth:`grid`."""
        x, y = self.grid()
        if x.size == 0:
            return float("nan")
        value, _ = amos_int(x, self.c, self.T, self.h, self.d, y=y, c2=self.c2)
        got = value.astype(np.float64) * 2.0 ** -self.out_frac
        xr = x * 2.0 ** -self.frac
        if self.two_input:
            want = two_input_function(self.activation)(xr, y * 2.0 ** -self.frac)
        elif self.activation == "relu":
            want = np.maximum(xr, 0.0)
        else:
            want = get_activation(self.activation)(xr)
        return float(np.mean((got - want) ** 2))

    # ---- manifest ---------------------------------------------------------------------------

    def manifest(self):
        """The manifest (``top`` and ``verilog`` are added by the writer)."""
        K = self.K
        out = {
            "core": "amos",
            "activation": self.activation,
            "K": K,
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
            "latency": self.latency,
            "ii": self.ii,
            "interval": [_num(v) for v in self.interval],
            "payload": self.payload_layout(),
            "units": ("x real = x * 2^-input.frac; c in c-LSB units (2^(4-Q), 1 for relu); "
                      "acc_i = c_i*x" + (" + c2_i*y" if self.two_input else "")
                      + " - sum_{j<i} h[i][j]*z_j - T_i with T, h in input-LSB x c-LSB units; "
                      "z_i = [acc_i >= 0]; value = sum_i d_i z_i, real = value * "
                      "2^-output.frac"),
            "timing": ("latency: cycles from the clock edge of an input transfer to the edge of "
                       "its output transfer with o.ready high; ii: cycles between input "
                       "transfers with i.valid and o.ready always high"),
            "threshold": "z_i = [acc_i >= 0]",
            "source": self.source,
            "mse": {"interval": [_num(v) for v in self.interval],
                    "inputs": int(self.grid()[0].size), "value": _round(self.mse())},
        })
        return out

    def payload_layout(self):
        """Bit offsets of the stream payloads, low bits first."""
        W, K = self.width, self.K
        if self.two_input:
            inp = {"x": [0, W], "y": [W, 2 * W]}
        else:
            inp = {"x": [0, W]}
        return {"i": inp, "o": {"spikes": [0, K], "value": [K, K + self.out_width]}}


def _num(v):
    return int(v) if float(v).is_integer() else float(v)


def _round(v):
    return float(f"{v:.6g}") if math.isfinite(v) else None


def _check_int(name, v, lo, hi):
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise TypeError(f"{name} must be an integer, not {v!r}")
    v = int(v)
    if not lo <= v <= hi:
        raise ValueError(f"{name} must be from {lo} to {hi}, not {v}")
    return v


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
    return ValueError(f"no shipped AMOS set {amos_path(act, K, Q).name} "
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
            raise ValueError(f"unknown activation {act!r}: use one of "
                             f"{', '.join(NAMED_ACTS)} or a parameter file (.json)")
        ps = load_amos(path)
        if K is not None and K != ps.K:
            raise ValueError(f"--K {K} does not match the parameter file {path} (K={ps.K})")
        stem = path.stem
        source = path.name
    if ps.two_input and ps.activation not in TWO_INPUT:  # pragma: no cover - loader checks
        raise ParamError(f"{source}: unknown two-input function {ps.activation!r}")
    if ps.Q is None:
        ps = ps.quantized(Q).with_made_by(ps.made_by)
        source += f" rounded to Q={Q}"
    elif Q_given and ps.Q != Q:
        raise ValueError(f"--Q {Q} does not match the parameter file {source} (Q={ps.Q})")
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
        raise ValueError(f"activation must be a name or a parameter file, not {act!r}")
    act = act.strip()
    if K is not None:
        K = _check_int("K", K, 1, K_MAX)
    if Q is not None:
        Q = _check_int("Q", Q, 2, 16)
    if width is not None:
        width = _check_int("input width", width, 2, MAX_WIDTH)
    if frac is not None:
        frac = _check_int("input fraction", frac, 0, MAX_WIDTH)

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
            raise ValueError(f"input width {W} cannot hold the ReLU threshold T_1 = "
                             f"2^{K - 1 + F}: relu K={K} with fraction {F} needs a width of at "
                             f"least {need} (K+F+1)")
        if W > MAX_WIDTH:
            raise ValueError(f"relu K={K} with fraction {F} needs an input width of {W} bits, "
                             f"more than the {MAX_WIDTH} supported")
        suffix = "" if (width is None and F == 0) else f"_w{W}f{F}"
        return AmosIR(name=name or _default_name("relu", K, None) + suffix, activation="relu",
                      K=K, Q=None, width=W, frac=F, c=tuple(c), T=tuple(T),
                      h=tuple(tuple(r) for r in h), d=tuple(d), c2=None,
                      interval=(0.0, float(1 << K)), source="analytic")

    ps, source, stem = resolve_params(act, K, Q)
    F = max(ps.Q - 4, 0) if frac is None else frac
    W = default_width(ps.interval, F) if width is None else width
    c, T, h, d, c2 = ps.to_hw(F)
    return AmosIR(name=name or _default_name(ps.activation, ps.K, ps.Q, stem),
                  activation=ps.activation, K=ps.K, Q=ps.Q, width=W, frac=F, c=tuple(c),
                  T=tuple(T), h=tuple(tuple(r) for r in h), d=tuple(d),
                  c2=None if c2 is None else tuple(c2), interval=tuple(ps.interval),
                  source=source, made_by=ps.made_by)
