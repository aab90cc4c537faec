"""docs/import.md's tutorial, run as written: every ``sh`` command in a fresh folder (the
hardware steps included: the network top, its cocotb regression on the whole test split, run
from the checkout as the page says, and its place and route), the Python script it saves, and
the printed table compared with the one in the document."""

import re
import shlex

from clirun import ROOT, run_cli


DOC = ROOT / "docs" / "import.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)


def blocks():
    """(language, text, preceding text) of every fenced block, in order."""
    text = DOC.read_text()
    out, pos = [], 0
    for m in FENCE.finditer(text):
        before = text[pos:m.start()]
        out.append((m.group(1), m.group(2), before))
        pos = m.end()
    return out


def test_tutorial(tmp_path):
    expected_tables = []
    ran = 0
    for lang, text, before in blocks():
        if lang == "python":
            name = re.findall(r"`([\w.]+\.py)`:\s*$", before.rstrip() + "\n", re.M)
            assert name, "a python block must follow 'Save this as `NAME.py`:'"
            (tmp_path / name[-1]).write_text(text)
        elif lang == "sh":
            for line in text.strip().splitlines():
                argv = shlex.split(line)
                assert argv[0] == "python"
                if argv[1:3] == ["-m", "pytest"]:
                    # run from the checkout, as written, on the tutorial folder's file
                    args = [str(tmp_path / a) if a.startswith("out/") else a for a in argv[3:]]
                    r = run_cli("pytest", *args, cwd=ROOT)
                elif argv[1] == "-m":
                    r = run_cli(argv[2], *argv[3:], cwd=tmp_path)
                else:
                    r = _script(tmp_path, argv[1:])
                assert r.returncode == 0, (line, r.stderr)
                ran += 1
                if argv[1:4] == ["-m", "net", "convert"]:
                    expected_tables.append(r.stdout)
        elif lang == "text":
            assert expected_tables, "an output block must follow a convert command"
            assert expected_tables.pop(0) == text, "the document's table is not the output"
    assert ran == 6 and not expected_tables
    assert (tmp_path / "out" / "my_mlp.nir").is_file()
    assert len(list((tmp_path / "out" / "my_mlp_rtl").glob("net_my_mlp_p4.v"))) == 1


def _script(cwd, argv):
    import os
    import subprocess
    import sys

    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-W", "ignore", *argv], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)
