"""``python -m quant report``: the FS results page (docs/quant.md) and its figures."""

import json
import sys
from pathlib import Path

from common.cli import AtomicFiles, CLIError, dumps_json
from .options import add_in_dir, add_out_dir, command_line

DESCRIPTION = ("Evaluate the shipped and published sets, train the K sweep, and write quant.md "
               "with img/quant_*.png into --out-dir (default out/quant; give docs to rewrite "
               "the repository's page).")

#: The commands the page names for its own regeneration (into the repository's folders).
REPORT = command_line("report", "--out-dir", "docs")
SHIP = command_line("ship", "--out-dir", "quant/params")
REGENERATE = command_line("regenerate", "--params-dir", "quant/params", "--out-dir", "docs")

#: Where the K sweep's rows are kept, inside the output folder.
CACHE = Path("img") / "quant_sweep_k_silu.json"


def add_arguments(p):
    add_out_dir(p, "quant", "output folder")
    add_params_option(p)
    p.add_argument("--reuse-sweep", action="store_true",
                   help="take the K sweep from the previous report's JSON (in --out-dir) "
                        "instead of retraining it")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def add_params_option(p):
    add_in_dir(p, "--params-dir", "the parameter sets to report (default: the shipped "
                                  "quant/params)")


def run(args):
    from ..report import SWEEP_K, SWEEP_K_BUDGET, build_report, sweep_k
    from ..stages import Budget

    out = Path(args.out_dir)
    sweep_words = ["sweep-k", "--act", "silu", "--K", *SWEEP_K,
                   "--steps", SWEEP_K_BUDGET["steps"], "--restarts", SWEEP_K_BUDGET["restarts"]]
    if args.reuse_sweep:
        try:
            rows = json.loads((out / CACHE).read_text())
        except FileNotFoundError:
            raise CLIError(f"--reuse-sweep: {out / CACHE} does not exist (run without it "
                           f"once)") from None
    else:
        rows, _ = sweep_k("silu", SWEEP_K, show_progress=not args.quiet,
                          budget=Budget(**SWEEP_K_BUDGET))
        rows = json.loads(json.dumps(rows))
    commands = {"report": REPORT, "ship": SHIP, "regenerate": REGENERATE,
                "sweep_k": command_line(*sweep_words)}
    files = AtomicFiles()
    for rel, data in build_report(rows, commands, show_progress=not args.quiet,
                                  folder=args.params_dir).items():
        files.add(out / rel, data)
    files.add(out / CACHE, dumps_json(rows))
    files.commit()
    print(f"wrote {len(files.paths)} files to {out}", file=sys.stderr)
