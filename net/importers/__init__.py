"""Models trained elsewhere, read into the conversion's IR (:class:`net.graph.Op` lists).

Two formats are read:

* ONNX (:mod:`net.importers.onnx`), as ANN tool flows hand models over (hls4ml and FINN read
  ONNX/QONNX; ``torch.onnx.export`` writes it);
* NIR, the Neuromorphic Intermediate Representation (:mod:`net.importers.nir`), as spiking
  frameworks (snnTorch, Norse, Sinabs, Rockpool, Lava-DL) write it with ``nir.write``.

Each importer returns an :class:`Imported`: the ops of a float ANN that takes a flat input
``(n, prod(input_shape))`` (a model whose input is an image starts with an ``unflatten`` op,
as the digits CNN does), the model's own per-image input shape, and a reference evaluation of
the file by its own package (onnxruntime; the ``nir`` package's reading of the graph), which
:func:`check_import` compares with the imported ops.

Anything the conversion cannot express raises :class:`common.checks.InputError` with one line
naming the node, its type and what is supported.
"""

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from common.checks import InputError

__all__ = ["Imported", "ImportCheck", "read_model", "check_import", "FORMATS",
           "IMPORT_TOLERANCE"]

#: suffix -> importer module
FORMATS = {".onnx": "onnx", ".nir": "nir"}

#: The imported float graph must agree with the file's own runtime to this fraction of the
#: output range (max abs difference over the calibration data).
IMPORT_TOLERANCE = 1e-5


@dataclass
class Imported:
    """A model read from a file.

    Attributes
    ----------
    ops : list of net.graph.Op
        The float ANN on a flat input; activations are ``relu``, ``silu`` or ``sigmoid``.
    input_shape : tuple of int
        The model's per-image input shape (calibration data is ``(n, *input_shape)``).
    kind : str
        ``onnx`` or ``nir``.
    path : Path
    reference : callable
        ``reference(x)`` -> float64 outputs of the file evaluated by its own package, on
        ``x`` of shape ``(n, *input_shape)``.
    notes : list of str
        What the import did that a user should know (folded scales, a read-out IF layer).
    extra : dict
        Format-specific facts (the ONNX opset; the NIR neuron layers' parameters).
    """

    ops: list
    input_shape: tuple
    kind: str
    path: Path
    reference: object = None
    notes: list = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    @property
    def input_size(self):
        return int(np.prod(self.input_shape))

    @property
    def classes(self):
        return int(self.ops[-1].W.shape[0])

    @property
    def activation(self):
        acts = {op.act for op in self.ops if op.kind == "act"}
        return acts.pop() if len(acts) == 1 else None


@dataclass
class ImportCheck:
    """The imported ops against the file's own runtime, on the calibration data."""

    reference: str
    max_abs_diff: float
    output_range: float
    tolerance: float

    @property
    def ok(self):
        return self.max_abs_diff <= self.tolerance * max(self.output_range, 1e-300)

    def to_json(self):
        return {"reference": self.reference, "max_abs_diff": float(f"{self.max_abs_diff:.6g}"),
                "output_range": float(f"{self.output_range:.6g}"),
                "tolerance": self.tolerance, "ok": self.ok}


def read_model(path):
    """Read ``path`` (``.onnx`` or ``.nir``) into an :class:`Imported`."""
    import importlib

    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise InputError(f"{path}: unknown model format {path.suffix or '(no suffix)'!r} "
                         f"(supported: {', '.join(FORMATS)})")
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if not path.is_file():
        raise InputError(f"{path}: not a file")
    mod = importlib.import_module(f"net.importers.{FORMATS[path.suffix.lower()]}")
    return mod.read(path)


def check_import(imported, x):
    """Run the imported ops and the file's own runtime on ``x`` ``(n, *input_shape)``.

    Returns an :class:`ImportCheck`; the caller refuses the model when it is not ``ok``.
    """
    import torch

    from ..graph import forward_float

    x = np.asarray(x)
    ref = np.asarray(imported.reference(x), dtype=np.float64)
    with torch.no_grad():
        ours = forward_float(imported.ops, torch.as_tensor(
            x.reshape(len(x), -1).astype(np.float64))).numpy()
    if imported.extra.get("readout_relu"):
        ours = np.maximum(ours, 0.0)     # the read-out neurons' rates are ReLUs of the logits
    if ours.shape != ref.shape:
        raise InputError(f"{imported.path}: the imported graph gives outputs of shape "
                         f"{ours.shape[1:]}, the file's own runtime {ref.shape[1:]}")
    name = "onnxruntime" if imported.kind == "onnx" else "nir.read"
    return ImportCheck(name, float(np.max(np.abs(ours - ref))),
                       float(ref.max() - ref.min()), IMPORT_TOLERANCE)
