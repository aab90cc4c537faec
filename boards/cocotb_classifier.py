"""cocotb benches of whole board tops with their UART pins: the classifier end to end, and the
virtual board (any board top behind a pseudo-terminal).

``classify_digits``: cocotbext-uart drives the classifier top's ``rx`` pin and listens on
``tx``; the host code of ``python -m boards demo BOARD --network ...``
(:func:`boards.classify_host.session`) runs unchanged over that transport, and every reply is
checked against the integer network of the network file. Before it, a burst checks the frame
rules: bytes outside a frame are ignored, and an identify sent behind two images is answered
after their two class replies. Environment: ``CLS_NETWORK`` (the network file), ``CLS_BAUD``,
``CLS_IMAGES``, ``CLS_WINDOW``, ``CLS_RESULT`` (JSON written with the replies).

``serve_pty``: the virtual board. Opens a pseudo-terminal, writes its name to ``VB_READY``,
then moves bytes both ways between the terminal and the top's UART pins (cocotbext-uart at
``VB_BAUD``) until the simulator is stopped. The simulated time runs ahead at full speed while
bytes are in flight; when the line has been quiet for a while the bench waits for the host
(``select``) instead of simulating an idle board.

Both run on the wrapper of :func:`boards.verisim.clocked_wrapper` (clock made in HDL).
"""

import json
import os
import select
import tty

import cocotb
from cocotb.triggers import Timer
from cocotbext.uart import UartSink, UartSource

from boards.cocotb_demo import UartTransport
from boards.protocol import run_async

#: Idle byte times before the virtual board waits for the host instead of simulating.
QUIET_BYTES = 64
#: How long one wait for the host blocks (seconds of real time).
WAIT_S = 0.02


async def _settle(dut):
    dut.rx.value = 1
    await Timer(20, "us")          # the wrapper's reset and the core's power-on reset


@cocotb.test()
async def classify_digits(dut):
    from boards.classify_host import check_replies, digits_images, expected, host_for, session
    from net.netfile import load

    network = load(os.environ["CLS_NETWORK"])
    baud, n = int(os.environ["CLS_BAUD"]), int(os.environ["CLS_IMAGES"])
    window = int(os.environ["CLS_WINDOW"])
    await _settle(dut)
    transport = UartTransport(dut, baud)
    proto = host_for(network)
    x, y = digits_images(network, n)
    want = expected(network, x)

    # frame rules: junk outside frames is ignored; '?' behind two images answers after them
    await transport.write(b"\x00\x55\xff" + proto.encode(x[0]) + b"\x10" + proto.encode(x[1])
                          + b"?")
    early = [proto.decode(await transport.read(proto.reply_len)) for _ in range(2)]
    head = await transport.read(1)
    assert head == b"?", f"identify reply out of order: {head.hex()}"
    await transport.read(12)

    ident, replies = await run_async(session(proto, x[2:], window), transport)
    replies = early + replies
    problems = check_replies(replies, want)
    dut._log.info("%d images, window %d: %d mismatches, %d correct", n, window, len(problems),
                  sum(int(c == t) for (c, _), t in zip(replies, y)))
    if os.environ.get("CLS_RESULT"):
        with open(os.environ["CLS_RESULT"], "w") as f:
            json.dump({"replies": replies, "problems": problems,
                       "leds": int(dut.leds.value)}, f)
    assert not problems, "\n".join(problems[:10])
    # the LEDs show the last class in binary
    assert int(dut.leds.value) == replies[-1][0] & ((1 << len(dut.leds)) - 1)


class PtyBridge:
    """A pseudo-terminal whose far end is the top's UART."""

    def __init__(self, dut, baud):
        self.master, self.slave = os.openpty()
        # raw: no echo, no line editing; the slave stays open here so reads on the master
        # never fail while no host has the port open
        tty.setraw(self.slave)
        os.set_blocking(self.master, False)
        self.name = os.ttyname(self.slave)
        self.source = UartSource(dut.rx, baud=baud)
        self.sink = UartSink(dut.tx, baud=baud)
        for end in (self.source, self.sink):
            end.log.setLevel("WARNING")
        self.pending = b""

    def pump(self):
        """Move what is waiting both ways; True when any byte moved."""
        moved = False
        try:
            data = os.read(self.master, 4096)
        except (BlockingIOError, OSError):
            data = b""
        if data:
            self.source.write_nowait(data)
            moved = True
        if self.sink.count():
            self.pending += bytes(self.sink.read_nowait(self.sink.count()))
            moved = True
        if self.pending:
            try:
                sent = os.write(self.master, self.pending)
            except (BlockingIOError, OSError):
                sent = 0
            self.pending = self.pending[sent:]
        return moved

    @property
    def busy(self):
        return not self.source.empty() or not self.source.idle() or bool(self.pending)

    def wait_host(self):
        select.select([self.master], [], [], WAIT_S)


@cocotb.test()
async def serve_pty(dut):
    baud = int(os.environ["VB_BAUD"])
    dut.rx.value = 1
    bridge = PtyBridge(dut, baud)
    await Timer(20, "us")
    ready = os.environ["VB_READY"]
    with open(ready + ".tmp", "w") as f:
        f.write(bridge.name)
    os.replace(ready + ".tmp", ready)
    byte_ns = round(10 * 1e9 / baud)
    quiet = 0
    while True:
        if bridge.pump() or bridge.busy or int(dut.tx.value) == 0:
            quiet = 0
        else:
            quiet += 1
        if quiet > QUIET_BYTES:
            bridge.wait_host()
        await Timer(byte_ns, "ns")
