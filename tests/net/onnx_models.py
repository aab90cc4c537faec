"""Small ONNX and NIR models for the import tests, built directly with onnx.helper / nir."""

import numpy as np


def onnx_model(nodes, inits, in_shape=("n", 4), out_shape=("n", 3), opset=13,
               in_name="x", out_name="y"):
    """A model of ``nodes`` with float initializers ``inits`` ({name: array})."""
    from onnx import TensorProto, helper, numpy_helper

    graph = helper.make_graph(
        nodes, "g",
        [helper.make_tensor_value_info(in_name, TensorProto.FLOAT, list(in_shape))],
        [helper.make_tensor_value_info(out_name, TensorProto.FLOAT, list(out_shape))],
        [numpy_helper.from_array(np.asarray(v), k) for k, v in inits.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    return model.SerializeToString()


def mlp(rng, act="Relu", w1=None, extra=()):
    """x (n, 4) -> Gemm 4->5 -> act -> Gemm 5->3."""
    from onnx import helper

    w1 = rng.normal(size=(5, 4)).astype(np.float32) if w1 is None else w1
    nodes = [helper.make_node("Gemm", ["x", "w1", "b1"], ["h"], transB=1, name="fc1"),
             helper.make_node(act, ["h"], ["a"], name="act1"),
             helper.make_node("Gemm", ["a", "w2", "b2"], ["y"], transB=1, name="fc2"),
             *extra]
    inits = {"w1": w1, "b1": np.zeros(5, np.float32),
             "w2": rng.normal(size=(3, 5)).astype(np.float32), "b2": np.zeros(3, np.float32)}
    return nodes, inits


def cnn(rng, conv_attrs=None, pool=None, w=None, feats=None):
    """x (n, 1, 4, 4) -> Conv 1->2 3x3 -> Relu -> [pool] -> Flatten -> Gemm -> y (n, 3)."""
    from onnx import helper

    attrs = {"pads": [1, 1, 1, 1]} if conv_attrs is None else conv_attrs
    w = rng.normal(size=(2, 1, 3, 3)).astype(np.float32) if w is None else w
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv", **attrs),
             helper.make_node("Relu", ["c"], ["r"], name="relu")]
    last = "r"
    if pool is not None:
        nodes.append(helper.make_node("AveragePool", ["r"], ["p"], name="pool", **pool))
        last = "p"
    nodes += [helper.make_node("Flatten", [last], ["f"], name="flat"),
              helper.make_node("Gemm", ["f", "w2", "b2"], ["y"], transB=1, name="fc")]
    groups = attrs.get("group", 1)
    feats = feats or (2 * 16 if pool is None else 2 * 4)
    inits = {"w": w if groups == 1 else rng.normal(size=(2, 1, 3, 3)).astype(np.float32),
             "b": np.zeros(2, np.float32),
             "w2": rng.normal(size=(3, feats)).astype(np.float32),
             "b2": np.zeros(3, np.float32)}
    return nodes, inits
