"""Bench for the bench kit itself: a core that adds a constant, checked under gaps and stalls."""

import cocotb

from streams import TB, compare, env_int


@cocotb.test()
async def add_constant(dut):
    width, const = env_int("SELFTEST_WIDTH"), env_int("SELFTEST_CONST")
    mask = (1 << width) - 1
    tb = TB(dut, seed=env_int("SELFTEST_SEED", 1))
    await tb.reset()
    xs = [tb.rng.randrange(1 << width) for _ in range(400)]
    for p_valid, p_ready in ((1.0, 1.0), (0.5, 0.5), (0.9, 0.2), (0.2, 0.9)):
        outputs, _, _ = await tb.run(xs, p_valid=p_valid, p_ready=p_ready)
        compare(outputs, [(x + const) & mask for x in xs])
