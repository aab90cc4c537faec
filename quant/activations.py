"""Activation functions the neurons approximate, their training intervals and error regions.

An activation is named (``silu``, ``sigmoid``, ``relu``, ``tanh``, ``gelu``) or given as an
expression of ``x`` (``"x*tanh(softplus(x))"``), evaluated with numpy by a small whitelist
interpreter (no ``eval``): numbers, ``x``, ``pi``, ``e``, ``+ - * / **``, comparisons and the
functions in :data:`FUNCTIONS`.

Errors are reported per *region*: for SiLU the published figures use the core region [-2, 2] and
the rest of the interval [-8, -2] U [2, 12]; every interval gets those two plus the whole interval.
A region's MSE is the mean over a dense uniform grid of each of its pieces, weighted by length
(:func:`region_grid`).
"""

import ast
import math
import operator
import re

import numpy as np

from common.checks import InputError
from .metrics import exact_mean_square

__all__ = ["Activation", "get_activation", "FUNCTIONS", "Region", "region_grid", "mse_by_region",
           "DEFAULT_INTERVALS", "number_text"]


def _sigmoid(x):
    # exp of a non-positive argument only, so no overflow warnings for large |x|
    x = np.asarray(x, dtype=np.float64)
    ex = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + ex), ex / (1.0 + ex))


def _softplus(x):
    x = np.asarray(x, dtype=np.float64)
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def _erf(x):
    return np.vectorize(math.erf, otypes=[np.float64])(x)


def _gelu(x):
    x = np.asarray(x, dtype=np.float64)
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


#: Functions an activation expression may call.
FUNCTIONS = {
    "exp": np.exp, "log": np.log, "log1p": np.log1p, "sqrt": np.sqrt, "abs": np.abs,
    "tanh": np.tanh, "sin": np.sin, "cos": np.cos, "erf": _erf, "sigmoid": _sigmoid,
    "softplus": _softplus, "relu": lambda x: np.maximum(x, 0.0), "gelu": _gelu,
    "maximum": np.maximum, "minimum": np.minimum, "where": np.where,
    "floor": np.floor, "ceil": np.ceil, "sign": np.sign,
}

_CONSTANTS = {"pi": math.pi, "e": math.e}

_BINOPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.Div: operator.truediv, ast.Pow: operator.pow}
_CMPOPS = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt,
           ast.GtE: operator.ge, ast.Eq: operator.eq, ast.NotEq: operator.ne}


def _compile_expression(text):
    """Check an expression of ``x`` and return a numpy function of ``x``."""
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        raise InputError(f"activation {text!r} is not a known name "
                         f"({', '.join(sorted(NAMED))}) or a valid expression of x") from None

    def check(node):
        if isinstance(node, ast.Expression):
            check(node.body)
        elif isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise InputError(f"activation {text!r}: constant {node.value!r} is not a number")
        elif isinstance(node, ast.Name):
            if node.id != "x" and node.id not in _CONSTANTS:
                raise InputError(f"activation {text!r}: unknown name {node.id!r} "
                                 f"(use x, pi, e or a function call)")
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in _BINOPS:
                raise InputError(f"activation {text!r}: operator not allowed")
            check(node.left)
            check(node.right)
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                raise InputError(f"activation {text!r}: operator not allowed")
            check(node.operand)
        elif isinstance(node, ast.Compare):
            if any(type(op) not in _CMPOPS for op in node.ops):
                raise InputError(f"activation {text!r}: comparison not allowed")
            check(node.left)
            for c in node.comparators:
                check(c)
        elif isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                name = getattr(node.func, "id", ast.dump(node.func))
                raise InputError(f"activation {text!r}: unknown function {name!r} "
                                 f"(known: {', '.join(sorted(FUNCTIONS))})")
            if node.keywords:
                raise InputError(f"activation {text!r}: keyword arguments not allowed")
            for a in node.args:
                check(a)
        else:
            raise InputError(f"activation {text!r}: {type(node).__name__} not allowed")

    check(tree)
    if not any(isinstance(n, ast.Name) and n.id == "x" for n in ast.walk(tree)):
        raise InputError(f"activation {text!r} does not depend on x")

    def evaluate(node, x):
        if isinstance(node, ast.Expression):
            return evaluate(node.body, x)
        if isinstance(node, ast.Constant):
            return float(node.value)
        if isinstance(node, ast.Name):
            return x if node.id == "x" else _CONSTANTS[node.id]
        if isinstance(node, ast.BinOp):
            return _BINOPS[type(node.op)](evaluate(node.left, x), evaluate(node.right, x))
        if isinstance(node, ast.UnaryOp):
            v = evaluate(node.operand, x)
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.Compare):
            left = evaluate(node.left, x)
            result = True
            for op, comp in zip(node.ops, node.comparators):
                right = evaluate(comp, x)
                result = np.logical_and(result, _CMPOPS[type(op)](left, right))
                left = right
            return np.asarray(result, dtype=np.float64)
        args = [evaluate(a, x) for a in node.args]
        return FUNCTIONS[node.func.id](*args)

    def fn(x):
        x = np.asarray(x, dtype=np.float64)
        with np.errstate(all="ignore"):
            y = evaluate(tree, x)
        return np.broadcast_to(np.asarray(y, dtype=np.float64), x.shape).copy()

    return fn


NAMED = {
    "silu": lambda x: np.asarray(x, dtype=np.float64) * _sigmoid(x),
    "sigmoid": _sigmoid,
    "relu": lambda x: np.maximum(np.asarray(x, dtype=np.float64), 0.0),
    "tanh": lambda x: np.tanh(np.asarray(x, dtype=np.float64)),
    "gelu": _gelu,
}

#: Training intervals of the published sets; relu's is [0, alpha] with the published alpha=25.
DEFAULT_INTERVALS = {
    "silu": (-8.0, 12.0),
    "sigmoid": (-10.0, 10.0),
    "relu": (0.0, 25.0),
    "tanh": (-8.0, 8.0),
    "gelu": (-8.0, 12.0),
}

#: Interval for expressions when none is given.
EXPRESSION_INTERVAL = (-8.0, 8.0)

#: The core region whose error the published figures quote separately.
CORE = (-2.0, 2.0)


class Region:
    """A union of closed intervals, named like ``[-8,-2]U[2,12]``."""

    def __init__(self, pieces):
        pieces = [(float(a), float(b)) for a, b in pieces if b > a]
        if not pieces:
            raise InputError("empty region")
        self.pieces = tuple(pieces)

    @property
    def name(self):
        return "U".join(f"[{number_text(a)},{number_text(b)}]" for a, b in self.pieces)

    def __repr__(self):
        return f"Region({self.name})"

    def __eq__(self, other):
        return isinstance(other, Region) and other.pieces == self.pieces

    def __hash__(self):
        return hash(self.pieces)

    def contains(self, x):
        x = np.asarray(x, dtype=np.float64)
        inside = np.zeros(x.shape, dtype=bool)
        for a, b in self.pieces:
            inside |= (x >= a) & (x <= b)
        return inside

    @classmethod
    def parse(cls, text):
        """Parse ``[a,b]`` or ``[a,b]U[c,d]``."""
        pieces = []
        for part in text.split("U"):
            m = re.fullmatch(r"\s*\[\s*([-+0-9.eE]+)\s*,\s*([-+0-9.eE]+)\s*\]\s*", part)
            if not m:
                raise InputError(f"region {text!r} is not of the form [a,b] or [a,b]U[c,d]")
            pieces.append((float(m.group(1)), float(m.group(2))))
        return cls(pieces)


def number_text(v):
    """``3`` for an integral value, ``2.5`` otherwise (region names, interval ends in text)."""
    return str(int(v)) if float(v).is_integer() else repr(float(v))


class Activation:
    """A target function with its default training interval.

    Parameters
    ----------
    spec : str
        A name from :data:`NAMED` or an expression of ``x``.
    """

    def __init__(self, spec):
        if not isinstance(spec, str) or not spec.strip():
            raise InputError(f"activation must be a non-empty string, not {spec!r}")
        self.spec = spec.strip()
        if self.spec in NAMED:
            self.name = self.spec
            self._fn = NAMED[self.spec]
            self.default_interval = DEFAULT_INTERVALS[self.spec]
        else:
            self.name = None
            self._fn = _compile_expression(self.spec)
            self.default_interval = EXPRESSION_INTERVAL

    @property
    def is_named(self):
        return self.name is not None

    def __call__(self, x):
        return self._fn(x)

    def __repr__(self):
        return f"Activation({self.spec!r})"

    def regions(self, interval=None):
        """Error regions for an interval: the core [-2,2] clipped to it, the rest of it, and all
        of it, in that order, without empties or repeats (name -> :class:`Region`)."""
        lo, hi = interval if interval is not None else self.default_interval
        whole = Region([(lo, hi)])
        core = Region([(max(lo, CORE[0]), min(hi, CORE[1]))]) \
            if min(hi, CORE[1]) > max(lo, CORE[0]) else None
        out = {}
        if core is not None and core != whole:
            out[core.name] = core
            rest_pieces = [(lo, min(hi, CORE[0])), (max(lo, CORE[1]), hi)]
            rest_pieces = [(a, b) for a, b in rest_pieces if b > a]
            if rest_pieces:
                rest = Region(rest_pieces)
                out[rest.name] = rest
        out[whole.name] = whole
        return out


def get_activation(spec):
    """:class:`Activation` for a name or expression; ``ValueError`` naming the problem if bad."""
    return spec if isinstance(spec, Activation) else Activation(spec)


def region_grid(region, n=100_000):
    """A dense uniform grid over a region: ``n`` points per unit-less piece, split by length.

    Each piece of length L gets ``round(n * L / total)`` points (at least 2) including both
    ends, so the grid of a union is as dense as the grid of its pieces.
    """
    if not isinstance(region, Region):
        region = Region([tuple(region)])
    total = sum(b - a for a, b in region.pieces)
    grids = [np.linspace(a, b, max(2, int(round(n * (b - a) / total))))
             for a, b in region.pieces]
    return np.concatenate(grids)


def mse_by_region(approx, activation, interval=None, n=100_000):
    """MSE of ``approx`` (a numpy function of x) against the activation in each region.

    Returns ``{region name: mse}`` in :meth:`Activation.regions` order; the squared errors are
    summed exactly (:func:`quant.metrics.exact_mean_square`), so the figures depend on no
    summation order.
    """
    activation = get_activation(activation)
    out = {}
    for name, region in activation.regions(interval).items():
        x = region_grid(region, n)
        out[name] = exact_mean_square(np.asarray(approx(x), dtype=np.float64) - activation(x))
    return out
