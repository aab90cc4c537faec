"""The stream contract of a generated core, written once as formal properties.

Every core has an ``amaranth.lib.stream`` input ``i`` and output ``o`` (Amaranth's stream rules:
a beat transfers in a cycle with ``valid`` and ``ready`` both high; once ``valid`` is high it
stays high, with the same payload, until the beat is taken). :class:`StreamContract` drives a
core with free values and states:

* **Environment.** ``rst``, ``i.valid``, ``i.payload`` and ``o.ready`` are free in every cycle
  (any gaps, any back-pressure, resets at any time), unless ``i_valid``/``o_ready`` are held
  high or the reset is limited to the initial cycle. **Assumed**: the input obeys the stream
  rule.
* **Reference model.** Which input each output belongs to:

  - :class:`FifoModel` (any core): a FIFO of the accepted inputs; an output belongs to its
    head. Asserted: never more inputs inside than the core can hold (``capacity``, so none is
    silently dropped), no valid output from an empty core (none duplicated or invented).
  - :class:`WatchModel` (any core, bounded checks): the same counts, and one freely chosen
    transfer checked against a golden output worked out once.
  - :class:`PipelineModel` (a stall-together pipeline, :class:`gen.pipeline.Pipeline`): a shadow
    pipeline of ``latency`` stages that moves on ``o.ready | ~o.valid``, computed from the
    ports. Asserted: ``i.ready`` is that enable and ``o.valid`` is the shadow's last valid bit,
    so every input comes out exactly ``latency`` enabled cycles later, in order, once.

* **Assertions**, outside reset: an offered output stays valid and unchanged until taken; a
  valid output is the golden output of the input the model names (``golden(m, x, y)``: 1-bit
  conditions that hold exactly when ``y`` is the golden output for input ``x``); optionally an
  output follows within ``response`` cycles of ``o.ready`` held high while inputs are inside.
* **Lemmas** (white box, optional): ``lemmas(m, contract)`` adds invariants on the core's own
  registers. They hold on every reachable state and make the contract inductive, so a ``prove``
  run (k-induction) covers all inputs for all time in a few steps.

The core is an Amaranth component or, for the generated Verilog itself,
:class:`VerilogCore` (a black box built from the manifest alone).
"""

from amaranth import (Array, Cat, ClockDomain, ClockSignal, Elaboratable, Instance, Module, Mux,
                      ResetSignal, Signal, Value, signed, unsigned)
from amaranth.asserts import AnyConst, AnySeq, Initial     # their public home in Amaranth 0.5
from amaranth.hdl import Assert, Assume, Fragment, ShapeCastable
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

__all__ = ["StreamContract", "FifoModel", "WatchModel", "PipelineModel", "VerilogCore", "shape_of",
           "view"]


def _positive(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, not {value!r}")
    return value


def shape_of(layout):
    """The Amaranth shape of a manifest payload layout (``ports.<port>.payload``)."""
    if "fields" in layout:
        return data.FlexibleLayout(layout["width"], {
            f["name"]: data.Field(shape_of(f), f["offset"]) for f in layout["fields"]})
    if "count" in layout:
        return data.ArrayLayout(shape_of(layout["element"]), layout["count"])
    return signed(layout["width"]) if layout["signed"] else unsigned(layout["width"])


def view(shape, bits):
    """``bits`` seen through ``shape``: a ``data.View`` of a layout, or a (signed) value."""
    if isinstance(shape, ShapeCastable):
        return shape(bits)
    return bits.as_signed() if shape.signed else bits.as_unsigned()


class VerilogCore(wiring.Component):
    """A generated core as a black box: an ``Instance`` of its Verilog module.

    Ports and payload layouts come from the manifest alone (``top`` and ``ports``); the module's
    clock and reset are ``clk`` and ``rst`` (the project's core rules). The harness's RTLIL and
    the Verilog file are read together (``run_sby(..., verilog=[path])``).
    """

    def __init__(self, manifest):
        self.manifest = manifest
        ports = manifest["ports"]
        super().__init__({"i": In(stream.Signature(shape_of(ports["i"]["payload"]))),
                          "o": Out(stream.Signature(shape_of(ports["o"]["payload"])))})

    def elaborate(self, platform):
        m = Module()
        si, so = (self.manifest["ports"][p]["signals"] for p in ("i", "o"))
        m.submodules.core = Instance(
            self.manifest["top"],
            i_clk=ClockSignal(), i_rst=ResetSignal(),
            **{f"i_{si['valid']}": self.i.valid, f"o_{si['ready']}": self.i.ready,
               f"i_{si['payload']}": Value.cast(self.i.payload),
               f"o_{so['valid']}": self.o.valid, f"i_{so['ready']}": self.o.ready,
               f"o_{so['payload']}": Value.cast(self.o.payload)})
        return m


class FifoModel:
    """Reference model of any core: a FIFO of the accepted inputs, ``q[0]`` the oldest.

    Parameters
    ----------
    capacity : int
        The most inputs the core can hold at once.

    Attributes (after elaboration)
    ------------------------------
    q : Array of Signal
        The entries (raw input payload bits), ``capacity + 1`` of them.
    count : Signal
        Inputs inside the core.
    """

    def __init__(self, capacity):
        self.capacity = _positive("capacity", capacity)

    def elaborate_into(self, m, c):
        """Add the model and its assertions to ``m`` for contract ``c``; return a 1-bit value:
        inputs are inside the core."""
        cap, width = self.capacity, len(c.i_bits)
        self.count = count = Signal(range(cap + 2))
        self.q = q = Array(Signal(width, name=f"q{k}") for k in range(cap + 1))
        m.d.sync += count.eq(count + c.take - c.give)
        for k in range(cap + 1):
            nxt = q[k + 1] if k < cap else q[k]
            with m.If(c.give):
                m.d.sync += q[k].eq(Mux(c.take & (count == k + 1), c.i_bits, nxt))
            with m.Elif(c.take & (count == k)):
                m.d.sync += q[k].eq(c.i_bits)
        with m.If(~c.rst):
            m.d.comb += Assert(count <= cap, "the core took more inputs than it can hold")
            with m.If(c.core.o.valid):
                m.d.comb += Assert(count != 0, "an output from an empty core")
        c.assert_golden(m, q[0])
        return count != 0


class WatchModel:
    """Bounded-check reference model: counts the transfers and checks one output, chosen freely.

    A free constant ``widx`` picks which accepted input is watched and a free constant ``wx`` is
    its value; a third free constant ``wy`` is tied to the golden output of ``wx`` in the initial
    cycle only. As ``widx`` and ``wx`` are arbitrary, every transfer within the bound is checked
    with every value, while the solver meets the golden rule once instead of once per cycle
    (which keeps a ``bmc`` over several whole vectors of a slow core cheap). The golden rule
    must fix every output bit; the counters are 8 bits wide (bounds up to 255 cycles). Asserted
    as for :class:`FifoModel`: never more than ``capacity`` inputs inside, no output from an
    empty core.
    """

    def __init__(self, capacity):
        self.capacity = _positive("capacity", capacity)

    def elaborate_into(self, m, c):
        """Add the counters, the watched transfer and the assertions to ``m`` for contract
        ``c``; return a 1-bit value: inputs are inside the core."""
        core = c.core
        n_in, n_out = Signal(8), Signal(8)
        m.d.sync += [n_in.eq(n_in + c.take), n_out.eq(n_out + c.give)]
        count = Signal(8)
        m.d.comb += count.eq(n_in - n_out)
        # free constants; the golden rule ties wy to wx in the initial cycle only
        widx = Signal(8)
        wx = Signal.like(c.i_bits, name="wx")
        wy = Signal.like(c.o_bits, name="wy")
        m.d.comb += [widx.eq(AnyConst(8)), wx.eq(AnyConst(len(wx))), wy.eq(AnyConst(len(wy)))]
        holds = c.golden(m, view(core.i.payload.shape(), wx), view(core.o.payload.shape(), wy))
        with m.If(Initial()):
            m.d.comb += [Assume(ok) for ok in holds]
        with m.If(~c.rst & c.take & (n_in == widx)):
            m.d.comb += Assume(c.i_bits == wx)
        with m.If(~c.rst):
            m.d.comb += Assert(count <= self.capacity,
                               "the core took more inputs than it can hold")
            with m.If(core.o.valid):
                m.d.comb += Assert(count != 0, "an output from an empty core")
                with m.If(n_out == widx):
                    m.d.comb += Assert(c.o_bits == wy, "output differs from the golden model")
        return count != 0


class PipelineModel:
    """Reference model of a stall-together pipeline of ``latency`` stages: a shadow pipeline
    that moves on ``o.ready | ~o.valid`` (from the ports alone).

    Attributes (after elaboration)
    ------------------------------
    enable : Signal
        The shadow moves (and the core must take its input) this cycle.
    valid, data : list of Signal
        ``valid[k]``, ``data[k]``: the valid bit and input (raw payload bits) of the beat that
        stage k + 1 of the core holds; ``valid[latency - 1]`` belongs to ``o.valid``.
    """

    def __init__(self, latency):
        self.latency = _positive("latency", latency)

    def elaborate_into(self, m, c):
        """Add the shadow pipeline and its assertions to ``m`` for contract ``c``; return a
        1-bit value: inputs are inside the core."""
        L, width = self.latency, len(c.i_bits)
        core = c.core
        self.enable = enable = Signal(name="shadow_enable")
        self.valid = [Signal(name=f"shadow{k + 1}_valid") for k in range(L)]
        self.data = [Signal(width, name=f"shadow{k + 1}_x", reset_less=True) for k in range(L)]
        m.d.comb += enable.eq(core.o.ready | ~core.o.valid)
        with m.If(enable):
            m.d.sync += [self.valid[0].eq(core.i.valid), self.data[0].eq(c.i_bits)]
            for k in range(1, L):
                m.d.sync += [self.valid[k].eq(self.valid[k - 1]), self.data[k].eq(self.data[k - 1])]
        with m.If(~c.rst):
            m.d.comb += [
                Assert(core.i.ready == enable, "i.ready is not o.ready | ~o.valid"),
                Assert(core.o.valid == self.valid[L - 1], "o.valid out of step with the inputs"),
            ]
        c.assert_golden(m, self.data[L - 1])
        return Cat(*self.valid).any()

    def stage_lemmas(self, m, c, pipe):
        """White-box lemma: the core's stage valid bits (a :class:`gen.pipeline.Pipeline`) are
        the shadow's."""
        with m.If(~c.rst):
            m.d.comb += [Assert(v == s) for v, s in zip(pipe.stage_valid, self.valid)]


class StreamContract(Elaboratable):
    """A core between free stimulus and the stream-contract assertions (see module docs).

    Parameters
    ----------
    core : wiring.Component
        Stream ports ``i`` and ``o`` (an Amaranth core or a :class:`VerilogCore`).
    golden : callable
        ``golden(m, x, y)`` -> iterable of 1-bit values, all true exactly when ``y`` (a view of
        the output payload) is the golden output for ``x`` (a view of the input payload).
    model : FifoModel, WatchModel or PipelineModel
    lemmas : callable, optional
        ``lemmas(m, contract)`` adds white-box invariants (read ``contract.model``,
        ``contract.rst``, the core's probes).
    i_valid, o_ready : ``"any"`` or ``"high"``
        Free every cycle, or held high (full rate; ``o.ready`` high alone lets an ii = 1
        pipeline be proved by k-induction on its ports).
    reset : ``"any"`` or ``"initial"``
        Resets free in every cycle, or in the initial cycle only (a ``bmc`` from reset; cheaper
        for long bounds).
    response : int, optional
        Assert that an output follows within this many cycles of ``o.ready`` held high while
        inputs are inside (a bounded-response check; for ``bmc``).
    elaborate_core : bool
        Elaborate the core inside the harness (needed when ``lemmas`` read probes that the
        core makes in ``elaborate``).
    """

    def __init__(self, core, golden, model, *, lemmas=None, i_valid="any", o_ready="any",
                 reset="any", response=None, elaborate_core=False):
        for name, value, choices in (("i_valid", i_valid, ("any", "high")),
                                     ("o_ready", o_ready, ("any", "high")),
                                     ("reset", reset, ("any", "initial"))):
            if value not in choices:
                raise ValueError(f"{name} must be {' or '.join(map(repr, choices))}, "
                                 f"not {value!r}")
        if response is not None:
            _positive("response", response)
        self.core, self.golden, self.model, self.lemmas = core, golden, model, lemmas
        self.i_valid, self.o_ready, self.reset = i_valid, o_ready, reset
        self.response = response
        self.elaborate_core = elaborate_core
        # a top-level clock input: a clock tied to a constant would let Yosys freeze every
        # register and make the proof vacuous (the broken-variant tests guard against that)
        self.cd = ClockDomain("sync")
        self.clk = self.cd.clk

    def elaborate(self, platform):
        core = self.core
        m = Module()
        m.domains.sync = self.cd
        m.submodules.dut = Fragment.get(core, platform) if self.elaborate_core else core
        self.rst = rst = ResetSignal()
        self.i_bits = Value.cast(core.i.payload)
        self.o_bits = o_bits = Value.cast(core.o.payload)
        self._environment(m)
        self.take, self.give = Signal(), Signal()
        m.d.comb += [self.take.eq(core.i.valid & core.i.ready),
                     self.give.eq(core.o.valid & core.o.ready)]

        # the input stream rule (assumed) and the output stream rule (asserted)
        i_wait, i_held = Signal(), Signal.like(self.i_bits, name="i_held")
        o_wait, o_held = Signal(), Signal.like(o_bits, name="o_held")
        m.d.sync += [i_wait.eq(core.i.valid & ~core.i.ready), i_held.eq(self.i_bits),
                     o_wait.eq(core.o.valid & ~core.o.ready), o_held.eq(o_bits)]
        with m.If(i_wait & ~rst):
            m.d.comb += Assume(core.i.valid & (self.i_bits == i_held))

        with m.If(o_wait & ~rst):
            m.d.comb += Assert(core.o.valid & (o_bits == o_held),
                               "o.valid or o.payload changed before the output was taken")

        inside = self.model.elaborate_into(m, self)
        if self.response is not None:
            self._response(m, inside)
        if self.lemmas is not None:
            self.lemmas(m, self)
        return m

    def assert_golden(self, m, x_bits):
        """Assert (outside reset) that a valid output is the golden output of input ``x_bits``
        (raw payload bits); the models call this with the input they name."""
        core = self.core
        # built outside any m.If: the golden rule may add combinational signals of its own
        holds = self.golden(m, view(core.i.payload.shape(), x_bits), core.o.payload)
        with m.If(~self.rst & core.o.valid):
            m.d.comb += [Assert(ok, "output differs from the golden model") for ok in holds]

    def _environment(self, m):
        core = self.core
        m.d.comb += [self.rst.eq(AnySeq(1) if self.reset == "any" else Initial()),
                     self.i_bits.eq(AnySeq(len(self.i_bits)))]
        m.d.comb += core.i.valid.eq(1 if self.i_valid == "high" else AnySeq(1))
        m.d.comb += core.o.ready.eq(1 if self.o_ready == "high" else AnySeq(1))

    def _response(self, m, inside):
        waiting = Signal(16)
        with m.If(self.rst | self.give | ~self.core.o.ready | ~inside):
            m.d.sync += waiting.eq(0)
        with m.Else():
            m.d.sync += waiting.eq(waiting + 1)
        with m.If(~self.rst):
            m.d.comb += Assert(waiting <= self.response, "no output within the response bound")
