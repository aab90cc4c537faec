"""The spike term of spike-aware training: a neuron's mean spike count under an input
distribution.

On neuromorphic hardware the energy is proportional to the number of spikes (Stoeckl & Maass,
"Optimized spiking neurons can classify images with high accuracy through temporal coding with
two spikes", Nature Machine Intelligence 2021), and the paper's headline is "about two spikes
per neuron". How many spikes an FS neuron spends depends on its input, and the inputs a neuron
sees in a network are far from uniform over the training interval: the paper's Fig. 5a models
the inputs of the SiLU neurons of EfficientNet-B7 as x ~ N(-0.112, 1.99) (mean, variance).
Spike-aware training adds ``weight * E[spikes(x)]`` for x from such a distribution to the loss.

* :class:`NormalInput` -- the input distribution N(mean, var), cut at +-:data:`SPAN` standard
  deviations (the mass beyond is 1.2e-15), as cells with their exact probabilities;
* :class:`SpikeTerm` -- the weight and the distribution: the points of a training step (cell
  centres jittered inside their cells, weighted by the cells' probabilities) and of an exact
  evaluation (cells on the code grid, exact for a Q-bit FS set; midpoints otherwise);
* :data:`DEFAULT_INPUT` -- the distribution an activation gets when none is given.
"""

import math
from dataclasses import dataclass

import numpy as np

from common.checks import InputError, check_float
from .activations import number_text

__all__ = ["NormalInput", "SpikeTerm", "NETWORK_INPUT", "DEFAULT_INPUT", "SPAN",
           "default_input", "spike_term"]

#: The input distribution of the FS paper's Fig. 5a (SiLU in EfficientNet-B7): (mean, variance).
NETWORK_INPUT = (-0.112, 1.99)

#: Activation name -> (mean, variance) of the inputs its neurons see, where a source gives one.
#: Only SiLU has one (the paper's Fig. 5a); every other activation must be given a distribution.
DEFAULT_INPUT = {"silu": NETWORK_INPUT}

#: Standard deviations either side of the mean the distribution is cut at.
SPAN = 8.0


class NormalInput:
    """The input distribution x ~ N(mean, var) (``var`` is the variance).

    Parameters
    ----------
    mean : float
    var : float
        Positive.
    """

    kind = "normal"

    def __init__(self, mean, var):
        self.mean = check_float("input mean", mean)
        self.var = check_float("input variance", var)
        if not self.var > 0:
            raise InputError(f"input variance must be positive, not {number_text(self.var)}")
        self.sd = math.sqrt(self.var)

    def __eq__(self, other):
        return isinstance(other, NormalInput) and (self.mean, self.var) == (other.mean,
                                                                            other.var)

    def __hash__(self):
        return hash((self.kind, self.mean, self.var))

    def __repr__(self):
        return f"NormalInput({self.mean!r}, {self.var!r})"

    def describe(self):
        return f"N({number_text(self.mean)}, {number_text(self.var)})"

    def words(self):
        """The ``--input-dist`` words that give this distribution."""
        return [self.kind, number_text(self.mean), number_text(self.var)]

    def to_json(self):
        return {"dist": self.kind, "mean": self.mean, "var": self.var}

    @property
    def span(self):
        """``(lo, hi)``: where the distribution is cut."""
        return (self.mean - SPAN * self.sd, self.mean + SPAN * self.sd)

    def mass(self, a, b):
        """P(a <= x < b) for arrays of cell ends, accurate in the tails too (each tail's
        probabilities from erfc, which does not cancel there)."""
        k = 1.0 / (self.sd * math.sqrt(2.0))
        za = (np.asarray(a, dtype=np.float64) - self.mean) * k
        zb = (np.asarray(b, dtype=np.float64) - self.mean) * k
        erf = np.vectorize(math.erf, otypes=[np.float64])
        erfc = np.vectorize(math.erfc, otypes=[np.float64])
        return np.where(za >= 0, 0.5 * (erfc(za) - erfc(zb)),
                        np.where(zb <= 0, 0.5 * (erfc(-zb) - erfc(-za)),
                                 0.5 * (erf(zb) - erf(za))))

    def cells(self, n=None, step=None):
        """``(edges, probabilities)``: ``n`` equal cells over :attr:`span`, or the cells
        ``[k step, (k+1) step)`` that cover it; the probabilities normalized to sum to one."""
        lo, hi = self.span
        if step is not None:
            k0, k1 = math.floor(lo / step), math.ceil(hi / step)
            edges = step * np.arange(k0, k1 + 1, dtype=np.float64)
        else:
            edges = np.linspace(lo, hi, int(n) + 1)
        p = self.mass(edges[:-1], edges[1:])
        return edges, p / math.fsum(p)

    @classmethod
    def parse(cls, words):
        """From ``--input-dist`` words: ``normal MEAN VAR``."""
        words = list(words)
        if len(words) != 3 or words[0] != cls.kind:
            raise InputError(f"--input-dist must be 'normal MEAN VAR', not {' '.join(words)!r}")
        values = []
        for name, w in zip(("MEAN", "VAR"), words[1:]):
            try:
                values.append(float(w))
            except ValueError:
                raise InputError(f"--input-dist {name} {w!r} is not a number") from None
        return cls(*values)


def default_input(activation):
    """The distribution an activation's spike term uses when none is given, or None."""
    mv = DEFAULT_INPUT.get(activation)
    return None if mv is None else NormalInput(*mv)


@dataclass(frozen=True)
class SpikeTerm:
    """``weight * E[spikes(x)]``, x ~ ``dist``: what spike-aware training adds to the loss.

    Parameters
    ----------
    weight : float
        Positive (a zero weight is no spike term: train without one).
    dist : NormalInput
    """

    weight: float
    dist: NormalInput

    def __post_init__(self):
        w = check_float("spike weight", self.weight)
        if not w > 0:
            raise InputError(f"spike weight must be positive, not {number_text(w)}")
        if not isinstance(self.dist, NormalInput):
            raise InputError(f"spike term needs an input distribution, not {self.dist!r}")
        object.__setattr__(self, "weight", w)

    def describe(self):
        return f"{number_text(self.weight)} x mean spikes, x ~ {self.dist.describe()}"

    def train_points(self, n, generator, dtype, device):
        """One training step's ``(x, p)`` as tensors: ``n`` cell centres of the distribution,
        jittered uniformly inside their cells (``generator``), and the cells' probabilities."""
        import torch

        edges, p = self.dist.cells(n=n)
        cell = edges[1] - edges[0]
        base = torch.tensor(edges[:-1] + cell / 2, dtype=dtype, device=device)
        jitter = (torch.rand(n, generator=generator, dtype=torch.float64) - 0.5) * cell
        return (base + jitter.to(device=device, dtype=dtype),
                torch.tensor(p, dtype=dtype, device=device))

    def exact_points(self, n=None, step=None):
        """``(x, p)`` (numpy) of an exact evaluation: with ``step``, the left ends of the cells
        ``[k step, (k+1) step)`` -- exact for a neuron whose spikes are constant on them (an FS
        set whose T and h lie on that grid); else the midpoints of ``n`` equal cells."""
        edges, p = self.dist.cells(n=n, step=step)
        x = edges[:-1] if step is not None else (edges[:-1] + edges[1:]) / 2
        return x, p

    def record(self, mean_spikes):
        """The ``made_by.spikes`` record of a set trained with this term."""
        return {"weight": self.weight, "input": self.dist.to_json(), "mean": mean_spikes}


def spike_term(activation, weight, dist_words=None):
    """The spike term of the command-line options, or None for no (or a zero) weight.

    ``dist_words``: the ``--input-dist`` words, or None for the activation's default
    (:data:`DEFAULT_INPUT`; an activation without one must be given a distribution)."""
    if weight is None:
        if dist_words is not None:
            raise InputError("--input-dist applies with --spike-weight only")
        return None
    weight = check_float("--spike-weight", weight)
    if weight < 0:
        raise InputError(f"--spike-weight must be >= 0, not {number_text(weight)}")
    dist = NormalInput.parse(dist_words) if dist_words is not None else default_input(activation)
    if dist is None:
        raise InputError(f"no default input distribution for {activation!r} (only "
                         f"{', '.join(sorted(DEFAULT_INPUT))} has one, the FS paper's Fig. 5a): "
                         f"give --input-dist normal MEAN VAR")
    return SpikeTerm(weight, dist) if weight > 0 else None
