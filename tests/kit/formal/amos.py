"""Formal checks of AMOS cores: the golden rule and the white-box stage lemmas.

The core is a stall-together pipeline (:class:`gen.pipeline.Pipeline`, latency K + 2), so the
reference model is :class:`~formal.contract.PipelineModel`: every input comes out exactly K + 2
enabled cycles later, ``i.ready = o.ready | ~o.valid``, and a valid output is the golden output
of its input, under any handshake and resets (:class:`~formal.contract.StreamContract`).

The golden rule is combinational: for ReLU cores the ReLU definition itself (value =
clamp(x, 0, 2^K - 1), spikes = its binary digits, most significant first), else the integer
AMOS recurrence gate after gate (the semantics of :func:`sim.amos.amos_int`).

To make the contract inductive (a stalled pipeline can sit in any state for any time, so
k-induction on the ports alone never closes) every stage gets a lemma: its valid bit is the
shadow's and its registers hold exactly the partial results of the spec for its shadow input.
The lemmas hold on every reachable state and make the contract 1-inductive.

``PYTHONPATH=tests/kit python -m formal.amos --act silu`` (from the repository root) proves
one core.
"""

from amaranth import Cat, Mux
from amaranth.hdl import Assert

from .contract import PipelineModel, StreamContract, view

__all__ = ["relu_spec", "generic_spec", "AmosGolden", "white_box"]


def relu_spec(K, x):
    """Spikes of the analytic ReLU unit: the binary digits of clamp(x, 0, 2^K - 1), gate i
    carrying the digit of weight 2^(K-i), and the clamped value. Written from the ReLU
    definition, not the AMOS recurrence."""
    top = (1 << K) - 1
    clamped = Mux(x < 0, 0, Mux(x > top, top, x))
    return [clamped[K - i] for i in range(1, K + 1)], clamped


def generic_spec(ir, x, y=None):
    """Spikes of the integer AMOS recurrence, combinational (gate after gate)."""
    zs = []
    for i in range(ir.K):
        zs.append(_acc(ir, i, x, y, zs, i) >= 0)
    return zs


def _acc(ir, k, x, y, zs, upto):
    """acc_k after the inhibition of gates 1..upto: c_k x [+ c'_k y] - T_k - sum h[k][j] z_j."""
    acc = x * ir.c[k] - ir.T[k]
    if y is not None:
        acc = acc + y * ir.c2[k]
    for j in range(upto):
        if ir.h[k][j]:
            acc = acc - Mux(zs[j], ir.h[k][j], 0)
    return acc


def _inputs(ir, x):
    """(x, y) of an input payload view (y is None for one-input cores)."""
    return (x.x, x.y) if ir.two_input else (x, None)


class AmosGolden:
    """The golden rule of AMOS core ``ir``: ``golden(m, x, y)``; ``relu`` checks against the
    ReLU definition instead of the recurrence."""

    def __init__(self, ir, relu=False):
        self.ir, self.relu = ir, relu

    def spikes(self, x, y):
        if self.relu:
            return relu_spec(self.ir.K, x)[0]
        return generic_spec(self.ir, x, y)

    def __call__(self, m, x, out):
        ir = self.ir
        x, y = _inputs(ir, x)
        zs = self.spikes(x, y)
        if self.relu:
            value = relu_spec(ir.K, x)[1]
        else:
            value = sum(Mux(zs[j], ir.d[j], 0) for j in range(ir.K))
        return [out.spikes == Cat(*zs), out.value == value]


def _stage_lemmas(golden):
    def lemmas(m, c):
        dut, model, ir = c.core, c.model, golden.ir
        K = ir.K
        model.stage_lemmas(m, c, dut.pipe)
        shape = dut.i.payload.shape()
        # stage s (1-based) holds shadow input model.data[s - 1]
        xs = [_inputs(ir, view(shape, d)) for d in model.data]
        two = ir.two_input
        with m.If(~c.rst & model.valid[0]):
            x, y = xs[0]
            for k in range(K):
                m.d.comb += Assert(dut.prod_x[k] == x * ir.c[k])
                if two:
                    m.d.comb += Assert(dut.prod_y[k] == y * ir.c2[k])
        with m.If(~c.rst & model.valid[1]):
            x, y = xs[1]
            for k in range(K):
                m.d.comb += Assert(dut.thr_acc[k] == _acc(ir, k, x, y, None, 0))
        for g in range(1, K + 1):
            x, y = xs[1 + g]
            zs = golden.spikes(x, y)
            with m.If(~c.rst & model.valid[1 + g]):
                m.d.comb += Assert(dut.gate_z[g - 1] == Cat(*zs[:g]))
                value = sum(Mux(zs[j], ir.d[j], 0) for j in range(g))
                m.d.comb += Assert(dut.gate_value[g - 1] == value)
                for k, acc in dut.gate_acc[g - 1].items():
                    m.d.comb += Assert(acc == _acc(ir, k - 1, x, y, zs, g))
    return lemmas


def white_box(core, relu=False):
    """The contract with stage lemmas around an Amaranth AMOS core (or a broken subclass)."""
    golden = AmosGolden(core.ir, relu)
    return StreamContract(core, golden, PipelineModel(core.ir.latency),
                          lemmas=_stage_lemmas(golden))


def main(argv=None):
    """``PYTHONPATH=tests/kit python -m formal.amos [--act silu] [--K 12] [--Q 8]`` (from the
    repository root): prove one core."""
    import time
    from pathlib import Path

    from common.checks import arg, check_int
    from common.cli import ArgumentParser
    from gen.amos import AmosCore, build_ir

    from .sby import run_sby

    p = ArgumentParser(prog="python -m formal.amos",
                       description="Prove an AMOS core against its spec (k-induction).")
    p.add_argument("--act", default="silu")
    p.add_argument("--K", type=arg(check_int, "--K", 1), default=None)
    p.add_argument("--Q", type=arg(check_int, "--Q", 1), default=None)
    args = p.parse_args(argv)
    ir = build_ir(args.act, K=args.K, Q=args.Q)
    root = Path(__file__).resolve().parents[3]
    t0 = time.time()
    result = run_sby(root / "build" / "formal" / ir.name,
                     white_box(AmosCore(ir), relu=ir.activation == "relu"),
                     mode="prove", depth=2)
    print(f"{ir.name}: {'PROVED' if result.passed else result.status} in "
          f"{time.time() - t0:.0f} s")
    if not result.passed:
        print(result.log)
    return 0 if result.passed else 1


if __name__ == "__main__":
    from common.cli import main_wrapper

    raise SystemExit(main_wrapper(main))
