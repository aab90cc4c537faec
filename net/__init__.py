"""Network conversion on the 8x8 digits: ANNs trained in torch, converted to spiking networks of
FS neurons, AMOS units or TSC neurons, simulated in float and in exact integers.

``python -m net digits`` is the command-line front end (:mod:`net.cli`); the library:

* :mod:`net.data` -- the fixed stratified split of scikit-learn's digits;
* :mod:`net.models`, :mod:`net.train` -- the MLP and CNN, seeded training;
* :mod:`net.graph` -- the ANN as a list of operations (the conversion's IR);
* :mod:`net.units` -- FS neurons and AMOS units, float and integer;
* :mod:`net.snn` -- converted networks, float and bit-exact integer (torch, CPU or GPU);
* :mod:`net.tscnet` -- TSC conversion (threshold balancing, TSC input encoder);
* :mod:`net.experiment` -- one conversion run measured: accuracy, spikes, time steps.

Layer: imports ``quant``, ``sim`` and ``common``; never ``gen`` or ``boards``.
"""
