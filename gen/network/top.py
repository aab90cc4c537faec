"""The network top: every stage of a :class:`gen.network.plan.NetworkPlan`, chained by streams.

::

    i ─> InputWriter ─> AffineStage 0 ─> neurons 0 ─> SpikeWriter 0 ─> AffineStage 1 ...
                                             ... ─> AffineStage L ─> Readout ─> o

Every link is an ``amaranth.lib.stream`` (valid/ready), so a stall anywhere back-pressures
the stages before it and nothing is lost; each affine stage's event buffer holds two images, so
consecutive layers work on different images (the pipeline's interval is its slowest stage's).
An IF network (:mod:`gen.network.ifstages`) has IF lanes for neurons and a summing read-out; its
time steps go through the engines after the first as images do.
"""

from amaranth import Module, signed, unsigned
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from .affine import AffineStage
from .stages import AmosLanes, InputWriter, Readout, SpikeWriter, output_layout

__all__ = ["NetworkCore"]


class NetworkCore(wiring.Component):
    """The whole network.

    Members
    -------
    i : In(stream of input codes)
        One code of ``input.width`` bits per transfer (signed as the file says); the
        ``input.count`` codes of an image in C order; image boundaries by count.
    o : Out(stream of results)
        ``{class, logits}`` (class in the low bits, logit c at bit ``class_bits + c width``),
        one beat per image, in order.
    """

    def __init__(self, plan):
        self.plan = plan
        shape = signed(plan.input_width) if plan.input_signed else unsigned(plan.input_width)
        r = plan.readout
        super().__init__({
            "i": In(stream.Signature(shape)),
            "o": Out(stream.Signature(output_layout(r.classes, r.class_bits, r.width))),
        })

    def neuron_core(self, npl):
        if npl.coding == "if":
            from .ifstages import IFLanes

            return IFLanes(npl.core_ir)
        if npl.coding == "fs":
            from gen.fsneuron import SharedCore

            return SharedCore(npl.core_ir)
        return AmosLanes(npl.core_ir, npl.P)

    def readout(self):
        if self.plan.readout.steps > 1:
            from .ifstages import IFReadout

            return IFReadout(self.plan.readout)
        return Readout(self.plan.readout)

    def elaborate(self, platform):
        m = Module()
        plan = self.plan
        m.submodules.input = inw = InputWriter(plan)
        wiring.connect(m, wiring.flipped(self.i), inw.i)
        prev = inw.o
        # the stages, for white-box tests (each layer's vectors against the integer network)
        self.stages, self.neuron_cores = [], []
        for n, aff in enumerate(plan.affine):
            stage = AffineStage(aff)
            m.submodules[f"layer{n}"] = stage
            wiring.connect(m, prev, stage.i)
            self.stages.append(stage)
            if aff.last:
                m.submodules.readout = ro = self.readout()
                wiring.connect(m, stage.o, ro.i)
                wiring.connect(m, ro.o, wiring.flipped(self.o))
                break
            npl = plan.neurons[n]
            core = self.neuron_core(npl)
            m.submodules[f"neurons{n}"] = core
            self.neuron_cores.append(core)
            wiring.connect(m, stage.o, core.i)
            writer = SpikeWriter(plan.writers[n], core.o.payload.shape())
            m.submodules[f"spikes{n}"] = writer
            wiring.connect(m, core.o, writer.i)
            prev = writer.o
        return m
