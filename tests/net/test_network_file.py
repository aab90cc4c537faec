"""The network file (format spikegen-snn version 1): the shipped examples, the schema, the
reader's checks, the shipped ANN weights."""

import copy
import json

import numpy as np
import pytest

from clirun import assert_usage_error, run_cli
from net import data as digits
from net.export import EXAMPLES, EXAMPLES_DIR, example_text
from net.netfile import SCHEMA_PATH, NetworkFileError, from_dict, load
from net.shipped import MODELS_SHIPPED, load_weights, weights_path
from tests.net.test_net import reference_forward

MLP = EXAMPLES_DIR / "mlp_fs_relu_k10.json"
CNN = EXAMPLES_DIR / "cnn_fs_relu_k10.json"


@pytest.fixture(scope="module")
def mlp():
    return json.loads(MLP.read_text())


@pytest.fixture(scope="module")
def cnn():
    return json.loads(CNN.read_text())


@pytest.mark.parametrize("ex", EXAMPLES, ids=lambda e: e.name)
def test_example_regenerates(ex):
    """Each example is what ``python -m net examples`` writes, byte for byte."""
    assert example_text(ex) == (EXAMPLES_DIR / f"{ex.name}.json").read_text(), ex.command()


@pytest.mark.parametrize("ex", EXAMPLES, ids=lambda e: e.name)
def test_example_schema_and_reference(ex):
    """The examples satisfy the JSON Schema, and an independent numpy reading of the
    documented semantics gives the reader's network's logits on every test image."""
    import jsonschema

    obj = json.loads((EXAMPLES_DIR / f"{ex.name}.json").read_text())
    jsonschema.validate(obj, json.loads(SCHEMA_PATH.read_text()))
    net = load(EXAMPLES_DIR / f"{ex.name}.json")
    split = digits.load()
    ref, _ = reference_forward(obj, split.x_test)
    assert np.array_equal(net.forward(split.x_test).logits, ref)
    assert obj["version"] == 1 and obj["classes"] == 10
    assert obj["input"] == {"shape": [1, 8, 8] if ex.model == "cnn" else [64],
                            "signed": False, "frac": 4, "range": [0, 16]}


def test_shapes_and_ranges(mlp, cnn):
    net = from_dict(cnn)
    assert net.input_shape == (1, 8, 8) and net.input_width == 5 and net.classes == 10
    assert [layer.out_shape for layer in net.layers] == [
        (16, 8, 8), (16, 8, 8), (16, 4, 4), (32, 4, 4), (32, 4, 4), (32, 2, 2), (128,), (10,)]
    for layer, row in zip(net.layers, cnn["layers"]):
        if "acc_range" in row:
            assert list(layer.out_range) == row["acc_range"]
        if "in_range" in row:
            assert list(layer.in_range) == row["in_range"]


def _bad(obj, path, value, delete=False):
    obj = copy.deepcopy(obj)
    node = obj
    for key in path[:-1]:
        node = node[key]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return obj


BAD = [
    # (path, value, delete, fragments of the one-line message)
    (("version",), 2, False, ["unknown version 2"]),
    (("format",), "onnx", False, ["format", "'spikegen-snn'"]),
    (("layers", 2, "W"), None, True, ["layer 2 (linear)", "missing key 'W'"]),
    (("unit", "d"), None, True, ["unit", "missing key 'd'"]),
    (("input", "shape"), [65], False, ["layer 0 (linear)", "the input has 65 values"]),
    (("layers", 0, "b"), [0] * 63, False, ["layer 0 (linear)", "key 'b' must hold 64 biases"]),
    (("layers", 4, "W", 3, 5), 128, False, ["layer 4 (linear)", "key 'W' holds 128",
                                           "-128..127"]),
    (("layers", 2, "acc_bits"), 12, False, ["layer 2 (linear)", "key 'acc_bits' is 12",
                                            "too narrow", "21 bits"]),
    (("layers", 0, "b", 0), 1 << 54, False, ["layer 0 (linear)", "53-bit"]),
    (("layers", 1, "op"), "lif", False, ["layer 1", "unknown op 'lif'"]),
    (("layers", 1, "op"), "amos", False, ["layer 1 (amos)", "the unit is fs"]),
    (("unit", "coding"), "tsc", False, ["unit", "key 'coding' must be fs, amos or if"]),
    (("unit", "T"), [1, 2], False, ["unit", "key 'T' must hold K=10 integers"]),
    (("layers", 1, "shift"), 1.5, False, ["layer 1 (fs)", "key 'shift' must be an integer"]),
    (("layers", 1, "paddding"), 1, False, ["layer 1 (fs)", "unknown key 'paddding'"]),
    (("classes",), 9, False, ["key 'classes' is 9", "10 outputs"]),
    (("layers", 0, "W", 0, 0), 1.0, False, ["layer 0 (linear)", "integers only"]),
]


@pytest.mark.parametrize("path, value, delete, fragments", BAD,
                         ids=[f"{'.'.join(map(str, b[0]))}" for b in BAD])
def test_malformed(mlp, path, value, delete, fragments):
    with pytest.raises(NetworkFileError) as info:
        from_dict(_bad(mlp, path, value, delete), where="net.json")
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith("net.json: ")
    for f in fragments:
        assert f in msg, (f, msg)


def test_malformed_conv(cnn):
    bad = _bad(cnn, ("layers", 3, "shape"), [32, 16, 3, 2])
    with pytest.raises(NetworkFileError, match=r"layer 3 \(conv\): key 'shape' \[32, 16, 3, 2\] "
                                               r"does not match W"):
        from_dict(bad)
    bad = _bad(cnn, ("layers", 3, "acc_range"), [0, 1])
    with pytest.raises(NetworkFileError, match=r"layer 3 \(conv\): key 'acc_range' is \[0, 1\]"):
        from_dict(bad)
    bad = _bad(cnn, ("layers", 0, "padding"), 4)       # 14 x 14 -> 7 x 7 after conv 2
    with pytest.raises(NetworkFileError, match=r"layer 5 \(avgpool\): pooling 2 x 2 needs .* "
                                               r"multiples of 2, not \[32, 7, 7\]"):
        from_dict(bad)
    bad = _bad(cnn, ("layers", 0, "W"), [[[[1]]]])
    with pytest.raises(NetworkFileError, match=r"layer 0 \(conv\): key 'shape' \[16, 1, 3, 3\] "
                                               r"does not match W, which is \[1, 1, 1, 1\]"):
        from_dict(bad)
    del bad["layers"][0]["shape"]
    with pytest.raises(NetworkFileError, match=r"layer 0 \(conv\): key 'b' must hold 1 biases"):
        from_dict(bad)
    bad = _bad(cnn, ("layers", 2, "k"), 3)
    with pytest.raises(NetworkFileError, match=r"layer 2 \(avgpool\): key 'k' must be a "
                                               r"power of two"):
        from_dict(bad)


def test_cli_rejects_malformed_without_output(tmp_path, mlp):
    """``python -m gen network`` on a malformed file: one line, exit 2, no files."""
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(_bad(mlp, ("layers", 4, "W", 3, 5), 300)))
    out = tmp_path / "out"
    r = run_cli("gen", "network", bad, "--out", out)
    assert_usage_error(r, "bad.json: layer 4 (linear): key 'W' holds 300")
    assert not out.exists()
    r = run_cli("gen", "network", tmp_path / "missing.json", "--out", out)
    assert_usage_error(r, "missing.json' does not exist")
    (tmp_path / "text.json").write_text("not json")
    r = run_cli("gen", "network", tmp_path / "text.json", "--out", out)
    assert_usage_error(r, "text.json: not JSON")
    assert not out.exists()


@pytest.mark.parametrize("model, act", MODELS_SHIPPED)
def test_shipped_weights(model, act):
    """The shipped ANNs load, were trained with the default configuration (seed 0), and score
    what they recorded."""
    from net.train import TrainConfig

    t = load_weights(weights_path(model, act))
    assert t.config == TrainConfig() and (t.model, t.act) == (model, act)
    meta = json.loads(str(np.load(weights_path(model, act))["meta"].reshape(-1)[0]))
    assert abs(t.test_accuracy - meta["test_accuracy"]) < 0.01
    assert meta["command"] == "python -m net train-weights"


def test_retraining_lands_near_the_shipped_accuracy():
    """Training is not bit-reproducible across machines, so a retrained ANN is compared with
    the shipped one by accuracy: within one point."""
    from net.train import TrainConfig, train

    shipped = load_weights(weights_path("mlp", "relu"))
    fresh = train("mlp", "relu", TrainConfig(), show_progress=False)
    assert abs(fresh.test_accuracy - shipped.test_accuracy) <= 1.0, \
        (fresh.test_accuracy, shipped.test_accuracy)
