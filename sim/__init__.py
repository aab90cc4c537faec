"""Golden models: the exact integer (and float, numpy and torch) models of every neuron and
encoder the project turns into hardware. Every generated core is bit-exact with one of them.

* :mod:`sim.fs` -- the FS neuron (few spikes; Stöckl & Maass 2021);
* :mod:`sim.amos` -- the AMOS unit (at most one spike; Stöckl & Maass 2020);
* :mod:`sim.tsc` -- temporal switch coding: encoders and the layer model (Han & Roy 2020);
* :mod:`sim.ifneuron` -- the rate-coded integrate-and-fire neuron, the FS neuron's baseline.

Layer: imports nothing of the project, only numerics (numpy, torch).
"""
