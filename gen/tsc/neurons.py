"""The TSC core's neuron stage, one per mode: what a step's last beat does to the L neurons.

Each stage gets the L currents (stage 6's registers), ``update`` (a step's last beat leaves
the stage this cycle: the neurons take the step) and ``clear`` (a frame's first beat updates
the currents this cycle), and returns the L pos and L neg bits of the step (combinational,
from the state before ``update``). ``clear`` wins over ``update``: any step before the frame's
first one has passed this stage by now (in this very cycle at the latest, and that update is
computed from the old state before the clear lands).

* :func:`stream_neurons` -- :class:`sim.tsc.TSCLayer`: ``U = V + I``, threshold, soft reset,
  pos at the first crossing, neg at the first step without one.
* :func:`framed_neurons` -- :class:`sim.tsc.FramedTSCLayer`: ``V += I`` (no threshold), and
  the emission of the previous frame's V from the output register H.
"""

from amaranth import Cat, Const, Mux, Signal, signed

__all__ = ["stream_neurons", "framed_neurons", "NEURON_STAGES"]


def stream_neurons(core, m, currents, update, clear):
    """Membranes, threshold, soft reset and the pos/neg protocol of the stream mode."""
    L, wV = core.neurons, core.membrane_width
    membranes = [Signal(signed(wV), name=f"membrane_{l}") for l in range(L)]
    firing, done = Signal(L), Signal(L)
    fire_pos, fire_neg = Signal(L), Signal(L)
    next_firing, next_done = Signal(L), Signal(L)
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
        not_theta = Const(~core.threshold[l] & ((1 << wD) - 1), wD)   # -theta - 1
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
        with m.If(clear):
            m.d.sync += membranes[l].eq(0)
        with m.Elif(update):
            # soft reset; the register keeps the low wV bits (exact within the bounds)
            m.d.sync += membranes[l].eq(Mux(s, diff[:wV], u[:wV]))
    with m.If(clear):
        m.d.sync += [firing.eq(0), done.eq(0)]
    with m.Elif(update):
        m.d.sync += [firing.eq(next_firing), done.eq(next_done)]
    return fire_pos, fire_neg


def framed_neurons(core, m, currents, update, clear):
    """Integration ``V += I`` and the emission of the previous frame's V from H.

    The frame clear hands V over to H: the V of the frame's last step, which is ``V + I`` when
    that step takes its update in this very cycle. The emission step counter t restarts there
    and stops at N - 1, where a neuron still on emits ``neg``.
    """
    L, wV, N = core.neurons, core.membrane_width, core.frame_steps
    membranes = [Signal(signed(wV), name=f"membrane_{l}") for l in range(L)]
    held = [Signal(signed(wV), name=f"held_{l}") for l in range(L)]
    on, done = Signal(L), Signal(L)
    fire_pos, fire_neg = Signal(L), Signal(L)
    next_on, next_done = Signal(L), Signal(L)
    step = Signal(range(N), name="emit_step")
    last = Signal(name="emit_last")
    m.d.comb += last.eq(step == N - 1)
    for l in range(L):
        # V + I and H - theta: two independent carry chains, both exact (wV + 1 bits)
        u = Signal(signed(wV + 1), name=f"u_{l}")
        diff = Signal(signed(wV + 1), name=f"diff_{l}")
        s, fire, drop, on_now, cut = (Signal(name=f"{n}_{l}")
                                      for n in ("s", "fire", "drop", "on_now", "cut"))
        m.d.comb += [
            u.eq(membranes[l] + currents[l]),
            diff.eq(held[l] - core.threshold[l]),
            s.eq(diff >= 0),                                    # H >= theta
            fire.eq(s & ~done[l]),
            drop.eq(on[l] & ~s),
            on_now.eq((on[l] | fire) & ~drop),
            cut.eq(on_now & last),
            fire_pos[l].eq(fire & ~on[l]),
            fire_neg[l].eq(drop | cut),
            next_on[l].eq(on_now & ~cut),
            next_done[l].eq(done[l] | drop | cut),
        ]
        with m.If(clear):
            m.d.sync += [membranes[l].eq(0),
                         held[l].eq(Mux(update, u[:wV], membranes[l]))]
        with m.Elif(update):
            m.d.sync += [membranes[l].eq(u[:wV]),                # wraps at wV bits
                         held[l].eq(Mux(fire, diff[:wV], held[l]))]
    with m.If(clear):
        m.d.sync += [on.eq(0), done.eq(0), step.eq(0)]
    with m.Elif(update):
        m.d.sync += [on.eq(next_on), done.eq(next_done), step.eq(Mux(last, step, step + 1))]
    return fire_pos, fire_neg


#: mode -> neuron stage.
NEURON_STAGES = {"stream": stream_neurons, "framed": framed_neurons}
