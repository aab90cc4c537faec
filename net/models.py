"""The small ANNs converted to spiking networks: an MLP and a CNN, each with ReLU or SiLU.

Both are plain ``torch.nn.Sequential`` stacks of the layer types the conversion understands
(:func:`layer_types`): ``Linear``, ``Conv2d``, ``AvgPool2d``, ``Flatten`` and one activation
(``ReLU`` or ``SiLU``). Every activation becomes a layer of spiking neurons; the last ``Linear``
is the read-out (no activation, the class is the arg-max of its sums). Average pooling, as in the
FS paper, is linear and exact on spike sums; max pooling has no spiking counterpart here and is
refused.

* ``mlp``: 64 - 64 - 32 - 10, two neuron layers (96 neurons).
* ``cnn``: conv 3x3 (1 -> 8) on 8x8, pool 2; conv 3x3 (8 -> 16) on 4x4, pool 2; linear 64 -> 10:
  two neuron layers (8*64 + 16*16 = 768 neurons).
"""

__all__ = ["build", "MODELS", "ACTIVATIONS", "activation_class", "layer_types",
           "is_activation"]

MODELS = ("mlp", "cnn")
ACTIVATIONS = ("relu", "silu")


def activation_class(act):
    """The torch module class of an activation name (torch is imported only when needed)."""
    from torch import nn

    return {"relu": nn.ReLU, "silu": nn.SiLU}[act]


def is_activation(module):
    return isinstance(module, tuple(activation_class(a) for a in ACTIVATIONS))


def layer_types():
    """The module types the conversion understands."""
    from torch import nn

    return (nn.Linear, nn.Conv2d, nn.AvgPool2d, nn.Flatten, nn.Unflatten, nn.ReLU, nn.SiLU)


def build(model, act):
    """A freshly initialized network (use ``torch.manual_seed`` first for a fixed start).

    The input is a batch of 64 pixel values in [0, 1] (shape (n, 64)) for both models; the CNN
    unflattens it to 1x8x8 itself, so every caller feeds the same tensors.
    """
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r} (choose from {', '.join(MODELS)})")
    if act not in ACTIVATIONS:
        raise ValueError(f"unknown activation {act!r} (choose from {', '.join(ACTIVATIONS)})")
    from torch import nn

    A = activation_class(act)
    if model == "mlp":
        return nn.Sequential(
            nn.Linear(64, 64), A(),
            nn.Linear(64, 32), A(),
            nn.Linear(32, 10))
    return nn.Sequential(
        nn.Unflatten(1, (1, 8, 8)),
        nn.Conv2d(1, 16, 3, padding=1), A(),
        nn.AvgPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), A(),
        nn.AvgPool2d(2),
        nn.Flatten(),
        nn.Linear(32 * 2 * 2, 10))
