"""The byte protocol of the activation coprocessor, host side (and its constants for the FPGA).

Wire format (8N1 UART, every multi-byte field little-endian, payloads padded with zero bits to
whole bytes; ``IN`` = ceil(in_width / 8), ``OUT`` = ceil(out_width / 8))::

    host -> board   'E' (0x45) + IN bytes       evaluate one input beat of the core
                    '?' (0x3F)                  identify
                    any other byte              ignored (lets a host resynchronize)
    board -> host   'E' (0x45) + OUT bytes      the core's output beat for the oldest request
                    '?' (0x3F) + 14 bytes       identity: b"SPK", version, in_width (u16),
                                                out_width (u16), log2 FIFO depth, flags,
                                                CRC-32 of the core's Verilog (u32)

The payload bytes are the core's stream payloads exactly as the core's issue defines them (for
the FS core: lane n's signed x at bits [n*W, (n+1)*W); its output lane n {spikes, value} at
n*(K+Wout)). Flags: bit 0 = the receiver lost a byte (FIFO overflow), bit 1 = a framing error
was seen; both are cleared by the identify that reports them.

Flow control: the board has a byte FIFO of ``2**log2_depth`` bytes on each side. The host keeps
at most ``window = min(depth // (1 + IN), depth // (1 + OUT))`` requests outstanding, so neither
FIFO can overflow however slow the core or the host is. Identify only with no request
outstanding (its reply is not ordered with respect to evaluation replies).

The host code is sans-I/O: :meth:`Coprocessor.session` is a generator that yields
``("write", bytes)`` and ``("read", n)`` requests and receives the bytes read. :func:`run_sync`
drives it over a blocking transport (pyserial: ``python -m boards demo``); :func:`run_async`
drives it over an async one (cocotbext-uart in the end-to-end simulation). Both run the very
same protocol code.
"""

import zlib

from bitstring import Bits, pack

__all__ = ["CMD_EVAL", "CMD_IDENT", "MAGIC", "VERSION", "IDENT_LEN", "ProtocolError",
           "Identity", "ident_bytes", "Coprocessor", "run_sync", "run_async", "core_crc",
           "SerialTransport"]

CMD_EVAL = 0x45     # 'E'
CMD_IDENT = 0x3F    # '?'
MAGIC = b"SPK"
VERSION = 1
#: bytes of an identify reply after its header byte
IDENT_LEN = 14
_IDENT_FMT = "bytes:3, u8, ule16, ule16, u8, u8, ule32"


class ProtocolError(RuntimeError):
    """The board's reply does not follow the protocol (or belongs to another core)."""


def core_crc(verilog_text):
    """CRC-32 of a core's Verilog: identifies which core a bitstream carries."""
    if isinstance(verilog_text, str):
        verilog_text = verilog_text.encode()
    return zlib.crc32(verilog_text) & 0xFFFFFFFF


def nbytes(width):
    return (width + 7) // 8


class Identity:
    """What an identify reply says about the board's design."""

    def __init__(self, in_width, out_width, log2_depth, crc, flags=0, version=VERSION):
        self.in_width, self.out_width = in_width, out_width
        self.log2_depth, self.crc, self.flags, self.version = log2_depth, crc, flags, version

    @property
    def depth(self):
        return 1 << self.log2_depth

    @property
    def window(self):
        """Most requests that may be outstanding (see the module docstring)."""
        return max(1, min(self.depth // (1 + nbytes(self.in_width)),
                          self.depth // (1 + nbytes(self.out_width))))

    def to_bytes(self):
        return pack(_IDENT_FMT, MAGIC, self.version, self.in_width, self.out_width,
                    self.log2_depth, self.flags, self.crc).tobytes()

    @classmethod
    def from_bytes(cls, data):
        if len(data) != IDENT_LEN:
            raise ProtocolError(f"identify reply has {len(data)} bytes, not {IDENT_LEN}")
        magic, version, in_w, out_w, log2, flags, crc = Bits.from_bytes(data).unpack(_IDENT_FMT)
        if magic != MAGIC:
            raise ProtocolError(f"not a spikegen coprocessor (magic {magic!r})")
        if version != VERSION:
            raise ProtocolError(f"protocol version {version}, this host speaks {VERSION}")
        return cls(in_w, out_w, log2, crc, flags, version)

    def __eq__(self, other):
        return isinstance(other, Identity) and self.to_bytes() == other.to_bytes()

    def __repr__(self):
        return (f"Identity(in_width={self.in_width}, out_width={self.out_width}, "
                f"depth={self.depth}, crc={self.crc:#010x}, flags={self.flags})")


def ident_bytes(in_width, out_width, log2_depth, crc):
    """The identify reply body the FPGA sends (flags filled in by the hardware)."""
    return Identity(in_width, out_width, log2_depth, crc).to_bytes()


class Coprocessor:
    """Host side of the protocol for one core.

    Parameters
    ----------
    in_width, out_width : int
        The core's payload widths.
    crc : int, optional
        Expected :func:`core_crc` of the core; checked against the board's identify reply.
    """

    def __init__(self, in_width, out_width, crc=None):
        self.in_width, self.out_width, self.crc = in_width, out_width, crc
        self.in_bytes, self.out_bytes = nbytes(in_width), nbytes(out_width)
        self.identity = None

    def encode(self, payload):
        """One evaluation request."""
        payload = int(payload)
        if not 0 <= payload < (1 << self.in_width):
            raise ValueError(f"payload {payload:#x} does not fit {self.in_width} bits")
        return pack(f"u8, ule{8 * self.in_bytes}", CMD_EVAL, payload).tobytes()

    def decode(self, frame):
        """The output payload of one evaluation reply (header byte included)."""
        if len(frame) != 1 + self.out_bytes or frame[0] != CMD_EVAL:
            raise ProtocolError(f"bad reply frame {bytes(frame).hex()} (want 'E' + "
                                f"{self.out_bytes} bytes)")
        value = Bits.from_bytes(bytes(frame[1:])).unpack(f"ule{8 * self.out_bytes}")[0]
        if value >> self.out_width:
            raise ProtocolError(f"reply {value:#x} has bits above the {self.out_width}-bit "
                                f"payload")
        return value

    def identify(self):
        """Generator: ask the board who it is; returns (and stores) its :class:`Identity`."""
        yield ("write", bytes([CMD_IDENT]))
        head = yield ("read", 1)
        if head != bytes([CMD_IDENT]):
            raise ProtocolError(f"identify answered with {bytes(head).hex()}, not '?'")
        ident = Identity.from_bytes((yield ("read", IDENT_LEN)))
        if (ident.in_width, ident.out_width) != (self.in_width, self.out_width):
            raise ProtocolError(f"the board's core has payload widths {ident.in_width}/"
                                f"{ident.out_width}, this core {self.in_width}/"
                                f"{self.out_width}: wrong bitstream?")
        if self.crc is not None and ident.crc != self.crc:
            raise ProtocolError(f"the board's core has CRC {ident.crc:#010x}, this core "
                                f"{self.crc:#010x}: wrong bitstream?")
        self.identity = ident
        return ident

    def evaluate(self, payloads, window=None):
        """Generator: send every payload, keeping at most ``window`` outstanding; returns
        the output payloads in order."""
        if window is None:
            if self.identity is None:
                raise ProtocolError("identify first (or give a window)")
            window = self.identity.window
        payloads = [int(p) for p in payloads]
        frames = [self.encode(p) for p in payloads]
        outputs = []
        sent = 0
        while len(outputs) < len(payloads):
            # fill the window in one write, then collect one reply
            burst = min(window - (sent - len(outputs)), len(payloads) - sent)
            if burst > 0:
                yield ("write", b"".join(frames[sent:sent + burst]))
                sent += burst
            outputs.append(self.decode((yield ("read", 1 + self.out_bytes))))
        return outputs

    def session(self, payloads):
        """Generator: identify, then evaluate ``payloads``; returns (identity, outputs)."""
        ident = yield from self.identify()
        if ident.flags:
            # a byte was lost before this session (e.g. noise at power-up): start clean
            ident = yield from self.identify()
        outputs = yield from self.evaluate(payloads)
        after = yield from self.identify()
        if after.flags:
            raise ProtocolError(f"the board reports lost bytes (flags {after.flags:#x})")
        return ident, outputs


def run_sync(gen, transport):
    """Drive a protocol generator over a blocking transport with ``write(bytes)`` and
    ``read(n) -> bytes`` (a short read is a timeout)."""
    reply = None
    try:
        while True:
            op, arg = gen.send(reply)
            if op == "write":
                transport.write(arg)
                reply = None
            else:
                reply = transport.read(arg)
                if len(reply) != arg:
                    raise ProtocolError(f"timed out waiting for {arg} bytes "
                                        f"(got {len(reply)})")
    except StopIteration as stop:
        return stop.value


async def run_async(gen, transport):
    """Drive a protocol generator over an async transport (``await write``, ``await
    read(n)``)."""
    reply = None
    try:
        while True:
            op, arg = gen.send(reply)
            if op == "write":
                await transport.write(arg)
                reply = None
            else:
                reply = bytes(await transport.read(arg))
                if len(reply) != arg:
                    raise ProtocolError(f"timed out waiting for {arg} bytes")
    except StopIteration as stop:
        return stop.value


class SerialTransport:
    """A pyserial port as a blocking transport."""

    def __init__(self, port, baud, timeout=2.0):
        import serial

        self.port = serial.Serial(port, baudrate=baud, timeout=timeout)
        self.port.reset_input_buffer()

    def write(self, data):
        self.port.write(data)

    def read(self, n):
        return self.port.read(n)

    def close(self):
        self.port.close()
