"""``python -m sim``: the old name of ``python -m net`` (network conversion and simulation).

Kept for one release as an alias: it runs ``python -m net`` with the same arguments in a new
process (``sim/`` holds golden models and imports nothing above it, so it cannot import ``net``).
"""

import os
import sys


def main():
    print("note: `python -m sim` is now `python -m net`; running that", file=sys.stderr)
    os.execv(sys.executable, [sys.executable, "-m", "net", *sys.argv[1:]])


if __name__ == "__main__":
    main()
