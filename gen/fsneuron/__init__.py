"""FS-neuron core generator: config -> IR -> Amaranth component -> Verilog + manifest.

The library behind ``python -m gen fsneuron`` (the command line is a thin layer over it, see
:mod:`gen.fsneuron.cli`). The full description of the hardware, the manifest and the
verification is in ``docs/fsneuron.md``.

Python API
----------
::

    from gen import generate
    from gen.fsneuron import FSConfig, resolve

    ir = resolve(FSConfig(act="silu", K=16, Q=8, lanes=16, arch="shared"))
    core = ir.component()                # an amaranth wiring.Component
    manifest = ir.manifest()             # the manifest dict
    result = generate(ir, "out")         # writes out/<name>.v and out/<name>.json atomically
    print(result.summary)                # the text the command line prints

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

The manifest (``NAME.json``) holds the common keys of every core (``core``, ``top``,
``verilog``, ``latency``, ``ii``, ``ports``: see :mod:`gen.core` and ``gen/manifest.schema.json``),
then ``activation``, ``K``, ``Q`` (null for ReLU), ``lanes``, ``arch``, ``input`` {``width``,
``frac``}, ``output`` {``width``, ``frac``}, ``T``, ``h`` (input LSBs), ``d`` (output LSBs),
``interval``, ``threshold`` (the spike rule), ``widths``, ``rom_bits``, ``source``, ``codes`` and
``mse``. Latency K+1 and ii K (shared), latency K and ii 1 (unrolled).
"""

from .cores import FSCore, SharedCore, UnrolledCore, core_class, payload_layouts
from .ir import ARCHS, FSConfig, FSCoreIR, default_name, resolve, step_ranges

__all__ = ["FSConfig", "FSCoreIR", "FSCore", "SharedCore", "UnrolledCore", "ARCHS", "resolve",
           "payload_layouts", "step_ranges", "default_name", "core_class"]
