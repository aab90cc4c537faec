"""``python -m net export-nir NET.json OUT.nir``: a network file as a NIR graph.

The graph computes the integer network in real units, readable by ``nir.read`` and the tools
that read NIR:

* ``linear`` / ``conv`` layers become ``Affine`` / ``Conv2d`` nodes with the quantized weights,
  ``code 2^-weight_exp`` (exact in float64), and biases ``b 2^-frac_out``; their metadata
  holds the integer codes' exponent and fraction bits;
* ``avgpool`` becomes ``AvgPool2d``, ``flatten`` ``Flatten`` (a leading ``unflatten`` is the
  input's shape);
* every neuron layer becomes an ``IF`` node with ``r = 1``, ``v_threshold = 1``,
  ``v_reset = 0``: for ReLU units that is the rate-coded layer the FS/AMOS layer computes
  (outputs in [0, 1), the range alpha already folded into the weights); the metadata carries
  the unit itself (``coding``, ``activation``, ``K``, ``Q``, the integer ``T``, ``h``, ``d``
  (and AMOS ``c``), ``shift``, ``frac_in``, ``frac_out``, ReLU ``alpha``), which is what a
  SiLU or sigmoid layer computes (an IF node has no such function).

The graph's own metadata holds the network file's format, version, input codes and output
fraction bits.
"""

import io
import json
from pathlib import Path

import numpy as np

from common.checks import InputError, arg, check_input_file, check_output_file
from common.cli import AtomicFiles

DESCRIPTION = __doc__.split("\n\n", 1)[0].split(": ", 1)[1] + "\n\n" + \
    __doc__.split("\n\n", 1)[1]

__all__ = ["to_nir", "nir_bytes"]


def add_arguments(p):
    p.add_argument("network", type=arg(check_input_file, "NET.json"), metavar="NET.json",
                   help="a network file (python -m net convert, python -m net digits --export)")
    p.add_argument("out", type=arg(check_output_file, "OUT.nir"), metavar="OUT.nir",
                   help="the NIR graph to write (HDF5)")


def _load(path):
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such network file")
    try:
        from net.netfile import load
    except ImportError:                     # a checkout without the network reader
        try:
            obj = json.loads(path.read_bytes())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"{path.name}: not JSON ({exc})") from None
        if not isinstance(obj, dict) or obj.get("format") != "spikegen-snn" \
                or "layers" not in obj or "unit" not in obj:
            raise InputError(f"{path.name}: not a spikegen-snn network file")
        return obj
    load(path)                              # checks every key; raises one line
    return json.loads(path.read_bytes())


def _meta(d):
    """NIR metadata values: numbers, strings and numpy arrays."""
    out = {}
    for k, v in d.items():
        if v is None:
            continue
        out[k] = np.asarray(v) if isinstance(v, list) else v
    return out


def to_nir(obj):
    """The NIR graph of a network file's data."""
    import nir

    if obj["unit"]["coding"] == "if":
        # NIR's IF node resets to v_reset and has no rest floor: not this network's neuron
        raise InputError("a rate-coded IF network (unit coding if) has no NIR form here: its "
                         "neurons reset by subtraction and rest at 0, which NIR's IF node "
                         "does not express")
    inp = obj["input"]
    shape = tuple(inp.get("shape") or [len(obj["layers"][0]["W"][0])])
    layers = list(obj["layers"])
    if layers and layers[0]["op"] == "unflatten":
        shape = tuple(layers.pop(0)["shape"])
    unit = obj["unit"]
    nodes = {"input": nir.Input(input_type={"input": np.array(shape)})}
    cur = shape
    for i, layer in enumerate(layers):
        name = f"{i}_{layer['op']}"
        op = layer["op"]
        if op in ("linear", "conv"):
            W = np.array(layer["W"], dtype=np.float64) * 2.0 ** -layer["weight_exp"]
            b = np.array(layer["b"], dtype=np.float64) * 2.0 ** -layer["frac_out"]
            meta = _meta({"weight_exp": layer["weight_exp"], "frac_in": layer["frac_in"],
                          "frac_out": layer["frac_out"]})
            if op == "linear":
                nodes[name] = nir.Affine(weight=W, bias=b, metadata=meta)
                cur = (W.shape[0],)
            else:
                p = int(layer.get("padding", 0))
                nodes[name] = nir.Conv2d(input_shape=cur[1:], weight=W, stride=1, padding=p,
                                         dilation=1, groups=1, bias=b, metadata=meta)
                cur = (W.shape[0], cur[1] + 2 * p - W.shape[2] + 1,
                       cur[2] + 2 * p - W.shape[3] + 1)
        elif op == "avgpool":
            k = int(layer["k"])
            nodes[name] = nir.AvgPool2d(kernel_size=np.array([k, k]), stride=np.array([k, k]),
                                        padding=np.array([0, 0]))
            cur = (cur[0], cur[1] // k, cur[2] // k)
        elif op == "flatten":
            nodes[name] = nir.Flatten(input_type={"input": np.array(cur)}, start_dim=0,
                                      end_dim=-1)
            cur = (int(np.prod(cur)),)
        elif op in ("fs", "amos"):
            ones = np.ones(cur)
            meta = {"coding": unit["coding"], "activation": obj.get("activation", ""),
                    "K": unit["K"], "Q": unit.get("Q"), "shift": layer["shift"],
                    "frac_in": layer["frac_in"], "frac_out": layer["frac_out"],
                    "alpha": layer.get("alpha")}
            meta.update({k: unit[k] for k in ("c", "T", "h", "d") if k in unit})
            nodes[name] = nir.IF(r=ones, v_threshold=ones.copy(), v_reset=np.zeros(cur),
                                 metadata=_meta(meta))
        else:
            raise InputError(f"layer {i} ({op}): NIR has no node for it (a reshape inside the "
                             f"network)")
    nodes["output"] = nir.Output(output_type={"output": np.array(cur)})
    names = list(nodes)
    edges = [(a, b) for a, b in zip(names, names[1:])]
    meta = _meta({"format": obj["format"], "version": obj.get("version", 1),
                  "model": obj.get("model"), "weight_bits": obj["weight_bits"],
                  "input_frac": inp["frac"], "input_range": inp["range"],
                  "output_frac": obj.get("output_frac")})
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata=meta, type_check=False)


def nir_bytes(graph):
    """The HDF5 file's bytes (``nir.write`` into memory)."""
    import nir

    buf = io.BytesIO()
    nir.write(buf, graph)
    return buf.getvalue()


def run(args):
    out = Path(args.out)
    if out.is_dir():
        raise InputError(f"{out}: is a directory")
    obj = _load(args.network)
    data = nir_bytes(to_nir(obj))
    AtomicFiles({out: data}).commit()
    print(f"wrote {out}")
    return 0
