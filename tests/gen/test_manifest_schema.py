"""Every manifest a generator writes, and every manifest in rtl/, satisfies the one manifest
schema (gen/manifest.schema.json); ``ports`` is the component's signature."""

import json

import jsonschema
import pytest

from clirun import ROOT

from common.payload import leaves, pack, unpack
from gen.__main__ import COMMANDS, main

SCHEMA = json.loads((ROOT / "gen" / "manifest.schema.json").read_text())

#: One small configuration or more per generator sub-command (every registered command).
CONFIGS = {
    "fsneuron": [["--act", "relu", "--K", "4"], ["--act", "silu", "--lanes", "3"],
                 ["--act", "sigmoid", "--K", "12", "--arch", "unrolled"]],
    "amos": [["--act", "relu", "--K", "4"], ["--act", "mul", "--K", "40"]],
    "tsc": [["--inputs", "5", "--neurons", "3", "--steps", "8"],
            ["--inputs", "5", "--neurons", "3", "--steps", "8", "--mode", "framed"]],
    "ifneuron": [["--K", "3"]],
    "network": [[str(ROOT / "net" / "examples" / "mlp_fs_relu_k10.json"), "--pe", "4"],
                [str(ROOT / "net" / "examples" / "cnn_fs_relu_k10.json"), "--pe", "2"],
                [str(ROOT / "net" / "examples" / "mlp_amos_relu_k10.json"), "--pe", "1"],
                [str(ROOT / "net" / "examples" / "mlp_if_relu_k10.json"), "--pe", "8"]],
}


def _validate(manifest):
    jsonschema.validate(manifest, SCHEMA, cls=jsonschema.Draft202012Validator)


def test_schema_is_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_every_generator_has_configurations():
    assert set(CONFIGS) == set(COMMANDS)


@pytest.mark.parametrize("command,args", [(c, a) for c, configs in CONFIGS.items()
                                          for a in configs])
def test_generated_manifest_matches_schema(command, args, tmp_path, capsys):
    assert main([command, *args, "--out", str(tmp_path)]) == 0
    (path,) = tmp_path.glob("*.json")
    manifest = json.loads(path.read_text())
    _validate(manifest)
    assert list(manifest)[:6] == ["core", "top", "verilog", "latency", "ii", "ports"]
    assert manifest["core"] == command
    assert (tmp_path / manifest["verilog"]).is_file()


@pytest.mark.parametrize("path", sorted((ROOT / "rtl").glob("*.json")), ids=lambda p: p.stem)
def test_reference_manifest_matches_schema(path):
    _validate(json.loads(path.read_text()))


def test_schema_rejects_a_manifest_without_ports():
    manifest = json.loads(sorted((ROOT / "rtl").glob("*.json"))[0].read_text())
    del manifest["ports"]
    with pytest.raises(jsonschema.ValidationError, match="'ports' is a required property"):
        _validate(manifest)


@pytest.mark.parametrize("path", sorted((ROOT / "rtl").glob("*.json")), ids=lambda p: p.stem)
def test_ports_pack_and_unpack_every_field(path):
    """Each leaf field of each payload, set alone to its extreme values, unpacks to itself."""
    manifest = json.loads(path.read_text())
    for port in ("i", "o"):
        layout = manifest["ports"][port]["payload"]
        for _, offset, width, signed in leaves(layout):
            for value in ((-(1 << (width - 1)), (1 << (width - 1)) - 1) if signed
                          else (0, (1 << width) - 1)):
                bits = (value & ((1 << width) - 1)) << offset
                assert pack(layout, unpack(layout, bits)) == bits


@pytest.mark.parametrize("command,args", [(c, a) for c, configs in CONFIGS.items()
                                          for a in configs[:1]])
def test_ports_name_the_components_verilog_ports(command, args):
    """``ports`` (from the IR's signature) names exactly the component's ports, as Amaranth's
    own ``wiring.ComponentMetadata`` describes them."""
    from amaranth.hdl import Fragment
    from amaranth.lib.wiring import ComponentMetadata

    from gen.__main__ import build_parser

    parsed = build_parser().parse_args([command, *args])
    ir = parsed._module.build(parsed)
    component = ir.component()
    Fragment.get(component, None)
    meta = ComponentMetadata(component).as_json()["interface"]["members"]
    for name, port in ir.manifest()["ports"].items():
        for field_name, signal in port["signals"].items():
            m = meta[name]["members"][field_name]
            assert m["name"] == signal
        assert meta[name]["members"]["payload"]["width"] == port["payload"]["width"]
