"""The classifier: a generated network core behind a UART, LEDs showing the last class.

Data path (byte protocol in :mod:`boards.netproto`)::

    rx pin -> UartLink.o -> Deframer -> network.i        (one input code per byte)
    network.o -> Serializer -> UartLink.i -> tx pin      ('C', class, logits)
                   ^-- identify requests from the Deframer

The Deframer passes an image's bytes to the network's input stream as they arrive (the network
takes one code per beat), so nothing is buffered but in the receive FIFO. The Serializer reads
the network's ``{class, logits}`` payload in place (a stream payload is stable while ``valid``
is high), each logit sign-extended to whole bytes, and takes it when its last byte is queued.
An identify waits until every image before it has been answered, so replies keep request order.

The network core is seen only through its manifest (:class:`boards.cores.Core`): ``input``,
``output`` and ``network`` give the frame sizes and the identity, ``ports.o.payload`` the
positions of the class and the logits (:mod:`common.payload`).
"""

from dataclasses import dataclass

from amaranth import Array, Cat, ClockSignal, Const, Module, Signal
from amaranth.hdl import Instance
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from common.checks import InputError, check_int
from common.payload import field

from .link import OnBoard, UartLink, core_reset
from .netproto import CMD_CLASS, CMD_IDENT, CMD_IMAGE, NetIdentity, window
from .uart import uart_divisor

__all__ = ["NetFrame", "ClassifierTop", "BoardClassifier", "classifier_fifo_log2",
           "write_classifier_verilog"]


@dataclass(frozen=True)
class NetFrame:
    """What the classifier needs to know about a network core, from its manifest.

    Attributes
    ----------
    count, in_width : int
        Input codes per image and bits per code.
    signed : bool
        Input codes are two's complement.
    classes : int
    class_offset, class_width : int
        Where the class is in the output payload.
    logits_offset, logit_width : int
        Where logit 0 starts and each logit's width (logit c at ``logits_offset + c w``).
    sha256 : str
        The network file's sha256 (hex).
    """

    count: int
    in_width: int
    signed: bool
    classes: int
    class_offset: int
    class_width: int
    logits_offset: int
    logit_width: int
    sha256: str

    @property
    def identity(self):
        return NetIdentity.of(self.sha256, self.count, self.classes, self.logit_width)

    @property
    def logit_bytes(self):
        return self.identity.logit_bytes

    @classmethod
    def of(cls, core):
        """The frame of a network :class:`boards.cores.Core`; :class:`InputError` when the
        core is no network or its frames do not fit the protocol."""
        m = core.manifest
        where = str(core.manifest_path)
        if core.kind != "network":
            raise InputError(f"{where}: the classifier needs a network core "
                             f"(python -m gen network), not a {core.kind} core")
        try:
            inp, net = m["input"], m["network"]
            cls_off, cls_lay = field(core.out_layout, "class")
            log_off, log_lay = field(core.out_layout, "logits")
            elem = log_lay["element"]
            frame = cls(count=int(inp["count"]), in_width=core.in_width,
                        signed=bool(inp["signed"]), classes=int(log_lay["count"]),
                        class_offset=cls_off, class_width=cls_lay["width"],
                        logits_offset=log_off, logit_width=elem["width"],
                        sha256=str(net["sha256"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"{where}: not a network manifest ({exc!r} missing or "
                             f"malformed)") from None
        if frame.in_width > 8:
            raise InputError(f"{where}: input codes of {frame.in_width} bits do not fit the "
                             f"classifier's one byte per code")
        if frame.class_width > 8:
            raise InputError(f"{where}: a class of {frame.class_width} bits does not fit "
                             f"one byte")
        frame.identity      # checks count and classes against the protocol
        return frame


def classifier_fifo_log2(board, count):
    """(rx, tx) log2 FIFO depths of the classifier on ``board`` for images of ``count``
    codes: the board's demo depth, the receive FIFO grown to hold at least two images."""
    rx = max(board.fifo_log2, (2 * (1 + count) - 1).bit_length())
    return rx, board.fifo_log2


class ClassifierTop(wiring.Component):
    """The classifier around a network ``core`` (a :class:`boards.cores.Core`).

    Parameters
    ----------
    core : Core
        The network core; instantiated by module name (its Verilog is added separately).
    clock_hz : float
        Clock frequency (sets the UART divisor).
    baud : int
        UART bit rate.
    n_leds : int
        LEDs: they show the last class in binary (LED n = bit n).
    rx_log2_depth, tx_log2_depth : int
        Byte FIFO depths (log2).
    """

    def __init__(self, core, clock_hz, baud, n_leds=1, rx_log2_depth=9, tx_log2_depth=9):
        self.core = core
        self.frame = NetFrame.of(core)
        self.divisor = uart_divisor(clock_hz, baud)
        self.n_leds = check_int("n_leds", n_leds, 1)
        self.rx_log2_depth = check_int("rx_log2_depth", rx_log2_depth, 4, 16)
        self.tx_log2_depth = check_int("tx_log2_depth", tx_log2_depth, 4, 16)
        self.ident = bytes([CMD_IDENT]) + self.frame.identity.to_bytes()
        super().__init__({
            "rx": In(1, init=1),
            "tx": Out(1, init=1),
            "leds": Out(self.n_leds),
        })

    @property
    def window(self):
        """Images a host may keep outstanding."""
        return window(self.frame.count, self.rx_log2_depth)

    def _reply_bytes(self, payload):
        """The reply body (class, then each logit sign-extended, little-endian) as bytes of
        the output payload."""
        f = self.frame
        out = [payload[f.class_offset:f.class_offset + f.class_width]]
        for c in range(f.classes):
            at = f.logits_offset + c * f.logit_width
            logit = payload[at:at + f.logit_width]
            wide = Cat(logit, logit[-1].replicate(8 * f.logit_bytes - f.logit_width))
            out += [wide[8 * b:8 * b + 8] for b in range(f.logit_bytes)]
        return out

    def elaborate(self, platform):
        m = Module()
        core, f = self.core, self.frame
        m.submodules.link = link = UartLink(self.divisor, rx_log2_depth=self.rx_log2_depth,
                                            tx_log2_depth=self.tx_log2_depth)
        m.d.comb += [link.rx.eq(self.rx), self.tx.eq(link.tx)]

        i_valid, i_ready = Signal(), Signal()
        o_valid, o_ready = Signal(), Signal()
        i_payload = Signal(core.in_width)
        o_payload = Signal(core.out_width)
        m.submodules.core = Instance(
            core.top,
            i_clk=ClockSignal("sync"), i_rst=core_reset(m),
            i_i__payload=i_payload, i_i__valid=i_valid, o_i__ready=i_ready,
            o_o__payload=o_payload, o_o__valid=o_valid, i_o__ready=o_ready)

        # images whose codes went in and whose reply is not yet queued: an identify waits
        # for none, so its reply cannot overtake theirs
        in_flight = Signal(16)
        image_in, reply_out = Signal(), Signal()
        m.d.sync += in_flight.eq(in_flight + image_in - reply_out)
        ident_req, ident_ack = Signal(), Signal()
        with m.If(ident_ack):
            m.d.sync += ident_req.eq(0)

        # --- deframer: 'I' + count codes -> count beats of network.i; '?' -> identify
        left = Signal(range(max(f.count, 2)))
        byte = link.o.payload
        with m.FSM(name="deframer"):
            with m.State("IDLE"):
                hold = (byte == CMD_IDENT) & (in_flight != 0)
                m.d.comb += link.o.ready.eq(~ident_req & ~hold)
                with m.If(link.o.valid & link.o.ready):
                    with m.If(byte == CMD_IMAGE):
                        m.d.sync += left.eq(f.count - 1)
                        m.next = "CODES"
                    with m.Elif(byte == CMD_IDENT):
                        m.d.sync += ident_req.eq(1)
            with m.State("CODES"):
                m.d.comb += [i_valid.eq(link.o.valid), i_payload.eq(byte[:core.in_width]),
                             link.o.ready.eq(i_ready)]
                with m.If(link.o.valid & i_ready):
                    m.d.sync += left.eq(left - 1)
                    with m.If(left == 0):
                        m.d.comb += image_in.eq(1)
                        m.next = "IDLE"

        # --- serializer: identify replies; 'C' + class + logits of each network output
        ident_byte = Array(Const(b, 8) for b in self.ident)
        body = Array(self._reply_bytes(o_payload))
        idx = Signal(range(max(len(self.ident), len(body)) + 1))
        shown = Signal(max(1, f.class_width))
        with m.FSM(name="serializer"):
            with m.State("IDLE"):
                with m.If(ident_req):
                    m.d.comb += ident_ack.eq(1)
                    m.d.sync += idx.eq(0)
                    m.next = "IDENT"
                with m.Elif(o_valid):
                    m.next = "HEAD"
            with m.State("IDENT"):
                m.d.comb += [link.i.payload.eq(ident_byte[idx]), link.i.valid.eq(1)]
                with m.If(link.i.ready):
                    m.d.sync += idx.eq(idx + 1)
                    with m.If(idx == len(self.ident) - 1):
                        m.next = "IDLE"
            with m.State("HEAD"):
                m.d.comb += [link.i.payload.eq(CMD_CLASS), link.i.valid.eq(1)]
                with m.If(link.i.ready):
                    m.d.sync += idx.eq(0)
                    m.next = "BODY"
            with m.State("BODY"):
                m.d.comb += [link.i.payload.eq(body[idx]), link.i.valid.eq(1)]
                with m.If(link.i.ready):
                    m.d.sync += idx.eq(idx + 1)
                    with m.If(idx == len(body) - 1):
                        # the reply is fully queued: take the beat, show its class
                        m.d.comb += [o_ready.eq(1), reply_out.eq(1)]
                        m.d.sync += shown.eq(o_payload[f.class_offset:
                                                       f.class_offset + f.class_width])
                        m.next = "IDLE"

        # --- LEDs: the last class in binary
        m.d.comb += self.leds.eq(shown)
        return m


class BoardClassifier(OnBoard):
    """:class:`ClassifierTop` on a board's UART pins and LEDs."""

    def __init__(self, core, baud, rx_log2_depth, tx_log2_depth):
        self.core = core
        super().__init__(lambda clock_hz, n_leds: ClassifierTop(
            core, clock_hz, baud, n_leds, rx_log2_depth, tx_log2_depth), [core.verilog_path])


def write_classifier_verilog(core, path, clock_hz, baud, n_leds, rx_log2_depth, tx_log2_depth,
                             name="classifier_top"):
    """Write the classifier top (without the network, which it instantiates) to ``path`` for
    simulation; return the top component."""
    from gen.writer import to_verilog

    from .verisim import write_if_changed

    top = ClassifierTop(core, clock_hz, baud, n_leds, rx_log2_depth, tx_log2_depth)
    write_if_changed(path, to_verilog(top, name))
    return top
