import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KIT = Path(__file__).resolve().parent / "kit"
# the project's packages, then the shared test kit (clirun, rtlsim, the cocotb benches)
for p in (str(KIT), str(ROOT)):
    if p not in sys.path:
        sys.path.insert(0, p)


def pytest_addoption(parser):
    # the cocotb regression of tests/gen/test_network_cocotb.py on the user's own network files
    parser.addoption("--network", action="append", default=[], metavar="NET.json",
                     help="run tests/gen/test_network_cocotb.py on this network file (the "
                          "digits test images and 1,000 random inputs, under stalls) instead "
                          "of the shipped examples; repeatable")
    parser.addoption("--network-pe", default="16", metavar="P",
                     help="with --network: accumulators per layer, P or P0,P1,... (default 16)")
