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

#: Where the K sweep's and the spike sweep's rows are kept, inside the output folder.
CACHE = Path("img") / "quant_sweep_k_silu.json"
SPIKE_CACHE = Path("img") / "quant_spike_sweep_silu_K16.json"


def add_arguments(p):
    add_out_dir(p, "quant", "output folder")
    add_params_option(p)
    p.add_argument("--reuse-sweep", action="store_true",
                   help="take the K sweep and the spike sweep from the previous report's JSON "
                        "(in --out-dir) instead of retraining them")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def add_params_option(p):
    add_in_dir(p, "--params-dir", "the parameter sets to report (default: the shipped "
                                  "quant/params)")


def run(args):
    from ..report import SPIKE_SWEEP, SWEEP_K, SWEEP_K_BUDGET, build_report, sweep_k
    from ..spike_sweep import LOWSPIKE, sweep_spikes
    from ..spikes import NETWORK_INPUT, NormalInput
    from ..stages import Budget

    out = Path(args.out_dir)
    budget = ["--steps", SWEEP_K_BUDGET["steps"], "--restarts", SWEEP_K_BUDGET["restarts"]]
    sweep_words = ["sweep-k", "--act", "silu", "--K", *SWEEP_K, *budget]
    spike_words = ["spike-sweep", "--act", "silu", "--K", 16, "--lambda", *SPIKE_SWEEP, *budget]
    show = not args.quiet
    if args.reuse_sweep:
        rows, spike_rows = _cached(out / CACHE), _cached(out / SPIKE_CACHE)
    else:
        rows, _ = sweep_k("silu", SWEEP_K, show_progress=show, budget=Budget(**SWEEP_K_BUDGET))
        spike_rows, _ = sweep_spikes("silu", 16, SPIKE_SWEEP, NormalInput(*NETWORK_INPUT),
                                     show_progress=show, budget=Budget(**SWEEP_K_BUDGET))
        rows, spike_rows = json.loads(json.dumps(rows)), json.loads(json.dumps(spike_rows))
    commands = {"report": REPORT, "ship": SHIP, "regenerate": REGENERATE,
                "sweep_k": command_line(*sweep_words), "spike_sweep": command_line(*spike_words),
                "ship_lowspike": command_line("ship", "--only", *LOWSPIKE, "--out-dir",
                                              "quant/params")}
    files = AtomicFiles()
    for rel, data in build_report(rows, commands, show_progress=show, folder=args.params_dir,
                                  spike_rows=spike_rows).items():
        files.add(out / rel, data)
    files.add(out / CACHE, dumps_json(rows))
    files.add(out / SPIKE_CACHE, dumps_json(spike_rows))
    files.commit()
    print(f"wrote {len(files.paths)} files to {out}", file=sys.stderr)


def _cached(path):
    """The rows a previous report stored at ``path``."""
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise CLIError(f"--reuse-sweep: {path} does not exist (run without it once)") from None
