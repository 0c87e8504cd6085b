"""Profile a raw log in chunks on the execution seam: the same spec as one pass over it in one process, with
memory bounded by a chunk or a part of the log rather than by the whole of it.

Three rounds of tasks (in this process, on ``--workers N`` or on ``--scheduler ADDRESS``: :mod:`synthlog.execute`),
the driver merging between them:

1. **scan**: each chunk of the file (byte ranges cut at line ends) gives its distinct masked messages in order of
   first appearance with their counts (the template miner is shown exactly these, in this order, so it mines the
   templates of one pass), its distinct session ids in order of first appearance (their order is the sessions'
   order), the ids one line names together, and its line counts;
2. **spill**: sessions are cut into parts of about ``part_lines`` lines, consecutive in session order, sessions
   that share a line always in one part (so each line is counted once, in its first session, as one pass counts
   it); each chunk writes its lines into its parts' record batches of one Arrow file in a spill folder, and hands
   back the lines the clock is inferred from;
3. **profile**: each part's lines are read back (its batch of every chunk's file, in line order), its sessions
   built as one pass builds them and its statistics computed (:mod:`synthlog.stats.profileparts`); twice, since
   the second pass needs the catalogue that the merged first one decides.

The driver holds per session its id and a few numbers, plus the merged statistics (counts, the first values of
each slot, arrays of gaps and lags); a worker holds one chunk or one part. Inputs this does not cover (structured
CSV, data sets, folders of parts, URLs, time-window sessions, line labels) are profiled in one pass
(:func:`synthlog.stats.profile.load_logs`).
"""

from __future__ import annotations

import codecs
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from synthlog.errors import InputError
from synthlog.io.logformat import LogFormat, _EventBuilder
from synthlog.io.text import MAX_LINE_BYTES, _decode
from synthlog.io.timestamps import TIME_NAME, infer_time_format
from synthlog.parse.drain import DEFAULT_MASKS, WILDCARD, ParameterExtractor, TemplateParser, compile_masks
from synthlog.parse.sessions import label_from_entities
from synthlog.records import LabeledDataset, LogEvent, Session, Template, micros_of
from synthlog.stats.profileparts import FirstPart, Needs, SecondPart, first_part, second_part

CHUNK_BYTES = 16 << 20  # a scan or spill task's share of the file (about 120,000 HDFS lines)
PART_LINES = 250_000  # lines of sessions profiled together by one task (about 0.5 GB of events in memory)
_SAMPLE = 400  # lines the clock is inferred from (synthlog.stats.layoutprofile.SAMPLE)
_UNSEEN = object()


class NotChunked(Exception):  # noqa: N818 (a signal, not an error: the caller profiles in one pass instead)
    """The log is not one this module profiles in chunks (no line fits, too many lines skipped, no session): one
    pass over it reports it as it always did."""


@dataclass
class Scan:
    """What the scan of one chunk found (line numbers local to the chunk)."""

    lines: int = 0
    matched: int = 0
    skipped: int = 0
    shapes: dict[str, int] = field(default_factory=dict)  # masked message -> lines, in order of first appearance
    ids: dict[str, int] = field(default_factory=dict)  # session id -> lines, in order of first appearance
    shared: list[tuple[str, ...]] = field(default_factory=list)  # ids named together on one line


def chunk_ranges(path: Path, size: int = CHUNK_BYTES) -> list[tuple[int, int]]:
    """Byte ranges of about ``size`` bytes covering the file, each ending after a line end (or at the end)."""
    total = path.stat().st_size
    ranges, start = [], 0
    with open(path, "rb") as fh:
        while start < total:
            end = min(start + max(size, 1), total)
            if end < total:
                fh.seek(end - 1)
                end += len(fh.readline()) - 1  # on to the end of the line holding byte end-1
            ranges.append((start, end))
            start = end
    return ranges


def _lines(path: Path, start: int, end: int, first: int) -> Iterator[tuple[int, str]]:
    """The lines of one byte range, numbered from ``first``, decoded as :func:`synthlog.io.text.iter_lines` does."""
    with open(path, "rb") as fh:
        fh.seek(start)
        data = fh.read(end - start)
    if start == 0:
        data = data.removeprefix(codecs.BOM_UTF8)
    pieces = data.split(b"\n")
    if not pieces[-1]:
        pieces.pop()
    yield from enumerate(_decode(pieces, path, first - 1, MAX_LINE_BYTES), start=first)


def scan_chunk(path: Path, start: int, end: int, fmt: LogFormat, pattern: str) -> Scan:
    """Round 1 for one chunk (see the module's doc)."""
    build, mask, findall = _EventBuilder(fmt), compile_masks(DEFAULT_MASKS).sub, re.compile(pattern).findall
    scan = Scan()
    shapes, ids = scan.shapes, scan.ids
    for number, text in _lines(path, start, end, 1):
        scan.lines = number
        event = build(text, number)
        if event is None:
            scan.skipped += 1
            continue
        scan.matched += 1
        shape = mask(WILDCARD, event.content)
        shapes[shape] = shapes.get(shape, 0) + 1
        found = findall(event.content)
        if len(found) > 1:
            found = list(dict.fromkeys(found))
            if len(found) > 1:
                scan.shared.append(tuple(found))
        for entity in found:
            ids[entity] = ids.get(entity, 0) + 1
    return scan


@dataclass
class Spilled:
    """What the spill of one chunk hands back: the sampled lines and, per time-named header, the first line whose
    value is no time (number, value)."""

    sample: list[tuple[int, str]]
    untimed: dict[str, tuple[int, str]]


def spill_chunk(path: Path, start: int, end: int, first: int, fmt: LogFormat, pattern: str, part_of: dict[str, int],
                parts: int, out: str, sample: list[int]) -> Spilled:
    """Round 2 for one chunk: its matched lines with a session id into record batch ``part`` of the Arrow file
    ``out`` (one batch per part, empty ones too), the matched lines of local indices ``sample`` handed back."""
    import pyarrow as pa

    build, findall = _EventBuilder(fmt), re.compile(pattern).findall
    numbers: list[list[int]] = [[] for _ in range(parts)]
    texts: list[list[str]] = [[] for _ in range(parts)]
    wanted, picked = set(sample), []
    headers = [n for n in fmt.headers if n not in ("Level", "Component", "Content") and TIME_NAME.search(n)]
    untimed: dict[str, tuple[int, str]] = {}
    timed: dict[tuple[str, str], bool] = {}
    matched = 0
    for number, text in _lines(path, start, end, first):
        event = build(text, number)
        if event is None:
            continue
        if matched in wanted:
            picked.append((number, text))
        matched += 1
        for name in headers:
            value = event.fields.get(name, "")
            known = timed.get((name, value))
            if known is None:
                known = timed[(name, value)] = infer_time_format([value], name) is not None
            if not known and name not in untimed:
                untimed[name] = (number, value)
        found = findall(event.content)
        if found:
            part = part_of[found[0]]
            numbers[part].append(number)
            texts[part].append(text)
    schema = pa.schema([("number", pa.int64()), ("line", pa.string())])
    with pa.OSFile(out, "wb") as sink, pa.ipc.new_file(sink, schema) as writer:
        for part in range(parts):
            writer.write_batch(pa.record_batch([pa.array(numbers[part], pa.int64()),
                                                pa.array(texts[part], pa.string())], schema=schema))
    return Spilled(picked, untimed)


@dataclass(frozen=True)
class Reading:
    """How a part task rebuilds events and sessions: format, clock, session pattern, the miner's template id of
    every masked message, the templates, and the data set's name."""

    fmt: LogFormat
    clock: object
    pattern: str
    template_of: dict[str, str]
    templates: dict[str, Template]
    name: str


def profile_part(stage: int, files: list[str], part: int, reading: Reading, sessions: dict[str, tuple[int, int | None]],
                 labelled: bool, bounded_lines: int | None, needs: Needs | None) -> FirstPart | SecondPart:
    """Round 3 for one part: its sessions (``sessions``: id -> place in session order and label, ``labelled``:
    whether labels were given) built from the spill files, then the first (``stage`` 1) or second pass."""
    from synthlog.privacy.budget import bound_sessions

    # the second pass reads no parameter (the first scans them for addresses)
    work, orders = _part_sessions(files, part, reading, sessions, labelled, parameters=stage == 1)
    if bounded_lines is not None:
        work.sessions = bound_sessions(work.sessions, bounded_lines)
    if stage == 1:
        return first_part(work, orders, bounded_lines)
    return second_part(work, orders, needs)


def _part_sessions(files: list[str], part: int, reading: Reading, sessions: dict[str, tuple[int, int | None]],
                   labelled: bool, parameters: bool) -> tuple[LabeledDataset, list[int]]:
    import pyarrow as pa

    build, mask = _EventBuilder(reading.fmt), compile_masks(DEFAULT_MASKS).sub
    findall, extract = re.compile(reading.pattern).findall, ParameterExtractor()
    texts = {tid: t.text for tid, t in reading.templates.items()}
    clock = reading.clock
    times: dict[tuple[str, ...], int | None] = {}  # lines of one second share their time headers
    found_sessions: dict[str, Session] = {}
    for file in files:
        with pa.memory_map(file) as source:
            batch = pa.ipc.open_file(source).get_batch(part)
            for number, text in zip(batch.column(0).to_pylist(), batch.column(1).to_pylist(), strict=True):
                event: LogEvent = build(text, number)
                tid = reading.template_of[mask(WILDCARD, event.content)]
                event.template_id = tid
                if parameters:
                    event.parameters = extract(texts[tid], event.content)
                if clock is not None:
                    key = tuple(event.fields.get(name, "") for name in clock.primary)
                    if len(times) > 100_000:
                        times.clear()
                    stamp = times.get(key, _UNSEEN)
                    event.timestamp = times.setdefault(key, micros_of(clock.read(event))) if stamp is _UNSEEN else stamp
                found = findall(event.content)
                for entity in dict.fromkeys(found) if len(found) > 1 else found:
                    session = found_sessions.get(entity)
                    if session is None:
                        session = found_sessions[entity] = Session(id=entity)
                    session.events.append(event)
    ordered = sorted(found_sessions.values(), key=lambda s: sessions[s.id][0])
    if labelled:
        label_from_entities(ordered, {s.id: sessions[s.id][1] for s in ordered if sessions[s.id][1] is not None})
    return LabeledDataset(reading.name, ordered, reading.templates), [sessions[s.id][0] for s in ordered]


def guess_sessions_of(path: Path, fmt: LogFormat, labels: dict[str, int] | None):
    """How one pass would cut the log into sessions when the user does not say
    (:func:`synthlog.parse.sessionguess.guess_sessions` of its first matching lines)."""
    from synthlog.io.text import iter_lines
    from synthlog.parse.sessionguess import SAMPLE_LINES, guess_sessions

    build, events = _EventBuilder(fmt), []
    for number, text in iter_lines(path):
        event = build(text, number)
        if event is not None:
            events.append(event)
            if len(events) >= SAMPLE_LINES:
                break
    return guess_sessions(events, list(labels) if labels is not None else ())


def profile_log(path: Path, fmt: LogFormat, source: str, pattern: str, labels: dict[str, int] | None,
                options, executor, name: str | None, spill_root: Path, chunk_bytes: int = CHUNK_BYTES,
                part_lines: int = PART_LINES, guessed: dict | None = None):
    """The spec and summary of a raw log at ``path`` in layout ``fmt`` (``source``: where the layout came from),
    sessions by entity regex ``pattern`` (``guessed``: how that was guessed, for the summary), labels by session
    id; tasks run on ``executor``; the spill folder is made (and removed) under ``spill_root``, which every worker
    must reach. Raises :class:`NotChunked` for a log one pass should report on."""
    from synthlog.stats.layoutprofile import infer_clock
    from synthlog.stats.profile import RawLayout, profile_parts

    ranges = chunk_ranges(path, chunk_bytes)
    parser, ids, shared, counts = TemplateParser(), {}, [], []
    # merged as they come, so the driver never holds every chunk's id table at once
    for scan in executor.map(scan_chunk, [(path, a, b, fmt, pattern) for a, b in ranges]):
        counts.append((scan.lines, scan.matched, scan.skipped))
        parser.add_shapes(scan.shapes)
        for entity, lines in scan.ids.items():
            ids[entity] = ids.get(entity, 0) + lines
        shared += scan.shared
    matched = sum(m for _, m, _ in counts)
    if not matched or sum(s for _, _, s in counts) > matched or not ids:
        raise NotChunked
    id_of, templates = parser.templates()
    template_of = {shape: id_of[cluster] for shape, cluster in parser.clusters().items()}
    members, part_of = _parts(ids, shared, part_lines, labels)
    parts, labelled = len(members), labels is not None
    del ids, shared, labels  # the driver's largest tables: one entry per session
    firsts = [1 + sum(lines for lines, _, _ in counts[:i]) for i in range(len(counts))]
    samples = _samples([m for _, m, _ in counts])
    spill = Path(tempfile.mkdtemp(prefix=".synthlog-profile-", dir=spill_root))
    try:
        files = [str(spill / f"chunk-{i:05d}.arrow") for i in range(len(ranges))]
        shared_parts = executor.share(part_of)
        spilled = list(executor.map(spill_chunk, [
            (path, a, b, first, fmt, pattern, shared_parts, parts, file, sample)
            for (a, b), first, file, sample in zip(ranges, firsts, files, samples, strict=True)]))
        del part_of, shared_parts
        build = _EventBuilder(fmt)
        clock = infer_clock([build(text, n) for s in spilled for n, text in s.sample], fmt)
        _refuse_untimed(spilled, fmt, clock, path)
        reading = executor.share(Reading(fmt, clock, pattern, template_of, templates, path.name.split(".")[0]))
        bounded_lines = options.max_session_lines if options.epsilon is not None else None

        def run(stage: int, needs: Needs | None):
            results = executor.map(profile_part, [(stage, files, part, reading, members[part], labelled,
                                                   bounded_lines, needs) for part in range(parts)])
            merged = next(results)
            for result in results:
                merged.merge(result)
            return merged

        first = run(1, None)
        raw_layout = RawLayout(fmt, source, clock)
        return profile_parts(first, lambda needs: run(2, needs), path.name.split(".")[0], name, raw_layout, options,
                             guessed)
    finally:
        shutil.rmtree(spill, ignore_errors=True)


def _parts(ids: dict[str, int], shared: list[tuple[str, ...]], part_lines: int, labels: dict[str, int] | None
           ) -> tuple[list[dict[str, tuple[int, int | None]]], dict[str, int]]:
    """The sessions of each part (id -> place in session order and label) and the part of every session:
    consecutive runs of about ``part_lines`` lines in session order, sessions that share a line joined (union-find,
    each group in the part of its first session)."""
    index = {entity: i for i, entity in enumerate(ids)}
    parent = list(range(len(ids)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for group in shared:
        roots = sorted({root(index[e]) for e in group})
        for other in roots[1:]:
            parent[other] = roots[0]
    part_of_root: dict[int, int] = {}
    part, load = 0, 0
    for i, lines in enumerate(ids.values()):
        if root(i) == i:
            if load >= part_lines:
                part, load = part + 1, 0
            part_of_root[i] = part
        load += lines
    members: list[dict[str, tuple[int, int | None]]] = [{} for _ in range(part + 1)]
    part_of = {}
    for entity, i in index.items():
        part_of[entity] = part_of_root[root(i)]
        members[part_of[entity]][entity] = (i, None if labels is None else labels.get(entity))
    return members, part_of


def _samples(matched: list[int]) -> list[list[int]]:
    """Per chunk, the local indices of its matched lines among the :data:`_SAMPLE` spread evenly over all
    (:func:`synthlog.stats.layoutprofile.infer_clock` takes the same lines of the whole log)."""
    total = sum(matched)
    picks = range(total) if total <= _SAMPLE else [int(i * (total / _SAMPLE)) for i in range(_SAMPLE)]
    out: list[list[int]] = [[] for _ in matched]
    chunk, before = 0, 0
    for pick in picks:
        while pick >= before + matched[chunk]:
            before += matched[chunk]
            chunk += 1
        out[chunk].append(pick - before)
    return out


def _refuse_untimed(spilled: list[Spilled], fmt: LogFormat, clock, path: Path) -> None:
    """As :func:`synthlog.stats.layoutprofile.unread_time_header`: a time-named header outside the clock holding
    no time on some line means the layout does not fit; the first such line (in header order) is named."""
    for name in fmt.headers:
        if clock is not None and name in clock.formats:
            continue
        bad = [s.untimed[name] for s in spilled if name in s.untimed]
        if bad:
            number, value = bad[0]
            raise InputError(f"header {name} holds {value[:40]!r}, which is no time: the layout {fmt.text!r} "
                             "does not match this log", path=path, line=number)
