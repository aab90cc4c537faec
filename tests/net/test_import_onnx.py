"""ONNX import: the digits models round-trip to the direct conversion, and malformed models are
refused with one line, exit 2 and no output file."""

import numpy as np
import pytest

from net import data as digits
from net.importers import check_import, read_model
from net.importers.conversion import convert, input_format, network_file



def _direct(model, act, K, Q=8):
    """The direct path: the in-process torch network, extracted, calibrated on the training
    split, converted (what ``python -m net digits --export`` writes)."""
    from net.experiment import Config, train_cached
    from net.graph import extract, relu_alphas
    from net.snn import IntSNN

    config = Config(model=model, act=act, coding="fs", K=K, Q=Q)
    trained = train_cached(model, act, config.train, show_progress=False)
    split = digits.load()
    ops = extract(trained.net)
    alphas = relu_alphas(ops, split.to_float(split.x_train)) if act == "relu" else None
    net = IntSNN(ops, config.unit(Q), alphas, weight_bits=8)
    return trained, net


def _export_onnx(net, path, dynamic):
    import torch

    kwargs = {"dynamic_axes": {"x": {0: "batch"}}} if dynamic else {}
    # the legacy (TorchScript) exporter: no onnxscript dependency
    torch.onnx.export(net, (torch.zeros(1, 64),), str(path), dynamo=False, opset_version=13,
                      input_names=["x"], output_names=["logits"], **kwargs)


@pytest.mark.parametrize("model,act,K", [("mlp", "relu", 10), ("mlp", "silu", 16),
                                         ("cnn", "relu", 10), ("cnn", "silu", 16)])
def test_digits_round_trip(tmp_path, model, act, K):
    """torch -> ONNX -> import -> convert gives the direct path's network file (integer weights,
    biases, shifts, every key) and bit-identical logits on the test split."""
    trained, direct = _direct(model, act, K)
    path = tmp_path / f"{model}_{act}.onnx"
    _export_onnx(trained.net, path, dynamic=(model == "mlp"))
    split = digits.load()
    x_train = split.to_float(split.x_train).astype(np.float64)
    imported = read_model(path)
    check = check_import(imported, x_train)
    assert check.ok and check.max_abs_diff <= 1e-5 * check.output_range, check
    conv = convert(imported, x_train, "fs", K, 8)
    assert conv.input.frac == 4 and (conv.input.lo, conv.input.hi) == (0, 16)
    ours = network_file(conv)
    theirs = network_file(type(conv)(**{**conv.__dict__, "net": direct}))
    for d in (ours, theirs):
        d.pop("model"), d.pop("seed", None)
    assert ours == theirs
    a = conv.net.forward(conv.input.codes(split.to_float(split.x_test))).logits
    b = direct.forward(split.x_test).logits
    assert a.dtype == b.dtype == np.int64 and np.array_equal(a, b)


def test_fixed_batch_reshape_and_matmul(tmp_path):
    """A static batch of 1 (torch's default) with a folded Reshape([1, -1]), MatMul + Add, and
    Sigmoid: imported, and equal to onnxruntime."""
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 2, 3, padding=1)
            self.w = nn.Parameter(torch.randn(2 * 4 * 4, 3))
            self.b = nn.Parameter(torch.randn(3))

        def forward(self, x):
            h = torch.sigmoid(nn.functional.avg_pool2d(self.conv(x), 1))
            return h.view(h.size(0), -1) @ self.w + self.b

    torch.manual_seed(0)
    path = tmp_path / "m.onnx"
    torch.onnx.export(Net(), (torch.zeros(1, 1, 4, 4),), str(path), dynamo=False,
                      opset_version=13)
    imp = read_model(path)
    assert [op.kind for op in imp.ops] == ["unflatten", "conv", "pool", "act", "flatten",
                                           "linear"]
    assert imp.ops[3].act == "sigmoid"
    x = np.random.default_rng(0).random((20, 1, 4, 4))
    assert check_import(imp, x).ok


def test_input_format_defaults():
    fmt = input_format(np.array([[0.0, 0.5], [0.25, 1.0]]))
    assert (fmt.frac, fmt.lo, fmt.hi, fmt.signed) == (2, 0, 4, False)
    fmt = input_format(np.array([[-0.3, 0.7]]))           # not exact: 8-bit signed codes
    assert fmt.frac == 7 and fmt.signed and (fmt.lo, fmt.hi) == (-39, 90)
    assert list(fmt.codes(np.array([[-1.0, 0.5]]))[0]) == [-39, 64]
