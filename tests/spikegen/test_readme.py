"""The README: its landing page contract, and the tables it and docs/results.md copy."""

import re

import pytest

from clirun import ROOT

from common.cli import CLIError
from spikegen import results


def quick_start_lines():
    text = (ROOT / "README.md").read_text()
    m = re.search(r"^## Quick start\n\n```sh\n(.*?)```", text, re.S | re.M)
    assert m, "README needs a '## Quick start' section with a sh code block"
    return [line for line in m.group(1).splitlines() if line.strip()]


def test_readme_opens_with_what_it_is_then_quick_start():
    text = (ROOT / "README.md").read_text()
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings[0] == "## Quick start"
    intro = text.split("## Quick start")[0]
    for paper in ("FS neuron", "AMOS", "temporal"):
        assert paper in intro
    assert "![" in intro                                      # one picture


def test_quick_start_is_two_commands_that_install_and_run():
    first, second = quick_start_lines()
    assert first.startswith("pip install") and \
        first.endswith("python -m gen fsneuron --K 16 --Q 8")
    assert second.startswith("pip install") and "python -m pytest" in second


def test_ci_runs_the_second_quick_start_line_verbatim():
    run = (ROOT / ".ci" / "run").read_text().splitlines()
    assert quick_start_lines()[1] in run


def test_table_after_finds_the_first_table_and_names_missing_ones():
    text = "# a\n\nintro\n\n| x | y |\n|---|---|\n| 1 | 2 |\n\nafter\n\n| z |\n|---|\n"
    assert results.table_after(text, "# a") == ["| x | y |", "|---|---|", "| 1 | 2 |"]
    assert results.parse_table(results.table_after(text, "after")) == (["z"], [])
    with pytest.raises(CLIError, match="page.md: no line starting with '## Nope'"):
        results.table_after(text, "## Nope", "page.md")
    with pytest.raises(CLIError, match="no table after"):
        results.table_after("# a\n\ntext\n\n# b\n\n| x |\n|---|\n", "# a")


def test_summary_copies_the_pages_figures():
    text = results.summary(ROOT)
    quant = (ROOT / "docs" / "quant.md").read_text()
    row = next(line for line in quant.splitlines() if line.startswith("| float SiLU K=16, [-2,2]"))
    assert f"MSE {row.split('|')[2].strip()} on [-2,2]" in text
