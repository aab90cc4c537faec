import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KIT = Path(__file__).resolve().parent / "kit"
# the project's packages, then the shared test kit (clirun, rtlsim, the cocotb benches)
for p in (str(KIT), str(ROOT)):
    if p not in sys.path:
        sys.path.insert(0, p)
