"""Bench for the stream kit itself: a core that adds a constant, under each handshake pattern."""

import json
import random

import cocotb

from streams import CoreTB, check_beats, env_int, env_str, for_each_pattern


@cocotb.test()
@for_each_pattern
async def add_constant(dut, pattern):
    with open(env_str("SELFTEST_MANIFEST")) as f:
        manifest = json.load(f)
    width, const = manifest["width"], manifest["const"]
    tb = CoreTB(dut, manifest, pattern, seed=env_int("SELFTEST_SEED", 1))
    await tb.reset()
    rng = random.Random(env_int("SELFTEST_SEED", 1))
    xs = [rng.randrange(1 << width) for _ in range(400)]
    run = await tb.run(xs)
    check_beats(run.outputs, [(x + const) % (1 << width) for x in xs], xs)
