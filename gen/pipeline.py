"""Pipeline control written once: every stage moves together, stalled by the output alone.

The pattern of LiteX's ``PipelinedActor``: a pipeline of registered stages with one enable,
``enable = o.ready | ~o.valid`` (the output register is being read, or holds nothing), and a
valid bit per stage that shifts with the data. ``i.ready`` is the enable, so a stalled output
freezes every stage, nothing is lost or duplicated, and with ``o.ready`` high the pipeline takes
one input per clock. Gaps in ``i.valid`` travel down as bubbles (valid bits clear); the data
registers can be reset-less because a bubble's data is never looked at.

Used by the AMOS core, the unrolled FS core and the TSC core; a core adds its own data
registers under ``with m.If(pipe.enable):``.
"""

from amaranth import Signal

__all__ = ["Pipeline"]


class Pipeline:
    """Control of a ``depth``-stage stall-together pipeline between stream ports ``i``, ``o``.

    Parameters
    ----------
    depth : int
        Registered stages from the input to the output, the output register included
        (the latency in cycles with no stall).
    name : str
        Prefix of the valid bits' names (``<name>1_valid`` ...).

    Attributes (after :meth:`elaborate_into`)
    ------------------------------------------
    enable : Signal
        The stages load this cycle.
    stage_valid : list of Signal
        The valid bits of stages 1 .. depth-1 (made in the constructor, so a formal harness
        can name them before elaboration).
    valid : list of Signal
        ``valid[0]`` is ``i.valid``, ``valid[k]`` stage k's valid bit, ``valid[depth]`` is
        ``o.valid``.
    """

    def __init__(self, depth, *, name="stage"):
        if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
            raise ValueError(f"a pipeline needs at least one stage, not depth={depth!r}")
        self.depth = depth
        self.enable = Signal(name=f"{name}_enable")
        self.stage_valid = [Signal(name=f"{name}{k}_valid") for k in range(1, depth)]
        self.valid = None

    def elaborate_into(self, m, i, o):
        """Add the control logic to module ``m`` for input stream ``i`` and output stream ``o``
        (``o.valid`` becomes the last valid bit)."""
        self.valid = [i.valid, *self.stage_valid, o.valid]
        m.d.comb += [self.enable.eq(o.ready | ~o.valid), i.ready.eq(self.enable)]
        with m.If(self.enable):
            for prev, cur in zip(self.valid[:-1], self.valid[1:]):
                m.d.sync += cur.eq(prev)
        return self
