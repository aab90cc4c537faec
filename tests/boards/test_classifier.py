"""The classifier's byte protocol (host side), its view of a network manifest, the LED count of
each board, and the command lines' checks (one-line errors, no files, before any synthesis)."""

import json

import numpy as np
import pytest

from clirun import ROOT, run_cli
from random_networks import random_mlp, relu_unit

from boards.classifier import NetFrame, classifier_fifo_log2
from boards.classify_host import check_replies, confusion_matrix, Expected
from boards.cores import load_core
from boards.netproto import (CMD_CLASS, IDENT_LEN, Classifier, NetIdentity, image_bytes,
                             window)
from boards.platforms import BOARDS, led_count
from boards.protocol import ProtocolError, run_sync
from common.checks import InputError
from gen import generate
from gen.network.ir import build_ir

NETWORK = ROOT / "net" / "examples" / "mlp_fs_relu_k10.json"
MANIFEST = ROOT / "rtl" / "net_mlp_fs_relu_k10_p16_8_2_l4.json"
SHA = "c96bae69a048250f16163e40dffb83f39d6538a0f56def29be1a5f8d19870b98"


@pytest.mark.parametrize("lanes", [None, 2])
def test_a_network_without_digits_figures_takes_an_image_per_ii(tmp_path, lanes):
    """A network that does not take digits images has no mean interval: its rate is one image
    per worst-case ii, whatever its neuron lanes (null by default)."""
    net = random_mlp(np.random.default_rng(0), relu_unit("fs", 4), (4, 3, 2))
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(net))
    manifest = generate(build_ir(path, pe=4, lanes=lanes), tmp_path / "out").manifest
    core = load_core(manifest)
    assert core.manifest["ii_mean"] is None and core.manifest["lanes"] == lanes
    assert (core.lanes, core.ii) == (1, core.manifest["ii"])


def test_frame_of_the_reference_network():
    f = NetFrame.of(load_core(MANIFEST))
    assert (f.count, f.in_width, f.signed, f.classes) == (64, 5, False, 10)
    assert (f.class_offset, f.class_width, f.logits_offset, f.logit_width) == (0, 4, 4, 21)
    assert f.logit_bytes == 3 and f.sha256 == SHA
    assert f.identity.to_bytes() == bytes.fromhex(SHA[:16]) + bytes([64, 0, 10, 3])
    assert len(f.identity.to_bytes()) == IDENT_LEN


def test_frame_of_a_neuron_core_is_refused():
    with pytest.raises(InputError, match="needs a network core"):
        NetFrame.of(load_core(ROOT / "rtl" / "fs_relu_k10.json"))


def test_identity_round_trip_and_limits():
    ident = NetIdentity.of(SHA, 784, 10, 17)
    assert NetIdentity.from_bytes(ident.to_bytes()) == ident
    assert ident.logit_bytes == 3 and ident.to_bytes()[8:10] == (784).to_bytes(2, "little")
    with pytest.raises(InputError, match="65535"):
        NetIdentity.of(SHA, 1 << 16, 10, 8)
    with pytest.raises(InputError, match="256 classes"):
        NetIdentity.of(SHA, 64, 257, 8)
    with pytest.raises(ProtocolError):
        NetIdentity.from_bytes(b"\x00" * 11)


def test_window_is_what_the_rx_fifo_holds():
    assert image_bytes(64) == 65
    assert window(64, 9) == 7 and window(64, 8) == 3 and window(1000, 9) == 1
    for b in BOARDS.values():
        rx, tx = classifier_fifo_log2(b, 64)
        assert window(64, rx) >= 2 and tx == b.fifo_log2


def test_encode_codes_one_byte_each():
    unsigned = Classifier(SHA, 4, 3, 9, 5, False)
    assert unsigned.encode([0, 16, 31, 1]) == bytes([0x49, 0, 16, 31, 1])
    signed = Classifier(SHA, 3, 3, 9, 5, True)
    assert signed.encode([-16, -1, 15]) == bytes([0x49, 0xF0, 0xFF, 0x0F])
    with pytest.raises(ValueError, match="outside"):
        signed.encode([16, 0, 0])
    with pytest.raises(ValueError, match="3 codes"):
        signed.encode([0, 0])
    with pytest.raises(InputError, match="one byte per code"):
        Classifier(SHA, 3, 3, 9, 9, True)


def test_decode_logits_little_endian_twos_complement():
    proto = Classifier(SHA, 4, 3, 17, 5, False)
    logits = [-5, 70000, -65536]
    frame = bytes([CMD_CLASS, 1]) + b"".join(v.to_bytes(3, "little", signed=True)
                                             for v in logits)
    assert proto.reply_len == 2 + 3 * 3
    assert proto.decode(frame) == (1, logits)
    with pytest.raises(ProtocolError):
        proto.decode(b"\x45" + frame[1:])
    with pytest.raises(ProtocolError):
        proto.decode(frame[:-1])


class Replay:
    """A transport that answers reads from a byte string and records writes."""

    def __init__(self, data):
        self.data, self.written = bytes(data), b""

    def write(self, data):
        self.written += data

    def read(self, n):
        out, self.data = self.data[:n], self.data[n:]
        return out


def _ident(sha=SHA, count=4, classes=3, width=17):
    return b"?" + NetIdentity.of(sha, count, classes, width).to_bytes()


def test_identify_checks_the_network():
    proto = Classifier(SHA, 4, 3, 17, 5, False)
    assert run_sync(proto.identify(), Replay(_ident())).logit_bytes == 3
    other = "00" * 32
    with pytest.raises(ProtocolError, match="wrong bitstream"):
        run_sync(proto.identify(), Replay(_ident(sha=other)))
    with pytest.raises(ProtocolError, match="takes 5 codes"):
        run_sync(proto.identify(), Replay(_ident(count=5)))
    with pytest.raises(ProtocolError, match="bytes per logit"):
        run_sync(proto.identify(), Replay(_ident(width=8)))
    with pytest.raises(ProtocolError, match="timed out"):
        run_sync(proto.identify(), Replay(b"?"))


def test_classify_keeps_the_window():
    """Never more than ``window`` images written ahead of the replies read."""
    proto = Classifier(SHA, 2, 2, 8, 5, False)
    images = [[n, n] for n in range(7)]
    replies = b"".join(bytes([CMD_CLASS, n % 2, n, (-n) & 0xFF]) for n in range(7))

    class Checked(Replay):
        def __init__(self, data):
            super().__init__(data)
            self.images = self.replies = 0

        def write(self, data):
            self.images += data.count(b"I")
            assert self.images - self.replies <= 3
            super().write(data)

        def read(self, n):
            self.replies += 1
            return super().read(n)

    t = Checked(replies)
    got = run_sync(proto.classify(images, 3), t)
    assert got == [(n % 2, [n, -n]) for n in range(7)]
    assert t.written == b"".join(proto.encode(x) for x in images)


def test_replies_checked_against_the_network():
    want = Expected([1, 0], [[3, 5], [-2, -7]], [10, 20])
    assert check_replies([(1, [3, 5]), (0, [-2, -7])], want) == []
    problems = check_replies([(1, [3, 5]), (0, [-2, -6])], want)
    assert len(problems) == 1 and problems[0].startswith("image 1:")
    assert check_replies([(1, [3, 5])], want)[0] == "1 replies for 2 images"
    cm = confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2], 3)
    assert cm.tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 1]]


def test_led_counts():
    assert {name: led_count(b, extra=True) for name, b in BOARDS.items()} == \
        {"icebreaker": 7, "ulx3s-85f": 8, "tangnano9k": 6}
    assert led_count(BOARDS["icebreaker"]) == 2


@pytest.mark.parametrize("args, message", [
    (["build", "icebreaker", "--network", NETWORK, "--core", "amos"], "give no --core"),
    (["build", "icebreaker", "--network", NETWORK, "--K", "4"], "give no --core"),
    (["build", "icebreaker", "--pe", "4"], "--pe is an option of the classifier"),
    (["build", "icebreaker", "--network", ROOT / "README.md"], "README.md"),
    (["build", "icebreaker", "--network", NETWORK, "--pe", "0"], "--pe"),
    (["build", "tangnano9k", "--network", NETWORK], "17280 bits of RAM"),
    (["demo", "icebreaker", "--network", NETWORK, "--sim"], "sim-board"),
    (["demo", "icebreaker", "--network", NETWORK], "give --port"),
    (["demo", "icebreaker", "--network", NETWORK, "--port", "/nonexistent/tty"],
     "cannot open /nonexistent/tty"),
    (["demo", "icebreaker", "--network", NETWORK, "--port", "/dev/null", "--images", "451"],
     "--images must be from 1 to 450"),
    (["demo", "icebreaker", "--images", "3", "--port", "/dev/null"], "--images is an option"),
    (["sim-board", "icebreaker", "--network", ROOT / "README.md"], "README.md"),
    (["sim-board", "icebreaker", "--network", NETWORK, "--baud", "6000000"], "too fast"),
])
def test_classifier_commands_bad_input(tmp_path, args, message):
    out = tmp_path / "out"
    r = run_cli("boards", *args, "--out", out)
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stderr.startswith("error: ") and message in r.stderr, r.stderr
    assert r.stderr.count("\n") == 1, r.stderr
    assert not out.exists()
