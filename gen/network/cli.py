"""``python -m gen network NET.json``: a whole spiking network as one Verilog top."""

from common.checks import arg, check_int

from .ir import DEFAULT_PE, PE_MAX, build_ir

DESCRIPTION = """\
Generate the hardware of a whole spiking network from its network file (format spikegen-snn
version 1, written by python -m net digits ... --export FILE; docs/network-format.md): one
Verilog top and its JSON manifest. Input stream i: one input code per beat, the codes of an
image in C order; output stream o: {class, logits} once per image. Layers form a pipeline
(event buffers between them hold two images); weights live in block RAM; the neurons are the
project's FS / AMOS cores; synapses add a weight per spike, no multipliers. Bit-exact with the
file's integer network. See docs/network-hardware.md."""


def add_arguments(p):
    p.add_argument("network", metavar="NET.json", help="the network file")
    p.add_argument("--pe", type=arg(check_int, "--pe", 1, PE_MAX), default=DEFAULT_PE,
                   metavar="P",
                   help=f"accumulators per layer, 1..{PE_MAX} (each layer uses at most its "
                        f"width; default {DEFAULT_PE}): LUTs for speed")
    p.add_argument("--name", default=None,
                   help="Verilog module and file name (default net_<file stem>_p<P>)")
    # the registry of python -m gen adds --out itself once every core uses build(args)
    p.add_argument("--out", default="out", metavar="DIR", help="output folder (default out/)")


def build(args):
    """The :class:`gen.network.ir.NetworkIR` of parsed arguments."""
    return build_ir(args.network, pe=args.pe, name=args.name)


def run(args):
    from gen.writer import generate

    result = generate(build(args), args.out)
    print(result.summary)
    return 0
