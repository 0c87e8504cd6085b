"""The one execution seam: map a pure function over task descriptions here, on a dask LocalCluster or on an
existing dask.distributed scheduler, and get the results back in task order.

``open_executor(workers, scheduler)`` picks the place: ``scheduler="tcp://host:8786"`` connects a client to a
cluster the user already runs, ``workers=N`` (N > 1) starts a LocalCluster of N single-threaded worker processes
(or, with ``local="processes"``, a plain pool of N processes of this machine: no dask, a start-up of a fraction of
a second instead of seconds) and closes it afterwards, otherwise tasks run in this process. Every executor offers
the same two calls:

- ``share(value)``: a handle to pass inside tasks instead of ``value``; dask ships the value once to every
  worker (a broadcast scatter), the process pool once to each process as it starts, and each hands the worker's
  copy to each task that names the handle;
- ``map(function, tasks)``: ``function(*task)`` for every task, yielded in task order with a bounded number in
  flight (so memory stays flat however many tasks the iterator holds, and endless iterators work).

Nothing else in synthlog imports dask; callers keep their outputs byte-identical by making results depend only
on the task, never on where or when it ran.
"""

from __future__ import annotations

import gc
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager, suppress
from typing import Any, NamedTuple

from synthlog.errors import InputError
from synthlog.extras import require

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

FEATURE = "--workers/--scheduler"


class InProcess:
    """Runs every task here, one after the other."""

    width = 1

    def share(self, value: Any) -> Any:
        return value

    def map(self, function: Callable, tasks: Iterable[tuple]) -> Iterator[Any]:
        for task in tasks:
            yield function(*task)


class DaskPool:
    """Runs tasks on a dask.distributed client's workers, ``ahead`` at most in flight, yielding in task order."""

    def __init__(self, client, ahead: int | None = None):
        self.client = client
        self.width = max(len(client.scheduler_info().get("workers", {})), 1)
        self.ahead = ahead or 2 * self.width  # one running and one queued per worker

    def share(self, value: Any) -> Any:
        # hash=False: the value is not tokenised (it may be large); broadcast: every worker holds a copy up front;
        # in a list of one, since scatter would split a list, tuple or dict into one handle per item
        return self.client.scatter([value], broadcast=True, hash=False)[0]

    def map(self, function: Callable, tasks: Iterable[tuple]) -> Iterator[Any]:
        return _in_order(lambda task: self.client.submit(function, *task, pure=False), tasks, self.ahead)


def _in_order(submit: Callable[[tuple], Any], tasks: Iterable[tuple], ahead: int) -> Iterator[Any]:
    """The results of ``submit``-ted tasks (futures with ``result()``) in task order, ``ahead`` in flight."""
    pending: deque = deque()
    tasks = iter(tasks)
    for task in tasks:
        pending.append(submit(task))
        if len(pending) >= ahead:
            break
    while pending:
        result = pending.popleft().result()
        following = next(tasks, None)
        if following is not None:
            pending.append(submit(following))
        yield result


_SHARED: dict[int, Any] = {}  # in a pool's process: the values shared with it when it started


class _Handle(NamedTuple):
    """What a task carries instead of a shared value: the value's key in the process's ``_SHARED``."""

    key: int


def _install(values: dict[int, Any]) -> None:
    _SHARED.update(values)


def _run_task(function: Callable, task: tuple) -> Any:
    return function(*(_SHARED[a.key] if isinstance(a, _Handle) else a for a in task))


class ProcessPool:
    """Runs tasks in ``width`` processes of this machine, ``ahead`` at most in flight, yielding in task order.

    Shared values travel once to each process, when it starts (so the processes start at the first ``map`` after
    a ``share``); a task and its result are pickled, as with dask, so results are the same wherever they ran."""

    def __init__(self, width: int, ahead: int | None = None):
        self.width = width
        self.ahead = ahead or 2 * width  # one running and one queued per process
        self._values: dict[int, Any] = {}
        self._pool: ProcessPoolExecutor | None = None
        self._frozen = False  # whether this pool froze the collector's generations (see map)

    def share(self, value: Any) -> _Handle:
        self.close()  # processes already running do not hold the new value: the next map starts fresh ones
        key = len(self._values)
        self._values[key] = value
        return _Handle(key)

    def map(self, function: Callable, tasks: Iterable[tuple]) -> Iterator[Any]:
        if self._pool is None:
            # fork where the system has it: the processes start as copies of this one, nothing is imported again
            methods = multiprocessing.get_all_start_methods()
            context = multiprocessing.get_context("fork" if "fork" in methods else None)
            # what exists now (the shared values) leaves the collector's generations until close(): a forked
            # process's collections then never walk those objects, so their pages stay shared instead of being
            # copied into every process (a forked pool starts every process at the first submit)
            gc.freeze()
            self._frozen = True
            self._pool = ProcessPoolExecutor(self.width, mp_context=context, initializer=_install,
                                             initargs=(self._values,))
            _widen_pipe(getattr(self._pool, "_result_queue", None))
        pool = self._pool
        yield from _in_order(lambda task: pool.submit(_run_task, function, task), tasks, self.ahead)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
        if self._frozen:
            gc.unfreeze()
            self._frozen = False


RESULT_PIPE_BYTES = 1 << 20  # the results' pipe: a task's result of megabytes crosses in fewer, larger reads


def _widen_pipe(queue: Any) -> None:
    """Give a pool's result queue a pipe of :data:`RESULT_PIPE_BYTES` where the system allows it (Linux): its
    64 kB default moves a range's packed lines (about 8 MB for 500 sessions of the Hadoop recipe) in 128 reads,
    each a system call and a fresh buffer; measured on 8 MB messages, the reader's CPU time falls from about 8 ms
    to about 5.5 ms and the writer's from about 1.6 ms to 1.2 ms. Anything else leaves the pipe as it is."""
    reader = getattr(queue, "_reader", None)
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl is not None else None
    if reader is None or set_size is None:
        return
    with suppress(OSError):  # above the system's limit for this user, or not a pipe: the default serves
        fcntl.fcntl(reader.fileno(), set_size, RESULT_PIPE_BYTES)


@contextmanager
def open_executor(workers: int = 1, scheduler: str | None = None, processes: bool = True,
                  connect_seconds: float = 20, local: str = "dask") -> Iterator[InProcess | DaskPool | ProcessPool]:
    """The executor for ``--workers N`` / ``--scheduler ADDRESS`` (not both), closed afterwards; a scheduler
    that does not answer within ``connect_seconds`` is an :class:`InputError`. ``local``: what ``workers=N``
    starts, ``"dask"`` (a LocalCluster) or ``"processes"`` (a :class:`ProcessPool`, which needs no dask)."""
    if scheduler and workers > 1:
        raise InputError("give --workers N (a local cluster) or --scheduler ADDRESS (an existing one), not both",
                         field="--scheduler")
    if not scheduler and workers <= 1:
        yield InProcess()
        return
    if not scheduler and local == "processes":
        pool = ProcessPool(workers)
        try:
            yield pool
        finally:
            pool.close()
        return
    distributed = require("distributed", FEATURE)
    if scheduler:
        try:
            client = distributed.Client(scheduler, timeout=f"{connect_seconds}s", set_as_default=False)
        except OSError as exc:
            raise InputError(f"cannot reach the dask scheduler at {scheduler}: {exc}", field="--scheduler") from None
        with client:
            try:
                client.wait_for_workers(1, timeout=60)
            except TimeoutError:
                raise InputError(f"the dask scheduler at {scheduler} has no worker", field="--scheduler") from None
            yield DaskPool(client)
        return
    # one thread per worker, polars' pool included, so N workers use N cores and not N x cores
    extra = {"env": {"POLARS_MAX_THREADS": "1"}} if processes else {}
    with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=processes,
                                  dashboard_address=None, silence_logs=40, **extra) as cluster, \
            distributed.Client(cluster, set_as_default=False) as client:
        yield DaskPool(client)
