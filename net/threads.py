"""One torch thread for the small tensors of these networks.

Element-wise ops on ~10^5 elements are faster on one thread than on several, and on a shared
machine (CI: 2 cores, several pytest workers) extra intra-op threads spin against each other:
measured 20x slower with 2 threads under load. Every simulation and training entry point of
:mod:`net` runs inside :func:`one_thread`.
"""

from contextlib import contextmanager

__all__ = ["one_thread"]


@contextmanager
def one_thread():
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
