"""Pipeline control written once: every stage moves together, stalled by the output alone.

The pattern of LiteX's ``PipelinedActor``: a pipeline of registered stages with one enable,
``enable = o.ready | ~o.valid`` (the output register is being read, or holds nothing), and a
valid bit per stage that shifts with the data. ``i.ready`` is the enable, so a stalled output
freezes every stage, nothing is lost or duplicated, and with ``o.ready`` high the pipeline takes
one input per clock. Gaps in ``i.valid`` travel down as bubbles (valid bits clear); the data
registers can be reset-less because a bubble's data is never looked at.

Used by the AMOS core, the unrolled FS core and the TSC core; a core adds its own data
registers under ``with m.If(pipe.enable):``. The output register's valid bit is ``o.valid``
itself, so the last stage's data registers drive ``o.payload`` directly.
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
        Prefix of the valid bits' names (``<name>1_valid`` ...), when ``names`` is not given.
    names : sequence of str, optional
        Names of stages 1 .. depth-1 (``depth - 1`` of them); stage k's valid bit is called
        ``<names[k-1]>_valid``. The output stage's valid bit is ``o.valid``.

    Attributes
    ----------
    enable : Signal
        The stages load this cycle.
    stage_valid : list of Signal
        The valid bits of stages 1 .. depth-1 (made in the constructor, so a formal harness
        can name them before elaboration).
    valid : list of Signal
        After :meth:`elaborate_into`: ``valid[0]`` is ``i.valid``, ``valid[k]`` stage k's valid
        bit, ``valid[depth]`` is ``o.valid``.
    """

    def __init__(self, depth, *, name="stage", names=None):
        if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
            raise ValueError(f"a pipeline needs at least one stage, not depth={depth!r}")
        if not isinstance(name, str) or not name:
            raise TypeError(f"name must be a non-empty string, not {name!r}")
        if names is None:
            names = [f"{name}{k}" for k in range(1, depth)]
        else:
            names = list(names)
            if len(names) != depth - 1 or not all(isinstance(n, str) and n for n in names):
                raise ValueError(f"names must be {depth - 1} non-empty strings (stages 1 .. "
                                 f"{depth - 1}), not {names!r}")
        self.depth = depth
        self.enable = Signal(name=f"{name}_enable")
        self.stage_valid = [Signal(name=f"{n}_valid") for n in names]
        self.valid = None

    def elaborate_into(self, m, i, o):
        """Add the control logic to module ``m`` for input stream ``i`` and output stream ``o``
        (``o.valid`` becomes the last valid bit); return ``self``."""
        self.valid = [i.valid, *self.stage_valid, o.valid]
        m.d.comb += [self.enable.eq(o.ready | ~o.valid), i.ready.eq(self.enable)]
        with m.If(self.enable):
            for prev, cur in zip(self.valid[:-1], self.valid[1:]):
                m.d.sync += cur.eq(prev)
        return self
