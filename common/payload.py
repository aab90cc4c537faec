"""Stream payloads packed and unpacked from a manifest's port layout alone.

Every generated core's manifest describes the payload of its stream ports ``i`` and ``o`` under
``ports.<port>.payload``, generated from the component's signature (:func:`gen.core.layout_of`).
A layout is a dict:

* a plain number: ``{"width": W, "signed": bool}``;
* a struct: ``{"width": W, "signed": false, "fields": [FIELD, ...]}``, where each FIELD is a
  layout plus ``"name"`` and ``"offset"`` (bit offset inside the struct, LSB = 0);
* an array: ``{"width": W, "signed": false, "count": N, "element": LAYOUT}``, element n at bit
  offset ``n * element.width``.

Values mirror the layout: an int for a number, a dict ``{name: value}`` for a struct (the field
dicts of the Glasgow stream helpers), a list for an array. Consumers (cocotb benches, the board
host, benchmarks) use :func:`pack` and :func:`unpack` and never re-derive a layout per core kind.
"""

from .checks import InputError

__all__ = ["pack", "unpack", "leaves", "field", "check_layout"]


def _mask(width):
    return (1 << width) - 1


def _to_signed(bits, width):
    bits &= _mask(width)
    return bits - (1 << width) if width and bits >> (width - 1) else bits


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def check_layout(layout, where="layout"):
    """Raise :class:`~common.checks.InputError` (a ``ValueError``) naming the place unless
    ``layout`` is a well-formed layout dict (recursively): it comes from a manifest file."""
    if not isinstance(layout, dict) or not _is_int(layout.get("width")) or layout["width"] < 0:
        raise InputError(f"{where}: a layout needs a non-negative integer 'width'")
    if "fields" in layout:
        if not isinstance(layout["fields"], list):
            raise InputError(f"{where}: 'fields' must be a list of field layouts")
        end = 0
        for f in layout["fields"]:
            name = f.get("name") if isinstance(f, dict) else None
            if not isinstance(name, str) or not _is_int(f.get("offset")):
                raise InputError(f"{where}: every field needs a 'name' and an integer 'offset'")
            check_layout(f, f"{where}.{name}")
            end = max(end, f["offset"] + f["width"])
        if end > layout["width"]:
            raise InputError(f"{where}: fields end at bit {end}, beyond the width "
                             f"{layout['width']}")
    elif "count" in layout:
        if not _is_int(layout["count"]) or layout["count"] < 0:
            raise InputError(f"{where}: 'count' must be a non-negative integer")
        check_layout(layout.get("element"), f"{where}[]")
        if layout["count"] * layout["element"]["width"] != layout["width"]:
            raise InputError(f"{where}: count x element width != width")
    elif not isinstance(layout.get("signed"), bool):
        raise InputError(f"{where}: a number layout needs 'signed'")
    return layout


def pack(layout, value):
    """The payload bits (a non-negative int) of ``value`` laid out as ``layout``.

    Numbers are taken modulo 2^width (two's complement for negative values); a struct value
    must name every field, an array value must have ``count`` elements.
    """
    if "fields" in layout:
        if not isinstance(value, dict):
            raise TypeError(f"a struct payload takes a dict of fields, not {value!r}")
        names = [f["name"] for f in layout["fields"]]
        missing = [n for n in names if n not in value]
        extra = sorted(set(value) - set(names))
        if missing or extra:
            raise ValueError(f"payload fields: missing {missing}, unknown {extra}")
        bits = 0
        for f in layout["fields"]:
            bits |= pack(f, value[f["name"]]) << f["offset"]
        return bits
    if "count" in layout:
        value = list(value)
        if len(value) != layout["count"]:
            raise ValueError(f"an array payload takes {layout['count']} elements, not "
                             f"{len(value)}")
        w = layout["element"]["width"]
        bits = 0
        for n, v in enumerate(value):
            bits |= pack(layout["element"], v) << (n * w)
        return bits
    return int(value) & _mask(layout["width"])


def unpack(layout, bits):
    """The value (int, dict or list, as ``layout`` says) held in payload ``bits``."""
    bits = int(bits) & _mask(layout["width"])
    if "fields" in layout:
        return {f["name"]: unpack(f, bits >> f["offset"]) for f in layout["fields"]}
    if "count" in layout:
        w = layout["element"]["width"]
        return [unpack(layout["element"], bits >> (n * w)) for n in range(layout["count"])]
    return _to_signed(bits, layout["width"]) if layout["signed"] else bits


def leaves(layout, prefix=(), offset=0):
    """Every number in the layout: ``(path, offset, width, signed)`` with absolute offsets,
    ``path`` a tuple of field names and array indices."""
    if "fields" in layout:
        for f in layout["fields"]:
            yield from leaves(f, prefix + (f["name"],), offset + f["offset"])
    elif "count" in layout:
        w = layout["element"]["width"]
        for n in range(layout["count"]):
            yield from leaves(layout["element"], prefix + (n,), offset + n * w)
    else:
        yield prefix, offset, layout["width"], layout["signed"]


def field(layout, *path):
    """``(offset, layout)`` of the sub-field at ``path`` (names and indices)."""
    offset = 0
    for step in path:
        if "fields" in layout:
            matches = [f for f in layout["fields"] if f["name"] == step]
            if not matches:
                raise KeyError(step)
            offset += matches[0]["offset"]
            layout = matches[0]
        elif "count" in layout:
            if not 0 <= int(step) < layout["count"]:
                raise IndexError(step)
            offset += int(step) * layout["element"]["width"]
            layout = layout["element"]
        else:
            raise KeyError(step)
    return offset, layout
