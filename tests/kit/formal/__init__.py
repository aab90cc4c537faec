"""Formal verification kit: one stream-contract spec, one SymbiYosys runner.

* :mod:`formal.contract`: :class:`~formal.contract.StreamContract` (free stimulus, the input
  stream rule assumed, the output stream rule and the golden rule asserted against a reference
  model: :class:`~formal.contract.FifoModel` for any core,
  :class:`~formal.contract.PipelineModel` for stall-together pipelines), and
  :class:`~formal.contract.VerilogCore` to check generated Verilog as a black box.
* :mod:`formal.sby`: :func:`~formal.sby.run_sby` and the tool lookup.
* :mod:`formal.fs`, :mod:`formal.amos`: each core family's golden rule and white-box lemmas.

``tests/kit`` is on ``sys.path`` in the test suite, so tests import ``formal.fs`` and so on.
"""
