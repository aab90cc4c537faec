"""The stream handshake of generated cores, recorded from a real simulation.

:func:`trace` runs a core in the Amaranth simulator with a fixed pattern of input gaps and
output back-pressure and records, per cycle, what a waveform viewer would show: ``i.valid``,
``i.ready``, the input value, ``o.valid``, ``o.ready`` and the output value (a transfer happens
on a rising edge where valid and ready are both high). :func:`markdown` and :func:`plot` render
the same trace as a table and as a PNG timing diagram for docs/integration.md.
"""

from amaranth import Value
from amaranth.sim import Simulator

from common.payload import unpack
from gen.core import ports_of

__all__ = ["trace", "markdown", "plot", "CASES"]


def _fs_relu():
    from gen.fsneuron import FSConfig, resolve

    return resolve(FSConfig(act="relu", K=4))


def _amos_relu():
    from gen.amos import build_ir

    return build_ir("relu", K=4)


#: (title, IR builder, inputs, i.valid pattern, o.ready pattern): patterns repeat per cycle
CASES = (
    ("FS ReLU K=4, shared (ii = K = 4, latency K+1 = 5)", _fs_relu, [3, 9, 14],
     "1111111111111111", "1111111110001111"),
    ("AMOS ReLU K=4 (ii = 1, latency K+2 = 6)", _amos_relu, [3, 9, 14, 5],
     "11011100000000", "11111111100111"),
)


def _value(layout, bits):
    """The number a payload carries for the trace: its ``value`` (lane 0's), or the whole
    payload when it is a plain number."""
    v = unpack(layout, bits)
    while isinstance(v, dict):
        v = v.get("value", v.get("lane0", next(iter(v.values()))))
    return v


def trace(ir, inputs, valid_pattern, ready_pattern):
    """Per-cycle records of a core's two streams.

    Parameters
    ----------
    ir : CoreIR
        The core (its component is simulated).
    inputs : list of int
        Input values, sent in order when ``valid_pattern`` allows.
    valid_pattern, ready_pattern : str
        ``"1"``/``"0"`` per cycle: whether the source offers its next input, whether the sink
        is ready. The trace runs for ``len(ready_pattern)`` cycles.

    Returns
    -------
    list of dict
        ``cycle``, ``i_valid``, ``i_ready``, ``x``, ``o_valid``, ``o_ready``, ``y``.
    """
    dut = ir.component()
    ports = ports_of(ir.signature())
    in_layout, out_layout = ports["i"]["payload"], ports["o"]["payload"]
    records = []

    async def bench(ctx):
        sent = 0
        for cycle, (v, r) in enumerate(zip(valid_pattern, ready_pattern)):
            offer = v == "1" and sent < len(inputs)
            x = inputs[min(sent, len(inputs) - 1)]
            ctx.set(dut.i.valid, offer)
            ctx.set(Value.cast(dut.i.payload), _pack_value(in_layout, x))
            ctx.set(dut.o.ready, r == "1")
            _, _, iv, ir_, ov, orr, op = await ctx.tick().sample(
                dut.i.valid, dut.i.ready, dut.o.valid, dut.o.ready, Value.cast(dut.o.payload))
            records.append({"cycle": cycle, "i_valid": int(iv), "i_ready": int(ir_),
                            "x": x if iv else None, "o_valid": int(ov), "o_ready": int(orr),
                            "y": _value(out_layout, op) if ov else None})
            if iv and ir_:
                sent += 1

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return records


def _pack_value(layout, x):
    from common.payload import pack

    if "fields" in layout:
        return pack(layout, {f["name"]: x if "fields" not in f else _zero(f)
                             for f in layout["fields"]})
    return pack(layout, x)


def _zero(layout):
    return {f["name"]: 0 for f in layout["fields"]}


def markdown(title, records):
    """The trace as a markdown table (one column per cycle)."""
    def row(name, key, fmt=str):
        return f"| {name} | " + " | ".join(fmt(r[key]) for r in records) + " |"
    head = "| cycle | " + " | ".join(str(r["cycle"]) for r in records) + " |"
    sep = "|---" * (len(records) + 1) + "|"

    def val(v):
        return "" if v is None else str(v)
    return "\n".join([f"**{title}**", "", head, sep, row("i.valid", "i_valid"),
                      row("i.ready", "i_ready"), row("x", "x", val), row("o.valid", "o_valid"),
                      row("o.ready", "o_ready"), row("value", "y", val)]) + "\n"


def plot(cases):
    """PNG bytes: one timing diagram per ``(title, records)``."""
    import io

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(cases), 1, figsize=(11, 2.6 * len(cases)), dpi=100,
                             squeeze=False)
    signals = [("i.valid", "i_valid"), ("i.ready", "i_ready"), ("o.valid", "o_valid"),
               ("o.ready", "o_ready")]
    for ax, (title, records) in zip(axes[:, 0], cases):
        n = len(records)
        for k, (name, key) in enumerate(signals):
            base = (len(signals) - k) * 1.5 + 1.5
            xs, ys = [], []
            for r in records:
                xs += [r["cycle"], r["cycle"] + 1]
                ys += [base + 0.9 * r[key]] * 2
            ax.plot(xs, ys, color="C0" if key.startswith("i") else "C3", lw=1.5)
            ax.text(-0.4, base + 0.3, name, ha="right", va="center", fontsize=8)
        for lane, key, port in ((1.5, "x", "i"), (0.0, "y", "o")):
            ax.text(-0.4, lane + 0.45, "x" if key == "x" else "value", ha="right",
                    va="center", fontsize=8)
            for r in records:
                if r[key] is not None:
                    fired = r[f"{port}_valid"] and r[f"{port}_ready"]
                    ax.add_patch(plt.Rectangle((r["cycle"] + 0.05, lane), 0.9, 0.9,
                                               color="C2" if fired else "0.85"))
                    ax.text(r["cycle"] + 0.5, lane + 0.45, str(r[key]), ha="center",
                            va="center", fontsize=7)
        ax.set_xlim(-3, n)
        ax.set_ylim(-0.3, (len(signals) + 1) * 1.5 + 1.2)
        ax.set_yticks([])
        ax.set_xticks(range(0, n + 1, 2))
        ax.set_xlabel("clock cycle (green: a transfer, valid and ready both high)", fontsize=8)
        ax.set_title(title, fontsize=9)
        ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()
