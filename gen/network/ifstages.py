"""The stages of a rate-coded IF network: IF neuron lanes and the summing read-out.

An IF network runs N = 2^K - 1 time steps per image (docs/network-format.md, the IF unit).
Each step flows through the layer pipeline like an image of the FS network: the spikes of a
step are one plane of items for the next engine, which computes that step's currents
(``W s + b``) and hands them on; so the engines, the spike writers and the input side are the
FS network's, and only the neurons and the read-out differ.

IF lanes
    L neurons per clock; the membranes of the V neuron words of a layer (the producer's
    vectors per step) in a memory. The first neuron layer's current is constant over an image
    (its engine runs once per image): it takes the image's V vectors into one half of a current
    memory and runs the N steps from there, while the other half takes the next image's. A later layer takes one vector per step and word. Either
    way an update is two stages: the word's membrane (and current) is read, then
    ``u = max(v + x, 0); s = [u >= theta]; v = u - theta s`` is written back and the spikes go
    out. The memory's read port is transparent to its write port, so the next step of the
    same word (V = 1) reads the membrane being written.

Summing read-out
    Like the FS read-out, one logit per clock, but it adds each step's logits to the ones
    before, and after the N-th step emits ``{class, logits}`` (the first maximum).
"""

from amaranth import Array, Cat, Module, Mux, Signal, signed, unsigned
from amaranth.lib import memory, stream, wiring
from amaranth.lib.wiring import In, Out

from .affine import vector_layout
from .hw import lane_slice
from .stages import neuron_out_layout, output_layout

__all__ = ["IFLanes", "IFReadout"]


class IFLanes(wiring.Component):
    """A layer of IF neurons, L lanes, from a :class:`gen.network.plan.IFLanesPlan`.

    Members
    -------
    i : In(stream of vectors)
        L signed currents (``lane0`` ..), the producer engine's emission order.
    o : Out(stream of neuron vectors)
        L lanes of ``{spikes: 1 bit, value}`` (value: the spike), one vector per step and word.
    """

    def __init__(self, plan):
        self.plan = plan
        super().__init__({
            "i": In(stream.Signature(vector_layout(plan.L, plan.width))),
            "o": Out(stream.Signature(neuron_out_layout(plan.L, 1, 2))),
        })

    def _sequencer(self, m, enable):
        """The op issued this clock: (valid, word, first step, run half), and the current
        memory's write (address, enable) in hold mode (else None). Hold mode: N sweeps
        over the words of the current memory's full half, while the other half loads the next
        image; stream mode: one op per input vector."""
        p = self.plan
        w = Signal(range(p.V), name="word")
        t = Signal(range(p.steps), name="step")
        w_last = w == p.V - 1
        t_last = t == p.steps - 1
        valid = Signal(name="issue")
        rsel = Signal(name="run_half")
        if p.hold:
            full = Signal(2, name="full")
            m.d.comb += valid.eq(full.bit_select(rsel, 1) & enable)
            with m.If(valid & w_last & t_last):         # the image's last op: free the half
                m.d.sync += [rsel.eq(~rsel), full.bit_select(rsel, 1).eq(0)]
            load = self._loader(m, full)
        else:
            m.d.comb += [self.i.ready.eq(enable), valid.eq(self.i.valid & enable)]
            load = None
        with m.If(valid):
            m.d.sync += w.eq(Mux(w_last, 0, w + 1))
            with m.If(w_last):
                m.d.sync += t.eq(Mux(t_last, 0, t + 1))
        return valid, w, t == 0, rsel, load

    def _loader(self, m, full):
        """Hold mode: the image's V current vectors into the free half of the current memory
        (ping-pong with the half the steps read); returns the write's (address, enable)."""
        p = self.plan
        wl = Signal(range(p.V), name="load_word")
        wsel = Signal(name="load_half")
        m.d.comb += self.i.ready.eq(~full.bit_select(wsel, 1))
        take = self.i.valid & self.i.ready
        with m.If(take):
            m.d.sync += wl.eq(Mux(wl == p.V - 1, 0, wl + 1))
            with m.If(wl == p.V - 1):
                m.d.sync += [wsel.eq(~wsel), full.bit_select(wsel, 1).eq(1)]
        return Cat(wl, wsel), take

    def elaborate(self, platform):
        m = Module()
        p = self.plan
        L, vw, xw = p.L, p.v_width, p.width
        enable = Signal(name="enable")
        m.d.comb += enable.eq(~self.o.valid | self.o.ready)
        valid, w, first, rsel, load = self._sequencer(m, enable)

        m.submodules.membranes = vmem = memory.Memory(shape=unsigned(L * vw), depth=p.V,
                                                      init=[])
        v_wp = vmem.write_port()
        v_rp = vmem.read_port(transparent_for=(v_wp,))
        m.d.comb += [v_rp.addr.eq(w), v_rp.en.eq(enable)]

        # execute stage registers: the op read at the issue edge
        x_valid = Signal(name="x_valid")
        x_word = Signal.like(w, name="x_word")
        x_first = Signal(name="x_first")
        with m.If(enable):
            m.d.sync += [x_valid.eq(valid), x_word.eq(w), x_first.eq(first)]
        if p.hold:
            depth = 2 << (p.V - 1).bit_length()
            m.submodules.currents = cmem = memory.Memory(shape=unsigned(L * xw), depth=depth,
                                                         init=[])
            c_wp, c_rp = cmem.write_port(), cmem.read_port()
            m.d.comb += [c_wp.addr.eq(load[0]), c_wp.data.eq(self.i.payload.as_value()),
                         c_wp.en.eq(load[1]),
                         c_rp.addr.eq(Cat(w, rsel)), c_rp.en.eq(enable)]
            currents = c_rp.data
        else:
            currents = Signal(L * xw, name="x_current")
            with m.If(enable):
                m.d.sync += currents.eq(self.i.payload.as_value())

        new = []
        for lane in range(L):
            v = Mux(x_first, 0, v_rp.data[lane * vw:(lane + 1) * vw])
            x = lane_slice(currents, lane, xw)
            s_sum = Signal(signed(p.sum_width), name=f"sum{lane}")
            fire = Signal(name=f"fire{lane}")
            v_next = Signal(vw, name=f"v_next{lane}")
            m.d.comb += [s_sum.eq(v + x),
                         fire.eq(s_sum >= p.theta),
                         # u = max(sum, 0); subtract theta when it fires
                         v_next.eq(Mux(s_sum[-1], 0, Mux(fire, s_sum - p.theta, s_sum)))]
            new.append(v_next)
            with m.If(enable):
                m.d.sync += [self.o.payload[f"lane{lane}"].spikes.eq(fire),
                             self.o.payload[f"lane{lane}"].value.eq(fire)]
        m.d.comb += [v_wp.addr.eq(x_word), v_wp.data.eq(Cat(*new)),
                     v_wp.en.eq(enable & x_valid)]
        with m.If(enable):
            m.d.sync += self.o.valid.eq(x_valid)
        return m


class IFReadout(wiring.Component):
    """The last engine's per-step logits, summed over the N steps -> one ``{class, logits}``
    beat per image.

    The sums are a ring of C registers that turns by one per logit taken: the head, logit c's
    sum, leaves and the new sum (head + the logit; the logit alone at step 0) enters at the
    tail, so after the C logits of a step the ring is back in order and no C-way multiplexer
    lies before the adder. After the N-th step the ring turns C more times to find the first
    maximum (comparing only the head), then holds the result until it is taken.
    """

    def __init__(self, plan):
        self.plan = plan
        super().__init__({
            "i": In(stream.Signature(vector_layout(plan.P, plan.in_width))),
            "o": Out(stream.Signature(output_layout(plan.classes, plan.class_bits,
                                                    plan.width))),
        })

    def _take(self, m, ring, take):
        """Accumulate: the lane of the logit in turn plus the head into the tail; returns
        whether this take is the step's last logit and whether it is the N-th step's."""
        plan = self.plan
        C, P, G = plan.classes, plan.P, plan.G
        idx = Signal(range(C), name="idx")
        lp = Signal(range(P), name="lane")
        vg = Signal(range(G), name="group")
        t = Signal(range(plan.steps), name="step")
        v = Signal(signed(plan.in_width), name="v")
        m.d.comb += v.eq(Array([self.i.payload[f"lane{p}"] for p in range(P)])[lp])
        last_lane = lp == Mux(vg == G - 1, C - (G - 1) * P - 1, P - 1)
        is_last = idx == C - 1
        m.d.comb += self.i.ready.eq(take & last_lane)
        with m.If(take):
            m.d.sync += [ring[c].eq(ring[c + 1]) for c in range(C - 1)]
            m.d.sync += ring[C - 1].eq(Mux(t == 0, 0, ring[0]) + v)
            with m.If(is_last):
                m.d.sync += [idx.eq(0), lp.eq(0), vg.eq(0),
                             t.eq(Mux(t == plan.steps - 1, 0, t + 1))]
            with m.Else():
                m.d.sync += idx.eq(idx + 1)
                with m.If(last_lane):
                    m.d.sync += [lp.eq(0), vg.eq(vg + 1)]
                with m.Else():
                    m.d.sync += lp.eq(lp + 1)
        return is_last, t == plan.steps - 1

    def elaborate(self, platform):
        m = Module()
        plan = self.plan
        C, W = plan.classes, plan.width
        ring = [Signal(signed(W), name=f"sum{c}") for c in range(C)]
        for c in range(C):
            m.d.comb += self.o.payload.logits[c].eq(ring[c])
        searching = Signal(name="searching")
        k = Signal(range(C), name="k")                  # the class at the head
        take = Signal(name="take")
        m.d.comb += take.eq(self.i.valid & ~self.o.valid & ~searching)
        step_end, image_end = self._take(m, ring, take)
        with m.If(take & step_end & image_end):
            m.d.sync += [searching.eq(1), k.eq(0)]

        # the first maximum: the ring turns once more, the head compared with the best so far
        best = Signal(signed(W), name="best")
        best_idx = Signal(range(C), name="best_idx")
        better = Signal(name="better")
        m.d.comb += better.eq((k == 0) | (ring[0] > best))
        with m.If(searching):
            m.d.sync += [ring[c].eq(ring[(c + 1) % C]) for c in range(C)]
            with m.If(better):
                m.d.sync += [best.eq(ring[0]), best_idx.eq(k)]
            m.d.sync += k.eq(k + 1)
            with m.If(k == C - 1):
                m.d.sync += [searching.eq(0), self.o.valid.eq(1),
                             self.o.payload["class"].eq(Mux(better, k, best_idx))]
        with m.Elif(self.o.ready):
            m.d.sync += self.o.valid.eq(0)
        return m
