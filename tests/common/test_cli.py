"""Shared CLI behaviour: one-line errors, exit 2, atomic files."""

import pytest

from common.cli import ArgumentParser, AtomicFiles, CLIError, atomic_write, main_wrapper


def test_argparse_errors_are_one_line(capsys):
    def main(argv):
        p = ArgumentParser(prog="tool")
        p.add_argument("--K", type=int, required=True)
        p.parse_args(argv)

    status = main_wrapper(lambda a: main(["--K", "x"]))
    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1 and err.startswith("error: tool: argument --K")


def test_value_errors_are_one_line(capsys):
    def main(argv):
        raise ValueError("K must be between 1 and 32,\n not 40")

    assert main_wrapper(main) == 2
    assert capsys.readouterr().err == "error: K must be between 1 and 32, not 40\n"


def test_bugs_keep_their_traceback():
    def main(argv):
        raise KeyError("bug")

    with pytest.raises(KeyError):
        main_wrapper(main)


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


def test_cli_error_is_user_error(capsys):
    def main(argv):
        raise CLIError("unknown board 'foo'")

    assert main_wrapper(main) == 2
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
