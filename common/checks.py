"""Typed parameter checks, shared by every library entry point and every command line.

Each check returns the value (normalized) or raises :class:`InputError` (a ``ValueError``;
:class:`InputTypeError` is also a ``TypeError``) with a one-line message that names the
parameter and shows the bad value, as Amaranth's ``lib.fifo`` does. :func:`common.cli.main_wrapper`
prints exactly these (and argument errors) as ``error: ...`` with exit status 2; any other
exception is a bug and keeps its traceback.

:func:`arg` adapts a check to argparse's ``type=``, so a command line and the library reject a
value with the same words.
"""

import argparse
import math
import numbers

__all__ = ["InputError", "InputTypeError", "check_int", "check_float", "check_choice",
           "check_bool", "arg"]


class InputError(ValueError):
    """A bad value given by the user (an option, a parameter, a file's content, a path)."""


class InputTypeError(InputError, TypeError):
    """A value of the wrong type given by the user (also a ``TypeError``)."""


def _range_text(lo, hi):
    if lo is not None and hi is not None:
        return f"between {lo} and {hi}"
    if lo is not None:
        return f"at least {lo}"
    return f"at most {hi}"


def check_int(name, value, lo=None, hi=None):
    """``value`` as an int, checked to lie in ``[lo, hi]`` (either bound may be None).

    Booleans and non-integral numbers are rejected (``InputTypeError``).
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InputTypeError(f"{name} must be an integer, not {value!r}")
    value = int(value)
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise InputError(f"{name} must be {_range_text(lo, hi)}, not {value}")
    return value


def check_float(name, value, lo=None, hi=None):
    """``value`` as a finite float in ``[lo, hi]`` (either bound may be None)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputTypeError(f"{name} must be a number, not {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise InputError(f"{name} must be finite, not {value!r}")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise InputError(f"{name} must be {_range_text(lo, hi)}, not {value:g}")
    return value


def check_choice(name, value, choices):
    """``value``, checked to be one of ``choices``."""
    if value not in choices:
        listing = ", ".join(str(c) for c in choices)
        raise InputError(f"{name} must be one of {listing}, not {value!r}")
    return value


def check_bool(name, value):
    """``value``, checked to be a bool."""
    if not isinstance(value, bool):
        raise InputTypeError(f"{name} must be True or False, not {value!r}")
    return value


def arg(check, name, *args):
    """An argparse ``type=`` function: parses the text as the check's type, then checks it.

    ``arg(check_int, "--K", 1, 32)`` parses base-10 integers; ``arg(check_float, ...)`` floats.
    """
    parse = int if check is check_int else float

    def convert(text):
        try:
            value = parse(text, 10) if parse is int else parse(text)
        except ValueError:
            kind = "an integer" if parse is int else "a number"
            raise argparse.ArgumentTypeError(f"{text!r} is not {kind}") from None
        try:
            return check(name, value, *args)
        except InputError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = "integer" if parse is int else "number"
    return convert
