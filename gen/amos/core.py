"""The AMOS core: K threshold gates, fully pipelined, one input per clock.

Pipeline (latency K + 2, ii = 1)::

    i ──> [products] ──> [thresholds] ──> [gate 1] ──> [gate 2] ──> ... ──> [gate K] ──> o
          p_i = c_i x     acc_i = p_i      z_1 = [acc_1 >= 0]          z_K = [acc_K >= 0]
          (+ c'_i y)        - T_i          acc_k -= h_k1 z_1, k > 1    value += d_K z_K
                                           value  = d_1 z_1

Gate i's accumulator is carried down the pipeline and every earlier gate j subtracts its
inhibition h[i][j] as soon as z_j is known, so each gate stage is one sign test, one
subtract-and-select per later gate, and one add for the output: a carry chain deep, whatever K.
When gate i's stage is reached acc_i = c_i x [+ c'_i y] - sum_{j<i} h[i][j] z_j - T_i exactly
(the integer model, :func:`sim.amos.amos_int`), and z_i is its sign bit.

Flow control: all stages move together. The pipeline advances when the output register is empty
or being read (``advance = ~o.valid | o.ready``) and the input is ready exactly then, so a stall
freezes every stage (the output keeps its payload until taken) and nothing is lost or
duplicated; with ``o.ready`` high it takes one input per clock. Valid bits follow the data, so
gaps in ``i.valid`` travel down as bubbles. Only the valid bits are reset; the data registers
are reset-less (a bubble's data is never looked at).

Widths come from :class:`gen.amos.ir.AmosIR`: each product and accumulator register is exactly
as wide as its value range over every W-bit input and every spike pattern
(:func:`sim.amos.amos_int_bounds`); Amaranth truncates an assignment to the register width,
which loses nothing because the range was proved to fit.
"""

from amaranth import Cat, Module, Mux, Signal, signed, unsigned
from amaranth.lib import wiring

from .ir import AmosIR

__all__ = ["AmosCore"]


class AmosCore(wiring.Component):
    """A pipelined AMOS unit as an Amaranth component.

    Parameters
    ----------
    ir : AmosIR
        The resolved core (:func:`gen.amos.ir.build_ir`).

    Attributes
    ----------
    i : stream, In
        Payload: signed W-bit x, or the struct {x, y} (x in the low bits) for two inputs.
    o : stream, Out
        Payload: struct {``spikes``: K bits, bit i-1 = z_i; ``value``: signed Wout bits}.
    """

    def __init__(self, ir):
        if not isinstance(ir, AmosIR):
            raise TypeError(f"AmosCore needs an AmosIR, not {type(ir).__name__}")
        self.ir = ir
        K = ir.K
        super().__init__(ir.signature())

        # Pipeline registers, declared here (not in elaborate) so that a formal harness can
        # state invariants about each stage.
        def reg(shape, name):
            return Signal(shape, name=name, reset_less=True)

        acc_w = ir.acc_widths
        # stage "products"
        self.prod_valid = Signal(name="prod_valid")
        self.prod_x = [reg(signed(w), f"prod_x{i + 1}") for i, w in enumerate(ir.prod_x_widths)]
        self.prod_y = None
        if ir.two_input:
            self.prod_y = [reg(signed(w), f"prod_y{i + 1}")
                           for i, w in enumerate(ir.prod_y_widths)]
        # stage "thresholds": every accumulator before any inhibition
        self.thr_valid = Signal(name="thr_valid")
        self.thr_acc = [reg(signed(acc_w[i]), f"thr_acc{i + 1}") for i in range(K)]
        # stage "gate g" (g = 1..K): z_1..z_g, the partial output, accumulators of gates > g
        self.gate_valid = [Signal(name=f"g{g}_valid") for g in range(1, K + 1)]
        self.gate_z = [reg(unsigned(g), f"g{g}_z") for g in range(1, K + 1)]
        self.gate_value = [reg(signed(ir.out_width), f"g{g}_value") for g in range(1, K + 1)]
        self.gate_acc = [{k: reg(signed(acc_w[k - 1]), f"g{g}_acc{k}")
                          for k in range(g + 1, K + 1)}
                         for g in range(1, K + 1)]

    def fires(self, acc):
        """z = [acc >= 0], Theta(0) = 1: the sign bit of acc, clear."""
        return ~acc[-1]

    def elaborate(self, platform):
        m = Module()
        ir = self.ir
        K = ir.K

        # Flow control: one enable for the whole pipeline.
        advance = Signal()
        m.d.comb += advance.eq(~self.o.valid | self.o.ready)
        m.d.comb += self.i.ready.eq(advance)

        if ir.two_input:
            x, y = self.i.payload.x, self.i.payload.y
        else:
            x, y = self.i.payload, None

        with m.If(advance):
            # Products: p_i = c_i x (+ c'_i y); constant multiplications.
            m.d.sync += self.prod_valid.eq(self.i.valid)
            for i in range(K):
                m.d.sync += self.prod_x[i].eq(x * ir.c[i])
                if y is not None:
                    m.d.sync += self.prod_y[i].eq(y * ir.c2[i])

            # Thresholds: acc_i = p_i - T_i.
            m.d.sync += self.thr_valid.eq(self.prod_valid)
            for i in range(K):
                total = self.prod_x[i]
                if y is not None:
                    total = total + self.prod_y[i]
                m.d.sync += self.thr_acc[i].eq(total - ir.T[i])

            # Gates: stage g decides z_g from the sign of its (now complete) accumulator and
            # passes the inhibition h[k][g] on to every later accumulator k.
            prev_valid, prev_acc = self.thr_valid, dict(enumerate(self.thr_acc, start=1))
            prev_z, prev_value = None, None
            for g in range(1, K + 1):
                z = Signal(name=f"z{g}")
                m.d.comb += z.eq(self.fires(prev_acc[g]))
                m.d.sync += self.gate_valid[g - 1].eq(prev_valid)
                # spikes so far: bit g-1 is z_g
                m.d.sync += self.gate_z[g - 1].eq(z if prev_z is None else Cat(prev_z, z))
                # output so far: value += d_g z_g
                d_g = ir.d[g - 1]
                if prev_value is None:
                    m.d.sync += self.gate_value[g - 1].eq(Mux(z, d_g, 0))
                else:
                    m.d.sync += self.gate_value[g - 1].eq(Mux(z, prev_value + d_g, prev_value))
                # later gates: acc_k -= h[k][g] z_g
                for k, acc_next in self.gate_acc[g - 1].items():
                    h_kg = ir.h[k - 1][g - 1]
                    if h_kg:
                        m.d.sync += acc_next.eq(Mux(z, prev_acc[k] - h_kg, prev_acc[k]))
                    else:
                        m.d.sync += acc_next.eq(prev_acc[k])
                prev_valid, prev_acc = self.gate_valid[g - 1], self.gate_acc[g - 1]
                prev_z, prev_value = self.gate_z[g - 1], self.gate_value[g - 1]

        # The last gate's registers are the output register.
        m.d.comb += [
            self.o.valid.eq(self.gate_valid[K - 1]),
            self.o.payload.spikes.eq(self.gate_z[K - 1]),
            self.o.payload.value.eq(self.gate_value[K - 1]),
        ]
        return m
