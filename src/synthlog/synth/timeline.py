"""One time-ordered stream from many timed sessions: a k-way merge that holds only sessions still open.

Sessions come in order of their start (an arrival process); each brings its rows sorted by time. A session may
log for hours (an HDFS block is deleted long after it was written), so sessions overlap and their rows must be
interleaved. The merge keeps one cursor per open session in a heap keyed by ``(timestamp, session index, row
index)`` and releases a row once no session still to come can log before it: the caller passes a *watermark*,
the time before which no later session logs (the next session's start minus how far before its start a session
may log). Memory is what the open sessions have not yet released, and a released row is dropped at once.

The order is total, so the stream is the same whether rows are released after every session or only at the end
(the buffer size changes memory, never output). A session that logs before rows already released breaks the
contract and raises :class:`TimeOrderError` rather than writing time backwards.

:class:`PackedMerge` gives the same order for lines that travel packed into ``bytes`` (what ``generate code``
writes its raw log, structured CSV and JSONL from), in runs of sessions instead of one cursor per session.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator, Sequence
from typing import Generic, TypeVar

import numpy as np

Row = TypeVar("Row")


class TimeOrderError(RuntimeError):
    """A session logged before a time the merge had already released."""


class TimeMerge(Generic[Row]):
    """Merge sessions' timed rows into one stream ordered by ``(timestamp, session index, row index)``."""

    def __init__(self) -> None:
        # one cursor per open session: [next time, session index, row index, times left, rows left]; the lists
        # are reversed so taking the next row is a pop() that also lets go of it
        self._heap: list[list] = []
        self.released_until = -math.inf
        self.peak_open = 0  # most sessions open at once: what memory grows with

    @property
    def open_sessions(self) -> int:
        """Sessions with rows not yet released."""
        return len(self._heap)

    def add(self, index: int, times: Sequence[float], rows: Sequence[Row]) -> None:
        """Session ``index`` (greater than every index added before) with its rows, sorted by ``times``."""
        if not rows:
            return
        if times[0] < self.released_until:
            raise TimeOrderError(f"session {index} logs at {times[0]}, before {self.released_until} (in the rows' time "
                                 "unit: epoch microseconds for generate code), "
                                 "which was already released (a session started earlier than its arrival allows)")
        times_left, rows_left = list(times), list(rows)
        times_left.reverse()
        rows_left.reverse()
        heapq.heappush(self._heap, [times_left.pop(), index, 0, times_left, rows_left])
        if len(self._heap) > self.peak_open:
            self.peak_open = len(self._heap)

    def release(self, watermark: float) -> Iterator[Row]:
        """Rows at or before ``watermark``, in order: no session added later may log before ``watermark``."""
        self.released_until = max(self.released_until, watermark)
        heap = self._heap
        replace, pop = heapq.heapreplace, heapq.heappop
        while heap and heap[0][0] <= watermark:
            cursor = heap[0]
            times_left = cursor[3]
            yield cursor[4].pop()
            if times_left:  # the cursor moves on in place and sinks to its new place
                cursor[0] = times_left.pop()
                cursor[2] += 1
                replace(heap, cursor)
            else:
                pop(heap)

    def drain(self) -> Iterator[Row]:
        """Every row left, in order (after the last session)."""
        return self.release(math.inf)


class PackedMerge:
    """:class:`TimeMerge` for lines that travel packed: each line format's lines of a chunk of sessions as one
    UTF-8 ``bytes`` (:class:`synthlog.io.stream.Packed`), their times as a numpy array.

    Sessions come in runs of consecutive sessions (:meth:`add`), each run's lines already sorted by
    ``(timestamp, session, row)`` and packed in that order. A release takes from every run the lines at or before
    the watermark (a prefix: contiguous bytes) and sorts only those, stably, so the runs interleave in session
    order; consecutive released lines of one run are then one slice of its bytes. The order is
    :class:`TimeMerge`'s whatever the runs and the release cadence. A run whose lines left hold less than half the
    bytes it keeps copies them out, so memory follows the lines not yet released (a chunk's bytes go once none
    of its runs keeps them), not the chunks they came in.
    """

    def __init__(self) -> None:
        self._runs: list[_Run] = []  # in session order
        self.released_until = -math.inf
        self.peak_open = 0  # most sessions open at once (counted as each run is added)
        self.open_sessions = 0  # sessions with lines not yet released

    def add(self, times: np.ndarray, columns: Sequence[bytes], bounds: Sequence[np.ndarray],
            lasts: Sequence[int]) -> None:
        """A run: sessions later than every session added before, their lines' ``times`` (numpy int64) sorted by
        ``(timestamp, session, row)``; per line format, the ``bytes`` that hold the lines and the lines' ``bounds``
        in it (offsets, one more than ``times``: line ``i`` is ``bounds[i]:bounds[i + 1]``); and the time of each
        session's last line (a session is open until it is out)."""
        if not len(times):
            return
        if int(times[0]) < self.released_until:  # as Python numbers: compared exactly
            raise TimeOrderError(f"a session logs at {int(times[0])}, before {self.released_until} (in the rows' "
                                 "time unit: epoch microseconds for generate code), which was already released "
                                 "(a session started earlier than its arrival allows)")
        self._runs.append(_Run(times, tuple(columns), list(bounds), np.sort(np.asarray(lasts, dtype=np.int64))))
        self.open_sessions += len(lasts)
        self.peak_open = max(self.peak_open, self.open_sessions)

    def release(self, watermark: float, per_line: Sequence[int] = ()) -> tuple[int, list[list[bytes]]]:
        """The number of lines at or before ``watermark`` (no session added later may log before it) and, per
        line format, those lines in order: as slices that each hold consecutive lines, or one slice per line for
        the formats at the positions ``per_line``."""
        self.released_until = max(self.released_until, watermark)
        if watermark == -math.inf:
            return 0, []
        # the times are whole numbers: compared with the watermark's floor, exactly (no rounding to float64)
        until = np.int64(math.floor(watermark)) if watermark != math.inf else np.iinfo(np.int64).max
        taken = [(run, int(run.times.searchsorted(until, side="right"))) for run in self._runs if run.times[0] <= until]
        if not taken:
            return 0, []
        counts = [k for _, k in taken]
        # runs in session order, each sorted: a stable sort of their times interleaves them
        order = np.argsort(np.concatenate([run.times[:k] for run, k in taken]), kind="stable") \
            if len(taken) > 1 else np.arange(counts[0])
        labels = np.repeat(np.arange(len(taken)), counts)[order]  # the run of each line, in order
        # segments: consecutive lines of one run, whose bytes follow each other in its chunk
        cuts = np.flatnonzero(labels[1:] != labels[:-1]) + 1
        heads, tails = np.concatenate(([0], cuts)), np.concatenate((cuts, [len(order)])) - 1
        segment_labels, firsts, lasts = labels[heads].tolist(), order[heads], order[tails]
        columns = []
        for at, data in enumerate(zip(*(run.data for run, _ in taken), strict=True)):
            starts = np.concatenate([run.bounds[at][:k] for run, k in taken])
            ends = np.concatenate([run.bounds[at][1:k + 1] for run, k in taken])
            if at in per_line:
                pieces = zip(labels.tolist(), starts[order].tolist(), ends[order].tolist(), strict=True)
            else:
                pieces = zip(segment_labels, starts[firsts].tolist(), ends[lasts].tolist(), strict=True)
            columns.append([data[label][start:end] for label, start, end in pieces])
        for run, k in taken:
            self.open_sessions -= run.drop(k, until)
        self._runs = [run for run in self._runs if len(run.times)]
        return len(order), columns

    def drain(self, per_line: Sequence[int] = (), lines: int = 1 << 14) -> Iterator[tuple[int, list[list[bytes]]]]:
        """Every line left, in order (after the last session), as releases of about ``lines`` lines each (so the
        last release, which may hold every open session's lines, needs no copy of them all at once)."""
        while self._runs:
            times = np.concatenate([run.times for run in self._runs])
            rank = min(lines, len(times)) - 1
            yield self.release(int(np.partition(times, rank)[rank]), per_line)


class _Run:
    """Lines of consecutive sessions not yet released, sorted: their times and, per format, the bytes that hold
    them and their bounds in it; the sorted last times of the sessions still open; ``kept``: the bytes of its
    own lines the run holds (its share of its chunk, or its copy)."""

    __slots__ = ("times", "data", "bounds", "lasts", "kept")

    def __init__(self, times: np.ndarray, data: tuple[bytes, ...], bounds: list[np.ndarray], lasts: np.ndarray):
        self.times, self.data, self.bounds, self.lasts = times, data, bounds, lasts
        self.kept = self.left()

    def left(self) -> int:
        """Bytes of the lines not yet released, all formats together."""
        return sum(int(b[-1]) - int(b[0]) for b in self.bounds)

    def drop(self, k: int, until: np.int64) -> int:
        """Let go of the first ``k`` lines (released, all at or before ``until``); returns how many sessions that
        closes."""
        self.times = self.times[k:]
        self.bounds = [b[k:] for b in self.bounds]
        left = self.left()
        if len(self.times) and 2 * left < self.kept:  # copy the rest out: the chunk's bytes need not stay for it
            self.data = tuple(d[int(b[0]):int(b[-1])] for d, b in zip(self.data, self.bounds, strict=True))
            self.bounds = [b - b[0] for b in self.bounds]
            self.kept = left
        closed = int(self.lasts.searchsorted(until, side="right"))
        self.lasts = self.lasts[closed:]
        return closed
