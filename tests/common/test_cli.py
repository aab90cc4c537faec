"""Shared CLI behaviour: one-line user errors with exit 2, bugs with their traceback, atomic
files, files read with their problems named."""

import os

import pytest

from common.checks import InputError, InputTypeError
from common.cli import (ArgumentParser, AtomicFiles, CLIError, atomic_write, command_parser,
                        main_wrapper, read_json, read_text, run_command)


def test_argparse_errors_are_one_line(capsys):
    def main(argv):
        p = ArgumentParser(prog="tool")
        p.add_argument("--K", type=int, required=True)
        p.parse_args(argv)

    status = main_wrapper(lambda a: main(["--K", "x"]))
    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1 and err.startswith("error: tool: argument --K")


@pytest.mark.parametrize("error", [InputError, InputTypeError])
def test_input_errors_are_one_line(capsys, error):
    def main(argv):
        raise error("K must be between 1 and 32,\n not 40")

    assert main_wrapper(main, []) == 2
    assert capsys.readouterr().err == "error: K must be between 1 and 32, not 40\n"


@pytest.mark.parametrize("error", [KeyError, ValueError, TypeError, AttributeError])
def test_bugs_keep_their_traceback(error):
    # a plain ValueError/TypeError comes from deep inside, not from a check of the user's
    # input: it is a bug, and its traceback is what finds it
    def main(argv):
        raise error("bug")

    with pytest.raises(error):
        main_wrapper(main, [])


def test_os_errors_about_the_users_paths_are_one_line(tmp_path, capsys):
    given = tmp_path / "given"

    def main(argv):
        open(given / "sub" / "file.txt")

    assert main_wrapper(main, ["--out", str(given)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: No such file or directory: ")
    assert str(given / "sub" / "file.txt") in err
    # --opt=PATH counts too
    assert main_wrapper(main, [f"--out={given}"]) == 2


def test_os_errors_about_other_paths_are_bugs(tmp_path):
    # a file of the program itself that is missing is not the user's to fix
    def main(argv):
        open(tmp_path / "internal" / "table.json")

    with pytest.raises(FileNotFoundError):
        main_wrapper(main, ["--out", str(tmp_path / "elsewhere")])


def test_relative_paths_are_the_users(tmp_path, monkeypatch, capsys):
    # relative paths are the user's working folder (the default ./out)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out").write_text("a file where the output folder should be")

    def main(argv):
        os.makedirs("out/boards")

    assert main_wrapper(main, []) == 2
    assert capsys.readouterr().err == "error: Not a directory: out/boards\n"


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    class Boom(bytes):
        pass

    path = tmp_path / "out.v"
    atomic_write(path, "hello\n")
    assert path.read_text() == "hello\n"
    files = AtomicFiles()
    files.add(tmp_path / "a.txt", "a")
    files.add(tmp_path / "b.txt", object())   # cannot be written
    with pytest.raises(TypeError):
        files.commit()
    # neither file appears: all are staged before any is renamed into place
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.v"]


@pytest.mark.parametrize("target, where", [
    ("file/x.v", "file"),                # the folder would have to be where a file is
    ("file/deeper/x.v", "file"),
    ("folder", "folder"),                # the file would have to be where a folder is
])
def test_atomic_files_reject_impossible_paths(tmp_path, target, where):
    (tmp_path / "file").write_text("x")
    (tmp_path / "folder").mkdir()
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    files = AtomicFiles({tmp_path / "ok" / "a.v": "a", tmp_path / target: "b"})
    with pytest.raises(InputError, match=f"output file '{tmp_path / target}'.*{where}"):
        files.commit()
    # nothing written, not even the folder of the good file
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def test_atomic_files_remove_the_folders_they_made_on_failure(tmp_path):
    files = AtomicFiles({tmp_path / "a" / "b" / "x.txt": "x",
                         tmp_path / "c" / "y.txt": object()})    # cannot be written
    with pytest.raises(TypeError):
        files.commit()
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_into_dev_null_is_a_user_error(capsys):
    def main(argv):
        atomic_write("/dev/null/x/out.v", "v")

    assert main_wrapper(main, []) == 2
    assert capsys.readouterr().err == \
        "error: output file '/dev/null/x/out.v' is under '/dev/null', which is a file\n"


@pytest.mark.parametrize("content, fragment", [
    (None, "does not exist"),
    ("folder", "is a folder, not a file"),
    (b"\xff\xfe\x00garbage", "is not UTF-8 text"),
    (b"", "is not JSON (Expecting value at line 1 column 1)"),
    (b'{"a": 1,', "is not JSON"),
])
def test_read_json_names_the_problem(tmp_path, content, fragment):
    path = tmp_path / "in.json"
    if content == "folder":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match="manifest '.*in.json' " + fragment.replace("(", r"\(")
                       .replace(")", r"\)")):
        read_json(path, "manifest")


def test_read_text_reads_text(tmp_path):
    (tmp_path / "a.md").write_text("héllo\n", encoding="utf-8")
    assert read_text(tmp_path / "a.md") == "héllo\n"
    assert read_json(_write(tmp_path / "b.json", "[1, 2]")) == [1, 2]


def _write(path, text):
    path.write_text(text)
    return path


class _Echo:
    EXTRA_ARGS = True

    @staticmethod
    def add_arguments(p):
        p.add_argument("--n", type=int, default=0)

    @staticmethod
    def run(args):
        return (args.n, args.extra_args)


class _Strict:
    DESCRIPTION = "strict"

    @staticmethod
    def add_arguments(p):
        pass

    @staticmethod
    def run(args):
        return "ran"


def test_command_parser_takes_module_objects_and_extra_args():
    commands = {"echo": (f"{__name__}:_Echo", "passes unknown arguments on"),
                "strict": (f"{__name__}:_Strict", "takes none")}
    parser = command_parser("prog", "test", commands)
    assert run_command(parser, ["echo", "--n", "3", "--K", "4"]) == (3, ["--K", "4"])
    assert run_command(parser, ["strict"]) == "ran"
    with pytest.raises(CLIError, match="unrecognized arguments: --K 4"):
        run_command(parser, ["strict", "--K", "4"])
    # no abbreviations: an option of the passed-on tool is never taken for one of ours
    assert run_command(parser, ["echo", "--n", "1", "--nn", "2"]) == (1, ["--nn", "2"])


def test_cli_error_is_user_error(capsys):
    def main(argv):
        raise CLIError("unknown board 'foo'")

    assert main_wrapper(main, []) == 2
    assert capsys.readouterr().err == "error: unknown board 'foo'\n"


def test_broken_pipe_is_quiet():
    import subprocess
    import sys

    # a reader that closes early must not produce a traceback
    code = ("import sys\n"
            "from common.cli import main_wrapper\n"
            "def main(argv):\n"
            "    for _ in range(100000):\n"
            "        print('x' * 100)\n"
            "sys.exit(main_wrapper(main))\n")
    from clirun import ROOT
    p = subprocess.run(f"{sys.executable} -c \"{code}\" | head -1", shell=True, cwd=ROOT,
                       capture_output=True, text=True)
    assert "Traceback" not in p.stderr and "BrokenPipe" not in p.stderr, p.stderr
