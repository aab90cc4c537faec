"""docs/quant.md and its figures are what `python -m quant report` makes from the shipped
sets: regenerated here (reusing the stored K sweep, no training) and compared byte for byte."""

import json
import shutil

import pytest

from clirun import ROOT, run_cli

pytest.importorskip("matplotlib")

DOCS = ROOT / "docs"
CACHE = "img/quant_sweep_k_silu.json"


def test_report_is_up_to_date(tmp_path):
    (tmp_path / "img").mkdir()
    shutil.copy(DOCS / CACHE, tmp_path / CACHE)
    r = run_cli("quant", "report", "--out-dir", tmp_path, "--reuse-sweep", "--quiet")
    assert r.returncode == 0, r.stderr
    made = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")
                  if p.is_file())
    assert "quant.md" in made and CACHE in made
    assert sum(m.endswith(".png") for m in made) >= 7
    for rel in made:
        assert (DOCS / rel).read_bytes() == (tmp_path / rel).read_bytes(), \
            f"docs/{rel} is stale: run `python -m quant report`"
    text = (tmp_path / "quant.md").read_text()
    assert "| NO |" not in text          # every target met
    for rel in made:
        if rel.endswith(".png"):
            assert f"]({rel})" in text


def test_report_sees_a_changed_set(tmp_path, monkeypatch):
    # the comparison above can fail: a report built from different sets differs
    from quant import report

    real = report.load_shipped()
    good = real["sigmoid_K12_Q8"]
    worse = type(good)(good.activation, good.K, good.interval, good.T, good.h,
                       tuple(c + 1 for c in good.d), Q=good.Q)
    monkeypatch.setattr(report, "load_shipped",
                        lambda names=None: dict(real, sigmoid_K12_Q8=worse))
    rows = json.loads((DOCS / CACHE).read_text())
    commands = {"report": "python -m quant report", "ship": "python -m quant ship",
                "regenerate": "python -m quant regenerate",
                "sweep_k": "python -m quant sweep-k --act silu --K 4 6 8 10 12 14 16 18 20 "
                           "--steps 1000 --restarts 16"}
    files = report.build_report(rows, commands, show_progress=False)
    assert "| Q=8 sigmoid K=12 |" in files["quant.md"] and "| NO |" in files["quant.md"]
    assert files["quant.md"] != (DOCS / "quant.md").read_text()
