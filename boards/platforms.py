"""The supported boards and the FPGA targets of the synthesis tables.

Every board is an amaranth-boards platform; this table adds what the flow needs to know about
it (device name for reports, bitstream file, openFPGALoader board name, how LEDs are used).
"""

import copy
from dataclasses import dataclass

from amaranth.build import Clock

from common.checks import InputError, check_float

__all__ = ["Board", "BOARDS", "board", "make_platform", "DEVICES", "device_board",
           "add_user_leds", "led_count"]


@dataclass(frozen=True)
class Board:
    """One supported board.

    Attributes
    ----------
    name : str
        Command-line name.
    platform : str
        ``module:Class`` of the amaranth-boards platform.
    device : str
        Device name as reported (``report.json`` ``device``).
    family : str
        ``ice40``, ``ecp5`` or ``gowin`` (selects tools and report parsing).
    clock_mhz : float
        Board oscillator: the demo runs on it directly.
    bitstream : str
        Extension of the file openFPGALoader writes (``bin``, ``bit``, ``fs``).
    loader_board : str
        openFPGALoader ``-b`` name.
    fifo_log2 : int
        Demo byte FIFOs hold 2**fifo_log2 bytes each.
    synth_opts : str
        Extra options of ``synth_<family>`` for this board's flow.
    network_pe : int
        Accumulators per layer of the classifier's network core when none are asked for (the
        largest that fits the device with the shipped digits MLPs).
    ram_bits : int
        Memory bits the board's flow can place (block RAM, or LUT RAM where the flow places
        no block RAM): a network whose memories need more cannot be built.
    """

    name: str
    platform: str
    device: str
    family: str
    clock_mhz: float
    bitstream: str
    loader_board: str
    fifo_log2: int = 9
    synth_opts: str = ""
    network_pe: int = 16
    ram_bits: int = 0

    def platform_class(self):
        import importlib
        module, cls = self.platform.split(":")
        return getattr(importlib.import_module(module), cls)


BOARDS = {
    # iCE40UP5K: 30 block RAMs of 4 kbit (iCE40 UltraPlus family data sheet); the MLPs at P=4
    # take all 30, at P=2 26 (+2 for the UART FIFOs)
    "icebreaker": Board("icebreaker", "amaranth_boards.icebreaker:ICEBreakerPlatform",
                        "iCE40UP5K-SG48", "ice40", 12.0, "bin", "ice40_generic",
                        network_pe=2, ram_bits=30 * 4096),
    # ECP5-85F: 208 block RAMs of 18 kbit (ECP5 family data sheet)
    "ulx3s-85f": Board("ulx3s-85f", "amaranth_boards.ulx3s:ULX3S_85F_Platform",
                       "LFE5U-85F-6BG381C", "ecp5", 25.0, "bit", "ulx3s",
                       network_pe=16, ram_bits=208 * 18432),
    "tangnano9k": Board("tangnano9k", "amaranth_boards.tang_nano_9k:TangNano9kPlatform",
                        "GW1NR-LV9QN88PC6/I5", "gowin", 27.0, "fs", "tangnano9k",
                        # nextpnr-gowin (the PyPI build Amaranth's Apicula flow runs) cannot
                        # place block RAM: the FIFOs are small and in LUT RAM
                        fifo_log2=6, synth_opts="-nobram",
                        # GW1NR-9: 17,280 bits of shadow (LUT) RAM (GW1NR family data sheet)
                        network_pe=2, ram_bits=17280),
}

#: Synthesis-table targets: short device name -> board whose platform (pins, part) is used.
DEVICES = {"ice40": "icebreaker", "ecp5": "ulx3s-85f", "gowin": "tangnano9k"}


def board(name):
    """The :class:`Board` called ``name``; ``InputError`` listing the known ones otherwise."""
    try:
        return BOARDS[name]
    except (KeyError, TypeError):
        raise InputError(f"unknown board {name!r} (known: {', '.join(BOARDS)})") from None


def device_board(device):
    """The board standing for a synthesis target (``ice40``, ``ecp5``, ``gowin``)."""
    try:
        return BOARDS[DEVICES[device]]
    except (KeyError, TypeError):
        raise InputError(f"unknown device {device!r} (known: {', '.join(DEVICES)})") from None


def make_platform(b, clock_mhz=None):
    """A platform instance of board ``b`` whose default clock is constrained at ``clock_mhz``
    (default: the board oscillator).

    A synthesis run asks nextpnr for a clock faster than the oscillator to measure how fast
    the design can go; the constraint is changed on a copy of the clock resource so the
    platform class itself is left alone.
    """
    platform = b.platform_class()()
    if clock_mhz is not None:
        if not 0 < check_float("clock_mhz", clock_mhz) <= 1000:
            raise InputError(f"clock must be between 0 and 1000 MHz, not {clock_mhz!r}")
        key = (platform.default_clk, 0)
        res = copy.copy(platform.resources[key])
        res.clock = Clock(clock_mhz * 1e6)
        platform.resources[key] = res
    return platform


def add_user_leds(platform):
    """Add the LEDs a board carries beyond its platform's own (the iCEBreaker's break-off
    PMOD, attached as shipped: five more LEDs)."""
    extra = getattr(platform, "break_off_pmod", None)
    if extra:
        platform.add_resources(extra)


def led_count(b, extra=False):
    """User LEDs (``led`` resources) of board ``b``'s platform, with :func:`add_user_leds`
    when ``extra``."""
    platform = b.platform_class()()
    if extra:
        add_user_leds(platform)
    return sum(1 for name, _ in platform.resources if name == "led")
