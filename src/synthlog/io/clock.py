"""The clock of a raw log's layout: which headers hold the time, in which formats, which of them are read together
for a line's instant, the other headers' offsets from it (a local time next to epoch seconds), and the clock step;
inferred from a sample of the lines (:func:`infer_clock`) and used to time every line (:func:`stamp`).

Used where a layout's time headers are not ones the built-in readers know (``Jun 14 03:12:01``, ``[Sun Dec 04
04:47:44 2005]``): by :mod:`synthlog.io.parsed` and by the statistics profiler (:mod:`synthlog.stats.layoutprofile`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from synthlog.io.logformat import LogFormat
from synthlog.io.timestamps import TimeRenderer, fraction_digits, infer_time_format, read_time, time_pieces
from synthlog.records import LogEvent, micros_of

SAMPLE = 400  # lines sampled to infer time formats and clock offsets
_ZONE = 900  # clock offsets are whole quarter hours (time zones)
_NOT_TIME = {"Level", "Component", "Content"}  # headers never read as a time


@dataclass
class Clock:
    """The time headers of a layout: their formats, the headers read together for a line's time (``primary``),
    each other header's offset from that time in seconds, and the clock step in seconds."""

    formats: dict[str, str]
    primary: tuple[str, ...]
    offsets: dict[str, float] = field(default_factory=dict)
    resolution: float = 1.0

    def read(self, event: LogEvent) -> float | None:
        """A line's time from its primary headers, or ``None`` when they do not fit their formats."""
        texts = tuple(event.fields.get(name, "") for name in self.primary)
        return read_time(texts, tuple(self.formats[name] for name in self.primary))


def _spread(events: list[LogEvent], n: int) -> list[LogEvent]:
    """``n`` events spread evenly over the list (all of them when there are fewer)."""
    if len(events) <= n:
        return events
    step = len(events) / n
    return [events[int(i * step)] for i in range(n)]


def _complete(fmt: str) -> bool:
    """Whether a time format alone gives an instant (epoch seconds, or a day and a time of day)."""
    pieces = set(time_pieces(fmt))
    return "%s" in pieces or ({"%H"} <= pieces and bool(pieces & {"%d", "%e"}) and bool(pieces & {"%m", "%b"}))


def infer_clock(events: list[LogEvent], fmt: LogFormat) -> Clock | None:
    """The clock of a layout, from a sample of its lines; ``None`` when no header holds a time."""
    sample = _spread(events, SAMPLE)
    formats: dict[str, str] = {}
    for name in fmt.headers:
        if name in _NOT_TIME:
            continue
        values = [e.fields.get(name, "") for e in sample]
        found = infer_time_format(values, name) if values and all(values) else None
        if found is not None:
            formats[name] = found
    clock = clock_of(formats) if formats else None
    if clock is None:
        return None
    times = [clock.read(e) for e in sample]
    for name in formats:
        if name not in clock.primary:
            clock.offsets[name] = _offset(name, formats[name], sample, times)
    return clock


def clock_of(formats: dict[str, str], offsets: dict[str, float] | None = None) -> Clock | None:
    """A clock over time headers with these formats (in header order): its primary headers are the finest of
    each complete header alone and the incomplete ones together (a date header and a time header); ``None``
    when none of these gives an instant."""
    partial = tuple(n for n in formats if not _complete(formats[n]))
    candidates = [(n,) for n in formats if _complete(formats[n])]
    if partial and _complete(" ".join(formats[n] for n in partial)):
        candidates.append(partial)
    if not candidates:
        return None

    def precision(names: tuple[str, ...]) -> tuple[int, int]:
        digits = max(fraction_digits(formats[n]) for n in names)
        return digits, 0 if any("%s" in time_pieces(formats[n]) for n in names) else 1

    primary = max(candidates, key=precision)  # max keeps the first of equals: header order
    return Clock(dict(formats), primary, dict(offsets or {}), resolution=10.0 ** -precision(primary)[0])


def _offset(name: str, fmt: str, sample: list[LogEvent], times: list[float | None]) -> float:
    """The shift (whole quarter hours) that makes this header's text equal the line's time written in its format
    on most sampled lines: 0 for a header on the same clock, e.g. 25200 for a local time 7 h behind epoch seconds."""
    candidates = {0.0}
    if _complete(fmt):
        for event, t in zip(sample, times, strict=True):
            own = read_time((event.fields.get(name, ""),), (fmt,))
            if own is not None and t is not None:
                candidates.add(round((own - t) / _ZONE) * _ZONE)
                if len(candidates) > 8:
                    break
    render = TimeRenderer(fmt)

    def agreement(offset: float) -> int:
        return sum(t is not None and render.one(round((t + offset) * 1e6)) == event.fields.get(name)
                   for event, t in zip(sample, times, strict=True))

    return max(sorted(candidates, key=abs), key=agreement)


def stamp(events: Iterable[LogEvent], clock: Clock) -> None:
    """Set every event's timestamp from the clock (lines whose time headers do not fit keep ``None``)."""
    for event in events:
        event.timestamp = micros_of(clock.read(event))
