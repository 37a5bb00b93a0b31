"""Executors: where the per-case function of a batch runs.

Every executor maps one pure, importable function over a sequence of tasks and yields the
results as they complete (in any order; the batch runner puts them back in manifest order).
The function never raises for a bad case (it returns an error record), so an exception seen
here means the worker itself was lost; ``lost(task, exc)`` turns it into an error record.

:class:`InProcessExecutor`
    runs the cases one after the other in this process (``--jobs 1``; tests, debugging).
:class:`LocalProcessExecutor`
    a pool of worker processes on this machine (default: one per core). Workers start with
    the ``forkserver`` method (``spawn`` where it does not exist): numba's and BLAS's
    threads do not survive ``fork``. At most one case per worker is in flight, so when a
    worker dies (segfault, out of memory) the suspects are known: the pool is restarted and
    each case that was in flight is rerun alone; one that kills its worker again is recorded
    as an error (``WorkerLostError``) while the others go on.
:class:`DaskExecutor`
    an existing ``dask.distributed`` cluster (``--scheduler tcp://HOST:8786``). Tasks are
    submitted with ``retries`` and gathered with ``as_completed``, so each result reaches the
    cache as soon as it is done; a worker dying mid-run makes the scheduler run its cases
    elsewhere. The workers must have radiomix installed and see the input paths.

Within one case, :func:`thread_pool` lends the process's pool of extraction threads
(``RADIOMIX_THREADS`` of them, :func:`extraction_threads`; inline with one).
"""

from __future__ import annotations

import os
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from concurrent.futures import Executor as FuturesExecutor
from typing import Any, Protocol, TypeVar

from radiomix.errors import ConfigError, ExecutorError

__all__ = [
    "THREADS_ENV",
    "DaskExecutor",
    "Executor",
    "InProcessExecutor",
    "LocalProcessExecutor",
    "WorkerLostError",
    "default_jobs",
    "extraction_threads",
    "make_executor",
    "thread_pool",
]

T = TypeVar("T")
R = TypeVar("R")


#: environment variable: threads one extraction uses (default: the CPUs this process may
#: run on; the batch's worker processes set it to 1)
THREADS_ENV = "RADIOMIX_THREADS"


def _one_thread_per_case() -> None:
    """Worker start-up: the processes share the CPUs, so one extraction uses one thread
    (``RADIOMIX_THREADS``, read by the pyradiomics profile) unless the user set it."""
    os.environ.setdefault(THREADS_ENV, "1")


class WorkerLostError(RuntimeError):
    """The process running a case died (crash, out of memory, killed) too many times."""


class Executor(Protocol):
    """Runs ``fn`` on every task and yields results as they complete."""

    description: str

    def map_unordered(
        self,
        fn: Callable[[T], R],
        tasks: Sequence[T],
        lost: Callable[[T, BaseException], R],
    ) -> Iterator[R]: ...


def default_jobs() -> int:
    """Worker processes by default: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def extraction_threads() -> int:
    """Threads for one ROI's image types and maps: ``RADIOMIX_THREADS`` or the usable CPUs."""
    value = os.environ.get(THREADS_ENV, "").strip()
    if not value:
        return default_jobs()
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise ConfigError(f"{THREADS_ENV} must be a positive whole number, got {value!r}")
    return n


class _InlineExecutor(FuturesExecutor):
    """Runs each submitted call at once in the calling thread (one thread: no pool)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        fut: Future[Any] = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except Exception as exc:  # noqa: BLE001 - re-raised by result(), as a pool does
            fut.set_exception(exc)
        return fut


class _SharedPool(FuturesExecutor):
    """The process's pool of extraction threads, lent to one case: ``with`` leaves it
    running (starting threads for every case cost about a millisecond each, as much as a
    small case's shape features). Tasks never wait on other tasks, so cases of several
    calling threads can share it."""

    def __init__(self, pool: ThreadPoolExecutor) -> None:
        self._pool = pool

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        return self._pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Nothing: the pool outlives the case (its threads end with the process)."""


_pools: dict[int, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def thread_pool() -> FuturesExecutor:
    """The process's pool of :func:`extraction_threads` threads (one pool per size, kept
    for the process), or an inline executor where that is 1."""
    n = extraction_threads()
    if n == 1:
        return _InlineExecutor()
    with _pools_lock:
        pool = _pools.get(n)
        if pool is None:
            pool = _pools[n] = ThreadPoolExecutor(
                max_workers=n, thread_name_prefix="radiomix-pyradiomics"
            )
    return _SharedPool(pool)


class InProcessExecutor:
    """Run every case in this process, one after the other."""

    description = "in-process"

    def map_unordered(
        self,
        fn: Callable[[T], R],
        tasks: Sequence[T],
        lost: Callable[[T, BaseException], R],
    ) -> Iterator[R]:
        for task in tasks:
            yield fn(task)


class LocalProcessExecutor:
    """A pool of ``jobs`` worker processes on this machine.

    Parameters
    ----------
    jobs : int
        Number of worker processes.
    start_method : str, optional
        ``"forkserver"`` (default where available) or ``"spawn"``.
    """

    def __init__(self, jobs: int, start_method: str | None = None) -> None:
        if jobs < 1:
            raise ExecutorError(f"--jobs must be at least 1, got {jobs}")
        import multiprocessing  # (process pools only: ~10 ms to import)

        methods = multiprocessing.get_all_start_methods()
        if start_method is None:
            start_method = "forkserver" if "forkserver" in methods else "spawn"
        if start_method not in methods or start_method == "fork":
            raise ExecutorError(
                f"start method {start_method!r} is not usable here; use one of "
                f"{[m for m in methods if m != 'fork']}"
            )
        self.jobs = jobs
        self.start_method = start_method
        self.description = f"{jobs} local worker process{'es' if jobs > 1 else ''}"

    def map_unordered(
        self,
        fn: Callable[[T], R],
        tasks: Sequence[T],
        lost: Callable[[T, BaseException], R],
    ) -> Iterator[R]:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        ctx = multiprocessing.get_context(self.start_method)
        todo = deque(range(len(tasks)))  # indices into tasks, in submission order
        suspects: deque[int] = deque()  # in flight when a worker died: rerun one at a time
        while todo or suspects:
            pool = ProcessPoolExecutor(
                max_workers=self.jobs,
                mp_context=ctx,
                initializer=_one_thread_per_case if self.jobs > 1 else None,
            )
            inflight: dict[Future[R], int] = {}
            isolated = False  # the only case in flight is a suspect running alone
            broken = False
            try:
                while (todo or suspects or inflight) and not broken:
                    if suspects:
                        if not inflight:
                            i = suspects.popleft()
                            inflight[pool.submit(fn, tasks[i])] = i
                            isolated = True
                    else:
                        isolated = False
                        while todo and len(inflight) < self.jobs:
                            i = todo.popleft()
                            inflight[pool.submit(fn, tasks[i])] = i
                    done, _ = wait(inflight, return_when=FIRST_COMPLETED)
                    for fut in done:
                        try:
                            result = fut.result()
                        except BrokenProcessPool:
                            broken = True
                            break
                        except Exception as exc:  # noqa: BLE001 - e.g. a result that cannot be pickled
                            result = lost(tasks[inflight[fut]], exc)
                        del inflight[fut]
                        yield result
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
            pool.shutdown(wait=not broken, cancel_futures=broken)
            for fut, i in sorted(inflight.items(), key=lambda kv: kv[1]):
                if fut.done() and not fut.cancelled() and fut.exception() is None:
                    yield fut.result()
                elif isolated:
                    yield lost(
                        tasks[i],
                        WorkerLostError(
                            "the worker process died while running this case, twice (crash "
                            "or out of memory); check the case, or give each worker more "
                            "memory with fewer --jobs"
                        ),
                    )
                else:
                    suspects.append(i)


class DaskExecutor:
    """Cases as tasks on an existing ``dask.distributed`` cluster.

    Parameters
    ----------
    address : str
        Scheduler address, e.g. ``tcp://10.0.0.5:8786``.
    retries : int
        Times a task is retried when it raises on a worker (worker deaths are handled by the
        scheduler, which moves the task to another worker up to its ``allowed-failures``).
    timeout : float
        Seconds to wait for the scheduler to answer.
    """

    def __init__(self, address: str, retries: int = 2, timeout: float = 30.0) -> None:
        self.address = address
        self.retries = retries
        self.timeout = timeout
        self.description = f"Dask cluster at {address}"

    def _client(self) -> Any:
        try:
            from distributed import Client
        except ImportError:
            raise ExecutorError(
                "--scheduler needs dask.distributed: install it with pip install 'radiomix[dask]'"
            ) from None
        try:
            return Client(self.address, timeout=self.timeout, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise ExecutorError(
                f"cannot reach the Dask scheduler at {self.address} ({exc}); check the "
                "address (tcp://HOST:PORT) and that the scheduler is running"
            ) from None

    def map_unordered(
        self,
        fn: Callable[[T], R],
        tasks: Sequence[T],
        lost: Callable[[T, BaseException], R],
    ) -> Iterator[R]:
        from distributed import as_completed

        client = self._client()
        try:
            token = uuid.uuid4().hex[:12]
            futures = []
            owner: dict[str, T] = {}
            for i, task in enumerate(tasks):
                key = f"radiomix-case-{token}-{i}"
                fut = client.submit(fn, task, key=key, retries=self.retries, pure=False)
                futures.append(fut)
                owner[key] = task
            for fut in as_completed(futures, loop=client.loop):
                task = owner[fut.key]
                try:
                    result = fut.result()
                except Exception as exc:  # noqa: BLE001 - KilledWorker, lost connection, ...
                    result = lost(task, exc)
                fut.release()
                yield result
        finally:
            client.close()


def make_executor(jobs: int | None = None, scheduler: str | None = None) -> Executor:
    """The executor for ``--jobs``/``--scheduler``: Dask when a scheduler is given, else local
    processes (``jobs`` of them, all cores by default), or in-process for ``jobs=1``."""
    if scheduler is not None:
        if jobs is not None:
            raise ExecutorError("give either --jobs (local processes) or --scheduler (Dask)")
        return DaskExecutor(scheduler)
    n = default_jobs() if jobs is None else jobs
    if n < 1:
        raise ExecutorError(f"--jobs must be at least 1, got {n}")
    if n == 1:
        return InProcessExecutor()
    return LocalProcessExecutor(n)
