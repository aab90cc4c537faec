"""Unbounded proofs of FS-neuron cores under arbitrary handshakes and resets (k-induction).

A bounded check of a core under arbitrary handshakes gets expensive fast: the solver has to relate
interleaved multi-cycle computations of several vectors to the spec. This harness makes the
property *inductive* instead, by stating what every state register of the core must hold, so
SymbiYosys proves it for all time in a few steps.

The harness is Amaranth (it reads the core's registers through ``core.probe``), converted to
RTLIL and checked with ``SCRIPT``. Its parts:

* Environment: ``i.valid``, ``i.payload``, ``o.ready`` and ``rst`` are free every cycle (any
  handshake, resets at any time); inputs obey the stream rule (assumed).
* Model: a FIFO of the accepted inputs (port transfers only), reset with the core.
* Black-box properties: an output transfer needs a vector inside and equals the spec of the FIFO
  head; never more vectors inside than the core can hold; an offered output stays unchanged until
  taken.
* Invariants tying each state register to the model entry it belongs to, oldest first. The
  output register holds the spec result of ``q0`` when ``o.valid``.
  Shared core: the engine (``busy``, at step t) holds v(t+1), the sum before step t+1 and spikes
  z(1..t) of the next entry; ``xbuf`` holds the entry after that; vectors inside =
  ``o.valid + busy + xbuf_valid``; the ROM read register holds ROM[t] (ReLU: the threshold
  register is one-hot at 2^(K-1-t) << F).
  Unrolled core: a valid stage t holds v(t+1), the sum after step t and z(1..t) of the entry
  whose place is the number of valid stages after it (plus ``o.valid``); vectors inside =
  ``o.valid`` + valid stages. A shadow copy of each stage's input moves with ``i.ready`` (a
  port) and is tied to that FIFO entry, so each stage's spec is computed on one register.

The spec is the golden model's recurrence written out in wide signals (``sim.fs.fs_int_bounds``
widths plus a guard bit) from the numbers of the manifest; comparing the core's registers (in
their own widths) with it also proves that no register overflows.
"""

from amaranth import Array, Cat, ClockDomain, Elaboratable, Module, Mux, ResetSignal, Signal, signed
from amaranth.asserts import AnySeq
from amaranth.back import rtlil
from amaranth.hdl import Assert, Assume, Fragment

from gen.fsneuron.cores import lane
from gen.widths import signed_range, signed_width
from sim.fs import fs_int_bounds

__all__ = ["StreamProof", "proof_rtlil", "SCRIPT", "capacity"]

#: Yosys script of the proof: the ROM is mapped to constant logic (``memory_map; opt``), else
#: k-induction would start from arbitrary ROM contents
SCRIPT = "prep -top top; memory_map; opt"


def capacity(man):
    """Most vectors a core can hold: shared 3 (input buffer, engine, output register); unrolled
    K (K-1 stages and the output register)."""
    return 3 if man["arch"] == "shared" else man["K"]


class _Spec:
    """The K-step recurrence on one lane's input, in wide signals (``man``: the manifest).

    ``v[t]`` is v(t+1), ``acc[t]`` the sum of the first t steps, ``z[t]`` is z(t+1).
    """

    def __init__(self, m, x, man, name, steps=None):
        T, h, d = man["T"], man["h"], man["d"]
        x_lo, x_hi = signed_range(man["input"]["width"])
        b = fs_int_bounds(x_lo, x_hi, T, h, d)
        vw = signed_width(min(b["v"][0], b["T"][0]), max(b["v"][1], b["T"][1])) + 1
        aw = signed_width(*b["out"]) + 1
        self.v, self.acc, self.z = [x], [0], []
        for t in range(man["K"] if steps is None else steps):
            z = Signal(name=f"{name}_z{t + 1}")
            v = Signal(signed(vw), name=f"{name}_v{t + 2}")
            acc = Signal(signed(aw), name=f"{name}_acc{t + 1}")
            m.d.comb += [
                z.eq(self.v[t] >= T[t]),
                v.eq(Mux(z, self.v[t] - h[t], self.v[t])),
                acc.eq(Mux(z, self.acc[t] + d[t], self.acc[t])),
            ]
            self.z.append(z)
            self.v.append(v)
            self.acc.append(acc)


class StreamProof(Elaboratable):
    """Formal harness around a :class:`gen.fsneuron.SharedCore` or :class:`UnrolledCore` (or a
    broken subclass)."""

    def __init__(self, core):
        self.core = core
        # a top-level clock input: a clock tied to a constant would freeze every register and
        # make the proof vacuous (the broken-variant tests guard against that)
        self.cd = ClockDomain("sync")

    def elaborate(self, platform):
        core = self.core
        # the spec side reads the numbers the manifest publishes
        man = core.ir.manifest()
        self.man = man
        N, W = man["lanes"], man["input"]["width"]
        cap = capacity(man)
        m = Module()
        m.domains.sync = self.cd
        m.submodules.dut = Fragment.get(core, platform)    # elaborated here: probes needed
        rst = ResetSignal()

        # ---- environment -------------------------------------------------------------------
        i_payload = core.i.payload.as_value()
        o_payload = core.o.payload.as_value()
        m.d.comb += [
            rst.eq(AnySeq(1)),
            core.i.valid.eq(AnySeq(1)),
            i_payload.eq(AnySeq(N * W)),
            core.o.ready.eq(AnySeq(1)),
        ]
        take = Signal()
        give = Signal()
        m.d.comb += [take.eq(core.i.valid & core.i.ready), give.eq(core.o.valid & core.o.ready)]

        past_i_wait = Signal()          # last cycle: input offered and not taken
        past_i_payload = Signal(N * W)
        past_o_wait = Signal()          # last cycle: output offered and not taken
        past_o_payload = Signal(len(o_payload))
        m.d.sync += [
            past_i_wait.eq(core.i.valid & ~core.i.ready),
            past_i_payload.eq(i_payload),
            past_o_wait.eq(core.o.valid & ~core.o.ready),
            past_o_payload.eq(o_payload),
        ]
        with m.If(past_i_wait & ~rst):
            m.d.comb += Assume(core.i.valid & (i_payload == past_i_payload))

        # ---- model: FIFO of accepted inputs, q[0] oldest ------------------------------------
        count = Signal(range(cap + 2))
        q = Array(Signal(N * W, name=f"q{k}") for k in range(cap + 1))
        m.d.sync += count.eq(count + take - give)
        for k in range(cap + 1):
            nxt = q[k + 1] if k + 1 <= cap else q[k]
            with m.If(give):
                m.d.sync += q[k].eq(Mux(take & (count == k + 1), i_payload, nxt))
            with m.Elif(take & (count == k)):
                m.d.sync += q[k].eq(i_payload)
        self.q = q

        head = [_Spec(m, self.lane_x(q[0], n), man, f"head{n}") for n in range(N)]

        def result_is(out_struct, spec):
            return [Assert(out_struct.spikes == Cat(*spec.z)),
                    Assert(out_struct.value == spec.acc[-1])]

        with m.If(~rst):
            # ---- black-box properties --------------------------------------------------------
            m.d.comb += Assert(count <= cap)
            with m.If(give):
                m.d.comb += Assert(count != 0)
                for n in range(N):
                    m.d.comb += result_is(core.o.payload[lane(n)], head[n])
            with m.If(past_o_wait):
                m.d.comb += Assert(core.o.valid & (o_payload == past_o_payload))

            # ---- invariants ------------------------------------------------------------------
            with m.If(core.o.valid):
                for n in range(N):
                    m.d.comb += result_is(core.probe.obuf[lane(n)], head[n])
            if man["arch"] == "shared":
                self._shared_invariants(m, count)
            else:
                self._unrolled_invariants(m, count)
        return m

    def lane_x(self, word, n):
        W = self.man["input"]["width"]
        return word[n * W:(n + 1) * W].as_signed()

    def _engine_state(self, m, lanes, spec, t, spikes_at):
        """Assertions that lane registers hold step ``t`` of ``spec``: v(t+1), the sum of t
        steps, and z(1..t) at bit positions ``spikes_at(j)``."""
        out = []
        for st, sp in zip(lanes, spec):
            out += [Assert(st.v == sp.v[t]), Assert(st.acc == sp.acc[t])]
            out += [Assert(st.spk[spikes_at(j)] == sp.z[j]) for j in range(t)]
        m.d.comb += out

    def _shared_invariants(self, m, count):
        core, man = self.core, self.man
        p = core.probe
        K, N, F = man["K"], man["lanes"], man["input"]["frac"]
        eng_slot = Signal(range(4))
        buf_slot = Signal(range(4))
        m.d.comb += [eng_slot.eq(core.o.valid), buf_slot.eq(core.o.valid + p.busy)]
        eng = [_Spec(m, self.lane_x(self.q[eng_slot], n), man, f"eng{n}") for n in range(N)]

        m.d.comb += Assert(count == core.o.valid + p.busy + p.xbuf_valid)
        with m.If(p.xbuf_valid):
            m.d.comb += Assert(p.xbuf.as_value() == self.q[buf_slot])
        if p.t is not None:
            m.d.comb += Assert(p.t < K)
        with m.If(p.busy):
            if p.thr is not None:
                onehot = [p.thr == (1 << (K - 1 - t + F)) for t in range(K)]
                m.d.comb += Assert(sum(onehot) == 1)
            for t in range(K):
                at_step = (p.t == t) if p.t is not None else onehot[t]
                with m.If(at_step):
                    if p.rom_data is not None:
                        m.d.comb += [Assert(p.rom_data.T == man["T"][t]),
                                     Assert(p.rom_data.h == man["h"][t]),
                                     Assert(p.rom_data.d == man["d"][t])]
                    # z(j+1) was shifted in from the top t-j shifts ago
                    self._engine_state(m, p.lanes, eng, t, lambda j, t=t: K - t + j)

    def _unrolled_invariants(self, m, count):
        core, man = self.core, self.man
        p = core.probe
        K, N, W = man["K"], man["lanes"], man["input"]["width"]
        stages = p.stages                           # stage t = 1..K-1 at index t-1
        valid = [s.valid for s in stages]
        m.d.comb += Assert(count == core.o.valid + sum(valid, start=0))
        # shadow inputs: sx[t-1] is the input of the vector in stage t (t = K: the output
        # register); they move whenever the core takes an input (i.ready, a port), and each is
        # tied to its place in the FIFO below, so the spec of a stage is computed on one register
        sx = [Signal(N * W, name=f"sx{t}") for t in range(1, K + 1)]
        with m.If(core.i.ready):
            m.d.sync += sx[0].eq(core.i.payload.as_value())
            m.d.sync += [sx[t].eq(sx[t - 1]) for t in range(1, K)]
        with m.If(core.o.valid):
            m.d.comb += Assert(sx[K - 1] == self.q[0])
        for t in range(1, K):
            # the vectors in stages t+1..K-1 and the output register are older
            slot = Signal(range(K + 1), name=f"slot{t}")
            m.d.comb += slot.eq(core.o.valid + sum(valid[t:], start=0))
            spec = [_Spec(m, self.lane_x(sx[t - 1], n), man, f"st{t}_{n}", steps=t)
                    for n in range(N)]
            with m.If(valid[t - 1]):
                m.d.comb += Assert(sx[t - 1] == self.q[slot])
                self._engine_state(m, stages[t - 1].lanes, spec, t, lambda j: j)


def proof_rtlil(core):
    """RTLIL text of the harness around ``core`` (top module ``top``, one input ``clk``)."""
    harness = StreamProof(core)
    return rtlil.convert(harness, name="top", ports=[harness.cd.clk])
