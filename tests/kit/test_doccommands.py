"""doccommands: what counts as a documented command, and where it is written."""

import tempfile
from pathlib import Path

from doccommands import fenced_commands, inline_commands, shown_outputs

PAGE = """# A page

Run `python -m gen fsneuron --K 4` or `python -m gen` (a name), not
`python -m gen network NET.json --pe P` (a placeholder) nor `python -m quant ship [--only X]`.

```sh
$ python -m gen fsneuron \\
    --K 16 --Q 8   # a comment
# a whole-line comment
pip install -e . && SIM=icarus python -m pytest tests/x.py; cd build
```

```console
$ python -m net digits
accuracy 97.1 %
```

```
python -m boards synth out/a.json --device ecp5
```

```
python -m gen tsc --inputs M --neurons L
                  [--mode stream|framed]
```

```sh
python -m gen fsneuron --K 4
```

```
fs_relu_k4: ...
```
"""


def test_fenced_blocks_lines_and_splits():
    cmds = fenced_commands("p.md", PAGE)
    assert [(c.line, c.argv[:4], c.env) for c in cmds] == [
        (7, ("python", "-m", "gen", "fsneuron"), ()),
        (10, ("pip", "install", "-e", "."), ()),
        (10, ("python", "-m", "pytest", "tests/x.py"), (("SIM", "icarus"),)),
        (10, ("cd", "build"), ()),
        (14, ("python", "-m", "net", "digits"), ()),            # console: prompts only
        (19, ("python", "-m", "boards", "synth"), ()),          # untagged, all command lines
        (28, ("python", "-m", "gen", "fsneuron"), ()),
    ]
    assert cmds[0].argv == ("python", "-m", "gen", "fsneuron", "--K", "16", "--Q", "8")
    assert cmds[1].block == cmds[3].block == 7 and cmds[4].block == 14


def test_inline_commands_are_complete_ones():
    cmds = inline_commands("p.md", PAGE)
    assert [(c.line, c.argv) for c in cmds] == [
        (3, ("python", "-m", "gen", "fsneuron", "--K", "4"))]


def test_an_output_block_after_a_one_command_block():
    """Not the command block after the console block: that is no output."""
    assert shown_outputs_of(PAGE) == {28: "fs_relu_k4: ...\n"}


def shown_outputs_of(text):
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "p.md").write_text(text)
        return shown_outputs(d, "p.md")
