"""Command-line plumbing shared by ``python -m quant``, ``python -m gen``, ``python -m net``
and ``python -m boards``.

The project rule for bad input is: one line on stderr naming the problem, exit status 2, no
traceback, no partial output files. :class:`ArgumentParser` makes argparse follow it (argparse
itself prints a usage block before the error), :func:`main_wrapper` turns the library's
``ValueError``/``TypeError`` into that one line, and :func:`atomic_write` /
:class:`AtomicFiles` make sure a failure never leaves half a file behind.
"""

import argparse
import json
import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .checks import InputError

__all__ = ["CLIError", "InputError", "ArgumentParser", "command_parser", "main_wrapper",
           "atomic_write", "AtomicFiles", "dumps_json", "check_out_dir"]


class CLIError(Exception):
    """A user error: printed as ``error: <message>`` on one line, exit status 2."""


def check_out_dir(path):
    """``Path(path)``, checked to be usable as an output folder: it and every existing folder
    above it must be folders (``/dev/null/x`` is not). Raises :class:`InputError`."""
    path = Path(path)
    for p in (path, *path.parents):
        if p.exists():
            if not p.is_dir():
                what = "is a file, not a folder" if p == path else f"is under {str(p)!r}, which is a file"
                raise InputError(f"output folder {str(path)!r} {what}")
            break
    return path


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (``error: ...``) and exit status 2."""

    def error(self, message):
        raise CLIError(f"{self.prog}: {message}")


def command_parser(prog, description, commands, dest="command", metavar="COMMAND", common=None):
    """A parser with one sub-command per entry of ``commands``.

    ``commands`` maps a name to ``(module, help)``; the module provides ``add_arguments(parser)``
    (and optionally ``DESCRIPTION`` and ``run(args)``). The parsed arguments carry the chosen
    module as ``args._module`` and its ``run`` (if any) as ``args._run``. ``common(parser)``, when
    given, adds the options every sub-command shares. Modules are imported when the parser is
    built, so a package's ``python -m`` entry stays a table of its commands.
    """
    import importlib

    parser = ArgumentParser(prog=prog, description=description)
    sub = parser.add_subparsers(dest=dest, metavar=metavar, required=True,
                                parser_class=ArgumentParser)
    for name, (module, help_text) in commands.items():
        mod = importlib.import_module(module)
        p = sub.add_parser(name, help=help_text,
                           description=getattr(mod, "DESCRIPTION", help_text))
        mod.add_arguments(p)
        if common is not None:
            common(p)
        p.set_defaults(_module=mod, _run=getattr(mod, "run", None))
    return parser


def _one_line(message):
    return " ".join(str(message).split())


def main_wrapper(main, argv=None):
    """Run ``main(argv)``; user errors become one line on stderr and exit status 2.

    ``ValueError`` and ``TypeError`` raised by the library's parameter checks count as user
    errors (their messages name the bad value); anything else is a bug and keeps its traceback.
    """
    try:
        status = main(argv)
    except (CLIError, ValueError, TypeError, FileNotFoundError, IsADirectoryError,
            PermissionError) as exc:
        if isinstance(exc, (FileNotFoundError, IsADirectoryError, PermissionError)) \
                and exc.filename is not None:
            message = f"{exc.strerror}: {exc.filename}"
        else:
            message = str(exc)
        print(f"error: {_one_line(message)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (``python -m gen ... | head``): not an error of ours; point stdout
        # at devnull so the interpreter's final flush does not complain again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return 0 if status is None else status


def dumps_json(obj):
    """Deterministic JSON text: sorted keys off (keys keep the writer's order), 1-space indent,
    trailing newline."""
    return json.dumps(obj, indent=1) + "\n"


def _stage(path, data):
    """Write ``data`` to a temporary file beside ``path``; return the temporary path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = "wb" if isinstance(data, (bytes, bytearray)) else "w"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode) as f:
            f.write(data)
        os.chmod(tmp, 0o644)
    except BaseException:
        os.unlink(tmp)
        raise
    return tmp


def atomic_write(path, data):
    """Write ``data`` (str or bytes) to ``path`` through a temporary file and a rename, so a
    reader (or a failed run) never sees a partial file."""
    AtomicFiles({path: data}).commit()


class AtomicFiles:
    """Several output files written all together or not at all.

    Every file is first staged to a temporary file in its folder; only when all are staged are
    they renamed into place, so a failure while writing any of them leaves no output.
    """

    def __init__(self, files=None):
        self._files = {Path(p): d for p, d in (files or {}).items()}

    def add(self, path, data):
        self._files[Path(path)] = data

    @property
    def paths(self):
        return list(self._files)

    def commit(self):
        staged = []
        try:
            for path, data in self._files.items():
                staged.append((_stage(path, data), path))
        except BaseException:
            for tmp, _ in staged:
                os.unlink(tmp)
            raise
        for tmp, path in staged:
            os.replace(tmp, path)


@contextmanager
def progress(iterable=None, **kwargs):
    """A tqdm progress bar on stderr when tqdm is installed, a plain iterator otherwise."""
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm is in the train extra
        yield iterable
        return
    bar = tqdm(iterable, file=sys.stderr, dynamic_ncols=True, **kwargs)
    try:
        yield bar
    finally:
        bar.close()
