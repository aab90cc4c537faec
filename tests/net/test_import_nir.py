"""NIR import: a rate-coded IF network converts to FS neurons with the IF network's accuracy;
LIF layers with a real leak, and malformed graphs, are refused; export-nir writes a graph
``nir.read`` reads back."""

import nir
import numpy as np
import pytest

from net import data as digits
from net.importers import check_import, read_model
from net.importers.conversion import convert, network_file

K = 8


def _train_small_cnn():
    """conv 3x3 (1 -> 4) - ReLU - pool 2 - flatten - linear 64 -> 32 - ReLU - linear 32 -> 10,
    trained on the digits training split (seeded, one thread: the same weights every run)."""
    import torch
    from torch import nn

    from net.threads import one_thread

    split = digits.load()
    x = torch.tensor(split.to_float(split.x_train)).reshape(-1, 1, 8, 8)
    y = torch.tensor(split.y_train)
    with one_thread():
        torch.manual_seed(0)
        net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.AvgPool2d(2),
                            nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
        opt = torch.optim.Adam(net.parameters(), lr=1e-2)
        gen = torch.Generator().manual_seed(0)
        for _ in range(30):
            for idx in torch.randperm(len(x), generator=gen).split(64):
                opt.zero_grad()
                nn.functional.cross_entropy(net(x[idx]), y[idx]).backward()
                opt.step()
    return net


def _if_graph(net, x_train, leaky=None):
    """The ANN as a rate-coded IF network, normalized as conversion toolboxes do: each IF
    layer's threshold is its largest activation on the training data (per channel for the
    conv layer, to exercise the per-channel folding), and the next layer's weights take the
    factor back."""
    import torch

    conv, _, pool, flat, fc1, _, fc2 = net
    with torch.no_grad():
        xt = torch.tensor(x_train, dtype=torch.float32).reshape(-1, 1, 8, 8)
        a1 = torch.relu(conv(xt))
        th1 = a1.amax(dim=(0, 2, 3)).numpy().astype(np.float64)          # per channel
        a2 = torch.relu(fc1(flat(pool(a1))))
        th2 = float(a2.max())
    W = {k: v.detach().numpy().astype(np.float64) for k, v in net.state_dict().items()}
    s1 = np.repeat(th1, 16)                       # pooled, flattened: channel-major
    neuron = (lambda shape, th: nir.IF(r=np.ones(shape), v_threshold=np.broadcast_to(
        th, shape).copy(), v_reset=np.zeros(shape))) if leaky is None else leaky
    nodes = {
        "input": nir.Input(input_type={"input": np.array([1, 8, 8])}),
        "conv": nir.Conv2d(input_shape=(8, 8), weight=W["0.weight"], stride=1, padding=1,
                           dilation=1, groups=1, bias=W["0.bias"]),
        "if1": neuron((4, 8, 8), th1[:, None, None]),
        "pool": nir.AvgPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]),
                              padding=np.array([0, 0])),
        "flat": nir.Flatten(input_type={"input": np.array([4, 4, 4])}, start_dim=0,
                            end_dim=-1),
        "fc1": nir.Affine(weight=W["4.weight"] * s1[None, :], bias=W["4.bias"]),
        "if2": neuron((32,), th2),
        "fc2": nir.Affine(weight=W["6.weight"] * th2, bias=W["6.bias"]),
        "output": nir.Output(output_type={"output": np.array([10])}),
    }
    names = list(nodes)
    return nir.NIRGraph(nodes=nodes, edges=list(zip(names, names[1:])), type_check=False)


@pytest.fixture(scope="module")
def if_network(tmp_path_factory):
    split = digits.load()
    net = _train_small_cnn()
    path = tmp_path_factory.mktemp("nir") / "if_cnn.nir"
    nir.write(path, _if_graph(net, split.to_float(split.x_train)))
    return path


def test_if_network_converts_to_fs(if_network):
    """IF layers become FS-ReLU layers: K = 8 steps per layer where the IF network needs
    N = 2^8 = 256, with the IF network's accuracy (within 0.5 points) on the test split."""
    from net.importers.nir import simulate

    split = digits.load()
    x_train = split.to_float(split.x_train).astype(np.float64).reshape(-1, 1, 8, 8)
    x_test = split.to_float(split.x_test).astype(np.float64).reshape(-1, 1, 8, 8)
    imp = read_model(if_network)
    assert [op.kind for op in imp.ops] == ["unflatten", "conv", "act", "pool", "flatten",
                                           "linear", "act", "linear"]
    check = check_import(imp, x_train)
    assert check.ok and check.max_abs_diff < 1e-9 * check.output_range
    conv = convert(imp, x_train, "fs", K, 8)
    int_acc = 100 * np.mean(conv.net.forward(conv.input.codes(x_test)).predictions
                            == split.y_test)
    graph, order = imp.extra["graph"]
    if_acc = 100 * np.mean(simulate(graph, order, x_test, 1 << K).argmax(1) == split.y_test)
    assert if_acc > 90
    print(f"IF network N={1 << K}: {if_acc:.2f} %, FS integer K={K}: {int_acc:.2f} %")
    assert abs(int_acc - if_acc) <= 0.5, (int_acc, if_acc)
    d = network_file(conv)
    assert d["input"]["shape"] == [1, 8, 8] and d["classes"] == 10


def _lif(tau):
    def make(shape, th):
        t = np.full(shape, float(tau))
        return nir.LIF(tau=t, r=t.copy(), v_leak=np.zeros(shape),
                       v_threshold=np.broadcast_to(th, shape).copy(), v_reset=np.zeros(shape))
    return make


def test_lif_negligible_leak_converts_as_if(tmp_path):
    """LIF with r = tau is IF in the limit of a long tau: accepted when the leak is negligible
    (and then the same network as the IF one), refused with the figure otherwise."""
    from net.importers.nir import leak_figures

    split = digits.load()
    net = _train_small_cnn()
    x = split.to_float(split.x_train).astype(np.float64)
    nir.write(tmp_path / "if.nir", _if_graph(net, x))
    nir.write(tmp_path / "lif.nir", _if_graph(net, x, leaky=_lif(1e9)))
    a, b = read_model(tmp_path / "if.nir"), read_model(tmp_path / "lif.nir")
    for p, q in zip(a.ops, b.ops):
        assert p.kind == q.kind and (p.W is None or np.allclose(p.W, q.W, rtol=1e-12))
    figs = leak_figures(b, x, 1 << K)
    assert [f[0] for f in figs] == ["if1", "if2"] and max(f[1] for f in figs) < 1e-5
    nir.write(tmp_path / "leaky.nir", _if_graph(net, x, leaky=_lif(20.0)))
    figs = leak_figures(read_model(tmp_path / "leaky.nir"), x, 1 << K)
    assert min(f[1] for f in figs) > 0.01


def _chain(*nodes):
    d = {"input": nir.Input(input_type={"input": np.array([4])})}
    for i, n in enumerate(nodes):
        d[f"n{i}_{type(n).__name__.lower()}"] = n
    d["output"] = nir.Output(output_type={"output": np.array([3])})
    names = list(d)
    return nir.NIRGraph(nodes=d, edges=list(zip(names, names[1:])), type_check=False)


def _aff(o, i, rng):
    return nir.Affine(weight=rng.normal(size=(o, i)), bias=np.zeros(o))


def _if(n, **kw):
    p = {"r": np.ones(n), "v_threshold": np.ones(n), "v_reset": np.zeros(n)}
    p.update(kw)
    return nir.IF(**p)


def _bad_graphs():
    rng = np.random.default_rng(0)
    cases = {
        "threshold": (_chain(_aff(5, 4, rng), nir.Threshold(threshold=np.ones(5)),
                             _aff(3, 5, rng)), ("n1_threshold", "Threshold", "supported:")),
        "cubalif": (_chain(_aff(5, 4, rng), nir.CubaLIF(
            tau_mem=np.ones(5), tau_syn=np.ones(5), r=np.ones(5), v_leak=np.zeros(5),
            v_threshold=np.ones(5)), _aff(3, 5, rng)), ("CubaLIF",)),
        "negative-r": (_chain(_aff(5, 4, rng), _if(5, r=-np.ones(5)), _aff(3, 5, rng)),
                       ("'n1_if'", "r must be positive")),
        "reset-above": (_chain(_aff(5, 4, rng), _if(5, v_reset=np.full(5, 2.0)),
                               _aff(3, 5, rng)), ("v_threshold must be above v_reset",)),
        "nan-weight": (_chain(nir.Affine(weight=np.full((5, 4), np.nan), bias=np.zeros(5)),
                              _if(5), _aff(3, 5, rng)), ("NaN or inf",)),
        "neurons-first": (_chain(_if(4), _aff(5, 4, rng), _if(5), _aff(3, 5, rng)),
                          ("before any Affine",)),
        "no-neurons": (_chain(_aff(5, 4, rng), _aff(3, 5, rng)), ("no IF/LIF layer",)),
        "leaky": (_chain(_aff(5, 4, rng), nir.LIF(tau=np.full(5, 5.0), r=np.full(5, 5.0),
                                                  v_leak=np.zeros(5), v_threshold=np.ones(5)),
                         _aff(3, 5, rng)), ("'n1_lif'", "leak takes back", "tau 5")),
    }
    g = _chain(_aff(5, 4, rng), _if(5), _aff(3, 5, rng))
    g.edges.append(("input", "n2_affine"))
    cases["branch"] = (g, ("outgoing edges",))
    conv = nir.Conv2d(input_shape=(4, 4), weight=rng.normal(size=(2, 1, 3, 3)), stride=2,
                      padding=1, dilation=1, groups=1, bias=np.zeros(2))
    d = {"input": nir.Input(input_type={"input": np.array([1, 4, 4])}), "conv": conv,
         "if": _if((2, 2, 2)),
         "flat": nir.Flatten(input_type={"input": np.array([2, 2, 2])}, start_dim=0),
         "fc": _aff(3, 8, rng), "output": nir.Output(output_type={"output": np.array([3])})}
    names = list(d)
    cases["strided-conv"] = (nir.NIRGraph(nodes=d, edges=list(zip(names, names[1:])),
                                          type_check=False), ("'conv'", "stride [2, 2]"))
    return cases


BAD = _bad_graphs()


@pytest.mark.parametrize("name", list(BAD) + ["truncated", "not-hdf5"])
def test_malformed_nir(tmp_path, capsys, name):
    from tests.net.test_convert_cli import _assert_refused, _cli

    model = tmp_path / f"{name}.nir"
    if name in BAD:
        nir.write(model, BAD[name][0])
        frags = BAD[name][1]
    else:
        nir.write(model, _chain(_aff(5, 4, np.random.default_rng(0)), _if(5),
                                _aff(3, 5, np.random.default_rng(1))))
        data = model.read_bytes()
        model.write_bytes(data[:len(data) // 2] if name == "truncated" else b"x" * 100)
        frags = ("not a readable NIR graph",)
    calib_shape = (1, 4, 4) if name == "strided-conv" else (4,)
    np.save(tmp_path / "x.npy", np.random.default_rng(2).random((8, *calib_shape)))
    out = tmp_path / "out"
    out.mkdir()
    status, _, err = _cli(capsys, "convert", model, "--coding", "fs", "--calib",
                          tmp_path / "x.npy", "--out", out / "net.json", "--quiet")
    _assert_refused(status, err, out, *frags)


def test_export_nir_reads_back(if_network, tmp_path):
    """export-nir: nir.read gives the same chain with the quantized weights; the unit's
    parameters are in the neuron nodes' metadata; the graph's rates track the integer
    network; a second run writes the same bytes."""
    import json

    from clirun import run_cli
    from net.importers.nir import chain, evaluate

    split = digits.load()
    x_train = split.to_float(split.x_train).reshape(-1, 1, 8, 8)
    np.save(tmp_path / "x.npy", x_train)
    r = run_cli("net", "convert", if_network, "--coding", "fs", "--K", str(K), "--calib",
                tmp_path / "x.npy", "--out", tmp_path / "net.json", "--quiet")
    assert r.returncode == 0, r.stderr
    for name in ("a.nir", "b.nir"):
        r = run_cli("net", "export-nir", tmp_path / "net.json", tmp_path / name)
        assert r.returncode == 0, r.stderr
    assert (tmp_path / "a.nir").read_bytes() == (tmp_path / "b.nir").read_bytes()
    g = nir.read(tmp_path / "a.nir")
    order = chain(g, "a.nir")
    kinds = [type(g.nodes[k]).__name__ for k in order]
    assert kinds == ["Input", "Conv2d", "IF", "AvgPool2d", "Flatten", "Affine", "IF", "Affine",
                     "Output"]
    net = json.loads((tmp_path / "net.json").read_text())
    meta = g.nodes[order[2]].metadata
    assert meta["coding"] == "fs" and int(meta["K"]) == K
    assert list(meta["T"]) == net["unit"]["T"]
    fc = [layer for layer in net["layers"] if layer["op"] == "linear"][-1]
    W = g.nodes[order[7]].weight
    assert np.array_equal(W * 2.0 ** fc["weight_exp"], np.array(fc["W"]))
    rates = evaluate(g, order, x_train)
    conv = convert(read_model(if_network), x_train.astype(np.float64), "fs", K, 8)
    logits = conv.net.forward(conv.input.codes(x_train)).logits * 2.0 ** -conv.net.output_frac
    assert np.mean(rates.argmax(1) == logits.argmax(1)) > 0.97
    # and the exported graph imports again
    assert [op.kind for op in read_model(tmp_path / "a.nir").ops][:3] == ["unflatten", "conv",
                                                                           "act"]
