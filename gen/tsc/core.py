"""The event-driven TSC layer as an Amaranth component (built from a :class:`TSCIR`).

One input beat and one output beat per time step. Inside, a scan and a seven-stage pipeline:

0. **scan** -- the step's events ``pos XOR neg`` sit in a mask; a priority encoder
   (:class:`gen.tsc.scan.LowestSetBit`) picks the lowest set bit each cycle and clears it. A
   step with E events takes max(1, E) cycles here (a step without events sends one empty
   beat, so that it still updates the neurons). The next input beat is accepted in the cycle
   the current step's last beat leaves, so steps follow each other without a gap.
1. **pick** -- the chosen bit, registered one-hot (the encoder's carry chain ends here).
2. **request** -- a registered memory address and sign. One read per event, none for an
   empty beat.
3. **read** -- the synchronous weight memory reads the word.
4. **word** -- the word is registered untouched: a block RAM's data output is slow, so no
   logic follows it in the same cycle.
5. **weight** -- each neuron's weight is registered, negated for a neg spike, zero for an
   empty beat.
6. **current** -- ``I_l += delta_l`` for all L neurons at once. The first beat of a frame's
   first step adds to 0 instead of I (the frame clear).
7. **neurons** -- after a step's last beat, the neuron update of the mode
   (:mod:`gen.tsc.neurons`), and the L pos and L neg bits are registered. They go into a
   two-entry output FIFO (``amaranth.lib.fifo.SyncFIFO``).

Steps overlap: the neuron stage of step k reads I in the same cycle the current stage adds
step k+1's first event, which lands at the clock edge after the read. The stages 1-7 move
together (:class:`gen.pipeline.Pipeline`); they hold only when the spike register has a step's
spikes and the output FIFO is full, so the stall comes from registers, not from ``o.ready``.

Timing: without input gaps or output back-pressure a step takes max(1, E) cycles; its output
is valid max(1, E) + 8 cycles after its input beat was accepted.

Memory organization: one word per input, ``depth = M``, ``width = L * wbits``; word m holds
``w[l][m]`` of every neuron l (neuron l in bits ``[wbits*l, wbits*(l+1))``). One read per
input event serves all L neurons, so per frame each synapse costs as many reads as its input
has spikes (at most two with TSC-encoded input) and the memory maps to block RAM.
"""

from amaranth import Cat, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, fifo, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from gen.pipeline import Pipeline

from .neurons import NEURON_STAGES
from .scan import LowestSetBit, count_to_three, onehot_to_index

__all__ = ["TSCCore", "input_layout", "output_layout", "core_signature", "BEAT"]


def input_layout(inputs):
    """Input payload: ``pos`` (M bits), ``neg`` (M bits), ``first`` (1 bit), LSB first."""
    return data.StructLayout({"pos": inputs, "neg": inputs, "first": 1})


def output_layout(neurons):
    """Output payload: ``pos`` (L bits, low), ``neg`` (L bits)."""
    return data.StructLayout({"pos": neurons, "neg": neurons})


def core_signature(inputs, neurons):
    """The core's ports: stream ``i`` of :func:`input_layout`, stream ``o`` of
    :func:`output_layout`."""
    return wiring.Signature({
        "i": In(stream.Signature(input_layout(inputs))),
        "o": Out(stream.Signature(output_layout(neurons))),
    })


#: The flags a beat carries down the pipeline (its valid bit is the pipeline's).
BEAT = data.StructLayout({
    "event": 1,     # the beat reads a weight (0: a step without events)
    "negate": 1,    # the event is a neg spike
    "head": 1,      # the step's first beat
    "tail": 1,      # the step's last beat
    "first": 1,     # the step starts a frame
})

#: Registered pipeline stages after the scan: pick, request, read, word, weight, current,
#: neurons/spikes.
DEPTH = 7


def _check(weights, threshold, wbits, current_width, membrane_width, mode, frame_steps):
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
    for name, width in (("current_width", current_width), ("membrane_width", membrane_width)):
        if isinstance(width, bool) or not isinstance(width, int) or width < 2:
            raise ValueError(f"{name} must be an integer >= 2, not {width!r}")
    if current_width > membrane_width:
        raise ValueError(f"current_width {current_width} exceeds membrane_width "
                         f"{membrane_width}")
    for t in theta:
        if isinstance(t, bool) or not isinstance(t, int) or \
                not 1 <= t <= (1 << (membrane_width - 1)) - 1:
            raise ValueError(f"threshold {t!r} is not in [1, 2**{membrane_width - 1} - 1]")
    if mode not in NEURON_STAGES:
        raise ValueError(f"mode must be one of {', '.join(NEURON_STAGES)}, not {mode!r}")
    if mode == "framed" and (isinstance(frame_steps, bool) or not isinstance(frame_steps, int)
                             or frame_steps < 1):
        raise ValueError(f"frame_steps must be a positive integer in framed mode, not "
                         f"{frame_steps!r}")


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
        Widths of the I and V registers (two's complement). Sums and comparisons are exact;
        only what is stored wraps, as the golden models with widths do.
    mode : str
        ``stream`` (:class:`sim.tsc.TSCLayer`) or ``framed`` (:class:`sim.tsc.FramedTSCLayer`).
    frame_steps : int, optional
        N of the framed mode.

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

    def __new__(cls, weights, threshold, *args, **kwargs):
        # checked before the object exists: a rejected core is no unused design
        _check(weights, threshold, kwargs.get("wbits"), kwargs.get("current_width"),
               kwargs.get("membrane_width"), kwargs.get("mode", "stream"),
               kwargs.get("frame_steps"))
        return super().__new__(cls, weights, threshold, *args, **kwargs)

    def __init__(self, weights, threshold, *, wbits, current_width, membrane_width,
                 mode="stream", frame_steps=None):
        self.weights = [list(r) for r in weights]
        self.threshold = list(threshold)
        self.wbits = wbits
        self.current_width = current_width
        self.membrane_width = membrane_width
        self.mode = mode
        self.frame_steps = frame_steps
        self.neurons = len(self.weights)
        self.inputs = len(self.weights[0])
        super().__init__(core_signature(self.inputs, self.neurons))
        self.weight_read = Signal()
        self.weight_addr = Signal(range(self.inputs))

    @classmethod
    def from_ir(cls, ir):
        """The core of a :class:`gen.tsc.ir.TSCIR`."""
        return cls(ir.weights, ir.threshold, wbits=ir.wbits,
                   current_width=ir.widths["current"], membrane_width=ir.widths["membrane"],
                   mode=ir.mode, frame_steps=ir.steps if ir.mode == "framed" else None)

    def memory_words(self):
        """Memory contents: word m = sum_l (w[l][m] mod 2**wbits) << (wbits*l)."""
        mask = (1 << self.wbits) - 1
        return [sum((self.weights[l][mi] & mask) << (self.wbits * l)
                    for l in range(self.neurons))
                for mi in range(self.inputs)]

    # ---- the stages --------------------------------------------------------------------------

    def elaborate(self, platform):
        m = Module()
        out = self._output_fifo(m)
        # stages 1-7 move together; the last one holds a step's spikes only on its tail beat,
        # so only then does it need room in the FIFO
        entry = stream.Signature(unsigned(0)).create(path=("scan",))
        spikes = stream.Signature(unsigned(0)).create(path=("spikes",))
        pipe = Pipeline(DEPTH, name="beat").elaborate_into(m, entry, spikes)
        scan_beat, scan = self._scan(m, pipe, entry)
        pick_beat, pick_onehot, pick_pos = self._pick(m, pipe, scan_beat, scan)
        req_beat, req_addr = self._request(m, pipe, pick_beat, pick_onehot, pick_pos)
        word_beat, word = self._read(m, pipe, req_beat, req_addr)
        delta_beat, deltas = self._weights(m, pipe, word_beat, word)
        currents, upd_tail, clear = self._currents(m, pipe, delta_beat, deltas)
        update = Signal()                # a step's last beat leaves the neuron stage
        m.d.comb += update.eq(pipe.enable & pipe.valid[DEPTH - 1] & upd_tail)
        fire_pos, fire_neg = NEURON_STAGES[self.mode](self, m, currents, update, clear)
        self._spikes(m, pipe, spikes, out, upd_tail, fire_pos, fire_neg)
        return m

    def _output_fifo(self, m):
        """Two entries, so the stall depends on registers only."""
        m.submodules.out_fifo = out = fifo.SyncFIFO(width=2 * self.neurons, depth=2)
        m.d.comb += [
            self.o.valid.eq(out.r_rdy),
            self.o.payload.eq(out.r_data),
            out.r_en.eq(self.o.ready),
        ]
        return out

    def _scan(self, m, pipe, entry):
        """Stage 0: the step's events in a mask, the lowest one picked each cycle."""
        M = self.inputs
        pend = Signal(M)                # events not yet read: pos XOR neg
        pol = Signal(M)                 # pos bits: the sign of each event
        scan_first = Signal()           # the step starts a frame
        scan_head = Signal()            # no beat of this step has left yet
        scan_busy = Signal()            # a step is being scanned
        m.submodules.scan = scan = self.scan_encoder(M)
        m.d.comb += [scan.mask.eq(pend), entry.valid.eq(scan_busy)]

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
            self.i.ready.eq(entry.ready & (~scan_busy | scan_last)),
            accept.eq(self.i.valid & self.i.ready),
        ]
        with m.If(entry.ready & scan_busy):
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
        beat = Signal(BEAT, name="scan_beat")
        m.d.comb += [
            beat.event.eq(scan.any),
            beat.head.eq(scan_head),
            beat.tail.eq(scan_last),
            beat.first.eq(scan_first),
        ]
        return beat, (scan, pol)

    def _pick(self, m, pipe, scan_beat, scan):
        """Stage 1: the chosen event as one-hot masks: the encoder's carry chain ends in these
        flops; binary encoding and the sign lookup happen in stage 2."""
        encoder, pol = scan
        beat = Signal(BEAT, name="pick_beat")
        onehot = Signal(self.inputs, name="pick_onehot")
        is_pos = Signal(self.inputs, name="pick_pos")   # the one-hot bit if a pos spike
        with m.If(pipe.enable):
            m.d.sync += [beat.eq(scan_beat), onehot.eq(encoder.onehot),
                         is_pos.eq(encoder.onehot & pol)]
        return beat, onehot, is_pos

    def _request(self, m, pipe, pick_beat, pick_onehot, pick_pos):
        """Stage 2: the read request, address and sign registered (block RAM address pins are
        far away; a flop in front of them keeps the encoder off that path)."""
        beat = Signal(BEAT, name="req_beat")
        addr = Signal(range(self.inputs), name="req_addr")
        index = Signal(range(self.inputs), name="pick_index")
        onehot_to_index(m, pick_onehot, index)
        with m.If(pipe.enable):
            m.d.sync += [beat.eq(pick_beat), beat.negate.eq(pick_pos == 0), addr.eq(index)]
        return beat, addr

    def _read(self, m, pipe, req_beat, req_addr):
        """Stages 3-4: the synchronous read (one per event, none for an empty beat or while
        stalled), then the word registered as it is: a block RAM's data output is slow (about
        6 ns on ECP5), so no logic follows it in the same cycle."""
        L, wb = self.neurons, self.wbits
        # ram_style: without it Yosys turns a small constant memory into LUT logic
        m.submodules.weights = mem = Memory(shape=unsigned(L * wb), depth=self.inputs,
                                            init=self.memory_words(),
                                            attrs={"ram_style": "block"})
        rd = mem.read_port(domain="sync")
        m.d.comb += [
            self.weight_read.eq(pipe.enable & pipe.valid[2] & req_beat.event),
            self.weight_addr.eq(req_addr),
            rd.en.eq(self.weight_read),
            rd.addr.eq(req_addr),
        ]
        read_beat = Signal(BEAT, name="read_beat")
        word_beat = Signal(BEAT, name="word_beat")
        word = Signal(L * wb, name="word")
        with m.If(pipe.enable):
            m.d.sync += [read_beat.eq(req_beat), word_beat.eq(read_beat), word.eq(rd.data)]
        return word_beat, word

    def _weights(self, m, pipe, word_beat, word):
        """Stage 5: each neuron's weight, signed by the event (0 for an empty beat)."""
        wb = self.wbits
        beat = Signal(BEAT, name="delta_beat")
        deltas = [Signal(signed(wb + 1), name=f"delta_{l}") for l in range(self.neurons)]
        with m.If(pipe.enable):
            m.d.sync += beat.eq(word_beat)
            for l, delta in enumerate(deltas):
                weight = word[wb * l:wb * (l + 1)].as_signed()
                with m.If(~word_beat.event):
                    m.d.sync += delta.eq(0)
                with m.Elif(word_beat.negate):
                    m.d.sync += delta.eq(-weight)
                with m.Else():
                    m.d.sync += delta.eq(weight)
        return beat, deltas

    def _currents(self, m, pipe, delta_beat, deltas):
        """Stage 6: I += delta; a frame's first beat starts from I = 0.

        Returns the currents, the tail flag of the beat now in the neuron stage, and ``clear``:
        a frame's first beat updates I this cycle (the neuron stage clears its state with it).
        """
        currents = [Signal(signed(self.current_width), name=f"current_{l}")
                    for l in range(self.neurons)]
        valid = pipe.valid[DEPTH - 2]
        clear = Signal()
        m.d.comb += clear.eq(pipe.enable & valid & delta_beat.head & delta_beat.first)
        with m.If(pipe.enable & valid):
            for current, delta in zip(currents, deltas):
                base = Mux(clear, 0, current)
                m.d.sync += current.eq(base + delta)         # wraps at current_width bits
        upd_tail = Signal()
        with m.If(pipe.enable):
            m.d.sync += upd_tail.eq(delta_beat.tail)
        return currents, upd_tail, clear

    def _spikes(self, m, pipe, spikes, out, upd_tail, fire_pos, fire_neg):
        """Stage 7: the spikes are registered next to the neurons before they travel to the
        output FIFO (the threshold compare ends a carry chain: no long wire after it)."""
        bits = Signal(2 * self.neurons, name="spike_bits")
        tail = Signal(name="spike_tail")
        with m.If(pipe.enable):
            m.d.sync += [bits.eq(Cat(fire_pos, fire_neg)), tail.eq(upd_tail)]
        m.d.comb += [
            spikes.ready.eq(out.w_rdy | ~tail),
            out.w_en.eq(spikes.valid & tail),
            out.w_data.eq(bits),
        ]
