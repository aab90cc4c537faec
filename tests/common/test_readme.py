"""The README: its Quick start contract and its generated results section."""

import re
import shutil
from pathlib import Path

import pytest

from common import readme
from common.cli import CLIError

ROOT = Path(__file__).resolve().parents[2]


def quick_start_lines():
    text = (ROOT / "README.md").read_text()
    m = re.search(r"^## Quick start\n\n```sh\n(.*?)```", text, re.S | re.M)
    assert m, "README needs a '## Quick start' section with a sh code block"
    return [line for line in m.group(1).splitlines() if line.strip()]


def test_readme_starts_with_quick_start():
    text = (ROOT / "README.md").read_text()
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings[0] == "## Quick start"


def test_quick_start_is_two_commands_that_install_and_run():
    first, second = quick_start_lines()
    assert first.startswith("pip install") and \
        first.endswith("python -m gen fsneuron --K 16 --Q 8")
    assert second.startswith("pip install") and "python -m pytest" in second


def test_ci_runs_the_second_quick_start_line_verbatim():
    run = (ROOT / ".ci" / "run").read_text().splitlines()
    assert quick_start_lines()[1] in run


def test_results_section_is_up_to_date():
    # a docs page regenerated without ``python -m common.readme`` afterwards fails here
    assert readme.main(["--check", "--root", str(ROOT)]) == 0


def test_check_reports_a_stale_readme(tmp_path, capsys):
    shutil.copytree(ROOT / "docs", tmp_path / "docs")
    text = (ROOT / "README.md").read_text()
    (tmp_path / "README.md").write_text(text.replace("| fs-relu-k10 |", "| fs-relu-k11 |", 1))
    assert readme.main(["--check", "--root", str(tmp_path)]) == 1
    assert "out of date" in capsys.readouterr().err
    assert readme.main(["--root", str(tmp_path)]) == 0          # rewrites it
    assert (tmp_path / "README.md").read_text() == text


def test_table_after_finds_the_first_table_and_names_missing_ones():
    text = "# a\n\nintro\n\n| x | y |\n|---|---|\n| 1 | 2 |\n\nafter\n\n| z |\n|---|\n"
    assert readme.table_after(text, "# a") == ["| x | y |", "|---|---|", "| 1 | 2 |"]
    assert readme.parse_table(readme.table_after(text, "after")) == (["z"], [])
    with pytest.raises(CLIError, match="page.md: no line starting with '## Nope'"):
        readme.table_after(text, "## Nope", "page.md")
    with pytest.raises(CLIError, match="no table after"):
        readme.table_after("# a\n\ntext\n\n# b\n\n| x |\n|---|\n", "# a")


def test_render_needs_one_marker_pair():
    assert readme.render(f"a\n{readme.BEGIN}\nold\n{readme.END}\nb\n", "new\n") == \
        f"a\n{readme.BEGIN}\nnew\n{readme.END}\nb\n"
    with pytest.raises(CLIError, match="exactly one"):
        readme.render("no markers\n", "x\n")
