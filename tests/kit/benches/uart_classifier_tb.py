"""The end-to-end classifier bench (boards/cocotb_classifier.py), as a bench module of the
suite."""

from boards.cocotb_classifier import classify_digits  # noqa: F401  (cocotb collects it from here)
