"""TSC generator, stage 3: the event-driven TSC layer as an Amaranth component.

One input beat and one output beat per time step. Inside, a pipeline:

1. **scan** -- the step's events ``pos XOR neg`` sit in a mask; a priority encoder
   (:class:`LowestSetBit`) picks the lowest set bit each cycle and clears it. A step with E
   events takes max(1, E) cycles here (a step without events sends one empty beat, so that it
   still updates the membranes). The next input beat is accepted in the cycle the current
   step's last beat leaves, so steps follow each other without a gap.
2. **read** -- the chosen input index is registered and drives the weight memory's address
   (block RAM address pins are slow to reach; a flop in front keeps the priority encoder off
   that path). One read per event, none for an empty beat.
3. **word** -- the memory word arrives (synchronous read) and is registered untouched: a
   block RAM's data output is slow, so no logic follows it in the same cycle.
4. **weight** -- each neuron's weight is registered, negated for a neg spike, zero for an
   empty beat.
5. **current** -- ``I_l += delta_l`` for all L neurons at once. The first beat of a frame's
   first step adds to 0 instead of I (the frame clear).
6. **membrane** -- after a step's last beat: ``U = V + I``, ``s = [U >= theta_l]``,
   ``V = s ? U - theta_l : U``, and the pos/neg/firing/done logic (a frame's first step starts
   from V = 0, not firing, not done); the L pos and L neg bits go into a two-entry output
   buffer.

Steps overlap: stage 6 of step k reads I in the same cycle stage 5 adds step k+1's first
event, which lands at the clock edge after the read. The whole pipeline advances together; it
holds (``stall``) only when stage 6 has a result and the output buffer is full, so the stall
condition comes from registers, not from ``o.ready``.

Timing: without input gaps or output back-pressure a step takes max(1, E) cycles; its output
is valid max(1, E) + 6 cycles after its input beat was accepted.

Memory organization: one word per input, ``depth = M``, ``width = L * wbits``; word m holds
``w[l][m]`` of every neuron l (neuron l in bits ``[wbits*l, wbits*(l+1))``). One read per
input event serves all L neurons, so per frame each synapse costs as many reads as its input
has spikes (at most two with TSC-encoded input) and the memory maps to block RAM.
"""

from amaranth import Cat, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.fifo import SyncFIFO
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

__all__ = ["LowestSetBit", "TSCCore", "input_layout", "output_layout"]


def input_layout(inputs):
    """Input payload: ``pos`` (M bits), ``neg`` (M bits), ``first`` (1 bit), LSB first."""
    return data.StructLayout({"pos": inputs, "neg": inputs, "first": 1})


def output_layout(neurons):
    """Output payload: ``pos`` (L bits, low), ``neg`` (L bits)."""
    return data.StructLayout({"pos": neurons, "neg": neurons})


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

    def __init__(self, width):
        if isinstance(width, bool) or not isinstance(width, int) or width < 1:
            raise ValueError(f"width must be a positive integer, not {width!r}")
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
        # one-hot to binary: index bit b is the OR of the one-hot bits whose position has bit b
        for b in range(len(self.index)):
            taps = [self.onehot[k] for k in range(self.width) if (k >> b) & 1]
            m.d.comb += self.index[b].eq(Cat(*taps).any())
        return m


def count_to_three(m, bits, name):
    """``min(popcount(bits), 3)`` as a balanced tree of 2-bit saturating adders.

    Log depth and no carry chain: the scan needs "at most one/two bits left" early in the
    cycle, and a tree of LUTs gets there faster than ``x & (x - 1)`` after a priority encoder.
    """
    level = []
    for k in range(len(bits)):
        leaf = Signal(2, name=f"{name}_l0_{k}")
        m.d.comb += leaf.eq(bits[k])
        level.append(leaf)
    depth = 0
    while len(level) > 1:
        depth += 1
        merged = []
        for k in range(0, len(level) - 1, 2):
            node = Signal(2, name=f"{name}_l{depth}_{k // 2}")
            total = level[k] + level[k + 1]                   # 0..6
            m.d.comb += node.eq(Mux(total > 3, 3, total))
            merged.append(node)
        if len(level) % 2:
            merged.append(level[-1])
        level = merged
    return level[0]


class TSCCore(wiring.Component):
    """Event-driven TSC layer: M inputs, L neurons, weights in a synchronous memory.

    Parameters
    ----------
    weights : sequence of sequence of int
        L rows of M signed ``wbits``-bit codes, ``weights[l][m]``.
    threshold : sequence of int
        L thresholds, >= 1, representable in ``membrane_width`` bits.
    wbits : int
        Weight width.
    current_width, membrane_width : int
        Widths of I and V (two's complement; they wrap beyond, as
        :class:`sim.tsc.TSCLayer` models).

    Attributes
    ----------
    i : In(stream.Signature(input_layout(M)))
        One beat per time step: ``pos``, ``neg``, ``first``.
    o : Out(stream.Signature(output_layout(L)))
        One beat per time step: the neurons' ``pos`` and ``neg`` spikes.
    weight_read : Signal(), internal
        High in a cycle that reads a weight word (the read probe of the test benches), at
        ``weight_addr``.
    """

    #: The scan's priority encoder (a class attribute so a test can swap in a broken one).
    scan_encoder = LowestSetBit

    def __init__(self, weights, threshold, *, wbits, current_width, membrane_width):
        rows = [list(r) for r in weights]
        if not rows or not rows[0] or len({len(r) for r in rows}) != 1:
            raise ValueError("weights must be a non-empty L x M matrix")
        if isinstance(wbits, bool) or not isinstance(wbits, int) or not 2 <= wbits <= 32:
            raise ValueError(f"wbits must be an integer from 2 to 32, not {wbits!r}")
        lo, hi = -(1 << (wbits - 1)), (1 << (wbits - 1)) - 1
        for l, row in enumerate(rows):
            for mi, v in enumerate(row):
                if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
                    raise ValueError(f"weight [{l}][{mi}] = {v!r} is not a {wbits}-bit signed "
                                     f"integer")
        theta = list(threshold)
        if len(theta) != len(rows):
            raise ValueError(f"{len(theta)} thresholds for {len(rows)} neurons")
        for name, width in (("current_width", current_width),
                            ("membrane_width", membrane_width)):
            if isinstance(width, bool) or not isinstance(width, int) or width < 2:
                raise ValueError(f"{name} must be an integer >= 2, not {width!r}")
        if current_width > membrane_width:
            raise ValueError(f"current_width {current_width} exceeds membrane_width "
                             f"{membrane_width}")
        if current_width < wbits + 1:
            raise ValueError(f"current_width {current_width} cannot hold one weight of "
                             f"{wbits} bits, negated")
        for t in theta:
            if isinstance(t, bool) or not isinstance(t, int) or \
                    not 1 <= t <= (1 << (membrane_width - 1)) - 1:
                raise ValueError(f"threshold {t!r} is not in [1, 2**{membrane_width - 1} - 1]")
        self.weights = rows
        self.threshold = theta
        self.wbits = wbits
        self.current_width = current_width
        self.membrane_width = membrane_width
        self.neurons = len(rows)
        self.inputs = len(rows[0])
        super().__init__({
            "i": In(stream.Signature(input_layout(self.inputs))),
            "o": Out(stream.Signature(output_layout(self.neurons))),
        })
        self.weight_read = Signal()
        self.weight_addr = Signal(range(self.inputs))

    @classmethod
    def from_ir(cls, ir):
        """The core of a :class:`gen.tsc.ir.TSCIR`."""
        return cls(ir.weights, ir.threshold, wbits=ir.wbits,
                   current_width=ir.widths["current"], membrane_width=ir.widths["membrane"])

    def memory_words(self):
        """Memory contents: word m = sum_l (w[l][m] mod 2**wbits) << (wbits*l)."""
        mask = (1 << self.wbits) - 1
        return [sum((self.weights[l][mi] & mask) << (self.wbits * l)
                    for l in range(self.neurons))
                for mi in range(self.inputs)]

    def elaborate(self, platform):
        m = Module()
        M, L, wb = self.inputs, self.neurons, self.wbits
        wI, wV = self.current_width, self.membrane_width

        # ---- storage: one word per input, the L weights side by side (one read serves all)
        # ram_style: without it Yosys turns a small constant memory into LUT logic
        m.submodules.weights = mem = Memory(shape=unsigned(L * wb), depth=M,
                                            init=self.memory_words(),
                                            attrs={"ram_style": "block"})
        rd = mem.read_port(domain="sync")

        # ---- output buffer: two entries, so the stall below depends on registers only
        m.submodules.out_buffer = out_buf = SyncFIFO(width=2 * L, depth=2)
        m.d.comb += [
            self.o.valid.eq(out_buf.r_rdy),
            self.o.payload.eq(out_buf.r_data),
            out_buf.r_en.eq(self.o.ready),
        ]

        # ---- pipeline control: every stage advances together unless stage 6 cannot write
        upd_valid = Signal()            # stage 6 holds a step's last beat
        upd_first = Signal()
        stall = Signal()
        advance = Signal()
        m.d.comb += [
            stall.eq(upd_valid & ~out_buf.w_rdy),
            advance.eq(~stall),
        ]

        # ---- stage 1: scan the step's events with a priority encoder
        pend = Signal(M)                # events not yet read: pos XOR neg
        pol = Signal(M)                 # pos bits: the sign of each event
        scan_first = Signal()           # the step starts a frame
        scan_head = Signal()            # no beat of this step has left yet
        scan_busy = Signal()            # a step is being scanned
        m.submodules.scan = scan = self.scan_encoder(M)
        m.d.comb += scan.mask.eq(pend)

        # scan_last: at most one event left, so this cycle's beat is the step's last. Kept in
        # a register (computed a cycle ahead by popcount trees) so that i.ready and the load
        # enables do not wait for the priority encoder's carry chain.
        scan_last = Signal()
        new_events = Signal(M)
        m.d.comb += new_events.eq(self.i.payload.pos ^ self.i.payload.neg)
        pend_count = count_to_three(m, pend, "pend_count")
        new_count = count_to_three(m, new_events, "new_count")

        accept = Signal()
        m.d.comb += [
            self.i.ready.eq(advance & (~scan_busy | scan_last)),
            accept.eq(self.i.valid & self.i.ready),
        ]
        with m.If(advance & scan_busy):
            m.d.sync += [
                pend.eq(scan.rest),
                scan_head.eq(0),
                scan_last.eq(pend_count <= 2),      # one bit leaves now
            ]
            with m.If(scan_last):
                m.d.sync += scan_busy.eq(0)
        with m.If(accept):
            # a bit with pos and neg both set adds w - w = 0: no event
            m.d.sync += [
                pend.eq(new_events),
                pol.eq(self.i.payload.pos),
                scan_first.eq(self.i.payload.first),
                scan_head.eq(1),
                scan_busy.eq(1),
                scan_last.eq(new_count <= 1),
            ]

        # ---- stage 2: the read request, registered (the block RAM address comes from flops)
        r_valid = Signal()
        r_event = Signal()
        r_addr = Signal(range(M))
        r_negate = Signal()
        r_head = Signal()
        r_tail = Signal()
        r_first = Signal()
        with m.If(advance):
            m.d.sync += [
                r_valid.eq(scan_busy),
                r_event.eq(scan.any),
                r_addr.eq(scan.index),
                r_negate.eq((pol & scan.onehot) == 0),
                r_head.eq(scan_head),
                r_tail.eq(scan_last),
                r_first.eq(scan_first),
            ]
        # one read per event, none for an empty beat or while stalled
        m.d.comb += [
            self.weight_read.eq(advance & r_valid & r_event),
            self.weight_addr.eq(r_addr),
            rd.en.eq(self.weight_read),
            rd.addr.eq(r_addr),
        ]

        # ---- stage 3: the weight word arrives (synchronous read) and is registered as is:
        # a block RAM's output is slow (about 6 ns on ECP5), so nothing is computed on it
        word = Signal(L * wb)
        w_valid = Signal()
        w_event = Signal()
        w_negate = Signal()
        w_head = Signal()
        w_tail = Signal()
        w_first = Signal()
        with m.If(advance):
            m.d.sync += [
                w_valid.eq(r_valid),
                w_event.eq(r_event),
                w_negate.eq(r_negate),
                w_head.eq(r_head),
                w_tail.eq(r_tail),
                w_first.eq(r_first),
            ]
        x_valid = Signal()
        x_event = Signal()
        x_negate = Signal()
        x_head = Signal()
        x_tail = Signal()
        x_first = Signal()
        with m.If(advance):
            m.d.sync += [
                word.eq(rd.data),
                x_valid.eq(w_valid),
                x_event.eq(w_event),
                x_negate.eq(w_negate),
                x_head.eq(w_head),
                x_tail.eq(w_tail),
                x_first.eq(w_first),
            ]

        # ---- stage 4: each neuron's weight, signed by the event (0 for an empty beat)
        d_valid = Signal()
        d_head = Signal()
        d_tail = Signal()
        d_first = Signal()
        deltas = [Signal(signed(wb + 1), name=f"delta_{l}") for l in range(L)]
        with m.If(advance):
            m.d.sync += [
                d_valid.eq(x_valid),
                d_head.eq(x_head),
                d_tail.eq(x_tail),
                d_first.eq(x_first),
            ]
            for l in range(L):
                weight = word[wb * l:wb * (l + 1)].as_signed()
                with m.If(~x_event):
                    m.d.sync += deltas[l].eq(0)
                with m.Elif(x_negate):
                    m.d.sync += deltas[l].eq(-weight)
                with m.Else():
                    m.d.sync += deltas[l].eq(weight)

        # ---- stage 5: I += delta; a frame's first beat starts from I = 0
        currents = [Signal(signed(wI), name=f"current_{l}") for l in range(L)]
        clear_current = Signal()
        m.d.comb += clear_current.eq(d_head & d_first)
        with m.If(advance & d_valid):
            for l in range(L):
                base = Mux(clear_current, 0, currents[l])
                m.d.sync += currents[l].eq(base + deltas[l])       # wraps at wI bits
        with m.If(advance):
            m.d.sync += [upd_valid.eq(d_valid & d_tail), upd_first.eq(d_first)]

        # ---- stage 6: membranes, threshold, soft reset, the pos/neg protocol
        membranes = [Signal(signed(wV), name=f"membrane_{l}") for l in range(L)]
        firing = Signal(L)
        done = Signal(L)
        fire_pos = Signal(L)
        fire_neg = Signal(L)
        next_firing = Signal(L)
        next_done = Signal(L)
        for l in range(L):
            v_before = Signal(signed(wV), name=f"v_before_{l}")
            u = Signal(signed(wV), name=f"u_{l}")
            diff = Signal(signed(wV + 1), name=f"diff_{l}")
            s = Signal(name=f"s_{l}")
            was_firing = Signal(name=f"was_firing_{l}")
            was_done = Signal(name=f"was_done_{l}")
            m.d.comb += [
                # a frame's first step starts from V = 0, not firing, not done
                v_before.eq(Mux(upd_first, 0, membranes[l])),
                was_firing.eq(~upd_first & firing[l]),
                was_done.eq(~upd_first & done[l]),
                u.eq(v_before + currents[l]),                       # wraps at wV bits
                diff.eq(u - self.threshold[l]),                     # exact in wV + 1 bits
                s.eq(diff >= 0),
                fire_pos[l].eq(~was_done & ~was_firing & s),
                fire_neg[l].eq(was_firing & ~s),
                next_firing[l].eq((was_firing | fire_pos[l]) & ~fire_neg[l]),
                next_done[l].eq(was_done | fire_neg[l]),
            ]
            with m.If(advance & upd_valid):
                # soft reset: 0 <= U - theta < U, so it fits wV bits
                m.d.sync += membranes[l].eq(Mux(s, diff[:wV], u))
        with m.If(advance & upd_valid):
            m.d.sync += [firing.eq(next_firing), done.eq(next_done)]
        m.d.comb += [
            out_buf.w_en.eq(upd_valid),
            out_buf.w_data.eq(Cat(fire_pos, fire_neg)),
        ]
        return m
