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
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator, Sequence
from typing import Generic, TypeVar

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
