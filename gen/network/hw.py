"""Small hardware helpers shared by the network components."""

from amaranth import Cat, Const, Mux, Signal, unsigned

__all__ = ["at_least_two", "const_mul", "first_set", "onehot_index", "onehot_mux", "registered_output", "fit",
           "item_layout", "lane_slice"]


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


def first_set(m, bits, name, onehot=None):
    """The index of the lowest set bit of ``bits`` (0 when none is set), as a new signal.

    Built shallow: the lowest set bit is isolated first, then each index bit is an OR over the
    positions that have it (a tree), instead of a priority chain as long as the vector. Up to
    :data:`NARROW` bits the isolation is ``bits[i]`` and no bit below (a LUT tree per bit);
    wider, ``bits & -bits`` (one carry chain; a tree per bit would cost LUTs quadratic in the
    width). With ``onehot`` (a signal as wide as ``bits``) the isolated bit is also driven
    there, for :func:`onehot_mux`.
    """
    n = len(bits)
    idx = Signal(range(max(n, 2)), name=name)
    low = Signal(n, name=None if name is None else f"{name}_onehot") if onehot is None \
        else onehot
    if n <= NARROW:
        m.d.comb += low.eq(Cat(bits[0], *[bits[i] & ~bits[:i].any() for i in range(1, n)]))
    else:
        m.d.comb += low.eq(bits & (~bits + 1))
    onehot_index(m, low, idx)
    return idx


def onehot_index(m, onehot, idx):
    """Drive ``idx`` with the position of the set bit of ``onehot`` (0 when none): each index
    bit an OR over the positions that have it."""
    for k in range(len(idx)):
        members = [onehot[i] for i in range(len(onehot)) if (i >> k) & 1]
        if members:
            m.d.comb += idx[k].eq(Cat(*members).any())


#: The widest vector whose lowest set bit :func:`first_set` isolates with LUTs alone.
NARROW = 16


def at_least_two(bits):
    """Whether two or more bits of ``bits`` are set: an OR over the pairs of a bit and any
    bit above it, a tree of LUTs (``bits & (bits - 1) != 0`` is a carry chain)."""
    n = len(bits)
    pairs = [bits[i] & bits[i + 1:].any() for i in range(n - 1)]
    return Cat(*pairs).any() if pairs else Const(0, 1)


def onehot_mux(onehot, values):
    """The value whose bit is set in ``onehot`` (0 when none): an AND-OR tree."""
    width = max(len(v) for v in values)
    terms = [Mux(onehot[i], v, 0) for i, v in enumerate(values)]
    out = terms[0]
    for t in terms[1:]:
        out = out | t
    return out[:width]


def registered_output(m, o, name):
    """A stream that reaches the stream ``o`` through one register (:class:`gen.pipeline.
    Pipeline`, one stage: a beat a clock, ``ready`` is ``o.ready | ~o.valid``); drive its
    ``valid`` and ``payload``, read its ``ready``."""
    from amaranth.lib import stream

    from gen.pipeline import Pipeline

    inner = stream.Signature(o.payload.shape()).create(path=(name,))
    pipe = Pipeline(1, name=name).elaborate_into(m, inner, o)
    with m.If(pipe.enable):
        m.d.sync += o.payload.eq(inner.payload)
    return inner


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


def encode_event(aff, digits):
    """The stored event (:meth:`gen.network.plan.AffinePlan.event_fields`) of an input
    position of affine stage ``aff``, given as Amaranth values (C order digits)."""
    if aff.kind != "conv":
        return Cat(*[fit(d, b) for d, b in reversed(list(zip(digits, aff.source.index.bits)))])
    c, y, x = digits
    ho, wo = aff.out_pos.sizes
    pad = aff.pad

    def span(v, k, size):
        lo_raw = v + (pad - size + 1)
        lo = Mux(lo_raw < 0, 0, lo_raw)
        hi_raw = v + pad
        hi = Mux(hi_raw > k - 1, k - 1, hi_raw)
        return lo, hi - lo, v + pad - lo

    ky, ny, yo = span(y, aff.kh, ho)
    kx, nx, xo = span(x, aff.kw, wo)
    values = {"c": c, "ky": ky, "kx": kx, "ny": ny, "nx": nx, "yo": yo, "xo": xo}
    return Cat(*[fit(values[name], b) for name, b in reversed(aff.event_fields())])


def decode_event(aff, word):
    """The fields of a stored event, by name."""
    out, off = {}, 0
    for name, b in reversed(aff.event_fields()):
        out[name] = word[off:off + b]
        off += b
    return out
