"""docs/quant.md, docs/amos.md's table and their figures are what `python -m quant report` and
`python -m quant amos report` make from the shipped sets: regenerated here (reusing the stored
K sweep, no training) and compared, the text byte for byte, the PNGs by their pixels (the
PNG encoder's compression is not part of the figure; matplotlib is pinned in pyproject.toml)."""

import io
import json
import shutil

import numpy as np
import pytest

from clirun import ROOT, run_cli

pytest.importorskip("matplotlib")

DOCS = ROOT / "docs"
CACHE = "img/quant_sweep_k_silu.json"


def pixels(data):
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(data)).convert("RGBA"))


def same_file(a, b):
    if a.suffix == ".png":
        return np.array_equal(pixels(a.read_bytes()), pixels(b.read_bytes()))
    return a.read_bytes() == b.read_bytes()


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
        assert same_file(DOCS / rel, tmp_path / rel), \
            f"docs/{rel} is stale: run `python -m quant report --out-dir docs`"
    text = (tmp_path / "quant.md").read_text()
    assert "| NO |" not in text          # every target met
    for rel in made:
        if rel.endswith(".png"):
            assert f"]({rel})" in text


def test_report_sees_a_changed_set(monkeypatch):
    # the comparison above can fail: a report built from different sets differs
    from quant import report
    from quant.commands.report import REGENERATE, REPORT, SHIP

    real = report.load_shipped()
    good = real["sigmoid_K12_Q8"]
    worse = type(good)(good.activation, good.K, good.interval, good.T, good.h,
                       tuple(c + 1 for c in good.d), Q=good.Q)
    monkeypatch.setattr(report, "load_shipped",
                        lambda names=None, folder=None: dict(real, sigmoid_K12_Q8=worse))
    rows = json.loads((DOCS / CACHE).read_text())
    commands = {"report": REPORT, "ship": SHIP, "regenerate": REGENERATE,
                "sweep_k": "python -m quant sweep-k --act silu --K 4 6 8 10 12 14 16 18 20 "
                           "--steps 1000 --restarts 16"}
    files = report.build_report(rows, commands, show_progress=False)
    assert "| Q=8 sigmoid K=12 |" in files["quant.md"] and "| NO |" in files["quant.md"]
    assert files["quant.md"] != (DOCS / "quant.md").read_text()


def test_amos_report_is_up_to_date(tmp_path):
    r = run_cli("quant", "amos", "report", "--out-dir", tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout in (DOCS / "amos.md").read_text()
    made = sorted(tmp_path.iterdir())
    assert [p.name for p in made] == ["amos_mul_K40.png", "amos_sigmoid_K8.png",
                                      "amos_silu_K12.png"]
    for path in made:
        assert same_file(DOCS / "img" / path.name, path), \
            f"docs/img/{path.name} is stale: run `python -m quant amos report --out-dir docs/img`"
