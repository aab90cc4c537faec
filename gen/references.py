"""The reference cores in ``rtl/``: one table, one command to regenerate them all.

Each entry is a ``python -m gen`` command line; ``rtl/`` holds exactly their outputs, byte for
byte (the test suite regenerates every one and compares)::

    python -m gen.references            # regenerate rtl/ (after a change that alters a core)
    python -m gen.references --check    # exit 1 naming every stale or extra file
"""

import sys
import tempfile
from pathlib import Path

from common.cli import ArgumentParser, main_wrapper

__all__ = ["REFERENCES", "generate_all", "differences", "main"]

#: top module -> the ``python -m gen`` arguments that make it
REFERENCES = {
    "fs_silu_k16_q8": ["fsneuron", "--K", "16", "--Q", "8"],
    "fs_relu_k10": ["fsneuron", "--act", "relu", "--K", "10"],
    "fs_sigmoid_k12_q8": ["fsneuron", "--act", "sigmoid", "--K", "12", "--Q", "8"],
    "amos_relu_k10": ["amos", "--act", "relu", "--K", "10"],
    "amos_sigmoid_k8_q8": ["amos", "--act", "sigmoid", "--K", "8", "--Q", "8"],
    "amos_silu_k12_q8": ["amos", "--act", "silu", "--K", "12", "--Q", "8"],
    "amos_mul_k40_q8": ["amos", "--act", "mul", "--K", "40", "--Q", "8"],
    "tsc_m64_l16": ["tsc", "--inputs", "64", "--neurons", "16"],
    # the digits MLP as it fits the iCE40UP5K (docs/network-hardware.md)
    "net_mlp_fs_relu_k10_p16_8_2_l4": ["network", "net/examples/mlp_fs_relu_k10.json",
                                       "--pe", "16,8,2", "--lanes", "4"],
}

ROOT = Path(__file__).resolve().parents[1]
RTL = ROOT / "rtl"


def generate_all(out, names=None):
    """Generate the reference cores (all, or ``names``) into ``out``."""
    import contextlib
    import io

    from .__main__ import main as gen_main

    for name in names or REFERENCES:
        # file arguments are relative to the repository, wherever this runs from
        args = [str(ROOT / a) if a.endswith(".json") else a for a in REFERENCES[name]]
        with contextlib.redirect_stdout(io.StringIO()):
            gen_main([*args, "--out", str(out)])


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


def extra_files(rtl=RTL):
    """Files in ``rtl/`` that no reference makes."""
    want = {f"{n}{ext}" for n in REFERENCES for ext in (".v", ".json")}
    return sorted(p.name for p in rtl.iterdir() if p.name not in want)


def main(argv=None):
    p = ArgumentParser(prog="python -m gen.references",
                       description="Regenerate the reference cores in rtl/ (or check them).")
    p.add_argument("--check", action="store_true",
                   help="only check: exit 1 naming every stale, missing or extra file")
    args = p.parse_args(argv)
    if not args.check:
        generate_all(RTL)
    with tempfile.TemporaryDirectory() as tmp:
        generate_all(tmp)
        bad = differences(RTL, tmp, REFERENCES) + [f"{n} extra" for n in extra_files()]
    if bad:
        print("rtl/ is out of date (python -m gen.references): " + ", ".join(bad),
              file=sys.stderr)
        return 1
    print(f"rtl/ holds exactly the {len(REFERENCES)} reference cores")
    return 0


if __name__ == "__main__":
    sys.exit(main_wrapper(main))
