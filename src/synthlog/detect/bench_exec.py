"""Where the bench's tasks run: here, in forked local processes (``--jobs N``), or on the execution seam
(``--workers N`` / ``--scheduler ADDRESS``, :mod:`synthlog.execute`).

Each place offers ``share(value)`` and ``map(function, tasks)`` (``function(*task)`` per task, results in task
order), like :func:`synthlog.execute.open_executor`'s executors. ``--jobs N`` forks N copies of this process:
the tasks stay in this process's memory, so nothing is pickled but a task's index and its result, and no dask is
needed; it is the cheapest way to use the cores of one machine. ``--workers`` and ``--scheduler`` ship every
shared value once to each dask worker and run one task per cell there. :func:`time_limit` bounds a cell's
wall time in any of these places.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import pickle
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

from synthlog.errors import InputError
from synthlog.execute import InProcess, open_executor

_WORK: list[tuple[Callable, list[tuple]]] = []  # the running map, inherited by the forked processes


def _call_at(index: int) -> Any:
    function, tasks = _WORK[0]
    return function(*tasks[index])


class ForkPool:
    """``jobs`` forked processes of this one; the function and tasks are inherited, not pickled."""

    def __init__(self, jobs: int):
        self.width = jobs

    def share(self, value: Any) -> Any:
        return value

    def map(self, function: Callable, tasks: Iterable[tuple]) -> Iterator[Any]:
        tasks = list(tasks)
        if len(tasks) <= 1:
            yield from (function(*task) for task in tasks)
            return
        _WORK[:] = [(function, tasks)]
        try:
            with ProcessPoolExecutor(max_workers=self.width, mp_context=multiprocessing.get_context("fork")) as pool:
                yield from pool.map(_call_at, range(len(tasks)))
        finally:
            _WORK.clear()


def can_travel(executor, value: Any) -> bool:
    """Whether ``value`` can go to ``executor``'s workers: always where they share this process's memory; for
    dask, when it pickles (a fitted code-guided generator holds parsed code trees, which do not)."""
    if isinstance(executor, InProcess | ForkPool):
        return True
    try:
        pickle.dumps(value)
    except (TypeError, AttributeError, pickle.PicklingError):
        return False
    return True


@contextmanager
def bench_executor(jobs: int = 1, workers: int = 1, scheduler: str | None = None) -> Iterator[Any]:
    """The place for ``--jobs`` / ``--workers`` / ``--scheduler`` (one of them), closed afterwards."""
    if jobs > 1 and (workers > 1 or scheduler):
        raise InputError("give --jobs N (forked local processes) or --workers N / --scheduler ADDRESS (dask), "
                         "not both", field="--jobs")
    if jobs > 1:
        yield ForkPool(jobs)
        return
    with open_executor(workers, scheduler) as executor:
        yield executor


class CellTimeout(BaseException):
    """A cell ran past ``cell_timeout`` (a BaseException, like KeyboardInterrupt, so no ``except Exception`` in a
    library swallows it)."""


def _raise_in(thread_id: int, exception: type[BaseException] | None) -> None:
    """Have ``thread_id`` raise ``exception`` at its next Python instruction (``None`` withdraws a pending one)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id),
                                               None if exception is None else ctypes.py_object(exception))


def _importing(thread_id: int) -> bool:
    """Whether the thread is inside an import (the first neural fit imports torch's compiler machinery)."""
    frame = sys._current_frames().get(thread_id)
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back
    return False


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise :class:`CellTimeout` in the calling thread after ``seconds`` of wall time (no limit when ``None``).

    A timer thread raises it asynchronously in this one, so it works in any thread: the main one, a forked
    process and a dask worker's task thread alike (a signal could only reach the main thread). Python delivers it
    between two instructions, so one long call inside C (a single huge matrix product) ends first; the neural
    detectors return to Python at every mini-batch. It waits while the thread is importing: a module stopped
    half-way would stay broken in ``sys.modules`` for every later cell of that worker.
    """
    if not seconds:
        yield
        return
    target, lock = threading.get_ident(), threading.Lock()
    state: dict[str, Any] = {"running": True, "fired": False}

    def arm(delay: float) -> None:
        state["timer"] = threading.Timer(delay, expire)
        state["timer"].daemon = True
        state["timer"].start()

    def expire() -> None:
        with lock:
            if not state["running"]:
                return
            if _importing(target):
                arm(0.05)
                return
            state["fired"] = True
            _raise_in(target, CellTimeout)
            arm(1.0)  # again, should something catch it

    started = time.perf_counter()
    with lock:
        arm(seconds)
    try:
        yield
    finally:
        with lock:
            state["running"] = False
            state["timer"].cancel()
            if state["fired"]:  # fired as the cell ended: not delivered yet, so the thread's next task would get it
                _raise_in(target, None)
    if time.perf_counter() - started > seconds:  # ended late, before the timer (itself late under load) fired
        raise CellTimeout
