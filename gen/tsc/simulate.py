"""Drive a TSC core in the Amaranth simulator: the harness of the unit tests and of
``bench/tsc_cycles.py``.

:func:`simulate_core` sends a spike stream through a :class:`gen.tsc.core.TSCCore` with
optional random input gaps and output back-pressure and records every output beat, every
weight read (the core's ``weight_read``/``weight_addr`` probe) and the cycle of every transfer.
It also enforces the stream rules on the way: once ``o.valid`` is high, it stays high with the
same payload until taken, and nothing comes out after the last expected beat.
"""

import random

import numpy as np

__all__ = ["pack_input", "simulate_core"]


def pack_input(pos, neg, first, inputs):
    """Input payload as an int: ``pos`` in bits [0, M), ``neg`` in [M, 2M), ``first`` at 2M."""
    value = int(bool(first)) << (2 * inputs)
    for m in np.flatnonzero(pos):
        value |= 1 << int(m)
    for m in np.flatnonzero(neg):
        value |= 1 << (inputs + int(m))
    return value


def simulate_core(core, pos, neg, first, *, p_valid=1.0, p_ready=1.0, seed=0):
    """Run a spike stream through ``core``.

    Parameters
    ----------
    core : TSCCore
    pos, neg : (T, M) bool
    first : (T,) bool
    p_valid, p_ready : float
        Chance per cycle that the next input beat is offered / that the output is taken.
    seed : int
        Seed of the gap and back-pressure pattern.

    Returns
    -------
    dict
        ``outputs`` (T ints: pos in the low L bits, neg above), ``reads`` (weight word
        addresses in read order), ``accepts`` and ``emits`` (cycle of each input and output
        transfer).

    Raises
    ------
    AssertionError
        On a stream-rule violation, an extra output beat or a time-out.
    """
    from amaranth.sim import Simulator

    pos, neg = np.asarray(pos, dtype=bool), np.asarray(neg, dtype=bool)
    first = np.asarray(first, dtype=bool)
    beats = [pack_input(pos[t], neg[t], first[t], core.inputs) for t in range(pos.shape[0])]
    rng = random.Random(seed)
    result = {"outputs": [], "reads": [], "accepts": [], "emits": []}
    limit = 4 * sum(max(1, int(n)) for n in np.count_nonzero(pos ^ neg, axis=1)) + 200
    if p_valid < 1 or p_ready < 1:
        limit = int(limit / max(min(p_valid, p_ready), 0.05) ** 2)

    async def bench(ctx):
        sent, offering, held = 0, False, None
        for cycle in range(limit):
            if not offering and sent < len(beats) and rng.random() < p_valid:
                offering = True
                ctx.set(core.i.payload.as_value(), beats[sent])
            ctx.set(core.i.valid, offering)
            ready = rng.random() < p_ready
            ctx.set(core.o.ready, ready)
            await ctx.delay(1e-9)                   # let the combinational logic settle
            if ctx.get(core.weight_read):
                result["reads"].append(ctx.get(core.weight_addr))
            if offering and ctx.get(core.i.ready):
                result["accepts"].append(cycle)
                sent += 1
                offering = False
            if ctx.get(core.o.valid):
                payload = ctx.get(core.o.payload.as_value())
                assert held is None or held == payload, \
                    f"cycle {cycle}: o.payload changed from {held:#x} to {payload:#x} while valid"
                if ready:
                    result["outputs"].append(payload)
                    result["emits"].append(cycle)
                    held = None
                else:
                    held = payload
            else:
                assert held is None, f"cycle {cycle}: o.valid dropped before the beat was taken"
            await ctx.tick()
            if sent == len(beats) and len(result["outputs"]) >= len(beats):
                break
        else:
            raise AssertionError(f"timed out after {limit} cycles: sent {sent} of "
                                 f"{len(beats)}, received {len(result['outputs'])}")
        ctx.set(core.o.ready, 1)
        for _ in range(12):
            await ctx.delay(1e-9)
            assert not ctx.get(core.o.valid), "an output beat more than input beats"
            await ctx.tick()

    sim = Simulator(core)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return result
