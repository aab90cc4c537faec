"""Formal checks of FS-neuron cores: the golden rule, white-box lemmas, ready-made harnesses.

* :class:`FSGolden`: the golden model's K-step recurrence ``if (v >= T) {v -= h; acc += d;
  spike}`` for every lane, in wide signals (``sim.fs.fs_int_bounds`` widths plus a guard bit,
  not the generator's own width analysis) from the numbers of the *manifest*; comparing a core's
  outputs (and registers) with it also proves that nothing overflows.
* Shared core (:class:`~gen.fsneuron.SharedCore`): :class:`~formal.contract.FifoModel` of
  capacity 3 (input buffer, engine, output register). Lemmas tie every state register to its
  model entry, oldest first: the output register holds the result of ``q0`` when ``o.valid``;
  the engine (``busy``, at step t) holds v(t+1), the sum before step t+1 and spikes z(1..t) of
  the next entry; the input buffer holds the entry after that; inputs inside = ``o.valid +
  busy + xbuf_valid``; the ROM read register holds ROM[t] (ReLU: the threshold register is
  one-hot at 2^(K-1-t) << F).
* Unrolled core (:class:`~gen.fsneuron.UnrolledCore`): :class:`~formal.contract.PipelineModel`
  of K stages. Lemmas: the stage valid bits are the shadow's, and a valid stage t holds v(t+1),
  the sum after step t and z(1..t) of its shadow input.

:func:`white_box` builds the harness around an Amaranth core (``prove``, any handshake);
:func:`black_box` around the generated Verilog, from the manifest alone (shared cores:
:class:`~formal.contract.WatchModel`, for ``bmc``; unrolled cores: the pipeline model).
"""

from amaranth import Cat, Mux, Signal, signed
from amaranth.hdl import Assert

from gen.widths import signed_range, signed_width
from sim.fs import fs_int_bounds

from .contract import FifoModel, PipelineModel, StreamContract, VerilogCore, WatchModel, view

__all__ = ["FSGolden", "capacity", "white_box", "black_box"]


def capacity(man):
    """Most vectors a core can hold: shared 3 (input buffer, engine, output register); unrolled
    K (K-1 stages and the output register)."""
    return 3 if man["arch"] == "shared" else man["K"]


def lane(n):
    return f"lane{n}"


class _Recurrence:
    """The K-step recurrence on one lane's input ``x`` in wide signals.

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


class FSGolden:
    """The golden rule of an FS-neuron core with manifest ``man``: ``golden(m, x, y)`` holds when
    every lane of ``y`` is ``{spikes: z(1..K), value: sum}`` of the same lane of ``x``."""

    def __init__(self, man):
        self.man = man
        self._count = 0

    def recurrence(self, m, x, name, steps=None):
        """The recurrence on one lane's input value ``x`` (``steps`` of it, default K)."""
        return _Recurrence(m, x, self.man, name, steps)

    def __call__(self, m, x, y):
        self._count += 1
        out = []
        for n in range(self.man["lanes"]):
            spec = self.recurrence(m, x[lane(n)], f"golden{self._count}_{n}")
            out += [y[lane(n)]["spikes"] == Cat(*spec.z), y[lane(n)]["value"] == spec.acc[-1]]
        return out


def _engine_state(m, lanes, spec, t, spikes_at):
    """Assertions that lane registers hold step ``t`` of ``spec``: v(t+1), the sum of t steps,
    and z(1..t) at bit positions ``spikes_at(j)``."""
    out = []
    for st, sp in zip(lanes, spec):
        out += [Assert(st.v == sp.v[t]), Assert(st.acc == sp.acc[t])]
        out += [Assert(st.spk[spikes_at(j)] == sp.z[j]) for j in range(t)]
    m.d.comb += out


def _shared_lemmas(golden):
    def lemmas(m, c):
        core, man, q = c.core, golden.man, c.model.q
        p = core.probe
        K, N, F = man["K"], man["lanes"], man["input"]["frac"]
        in_shape = core.i.payload.shape()
        eng_slot, buf_slot = Signal(range(4)), Signal(range(4))
        m.d.comb += [eng_slot.eq(core.o.valid), buf_slot.eq(core.o.valid + p.busy)]
        eng_x = view(in_shape, q[eng_slot])
        eng = [golden.recurrence(m, eng_x[lane(n)], f"eng{n}") for n in range(N)]
        with m.If(~c.rst):
            m.d.comb += Assert(c.model.count == core.o.valid + p.busy + p.xbuf_valid)
            with m.If(p.xbuf_valid):
                m.d.comb += Assert(p.xbuf.as_value() == q[buf_slot])
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
                        _engine_state(m, p.lanes, eng, t, lambda j, t=t: K - t + j)
    return lemmas


def _unrolled_lemmas(golden):
    def lemmas(m, c):
        core, man, model = c.core, golden.man, c.model
        model.stage_lemmas(m, c, core.pipe)
        in_shape = core.i.payload.shape()
        for t, stage in enumerate(core.probe.stages, start=1):
            x = view(in_shape, model.data[t - 1])
            spec = [golden.recurrence(m, x[lane(n)], f"st{t}_{n}", steps=t)
                    for n in range(man["lanes"])]
            with m.If(~c.rst & model.valid[t - 1]):
                _engine_state(m, stage.lanes, spec, t, lambda j: j)
    return lemmas


def white_box(core):
    """The contract with lemmas around an Amaranth FS core (or a broken subclass), for
    ``prove`` (any handshake, unbounded) and ``bmc`` (a concrete trace of a broken core)."""
    man = core.ir.manifest()
    golden = FSGolden(man)
    if man["arch"] == "shared":
        model, lemmas = FifoModel(capacity(man)), _shared_lemmas(golden)
    else:
        model, lemmas = PipelineModel(man["latency"]), _unrolled_lemmas(golden)
    return StreamContract(core, golden, model, lemmas=lemmas, elaborate_core=True)


def black_box(man, **contract):
    """The contract around the generated Verilog of manifest ``man`` (no lemmas; ``contract``:
    the environment options of :class:`~formal.contract.StreamContract`).

    Shared cores: :class:`~formal.contract.WatchModel` (for ``bmc``). Unrolled cores: the
    pipeline model; with ``o_ready="high"`` everything is determined by the last ``latency``
    cycles, so ``prove`` with depth ``latency + 2`` covers all inputs for all time.
    """
    model = WatchModel(capacity(man)) if man["arch"] == "shared" else PipelineModel(man["latency"])
    return StreamContract(VerilogCore(man), FSGolden(man), model, **contract)
