"""The network's other stages: the input writer, the neurons, the spike writer, the read-out.

Input writer
    One input code per transfer; its bits become the item's planes (MSB = plane 0), its
    position (a counter over the first affine layer's input shape, C order) the item's index.

Neurons
    The project's neuron cores, reused as they are: the FS core (:class:`gen.fsneuron.SharedCore`,
    one parameter ROM or the ReLU threshold register shared by P lanes, a vector every K clocks)
    or P AMOS cores (:class:`gen.amos.AmosCore`, one input per clock each) moving in lock-step.

Spike writer
    Takes the neurons' vectors in the engine's emission order and writes, for each lane that
    spiked, one item: the planes it spiked in and its position in the next layer's input (channel
    ``g P + p``; pooling divides the row and column by 2^s; flattening keeps the digits). A
    vector costs a clock to take in; lanes without spikes cost nothing more.

Read-out
    Takes the last engine's logits lane by lane, keeps the first maximum (strictly greater
    replaces it) and emits ``{class, logits}`` once per image.
"""

from amaranth import Array, Cat, Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from .affine import vector_layout
from .hw import (NARROW, const_mul, encode_event, first_set, fit, item_layout, onehot_index,
                 onehot_mux, registered_output)

__all__ = ["InputWriter", "AmosLanes", "SpikeWriter", "Readout", "output_layout",
           "neuron_out_layout"]


def _counter(m, sizes, advance, name):
    """Digit counters over ``sizes`` (last digit fastest) stepping when ``advance``; returns
    the digit signals and whether they are at the last position."""
    digits = [Signal(range(s), name=f"{name}{k}") for k, s in enumerate(sizes)]
    last = Cat(*[d == s - 1 for d, s in zip(digits, sizes)]).all()
    carry = Const(1, 1)
    with m.If(advance):
        for d, s in reversed(list(zip(digits, sizes))):
            with m.If(carry):
                m.d.sync += d.eq(Mux(d == s - 1, 0, d + 1))
            carry = carry & (d == s - 1)
    return digits, last


class InputWriter(wiring.Component):
    """Input codes -> items of the first engine's event buffer."""

    def __init__(self, plan):
        self.plan = plan
        shape = signed(plan.input_width) if plan.input_signed else unsigned(plan.input_width)
        super().__init__({
            "i": In(stream.Signature(shape)),
            "o": Out(stream.Signature(item_layout(plan.input_width,
                                                  plan.affine[0].event_bits))),
        })

    def elaborate(self, platform):
        m = Module()
        plan = self.plan
        w = plan.input_width
        # a conv layer's items leave through a register (its position arithmetic would
        # otherwise run on into the event memory's write port)
        conv = plan.affine[0].kind == "conv"
        out = registered_output(m, self.o, "item") if conv else self.o
        take = self.i.valid & out.ready
        digits, last = _counter(m, plan.input_index.sizes, take, "pos")
        code = self.i.payload.as_unsigned()
        m.d.comb += [
            out.valid.eq(self.i.valid),
            self.i.ready.eq(out.ready),
            # plane q is bit w-1-q: the most significant bit first (Horner)
            out.payload.mask.eq(Cat(*[code[w - 1 - q] for q in range(w)])),
            out.payload.index.eq(encode_event(plan.affine[0], digits)),
            out.payload.last.eq(last),
        ]
        return m


def neuron_out_layout(P, K, width):
    """The FS core's output layout: P lanes of {spikes: K bits, value}."""
    lane = data.StructLayout({"spikes": unsigned(K), "value": signed(width)})
    return data.StructLayout({f"lane{p}": lane for p in range(P)})


class AmosLanes(wiring.Component):
    """P AMOS cores side by side; they share valid and ready, so they move in lock-step (the
    same pipeline stages hold the same vector)."""

    def __init__(self, ir, P):
        from gen.amos.core import AmosCore

        self.ir, self.P = ir, P
        self.cores = [AmosCore(ir) for _ in range(P)]
        super().__init__({
            "i": In(stream.Signature(vector_layout(P, ir.width))),
            "o": Out(stream.Signature(neuron_out_layout(P, ir.K, ir.out_width))),
        })

    def elaborate(self, platform):
        m = Module()
        for p, core in enumerate(self.cores):
            m.submodules[f"amos{p}"] = core
            m.d.comb += [core.i.valid.eq(self.i.valid),
                         core.i.payload.eq(self.i.payload[f"lane{p}"]),
                         core.o.ready.eq(self.o.ready),
                         self.o.payload[f"lane{p}"].spikes.eq(core.o.payload.spikes),
                         self.o.payload[f"lane{p}"].value.eq(core.o.payload.value)]
        m.d.comb += [self.i.ready.eq(self.cores[0].i.ready),
                     self.o.valid.eq(self.cores[0].o.valid)]
        return m


class SpikeWriter(wiring.Component):
    """A neuron layer's spikes -> items of the next engine's event buffer.

    A vector is first copied into the writer (its live spike masks), so the neurons' output
    ready is a register: nothing downstream reaches back into the engine's stall logic in the
    same clock.
    """

    def __init__(self, plan, in_layout):
        self.plan = plan
        src = plan.consumer.source
        super().__init__({
            "i": In(stream.Signature(in_layout)),
            "o": Out(stream.Signature(item_layout(src.planes, plan.consumer.event_bits))),
        })

    def elaborate(self, platform):
        m = Module()
        plan = self.plan
        prod, cons = plan.producer, plan.consumer
        P, G, L, C = prod.P, prod.G, prod.L, prod.chunks
        T = plan.planes
        live = Const(sum(1 << q for q, ok in enumerate(plan.live) if ok), T)

        busy = Signal(name="busy")
        finish = Signal(name="finish")
        # the emission order: pass g, the output positions, the chunks of L lanes
        vec, vec_last = _counter(m, (G,) + prod.acc_index.sizes + (C,), finish, "vec")
        vg, vc = vec[0], vec[-1]
        held = [Signal(T, name=f"held{p}") for p in range(L)]
        m.d.comb += self.i.ready.eq(~busy)
        masked = []
        for p in range(L):
            mask = self.i.payload[f"lane{p}"].spikes & live
            # lanes past the pass's P channels or past the layer's last channel (one OR of
            # the counters' states, from registers, beside the payload)
            bad = [(vg == g) & (vc == c) for g in range(G) for c in range(C)
                   if c * L + p >= P or g * P + c * L + p >= prod.n_out]
            if bad:
                mask = Mux(Cat(*bad).any(), 0, mask)
            masked.append(mask)
        with m.If(self.i.valid & ~busy):
            m.d.sync += busy.eq(1)
            for p in range(L):
                m.d.sync += held[p].eq(masked[p])

        # the lanes still to write, a register: set for the lanes that spiked when the vector
        # comes in, cleared one by one as their items go; the lane written next (one-hot) is
        # a register too, found for the lanes that will be left
        rem = Signal(L, name="rem")
        pick = Signal(L, name="pick")

        def load(lanes):
            low = Signal(L)
            first_set(m, lanes, None, onehot=low)
            m.d.sync += [rem.eq(lanes), pick.eq(low)]

        with m.If(self.i.valid & ~busy):
            load(Cat(*[mk != 0 for mk in masked]))
        any_ = rem != 0
        one_left = (rem & ~pick) == 0
        sel = Signal(range(max(L, 2)), name="sel")
        onehot_index(m, pick, sel)

        # the position in the consumer's input: channel g P + c L + p, pooled row and column
        if P & (P - 1) == 0 and L & (L - 1) == 0:     # powers of two: a concatenation
            o = Cat(fit(sel, (L - 1).bit_length()), fit(vc, (C - 1).bit_length()), vg)
        else:
            o = const_mul(vg, P) + (const_mul(vc, L) + sel if C > 1 else sel)
        s = plan.pool_shift
        if prod.kind == "conv":
            y, x = vec[1], vec[2]
            digits = [o, y >> s, x >> s]
        else:
            digits = [o]
        # the items leave through a register where their logic is deep (a conv consumer's
        # position arithmetic, a wide lane multiplexer), so it does not run on into the next
        # engine's input register; narrow linear ones go straight on (a register less)
        deep = cons.kind == "conv" or L > NARROW
        out = registered_output(m, self.o, "item") if deep else self.o
        m.d.comb += [
            out.valid.eq(busy & (any_ | vec_last)),
            out.payload.mask.eq(onehot_mux(pick, held)),
            out.payload.index.eq(encode_event(cons, digits)),
            out.payload.last.eq(vec_last & one_left),
        ]
        sent = out.valid & out.ready
        m.d.comb += finish.eq(busy & Mux(any_ | vec_last, sent & one_left, 1))
        with m.If(sent & any_):
            load(rem & ~pick)
        with m.If(finish):
            m.d.sync += busy.eq(0)
        return m


def output_layout(classes, class_bits, width):
    """The network's output payload: ``class`` in the low bits, then logit c at bit
    ``class_bits + c * width``."""
    return data.StructLayout({"class": unsigned(class_bits),
                              "logits": data.ArrayLayout(signed(width), classes)})


class Readout(wiring.Component):
    """The last engine's logits -> one ``{class, logits}`` beat per image.

    Two steps per logit: the lane is selected into a register, then compared with the best so
    far and stored (a lane multiplexer and a compare in one clock would set the clock). The
    input's ready is a function of registers alone (never of its valid), so the engine's
    stall logic does not run through the read-out. The output register is the working
    register: a logit is stored only while no result waits, so one set of C registers serves
    both.
    """

    def __init__(self, plan):
        self.plan = plan
        super().__init__({
            "i": In(stream.Signature(vector_layout(plan.P, plan.width))),
            "o": Out(stream.Signature(output_layout(plan.classes, plan.class_bits,
                                                    plan.width))),
        })

    def elaborate(self, platform):
        m = Module()
        plan = self.plan
        C, P, G, W = plan.classes, plan.P, plan.G, plan.width
        # select: the logit idx, lane lp of the vector of pass vg
        idx = Signal(range(C), name="idx")
        lp = Signal(range(P), name="lane")
        vg = Signal(range(G), name="group")
        last_lane = lp == Mux(vg == G - 1, C - (G - 1) * P - 1, P - 1)
        # the selected logit, waiting to be stored
        s_valid = Signal(name="sel_valid")
        s_v = Signal(signed(W), name="sel_v")
        s_idx = Signal(range(C), name="sel_idx")
        store = Signal(name="store")
        room = Signal(name="room")
        take = Signal(name="take")
        m.d.comb += [store.eq(s_valid & ~self.o.valid),
                     room.eq(~s_valid | store),
                     take.eq(self.i.valid & room),
                     self.i.ready.eq(room & last_lane)]
        with m.If(take):
            m.d.sync += [s_v.eq(Array([self.i.payload[f"lane{p}"] for p in range(P)])[lp]),
                         s_idx.eq(idx)]
            with m.If(idx == C - 1):
                m.d.sync += [idx.eq(0), lp.eq(0), vg.eq(0)]
            with m.Else():
                m.d.sync += idx.eq(idx + 1)
                with m.If(last_lane):
                    m.d.sync += [lp.eq(0), vg.eq(vg + 1)]
                with m.Else():
                    m.d.sync += lp.eq(lp + 1)
        with m.If(take):
            m.d.sync += s_valid.eq(1)
        with m.Elif(store):
            m.d.sync += s_valid.eq(0)

        # store: keep the first maximum (strictly greater replaces it)
        best = Signal(signed(W), name="best")
        best_idx = Signal(range(C), name="best_idx")
        better = Signal(name="better")
        m.d.comb += better.eq((s_idx == 0) | (s_v > best))
        with m.If(store):
            m.d.sync += Array(self.o.payload.logits[c] for c in range(C))[s_idx].eq(s_v)
            with m.If(better):
                m.d.sync += [best.eq(s_v), best_idx.eq(s_idx)]
        with m.If(store & (s_idx == C - 1)):
            m.d.sync += [self.o.valid.eq(1),
                         self.o.payload["class"].eq(Mux(better, s_idx, best_idx))]
        with m.Elif(self.o.ready):
            m.d.sync += self.o.valid.eq(0)
        return m
