"""The end-to-end coprocessor bench (boards/cocotb_demo.py), as a bench module of the suite."""

from boards.cocotb_demo import coprocessor_sweep  # noqa: F401  (cocotb collects it from here)
