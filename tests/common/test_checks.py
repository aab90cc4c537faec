"""common.checks: typed parameter checks, path checks and their argparse adapter."""

import argparse

import numpy as np
import pytest

from common.checks import (InputError, InputTypeError, arg, check_bool, check_choice,
                           check_float, check_input_file, check_int, check_output_dir,
                           check_output_file)


def test_check_int():
    assert check_int("K", 5, 1, 32) == 5
    assert type(check_int("K", np.int64(7), 1, 32)) is int
    with pytest.raises(InputError, match=r"^K must be between 1 and 32, not 40$"):
        check_int("K", 40, 1, 32)
    with pytest.raises(InputError, match=r"^K must be at least 1, not 0$"):
        check_int("K", 0, 1)
    with pytest.raises(InputError, match=r"^K must be at most 3, not 4$"):
        check_int("K", 4, None, 3)
    for bad in (True, 4.0, "4", None):
        with pytest.raises(InputTypeError, match="K must be an integer"):
            check_int("K", bad, 1, 32)
    # InputTypeError is both: callers that catch either see it
    assert issubclass(InputTypeError, TypeError) and issubclass(InputError, ValueError)


def test_check_float_choice_bool():
    assert check_float("alpha", 1, 0, 4) == 1.0
    with pytest.raises(InputError, match="alpha must be finite"):
        check_float("alpha", float("nan"))
    with pytest.raises(InputTypeError):
        check_float("alpha", "1")
    assert check_choice("arch", "shared", ("shared", "unrolled")) == "shared"
    with pytest.raises(InputError, match="arch must be one of shared, unrolled, not 'x'"):
        check_choice("arch", "x", ("shared", "unrolled"))
    with pytest.raises(InputTypeError):
        check_bool("flag", 1)


def test_path_checks(tmp_path):
    (tmp_path / "f").write_text("x")
    (tmp_path / "d").mkdir()
    f, d = tmp_path / "f", tmp_path / "d"
    assert check_input_file("FILE", f) == f
    assert check_output_file("--json", d / "new" / "x.json") == d / "new" / "x.json"
    assert check_output_dir("--out", d / "new") == d / "new"
    cases = [
        (check_input_file, tmp_path / "none", "does not exist"),
        (check_input_file, d, "is a folder, not a file"),
        (check_input_file, f / "x", f"does not exist \\('{f}' is a file\\)"),
        (check_output_file, d, "is a folder, not a file"),
        (check_output_file, f / "a" / "b", f"is under '{f}', which is a file"),
        (check_output_dir, f, "is a file, not a folder"),
        (check_output_dir, f / "a", f"is under '{f}', which is a file"),
    ]
    for check, path, fragment in cases:
        with pytest.raises(InputError, match=f"^NAME '{path}' {fragment}$"):
            check("NAME", path)


def test_arg_adapts_checks_to_argparse(tmp_path):
    K = arg(check_int, "--K", 1, 32)
    assert K("16") == 16
    for text, message in (("0", "--K must be between 1 and 32, not 0"),
                          ("x", "'x' is not an integer"), ("1.5", "'1.5' is not an integer")):
        with pytest.raises(argparse.ArgumentTypeError, match=message):
            K(text)
    assert arg(check_float, "--clock", 1, 1000)("24.5") == 24.5
    assert arg(check_choice, "board", ("a", "b"))("b") == "b"
    out = arg(check_output_dir, "--out")
    assert out(str(tmp_path)) == tmp_path
    with pytest.raises(argparse.ArgumentTypeError, match="--out '/dev/null/x' is under"):
        out("/dev/null/x")
    # what the option is stays visible (the CLI fuzz test finds path options this way)
    assert (out.check, out.name, out.args) == (check_output_dir, "--out", ())
    assert K.args == (1, 32)
