"""``python -m gen network NET.json``: a whole spiking network as one Verilog top."""

import argparse

from common.checks import InputError, arg, check_input_file, check_int

from .ir import DEFAULT_PE, PE_MAX, build_ir, check_pe

DESCRIPTION = """\
Generate the hardware of a whole spiking network from its network file (format spikegen-snn
version 1, written by python -m net digits ... --export FILE; docs/network-format.md): one
Verilog top and its JSON manifest. Input stream i: one input code per beat, the codes of an
image in C order; output stream o: {class, logits} once per image. Layers form a pipeline
(event buffers between them hold two images); weights live in block RAM; the neurons are the
project's FS / AMOS cores or IF lanes (a rate-coded IF file runs its N time steps through the
same pipeline); synapses add a weight per spike, no multipliers. Bit-exact with the file's
integer network. See docs/network-hardware.md."""


def pe_list(text):
    """``--pe``: ``P`` or ``P0,P1,...`` (one per affine layer)."""
    values = []
    for part in text.split(","):
        try:
            values.append(int(part, 10))
        except ValueError:
            raise argparse.ArgumentTypeError(f"{part!r} is not an integer") from None
    try:
        return check_pe(values[0] if len(values) == 1 else tuple(values))
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_arguments(p):
    p.add_argument("network", type=arg(check_input_file, "NET.json"), metavar="NET.json", help="the network file")
    p.add_argument("--pe", type=pe_list, default=DEFAULT_PE, metavar="P",
                   help=f"accumulators per layer, 1..{PE_MAX} (each layer uses at most its "
                        f"width; default {DEFAULT_PE}): LUTs for speed. P0,P1,... gives each "
                        f"affine layer its own (a layer that is not the slowest stage needs "
                        f"fewer)")
    p.add_argument("--lanes", type=arg(check_int, "--lanes", 1, PE_MAX), default=None,
                   metavar="L",
                   help="neuron lanes per neuron layer (default: its layer's P): the P "
                        "accumulators go to the neurons L at a time, fewer neuron lanes for "
                        "more clocks")
    p.add_argument("--coding", choices=("fs", "amos", "if"), default=None,
                   help="check that the file's neuron unit has this coding (default: take the "
                        "file's)")
    p.add_argument("--name", default=None,
                   help="Verilog module and file name (default net_<file stem>_p<P>)")


def build(args):
    """The :class:`gen.network.ir.NetworkIR` of parsed arguments."""
    ir = build_ir(args.network, pe=args.pe, name=args.name, lanes=args.lanes)
    coding = ir.network.unit.coding
    if args.coding is not None and args.coding != coding:
        raise InputError(f"--coding {args.coding}: {ir.network.name} is a network of {coding} "
                         f"neurons")
    return ir


def run(args):
    from gen.writer import generate

    result = generate(build(args), args.out)
    print(result.summary)
    return 0
