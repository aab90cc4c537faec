"""FS-neuron core generator: config -> IR -> Amaranth component -> Verilog + manifest.

The library behind ``python -m gen fsneuron`` (the command line is a thin layer over it, see
:mod:`gen.fsneuron.cli`). The full description of the hardware, the manifest and the
verification is in ``docs/fsneuron.md``.

Python API
----------
::

    from gen.fsneuron import FSConfig, build, generate, resolve

    cfg = FSConfig(act="silu", K=16, Q=8, lanes=16, arch="shared")
    core, manifest = build(cfg)          # an amaranth wiring.Component and the manifest dict
    result = generate(cfg, "rtl")        # writes rtl/<name>.v and rtl/<name>.json atomically
    print(result.summary)                # the text the command line prints
    ir = resolve(cfg)                    # just the resolved numbers: T/h/d, widths, timing

:class:`FSConfig` fields (all optional, the command-line defaults):

``act``
    ``"silu"`` / ``"sigmoid"`` (shipped trained sets ``quant/params/<act>_K<K>_Q<Q>.json``),
    ``"relu"`` (analytic schedule, no ROM), a path to a parameter file, or a
    :class:`quant.params.FSParamSet`.
``K`` (16), ``Q`` (8), ``lanes`` (1), ``arch`` (``"shared"`` or ``"unrolled"``)
``width``, ``frac``
    Input format W, F; None for the defaults (trained: F = Q-4, W just wide enough for the
    training interval and the parameters; ReLU: F = 0, W = K+2).
``name``
    Module/file name; default ``fs_<act>_k<K>_q<Q>`` (trained), ``fs_relu_k<K>`` (ReLU),
    ``fs_<file stem>[_q<Q>]`` (parameter file; ``_q<Q>`` when a float file was rounded), plus
    ``_w<W>f<F>`` for a non-default input format, ``_unrolled``, ``_x<lanes>``.

Every bad value raises ``ValueError``/``TypeError`` with a one-line message naming it.

The component (:class:`SharedCore` or :class:`UnrolledCore`) has stream ports ``i`` and ``o``
(``amaranth.lib.stream``) in the ``sync`` domain; in Verilog: ``clk``, ``rst``, ``i__valid``,
``i__ready``, ``i__payload``, ``o__valid``, ``o__ready``, ``o__payload``. Payloads:

* ``i.payload``: ``lanes`` x signed W-bit x, lane n at bits ``[n*W, (n+1)*W)``, real ``x*2^-F``;
* ``o.payload``: ``lanes`` x struct {``spikes``: K bits, bit t-1 = z(t); ``value``: signed
  Wout bits = sum_t d(t) z(t), real ``value*2^-Fout``}, lane n at bit ``n*(K+Wout)``.

The manifest (``NAME.json``) holds ``core``, ``top``, ``verilog``, ``activation``, ``K``, ``Q``
(null for ReLU), ``lanes``, ``arch``, ``input`` {``width``, ``frac``}, ``output`` {``width``,
``frac``}, ``T``, ``h`` (input LSBs), ``d`` (output LSBs), ``interval``, ``latency``, ``ii``, and
descriptive extras (``widths``, ``rom_bits``, ``params``, ``codes``, ``mse``, ...). ``latency`` is
the number of cycles from the clock edge at which an input is transferred to the edge at which its
output is transferred, with the core idle and ``o.ready`` high; ``ii`` is the number of cycles
between input transfers with ``i.valid`` and ``o.ready`` always high.
"""

from dataclasses import dataclass
from pathlib import Path

from gen.writer import write_core

from .cores import FSCore, SharedCore, UnrolledCore, core_class, payload_layouts
from .ir import ARCHS, FSConfig, FSCoreIR, default_name, resolve, step_ranges

__all__ = ["FSConfig", "FSCoreIR", "FSCore", "SharedCore", "UnrolledCore", "ARCHS", "resolve",
           "elaborate", "build", "generate", "GenerateResult", "summary", "payload_layouts",
           "step_ranges", "default_name"]


def _config(config, kwargs):
    if config is None:
        return FSConfig(**kwargs)
    if kwargs:
        raise TypeError("give either an FSConfig or keyword arguments, not both")
    if isinstance(config, dict):
        return FSConfig(**config)
    if not isinstance(config, FSConfig):
        raise TypeError(f"expected an FSConfig, not {type(config).__name__}")
    return config


def elaborate(ir):
    """The Amaranth component of a resolved core."""
    return core_class(ir.arch)(ir)


def build(config=None, **kwargs):
    """Build a core: ``(component, manifest)``.

    Parameters
    ----------
    config : FSConfig or dict, optional
        What to build; or give the :class:`FSConfig` fields as keyword arguments.

    Returns
    -------
    component : SharedCore or UnrolledCore
        An Amaranth ``wiring.Component`` (stream ports ``i``, ``o``; ``sync`` domain).
    manifest : dict
        The manifest the generator writes beside the Verilog (see module docs).
    """
    ir = resolve(_config(config, kwargs))
    return elaborate(ir), ir.manifest()


@dataclass(frozen=True)
class GenerateResult:
    """What :func:`generate` wrote: the IR, both paths and the printed summary."""

    ir: FSCoreIR
    verilog: Path
    manifest: Path
    summary: str


def generate(config=None, out_dir="rtl", **kwargs):
    """Write ``out_dir/NAME.v`` and ``out_dir/NAME.json`` (atomically: both or neither).

    Returns a :class:`GenerateResult`.
    """
    ir = resolve(_config(config, kwargs))
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"output folder {str(out_dir)!r} is a file")
    vpath, jpath = write_core(elaborate(ir), ir.name, out_dir, ir.manifest())
    return GenerateResult(ir, vpath, jpath, summary(ir, (vpath, jpath)))


def _fmt(v):
    return str(int(v)) if float(v).is_integer() else f"{float(v):g}"


def summary(ir, paths=None):
    """The human-readable summary the command line prints."""
    K, N = ir.K, ir.lanes
    w_lo, w_hi = ir.x_range
    scale = 2.0 ** -ir.F
    lines = []
    what = f"{ir.activation}, K={K}, " + (f"Q={ir.Q}" if ir.Q is not None else "Q n/a (ReLU)")
    lines.append(f"{ir.name}: FS-neuron core ({what}), arch {ir.arch}, {N} lane"
                 f"{'s' if N != 1 else ''}")
    if ir.params_source:
        lines.append(f"  parameters  {ir.params_source}")
    for note in ir.notes:
        lines.append(f"  note        {note}")
    in_bits, out_bits = N * ir.W, N * (K + ir.Wout)
    lines.append(f"  ports       clk, rst; i__valid, i__ready, i__payload[{in_bits - 1}:0]; "
                 f"o__valid, o__ready, o__payload[{out_bits - 1}:0]")
    lines.append(f"  input       {N} x signed {ir.W}-bit x, frac {ir.F} (real = x * 2^{-ir.F}, "
                 f"range [{_fmt(w_lo * scale)}, {_fmt(w_hi * scale)}]); lane n at bits "
                 f"[{ir.W}n, {ir.W}n+{ir.W})")
    lines.append(f"  output      {N} x {{spikes[{K - 1}:0], value signed {ir.Wout}-bit frac "
                 f"{ir.Fout}}}; lane n at bit {K + ir.Wout}n, spikes low")
    internal = ", ".join(f"{k} {w['width']}b [{w['range'][0]}, {w['range'][1]}]"
                         for k, w in ir.widths.items() if k not in ("x", "out"))
    if ir.arch == "unrolled":
        vw = [ir.widths[f"v{t}"]["width"] for t in range(2, K + 1)]
        internal = (f"per-stage membrane widths {vw}" if vw else "no membrane registers")
    lines.append(f"  widths      {internal}")
    lines.append(f"  timing      latency {ir.latency} cycles, ii {ir.ii} cycle"
                 f"{'s' if ir.ii != 1 else ''} (one vector every {ir.ii})")
    lo, hi = ir.interval
    lines.append(f"  interval    [{_fmt(lo)}, {_fmt(hi)})")
    if ir.rom is not None:
        depth, word = ir.rom
        lines.append(f"  ROM         {depth} x {word} bits = {ir.rom_bits} bits, shared by "
                     f"{N} lane{'s' if N != 1 else ''}")
    elif ir.arch == "shared":
        lines.append("  ROM         none (ReLU: threshold register shifted once per step)")
    else:
        lines.append("  ROM         none (unrolled: constants in each stage)")
    if ir.mse is None:
        lines.append(f"  MSE         n/a ({ir.activation!r} is not a known function of x)")
    elif ir.mse["value"] is None:
        lines.append("  MSE         n/a (no representable input in the interval)")
    else:
        every = "every" if ir.mse["stride"] == 1 else f"every {ir.mse['stride']}th"
        lines.append(f"  MSE         {ir.mse['value']:.6g} vs {ir.activation} over {every} "
                     f"representable input in [{_fmt(lo)}, {_fmt(hi)}) "
                     f"({ir.mse['inputs']} inputs, integer model of this core)")
    if paths:
        lines.append("  wrote       " + ", ".join(str(p) for p in paths))
    return "\n".join(lines)
