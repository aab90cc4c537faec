"""Every sub-command of every ``python -m`` entry, fed impossible paths and broken files.

The entries are those of ``spikegen`` (``spikegen.__main__.COMMANDS``) and their commands are
enumerated from each entry's parser, so a new command (or a new path option) is fuzzed
without editing this file. Each path argument is found by its argparse
``type`` (``common.checks.arg(check_input_file | check_output_file | check_output_dir, ...)``)
or, for options not typed yet, by its metavar or name. Each case must exit with status 2, print
exactly one line ``error: ...`` that names the path given, no traceback, and write no file.

The cases run in this process (``main_wrapper(main, argv)``), each with a time limit: a
command that starts its slow work (training, synthesis) before noticing the bad path fails the
limit instead of running for minutes.
"""

import argparse
import importlib
import signal
from pathlib import Path

import pytest

from clirun import ROOT
from common.checks import check_input_file, check_output_dir, check_output_file
from common.cli import main_wrapper
from spikegen.__main__ import COMMANDS as ENTRIES

#: The ``python -m`` entries; each module has ``build_parser()`` and ``main(argv)``.
PACKAGES = tuple(ENTRIES)

#: Seconds a case may take: the checks must come before any slow work.
LIMIT_S = 60

#: Values of required arguments that cannot be derived from the parser (no choices, no typed
#: range): (package, command, option) or option alone. Chosen so the command is otherwise
#: valid and cheap (relu is analytic, no training).
EXAMPLES = {
    ("quant", "train", "--act"): "relu",
    "--act": "silu",
    "--K": "8",
    "--Q": "8",
    "--inputs": "2",
    "--neurons": "2",
}

def _tiny_model():
    """A small ONNX MLP and its calibration inputs in build/cli_fuzz (written once, atomically:
    test workers may race), for ``net convert`` while one of its other paths is fuzzed."""
    import os

    import numpy as np

    from tests.net.onnx_models import mlp, onnx_model

    folder = ROOT / "build" / "cli_fuzz"
    folder.mkdir(parents=True, exist_ok=True)
    model, calib = folder / "tiny.onnx", folder / "tiny_calib.npy"
    rng = np.random.default_rng(0)
    for path, write in ((model, lambda f: f.write(onnx_model(*mlp(rng)))),
                        (calib, lambda f: np.save(f, rng.normal(size=(8, 4))))):
        if not path.exists():
            tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            with open(tmp, "wb") as f:
                write(f)
            os.replace(tmp, path)
    return model, calib


TINY_MODEL, TINY_CALIB = _tiny_model()

#: Valid values for path arguments while another argument is fuzzed.
VALID_INPUTS = {
    ("boards", "synth", "manifest"): ROOT / "rtl" / "fs_relu_k10.json",
    ("quant", "show", "file"): ROOT / "quant" / "params" / "silu_K16_Q8.json",
    ("gen", "network", "network"): ROOT / "net" / "examples" / "mlp_fs_relu_k10.json",
    ("net", "export-nir", "network"): ROOT / "net" / "examples" / "mlp_fs_relu_k10.json",
    ("net", "export-nir", "out"): "out.nir",
    ("net", "convert", "model"): TINY_MODEL,
    ("net", "convert", "calib"): TINY_CALIB,
}

#: Flags added to every case of a command so that nothing reaches hardware.
SAFE_FLAGS = {("boards", "flash"): ["--dry-run"], ("boards", "demo"): ["--sim"]}

#: Known gaps, in commands whose checks are still being moved to ``InputError``:
#: (package, command, dest) -> (cases or None for all, reason, runs). ``runs`` False: the case
#: would start minutes of work (or rewrite the repository's quant/params) before failing, so
#: it is not run. Strict: a gap that is closed fails here until its entry is removed.
KNOWN_GAPS = {}

_ROLES = {check_input_file: "in", check_output_file: "out_file", check_output_dir: "out_dir"}


def _role(action):
    """What a path argument is: ``in`` (an input file, its content matters), ``out_file``,
    ``out_dir``, ``file`` / ``dir`` (a file or folder of unknown direction), else None."""
    role = _ROLES.get(getattr(action.type, "check", None))
    if role is not None:
        return role
    metavar = action.metavar if isinstance(action.metavar, str) else ""
    if metavar.endswith(".json}") or metavar.endswith(".json"):
        return "in"                           # a name or a parameter file (gen --act)
    if not action.option_strings:             # positional: MANIFEST, FILE
        return "in" if (metavar or action.dest).upper() in ("FILE", "MANIFEST") else None
    if "DIR" in metavar or action.dest.endswith("_dir"):
        return "dir"
    if "FILE" in metavar or action.dest in ("out", "json", "png", "export"):
        return "file"
    return None


def _subcommands(package):
    parser = importlib.import_module(ENTRIES[package][0]).build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices


def _example(package, command, action):
    """A valid value for a required argument, or None when there is none to derive."""
    if action.choices:
        return str(next(iter(action.choices)))
    key = (package, command, action.dest)
    if key in VALID_INPUTS:
        return str(VALID_INPUTS[key])
    check = getattr(action.type, "check", None)
    if check is not None and check.__name__ == "check_choice":
        return str(action.type.args[0][0])
    if check is not None and check.__name__ in ("check_int", "check_float"):
        lo, hi = (list(action.type.args) + [None, None])[:2]
        return str(lo if lo is not None else hi if hi is not None else 1)
    for k in ((package, command, action.option_strings[0] if action.option_strings else None),
              action.option_strings[0] if action.option_strings else None):
        if k in EXAMPLES:
            return EXAMPLES[k]
    return None


def _base_argv(package, command, parser, fuzzed):
    """The command's required arguments with valid values, without ``fuzzed``."""
    positionals, options = [], []
    for action in parser._actions:
        if action is fuzzed or isinstance(action, argparse._HelpAction):
            continue
        if action.option_strings and not action.required:
            continue
        value = _example(package, command, action)
        assert value is not None, \
            f"{package} {command}: add an example value of {action.dest} to EXAMPLES"
        if action.option_strings:
            options += [action.option_strings[0], value]
        else:
            positionals.append(value)
    return positionals, options + SAFE_FLAGS.get((package, command), [])


#: The bad values per role: name -> how to make it in a folder (returns the path).
def _missing(d):
    return d / "missing.json"


def _dev_null(d):
    return Path("/dev/null/x")


def _folder(d):
    (d / "folder.json").mkdir()
    return d / "folder.json"


def _file(d):
    (d / "file").write_text("a file\n")
    return d / "file"


def _content(data):
    def make(d):
        (d / "input.json").write_bytes(data)
        return d / "input.json"
    return make


BAD = {
    "missing": _missing, "below-a-file": _dev_null, "folder": _folder, "file": _file,
    "empty": _content(b""), "garbage": _content(bytes(range(256)) * 4),
    "json-list": _content(b"[1, 2, 3]\n"), "json-object": _content(b'{"unexpected": 1}\n'),
}
CASES = {
    "in": ("missing", "below-a-file", "folder", "empty", "garbage", "json-list",
           "json-object"),
    "out_file": ("below-a-file", "folder"), "file": ("below-a-file", "folder"),
    "out_dir": ("below-a-file", "file"), "dir": ("below-a-file", "file"),
}


def _cases():
    for package in PACKAGES:
        for command, parser in _subcommands(package).items():
            for action in parser._actions:
                role = _role(action)
                if role is None:
                    continue
                for bad in CASES[role]:
                    marks = []
                    gap = KNOWN_GAPS.get((package, command, action.dest))
                    if gap is not None and (gap[0] is None or bad in gap[0]):
                        marks = [pytest.mark.xfail(reason=gap[1], run=gap[2], strict=True)]
                    name = action.option_strings[0] if action.option_strings else action.dest
                    yield pytest.param(package, command, name, bad, marks=marks,
                                       id=f"{package}-{command}-{name}-{bad}")


class TooSlow(BaseException):
    """Raised by the alarm: the command did not fail fast."""


def _alarm(signum, frame):
    raise TooSlow(f"no error within {LIMIT_S} s: the path is checked after slow work")


def _tree(root):
    return {p.relative_to(root): (p.read_bytes() if p.is_file() else None)
            for p in root.rglob("*")}


@pytest.mark.parametrize("package, command, name, bad", list(_cases()))
def test_bad_paths_are_one_line_errors(package, command, name, bad, tmp_path, monkeypatch,
                                       capsys):
    parser = _subcommands(package)[command]
    action = next(a for a in parser._actions
                  if name in a.option_strings or (not a.option_strings and a.dest == name))
    monkeypatch.chdir(tmp_path)               # defaults like ./out land here
    path = BAD[bad](tmp_path)
    positionals, options = _base_argv(package, command, parser, action)
    if action.option_strings:
        n = action.nargs if isinstance(action.nargs, int) else 1     # --test DATA LABELS
        argv = [command, *positionals, *options, name, *[str(path)] * n]
    else:
        # the fuzzed positional takes its place among the others
        index = [a for a in parser._actions if not a.option_strings].index(action)
        positionals.insert(index, str(path))
        argv = [command, *positionals, *options]
    before = _tree(tmp_path)
    main = importlib.import_module(ENTRIES[package][0]).main

    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(LIMIT_S)
    try:
        status = main_wrapper(main, argv)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    err = capsys.readouterr().err
    shown = " ".join(["python -m", package, *argv])
    assert status == 2, f"{shown}: exit status {status}\n{err}"
    assert err.count("\n") == 1 and err.startswith("error: "), f"{shown}:\n{err}"
    assert str(path) in err, f"{shown}: the error does not name {path}:\n{err}"
    assert _tree(tmp_path) == before, f"{shown}: wrote files"


def test_every_entry_has_commands_with_paths():
    # the enumeration itself: every package has commands, and most of them path arguments
    found = {(c.values[0], c.values[1]) for c in _cases()}
    for package in PACKAGES:
        assert any(p == package for p, _ in found), package
    assert ("boards", "synth") in found and ("gen", "fsneuron") in found


def _bug(*args, **kwargs):
    raise TypeError("a bug deep inside")


#: One library function per entry that a command calls, and a command line that calls it.
BUG_SITES = {
    "gen": ("gen.fsneuron.cli", "build", ["fsneuron", "--out", "o"]),
    "quant": ("quant.params", "load", ["show", str(ROOT / "quant" / "params" /
                                                   "silu_K16_Q8.json")]),
    "net": ("net.cli", "_config", ["digits"]),
    "boards": ("boards.build", "build_board", ["build", "icebreaker"]),
}


@pytest.mark.parametrize("package", PACKAGES)
def test_a_bug_keeps_its_traceback(package, monkeypatch, tmp_path):
    # a TypeError raised deep inside is not the user's input: main_wrapper lets it through
    module, name, argv = BUG_SITES[package]
    monkeypatch.setattr(importlib.import_module(module), name, _bug)
    monkeypatch.chdir(tmp_path)
    main = importlib.import_module(ENTRIES[package][0]).main
    with pytest.raises(TypeError, match="a bug deep inside"):
        main_wrapper(main, argv)


def test_a_bug_exits_1_with_its_traceback(tmp_path):
    import subprocess
    import sys

    code = ("import runpy, sys\n"
            "import boards.build\n"
            "def bug(*a, **k):\n"
            "    raise TypeError('a bug deep inside')\n"
            "boards.build.build_board = bug\n"
            "sys.argv = ['boards', 'build', 'icebreaker', '--out', 'o']\n"
            "runpy.run_module('boards', run_name='__main__')\n")
    p = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                       text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert p.returncode == 1, p.stderr
    assert "Traceback (most recent call last)" in p.stderr
    assert p.stderr.rstrip().endswith("TypeError: a bug deep inside")
    assert list(tmp_path.iterdir()) == []
