"""Open FPGA boards: synthesis tables, bitstreams, the UART activation coprocessor demo.

Modules: :mod:`~boards.cores` (a generated core as files), :mod:`~boards.synth` (Yosys/nextpnr
flow and report parsing), :mod:`~boards.harness` (small-pin synthesis harness),
:mod:`~boards.platforms` (boards), :mod:`~boards.demo` and :mod:`~boards.uart` (coprocessor
gateware), :mod:`~boards.protocol` and :mod:`~boards.host` (host side), :mod:`~boards.golden`
(payloads and expected outputs from the golden models), :mod:`~boards.build` and :mod:`~boards.report` (the commands' work),
:mod:`~boards.cocotb_demo` (end-to-end simulation). Command line: ``python -m boards``; see
docs/boards.md.

Layer: the top; imports ``gen``, ``net``, ``quant``, ``sim`` and ``common``.
"""
