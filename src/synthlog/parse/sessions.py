"""Sessionizers: group events by entity (e.g. HDFS block), by fixed time window, or by sliding window, and label them.

Sessions come out in order of their first event, events in input order, so results are deterministic.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from functools import partial

from synthlog.errors import InputError
from synthlog.records import ANOMALY, NORMAL, US, LogEvent, Session

HDFS_BLOCK = r"blk_-?\d+"
ENTITY_PATTERNS = {"blk": HDFS_BLOCK, "block": HDFS_BLOCK}
FEW_WINDOWS = 10_000  # time windows are refused beyond one per line, but a short log may have this many


def by_entity(events: Iterable[LogEvent], pattern: str = HDFS_BLOCK) -> list[Session]:
    """One session per distinct entity id matched by ``pattern`` in an event's content.

    An event that names several entities joins the session of EACH of them (once per entity); events naming
    none are left out. ``pattern`` may be a key of :data:`ENTITY_PATTERNS` (``blk``).
    """
    compiled = re.compile(ENTITY_PATTERNS.get(pattern, pattern))
    if compiled.fullmatch(""):  # it would cut every line into empty ids (or none at all)
        raise re.error(f"{pattern!r} matches the empty string; a session id needs at least one character")
    findall = compiled.findall
    sessions: dict[str, Session] = {}
    for event in events:
        found = findall(event.content)
        if not found:
            continue
        if len(found) > 1:
            found = list(dict.fromkeys(found))
        for entity in found:
            session = sessions.get(entity)
            if session is None:
                session = sessions[entity] = Session(id=entity)
            session.events.append(event)
    return list(sessions.values())


def _timestamp(event: LogEvent) -> float:
    """The event's time in epoch seconds (windows are given in seconds)."""
    if event.timestamp is None:
        where = f"line {event.line_id}" if event.line_id is not None else "an event"
        raise InputError(f"{where} has no timestamp; time windows need one on every event")
    return event.timestamp / US


def by_time_window(events: Iterable[LogEvent], seconds: float, prefix: str = "win_") -> list[Session]:
    """Fixed, non-overlapping windows of ``seconds`` aligned to the first event's time; empty windows are omitted."""
    if seconds <= 0:
        raise ValueError("window length must be positive")
    sessions: dict[int, Session] = {}
    origin: float | None = None
    for event in events:
        t = _timestamp(event)
        origin = t if origin is None else origin
        index = window_index(t, origin, seconds)
        session = sessions.get(index)
        if session is None:
            start = origin + index * seconds
            session = sessions[index] = Session(id=window_id(index, prefix), attributes={"start": start})
        session.events.append(event)
    return [sessions[i] for i in sorted(sessions)]


def window_index(t: float, origin: float, seconds: float) -> int:
    """The fixed window of ``seconds`` that time ``t`` falls in, counted from ``origin`` (epoch seconds both)."""
    return math.floor((t - origin) / seconds)


def window_id(index: int, prefix: str = "win_") -> str:
    """The session id of window ``index`` (time windows and windows of lines alike)."""
    return f"{prefix}{index:07d}"


def sliding_windows(events: Sequence[LogEvent] | Iterable[LogEvent], size: float, step: float,
                    by: str = "count", prefix: str = "win_") -> list[Session]:
    """Overlapping windows of ``size`` advancing by ``step``: counted in events (``by="count"``, windows of
    exactly ``size`` events starting every ``step`` events while one fits) or in seconds (``by="time"``)."""
    if size <= 0 or step <= 0:
        raise ValueError("window size and step must be positive")
    events = list(events)
    sessions = []
    if by == "count":
        size, step = int(size), int(step)
        for n, start in enumerate(range(0, len(events) - size + 1, step)):
            sessions.append(Session(id=window_id(n, prefix), events=events[start:start + size]))
        return sessions
    if by != "time":
        raise ValueError("by must be 'count' or 'time'")
    times = [_timestamp(e) for e in events]
    if not times:
        return sessions
    windows = _time_windows(times, size, step)
    if windows > max(len(events), FEW_WINDOWS):
        raise InputError(f"windows of {size:g} s every {step:g} s make {windows:,} windows of {len(events):,} lines; "
                         "take a step that makes at most one window per line", field="--sessions")
    first, lo, hi, n = times[0], 0, 0, 0
    start = first
    while lo < len(events):
        while lo < len(events) and times[lo] < start:
            lo += 1
        while hi < len(events) and times[hi] < start + size:
            hi += 1
        if lo < hi:
            sessions.append(Session(id=f"{prefix}{n:07d}", events=events[lo:hi], attributes={"start": start}))
            n += 1
            start += step
        elif lo < len(events):  # a gap in time: jump to the first window that reaches the next event
            start += step * max(1, math.floor((times[lo] - size - start) / step) + 1)
    return sessions


def _time_windows(times: list[float], size: float, step: float) -> int:
    """How many windows ``[first + k*step, first + k*step + size)`` hold at least one of ``times`` (sorted or
    not): window k holds time t when k lies in [ceil((t - size - first) / step) + 1, floor((t - first) / step)],
    counted as a union of integer ranges without making the windows."""
    first = times[0]
    ranges = sorted((max(math.floor((t - size - first) / step) + 1, 0), math.floor((t - first) / step))
                    for t in times)
    count, reached = 0, -1
    for low, high in ranges:
        low = max(low, reached + 1)
        if high >= low:
            count += high - low + 1
            reached = high
    return count


def label_from_entities(sessions: Iterable[Session], labels: dict[str, int], default: int | None = None,
                        rule: str = "entity-label-file") -> None:
    """Set each session's label from ``labels`` by session id; sessions not listed get ``default``."""
    for session in sessions:
        label = labels.get(session.id, default)
        session.label = label
        session.label_rule = rule if session.id in labels else (None if default is None else "default")


def label_from_lines(sessions: Iterable[Session], rule: str = "any-anomalous-line") -> None:
    """A session is anomalous if any of its events is, normal if all are labeled, else unknown."""
    for session in sessions:
        labels = [e.label for e in session.events]
        if ANOMALY in labels:
            session.label = ANOMALY
        elif labels and None not in labels:
            session.label = NORMAL
        else:
            session.label = None
        session.label_rule = rule if session.label is not None else None


def sessionizer(spec: str) -> Callable[[list[LogEvent]], list[Session]]:
    """A sessionizer from a short spec, as the CLI's ``--sessions`` takes it.

    ``blk`` (HDFS blocks), ``entity:REGEX`` (one session per match), ``window:SECONDS`` (fixed time windows),
    ``sliding:SIZE,STEP`` (windows of SIZE events every STEP events), ``sliding-time:SIZE,STEP`` (seconds).
    """
    kind, _, arg = spec.partition(":")
    try:
        if spec in ENTITY_PATTERNS:
            return partial(by_entity, pattern=ENTITY_PATTERNS[spec])
        if kind == "entity" and arg:
            if re.compile(arg).fullmatch(""):
                raise ValueError("it matches the empty string; a session id needs at least one character")
            return partial(by_entity, pattern=arg)
        if kind == "window":
            return partial(by_time_window, seconds=_positive(arg))
        if kind in ("sliding", "sliding-time"):
            size, step = (_positive(x, whole=kind == "sliding") for x in arg.split(","))
            return partial(sliding_windows, size=size, step=step, by="count" if kind == "sliding" else "time")
    except (ValueError, re.error) as exc:
        raise InputError(f"bad session spec {spec!r}: {exc}", field="--sessions") from None
    raise InputError(f"unknown session spec {spec!r} (use blk, entity:REGEX, window:SECONDS, sliding:SIZE,STEP "
                     "or sliding-time:SIZE,STEP)", field="--sessions")


def _positive(text: str, whole: bool = False) -> float:
    """A positive number; ``whole``: a positive whole number (window sizes and steps counted in events)."""
    value = float(text)
    if not value > 0 or (whole and not value.is_integer()):
        raise ValueError(f"{text!r} is not a positive {'whole ' if whole else ''}number")
    return value
