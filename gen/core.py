"""The core protocol: what every generator's intermediate representation (IR) provides.

Every core the project generates (FS neuron, AMOS unit, TSC layer, the rate-coded IF baseline,
whole networks) is described by an IR object, a subclass of :class:`CoreIR`, with the same
members:

``name``
    Verilog module and file name.
``kind``
    The manifest's ``core`` key (``"fsneuron"``, ``"amos"``, ...), a class attribute.
``latency``, ``ii``
    Cycles from an input transfer to its output transfer with the core idle and ``o.ready``
    high; cycles between input transfers at full rate.
``signature()``
    The component's ``wiring.Signature`` (stream ports ``i`` and ``o``), known without building
    the component: the manifest describes the ports from it.
``component()``
    The Amaranth ``wiring.Component`` built with that signature (``sync`` domain).
``manifest()``
    The JSON manifest: the common keys (``core``, ``top``, ``verilog``, ``latency``, ``ii``,
    ``ports``), then the core's own (:meth:`CoreIR.manifest_fields`). ``ports`` is generated
    from the signature (:func:`ports_of`), never written by hand; the schema is
    ``gen/manifest.schema.json``.
``summary()``
    The text ``python -m gen`` prints.

:func:`gen.writer.generate` turns any IR into ``NAME.v`` + ``NAME.json``; nothing outside a
core's own package branches on the core kind.
"""

from amaranth import Shape
from amaranth.lib import data
from amaranth.lib.wiring import In

__all__ = ["CoreIR", "layout_of", "ports_of", "COMMON_KEYS"]

#: Keys every manifest starts with, in this order.
COMMON_KEYS = ("core", "top", "verilog", "latency", "ii", "ports")


def layout_of(shape):
    """The layout dict (see :mod:`common.payload`) of an Amaranth shape or ``data.Layout``.

    Struct fields keep their declaration order and offsets; an ``ArrayLayout`` becomes
    ``count`` x ``element``; a plain shape is ``{width, signed}``.
    """
    if isinstance(shape, data.ArrayLayout):
        return {"width": shape.size, "signed": False, "count": shape.length,
                "element": layout_of(shape.elem_shape)}
    if isinstance(shape, data.Layout):
        fields = []
        for name, f in shape:
            fields.append({"name": str(name), "offset": f.offset, **layout_of(f.shape)})
        return {"width": shape.size, "signed": False, "fields": fields}
    s = Shape.cast(shape)
    return {"width": s.width, "signed": s.signed}


def ports_of(signature):
    """The ``ports`` manifest entry of a ``wiring.Signature`` (or a component's).

    Stream members (``amaranth.lib.stream`` interfaces: payload, valid, ready) become
    ``{"dir", "signals", "payload"}`` with the payload's layout; plain ports become
    ``{"dir", "signals", "width", "signed"}``. Verilog names join the member path with ``__``
    (Amaranth's convention: ``i__payload``); a port's direction is that of the component.
    """
    signature = getattr(signature, "signature", signature)
    ports = {}
    for name, member in signature.members.items():
        direction = "in" if member.flow == In else "out"
        if member.is_port:
            shape = Shape.cast(member.shape)
            ports[name] = {"dir": direction, "signals": name, "width": shape.width,
                           "signed": shape.signed}
            continue
        sub = member.signature.members
        if set(sub.keys()) != {"payload", "valid", "ready"}:
            raise ValueError(f"port {name!r}: only streams and plain ports are described")
        ports[name] = {
            "dir": direction,
            "signals": {k: f"{name}__{k}" for k in ("valid", "ready", "payload")},
            "payload": layout_of(sub["payload"].shape),
        }
    return ports


class CoreIR:
    """Base of every core's IR: the manifest and the summary are written once, here.

    Subclasses set the class attribute ``kind``, provide ``name``, ``latency`` and ``ii``
    (attributes or properties), and implement :meth:`signature`, :meth:`component`,
    :meth:`manifest_fields` and :meth:`describe`.
    """

    kind = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not isinstance(cls.__dict__.get("kind", cls.kind), str):
            raise TypeError(f"{cls.__name__} must set the class attribute 'kind'")

    # ---- to implement ------------------------------------------------------------------------

    def signature(self):
        """The component's ``wiring.Signature``, from this IR alone."""
        raise NotImplementedError

    def component(self):
        """The Amaranth ``wiring.Component`` (with :meth:`signature`), from this IR alone."""
        raise NotImplementedError

    def manifest_fields(self):
        """The core's own manifest keys (everything after the common keys)."""
        raise NotImplementedError

    def describe(self):
        """``(title, [(label, text), ...])`` for :meth:`summary`: a one-line title, then the
        core's own lines (parameters, widths, accuracy)."""
        raise NotImplementedError

    # ---- shared ------------------------------------------------------------------------------

    def manifest(self):
        """The manifest dict: common keys first, ``ports`` from the signature."""
        man = {"core": self.kind, "top": self.name, "verilog": f"{self.name}.v",
               "latency": self.latency, "ii": self.ii, "ports": ports_of(self.signature())}
        for key, value in self.manifest_fields().items():
            if key in man:
                raise ValueError(f"{type(self).__name__}.manifest_fields repeats the common "
                                 f"key {key!r}")
            man[key] = value
        return man

    def summary(self, paths=()):
        """The human-readable summary ``python -m gen`` prints."""
        title, lines = self.describe()
        ports = ports_of(self.signature())
        out = [f"{self.name}: {title}"]
        stream = "; ".join(
            f"{p['signals']['valid']}, {p['signals']['ready']}, "
            f"{p['signals']['payload']}[{p['payload']['width'] - 1}:0] ({p['dir']})"
            for p in ports.values() if "payload" in p)
        lines = [("ports", f"clk, rst; {stream}")] + list(lines)
        lines.append(("timing", f"latency {self.latency} cycles, ii {self.ii} cycle"
                                f"{'s' if self.ii != 1 else ''}"))
        if paths:
            lines.append(("wrote", ", ".join(str(p) for p in paths)))
        width = max(len(label) for label, _ in lines)
        out += [f"  {label:<{width}}  {text}" for label, text in lines]
        return "\n".join(out)
