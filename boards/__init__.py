"""Open FPGA boards: synthesis tables, bitstreams, the UART activation coprocessor demo, the
digits classifier and the virtual board.

Modules: :mod:`~boards.cores` (a generated core as files), :mod:`~boards.synth` (Yosys/nextpnr
flow and report parsing), :mod:`~boards.harness` (small-pin synthesis harness),
:mod:`~boards.platforms` (boards), :mod:`~boards.link` and :mod:`~boards.uart` (the UART, FIFOs,
reset and board wrapper every top shares), :mod:`~boards.demo` (coprocessor gateware),
:mod:`~boards.classifier` (classifier gateware), :mod:`~boards.protocol`,
:mod:`~boards.netproto`, :mod:`~boards.host` and :mod:`~boards.classify_host` (host sides),
:mod:`~boards.golden` (payloads and expected outputs from the golden models),
:mod:`~boards.build`, :mod:`~boards.report` and :mod:`~boards.netreport` (the commands' work),
:mod:`~boards.executor` (parallel synthesis jobs, local or on Dask),
:mod:`~boards.cocotb_demo`, :mod:`~boards.cocotb_classifier` and :mod:`~boards.verisim`
(end-to-end simulation), :mod:`~boards.virtual` (the virtual board). Command line:
``python -m boards``; see docs/boards.md.

Layer: the top; imports ``gen``, ``net``, ``quant``, ``sim`` and ``common``.
"""
