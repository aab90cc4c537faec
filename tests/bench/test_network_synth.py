"""bench/network_synth.py: the synthesis table in docs/network-hardware.md is the tool's
rendering of its JSON data (no figure typed by hand), and the target checks read the rows
right."""

import importlib.util
import json

from clirun import ROOT

SPEC = importlib.util.spec_from_file_location("network_synth", ROOT / "bench" / "network_synth.py")
network_synth = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(network_synth)

DATA = ROOT / "docs" / "network-synthesis.json"


def _section(text, begin, end):
    return text[text.index(begin) + len(begin):text.index(end)].strip("\n")


def test_page_is_the_rendering_of_the_data():
    data = json.loads(DATA.read_text())
    want = network_synth.markdown(data["rows"], data["command"]) \
        + network_synth.targets_lines(data["rows"])
    page = (ROOT / "docs" / "network-hardware.md").read_text()
    assert _section(page, network_synth.BEGIN, network_synth.END) == "\n".join(want)


def _row(**kw):
    row = {"network": "mlp_fs_relu_k10", "pe": [16, 8, 2], "lanes": 4, "device": "ice40",
           "fits": True, "luts": 3500, "fmax_mhz": 30.0, "timing_met": True,
           "images_per_s": 65_000}
    row.update(kw)
    return row


def test_targets_read_the_rows():
    rows = [_row(), _row(device="ecp5", pe=64, lanes=None, images_per_s=1_200_000),
            _row(device="ecp5", pe=16, lanes=None, images_per_s=300_000),
            _row(network="cnn_fs_relu_k10", device="ecp5", pe=16, lanes=None,
                 timing_met=False, fmax_mhz=90.0)]
    got = {what.split(" (")[0]: met for what, _, met in network_synth.targets(rows)}
    assert list(got.values()) == [True, True, True, False]
    rows[0] = _row(luts=4900)                       # 93 % of the iCE40's LUTs
    assert [met for _, _, met in network_synth.targets(rows)][0] is False
    rows[0] = _row(images_per_s=40_000)
    assert [met for _, _, met in network_synth.targets(rows)][1] is False
