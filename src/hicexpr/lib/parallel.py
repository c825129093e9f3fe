"""Per-chromosome scale-out on Dask: serial, a local process cluster, or an existing cluster.

``map_chromosomes(fn, chroms)`` runs ``fn(chrom)`` for every chromosome and returns the results
in the order of ``chroms``, whatever the engine:

- ``workers`` None or 1 and no ``scheduler``: a plain loop in this process;
- ``workers=N``: a ``dask.distributed.LocalCluster`` of N single-threaded worker processes
  (started here and closed afterwards);
- ``scheduler="tcp://host:8786"``: a ``dask.distributed.Client`` joined to that scheduler.

``fn`` must be picklable (a module-level function or a ``functools.partial`` of one) and should
take plain inputs (file paths, small tables), never an open file handle: workers open their own
``cooler.Cooler`` from a path. Because each chromosome is computed by the same function in every
mode, results are identical to the serial path.
"""

from __future__ import annotations

import contextlib
import logging
import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from hicexpr.lib.errors import InputError
from hicexpr.lib.progress import track

log = logging.getLogger(__name__)

R = TypeVar("R")

#: Environment for worker processes: one BLAS/OpenMP thread each (workers are the parallelism).
WORKER_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "NUMBA_NUM_THREADS": "1", "HICEXPR_QUIET": "1"}


def check_engine(workers: int | None, scheduler: str | None) -> None:
    """Raise :class:`InputError` for an impossible ``workers`` / ``scheduler`` combination."""
    if workers is not None and workers < 1:
        raise InputError("--workers", "", "a positive number of worker processes", workers)
    if scheduler is not None and not str(scheduler).strip():
        raise InputError("--scheduler", "", "a scheduler address such as tcp://host:8786",
                         scheduler)


def is_serial(workers: int | None, scheduler: str | None) -> bool:
    """True when no Dask engine is needed (no scheduler and at most one worker)."""
    return scheduler is None and (workers is None or workers <= 1)


@contextlib.contextmanager
def dask_client(workers: int | None = None, scheduler: str | None = None) -> Iterator[Any]:
    """A ``dask.distributed.Client``: joined to ``scheduler`` if given, else to a new
    ``LocalCluster(n_workers=workers, threads_per_worker=1, processes=True)``.

    The local cluster (if any) is closed on exit (client first, then the cluster); its workers
    log at WARNING and exit without the nanny having to kill them
    (:class:`hicexpr.lib.dask_worker.WorkerHygiene`). A remote cluster is left running.
    """
    from dask.distributed import Client, LocalCluster

    from hicexpr.lib.dask_worker import WorkerHygiene

    check_engine(workers, scheduler)
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="30s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError("--scheduler", "", "a reachable Dask scheduler", f"{scheduler} "
                             f"({type(exc).__name__}: {exc})") from None
        try:
            yield client
        finally:
            client.close()
        return
    n = int(workers or os.cpu_count() or 1)
    cluster = LocalCluster(
        n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
        silence_logs=logging.WARNING, env=WORKER_ENV,
    )
    client = Client(cluster)
    log.info("local Dask cluster: %d worker processes", n)
    try:
        client.register_plugin(WorkerHygiene())
        yield client
    finally:
        client.close()
        cluster.close()


def map_chromosomes(
    fn: Callable[[str], R],
    chroms: Sequence[str],
    workers: int | None = None,
    scheduler: str | None = None,
    client: Any = None,
    description: str = "chromosomes",
) -> list[R]:
    """``[fn(c) for c in chroms]``, computed serially or on Dask (see the module docstring).

    Args:
        fn: picklable function of one chromosome name.
        chroms: chromosome names; results come back in this order.
        workers: worker processes of a local cluster (None or 1: serial).
        scheduler: address of an existing Dask scheduler (takes precedence over ``workers``).
        client: an already-open ``dask.distributed.Client`` to reuse (overrides both).
        description: progress-bar label.
    """
    check_engine(workers, scheduler)
    chroms = [str(c) for c in chroms]
    if client is None and is_serial(workers, scheduler):
        return [fn(c) for c in track(chroms, description)]
    if client is not None:
        return _run_on(client, fn, chroms, description)
    with dask_client(workers, scheduler) as own:
        return _run_on(own, fn, chroms, description)


def _run_on(client: Any, fn: Callable[[str], R], chroms: list[str], description: str) -> list[R]:
    """Submit one task per chromosome; gather in input order (errors re-raised here)."""
    from dask.distributed import as_completed
    from distributed.scheduler import KilledWorker

    token = uuid.uuid4().hex[:8]
    keys = [f"{description}-{c}-{token}" for c in chroms]
    futures = client.map(fn, chroms, pure=False, key=keys)
    try:
        for future in track(as_completed(futures), description, total=len(futures)):
            if future.status == "error":
                future.result()  # re-raises the worker's exception with its traceback
        return client.gather(futures)
    except KilledWorker:  # the nanny killed the workers: memory, almost always
        raise InputError(description, "", "Dask workers that finish every chromosome (fewer "
                         "--workers give each more memory)", "the workers running a task died, "
                         "as many times as Dask retries (out of memory?)") from None


__all__ = ["WORKER_ENV", "check_engine", "dask_client", "is_serial", "map_chromosomes"]
