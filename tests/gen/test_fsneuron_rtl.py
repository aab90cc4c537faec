"""The reference cores in ``rtl/`` are exactly what the documented commands generate.

Regenerate them all with::

    python -m gen fsneuron --K 16 --Q 8                   # the card command (SiLU)
    python -m gen fsneuron --act relu --K 10
    python -m gen fsneuron --act sigmoid --K 12 --Q 8
"""

import shutil
from pathlib import Path

import pytest

from clirun import run_cli
from fsneuron_sets import shipped_or_skip

ROOT = Path(__file__).resolve().parents[2]
RTL = ROOT / "rtl"

#: name -> (command-line arguments, trained set it needs or None)
REFERENCES = {
    "fs_silu_k16_q8": (["--K", "16", "--Q", "8"], ("silu", 16, 8)),
    "fs_relu_k10": (["--act", "relu", "--K", "10"], None),
    "fs_sigmoid_k12_q8": (["--act", "sigmoid", "--K", "12", "--Q", "8"], ("sigmoid", 12, 8)),
}


def differences(expected_dir, actual_dir, names):
    """Files (``NAME.v``, ``NAME.json``) that differ or are missing; [] when byte-identical."""
    out = []
    for name in names:
        for ext in (".v", ".json"):
            a, b = Path(expected_dir) / f"{name}{ext}", Path(actual_dir) / f"{name}{ext}"
            if not a.exists() or not b.exists():
                out.append(f"{name}{ext} missing")
            elif a.read_bytes() != b.read_bytes():
                out.append(f"{name}{ext} differs")
    return out


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_reference_core_regenerates_byte_identically(tmp_path, name):
    args, needs = REFERENCES[name]
    if needs is not None:
        shipped_or_skip(*needs)
    r = run_cli("gen", "fsneuron", *args, "--out", tmp_path)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{name}.json", f"{name}.v"]
    assert differences(RTL, tmp_path, [name]) == [], \
        f"rtl/{name} is stale: regenerate with python -m gen fsneuron {' '.join(args)}"


def test_comparison_catches_a_corrupted_file(tmp_path):
    names = ["fs_relu_k10"]
    for ext in (".v", ".json"):
        shutil.copy(RTL / f"fs_relu_k10{ext}", tmp_path)
    assert differences(RTL, tmp_path, names) == []
    v = tmp_path / "fs_relu_k10.v"
    text = v.read_text()
    v.write_text(text.replace(">=", ">", 1))
    assert differences(RTL, tmp_path, names) == ["fs_relu_k10.v differs"]
    (tmp_path / "fs_relu_k10.json").unlink()
    assert "fs_relu_k10.json missing" in differences(RTL, tmp_path, names)


def test_rtl_holds_only_reference_cores():
    found = sorted(p.stem for p in RTL.glob("fs_*"))
    assert found == sorted(n for n in REFERENCES for _ in (0, 1))
