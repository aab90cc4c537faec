"""Generated sections of docs/ agree with their sources (python -m common.docs --check)."""

import shutil

from clirun import ROOT

from common import docs


def test_generated_sections_are_current():
    assert docs.main(["--check", "--root", str(ROOT)]) == 0


def test_a_stale_section_is_caught(tmp_path, capsys):
    (tmp_path / "docs").mkdir()
    (tmp_path / "gen").mkdir()
    shutil.copy(ROOT / "gen" / "manifest.schema.json", tmp_path / "gen")
    page = tmp_path / "docs" / "page.md"
    page.write_text("x\n<!-- begin manifest-keys -->\n| stale |\n<!-- end manifest-keys -->\n")
    assert docs.main(["--check", "--root", str(tmp_path)]) == 1
    assert "docs/page.md" in capsys.readouterr().err
    assert docs.main(["--root", str(tmp_path)]) == 0
    assert "| `ports` |" in page.read_text()
    assert docs.main(["--check", "--root", str(tmp_path)]) == 0
