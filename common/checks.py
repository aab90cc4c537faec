"""Typed parameter checks, shared by every library entry point and every command line.

Each check returns the value (normalized) or raises :class:`InputError` (a ``ValueError``;
:class:`InputTypeError` is also a ``TypeError``) with a one-line message that names the
parameter and shows the bad value, as Amaranth's ``lib.fifo`` does. :func:`common.cli.main_wrapper`
prints exactly these (and argument errors) as ``error: ...`` with exit status 2; any other
exception is a bug and keeps its traceback.

The path checks (:func:`check_input_file`, :func:`check_output_file`,
:func:`check_output_dir`) look at the file system only: they reject a path that cannot be what
it is for (a missing input, an output folder below a file, such as ``/dev/null/x``) before any
work starts, and write nothing.

:func:`arg` adapts a check to argparse's ``type=``, so a command line and the library reject a
value with the same words.
"""

import argparse
import math
import numbers
import os
from pathlib import Path

__all__ = ["InputError", "InputTypeError", "check_int", "check_float", "check_choice",
           "check_bool", "check_input_file", "check_output_file", "check_output_dir", "arg"]


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


def _above_file(path):
    """The nearest existing ancestor of ``path`` when it is not a folder (else None)."""
    for p in path.parents:
        if p.exists():
            return None if p.is_dir() else p
    return None


def check_input_file(name, path):
    """``Path(path)``, checked to name an existing file that can be read."""
    p = Path(path)
    if p.is_dir():
        raise InputError(f"{name} {str(p)!r} is a folder, not a file")
    if not p.exists():
        above = _above_file(p)
        where = f" ({str(above)!r} is a file)" if above is not None else ""
        raise InputError(f"{name} {str(p)!r} does not exist{where}")
    if not os.access(p, os.R_OK):
        raise InputError(f"{name} {str(p)!r} cannot be read (permission denied)")
    return p


def check_output_file(name, path):
    """``Path(path)``, checked to be writable as a file: not a folder, and no file where one
    of the folders above it would have to be."""
    p = Path(path)
    if p.is_dir():
        raise InputError(f"{name} {str(p)!r} is a folder, not a file")
    above = _above_file(p)
    if above is not None:
        raise InputError(f"{name} {str(p)!r} is under {str(above)!r}, which is a file")
    return p


def check_output_dir(name, path):
    """``Path(path)``, checked to be usable as an output folder: it and every existing folder
    above it must be folders (``/dev/null/x`` is not)."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise InputError(f"{name} {str(p)!r} is a file, not a folder")
    above = _above_file(p)
    if above is not None:
        raise InputError(f"{name} {str(p)!r} is under {str(above)!r}, which is a file")
    return p


def _parse_int(text):
    return int(text, 10)


#: how :func:`arg` turns the command-line text into the value a check takes
_PARSE = {check_int: (_parse_int, "an integer"), check_float: (float, "a number")}


def arg(check, name, *args):
    """An argparse ``type=`` function: parses the text as the check's type, then checks it.

    ``arg(check_int, "--K", 1, 32)`` parses base-10 integers, ``arg(check_float, ...)`` floats;
    ``arg(check_choice, "BOARD", BOARDS)`` and the path checks (``arg(check_input_file,
    "MANIFEST")``) take the text as it is. The function keeps ``check``, ``name`` and ``args``
    as attributes, so tests can tell what an option is (an input file, an output folder).
    """
    parse, kind = _PARSE.get(check, (str, "text"))

    def convert(text):
        try:
            value = parse(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {kind}") from None
        try:
            return check(name, value, *args)
        except InputError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = {check_int: "integer", check_float: "number"}.get(check, "value")
    convert.check, convert.name, convert.args = check, name, args
    return convert
