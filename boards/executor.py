"""Independent jobs (synthesis runs) in parallel: on this machine or on a Dask cluster.

:func:`executor` returns a :class:`LocalExecutor` (a ``concurrent.futures`` process pool of
``workers`` processes) or a :class:`DaskExecutor` (a ``distributed.Client`` connected to an
existing scheduler, for sweeps that outgrow one machine; ``pip install "spikegen[dask]"``). Both
run a picklable function over a list of jobs with :meth:`run`, which yields ``(index, result)``
as jobs finish and shows a tqdm progress bar; the caller orders the results by index, so the
output does not depend on which job finished first.

The function must be importable where it runs: a Dask worker imports this package, so it must
run in an environment where ``spikegen`` is installed (and with the synthesis tools for
synthesis jobs).
"""

from common.cli import CLIError, progress

__all__ = ["executor", "LocalExecutor", "DaskExecutor", "run_all"]


class LocalExecutor:
    """Jobs in a process pool of ``workers`` processes (1: in this process, one by one)."""

    def __init__(self, workers=1):
        self.workers = workers

    def describe(self):
        return f"{self.workers} local worker{'s' if self.workers != 1 else ''}"

    def submit(self, fn, jobs):
        """Yield ``(index, result)`` as the jobs finish."""
        if self.workers == 1:
            for n, job in enumerate(jobs):
                yield n, fn(job)
            return
        from concurrent.futures import ProcessPoolExecutor, as_completed

        with ProcessPoolExecutor(max_workers=self.workers) as pool:
            futures = {pool.submit(fn, job): n for n, job in enumerate(jobs)}
            for fut in as_completed(futures):
                yield futures[fut], fut.result()

    def close(self):
        pass


class DaskExecutor:
    """Jobs on the Dask cluster whose scheduler is at ``address`` (``tcp://host:port``)."""

    def __init__(self, address, timeout_s=10):
        try:
            from distributed import Client
        except ImportError:
            raise CLIError('--dask needs dask.distributed: pip install "spikegen[dask]"') \
                from None
        try:
            self.client = Client(address, timeout=f"{timeout_s}s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise CLIError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
        self.address = address

    def describe(self):
        workers = len(self.client.scheduler_info().get("workers", {}))
        return f"the Dask cluster at {self.address} ({workers} workers)"

    def submit(self, fn, jobs):
        from distributed import as_completed

        futures = self.client.map(fn, jobs, pure=False)
        index = {fut.key: n for n, fut in enumerate(futures)}
        for fut in as_completed(futures):
            yield index[fut.key], fut.result()

    def close(self):
        self.client.close()


def executor(workers=1, dask=None):
    """A :class:`DaskExecutor` when ``dask`` (a scheduler address) is given, else a
    :class:`LocalExecutor` of ``workers`` processes."""
    if dask is not None:
        return DaskExecutor(dask)
    return LocalExecutor(workers)


def run_all(ex, fn, jobs, desc="jobs", label=None):
    """Results of ``fn`` over ``jobs`` (in job order), run by executor ``ex`` with a progress
    bar; ``label(job)`` names a job in the bar as it finishes."""
    results = [None] * len(jobs)
    with progress(total=len(jobs), desc=desc, unit="job") as bar:
        for n, result in ex.submit(fn, jobs):
            results[n] = result
            if label is not None:
                bar.set_postfix_str(label(jobs[n]))
            bar.update(1)
    return results
