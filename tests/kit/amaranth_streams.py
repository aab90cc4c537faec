"""Stream kit for the Amaranth simulator: the concepts of the cocotb kit (``benches/streams.py``)
for ``amaranth.sim`` testbenches (the async API of Amaranth 0.5).

A source, a sink and a monitor, each bound to one stream port of a component (``core.i``,
``core.o``) and its payload layout (:func:`stream_ports`), with payloads as field dicts
(:mod:`common.payload`); the pause patterns of :mod:`handshake`. One :class:`SimBench` cycle
(:meth:`SimBench.step`) lets every agent drive its inputs, then samples every agent on the
settled values (a testbench's ``ctx.set`` settles the design at once), then ticks: a transfer
seen there completes at that clock edge.

Typical test::

    run = run_stream(core, inputs, pattern="both", seed=1)
    check_beats(run.outputs, expected, inputs)
"""

from collections import deque
from dataclasses import dataclass, field

from amaranth.hdl import Value
from amaranth.sim import Simulator

from common.payload import pack, unpack
from gen.core import layout_of
from handshake import PATTERNS, check_beats, pattern_pauses

__all__ = ["PATTERNS", "SimBench", "StreamSource", "StreamSink", "StreamMonitor", "Run",
           "run_stream", "stream_ports", "check_beats"]


def stream_ports(core):
    """``{name: {"payload": LAYOUT}}`` for the component's stream ports: the payload part of
    :func:`gen.core.ports_of`, from the signature alone (a simulation needs no Verilog names,
    and validating the component metadata costs a tenth of a second per call)."""
    return {name: {"payload": layout_of(member.signature.members["payload"].shape)}
            for name, member in core.signature.members.items()
            if not member.is_port and "payload" in member.signature.members}


class _Port:
    def __init__(self, port, layout, name):
        self.port, self.layout, self.name = port, layout, name
        self.payload = Value.cast(port.payload)


class StreamSource(_Port):
    """Drives ``port.valid``/``port.payload``; a beat once offered stays until taken.

    Parameters
    ----------
    port : stream interface
        The component's input stream (``core.i``).
    layout : dict
        Its payload layout (``stream_ports(core)["i"]["payload"]``).
    pauses : iterator of bool, optional
        Pause generator (``True``: offer nothing new this cycle).
    """

    def __init__(self, port, layout, pauses=None, name="i"):
        super().__init__(port, layout, name)
        self.pauses = pauses
        self.queue = deque()
        self.accepts = []
        self.offering = False
        self._valid = None

    def send_all(self, values):
        self.queue.extend(pack(self.layout, v) for v in values)

    def idle(self):
        return not self.queue and not self.offering

    def drive(self, ctx):
        if not self.offering and self.queue and not (self.pauses and next(self.pauses)):
            ctx.set(self.payload, self.queue.popleft())
            self.offering = True
        if self._valid is not self.offering:
            ctx.set(self.port.valid, self.offering)
            self._valid = self.offering

    def sample(self, ctx, cycle):
        if self.offering and ctx.get(self.port.ready):
            self.accepts.append(cycle)
            self.offering = False


class StreamSink(_Port):
    """Drives ``port.ready`` (optional back-pressure) and collects every beat as a value of
    the port's layout (``beats``, with their cycles in ``cycles``)."""

    def __init__(self, port, layout, pauses=None, name="o"):
        super().__init__(port, layout, name)
        self.pauses = pauses
        self.beats, self.cycles = [], []
        self._ready = None

    def drive(self, ctx):
        ready = not (self.pauses and next(self.pauses))
        if ready is not self._ready:
            ctx.set(self.port.ready, ready)
            self._ready = ready

    def sample(self, ctx, cycle):
        if self._ready and ctx.get(self.port.valid):
            self.beats.append(unpack(self.layout, ctx.get(self.payload)))
            self.cycles.append(cycle)


class StreamMonitor(_Port):
    """Checks the stream rules passively: once ``valid`` is high it stays high, with the same
    payload, until the beat is taken (``AssertionError`` at the cycle it is broken)."""

    def __init__(self, port, layout, name="o"):
        super().__init__(port, layout, name)
        self._held = None

    def drive(self, ctx):
        pass

    def sample(self, ctx, cycle):
        valid = ctx.get(self.port.valid)
        payload = ctx.get(self.payload) if valid else None
        if self._held is not None:
            if not valid:
                raise AssertionError(f"{self.name}: cycle {cycle}: valid dropped before the beat "
                                     f"{unpack(self.layout, self._held)!r} was taken")
            if payload != self._held:
                raise AssertionError(f"{self.name}: cycle {cycle}: payload changed from "
                                     f"{unpack(self.layout, self._held)!r} to "
                                     f"{unpack(self.layout, payload)!r} while the beat waited "
                                     f"to be taken")
        self._held = payload if valid and not ctx.get(self.port.ready) else None


class SimBench:
    """The cycle loop of one testbench: every attached agent drives, then samples, then the
    clock ticks.

    Parameters
    ----------
    core : wiring.Component
        With stream ports ``i`` and ``o``.
    pattern : str
        One of :data:`PATTERNS`: the pauses of the source on ``i`` and the sink on ``o``.
    seed : int
        Seed of the pause generators.
    """

    def __init__(self, core, pattern="no_stalls", seed=0):
        self.core = core
        self.cycle = 0
        ports = stream_ports(core)
        gaps, stalls = pattern_pauses(pattern, seed)
        self.source = StreamSource(core.i, ports["i"]["payload"], gaps, "i")
        self.sink = StreamSink(core.o, ports["o"]["payload"], stalls, "o")
        self.monitor = StreamMonitor(core.o, ports["o"]["payload"], "o")
        self.agents = [self.source, self.sink, self.monitor]
        self.probes = []

    def on_sample(self, fn):
        """Call ``fn(ctx, cycle)`` every cycle on the settled values (probes)."""
        self.probes.append(fn)

    async def step(self, ctx):
        for agent in self.agents:
            agent.drive(ctx)
        for agent in self.agents:
            agent.sample(ctx, self.cycle)
        for probe in self.probes:
            probe(ctx, self.cycle)
        await ctx.tick()
        self.cycle += 1

    async def transfer(self, ctx, values, patience, quiet):
        """Send ``values`` and wait for as many output beats, then ``quiet`` cycles with the
        sink always ready in which nothing more may come out.

        Waiting ends early when nothing moves for ``patience`` cycles: a core that stops taking
        input fails here; one that loses beats returns fewer outputs for the scoreboard to
        report.
        """
        n = len(self.sink.beats) + len(values)
        self.source.send_all(values)
        last, moved = self.cycle, 0
        while not self.source.idle() or len(self.sink.beats) < n:
            if len(self.source.accepts) + len(self.sink.beats) != moved:
                last, moved = self.cycle, len(self.source.accepts) + len(self.sink.beats)
            elif self.cycle - last > patience:
                if not self.source.idle():
                    raise AssertionError(f"{self.source.name}: no transfer for {patience} "
                                         f"cycles with {len(self.source.queue) + 1} beats "
                                         f"left to send")
                return
            await self.step(ctx)
        self.sink.pauses = None
        for _ in range(quiet):
            await self.step(ctx)
        extra = self.sink.beats[n:]
        assert not extra, f"{len(extra)} beats from an idle core, first {extra[0]!r}"

    def simulate(self, script, period=1e-8):
        """Run ``await script(ctx)`` as the testbench of a fresh simulation."""
        sim = Simulator(self.core)
        sim.add_clock(period)
        sim.add_testbench(script)
        sim.run()


@dataclass
class Run:
    """What :func:`run_stream` saw: output values and transfer cycles, in order."""

    outputs: list = field(default_factory=list)
    accepts: list = field(default_factory=list)
    emits: list = field(default_factory=list)


def run_stream(core, values, *, pattern="no_stalls", seed=0, patience=500, quiet=16,
               probes=()):
    """Send ``values`` (field dicts) through ``core`` under a handshake pattern.

    Parameters
    ----------
    patience : int
        Cycles without any transfer after which waiting stops (see :meth:`SimBench.transfer`).
    quiet : int
        Cycles after the last beat in which nothing may come out.
    probes : sequence of callable
        ``fn(ctx, cycle)`` called every cycle on the settled values.

    Returns
    -------
    Run
    """
    values = list(values)
    bench = SimBench(core, pattern, seed)
    for probe in probes:
        bench.on_sample(probe)

    async def script(ctx):
        await bench.transfer(ctx, values, patience, quiet)

    bench.simulate(script)
    return Run(bench.sink.beats, bench.source.accepts, bench.sink.cycles)
