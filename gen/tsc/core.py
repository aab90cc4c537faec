"""The event-driven TSC layer as an Amaranth component (built from a :class:`TSCIR`).

One input beat and one output beat per time step. Inside, a pipeline of seven stages:

1. **scan** -- the step's events ``pos XOR neg`` sit in a mask; a priority encoder
   (:class:`LowestSetBit`) picks the lowest set bit each cycle and clears it. A step with E
   events takes max(1, E) cycles here (a step without events sends one empty beat, so that it
   still updates the membranes). The next input beat is accepted in the cycle the current
   step's last beat leaves, so steps follow each other without a gap.
2. **request** -- the chosen bit (registered one-hot) becomes a registered memory address and
   sign. One read per event, none for an empty beat.
3. **read** -- the synchronous weight memory reads the word.
4. **word** -- the word is registered untouched: a block RAM's data output is slow, so no
   logic follows it in the same cycle.
5. **weight** -- each neuron's weight is registered, negated for a neg spike, zero for an
   empty beat.
6. **current** -- ``I_l += delta_l`` for all L neurons at once. The first beat of a frame's
   first step adds to 0 instead of I (the frame clear).
7. **membrane** -- after a step's last beat: ``U = V + I``, ``s = [U >= theta_l]``,
   ``V = s ? U - theta_l : U``, and the pos/neg/firing/done logic (a frame's first step starts
   from V = 0, not firing, not done); the L pos and L neg bits go into a two-entry output
   buffer.

Steps overlap: stage 7 of step k reads I in the same cycle stage 6 adds step k+1's first
event, which lands at the clock edge after the read. The whole pipeline advances together; it
holds (``stall``) only when stage 7 has a result and the output buffer is full, so the stall
condition comes from registers, not from ``o.ready``.

Timing: without input gaps or output back-pressure a step takes max(1, E) cycles; its output
is valid max(1, E) + 7 cycles after its input beat was accepted.

Memory organization: one word per input, ``depth = M``, ``width = L * wbits``; word m holds
``w[l][m]`` of every neuron l (neuron l in bits ``[wbits*l, wbits*(l+1))``). One read per
input event serves all L neurons, so per frame each synapse costs as many reads as its input
has spikes (at most two with TSC-encoded input) and the memory maps to block RAM.
"""

from amaranth import Cat, Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

__all__ = ["LowestSetBit", "TwoEntryBuffer", "TSCCore", "input_layout", "output_layout"]


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
        onehot_to_index(m, self.onehot, self.index)
        return m


#: The flags a beat carries down the pipeline.
BEAT = data.StructLayout({
    "valid": 1,     # the stage holds a beat
    "event": 1,     # the beat reads a weight (0: a step without events)
    "negate": 1,    # the event is a neg spike
    "head": 1,      # the step's first beat
    "tail": 1,      # the step's last beat
    "first": 1,     # the step starts a frame
})


def onehot_to_index(m, onehot, index):
    """Binary position of the set bit of ``onehot``: index bit b is the OR of the one-hot
    bits whose position has bit b set."""
    for b in range(len(index)):
        taps = [onehot[k] for k in range(len(onehot)) if (k >> b) & 1]
        m.d.comb += index[b].eq(Cat(*taps).any())


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


class TwoEntryBuffer(wiring.Component):
    """A two-entry first-in first-out buffer in flip-flops (``SyncFIFO``'s port names).

    ``w_rdy`` and ``r_rdy`` come from the fill level alone, so neither side's ready depends on
    the other side in the same cycle. Entry 0 drives ``r_data``; it changes only when read.

    Parameters
    ----------
    width : int
        Data width.
    """

    def __init__(self, width):
        if isinstance(width, bool) or not isinstance(width, int) or width < 1:
            raise ValueError(f"width must be a positive integer, not {width!r}")
        self.width = width
        super().__init__({
            "w_data": In(width), "w_en": In(1), "w_rdy": Out(1),
            "r_data": Out(width), "r_en": In(1), "r_rdy": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        level = Signal(range(3))
        head = Signal(self.width)
        second = Signal(self.width)
        do_write = Signal()
        do_read = Signal()
        m.d.comb += [
            self.w_rdy.eq(level != 2),
            self.r_rdy.eq(level != 0),
            self.r_data.eq(head),
            do_write.eq(self.w_en & self.w_rdy),
            do_read.eq(self.r_en & self.r_rdy),
        ]
        with m.If(do_read):
            m.d.sync += head.eq(second)
        # a write lands in the first free entry after this cycle's read
        with m.If(do_write):
            with m.If((level == 0) | ((level == 1) & do_read)):
                m.d.sync += head.eq(self.w_data)
            with m.Else():
                m.d.sync += second.eq(self.w_data)
        m.d.sync += level.eq(level + do_write - do_read)
        return m


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
        Widths of the I and V registers (two's complement). ``V + I`` and its comparison with
        theta are exact; only what is stored wraps, as :class:`sim.tsc.TSCLayer` models.

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
        m.submodules.out_buffer = out_buf = TwoEntryBuffer(2 * L)
        m.d.comb += [
            self.o.valid.eq(out_buf.r_rdy),
            self.o.payload.eq(out_buf.r_data),
            out_buf.r_en.eq(self.o.ready),
        ]

        # ---- pipeline control: every stage advances together unless stage 7 cannot write
        upd_valid = Signal()            # stage 7 holds a step's last beat
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

        # A beat travels down the pipeline with its flags; one register set per stage.
        def stage_beat(name):
            return Signal(BEAT, name=name)

        scan_beat = stage_beat("scan_beat")
        m.d.comb += [
            scan_beat.valid.eq(scan_busy),
            scan_beat.event.eq(scan.any),
            scan_beat.head.eq(scan_head),
            scan_beat.tail.eq(scan_last),
            scan_beat.first.eq(scan_first),
        ]

        # the chosen event leaves stage 1 as one-hot masks: the encoder's carry chain ends in
        # these flops; binary encoding and the sign lookup happen in stage 2
        pick_beat = stage_beat("pick_beat")
        pick_onehot = Signal(M)
        pick_pos = Signal(M)            # the one-hot bit if the event is a pos spike
        with m.If(advance):
            m.d.sync += [
                pick_beat.eq(scan_beat),
                pick_onehot.eq(scan.onehot),
                pick_pos.eq(scan.onehot & pol),
            ]

        # ---- stage 2: the read request: address and sign, registered (block RAM address
        # pins are far away; a flop in front of them keeps the encoder off that path)
        req_beat = stage_beat("req_beat")
        req_addr = Signal(range(M))
        pick_index = Signal(range(M))
        onehot_to_index(m, pick_onehot, pick_index)
        with m.If(advance):
            m.d.sync += [
                req_beat.eq(pick_beat),
                req_beat.negate.eq(pick_pos == 0),
                req_addr.eq(pick_index),
            ]
        # one read per event, none for an empty beat or while stalled
        m.d.comb += [
            self.weight_read.eq(advance & req_beat.valid & req_beat.event),
            self.weight_addr.eq(req_addr),
            rd.en.eq(self.weight_read),
            rd.addr.eq(req_addr),
        ]

        # ---- stage 3: the synchronous read; the beat's flags are registered beside the word
        read_beat = stage_beat("read_beat")
        with m.If(advance):
            m.d.sync += read_beat.eq(req_beat)

        # ---- stage 4: the word is registered as is: a block RAM's data output is slow
        # (about 6 ns on ECP5), so no logic follows it in the same cycle
        word_beat = stage_beat("word_beat")
        word = Signal(L * wb)
        with m.If(advance):
            m.d.sync += [word_beat.eq(read_beat), word.eq(rd.data)]

        # ---- stage 5: each neuron's weight, signed by the event (0 for an empty beat)
        delta_beat = stage_beat("delta_beat")
        deltas = [Signal(signed(wb + 1), name=f"delta_{l}") for l in range(L)]
        with m.If(advance):
            m.d.sync += delta_beat.eq(word_beat)
            for l in range(L):
                weight = word[wb * l:wb * (l + 1)].as_signed()
                with m.If(~word_beat.event):
                    m.d.sync += deltas[l].eq(0)
                with m.Elif(word_beat.negate):
                    m.d.sync += deltas[l].eq(-weight)
                with m.Else():
                    m.d.sync += deltas[l].eq(weight)

        # ---- stage 6: I += delta; a frame's first beat starts from I = 0
        currents = [Signal(signed(wI), name=f"current_{l}") for l in range(L)]
        clear_current = Signal()        # a frame's first beat: clears I, V, firing, done
        m.d.comb += clear_current.eq(delta_beat.valid & delta_beat.head & delta_beat.first)
        with m.If(advance & delta_beat.valid):
            for l in range(L):
                base = Mux(clear_current, 0, currents[l])
                m.d.sync += currents[l].eq(base + deltas[l])       # wraps at wI bits
        with m.If(advance):
            m.d.sync += upd_valid.eq(delta_beat.valid & delta_beat.tail)

        # ---- stage 7: membranes, threshold, soft reset, the pos/neg protocol
        membranes = [Signal(signed(wV), name=f"membrane_{l}") for l in range(L)]
        firing = Signal(L)
        done = Signal(L)
        fire_pos = Signal(L)
        fire_neg = Signal(L)
        next_firing = Signal(L)
        next_done = Signal(L)
        # U = V + I and D = V + I - theta in parallel, each with one carry chain: D adds the
        # constant ~theta + 1 through a carry-save layer (one LUT level), not after U.
        # Both are exact: U in wV + 1 bits, D in wV + 2 bits (|V + I| <= 2**wV,
        # 1 <= theta < 2**(wV-1)); only the stored membrane keeps wV bits.
        wD = wV + 2
        for l in range(L):
            v_ext = Signal(signed(wD), name=f"v_ext_{l}")
            i_ext = Signal(signed(wD), name=f"i_ext_{l}")
            u = Signal(signed(wV + 1), name=f"u_{l}")
            csa_sum = Signal(wD, name=f"csa_sum_{l}")
            csa_carry = Signal(wD, name=f"csa_carry_{l}")
            diff = Signal(signed(wD), name=f"diff_{l}")
            s = Signal(name=f"s_{l}")
            not_theta = Const(~self.threshold[l] & ((1 << wD) - 1), wD)   # -theta - 1
            m.d.comb += [
                v_ext.eq(membranes[l]),
                i_ext.eq(currents[l]),
                u.eq(membranes[l] + currents[l]),
                # full adders on V, I, ~theta; the "+ 1" of -theta enters as carry bit 0
                csa_sum.eq(v_ext ^ i_ext ^ not_theta),
                csa_carry.eq((v_ext & i_ext) | (not_theta & (v_ext | i_ext))),
                diff.eq(csa_sum + Cat(Const(1, 1), csa_carry[:wD - 1])),
                s.eq(diff >= 0),                                    # U >= theta
                fire_pos[l].eq(~done[l] & ~firing[l] & s),
                fire_neg[l].eq(firing[l] & ~s),
                next_firing[l].eq((firing[l] | fire_pos[l]) & ~fire_neg[l]),
                next_done[l].eq(done[l] | fire_neg[l]),
            ]
            with m.If(advance & clear_current):
                # the frame clear, in the cycle the frame's first beat updates I: any step
                # before it has passed stage 7 by now (in this very cycle at the latest, and
                # that update is computed from the old state before the clear lands)
                m.d.sync += membranes[l].eq(0)
            with m.Elif(advance & upd_valid):
                # soft reset; the register keeps the low wV bits (exact within the bounds)
                m.d.sync += membranes[l].eq(Mux(s, diff[:wV], u[:wV]))
        with m.If(advance & clear_current):
            m.d.sync += [firing.eq(0), done.eq(0)]
        with m.Elif(advance & upd_valid):
            m.d.sync += [firing.eq(next_firing), done.eq(next_done)]
        m.d.comb += [
            out_buf.w_en.eq(upd_valid),
            out_buf.w_data.eq(Cat(fire_pos, fire_neg)),
        ]
        return m
