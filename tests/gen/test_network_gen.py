"""``python -m gen network``: the command line and the manifest (the reference top in rtl/ is
checked with the others, tests/gen/test_references.py)."""

import hashlib
import json

import pytest

from clirun import ROOT, assert_usage_error, run_cli
from gen.network.ir import NetworkIR, default_name
from gen.network.plan import PlanError, make_plan
from net.export import EXAMPLES_DIR
from net.netfile import from_dict, load
from random_networks import random_mlp, relu_unit

MLP = EXAMPLES_DIR / "mlp_fs_relu_k10.json"
#: the reference network top in rtl/ (gen/references.py): the MLP FS-ReLU K=10 as it fits the iCE40UP5K: 16, 8
#: and 2 accumulators in its three layers, 4 neuron lanes
RTL_PE, RTL_LANES = (16, 8, 2), 4
RTL_NAME = default_name("mlp_fs_relu_k10", RTL_PE) + "_l4"


def test_cli_writes_top_and_manifest(tmp_path):
    import jsonschema

    r = run_cli("gen", "network", MLP, "--pe", "4", "--name", "mlp4", "--out", tmp_path)
    assert r.returncode == 0, r.stderr
    assert "mlp4: spiking network mlp_fs_relu_k10.json" in r.stdout
    assert "wrote" in r.stdout
    m = json.loads((tmp_path / "mlp4.json").read_text())
    jsonschema.validate(m, json.loads((ROOT / "gen" / "manifest.schema.json").read_text()))
    assert list(m)[:6] == ["core", "top", "verilog", "latency", "ii", "ports"]
    assert m["core"] == "network" and m["top"] == "mlp4" and m["pe"] == 4
    assert m["input"] == {"width": 5, "frac": 4, "signed": False, "count": 64, "shape": [64]}
    assert m["output"]["classes"] == 10 and m["output"]["frac"] == 14
    assert m["network"] == {"file": "mlp_fs_relu_k10.json",
                            "sha256": hashlib.sha256(MLP.read_bytes()).hexdigest()}
    assert [(row["op"], row["shape"], row["pe"]) for row in m["layers"]] == [
        ("linear", [64], 4), ("fs", [64], 4), ("linear", [32], 4), ("fs", [32], 4),
        ("linear", [10], 4)]
    assert m["ii"] == max(row["cycles"] for row in m["layers"])
    assert 0 < m["ii_mean"] < m["ii"] < m["latency"]
    assert m["digits"]["accuracy"] == 98.6667
    # the payloads as the contract says: 5-bit code in; {class: 4 bits, 10 x logits} out
    o = m["ports"]["o"]["payload"]
    assert m["ports"]["i"]["payload"] == {"width": 5, "signed": False}
    assert [(f["name"], f["offset"], f["width"]) for f in o["fields"]] == [
        ("class", 0, 4), ("logits", 4, 10 * m["output"]["width"])]
    assert o["fields"][1]["element"] == {"width": m["output"]["width"], "signed": True}
    assert (tmp_path / "mlp4.v").read_text().count("module mlp4(") == 1


def test_cli_per_layer_pe_and_lanes(tmp_path):
    r = run_cli("gen", "network", MLP, "--pe", "16,8,2", "--lanes", "4", "--out", tmp_path)
    assert r.returncode == 0, r.stderr
    m = json.loads((tmp_path / f"{RTL_NAME}.json").read_text())
    assert m["pe"] == [16, 8, 2] and m["lanes"] == 4
    assert [row["pe"] for row in m["layers"]] == [16, 4, 8, 4, 2]


@pytest.mark.parametrize("args, fragment", [
    (["--pe", "0"], "--pe must be between 1 and 4096, not 0"),
    (["--pe", "x"], "'x' is not an integer"),
    (["--pe", "16,8"], "--pe gives 2 values for 3 affine layers"),
    (["--lanes", "0"], "--lanes must be between 1 and 4096, not 0"),
    (["--name", "9net"], "is not a Verilog identifier"),
])
def test_cli_bad_options(tmp_path, args, fragment):
    out = tmp_path / "out"
    r = run_cli("gen", "network", MLP, *args, "--out", out)
    assert_usage_error(r, fragment)
    assert not out.exists()


def test_unsupported_structure(tmp_path):
    """A valid network the hardware does not build: one line naming the layer, no files."""
    import numpy as np

    net = random_mlp(np.random.default_rng(0), relu_unit("fs", 3), [4, 3, 2])
    net["layers"].insert(2, dict(net["layers"][1]))            # two neuron layers in a row
    net["layers"][2]["shift"] = 0
    from_dict(net)
    with pytest.raises(PlanError, match=r"layer 0 \(linear\): the network hardware needs "
                                        r"exactly one neuron layer"):
        make_plan(from_dict(net), 2)
    path = tmp_path / "two.json"
    path.write_text(json.dumps(net))
    r = run_cli("gen", "network", path, "--out", tmp_path / "out")
    assert_usage_error(r, "exactly one neuron layer")
    assert not (tmp_path / "out").exists()


def test_pe_per_layer_and_worst_case():
    ir = NetworkIR(load(MLP), pe=48)
    assert [a.P for a in ir.plan.affine] == [48, 32, 10]
    assert [a.G for a in ir.plan.affine] == [2, 1, 1]
    # more accumulators: fewer cycles per image, never more
    slow = NetworkIR(load(MLP), pe=1)
    assert slow.ii > ir.ii and slow.digits["ii_mean"] > ir.digits["ii_mean"]


IF_NET = EXAMPLES_DIR / "mlp_if_relu_k10.json"


def test_cli_if_network(tmp_path):
    """The rate-coded IF example through the same command: the FS network's ports, payloads
    and manifest keys; its unit, steps, memories and the cycle model's figures."""
    import jsonschema

    r = run_cli("gen", "network", IF_NET, "--pe", "8", "--coding", "if", "--out", tmp_path)
    assert r.returncode == 0, r.stderr
    m = json.loads((tmp_path / "net_mlp_if_relu_k10_p8.json").read_text())
    jsonschema.validate(m, json.loads((ROOT / "gen" / "manifest.schema.json").read_text()))
    fs = NetworkIR(load(MLP), pe=8).manifest()
    assert list(m) == list(fs)
    assert m["unit"] == {"coding": "if", "K": 10, "Q": 8, "activation": "relu",
                         "steps": 1023, "theta": 1024}
    assert m["input"] == fs["input"]
    assert [(row["op"], row["shape"], row["pe"]) for row in m["layers"]] == [
        ("linear", [64], 8), ("if", [64], 8), ("linear", [32], 8), ("if", [32], 8),
        ("linear", [10], 8)]
    # the logits are sums over the 1023 steps: wider than one step's
    net = load(IF_NET)
    assert m["output"]["width"] == from_dict(json.loads(IF_NET.read_text())).output_width
    assert net.output_range[1] == 1023 * net.layers[-1].out_range[1]
    assert m["digits"]["accuracy"] == 98.6667
    assert 0 < m["ii_mean"] < m["ii"] < m["latency"]
    assert m["ii"] >= max(row["cycles"] for row in m["layers"])
    # the FS network is more than ten times faster per image, at the same P
    assert m["ii_mean"] > 10 * fs["ii_mean"]
    assert m["memory_bits"]["membranes"] > 0


def test_cli_coding_must_match_the_file(tmp_path):
    out = tmp_path / "out"
    r = run_cli("gen", "network", MLP, "--coding", "if", "--out", out)
    assert_usage_error(r, "--coding if: mlp_fs_relu_k10.json is a network of fs neurons")
    assert not out.exists()
