"""Sessions made in ranges of session indices, here or on workers, handed back one by one in index order.

An assembler's session ``i`` depends only on its seed and ``i`` (never on the sessions made before it), so a
worker holding a copy of the assembler can make any range, and the driver, taking ranges back in order, sees
exactly the sessions one process would make: the written data set is byte-identical for any executor.

Writing a data set needs a session's lines rendered, not its events: :func:`rendered_chunks` has the workers
render too and send back a :class:`Chunk` per range: an :class:`Outline` of each session, the lines' times as one
numpy array and each line format's lines packed into one ``bytes`` (so a range pickles as a handful of buffers,
not millions of strings), leaving the driver the merge and the writing. :func:`rendered_source` sends rendered
rows per line instead, for writers that need each event itself (event files, part files).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import numpy as np

from synthlog.collector import fewer_collections
from synthlog.execute import InProcess
from synthlog.io.logformat import tuple_getter
from synthlog.io.stream import LineRenderer, Packed, pack
from synthlog.records import ANOMALY, LogEvent, Session

# Sessions per task: enough to hide the scheduler's per-task cost, few enough that the ranges in flight (two per
# worker) stay small beside the driver's own memory; it changes where sessions are made, never which.
SESSIONS_PER_TASK = 500


class Outline(NamedTuple):
    """What a data set's session files and counts need of a session: its id, label, event ids, and the label rule
    of each anomalous line (``None`` where unnamed)."""

    id: str
    label: int | None
    label_rule: str | None
    event_ids: list[str]
    line_rules: list[str | None]

    @classmethod
    def of(cls, session: Session) -> Outline:
        rules = [e.label_rule for e in session.events if e.label == ANOMALY] if session.label == ANOMALY else []
        return cls(session.id, session.label, session.label_rule, session.event_ids, rules)


Made = tuple[Outline, list[int], list[Any]]  # a session's outline, its lines' times (epoch micros), its rendered lines
Render = Callable[[list[LogEvent], str], list[Any]]  # a session's events and id -> one rendered row per event


def make_range(assembler: Any, first: int, count: int) -> list[Session]:
    """Sessions ``first .. first + count - 1`` (what workers run)."""
    with fewer_collections():  # the task holds its sessions until it returns them
        return [assembler.session(index) for index in range(first, first + count)]


def made(session: Session, render: Render) -> Made:
    """``session`` as the writer takes it: outline, times, rendered lines."""
    events = session.events
    return Outline.of(session), [e.timestamp for e in events], render(events, session.id)


def render_range(assembler: Any, render: Render, first: int, count: int) -> list[Made]:
    """Sessions ``first .. first + count - 1``, made and rendered (what workers run)."""
    with fewer_collections():
        return [made(assembler.session(index), render) for index in range(first, first + count)]


class Chunk(NamedTuple):
    """A range of sessions as the writer of line formats takes it, in runs of consecutive sessions (see
    :func:`render_chunk`): each session's outline and the time of its first line (``None``: no line), per run
    its sessions, its lines and the times of its sessions' last lines; the lines' times (numpy int64 epoch
    micros) sorted within each run by ``(timestamp, session, row)``, and each line format's lines
    (:meth:`synthlog.io.stream.LineRenderer.extend`: raw, structured row, JSON) packed in that same order."""

    outlines: list[Outline]
    firsts: list[int | None]
    runs: list[tuple[int, int, list[int]]]
    times: np.ndarray
    columns: tuple[Packed, ...]


def render_chunk(assembler: Any, render: LineRenderer, first: int, count: int, run_every: int = 1) -> Chunk:
    """Sessions ``first .. first + count - 1``, made, rendered, sorted and packed (what workers run); a run ends
    after every session whose index + 1 is a multiple of ``run_every``, and at the end of the chunk."""
    outlines, firsts, runs, times = [], [], [], []
    columns: tuple[list[str], ...] = ([], [], [])
    with fewer_collections():
        index, stop = first, first + count
        while index < stop:
            end = min(stop, (index // run_every + 1) * run_every)
            run_times, lasts = [], []
            run_columns: tuple[list[str], list[str], list[str]] = ([], [], [])
            for session in map(assembler.session, range(index, end)):
                events = session.events
                outlines.append(Outline.of(session))
                session_times = [e.timestamp for e in events]
                firsts.append(session_times[0] if events else None)
                if events:
                    lasts.append(max(session_times))
                run_times += session_times
                render.extend(run_columns, events, session.id)
            order = np.argsort(np.array(run_times, dtype=np.int64), kind="stable").tolist()  # equal: session, row
            in_order = tuple_getter(order)  # one C call per list
            times += in_order(run_times)
            for column, lines in zip(columns, run_columns, strict=True):
                column += in_order(lines)
            runs.append((end - index, len(order), lasts))
            index = end
    return Chunk(outlines, firsts, runs, np.array(times, dtype=np.int64), tuple(pack(c) for c in columns))


def rendered_chunks(assembler: Any, render: LineRenderer, n: int, run_on=None, run_every: int = 1,
                    per_task: int = SESSIONS_PER_TASK) -> Iterator[Chunk]:
    """:func:`render_chunk` of sessions ``0 .. n - 1`` in order, ``per_task`` sessions each, made as
    :func:`session_source` makes them (``render`` is shipped once to every worker beside the assembler)."""
    tasks = ((first, min(per_task, n - first)) for first in range(0, n, per_task))
    if run_on is None or isinstance(run_on, InProcess):
        yield from (render_chunk(assembler, render, first, count, run_every) for first, count in tasks)
        return
    assembler, render = run_on.share(assembler), run_on.share(render)
    yield from run_on.map(render_chunk, ((assembler, render, first, count, run_every) for first, count in tasks))


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


def rendered_source(assembler: Any, render: Render, n: int, run_on=None,
                    per_task: int = SESSIONS_PER_TASK) -> Iterator[Made]:
    """:func:`made` of sessions ``0 .. n - 1`` in order, made and rendered as :func:`session_source` makes them
    (``render`` is shipped once to every worker beside the assembler)."""
    if run_on is None or isinstance(run_on, InProcess):
        yield from (made(assembler.session(index), render) for index in range(n))
        return
    assembler, render = run_on.share(assembler), run_on.share(render)
    tasks = ((assembler, render, first, min(per_task, n - first)) for first in range(0, n, per_task))
    for rendered in run_on.map(render_range, tasks):
        yield from rendered
