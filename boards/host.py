"""The demo's host logic, shared by ``python -m boards demo`` (pyserial, a real board) and the
end-to-end cocotb simulation (cocotbext-uart): the same generator runs over either transport.
"""

import numpy as np

from . import golden
from .protocol import Coprocessor, core_crc

__all__ = ["coprocessor", "demo_session", "sweep_table", "plot_sweep"]


def coprocessor(core):
    """The host side of the protocol for ``core``: payload widths and Verilog CRC from its
    files."""
    return Coprocessor(core.in_width, core.out_width,
                       crc=core_crc(core.verilog_path.read_bytes()))


def demo_session(core, payloads):
    """Protocol generator: identify the board, evaluate the input payloads, identify again (to
    read the lost-byte flags); returns ``(identity, outputs, problems)`` where ``problems``
    lists every reply that differs from the golden model."""
    copro = coprocessor(core)
    ident, outputs = yield from copro.session(payloads)
    return ident, outputs, golden.check_outputs(core, payloads, outputs)


def _lane_values(core, xs, outputs):
    """(x, spike count, value) per input, in input order."""
    return golden.evaluations(core, xs, outputs)


def sweep_table(core, xs, outputs, max_rows=24):
    """A text table of the sweep: x, spikes, f-hat(x), f(x), error (every n-th row)."""
    f = golden.adapter(core).target
    rows = _lane_values(core, xs, outputs)
    step = max(1, len(rows) // max_rows)
    lines = [f"{'x':>10} {'spikes':>6} {'f_hat(x)':>10} {'f(x)':>10} {'error':>10}"]
    for x, count, value in rows[::step]:
        xr = float(golden.adapter(core).real_input(x))
        fh = float(golden.adapter(core).real_output(value))
        fx = float(f(np.array([xr]))[0]) if f is not None else float("nan")
        lines.append(f"{xr:>10.4f} {count if count is not None else '-':>6} {fh:>10.4f} "
                     f"{fx:>10.4f} {fh - fx:>10.4f}")
    return "\n".join(lines)


def sweep_mse(core, xs, outputs):
    """Mean squared error of the board's f-hat against f over the sweep (None without f)."""
    f = golden.adapter(core).target
    if f is None:
        return None
    rows = _lane_values(core, xs, outputs)
    xr = golden.adapter(core).real_input([r[0] for r in rows])
    fh = golden.adapter(core).real_output([r[2] for r in rows])
    return float(np.mean((fh - f(xr)) ** 2))


def plot_sweep(core, xs, outputs, title):
    """PNG bytes: the board's f-hat(x) (points) against f(x) (line)."""
    import io

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = _lane_values(core, xs, outputs)
    xr = golden.adapter(core).real_input([r[0] for r in rows])
    fh = golden.adapter(core).real_output([r[2] for r in rows])
    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=100)
    f = golden.adapter(core).target
    if f is not None:
        dense = np.linspace(xr.min(), xr.max(), 2000)
        ax.plot(dense, f(dense), color="0.6", lw=2, label="f(x)")
    ax.plot(xr, fh, ".", ms=3, color="C3", label="board f-hat(x)")
    ax.set_xlabel("x")
    ax.set_ylabel("f(x)")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    buf = io.BytesIO()
    # no timestamp or software version in the PNG: same sweep, same bytes
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()
