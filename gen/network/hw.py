"""Small hardware helpers shared by the network components."""

from amaranth import Cat, Const, Signal, unsigned

__all__ = ["const_mul", "first_set", "fit", "item_layout", "lane_slice"]


def const_mul(value, c):
    """``value * c`` for a constant ``c >= 0`` as shifts and adds (no multiplier cell, so
    synthesis never spends a DSP block on an address)."""
    if c < 0:
        raise ValueError(f"const_mul takes c >= 0, not {c}")
    terms = [value << k for k in range(c.bit_length()) if c >> k & 1]
    if not terms:
        return Const(0, 1)
    out = terms[0]
    for t in terms[1:]:
        out = out + t
    return out


def first_set(m, bits, name):
    """The index of the lowest set bit of ``bits`` (0 when none is set), as a new signal."""
    n = len(bits)
    idx = Signal(range(max(n, 2)), name=name)
    # later assignments win: walking from the top, the lowest set bit is assigned last
    for i in reversed(range(n)):
        with m.If(bits[i]):
            m.d.comb += idx.eq(i)
    return idx


def fit(value, bits):
    """``value`` as exactly ``bits`` unsigned bits (cut or zero-extended)."""
    value = value.as_unsigned() if hasattr(value, "as_unsigned") else value
    if len(value) >= bits:
        return value[:bits]
    return Cat(value, Const(0, unsigned(bits - len(value))))


def lane_slice(word, p, width):
    """Lane ``p`` of a flat word of ``width``-bit lanes, as a signed value."""
    return word[p * width:(p + 1) * width].as_signed()


def item_layout(planes, index_bits):
    """The items an event buffer takes: one position and the planes in which it spiked
    (``mask`` bit q = plane q), ``last`` on the final item of an image."""
    from amaranth.lib import data

    return data.StructLayout({"mask": unsigned(planes), "index": unsigned(index_bits),
                              "last": unsigned(1)})
