"""The shell commands a reader of README.md and docs/*.md would type, with where they are written.

What counts as a command:

* every line of a fenced block in a shell language (``sh``, ``bash``, ``shell``, ``console``),
  or of an untagged block whose every line starts with a command word (``python``, ``pip``,
  ``spikegen``, ``mkdocs``, ``make``, ``yowasp-``, ``cd``: a usage synopsis wrapped over
  several lines or a diagram is not such a block), ``\\`` continuations joined, a trailing
  ``# comment`` and whole-line comments dropped, the line split at ``&&`` and ``;`` into
  separate commands. In ``console`` blocks only the lines with a ``$ `` prompt are commands
  (the rest is output); in the others a ``$ `` prompt is stripped too;
* an inline code span in prose (outside fenced blocks) that starts with ``python -m`` and is a
  complete command: it has at least one option (a word starting with ``-``) and no placeholder
  (``...``, ``[``, ``|``, ``<``, or an upper-case metavariable such as ``NET.json``, ``BOARD``,
  ``Q``). A bare name (``python -m gen``, ``python -m boards demo``) names a command in a
  sentence; it is not something to type as written, so it is not collected. An inline command
  is split at ``&&`` like a fenced one.
"""

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

SHELL_LANGUAGES = ("sh", "bash", "shell", "console")
COMMAND_WORDS = re.compile(r"^(\$ )?(python|pip|spikegen|mkdocs|make|yowasp-[\w-]+|cd)\b")
FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```", re.S | re.M)
INLINE = re.compile(r"(?<!`)`(python -m [^`]+)`(?!`)")
#: an upper-case metavariable, optionally with a file suffix: NET.json, BOARD, Q, OUT.nir
METAVAR = re.compile(r"^[A-Z][A-Z0-9_]*(\.\w+)?$")


@dataclass(frozen=True)
class Command:
    """One command as written: ``doc`` (path relative to the repository), ``line`` (1-based),
    ``text`` (the command, comments dropped, one line), ``argv`` (shlex words, environment
    assignments removed), ``env`` (the leading ``NAME=value`` assignments) and ``block`` (the
    first line of its code block: a ``cd`` holds until the block ends; an inline command is a
    block of its own)."""

    doc: str
    line: int
    text: str
    argv: tuple
    env: tuple = field(default=())
    block: int = 0

    @property
    def where(self):
        return f"{self.doc}:{self.line}"


def documents(root):
    """README.md and every docs/*.md, as paths relative to ``root``, in a fixed order."""
    root = Path(root)
    return ["README.md"] + sorted(p.relative_to(root).as_posix()
                                  for p in (root / "docs").glob("*.md"))


def commands(root, doc):
    """Every command of one document (fenced and inline), in document order."""
    text = (Path(root) / doc).read_text()
    found = fenced_commands(doc, text) + inline_commands(doc, text)
    return sorted(found, key=lambda c: c.line)


def fenced_commands(doc, text):
    out = []
    for m in FENCE.finditer(text):
        first = text.count("\n", 0, m.start(2)) + 1
        if not _is_command_block(m):
            continue
        for line, logical in _logical_lines(m.group(2), first):
            if m.group(1) == "console":
                if not logical.startswith("$ "):
                    continue
            logical = logical[2:] if logical.startswith("$ ") else logical
            out.extend(_split(doc, line, logical, first))
    return out


def inline_commands(doc, text):
    prose = FENCE.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    out = []
    for m in INLINE.finditer(prose):
        line = prose.count("\n", 0, m.start()) + 1
        for cmd in _split(doc, line, " ".join(m.group(1).split()), -line):
            if cmd.argv[:2] == ("python", "-m") and is_complete(cmd.argv):
                out.append(cmd)
    return out


def is_complete(words):
    """An inline ``python -m`` span is a command to type when it has an option and no
    placeholder."""
    if not any(w.startswith("-") for w in words[3:]):
        return False
    return not any("..." in w or w[:1] in "[<|" or "|" in w or METAVAR.match(w)
                   for w in words)


def _is_command_block(m):
    if m.group(1) in SHELL_LANGUAGES:
        return True
    lines = list(_logical_lines(m.group(2), 1))
    return m.group(1) == "" and bool(lines) and \
        all(COMMAND_WORDS.match(logical) for _, logical in lines)


def _logical_lines(block, first):
    """(line number, text) of each logical line: continuations joined, comments dropped."""
    pending, start = [], None
    for n, raw in enumerate(block.splitlines(), first):
        if start is None:
            start = n
        if raw.rstrip().endswith("\\"):
            pending.append(raw.rstrip()[:-1])
            continue
        pending.append(raw)
        joined = " ".join(p.strip() for p in pending)
        pending, line = [], start
        start = None
        if joined.strip() and not joined.lstrip().startswith("#"):
            yield line, joined.strip()


def _split(doc, line, logical, block):
    """Split at ``&&`` and ``;`` (outside quotes), drop comments, peel ``NAME=value``."""
    lexer = shlex.shlex(logical, posix=True, punctuation_chars=";&")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    parts, current = [], []
    for tok in lexer:
        if tok in ("&&", ";"):
            parts.append(current)
            current = []
        else:
            current.append(tok)
    parts.append(current)
    out = []
    for words in parts:
        if not words:
            continue
        env = []
        while words and re.match(r"^[A-Za-z_]\w*=", words[0]):
            env.append(tuple(words.pop(0).split("=", 1)))
        text = " ".join(shlex.quote(w) for w in [f"{k}={v}" for k, v in env] + words)
        out.append(Command(doc, line, text, tuple(words), tuple(env), block))
    return out


def shown_outputs(root, doc):
    """``{block: text}``: a shell block of one command followed directly by an untagged or
    ``text`` block shows that command's output, which must be what it prints."""
    text = (Path(root) / doc).read_text()
    blocks = list(FENCE.finditer(text))
    out = {}
    for a, b in zip(blocks, blocks[1:]):
        first = text.count("\n", 0, a.start(2)) + 1
        cmds = [c for c in fenced_commands(doc, text[:a.end()]) if c.block == first]
        if a.group(1) in SHELL_LANGUAGES and len(cmds) == 1 and b.group(1) in ("", "text") \
                and not _is_command_block(b) and not text[a.end():b.start()].strip():
            out[first] = b.group(2)
    return out
