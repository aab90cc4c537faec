"""The network core's IR: a checked network file, the accumulators per layer, the hardware plan.

:func:`build_ir` reads a network file (:mod:`net.netfile`) and returns a :class:`NetworkIR`, a
:class:`gen.core.CoreIR`: ``component()`` builds :class:`gen.network.top.NetworkCore`,
``manifest_fields()`` gives the network keys of the manifest (see docs/network-hardware.md).
"""

import math
import re
from functools import cached_property
from pathlib import Path

import numpy as np

from common.checks import InputError, check_int
from gen.core import CoreIR
from gen.writer import check_name

from . import cycles
from .plan import make_plan

__all__ = ["NetworkIR", "build_ir", "default_name", "PE_MAX", "DEFAULT_PE"]

#: Most accumulators per layer.
PE_MAX = 4096
#: Accumulators per layer when none are asked for (fits the MLPs on an iCE40UP5K).
DEFAULT_PE = 16


def _round(v):
    return float(f"{float(v):.6g}")


def default_name(stem, P):
    """``net_<file stem>_p<P>`` (``_p<P0>_<P1>...`` for one P per layer), reduced to a Verilog
    identifier."""
    base = re.sub(r"[^A-Za-z0-9_]+", "_", stem).strip("_").lower() or "network"
    pe = str(P) if isinstance(P, int) else "_".join(str(p) for p in P)
    return f"net_{base}_p{pe}"


def check_pe(pe):
    """``--pe``: an int (every layer) or a sequence of ints (one per affine layer)."""
    if isinstance(pe, (list, tuple)):
        if not pe:
            raise InputError("--pe needs at least one value")
        return tuple(check_int("--pe", v, 1, PE_MAX) for v in pe)
    return check_int("--pe", pe, 1, PE_MAX)


def _digits_inputs(network):
    """The digits test images when they are valid inputs of this network, else None."""
    lo, hi = network.input_range
    if network.input_count != 64 or lo > 0 or hi < 16:
        return None
    from net import data as digits

    return digits.load()


class NetworkIR(CoreIR):
    """A whole spiking network in hardware.

    Parameters
    ----------
    network : net.netfile.Network
        The checked network file.
    pe : int or tuple of int
        Accumulators per layer P (each layer uses min(P, its width)), or one P per affine
        layer: a layer that is not the slowest stage needs fewer.
    lanes : int, optional
        Neuron lanes per neuron layer (at most its P; default P): the engine hands its P
        accumulators to the neurons that many at a time.
    name : str, optional
        Module and file name (default :func:`default_name`).
    """

    kind = "network"

    def __init__(self, network, pe=DEFAULT_PE, name=None, lanes=None):
        self.network = network
        self.pe = check_pe(pe)
        self.lanes = None if lanes is None else check_int("--lanes", lanes, 1, PE_MAX)
        stem = Path(network.name).stem if network.name else "network"
        if name is None:
            name = default_name(stem, self.pe) + (f"_l{self.lanes}" if self.lanes else "")
        self.name = check_name(name)
        self.plan = make_plan(network, self.pe, self.lanes)

    # ---- timing ------------------------------------------------------------------------------

    @cached_property
    def worst(self):
        return cycles.worst_stages(self.plan)

    @property
    def ii(self):
        return cycles.worst_interval(self.plan)

    @property
    def latency(self):
        return cycles.latency(self.plan)

    @cached_property
    def digits(self):
        """Figures over the digits test split: the golden network's accuracy and spikes and
        the modelled cycles per image; None when the network does not take digits images."""
        split = _digits_inputs(self.network)
        if split is None:
            return None
        res = self.network.forward(split.x_test)
        ii = cycles.image_intervals(self.plan, split.x_test)
        spikes = res.spikes_per_neuron().sum(1)
        return {"images": int(len(split.x_test)),
                "accuracy": _round(100.0 * float(np.mean(res.predictions == split.y_test))),
                "spikes_per_image": _round(spikes.mean()),
                "spikes_per_neuron": _round(res.mean_spikes()),
                "ii_mean": _round(ii.mean()), "ii_max": int(ii.max())}

    # ---- protocol ----------------------------------------------------------------------------

    def signature(self):
        from amaranth import signed, unsigned
        from amaranth.lib import stream, wiring
        from amaranth.lib.wiring import In, Out

        from .top import output_layout

        plan, r = self.plan, self.plan.readout
        shape = signed(plan.input_width) if plan.input_signed else unsigned(plan.input_width)
        return wiring.Signature({
            "i": In(stream.Signature(shape)),
            "o": Out(stream.Signature(output_layout(r.classes, r.class_bits, r.width))),
        })

    def component(self):
        from .top import NetworkCore

        return NetworkCore(self.plan)

    def _layer_rows(self):
        plan, worst = self.plan, self.worst
        names = cycles.stage_names(plan)
        by_stage = dict(zip(names, worst))
        rows = []
        n_aff = n_neu = 0
        for layer in self.network.layers:
            row = {"op": layer.op, "shape": list(layer.out_shape), "pe": None, "cycles": 0}
            if layer.is_affine:
                aff = plan.affine[n_aff]
                row.update(pe=aff.P, cycles=by_stage[f"layer{n_aff}"])
                n_aff += 1
            elif layer.is_neuron:
                npl = plan.neurons[n_neu]
                row.update(pe=npl.P, cycles=by_stage[f"neurons{n_neu}"])
                n_neu += 1
            rows.append(row)
        return rows

    def manifest_fields(self):
        net, plan = self.network, self.plan
        unit = net.unit
        digits = self.digits
        r = plan.readout
        return {
            "input": {"width": plan.input_width, "frac": net.input_frac,
                      "signed": net.input_signed, "count": net.input_count,
                      "shape": list(net.input_shape)},
            "output": {"classes": net.classes, "width": r.width, "frac": net.output_frac,
                       "class_bits": r.class_bits},
            "layers": self._layer_rows(),
            "ii_mean": digits["ii_mean"] if digits else None,
            "network": {"file": net.name, "sha256": net.sha256},
            "pe": self.pe if isinstance(self.pe, int) else list(self.pe),
            "lanes": self.lanes,
            "unit": {"coding": unit.coding, "K": unit.K, "Q": unit.Q or None,
                     "activation": unit.act or None,
                     **({"steps": unit.steps, "theta": int(unit.params["theta"])}
                        if unit.coding == "if" else {})},
            "digits": digits,
            "memory_bits": self.memory_bits(),
            "stages": dict(zip(cycles.stage_names(plan), self.worst)),
        }

    def memory_bits(self):
        """Bits of every memory: weights, biases, accumulators, event buffers (IF networks:
        membranes, and the first IF layer's currents)."""
        out = {"weights": 0, "biases": 0, "accumulators": 0, "events": 0}
        if any(npl.coding == "if" for npl in self.plan.neurons):
            out["membranes"] = 0
        for npl in self.plan.neurons:
            if npl.coding == "if":
                ifp = npl.core_ir
                out["membranes"] += ifp.V * ifp.L * ifp.v_width
                if ifp.hold:        # the current memory: two halves of V words
                    out["membranes"] += (2 << (ifp.V - 1).bit_length()) * ifp.L * ifp.width
        for aff in self.plan.affine:
            out["weights"] += aff.w_index.depth * aff.P * aff.widths["w"]
            out["biases"] += aff.G * aff.P * aff.widths["b"]
            out["accumulators"] += aff.acc_index.depth * aff.P * aff.lane_bits
            cb = (aff.source.capacity - 1).bit_length()
            tb = (aff.T - 1).bit_length()
            words = aff.T * (2 << cb) if aff.source.banked else 2 << (tb + cb)
            out["events"] += words * max(aff.event_bits, 1)
        return out

    def describe(self):
        net, plan = self.network, self.plan
        unit = net.unit
        kind = {"fs": "FS", "amos": "AMOS", "if": "IF"}[unit.coding]
        pe = self.pe if isinstance(self.pe, int) else ",".join(map(str, self.pe))
        steps = f", {unit.steps} steps" if unit.coding == "if" else ""
        title = (f"spiking network {net.name} ({kind} {unit.act or ''} K={unit.K}{steps}), "
                 f"{len(plan.affine)} affine layers, P={pe}")
        lines = [("input", f"{net.input_count} codes per image, shape {list(net.input_shape)}, "
                           f"{'signed' if net.input_signed else 'unsigned'} "
                           f"{plan.input_width} bits, frac {net.input_frac}"),
                 ("output", f"{{class {plan.readout.class_bits} bits, {net.classes} logits "
                            f"signed {plan.readout.width} bits, frac {net.output_frac}}}")]
        for row in self._layer_rows():
            pe = f"P={row['pe']}, " if row["pe"] else ""
            lines.append((f"  {row['op']}", f"{row['shape']}, {pe}<= {row['cycles']} cycles "
                                            f"per image"))
        d = self.digits
        if d:
            lines.append(("digits", f"{d['images']} test images: accuracy {d['accuracy']} %, "
                                    f"{d['spikes_per_image']} spikes per image, "
                                    f"{d['ii_mean']} cycles per image (mean)"))
        mem = self.memory_bits()
        lines.append(("memories", ", ".join(f"{k} {v} bits" for k, v in mem.items())))
        return title, lines


def build_ir(path, pe=DEFAULT_PE, name=None, lanes=None):
    """Read and check a network file, plan its hardware: a :class:`NetworkIR`."""
    from net.netfile import load

    return NetworkIR(load(path), pe=pe, name=name, lanes=lanes)


def images_per_second(ii, fmax_mhz):
    return fmax_mhz * 1e6 / ii if ii else math.inf
