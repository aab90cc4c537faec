"""Command-line plumbing shared by ``python -m quant``, ``python -m gen``, ``python -m net``
and ``python -m boards``.

The project rule for bad input is: one line on stderr naming the problem, exit status 2, no
traceback, no partial output files. A bug is not bad input: it keeps its traceback (exit
status 1), so it can be found and fixed. The pieces:

* :class:`ArgumentParser` makes argparse's usage errors one line (argparse itself prints a
  usage block before the error); :func:`command_parser` builds a ``python -m`` entry from a
  table of sub-commands and :func:`run_command` runs the chosen one.
* :func:`main_wrapper` prints the user errors, and only those, as ``error: ...`` with exit
  status 2: :class:`CLIError` (raised by a front end), :class:`~common.checks.InputError` (raised
  by the library's parameter and file checks) and an operating-system error about a path the
  user gave (a missing file, a folder where a file should be, no permission).
* :func:`atomic_write` / :class:`AtomicFiles` make sure a failure never leaves half a file
  behind; an output path that cannot exist (below a file) is an ``InputError`` naming it.
* :func:`read_text` / :func:`read_json` read a file the user named; what is wrong with it (not
  there, a folder, not text, not JSON) is an ``InputError`` naming it.
"""

import argparse
import importlib
import json
import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .checks import InputError, check_output_dir, check_output_file

__all__ = ["CLIError", "InputError", "ArgumentParser", "command_parser", "run_command",
           "main_wrapper", "atomic_write", "AtomicFiles", "dumps_json", "check_out_dir",
           "read_text", "read_json", "progress"]


class CLIError(Exception):
    """A user error: printed as ``error: <message>`` on one line, exit status 2."""


def check_out_dir(path):
    """``Path(path)``, checked to be usable as an output folder: it and every existing folder
    above it must be folders (``/dev/null/x`` is not). Raises :class:`InputError`."""
    return check_output_dir("output folder", path)


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (``error: ...``) and exit status 2."""

    def error(self, message):
        raise CLIError(f"{self.prog}: {message}")


def _command_object(target):
    """``"pkg.module"`` -> the module; ``"pkg.module:Name"`` -> the module's ``Name``."""
    module, _, attr = target.partition(":")
    obj = importlib.import_module(module)
    return getattr(obj, attr) if attr else obj


def command_parser(prog, description, commands, dest="command", metavar="COMMAND", common=None):
    """A parser with one sub-command per entry of ``commands``.

    ``commands`` maps a name to ``(target, help)``. The target is a module name
    (``"gen.fsneuron.cli"``) or a module and an object in it (``"boards.commands:Build"``);
    either provides ``add_arguments(parser)``, and optionally ``run(args)``, ``DESCRIPTION``,
    ``EPILOG`` and ``EXTRA_ARGS`` (true: the command takes the arguments the parser does not
    know, as ``args.extra_args``, to pass them on). The parsed arguments carry the chosen target
    as ``args._module`` and its ``run`` (if any) as ``args._run``. ``common(parser)``, when
    given, adds the options every sub-command shares. Targets are imported when the parser is
    built, so a package's ``python -m`` entry stays a table of its commands.
    """
    parser = ArgumentParser(prog=prog, description=description)
    sub = parser.add_subparsers(dest=dest, metavar=metavar, required=True,
                                parser_class=ArgumentParser)
    for name, (target, help_text) in commands.items():
        obj = _command_object(target)
        p = sub.add_parser(name, help=help_text, allow_abbrev=False,
                           description=getattr(obj, "DESCRIPTION", help_text),
                           epilog=getattr(obj, "EPILOG", None))
        obj.add_arguments(p)
        if common is not None:
            common(p)
        p.set_defaults(_module=obj, _run=getattr(obj, "run", None),
                       _extra_args=bool(getattr(obj, "EXTRA_ARGS", False)))
    return parser


def run_command(parser, argv=None):
    """Parse ``argv`` with a :func:`command_parser` parser and run the chosen command; returns
    its exit status. Unknown arguments are an error unless the command takes them."""
    args, rest = parser.parse_known_args(argv)
    if rest and not args._extra_args:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    args.extra_args = rest
    return args._run(args)


def _one_line(message):
    return " ".join(str(message).split())


#: Operating-system errors that, about a path the user gave, are the user's to fix.
USER_OS_ERRORS = (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError,
                  FileExistsError)


def _user_gave(filename, argv):
    """Whether ``filename`` is a path the user gave: relative (to the working folder: the
    default ``./out``) or at or below a path among the command's arguments."""
    if isinstance(filename, int):        # a file descriptor
        return False
    name = os.fsdecode(filename)
    if not os.path.isabs(name):
        return True
    target = Path(os.path.abspath(name))
    for word in argv:
        for text in (word, word.partition("=")[2]):
            if text and not text.startswith("-"):
                given = Path(os.path.abspath(text))
                if given == target or given in target.parents:
                    return True
    return False


def user_os_error(exc, argv):
    """The one-line message of ``exc`` if it is an operating-system error about a path the
    user gave (see :data:`USER_OS_ERRORS`), else None."""
    if not isinstance(exc, USER_OS_ERRORS):
        return None
    names = [n for n in (exc.filename, exc.filename2) if n is not None]
    if not names or not all(_user_gave(n, argv) for n in names):
        return None
    where = " -> ".join(os.fsdecode(n) for n in names)
    return f"{exc.strerror or type(exc).__name__}: {where}"


def main_wrapper(main, argv=None):
    """Run ``main(argv)``; user errors become one line on stderr and exit status 2.

    User errors are :class:`CLIError`, :class:`~common.checks.InputError` (with
    ``InputTypeError``) and the operating-system errors of :func:`user_os_error`. Anything
    else, a plain ``ValueError`` or ``TypeError`` included, is a bug and keeps its traceback.
    """
    words = sys.argv[1:] if argv is None else [str(a) for a in argv]
    try:
        status = main(argv)
    except (CLIError, InputError) as exc:
        message = str(exc)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (``python -m gen ... | head``): not an error of ours; point stdout
        # at devnull so the interpreter's final flush does not complain again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        message = user_os_error(exc, words)
        if message is None:
            raise
    else:
        return 0 if status is None else status
    print(f"error: {_one_line(message)}", file=sys.stderr)
    return 2


def dumps_json(obj):
    """Deterministic JSON text: sorted keys off (keys keep the writer's order), 1-space indent,
    trailing newline."""
    return json.dumps(obj, indent=1) + "\n"


def _stage(path, data):
    """Write ``data`` to a temporary file beside ``path``; return the temporary path."""
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


def _make_folder(folder):
    """Create ``folder`` and its missing parents; return the folders created (deepest last)."""
    missing = []
    for p in (folder, *folder.parents):
        if p.is_dir():
            break
        missing.append(p)
    for p in reversed(missing):
        p.mkdir(exist_ok=True)
    return list(reversed(missing))


def atomic_write(path, data):
    """Write ``data`` (str or bytes) to ``path`` through a temporary file and a rename, so a
    reader (or a failed run) never sees a partial file."""
    AtomicFiles({path: data}).commit()


class AtomicFiles:
    """Several output files written all together or not at all.

    Every path is first checked (an existing folder, or a file where a folder above it would
    have to be, is an :class:`InputError` naming it); every file is then staged to a temporary
    file in its folder; only when all are staged are they renamed into place. A failure leaves
    no output, not even the folders made for it.
    """

    def __init__(self, files=None):
        self._files = {Path(p): d for p, d in (files or {}).items()}

    def add(self, path, data):
        self._files[Path(path)] = data

    @property
    def paths(self):
        return list(self._files)

    def commit(self):
        for path in self._files:
            check_output_file("output file", path)
        staged, made = [], []
        try:
            for path, data in self._files.items():
                made += _make_folder(path.parent)
                staged.append((_stage(path, data), path))
        except BaseException:
            for tmp, _ in staged:
                os.unlink(tmp)
            for folder in reversed(made):
                try:
                    folder.rmdir()
                except OSError:             # not empty: someone else writes there too
                    pass
            raise
        for tmp, path in staged:
            os.replace(tmp, path)


def read_text(path, what="file"):
    """The text (UTF-8) of a file the user named; :class:`InputError` naming it (``what``
    says what it is for, e.g. ``"manifest"``) when it is missing, a folder or not text."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        raise InputError(f"{what} {str(path)!r} does not exist") from None
    except IsADirectoryError:
        raise InputError(f"{what} {str(path)!r} is a folder, not a file") from None
    except PermissionError:
        raise InputError(f"{what} {str(path)!r} cannot be read (permission denied)") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{what} {str(path)!r} is not UTF-8 text (byte {exc.start})") from None


def read_json(path, what="file"):
    """The parsed JSON of a file the user named (see :func:`read_text`); a file that is not
    JSON is an :class:`InputError` naming it and the place of the first mistake."""
    text = read_text(path, what)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{what} {str(path)!r} is not JSON ({exc.msg} at line {exc.lineno} "
                         f"column {exc.colno})") from None


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
