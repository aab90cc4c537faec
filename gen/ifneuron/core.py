"""The rate-coded IF neuron as an Amaranth component (built from an :class:`IFCoreIR`)."""

from amaranth import Module, Mux, Signal
from amaranth.lib import wiring

from gen.widths import unsigned_width

__all__ = ["IFNeuron"]


class IFNeuron(wiring.Component):
    """Rate-coded IF neuron core, one value per 2^K - 1 cycles (one step per cycle).

    Parameters
    ----------
    ir : IFCoreIR
        The resolved core (K, input width, theta), checked by :func:`gen.ifneuron.ir.resolve`.

    Ports: ``i`` (payload: signed W-bit x), ``o`` (payload: struct {``value``: unsigned K-bit
    spike count}). One output per accepted input, in order; the next input is accepted in the
    cycle of the previous value's last step, so ``ii = 2^K - 1`` and ``latency = 2^K`` cycles.
    """

    def __init__(self, ir):
        self.ir = ir
        super().__init__(ir.signature())

    def elaborate(self, platform):
        m = Module()
        K, theta, N = self.ir.K, self.ir.theta, self.ir.steps
        # The input current is clamped to [0, theta] when accepted: a step can fire at most
        # once, so any x >= theta fires every step (count N) and any x <= 0 never fires
        # (count 0), exactly as the unclamped neuron (and the model sim.ifneuron.if_int) does.
        # With the clamp the membrane stays in [0, theta) after every step and v + x_c <
        # 2 theta, so the sum's width comes from 2 theta - 1.
        x_c = Signal(range(theta + 1))
        v = Signal(unsigned_width(theta - 1))
        count = Signal(K)                   # at most N = 2^K - 1 spikes: K bits
        step = Signal(unsigned_width(N))    # steps still to run in this value
        busy = Signal()

        # integrate, fire, soft reset
        s_sum = Signal(unsigned_width(2 * theta - 1))
        fire = Signal()
        v_next = Signal.like(v)
        m.d.comb += [s_sum.eq(v + x_c), fire.eq(s_sum >= theta),
                     v_next.eq(Mux(fire, s_sum - theta, s_sum))]

        last = Signal()
        out_free = Signal()
        advance = Signal()                  # run a step this cycle
        m.d.comb += [last.eq(busy & (step == 1)), out_free.eq(~self.o.valid | self.o.ready),
                     advance.eq(busy & (~last | out_free))]

        with m.If(self.o.valid & self.o.ready):
            m.d.sync += self.o.valid.eq(0)
        with m.If(advance):
            m.d.sync += [v.eq(v_next), count.eq(count + fire), step.eq(step - 1)]
            with m.If(last):
                # the last step's spike goes straight into the output register
                m.d.sync += [self.o.payload.value.eq(count + fire), self.o.valid.eq(1),
                             busy.eq(0)]

        # accept when idle, or in the cycle the last step retires (so ii = N)
        m.d.comb += self.i.ready.eq(~busy | (last & out_free))
        with m.If(self.i.valid & self.i.ready):
            with m.If(self.i.payload <= 0):
                m.d.sync += x_c.eq(0)
            with m.Elif(self.i.payload >= theta):
                m.d.sync += x_c.eq(theta)
            with m.Else():
                m.d.sync += x_c.eq(self.i.payload)
            m.d.sync += [v.eq(0), count.eq(0), step.eq(N), busy.eq(1)]
        return m
