"""The byte protocol of the classifier (a network core on a board), host side, and its constants
for the FPGA.

Wire format (8N1 UART; ``N`` = the network's ``input.count``, ``C`` its classes, ``B`` =
ceil(output.width / 8) bytes per logit)::

    host -> board   'I' (0x49) + N bytes       classify one image: its input codes in C order,
                                               one byte each (two's complement when signed)
                    '?' (0x3F)                 identify
                    any other byte             ignored
    board -> host   'C' (0x43) + 1 + C*B bytes the class (u8), then the C logits, each
                                               little-endian two's complement in B bytes,
                                               class 0 first
                    '?' (0x3F) + 12 bytes      the first 8 bytes of the network file's
                                               sha256, N (u16 LE), C (u8), B (u8)

Replies come in request order (an identify waits for the images before it). The host may keep
as many images outstanding as the board's receive FIFO holds (:func:`window`): the UART
cannot be stalled, and that bound is what keeps the FIFO from overflowing whatever the network's
speed.

Like :mod:`boards.protocol`, the host code is sans-I/O: :class:`Classifier` methods are
generators of ``("write", bytes)`` / ``("read", n)`` requests, driven by
:func:`boards.protocol.run_sync` (pyserial) or :func:`boards.protocol.run_async` (cocotbext-uart
in the end-to-end simulation).
"""

import struct
from dataclasses import dataclass

from common.checks import InputError

from .protocol import CMD_IDENT, ProtocolError, run_async, run_sync

__all__ = ["CMD_IMAGE", "CMD_CLASS", "CMD_IDENT", "IDENT_LEN", "NetIdentity", "Classifier",
           "window", "image_bytes", "run_sync", "run_async"]

CMD_IMAGE = 0x49    # 'I'
CMD_CLASS = 0x43    # 'C'
#: bytes of an identify reply after its header byte
IDENT_LEN = 12
_IDENT_FMT = "<8sHBB"


def logit_bytes(width):
    """Bytes per logit on the wire: ceil(width / 8)."""
    return (int(width) + 7) // 8


def image_bytes(count):
    """Bytes of one image request ('I' + the codes)."""
    return 1 + int(count)


def window(count, rx_log2_depth):
    """Images a host may keep outstanding: as many as the receive FIFO of
    ``2**rx_log2_depth`` bytes holds (at least one)."""
    return max(1, (1 << rx_log2_depth) // image_bytes(count))


@dataclass(frozen=True)
class NetIdentity:
    """What an identify reply says: the network file's sha256 prefix and the frame sizes."""

    sha8: bytes
    count: int
    classes: int
    logit_bytes: int

    def to_bytes(self):
        return struct.pack(_IDENT_FMT, self.sha8, self.count, self.classes, self.logit_bytes)

    @classmethod
    def from_bytes(cls, data):
        if len(data) != IDENT_LEN:
            raise ProtocolError(f"identify reply has {len(data)} bytes, not {IDENT_LEN}")
        return cls(*struct.unpack(_IDENT_FMT, bytes(data)))

    @classmethod
    def of(cls, sha256_hex, count, classes, width):
        """The identity of a network: file sha256 (hex), input count, classes, logit width."""
        if not 1 <= count < 1 << 16:
            raise InputError(f"the classifier protocol carries at most 65535 input codes per "
                             f"image, not {count}")
        if not 1 <= classes <= 256:
            raise InputError(f"the classifier protocol carries at most 256 classes, "
                             f"not {classes}")
        return cls(bytes.fromhex(sha256_hex)[:8], count, classes, logit_bytes(width))


class Classifier:
    """Host side of the classifier protocol for one network.

    Parameters
    ----------
    sha256 : str
        The network file's sha256 (hex); its first 8 bytes must match the board's.
    count, classes : int
        Input codes per image and classes.
    logit_width : int
        Bits of a logit (the logits must fit the board's bytes per logit).
    input_width : int
        Bits of an input code (at most 8: one byte each on the wire).
    signed : bool
        Whether input codes are two's complement.
    """

    def __init__(self, sha256, count, classes, logit_width, input_width, signed):
        if input_width > 8:
            raise InputError(f"input codes of {input_width} bits do not fit the protocol's "
                             f"one byte per code")
        self.expect = NetIdentity.of(sha256, count, classes, logit_width)
        self.count, self.classes = count, classes
        self.input_width, self.signed = input_width, signed
        self.identity = None

    @classmethod
    def for_network(cls, network):
        """The host of a :class:`net.netfile.Network` (loaded from its file)."""
        return cls(network.sha256, network.input_count, network.classes, network.output_width,
                   network.input_width, network.input_signed)

    def encode(self, codes):
        """One image request: 'I' and one byte per code."""
        codes = [int(c) for c in codes]
        if len(codes) != self.count:
            raise ValueError(f"an image has {self.count} codes, not {len(codes)}")
        lo, hi = (-(1 << (self.input_width - 1)), (1 << (self.input_width - 1)) - 1) \
            if self.signed else (0, (1 << self.input_width) - 1)
        bad = [c for c in codes if not lo <= c <= hi]
        if bad:
            raise ValueError(f"input code {bad[0]} outside {lo}..{hi}")
        return bytes([CMD_IMAGE]) + bytes(c & 0xFF for c in codes)

    @property
    def reply_len(self):
        """Bytes of a class reply, header included."""
        return 2 + self.classes * self._logit_bytes

    @property
    def _logit_bytes(self):
        return (self.identity or self.expect).logit_bytes

    def decode(self, frame):
        """``(class, [logits])`` of one class reply (header byte included)."""
        frame = bytes(frame)
        if len(frame) != self.reply_len or frame[0] != CMD_CLASS:
            raise ProtocolError(f"bad reply frame {frame[:16].hex()}... (want 'C' + "
                                f"{self.reply_len - 1} bytes)")
        B = self._logit_bytes
        logits = [int.from_bytes(frame[2 + c * B:2 + (c + 1) * B], "little", signed=True)
                  for c in range(self.classes)]
        return frame[1], logits

    def identify(self):
        """Generator: ask the board which network it runs; returns its :class:`NetIdentity`
        (checked against this network)."""
        yield ("write", bytes([CMD_IDENT]))
        head = yield ("read", 1)
        if head != bytes([CMD_IDENT]):
            raise ProtocolError(f"identify answered with {bytes(head).hex()}, not '?'")
        ident = NetIdentity.from_bytes((yield ("read", IDENT_LEN)))
        want = self.expect
        if ident.sha8 != want.sha8:
            raise ProtocolError(f"the board runs network {ident.sha8.hex()}..., this file is "
                                f"{want.sha8.hex()}...: wrong bitstream?")
        if (ident.count, ident.classes) != (want.count, want.classes):
            raise ProtocolError(f"the board takes {ident.count} codes and has {ident.classes} "
                                f"classes, this network {want.count} and {want.classes}")
        if ident.logit_bytes < want.logit_bytes:
            raise ProtocolError(f"the board sends {ident.logit_bytes} bytes per logit, the "
                                f"network's logits need {want.logit_bytes}")
        self.identity = ident
        return ident

    def classify(self, images, window, on_reply=None):
        """Generator: send every image, keeping at most ``window`` outstanding; returns the
        ``(class, logits)`` replies in order. ``on_reply(n)`` is called after reply n."""
        frames = [self.encode(x) for x in images]
        replies = []
        sent = 0
        while len(replies) < len(frames):
            burst = min(window - (sent - len(replies)), len(frames) - sent)
            if burst > 0:
                yield ("write", b"".join(frames[sent:sent + burst]))
                sent += burst
            replies.append(self.decode((yield ("read", self.reply_len))))
            if on_reply is not None:
                on_reply(len(replies))
        return replies
