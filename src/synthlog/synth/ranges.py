"""Sessions made in ranges of session indices, here or on dask workers, handed back one by one in index order.

An assembler's session ``i`` depends only on its seed and ``i`` (never on the sessions made before it), so a
worker holding a copy of the assembler can make any range, and the driver, taking ranges back in order, sees
exactly the sessions one process would make: the written data set is byte-identical for any executor.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from synthlog.execute import InProcess
from synthlog.records import Session

# Sessions per task: enough to hide the scheduler's per-task cost, few enough that the ranges in flight (two per
# worker) stay small beside the driver's own memory; it changes where sessions are made, never which.
SESSIONS_PER_TASK = 500


def make_range(assembler: Any, first: int, count: int) -> list[Session]:
    """Sessions ``first .. first + count - 1`` (what workers run)."""
    return [assembler.session(index) for index in range(first, first + count)]


def session_source(assembler: Any, n: int, run_on=None, per_task: int = SESSIONS_PER_TASK) -> Iterator[Session]:
    """Sessions ``0 .. n - 1`` in order: made here when ``run_on`` is None or runs in this process, else made
    by ``run_on`` (a :mod:`synthlog.execute` executor) in ranges, the assembler shipped once to every worker."""
    if run_on is None or isinstance(run_on, InProcess):
        yield from (assembler.session(index) for index in range(n))
        return
    shared = run_on.share(assembler)
    tasks = ((shared, first, min(per_task, n - first)) for first in range(0, n, per_task))
    for sessions in run_on.map(make_range, tasks):
        yield from sessions
