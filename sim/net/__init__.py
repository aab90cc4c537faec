"""Network conversion on the 8x8 digits: ANNs trained in torch, converted to spiking networks of
FS neurons, AMOS units or TSC neurons, simulated in float and in exact integers.

``python -m sim digits`` is the command-line front end (:mod:`sim.net.cli`); the library:

* :mod:`sim.net.data` -- the fixed stratified split of scikit-learn's digits;
* :mod:`sim.net.models`, :mod:`sim.net.train` -- the MLP and CNN, seeded training;
* :mod:`sim.net.graph` -- the ANN as a list of operations (the conversion's IR);
* :mod:`sim.net.units` -- FS neurons and AMOS units, float and integer;
* :mod:`sim.net.snn` -- converted networks, float and bit-exact integer (torch, CPU or GPU);
* :mod:`sim.net.tscnet` -- TSC conversion (threshold balancing, TSC input encoder);
* :mod:`sim.net.experiment` -- one conversion run measured: accuracy, spikes, time steps.
"""
