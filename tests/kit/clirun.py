"""Run ``python -m <package> ...`` as a user would, against this checkout's code."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: the published FS parameter sets (quant/published), the reference the training is measured by
REFERENCE = ROOT / "quant" / "published"


def run_cli(package, *args, cwd=None, timeout=600, env=None):
    """Run ``python -m package args...``; return the CompletedProcess (text, not checked).

    PYTHONPATH points at this checkout, so the code under test is this tree's, whatever is
    installed and whatever the working folder.
    """
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = str(ROOT) + os.pathsep + full_env.get("PYTHONPATH", "")
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", package, *map(str, args)], cwd=cwd,
                          env=full_env, capture_output=True, text=True, timeout=timeout)


def assert_usage_error(result, *fragments):
    """The project's bad-input rule: exit 2, one line on stderr naming the problem, no
    traceback."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    err = result.stderr
    assert err.count("\n") == 1 and err.startswith("error: "), err
    assert "Traceback" not in err
    for f in fragments:
        assert f in err, (f, err)
