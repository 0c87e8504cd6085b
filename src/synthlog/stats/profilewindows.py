"""Profile a raw log cut into windows in chunks on the execution seam: fixed time windows (``window:SECONDS``,
also the cut guessed when no entity id qualifies) and windows of lines (``sliding:SIZE,STEP``), the same spec as
one pass (:func:`synthlog.parse.sessions.by_time_window`, :func:`synthlog.parse.sessions.sliding_windows`).

Four rounds of tasks, the driver deciding between them:

1. **scan** (:func:`synthlog.stats.profilescan.scan_chunk`, no session pattern): each chunk's distinct masked
   messages for the template miner, its line counts and the lines that do not fit the layout;
2. **sample**: the 400 lines the clock is inferred from (the lines one pass samples), read by their numbers; the
   driver infers the clock and, for a guessed cut, guesses from the first lines timed by that clock, as one pass
   guesses;
3. **spill**: each chunk's matched lines with a key, their window (time windows: from the line's time and the
   first line's, which starts window 0) or their place among the matched lines (windows of lines), into one Arrow
   file sorted by key (stably: a window's lines stay in line order), handing back the lines per time window;
4. **profile**: the windows cut into parts of about ``part_lines`` lines, consecutive in window order; a part task
   takes the rows of its key range from every chunk's file (a binary search in the sorted key column), builds its
   windows as one pass builds them, then the first or second pass (:mod:`synthlog.stats.profileparts`), twice.

Windows of lines that overlap (STEP < SIZE) share lines. One pass counts such a line once, in its first window
that holds it (after each window is cut to its first ``max_session_lines`` lines with epsilon); a part counts a
line only when that window is its own, and the part holding it counts it. Time windows share no line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from synthlog.errors import InputError
from synthlog.io.logformat import LogFormat, _EventBuilder
from synthlog.parse.drain import TemplateParser
from synthlog.parse.sessions import window_id, window_index
from synthlog.records import US, LabeledDataset, Session, micros_of
from synthlog.stats.profileparts import FirstPart, Needs, SecondPart
from synthlog.stats.profilescan import (
    CHUNK_BYTES,
    PART_LINES,
    NotChunked,
    Reading,
    Timer,
    UntimedHeaders,
    check_counts,
    checked_line_labels,
    chunk_lines,
    finish,
    first_lines,
    guess_sessions_of,
    input_chunks,
    label_sessions,
    mined,
    part_statistics,
    picked_lines,
    refuse_untimed,
    sample_picks,
    scan_chunk,
    spill_folder,
)


@dataclass(frozen=True)
class Cut:
    """How matched lines become windows: windows of ``seconds`` from ``origin`` (epoch seconds: the first line's
    time), or, with ``seconds`` None, ``count`` windows of ``size`` lines starting every ``step`` lines."""

    seconds: float | None = None
    origin: float = 0.0
    size: int = 0
    step: int = 0
    count: int = 0

    def windows_of(self, line: int, size: int | None = None) -> range:
        """The windows of lines holding matched line ``line`` (from 0) among their first ``size`` lines (default:
        all of them)."""
        size = self.size if size is None else size
        return range(max(0, -((size - 1 - line) // self.step)), min(self.count - 1, line // self.step) + 1)

    def keys(self, low: int, high: int) -> tuple[int, int]:
        """The spill keys of windows ``low .. high - 1``: window numbers, or the matched lines they hold."""
        if self.seconds is not None:
            return low, high
        return low * self.step, (high - 1) * self.step + self.size


@dataclass
class WindowSpill:
    """What the spill of one chunk hands back: lines per time window, the first line without a time, the first
    line of each time-named header holding no time."""

    windows: dict[int, int]
    untimed_line: int | None
    untimed: dict[str, tuple[int, str]]


def spill_windows(path: Path, start: int, end: int, first: int, first_matched: int, fmt: LogFormat, clock, cut: Cut,
                  out: str) -> WindowSpill:
    """Round 3 for one chunk (lines ``first`` .., matched lines ``first_matched`` ..): its lines in a window, with
    their keys, into the Arrow file ``out``, sorted by key."""
    import numpy as np
    import pyarrow as pa

    build, untimed, time = _EventBuilder(fmt), UntimedHeaders(fmt), Timer(clock) if clock is not None else None
    keys: list[int] = []
    numbers: list[int] = []
    texts: list[str] = []
    windows: dict[int, int] = {}
    untimed_line = None
    matched = first_matched - 1
    for number, text in chunk_lines(path, start, end, first):
        event = build(text, number)
        if event is None:
            continue
        matched += 1
        untimed(event, number)
        if cut.seconds is None:
            if not cut.windows_of(matched):  # between windows, or after the last whole one
                continue
            key = matched
        else:
            stamp = event.timestamp if time is None else time(event)
            if stamp is None:
                untimed_line = untimed_line or number
                continue
            key = window_index(stamp / US, cut.origin, cut.seconds)
            windows[key] = windows.get(key, 0) + 1
        keys.append(key)
        numbers.append(number)
        texts.append(text)
    order = pa.array(np.argsort(np.asarray(keys, dtype=np.int64), kind="stable"))
    schema = pa.schema([("key", pa.int64()), ("number", pa.int64()), ("line", pa.string())])
    columns = [pa.array(keys, pa.int64()).take(order), pa.array(numbers, pa.int64()).take(order),
               pa.array(texts, pa.string()).take(order)]
    with pa.OSFile(out, "wb") as sink, pa.ipc.new_file(sink, schema) as writer:
        writer.write_batch(pa.record_batch(columns, schema=schema))
    return WindowSpill(windows, untimed_line, untimed.found)


def profile_window_part(stage: int, files: list[str], low: int, high: int, reading: Reading, cut: Cut,
                        members: dict[int, tuple[int, int | None]], labelled: bool, bounded_lines: int | None,
                        needs: Needs | None) -> FirstPart | SecondPart:
    """Round 4 for the windows ``low .. high - 1`` (``members``: window -> place in window order and label)."""
    import numpy as np
    import pyarrow as pa

    first_key, end_key = cut.keys(low, high)
    sessions: dict[int, Session] = {}
    counted = cut.size if bounded_lines is None else min(cut.size, bounded_lines)
    elsewhere: set[int] = set()  # lines counted in an earlier part's window
    for file in files:
        with pa.memory_map(file) as source:
            batch = pa.ipc.open_file(source).get_batch(0)
            column = batch.column(0).to_numpy()
            a, b = np.searchsorted(column, [first_key, end_key]).tolist()
            rows = batch.slice(a, b - a)
            keys = rows.column(0).to_pylist()
            events = reading.events(zip(rows.column(1).to_pylist(), rows.column(2).to_pylist(), strict=True),
                                    parameters=stage == 1)
            for key, event in zip(keys, events, strict=True):
                if cut.seconds is not None:
                    _window(sessions, key, cut).events.append(event)
                    continue
                for window in cut.windows_of(key):
                    if low <= window < high:
                        _window(sessions, window, cut).events.append(event)
                counting = cut.windows_of(key, counted)  # its windows that count it: the first one does
                if counting and counting[0] < low:
                    elsewhere.add(id(event))
    windows = sorted(sessions)
    ordered = [sessions[w] for w in windows]
    labels = {window_id(w): members[w][1] for w in windows if members[w][1] is not None} if labelled else None
    label_sessions(ordered, labels, reading.line_labels is not None)
    work = LabeledDataset(reading.name, ordered, reading.templates)
    return part_statistics(stage, work, [members[w][0] for w in windows], bounded_lines, needs, elsewhere)


def _window(sessions: dict[int, Session], window: int, cut: Cut) -> Session:
    session = sessions.get(window)
    if session is None:
        start = {} if cut.seconds is None else {"start": cut.origin + window * cut.seconds}
        session = sessions[window] = Session(id=window_id(window), attributes=start)
    return session


def profile_windows(path: Path, fmt: LogFormat, source: str, spec: str | None, labels: dict[str, int] | None,
                    options, executor, name: str | None, spill_root: Path, chunk_bytes: int = CHUNK_BYTES,
                    part_lines: int = PART_LINES, line_labels: str | None = None):
    """The spec and summary of a raw log cut into windows by ``spec`` (``window:SECONDS`` or
    ``sliding:SIZE,STEP``; None: guessed as one pass guesses), as
    :func:`synthlog.stats.profilescan.profile_log` for entity sessions. Raises :class:`NotChunked` for a log or
    a cut one pass should handle (or report on)."""
    from synthlog.io.clock import infer_clock

    ranges = input_chunks(path, chunk_bytes)
    parser, counts, skipped = TemplateParser(), [], []
    for scan in executor.map(scan_chunk, [(file, a, b, fmt, None) for file, a, b in ranges]):
        if scan.unreadable:
            raise NotChunked
        counts.append((scan.lines, scan.matched, scan.skipped))
        parser.add_shapes(scan.shapes)
        skipped.append(scan.skipped_at)
    check_counts(counts)
    template_of, templates = mined(parser)
    firsts, matched = first_lines(counts), [m for _, m, _ in counts]
    wanted = [(file, a, b, first, [_line_of(pick, skips) for pick in picks])
              for (file, a, b), first, skips, picks in zip(ranges, firsts, skipped, sample_picks(matched), strict=True)
              if picks]
    build = _EventBuilder(fmt)
    sample = [build(text, n) for lines in executor.map(picked_lines, wanted) for n, text in lines]
    clock = infer_clock(sample, fmt)
    guessed = None
    if spec is None:
        guess = guess_sessions_of(path, fmt, labels, clock)
        spec, guessed = guess.spec, {"spec": guess.spec, "guessed": guess.reason}
    cut = _cut(spec, sample[0], clock, sum(matched))
    with spill_folder(spill_root) as spill:
        spills = [str(spill / f"chunk-{i:05d}.arrow") for i in range(len(ranges))]
        before = [sum(matched[:i]) for i in range(len(matched))]
        spilled = list(executor.map(spill_windows, [
            (file, a, b, first, first_matched, fmt, clock, cut, out)
            for (file, a, b), first, first_matched, out in zip(ranges, firsts, before, spills, strict=True)]))
        refuse_untimed([s.untimed for s in spilled], fmt, clock, path)
        rule = checked_line_labels(line_labels, sample[0], path)
        untimed_line = next((s.untimed_line for s in spilled if s.untimed_line is not None), None)
        if untimed_line is not None:  # as by_time_window names it
            raise InputError(f"line {untimed_line} has no timestamp; time windows need one on every event",
                             path=path)
        parts = _parts(cut, spilled, part_lines, labels)
        reading = executor.share(Reading(fmt, clock, None, template_of, templates, path.name.split(".")[0], rule,
                                         path))
        bounded_lines = options.max_session_lines if options.epsilon is not None else None
        tasks = [(spills, low, high, reading, cut, members, labels is not None, bounded_lines)
                 for low, high, members in parts]
        return finish(executor, profile_window_part, tasks, path, fmt, source, clock, name, options, guessed)


def _line_of(pick: int, skipped: list[int]) -> int:
    """The local line number (from 1) of a chunk's matched line ``pick`` (from 0), given its skipped lines."""
    line = pick + 1
    for number in skipped:  # ascending: each skipped line at or before the candidate moves it on by one
        if number > line:
            break
        line += 1
    return line


def _cut(spec: str, first, clock, matched: int) -> Cut:
    """The windows of ``spec`` (``first``: the first matched line's event; ``matched``: the matched lines)."""
    from synthlog.parse.sessions import sessionizer

    split = sessionizer(spec)
    kind = spec.partition(":")[0]
    if kind == "window":
        stamp = first.timestamp if clock is None else micros_of(clock.read(first))
        # no time on the first line: the spill names the first line without one, as one pass does
        return Cut(seconds=split.keywords["seconds"], origin=0.0 if stamp is None else stamp / US)
    if kind == "sliding":
        size, step = int(split.keywords["size"]), int(split.keywords["step"])
        count = len(range(0, matched - size + 1, step))
        if count:
            return Cut(size=size, step=step, count=count)
    raise NotChunked  # windows in seconds that overlap, or no whole window of lines: one pass


def _parts(cut: Cut, spilled: list[WindowSpill], part_lines: int, labels: dict[str, int] | None
           ) -> list[tuple[int, int, dict[int, tuple[int, int | None]]]]:
    """Consecutive runs of windows of about ``part_lines`` lines: per part its first and end window and its
    windows (window -> place in window order and label). A line counts once per window holding it, as a line
    naming two entities counts in both sessions: a part's memory is its distinct lines plus a reference per
    window line, so heavily overlapping windows make parts of fewer distinct lines."""
    if cut.seconds is None:
        per_part = max(1, part_lines // cut.size)
        lines = {window: cut.size for window in range(cut.count)}
    else:
        lines = {}
        for spill in spilled:
            for window, count in spill.windows.items():
                lines[window] = lines.get(window, 0) + count
    parts: list[tuple[int, int, dict[int, tuple[int, int | None]]]] = []
    members: dict[int, tuple[int, int | None]] = {}
    load = 0
    for place, window in enumerate(sorted(lines)):
        full = load >= part_lines if cut.seconds is not None else len(members) >= per_part
        if members and full:
            parts.append((min(members), window, members))
            members, load = {}, 0
        members[window] = (place, None if labels is None else labels.get(window_id(window)))
        load += lines[window]
    parts.append((min(members), max(members) + 1, members))
    return parts
