"""The TSC core's event scan: a priority encoder over a step's events, and the small
combinational helpers around it.

A step's events are the set bits of ``pos XOR neg``; the scan takes the lowest one each cycle
(one weight read per cycle) until none is left.
"""

from amaranth import Cat, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["LowestSetBit", "onehot_to_index", "count_to_three", "check_positive"]


def check_positive(name, value):
    """A width or size: a positive int (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, not {value!r}")
    return value


class LowestSetBit(wiring.Component):
    """Priority encoder: the lowest set bit of ``mask``.

    Parameters
    ----------
    width : int
        Mask width, >= 1.

    Attributes
    ----------
    mask : Signal(width), in
    onehot : Signal(width), out
        The lowest set bit alone (``mask & -mask``), 0 for an empty mask.
    index : Signal(range(width)), out
        Its position (0 for an empty mask).
    any : Signal(), out
        The mask is not empty.
    rest : Signal(width), out
        The mask without its lowest set bit.
    last : Signal(), out
        ``rest`` is empty: this is the mask's last bit (or it was empty).
    """

    def __new__(cls, width, *args, **kwargs):
        # checked before the object exists: a rejected component is no unused design
        check_positive("width", width)
        return super().__new__(cls, width, *args, **kwargs)

    def __init__(self, width):
        self.width = width
        super().__init__({
            "mask": In(width),
            "onehot": Out(width),
            "index": Out(range(width)),
            "any": Out(1),
            "rest": Out(width),
            "last": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        # two's complement isolates the lowest set bit: mask & (~mask + 1), one carry chain
        m.d.comb += self.onehot.eq(self.mask & (~self.mask + 1))
        m.d.comb += self.rest.eq(self.mask ^ self.onehot)
        m.d.comb += self.any.eq(self.mask != 0)
        m.d.comb += self.last.eq(self.rest == 0)
        onehot_to_index(m, self.onehot, self.index)
        return m


def onehot_to_index(m, onehot, index):
    """Binary position of the set bit of ``onehot``: index bit b is the OR of the one-hot
    bits whose position has bit b set."""
    for b in range(len(index)):
        taps = [onehot[k] for k in range(len(onehot)) if (k >> b) & 1]
        m.d.comb += index[b].eq(Cat(*taps).any())


def count_to_three(m, bits, name):
    """``min(popcount(bits), 3)`` as a tree of 2-bit saturating counts, in plain logic.

    Log depth and no carry chain: the scan needs "at most one/two bits left" early in the
    cycle. Every node is a function of at most 4 inputs (4 leaf bits, or two 2-bit counts), one
    LUT4 per output bit, so 64 bits take 5 LUT levels. The nodes are written as boolean
    formulas, not ``+``: synthesis maps an addition to a carry chain (CCU2C on ECP5), which
    adds routing between the levels.
    """
    level = []
    for k in range(0, len(bits), 4):
        leaf = Signal(2, name=f"{name}_l0_{k // 4}")
        group = [bits[j] for j in range(k, min(k + 4, len(bits)))]
        pairs = [a & b for i, a in enumerate(group) for b in group[i + 1:]]
        odd = group[0]
        for bit in group[1:]:
            odd = odd ^ bit
        all_four = Cat(*group).all() if len(group) == 4 else 0
        m.d.comb += [
            leaf[1].eq(Cat(*pairs).any() if pairs else 0),      # at least two
            leaf[0].eq(odd | all_four),                          # one, three, or four (-> 3)
        ]
        level.append(leaf)
    depth = 0
    while len(level) > 1:
        depth += 1
        merged = []
        for k in range(0, len(level) - 1, 2):
            a, b = level[k], level[k + 1]
            node = Signal(2, name=f"{name}_l{depth}_{k // 2}")
            m.d.comb += [
                node[1].eq(a[1] | b[1] | (a[0] & b[0])),                   # a + b >= 2
                # a + b == 1, or a + b >= 3
                node[0].eq((a[0] ^ b[0]) | (a[1] & b[1]) | ((a[1] | b[1]) & (a[0] | b[0]))),
            ]
            merged.append(node)
        if len(level) % 2:
            merged.append(level[-1])
        level = merged
    return level[0]
