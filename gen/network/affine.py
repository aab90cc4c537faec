"""An affine (linear or conv) layer in hardware: an event buffer and a synapse engine.

Event buffer
    The items of one image (a position and the planes it spiked in) are written into per-plane
    lists: plane q of buffer half s holds its positions at addresses ``(s T + q) 2^c + n``,
    ``n`` counting the plane's items. Two halves: the writer fills one while the engine reads the
    other (ping-pong), so consecutive layers work on different images. An item that spiked in m
    planes takes m cycles to write (one memory write port); an item without spikes takes one
    cycle and writes nothing.

Synapse engine
    P accumulators per memory word, one word per (output position, group of P channels), in a
    synchronous RAM. Per image, plane by plane (MSB first), one operation per clock:

    * Horner (plane weights +-2^(T-1-q): input bits, ReLU spikes): a sweep over every word,
      ``acc = 2 acc`` (``acc = 0`` at plane 0), then for every event of the plane and every
      group, ``acc += w`` (``-= w`` in a negative plane) with w the weights of the P channels
      for that input (conv: for every kernel offset that lands inside the output);
    * scale (any plane weights d_q: trained FS/AMOS units): a clear sweep first; events add
      into a partial sum S; after each plane with events a sweep ``acc += d_q S; S = 0``;
    * then the emission sweep: ``x = (acc + b) >> shift`` for P channels per clock into the
      neurons (or the logits into the read-out).

    So the adds grow with the spikes, and d is applied once per neuron per plane; no multiplier
    touches a synapse. An operation reads its word and weights at one edge, registers them (the
    read stage: no adder follows a block RAM's output in the same cycle) and writes the word back
    at the edge after its execute stage, so the operations after it on the same word take the
    value being written (forwarding); everything stalls together while the output register is
    full and not taken.
"""

from itertools import combinations

from amaranth import Array, Cat, Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, memory, stream, wiring
from amaranth.lib.wiring import In, Out

from .hw import (at_least_two, decode_event, first_set, fit, item_layout, lane_slice,
                 onehot_mux)

__all__ = ["AffineStage", "vector_layout", "WAIT", "CLEAR", "PRE", "EV", "POST", "EMIT"]

WAIT, CLEAR, PRE, EV, POST, EMIT = range(6)
#: Entries of the event queue between the event memory and the engine.
QUEUE = 3


def vector_layout(P, width):
    """P signed lanes ``lane0``.. (the FS core's input layout)."""
    return data.StructLayout({f"lane{p}": signed(width) for p in range(P)})


class AffineStage(wiring.Component):
    """Event buffer + synapse engine of one :class:`gen.network.plan.AffinePlan`.

    Members
    -------
    i : In(stream of items)
        ``{mask: T bits, index, last}``.
    o : Out(stream of vectors)
        P lanes of the neurons' inputs (or of the logits), one vector per accumulator word.
    """

    def __init__(self, plan):
        self.plan = plan
        src = plan.source
        super().__init__({
            "i": In(stream.Signature(item_layout(src.planes, plan.event_bits))),
            "o": Out(stream.Signature(vector_layout(plan.L, plan.widths["out"]))),
        })

    # ---- event buffer ------------------------------------------------------------------------

    def _buffer(self, m):
        """The ping-pong per-plane lists; returns the read side's signals.

        Serial (one memory): an item takes a clock per plane it spiked in. Banked (one memory
        per plane, :attr:`SourcePlan.banked`): every plane of an item is written in the same
        clock.
        """
        plan = self.plan
        T, cap = plan.T, plan.source.capacity
        cb = (cap - 1).bit_length()
        ev_w = max(plan.event_bits, 1)
        banked = plan.source.banked

        full = Signal(2, name="buf_full")
        wsel = Signal(name="buf_wsel")
        rsel = Signal(name="buf_rsel")
        cnt = [[Signal(range(cap + 1), name=f"buf_cnt{s}_{t}") for t in range(T)]
               for s in range(2)]
        item = self.i.payload
        live = Const(sum(1 << q for q, ok in enumerate(plan.source.live) if ok), T)
        pending = Signal(T, name="buf_pending")
        can = Signal(name="buf_can")
        m.d.comb += can.eq(~full.bit_select(wsel, 1))
        release = Signal(name="buf_release")
        r_plane = Signal(range(T), name="buf_rplane")
        r_q = Signal(range(T), name="buf_rq")          # the plane whose data arrives
        r_e = Signal(range(max(cap, 2)), name="buf_re")
        r_en = Signal(name="buf_ren")
        r_data = Signal(ev_w, name="buf_rdata")
        wrote = Signal(T, name="buf_wrote")             # planes written this clock

        if banked:
            m.d.comb += [pending.eq(item.mask & live), self.i.ready.eq(can),
                         wrote.eq(Mux(self.i.valid & can, pending, 0))]
            datas = []
            for t in range(T):
                mem = memory.Memory(shape=unsigned(ev_w), depth=2 << cb, init=[])
                m.submodules[f"events{t}"] = mem
                wp, rp = mem.write_port(), mem.read_port()
                cnt_w = Mux(wsel, cnt[1][t], cnt[0][t])
                m.d.comb += [wp.addr.eq(Cat(fit(cnt_w, cb), wsel)), wp.data.eq(item.index),
                             wp.en.eq(wrote[t]),
                             rp.addr.eq(Cat(fit(r_e, cb), rsel)), rp.en.eq(r_en)]
                # each memory's word registered as it is (a block RAM's output drives a wire)
                word = Signal(ev_w, name=f"buf_rword{t}")
                m.d.sync += word.eq(rp.data)
                datas.append(word)
            m.d.comb += r_data.eq(Array(datas)[r_q])
        else:
            # address (half, plane, n) by concatenation: no adder in front of the memory
            tb = (T - 1).bit_length()
            depth = 2 << (tb + cb)
            m.submodules.events = mem = memory.Memory(shape=unsigned(ev_w), depth=depth,
                                                      init=[])
            wp, rp = mem.write_port(), mem.read_port()
            # the item is taken into a register first and written plane by plane from there,
            # so the ready the writer sees comes from flip-flops, not from its own payload
            s_valid = Signal(name="buf_s_valid")
            s_mask = Signal(T, name="buf_s_mask")
            s_index = Signal(ev_w, name="buf_s_index")
            s_last = Signal(name="buf_s_last")
            written = Signal(T, name="buf_written")
            m.d.comb += pending.eq(s_mask & ~written)
            low = Signal(T, name="buf_low")
            t = first_set(m, pending, "buf_plane", onehot=low)
            # "at most one plane left" is a register too, found for the planes that will be
            # left, so the ready the writer sees is a gate or two from flip-flops
            one_left = Signal(name="buf_one_left")
            do_write = Signal(name="buf_write")
            s_done = Signal(name="buf_s_done")
            m.d.comb += [do_write.eq(s_valid & can & (pending != 0)),
                         s_done.eq(s_valid & can & one_left),
                         self.i.ready.eq(~s_valid | s_done)]
            with m.If(self.i.ready):
                m.d.sync += [s_valid.eq(self.i.valid), s_mask.eq(item.mask & live),
                             s_index.eq(item.index), s_last.eq(item.last),
                             one_left.eq(~at_least_two(item.mask & live))]
            with m.Elif(s_valid & can):
                m.d.sync += one_left.eq(~at_least_two(pending & ~low))
            # the write itself one clock later, from registers: (plane, position, half) ->
            # that plane's counter -> the address (the next write sees the count it left)
            b_valid = Signal(name="buf_b_valid")
            b_t = Signal(range(T), name="buf_b_plane")
            b_index = Signal(ev_w, name="buf_b_index")
            b_half = Signal(name="buf_b_half")
            b_low = Signal(T, name="buf_b_low")
            # the plane's count too, so the write address is registers alone; taken from the
            # write in progress when it is to the same list (its count is not stored yet).
            # Selected by the one-hot plane (an AND-OR), not by its index
            cnt_w = Signal(range(cap + 1), name="buf_b_cnt")
            same = b_valid & (b_low & low).any() & (b_half == wsel)
            stored = onehot_mux(low, [Mux(wsel, cnt[1][q], cnt[0][q]) for q in range(T)])
            m.d.sync += [b_valid.eq(do_write), b_t.eq(t), b_low.eq(low), b_index.eq(s_index),
                         b_half.eq(wsel), cnt_w.eq(Mux(same, cnt_w + 1, stored))]
            m.d.comb += [wrote.eq(Mux(b_valid, b_low, 0)),
                         wp.addr.eq(Cat(fit(cnt_w, cb), fit(b_t, tb), b_half)),
                         wp.data.eq(b_index), wp.en.eq(b_valid),
                         rp.addr.eq(Cat(fit(r_e, cb), fit(r_plane, tb), rsel)),
                         rp.en.eq(r_en)]
            m.d.sync += r_data.eq(rp.data)
            with m.If(s_valid & can):
                with m.If(one_left):
                    m.d.sync += written.eq(0)
                with m.Else():
                    m.d.sync += written.eq(written | low)

        counts = [Signal(range(cap + 1), name=f"buf_rcnt{q}") for q in range(T)]
        for q in range(T):
            m.d.comb += counts[q].eq(Mux(rsel, cnt[1][q], cnt[0][q]))
        r_full = Signal(name="buf_rfull")
        m.d.comb += r_full.eq(full.bit_select(rsel, 1))

        # counters: the write half counts up, the released half is cleared (never the same
        # half: the writer only writes a half that is not full, the reader only releases a
        # full one). Serial: one plane is written per clock, so one incrementer serves all
        w_half = wsel if banked else b_half
        for s in range(2):
            for q in range(T):
                inc = (Mux(wsel, cnt[1][q], cnt[0][q]) if banked else cnt_w) + 1
                with m.If(release & (rsel == s)):
                    m.d.sync += cnt[s][q].eq(0)
                with m.Elif(wrote[q] & (w_half == s)):
                    m.d.sync += cnt[s][q].eq(inc)
        # the image is complete: the writer goes on in the other half at once; the half is
        # marked full when its last write is done (serial: a clock later)
        done = Signal(name="buf_done")
        if banked:
            m.d.comb += done.eq(self.i.valid & self.i.ready & item.last)
        else:
            m.d.comb += done.eq(s_done & s_last)
        with m.If(done):
            m.d.sync += wsel.eq(~wsel)
        if banked:
            full_now, full_half = done, wsel
        else:
            full_now = Signal(name="buf_done_b")
            full_half = Signal(name="buf_done_half")
            m.d.sync += [full_now.eq(done), full_half.eq(wsel)]
        for s in range(2):
            with m.If(full_now & (full_half == s)):
                m.d.sync += full[s].eq(1)
            with m.Elif(release & (rsel == s)):
                m.d.sync += full[s].eq(0)
        with m.If(release):
            m.d.sync += rsel.eq(~rsel)
        return r_full, counts, r_plane, r_q, r_e, r_en, r_data, release

    # ---- engine ------------------------------------------------------------------------------

    def _fetcher(self, m, r_full, counts, release, r_plane, r_q, r_e, r_en, r_data, pop):
        """Reads the image's events in the engine's order (every pass: the planes in order) into
        a :data:`QUEUE`-entry queue, ahead of the engine: the event memory's address comes from
        this walker's registers and its data lands in a register, so no path runs from one
        memory through logic into another. Returns the queue head: (valid, event, last of its
        plane)."""
        plan = self.plan
        T, G, cap = plan.T, plan.G, plan.source.capacity
        busy = Signal(name="f_busy")          # walking the read half's image
        over = Signal(name="f_over")          # walked all of it; wait for the release
        fg = Signal(range(G), name="f_g")
        fq = Signal(range(T), name="f_q")
        fe = Signal(range(cap + 1), name="f_e")
        # the planes in order, empty ones included (a clock each, while the engine sweeps).
        # The count of the plane walked is a register, loaded as the walk enters the plane, so
        # no count multiplexer lies between the walk's registers and the memory's enable
        cnt_f = Signal(range(cap + 1), name="f_cnt")
        more = Signal(name="f_more")          # the plane has an event at fe
        m.d.comb += more.eq(fe != cnt_f)

        # a read is in flight two clocks: the memory's word lands in a register of its own (an
        # ECP5 block RAM's clock-to-output is over half a 100 MHz cycle: nothing may follow it
        # but a wire), then in the queue. Three entries, so the queue takes an event every
        # clock while the engine takes one every clock
        N = QUEUE
        v = [Signal(name=f"fq_v{k}") for k in range(N)]
        d = [Signal.like(r_data, name=f"fq_d{k}") for k in range(N)]
        last = [Signal(name=f"fq_l{k}") for k in range(N)]
        fly = [Signal(name=f"f_fly{k}") for k in (1, 2)]
        fly_last = [Signal(name=f"f_fly_last{k}") for k in (1, 2)]
        fly_q = [Signal(range(T), name=f"f_fly_q{k}") for k in (1, 2)]
        fetch_now = Signal(name="f_issue")
        # room for one more: fewer than N of the entries and the reads in flight are taken, or
        # the head leaves now (as a tree of LUTs: a sum compared with N is a carry chain)
        held = v + fly
        full = Cat(*[Cat(*c).all() for c in combinations(held, N)]).any()
        m.d.comb += fetch_now.eq(busy & more & (~full | pop))
        # the memory reads every clock (its address is the walk's registers); a read's word
        # is taken two clocks after it was issued, whatever the memory read after it
        m.d.comb += [r_plane.eq(fq), r_e.eq(fe), r_en.eq(1), r_q.eq(fly_q[1])]
        m.d.sync += [fly[0].eq(fetch_now), fly_last[0].eq(fe + 1 == cnt_f), fly_q[0].eq(fq),
                     fly[1].eq(fly[0]), fly_last[1].eq(fly_last[0]), fly_q[1].eq(fly_q[0])]

        # pop shifts the entries down; the push goes to the first free entry after that
        push = fly[1]
        after = [Mux(pop, v[k + 1] if k + 1 < N else 0, v[k]) for k in range(N)]
        for k in range(N):
            here = push & ~after[k] & (after[k - 1] if k else 1)
            shifted = k + 1 < N
            with m.If(here):
                m.d.sync += [v[k].eq(1), d[k].eq(r_data), last[k].eq(fly_last[1])]
            with m.Elif(pop):
                m.d.sync += [v[k].eq(v[k + 1] if shifted else 0)]
                if shifted:
                    m.d.sync += [d[k].eq(d[k + 1]), last[k].eq(last[k + 1])]
        v0, d0, l0 = v[0], d[0], last[0]

        # the walk: the events of a plane, then the next plane, then the next pass. The engine
        # frees the half once it has taken the last event of the last pass, possibly while the
        # walk still steps over empty planes after it (scale mode skips them): the release ends
        # the walk either way
        with m.If(fetch_now):
            m.d.sync += fe.eq(fe + 1)
        with m.Elif(busy & ~more):
            m.d.sync += fe.eq(0)
            with m.If(fq != T - 1):
                m.d.sync += [fq.eq(fq + 1), cnt_f.eq(Array(counts[1:] + counts[:1])[fq])]
            with m.Elif(fg != G - 1):
                m.d.sync += [fg.eq(fg + 1), fq.eq(0), cnt_f.eq(counts[0])]
            with m.Else():
                m.d.sync += [busy.eq(0), over.eq(1)]
        with m.If(release):
            m.d.sync += [busy.eq(0), over.eq(0)]
        with m.Elif(~busy & ~over & r_full):
            m.d.sync += [busy.eq(1), fg.eq(0), fq.eq(0), fe.eq(0), cnt_f.eq(counts[0])]
        return v0, d0, l0

    def _acc_store(self, m, depth, width, read_en, move):
        """The accumulator words: ``(read(fetch_addr, r_addr, x_addr, x_writes) -> word of the
        op in the execute stage, write(addr, data, en))``. One word: a register read as it is.
        More: a RAM read at the issue edge, its word registered in the read stage as it comes
        out (an ECP5 block RAM's clock-to-output alone is over half a 100 MHz cycle, so nothing
        but a wire follows it). Two writes are not in the RAM yet when an op's word is read:
        the one at the issue edge (kept in the forwarding register) and the execute stage's
        while the op is in the read stage (written, a clock later, into the forwarding
        register too). Which one the op takes is decided in the read stage, from addresses in
        registers, and the choice is a multiplexer of registers in the execute stage."""
        if depth == 1:
            reg = Signal(width, name="acc_word")

            def read(fetch_addr, r_addr, x_addr, x_writes):
                return reg

            def write(addr, data, en):
                with m.If(en):
                    m.d.sync += reg.eq(data)
            return read, write
        m.submodules.acc = mem = memory.Memory(shape=unsigned(width), depth=depth, init=[])
        rp, wp = mem.read_port(), mem.write_port()
        m.d.comb += rp.en.eq(read_en)
        last_valid = Signal(name="fwd_valid")
        last_addr = Signal(range(depth), name="fwd_addr")
        last_word = Signal(width, name="fwd_word")

        def read(fetch_addr, r_addr, x_addr, x_writes):
            m.d.comb += rp.addr.eq(fetch_addr)
            raw = Signal(width, name="word_raw")        # the RAM's word
            older = Signal(width, name="word_older")    # the write at the issue edge
            take_new = Signal(name="word_take_new")     # the execute stage's write
            take_older = Signal(name="word_take_older")
            with m.If(move):
                m.d.sync += [raw.eq(rp.data), older.eq(last_word),
                             take_new.eq(x_writes & (x_addr == r_addr)),
                             take_older.eq(last_valid & (last_addr == r_addr))]
            # the execute stage's write of the clock before is the forwarding register now
            return Mux(take_new, last_word, Mux(take_older, older, raw))

        def write(addr, data, en):
            m.d.comb += [wp.addr.eq(addr), wp.data.eq(data), wp.en.eq(en)]
            with m.If(en):
                m.d.sync += [last_valid.eq(1), last_addr.eq(addr), last_word.eq(data)]
        return read, write

    def elaborate(self, platform):
        plan = self.plan
        m = Module()
        r_full, counts, r_plane, r_q, r_e, ev_en, ev_data, release = self._buffer(m)
        T, P, G = plan.T, plan.P, plan.G
        aw, wb, bw = plan.widths["acc"], plan.widths["w"], plan.widths["b"]
        scale = plan.mode == "scale"
        sw = plan.widths["S"] if scale else 0
        lw = aw + sw
        conv = plan.kind == "conv"

        # weights and biases: ROMs read at the issue edge with the accumulators
        m.submodules.weights = w_mem = memory.Memory(shape=unsigned(P * wb),
                                                     depth=plan.w_index.depth,
                                                     init=plan.weight_init())
        w_rp = w_mem.read_port()
        m.submodules.bias = b_mem = memory.Memory(shape=unsigned(P * bw), depth=G,
                                                  init=plan.bias_init())
        b_rp = b_mem.read_port()

        # the output is the execute stage itself: a word of P lanes goes out L lanes at a time
        # (chunk ch), and everything holds until its last chunk is taken
        L, C = plan.L, plan.chunks
        ch = Signal(range(C), name="chunk")
        ch_last = ch == C - 1
        enable = Signal()
        m.d.comb += enable.eq(~self.o.valid | (self.o.ready & ch_last))
        with m.If(self.o.valid & self.o.ready):
            m.d.sync += ch.eq(Mux(ch_last, 0, ch + 1))
        # the engine moves when its output does not hold it and, in the event phase, when the
        # queue has the next event
        go = Signal(name="go")
        ev_wait = Signal(name="ev_wait")
        pop = Signal(name="pop")
        m.d.comb += go.eq(enable & ~ev_wait)
        for en in (w_rp.en, b_rp.en):
            m.d.comb += en.eq(go)
        acc_read, acc_write = self._acc_store(m, plan.acc_index.depth, P * lw, go, enable)

        # ---- sequencer state and its next value ----------------------------------------------
        phase = Signal(range(6), name="phase")
        q = Signal(range(T), name="q")
        g = Signal(range(G), name="g")                       # the pass: channels g P ..
        a = [Signal(range(s), name=f"a{k}") for k, s in enumerate(plan.acc_index.sizes)]
        dy = Signal(range(plan.kh), name="dy")
        dx = Signal(range(plan.kw), name="dx")
        regs = [phase, q, g, *a, dy, dx]
        nxt = {id(r): Signal.like(r, name=f"{r.name}_n") for r in regs}
        for r in regs:
            m.d.comb += nxt[id(r)].eq(r)
            with m.If(go):
                m.d.sync += r.eq(nxt[id(r)])

        def n(r):
            return nxt[id(r)]

        def goto(ph, words=False, events=False, plane=None):
            """Next state: phase ``ph``; ``words``: from the first word; ``events``: from the
            first kernel offset of the next event."""
            stmts = [n(phase).eq(ph)]
            if words:
                stmts += [n(s).eq(0) for s in a]
            if events:
                stmts += [n(dy).eq(0), n(dx).eq(0)]
            if plane is not None:
                stmts.append(n(q).eq(plane))
            return stmts

        a_last = Signal(name="a_last")
        m.d.comb += a_last.eq(Cat(*[s == size - 1 for s, size in
                                    zip(a, plan.acc_index.sizes)]).all())
        a_inc = []
        carry = Const(1, 1)
        for s, size in reversed(list(zip(a, plan.acc_index.sizes))):
            wrap = s == size - 1
            a_inc.append(n(s).eq(Mux(carry, Mux(wrap, 0, s + 1), s)))
            carry = carry & wrap
        nonzero = Cat(*[c != 0 for c in counts])
        # whether the plane the sequencer is at has events, as a register (Horner: the plane
        # it goes to is 0, this one or the next; the read half's counts do not change while
        # it is read), so no multiplexer of the counts lies in the sequencer's next state
        nz_q = Signal(name="nz_q")
        last_pass = g == G - 1
        rel = Signal(name="release_now")
        m.d.comb += release.eq(rel & go)

        def start():
            return goto(CLEAR if scale else PRE, words=True, plane=0)

        def emit():
            """The pass's events are done: emit its words (and free the buffer half after the
            last pass)."""
            m.d.comb += goto(EMIT, words=True)
            with m.If(last_pass):
                m.d.comb += rel.eq(1)

        def enter(first):
            """Scale mode: the events of the first plane >= ``first`` that has any; else emit."""
            mask = Signal(T)
            for t in range(T):
                m.d.comb += mask[t].eq(nonzero[t] & (first <= t))
            found = first_set(m, mask, None)
            with m.If(mask != 0):
                m.d.comb += goto(EV, events=True, plane=found)
            with m.Else():
                emit()

        # event expansion: conv, the kernel offsets that land inside the output (the writer
        # stored the first offset, how many more, and the output position of the first)
        ev_valid, ev, ev_last = self._fetcher(m, r_full, counts, release, r_plane, r_q, r_e,
                                              ev_en, ev_data, pop)
        f = decode_event(plan, ev)
        if conv:
            ho, wo = plan.out_pos.sizes
            ky = Signal(range(plan.kh), name="ky")
            kx = Signal(range(plan.kw), name="kx")
            yo = Signal(range(ho), name="yo")
            xo = Signal(range(wo), name="xo")
            m.d.comb += [ky.eq(f["ky"] + dy), kx.eq(f["kx"] + dx),
                         yo.eq(f["yo"] - dy), xo.eq(f["xo"] - dx)]
            dy_last = dy == f["ny"]
            dx_last = dx == f["nx"]
            ev_acc = [yo, xo]
            ev_row = [f["c"], ky, kx]
        else:
            dy_last = dx_last = Const(1, 1)
            ev_acc = [Const(0, 1)]                 # the single output position
            fields, off = [], 0
            for b in reversed(plan.rows.bits):
                fields.insert(0, f["row"][off:off + b])
                off += b
            ev_row = fields
        exp_last = dx_last & dy_last
        e_last = ev_last
        m.d.comb += [ev_wait.eq((phase == EV) & ~ev_valid),
                     pop.eq(enable & (phase == EV) & ev_valid & exp_last)]

        # ---- transitions ---------------------------------------------------------------------
        with m.Switch(phase):
            with m.Case(WAIT):
                with m.If(r_full):
                    m.d.comb += start()
            # (only the phases of this engine's mode exist: logic for a phase the sequencer
            # never reaches would still be built, and could set the clock)
            if scale:
                with m.Case(CLEAR):
                    m.d.comb += a_inc
                    with m.If(a_last):
                        enter(Const(0, range(T + 1)))
            else:
                with m.Case(PRE):
                    m.d.comb += a_inc
                    with m.If(a_last):
                        with m.If(nz_q):
                            m.d.comb += goto(EV, events=True)
                        with m.Elif(q == T - 1):
                            emit()
                        with m.Else():
                            m.d.comb += goto(PRE, words=True, plane=q + 1)
            with m.Case(EV):
                if conv:
                    with m.If(~dx_last):
                        m.d.comb += n(dx).eq(dx + 1)
                    with m.Else():
                        m.d.comb += n(dx).eq(0)
                        with m.If(~dy_last):
                            m.d.comb += n(dy).eq(dy + 1)
                        with m.Else():
                            m.d.comb += n(dy).eq(0)
                with m.If(exp_last):
                    with m.If(e_last):
                        if scale:
                            m.d.comb += goto(POST, words=True)
                        else:
                            with m.If(q == T - 1):
                                emit()
                            with m.Else():
                                m.d.comb += goto(PRE, words=True, plane=q + 1)
            if scale:
                with m.Case(POST):
                    m.d.comb += a_inc
                    with m.If(a_last):
                        enter(q + 1)
            with m.Case(EMIT):
                m.d.comb += a_inc
                with m.If(a_last):
                    with m.If(~last_pass):
                        m.d.comb += [n(g).eq(g + 1), *start()]
                    with m.Else():
                        m.d.comb += n(g).eq(0)
                        with m.If(r_full):
                            m.d.comb += start()
                        with m.Else():
                            m.d.comb += n(phase).eq(WAIT)
        with m.If(go):
            nz_next = Cat(nonzero[1:], Const(0, 1)).bit_select(q, 1)
            m.d.sync += nz_q.eq(Mux(n(q) == 0, nonzero[0], Mux(n(q) == q, nz_q, nz_next)))

        # ---- issue: the op of this cycle reads its word, weights and bias ----------------------
        acc_bits = plan.acc_index.bits
        in_ev = phase == EV
        addr_w = max(plan.acc_index.width, 1)
        acc_addr = Signal(addr_w, name="op_addr")
        sweep_addr = Cat(*[fit(s, b) for s, b in reversed(list(zip(a, acc_bits)))])
        ev_addr = Cat(*[fit(s, b) for s, b in reversed(list(zip(ev_acc, acc_bits)))])
        m.d.comb += acc_addr.eq(Mux(in_ev, ev_addr, sweep_addr))
        m.d.comb += [w_rp.addr.eq(Cat(*[fit(s, b) for s, b in
                                        reversed(list(zip(ev_row + [g], plan.w_index.bits)))])),
                     b_rp.addr.eq(g)]

        # read stage: the memories' words registered; then the execute stage
        r_valid, x_valid = Signal(name="r_valid"), Signal(name="x_valid")
        r_kind, x_kind = Signal(range(6), name="r_kind"), Signal(range(6), name="x_kind")
        r_addr, x_addr = Signal(addr_w, name="r_addr"), Signal(addr_w, name="x_addr")
        r_q, x_q = Signal(range(T), name="r_q"), Signal(range(T), name="x_q")
        w_x = Signal.like(w_rp.data, name="w_x")
        b_x = Signal.like(b_rp.data, name="b_x")
        with m.If(enable):
            m.d.sync += [r_valid.eq((phase != WAIT) & ~ev_wait), r_kind.eq(phase),
                         r_addr.eq(acc_addr), r_q.eq(q),
                         x_valid.eq(r_valid), x_kind.eq(r_kind), x_addr.eq(r_addr), x_q.eq(r_q),
                         w_x.eq(w_rp.data), b_x.eq(b_rp.data)]
        new = Signal(P * lw, name="word_out")
        x_writes = x_valid & (x_kind != EMIT)
        word = acc_read(acc_addr, r_addr, x_addr, x_writes)

        # ---- execute: one add per lane (the bias enters once: Horner's last sweep adds it,
        # scale mode starts from it) ---------------------------------------------------------------
        neg = Const(sum(1 << t for t, v in enumerate(plan.neg) if v), max(T, 1)) \
            if not scale else None
        d_tab = Array([Const(v, signed(plan.widths["d"])) for v in plan.source.weights]) \
            if scale else None
        sh = plan.shift or 0
        x_sub = (x_kind == EV) & neg.bit_select(x_q, 1) if not scale else None
        out_lanes = []
        for p in range(P):
            acc = word[p * lw:p * lw + aw].as_signed()
            w = lane_slice(w_x, p, wb)
            b = lane_slice(b_x, p, bw)
            acc_n = Signal(signed(aw), name=f"acc_n{p}")
            if scale:
                s = word[p * lw + aw:(p + 1) * lw].as_signed()
                s_n = Signal(signed(sw), name=f"s_n{p}")
                m.d.comb += [acc_n.eq(acc), s_n.eq(s)]
                with m.Switch(x_kind):
                    with m.Case(CLEAR):
                        m.d.comb += [acc_n.eq(b), s_n.eq(0)]
                    with m.Case(EV):
                        m.d.comb += s_n.eq(s + w)
                    with m.Case(POST):
                        m.d.comb += [acc_n.eq(acc + d_tab[x_q] * s), s_n.eq(0)]
                m.d.comb += new[p * lw:(p + 1) * lw].eq(Cat(acc_n, s_n))
            else:
                base = Signal(signed(aw + 1), name=f"base{p}")
                addend = Signal(signed(max(wb, bw)), name=f"addend{p}")
                m.d.comb += [base.eq(acc), addend.eq(0)]
                with m.Switch(x_kind):
                    with m.Case(PRE):
                        m.d.comb += [base.eq(Mux(x_q == 0, 0, acc << 1)),
                                     addend.eq(Mux(x_q == T - 1, b, 0))]
                    with m.Case(EV):
                        m.d.comb += addend.eq(w)
                # a negative plane subtracts: the sum and the difference side by side, then a
                # multiplexer (negating first would put two carry chains in a row)
                m.d.comb += [acc_n.eq(Mux(x_sub, base - addend, base + addend)),
                             new[p * lw:(p + 1) * lw].eq(acc_n)]
            out_lanes.append(acc >> sh if sh >= 0 else acc << -sh)
        for lane in range(L):
            chunk = [out_lanes[c * L + lane] if c * L + lane < P else Const(0, 1)
                     for c in range(C)]
            m.d.comb += self.o.payload[f"lane{lane}"].eq(Array(chunk)[ch] if C > 1 else chunk[0])

        acc_write(x_addr, new, enable & x_writes)
        m.d.comb += self.o.valid.eq(x_valid & (x_kind == EMIT))
        return m
