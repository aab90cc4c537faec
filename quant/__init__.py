"""Number formats, parameter files and the training of neuron parameters.

* :mod:`quant.fixed` -- the Q-bit parameter codes (value = code * 2^(4-Q));
* :mod:`quant.activations` -- the target functions and their error regions;
* :mod:`quant.metrics` -- the MSE over every representable input, the one accuracy figure of a
  core, summed exactly;
* :mod:`quant.paramfile` -- the parameter-file base, with :mod:`quant.params` (FS neuron) and
  :mod:`quant.amos_params` (AMOS unit) its kinds;
* training (torch): :mod:`quant.stages` (float stage, then quantization-aware stage, for every
  kind) over :mod:`quant.loop`, :mod:`quant.neurons`, :mod:`quant.objective`,
  :mod:`quant.search`, :mod:`quant.surrogate`; :mod:`quant.train` and
  :mod:`quant.amos_train` are the two kinds' front ends;
* :mod:`quant.report`, :mod:`quant.amos_report` -- the results pages; :mod:`quant.commands` --
  ``python -m quant``.

Layer: imports :mod:`sim` and :mod:`common` only.
"""
