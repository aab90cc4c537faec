"""Amaranth components of the FS-neuron core, built from an :class:`~gen.fsneuron.ir.FSCoreIR`.

Both architectures compute, per lane, K steps of::

    z(t)   = [v(t) >= T(t)]
    v(t+1) = z(t) ? v(t) - h(t) : v(t)
    value  = sum_t (z(t) ? d(t) : 0)

with ``v(1) = x``, and emit ``{spikes, value}`` where spike bit t-1 is z(t). The compare and the
subtraction run side by side and the spike selects the result, so one step is one adder-wide
carry chain plus a multiplexer.

Stream rules (both cores): one output per accepted input, in order; ``o.valid`` once high stays
high with the same payload until taken; ``i.ready`` does not depend on ``i.valid`` (it does depend
on ``o.ready`` combinationally: a full output register that is being emptied frees the core in
the same cycle, which is what allows full rate under ``o.ready`` = 1).
"""

from types import SimpleNamespace

from amaranth import Cat, Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, memory, wiring

from gen.widths import unsigned_width

from .ir import FSCoreIR

__all__ = ["FSCore", "SharedCore", "UnrolledCore", "payload_layouts", "lane", "core_class"]


def payload_layouts(ir):
    """``(input layout, output layout)`` of the stream payloads.

    Input: ``lanes`` x signed W-bit x, lane n (field ``lane<n>``) at bits ``[n*W, (n+1)*W)``.
    Output: ``lanes`` x struct {``spikes``: K bits, ``value``: signed Wout bits}, lane n (field
    ``lane<n>``) at bit ``n*(K+Wout)``, spikes in the low bits.
    """
    lane_out = data.StructLayout({"spikes": unsigned(ir.K), "value": signed(ir.Wout)})
    # Struct fields lane0, lane1, ... in order: the same bits as an ArrayLayout, but the Verilog
    # gets names like o__payload.lane0.value instead of o__payload[0].value, which collide with
    # Yosys's own bit names and crash its ABC9 mapping (YosysHQ/yosys#4349, still in 0.70)
    return (data.StructLayout({lane(n): signed(ir.W) for n in range(ir.lanes)}),
            data.StructLayout({lane(n): lane_out for n in range(ir.lanes)}))


def lane(n):
    """Field name of lane n in the payload structs."""
    return f"lane{n}"


class FSCore(wiring.Component):
    """Common base of the two FS-neuron cores: checks, signature, the spike rule.

    Parameters
    ----------
    ir : FSCoreIR
        The resolved core (:func:`gen.fsneuron.ir.resolve`).

    Members
    -------
    i : ``In(stream.Signature(StructLayout({"lane0": signed(W), ...})))``
        Input vectors.
    o : ``Out(stream.Signature(StructLayout({"lane0": StructLayout({spikes, value}), ...})))``
        Results, one per input vector, in order.
    """

    arch = None

    def __init__(self, ir):
        if not isinstance(ir, FSCoreIR):
            raise TypeError(f"expected an FSCoreIR, not {type(ir).__name__}")
        if ir.arch != self.arch:
            raise ValueError(f"{type(self).__name__} builds arch {self.arch!r}, the IR asks for "
                             f"{ir.arch!r}")
        self.ir = ir
        super().__init__(ir.signature())

    def fires(self, v, T):
        """The spike rule, ``v >= T`` (Heaviside with Theta(0) = 1)."""
        return v >= T

    def output_free(self):
        """The output register can take a result this cycle: empty, or being emptied."""
        return ~self.o.valid | self.o.ready


class SharedCore(FSCore):
    """N lanes share one parameter source; one input vector every K cycles.

    Structure::

        i ──> xbuf ──┐            ┌── ROM[t] (T, h, d), or the ReLU threshold register
              (skid) │            │  broadcast to every lane
        i ───────────┴─> engine: v[n], acc[n], spk[n], step counter t ──> obuf ──> o

    * ``xbuf`` is the second buffer: the next vector is accepted while the engine works on the
      current one. The engine loads from ``xbuf`` when it holds a vector, else straight from
      ``i`` (so an idle core adds no cycle).
    * The engine runs steps t = 0..K-1, one per cycle. In the cycle of step K-1 the result goes to
      ``obuf`` and the next vector is loaded, so back-to-back vectors need no bubble: ii = K.
    * Step K-1 stalls while ``obuf`` holds an untaken result; no other step ever stalls.
    * The ROM is a synchronous ``Memory`` read at address ``t_next`` (the value ``t`` takes at
      the edge), so its output is ROM[t] in every cycle, stalls included.
    * ReLU has no ROM: ``thr`` = 2^(K-1-t) << F is a one-hot register shifted right once per step;
      T = h = thr, d = thr >> F, and its bit F marks the last step.

    Timing with no stalls (input accepted in cycle 0 by an idle core, K = 3)::

        cycle      0      1      2      3      4
        i        x0 acc
        engine   load   t=0    t=1    t=2
        o                                    valid (x0)   latency = K + 1 = 4

    Latency K+1 and ii K as in the manifest.

    After elaboration ``probe`` holds the state registers (input buffer, engine, lanes, output
    register, step counter or threshold register, ROM read data) for the white-box formal proof
    (``tests/kit/formal/fs_proof.py``).
    """

    arch = "shared"

    def elaborate(self, platform):
        ir = self.ir
        K, N = ir.K, ir.lanes
        in_layout, out_layout = payload_layouts(ir)
        m = Module()

        # ---- handshake and control ---------------------------------------------------------
        xbuf = Signal(in_layout, reset_less=True)
        xbuf_valid = Signal()
        busy = Signal()           # the engine holds a vector
        last = Signal()           # the engine is at step K-1
        finish = Signal()         # result moves to obuf at this edge
        advance = Signal()        # step t -> t+1 at this edge
        engine_free = Signal()    # the engine can load a vector at this edge
        load = Signal()           # it does
        obuf = Signal(out_layout, reset_less=True)

        m.d.comb += [
            finish.eq(busy & last & self.output_free()),
            advance.eq(busy & ~last),
            engine_free.eq(~busy | finish),
            load.eq(engine_free & (xbuf_valid | self.i.valid)),
            self.i.ready.eq(~xbuf_valid | engine_free),
            self.o.payload.eq(obuf),
        ]

        # the second buffer: refilled when its vector moves on, filled when the engine is busy
        with m.If(xbuf_valid):
            with m.If(engine_free):
                m.d.sync += [xbuf.eq(self.i.payload), xbuf_valid.eq(self.i.valid)]
        with m.Elif(self.i.valid & ~engine_free):
            m.d.sync += [xbuf.eq(self.i.payload), xbuf_valid.eq(1)]

        with m.If(load):
            m.d.sync += busy.eq(1)
        with m.Elif(finish):
            m.d.sync += busy.eq(0)

        with m.If(finish):
            m.d.sync += self.o.valid.eq(1)
        with m.Elif(self.o.ready):
            m.d.sync += self.o.valid.eq(0)

        # ---- parameter source: T(t), h(t), d(t) of the current step, for all lanes -----------
        if ir.rom is None:
            T, h, d = self._relu_schedule(m, load, advance, last)
        else:
            T, h, d = self._rom(m, load, advance, last)

        # ---- lanes ---------------------------------------------------------------------------
        Wv, Wacc = ir.widths["v"]["width"], ir.widths["acc"]["width"]
        lanes = []
        for n in range(N):
            v = Signal(signed(Wv), name=f"v{n}", reset_less=True)          # v(t)
            acc = Signal(signed(Wacc), name=f"acc{n}", reset_less=True)    # sum before step t
            spk = Signal(K, name=f"spk{n}", reset_less=True)               # shifts in from the top
            z = Signal(name=f"z{n}")
            x = Signal(signed(ir.W), name=f"x{n}")
            m.d.comb += [
                z.eq(self.fires(v, T)),
                x.eq(Mux(xbuf_valid, xbuf[lane(n)], self.i.payload[lane(n)])),
            ]
            v_next = Signal(signed(Wv), name=f"v_next{n}")
            acc_next = Signal(signed(max(Wacc, ir.Wout)), name=f"acc_next{n}")
            spk_next = Signal(K, name=f"spk_next{n}")
            m.d.comb += [
                v_next.eq(Mux(z, v - h, v)),
                acc_next.eq(Mux(z, acc + d, acc)),
                # after K shifts z(1) sits at bit 0 and z(K) at bit K-1
                spk_next.eq(Cat(spk[1:], z)),
            ]
            with m.If(load):
                m.d.sync += [v.eq(x), acc.eq(0)]
            with m.Elif(advance):
                m.d.sync += [v.eq(v_next), acc.eq(acc_next), spk.eq(spk_next)]
            with m.If(finish):
                m.d.sync += [obuf[lane(n)].spikes.eq(spk_next),
                             obuf[lane(n)].value.eq(acc_next)]
            lanes.append(SimpleNamespace(v=v, acc=acc, spk=spk))

        # the state, for white-box verification (tests/kit/formal/fs_proof.py)
        self.probe = SimpleNamespace(xbuf=xbuf, xbuf_valid=xbuf_valid, busy=busy, obuf=obuf,
                                     lanes=lanes, **self._params_probe)
        return m

    def _rom(self, m, load, advance, last):
        """The shared ROM and step counter; returns (T, h, d) of the current step."""
        ir = self.ir
        K = ir.K
        word = data.StructLayout({"T": signed(ir.widths["rom_T"]["width"]),
                                  "h": signed(ir.widths["rom_h"]["width"]),
                                  "d": signed(ir.widths["rom_d"]["width"])})
        init = [{"T": T, "h": h, "d": d} for T, h, d in zip(ir.T, ir.h, ir.d)]
        m.submodules.rom = rom = memory.Memory(shape=word, depth=K, init=init)
        rd = rom.read_port()
        t = Signal(unsigned_width(K - 1))
        t_next = Signal.like(t)
        with m.If(load):
            m.d.comb += t_next.eq(0)
        with m.Elif(advance):
            m.d.comb += t_next.eq(t + 1)
        with m.Else():
            m.d.comb += t_next.eq(t)
        m.d.sync += t.eq(t_next)
        # rd.data at a cycle is ROM[address of the cycle before] = ROM[t]
        m.d.comb += [rd.addr.eq(t_next), last.eq(t == K - 1)]
        self._params_probe = {"t": t, "rom_data": rd.data, "thr": None}
        return rd.data.T, rd.data.h, rd.data.d

    def _relu_schedule(self, m, load, advance, last):
        """The ReLU threshold register: T = h = 2^(K-1-t) << F, d = 2^(K-1-t)."""
        ir = self.ir
        K, F = ir.K, ir.F
        first = 1 << (K - 1 + F)
        thr = Signal(K + F, init=first)      # one-hot: also the step counter
        with m.If(load):
            m.d.sync += thr.eq(first)
        with m.Elif(advance):
            m.d.sync += thr.eq(thr >> 1)
        m.d.comb += last.eq(thr[F])
        self._params_probe = {"t": None, "rom_data": None, "thr": thr}
        return thr, thr, thr[F:]


class UnrolledCore(FSCore):
    """K pipeline stages, each with its own constants; one input vector per clock.

    Stage t (t = 1..K) computes step t from the previous stage's registers (stage 1 from the
    input port) and registers v(t+1), the running sum and t spike bits; stage K's register is the
    output register. All stages advance together when the output register is free (a global
    enable), so a stalled output holds the whole pipeline and nothing is lost or duplicated.

    Timing with no stalls (K = 3)::

        cycle      0       1       2       3
        i        x0 acc  x1 acc  x2 acc
        stage 1          x0      x1      x2
        stage 2                  x0      x1
        o (st 3)                         x0 valid     latency = K = 3, ii = 1

    After elaboration ``probe`` holds the stage registers and the output register for the
    white-box formal proof (``tests/kit/formal/fs_proof.py``).
    """

    arch = "unrolled"

    def elaborate(self, platform):
        ir = self.ir
        K, N = ir.K, ir.lanes
        _, out_layout = payload_layouts(ir)
        m = Module()

        enable = Signal()
        m.d.comb += [enable.eq(self.output_free()), self.i.ready.eq(enable)]

        obuf = Signal(out_layout, reset_less=True)
        m.d.comb += self.o.payload.eq(obuf)

        stages = []                 # stage t's registers, t = 1..K-1
        prev_valid = self.i.valid
        prev = [{"v": self.i.payload[lane(n)], "acc": None, "spk": None} for n in range(N)]
        for t in range(1, K + 1):
            T, h, d = ir.T[t - 1], ir.h[t - 1], ir.d[t - 1]
            final = t == K
            if final:
                valid = self.o.valid
            else:
                valid = Signal(name=f"s{t}_valid")
            m.d.sync += valid.eq(Mux(enable, prev_valid, valid))
            cur = []
            for n in range(N):
                p = prev[n]
                z = Signal(name=f"s{t}_z{n}")
                m.d.comb += z.eq(self.fires(p["v"], Const(T)))
                acc_next = Mux(z, d, 0) if p["acc"] is None else Mux(z, p["acc"] + d, p["acc"])
                spk_next = z if p["spk"] is None else Cat(p["spk"], z)   # bit t-1 = z(t)
                if final:
                    with m.If(enable):
                        m.d.sync += [obuf[lane(n)].spikes.eq(spk_next),
                                     obuf[lane(n)].value.eq(acc_next)]
                    continue
                v = Signal(signed(ir.widths[f"v{t + 1}"]["width"]), name=f"s{t}_v{n}",
                           reset_less=True)
                acc = Signal(signed(ir.widths[f"acc{t}"]["width"]), name=f"s{t}_acc{n}",
                             reset_less=True)
                spk = Signal(t, name=f"s{t}_spk{n}", reset_less=True)
                with m.If(enable):
                    m.d.sync += [v.eq(Mux(z, p["v"] - h, p["v"])), acc.eq(acc_next),
                                 spk.eq(spk_next)]
                cur.append({"v": v, "acc": acc, "spk": spk})
            if not final:
                stages.append(SimpleNamespace(valid=valid, lanes=[SimpleNamespace(**c)
                                                                  for c in cur]))
            prev, prev_valid = cur, valid

        # the state, for white-box verification (tests/kit/formal/fs_proof.py)
        self.probe = SimpleNamespace(stages=stages, obuf=obuf)
        return m


def core_class(arch):
    """The component class of an architecture name."""
    return {"shared": SharedCore, "unrolled": UnrolledCore}[arch]
