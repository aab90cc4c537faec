"""spikegen: spiking-neuron models (FS neuron, AMOS unit, TSC) turned into verified hardware.

This package is the front door: the version (one place: ``pyproject.toml`` reads it from here)
and the ``spikegen`` command, which dispatches to the packages' own command lines
(``spikegen gen ...`` is ``python -m gen ...``). The work is done in :mod:`sim`, :mod:`quant`,
:mod:`net`, :mod:`gen` and :mod:`boards`; see docs/ARCHITECTURE.md.

Layer: above everything; imports the packages' command lines only.
"""

__version__ = "0.2.0"
