"""The network report's parts that need no synthesis: the executors (a local process pool and a
Dask ``LocalCluster``, on a tiny job), the Pareto front, the FS-vs-IF comparison, the job plan
and the command line's checks."""

import math

import pytest

from clirun import ROOT, run_cli

from boards.executor import DaskExecutor, LocalExecutor, executor, run_all
from boards.netreport import (TARGETS, compare_if, default_networks, images_per_s, pareto,
                              plan_jobs, table_lines, table_pe)


def square(x):
    return x * x


@pytest.mark.parametrize("workers", [1, 2])
def test_local_executor_keeps_job_order(workers):
    ex = executor(workers)
    assert isinstance(ex, LocalExecutor)
    assert run_all(ex, square, list(range(7))) == [n * n for n in range(7)]


def test_dask_executor_on_a_local_cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        ex = executor(dask=cluster.scheduler_address)
        assert isinstance(ex, DaskExecutor)
        try:
            assert "2 workers" in ex.describe()
            assert run_all(ex, math.factorial, [5, 3, 10, 0]) == [120, 6, 3628800, 1]
        finally:
            ex.close()


def test_dask_bad_address_is_one_line(tmp_path):
    pytest.importorskip("distributed")
    r = run_cli("boards", "network-report", "--dask", "tcp://127.0.0.1:9", "--out",
                str(tmp_path / "r.md"), "--networks", str(default_networks()[0]))
    assert r.returncode == 2 and r.stderr.startswith("error: cannot reach the Dask scheduler")
    assert r.stderr.count("\n") == 1 and not list(tmp_path.iterdir())


def test_pareto_front():
    pts = [(100, 10.0), (200, 30.0), (150, 5.0), (400, 30.0), (500, 90.0), (120, 10.0)]
    assert pareto(pts) == [0, 1, 4]
    assert pareto([]) == []


def _row(net, coding, act, device, luts, fmax, ii, acc, K=10):
    return {"job": {"device": device, "pe": 16, "group": "table"}, "network": net,
            "unit": {"coding": coding, "activation": act, "K": K, "Q": 8},
            "accuracy": acc, "spikes_per_image": 90.0, "ii_mean": ii, "luts": luts,
            "brams": 20, "fmax_mhz": fmax, "timing_met": True, "latency_mean": 600.0}


def test_fs_against_if_targets():
    rows = [_row("mlp_fs_relu_k10.json", "fs", "relu", "ecp5", 3000, 100.0, 300.0, 98.0),
            _row("mlp_if.json", "if", "relu", "ecp5", 2500, 100.0, 6000.0, 98.2, K=1023),
            _row("mlp_fs_relu_k10.json", "fs", "relu", "ice40", 4000, 24.0, 300.0, 98.0),
            _row("mlp_if.json", "if", "relu", "ice40", 2000, 30.0, 1000.0, 97.0, K=1023)]
    comps = {c["device"]: c for c in compare_if(rows)}
    ecp5, ice40 = comps["ecp5"], comps["ice40"]
    assert ecp5["speedup"] == pytest.approx(20.0) and ecp5["lut_ratio"] == pytest.approx(1.2)
    assert all(ecp5["met"].values())
    assert ice40["speedup"] == pytest.approx(0.8 * 1000 / 300)      # below the target
    assert not ice40["met"]["speedup"] and not ice40["met"]["luts"]
    assert ice40["met"]["accuracy"]                                  # more accurate: met
    assert TARGETS["speedup"] == 10
    assert images_per_s(rows[0]) == pytest.approx(100e6 / 300)
    lines = table_lines(rows)
    assert len(lines) == 2 + len(rows) and "| 1023 |" in lines[3]


def test_table_pe_per_device():
    mlp = str(default_networks()[0])
    assert table_pe("ice40", mlp) == 2 and table_pe("ecp5", mlp) == 16
    assert table_pe("ice40", mlp, 4) == 4 and table_pe("ice40", mlp, (8, 8, 8)) == (8, 8, 8)


def test_failed_run_cell():
    from boards.netreport import _why

    assert _why("build_top.sh failed in w (ERROR: Unable to place cell 'x', no BELs remaining "
                "to implement cell type 'ICESTORM_LC'); log: w/flow.log") == \
        "does not fit (out of ICESTORM_LC)"
    assert _why("out-of-context synthesis of top failed; log: x") == \
        "out-of-context synthesis of top failed"
    row = dict(_row("n.json", "fs", "relu", "ice40", 0, 1.0, 300.0, 98.0), error="does not fit")
    assert "| not built: does not fit |" in table_lines([row])[2]


def test_no_if_network_no_comparison():
    rows = [_row("mlp_fs_relu_k10.json", "fs", "relu", "ecp5", 3000, 100.0, 300.0, 98.0)]
    assert compare_if(rows) == []


def test_plan_jobs_table_then_sweep(tmp_path):
    nets = default_networks()[:2]
    jobs = plan_jobs(nets, ["ice40", "ecp5"], None, [4, 16], [10], ["ecp5"], tmp_path)
    table = [j for j in jobs if j.group == "table"]
    sweep = [j for j in jobs if j.group == "sweep"]
    # the table's P: the board builds', 2 on the iCE40UP5K, 16 on the ECP5-85F
    assert sorted((j.device, j.pe) for j in table) == [("ecp5", 16)] * 2 + [("ice40", 2)] * 2
    # P=16 on ecp5 is a table job already; K=10 is the shipped example: no new file
    assert sorted((j.network.rsplit("/", 1)[-1], j.pe) for j in sweep) == \
        sorted((n.name, 4) for n in nets)
    assert not (tmp_path / "networks").exists()


@pytest.mark.parametrize("args, message", [
    (["--sweep-K", "8"], "--sweep-K needs --sweep-pe"),
    (["--sweep-pe", "4,x"], "--sweep-pe: 'x' is not an integer"),
    (["--devices", "ice40,xc7"], "--devices"),
    (["--workers", "2", "--dask", "tcp://127.0.0.1:9"], "give --workers or --dask"),
    (["--networks", "README.md"], "README.md"),
])
def test_bad_options_one_line(tmp_path, args, message):
    r = run_cli("boards", "network-report", "--out", str(tmp_path / "r.md"), *args)
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith("error: ") and message in r.stderr, r.stderr
    assert r.stderr.count("\n") == 1
    assert not list(tmp_path.iterdir())


def test_default_networks_are_the_shipped_mlps():
    names = [p.name for p in default_networks()]
    assert names[:3] == ["mlp_fs_relu_k10.json", "mlp_fs_silu_k16_q8.json",
                         "mlp_amos_relu_k10.json"]
    assert all(p.parent == ROOT / "net" / "examples" for p in default_networks())
