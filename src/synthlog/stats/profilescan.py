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
each slot, arrays of gaps and lags); a worker holds one chunk or one part. A folder of parts or a glob is read
as its files' chunks in order (:func:`input_chunks`); sessions cut into windows take the rounds of
:mod:`synthlog.stats.profilewindows`, built on the tasks here. Inputs neither covers (structured CSV, data sets,
URLs, ``sliding-time`` windows) are profiled in one pass (:func:`synthlog.stats.profile.load_logs`).
"""

from __future__ import annotations

import codecs
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from synthlog.errors import InputError
from synthlog.io.logformat import LogFormat, _EventBuilder
from synthlog.io.text import MAX_LINE_BYTES, _decode
from synthlog.io.timestamps import TIME_NAME, infer_time_format
from synthlog.parse.drain import DEFAULT_MASKS, WILDCARD, ParameterExtractor, TemplateParser, compile_masks
from synthlog.parse.sessions import label_from_entities, label_from_lines
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
    skipped_at: list[int] = field(default_factory=list)  # the lines that do not fit the layout
    unreadable: bool = False  # a line is no UTF-8 or too long: one pass names it (numbered through the input)


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


def _pieces(path: Path, start: int, end: int) -> list[bytes]:
    """The undecoded lines of one byte range."""
    with open(path, "rb") as fh:
        fh.seek(start)
        data = fh.read(end - start)
    if start == 0:
        data = data.removeprefix(codecs.BOM_UTF8)
    pieces = data.split(b"\n")
    if not pieces[-1]:
        pieces.pop()
    return pieces


def input_chunks(path: Path, size: int = CHUNK_BYTES) -> list[tuple[Path, int, int]]:
    """The chunks of an input that reads as one file (a file, a folder of parts, a glob:
    :func:`synthlog.io.inputs.members`): (file, start, end), files in order, empty parts after the first left
    out as :func:`synthlog.io.text.iter_lines` leaves them out."""
    from synthlog.io.inputs import members

    files = members(path)
    if not files or not files[0].is_file() or not files[0].stat().st_size:
        raise NotChunked  # one pass names what is wrong with it
    return [(file, a, b) for i, file in enumerate(files) if not i or file.stat().st_size
            for a, b in chunk_ranges(file, size)]


def chunk_lines(path: Path, start: int, end: int, first: int) -> Iterator[tuple[int, str]]:
    """The lines of one byte range, numbered from ``first``, decoded as :func:`synthlog.io.text.iter_lines` does."""
    yield from enumerate(_decode(_pieces(path, start, end), path, first - 1, MAX_LINE_BYTES), start=first)


def picked_lines(path: Path, start: int, end: int, first: int, wanted: list[int]) -> list[tuple[int, str]]:
    """The lines of one byte range at local line numbers ``wanted`` (from 1), numbered in the file; decoding
    only those (the scan decoded every line already)."""
    pieces = _pieces(path, start, end)
    return [(first + n - 1, _decode([pieces[n - 1]], path, first + n - 2, MAX_LINE_BYTES)[0]) for n in wanted]


class UntimedHeaders:
    """Per time-named header outside Level/Component/Content, the first line whose value is no time
    (``found``: name -> (line number, value)), for :func:`refuse_untimed`."""

    def __init__(self, fmt: LogFormat):
        self.headers = [n for n in fmt.headers if n not in ("Level", "Component", "Content") and TIME_NAME.search(n)]
        self.found: dict[str, tuple[int, str]] = {}
        self._timed: dict[tuple[str, str], bool] = {}

    def __call__(self, event: LogEvent, number: int) -> None:
        for name in self.headers:
            value = event.fields.get(name, "")
            known = self._timed.get((name, value))
            if known is None:
                known = self._timed[(name, value)] = infer_time_format([value], name) is not None
            if not known and name not in self.found:
                self.found[name] = (number, value)


def scan_chunk(path: Path, start: int, end: int, fmt: LogFormat, pattern: str | None) -> Scan:
    """Round 1 for one chunk (see the module's doc); ``pattern``: the session id regex (None: sessions are
    windows, no id to find)."""
    build, mask = _EventBuilder(fmt), compile_masks(DEFAULT_MASKS).sub
    findall = re.compile(pattern).findall if pattern is not None else lambda _: ()
    scan = Scan()
    shapes, ids = scan.shapes, scan.ids
    try:
        lines = list(chunk_lines(path, start, end, 1))
    except InputError:
        scan.unreadable = True
        return scan
    for number, text in lines:
        scan.lines = number
        event = build(text, number)
        if event is None:
            scan.skipped += 1
            scan.skipped_at.append(number)
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
    untimed = UntimedHeaders(fmt)
    matched = 0
    for number, text in chunk_lines(path, start, end, first):
        event = build(text, number)
        if event is None:
            continue
        if matched in wanted:
            picked.append((number, text))
        matched += 1
        untimed(event, number)
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
    return Spilled(picked, untimed.found)


class Timer:
    """A line's time by the clock (epoch micros, None: its time headers do not fit), read once per distinct value
    of its time headers (lines of one second share them)."""

    def __init__(self, clock):
        self.clock = clock
        self.times: dict[tuple, int | None] = {}

    def __call__(self, event: LogEvent) -> int | None:
        key = tuple(map(event.fields.get, self.clock.primary))
        stamp = self.times.get(key, _UNSEEN)
        if stamp is _UNSEEN:
            if len(self.times) > 100_000:
                self.times.clear()
            stamp = self.times[key] = micros_of(self.clock.read(event))
        return stamp


@dataclass(frozen=True)
class Reading:
    """How a part task rebuilds events and sessions: format, clock, session pattern (None: windows), the miner's
    template id of every masked message, the templates, the data set's name, and the line label rule (header and
    its normal value, None: no line labels)."""

    fmt: LogFormat
    clock: object
    pattern: str | None
    template_of: dict[str, str]
    templates: dict[str, Template]
    name: str
    line_labels: tuple[str, str] | None = None
    path: Path | None = None  # the log, named by an error

    def events(self, rows: Iterator[tuple[int, str]], parameters: bool) -> Iterator[LogEvent]:
        """The events of spilled lines (number, text) as one pass makes them: template, parameters (when
        ``parameters``: the second pass reads none), time and line label."""
        from synthlog.stats.profile import label_line

        build, mask, extract = _EventBuilder(self.fmt), compile_masks(DEFAULT_MASKS).sub, ParameterExtractor()
        texts = {tid: t.text for tid, t in self.templates.items()}
        time = Timer(self.clock)
        for number, text in rows:
            event: LogEvent = build(text, number)
            tid = self.template_of[mask(WILDCARD, event.content)]
            event.template_id = tid
            if parameters:
                event.parameters = extract(texts[tid], event.content)
            if self.clock is not None:
                event.timestamp = time(event)
            if self.line_labels is not None:
                label_line(event, *self.line_labels, self.path)
            yield event


def profile_part(stage: int, files: list[str], part: int, reading: Reading,
                 sessions: dict[str, tuple[int, int | None]], labelled: bool, bounded_lines: int | None,
                 needs: Needs | None) -> FirstPart | SecondPart:
    """Round 3 for one part: its sessions (``sessions``: id -> place in session order and label, ``labelled``:
    whether labels were given) built from the spill files, then the first (``stage`` 1) or second pass."""
    # the second pass reads no parameter (the first scans them for addresses)
    work, orders = _part_sessions(files, part, reading, sessions, labelled, parameters=stage == 1)
    return part_statistics(stage, work, orders, bounded_lines, needs)


def part_statistics(stage: int, work: LabeledDataset, orders: list[int], bounded_lines: int | None,
                    needs: Needs | None, elsewhere: set[int] | None = None) -> FirstPart | SecondPart:
    """The first or second pass over a part's sessions (``orders``: their places in the whole log), each cut to
    ``bounded_lines`` lines first when given; ``elsewhere``: events counted in another part."""
    from synthlog.privacy.budget import bound_sessions

    if bounded_lines is not None:
        work.sessions = bound_sessions(work.sessions, bounded_lines)
    if stage == 1:
        return first_part(work, orders, bounded_lines, elsewhere)
    return second_part(work, orders, needs, elsewhere)


def _part_sessions(files: list[str], part: int, reading: Reading, sessions: dict[str, tuple[int, int | None]],
                   labelled: bool, parameters: bool) -> tuple[LabeledDataset, list[int]]:
    import pyarrow as pa

    findall = re.compile(reading.pattern).findall
    found_sessions: dict[str, Session] = {}
    for file in files:
        with pa.memory_map(file) as source:
            batch = pa.ipc.open_file(source).get_batch(part)
            rows = zip(batch.column(0).to_pylist(), batch.column(1).to_pylist(), strict=True)
            for event in reading.events(rows, parameters):
                found = findall(event.content)
                for entity in dict.fromkeys(found) if len(found) > 1 else found:
                    session = found_sessions.get(entity)
                    if session is None:
                        session = found_sessions[entity] = Session(id=entity)
                    session.events.append(event)
    ordered = sorted(found_sessions.values(), key=lambda s: sessions[s.id][0])
    label_sessions(ordered, {s.id: sessions[s.id][1] for s in ordered if sessions[s.id][1] is not None}
                   if labelled else None, reading.line_labels is not None)
    return LabeledDataset(reading.name, ordered, reading.templates), [sessions[s.id][0] for s in ordered]


def label_sessions(sessions: list[Session], labels: dict[str, int] | None, by_lines: bool) -> None:
    """Label sessions as one pass does: from the label file's ids when given, else from their lines' labels
    (``by_lines``), else not at all."""
    if labels is not None:
        label_from_entities(sessions, labels)
    elif by_lines:
        label_from_lines(sessions)


def guess_sessions_of(path: Path, fmt: LogFormat, labels: dict[str, int] | None, clock=None):
    """How one pass would cut the log into sessions when the user does not say
    (:func:`synthlog.parse.sessionguess.guess_sessions` of its first matching lines, timed by ``clock`` when
    it is known: an entity id is guessed without times, time windows need them)."""
    from synthlog.io.text import iter_lines
    from synthlog.parse.sessionguess import SAMPLE_LINES, guess_sessions

    build, events = _EventBuilder(fmt), []
    for number, text in iter_lines(path):
        event = build(text, number)
        if event is not None:
            if clock is not None:
                event.timestamp = micros_of(clock.read(event))
            events.append(event)
            if len(events) >= SAMPLE_LINES:
                break
    return guess_sessions(events, list(labels) if labels is not None else ())


def profile_log(path: Path, fmt: LogFormat, source: str, pattern: str, labels: dict[str, int] | None,
                options, executor, name: str | None, spill_root: Path, chunk_bytes: int = CHUNK_BYTES,
                part_lines: int = PART_LINES, guessed: dict | None = None, line_labels: str | None = None):
    """The spec and summary of a raw log at ``path`` in layout ``fmt`` (``source``: where the layout came from),
    sessions by entity regex ``pattern`` (``guessed``: how that was guessed, for the summary), labels by session
    id, or by line (``line_labels``, ``HEADER:NORMAL``); tasks run on ``executor``; the spill folder is made (and
    removed) under ``spill_root``, which every worker must reach. Raises :class:`NotChunked` for a log one pass
    should report on."""
    from synthlog.io.clock import infer_clock

    ranges = input_chunks(path, chunk_bytes)
    parser, ids, shared, counts = TemplateParser(), {}, [], []
    # merged as they come, so the driver never holds every chunk's id table at once
    for scan in executor.map(scan_chunk, [(file, a, b, fmt, pattern) for file, a, b in ranges]):
        if scan.unreadable:
            raise NotChunked
        counts.append((scan.lines, scan.matched, scan.skipped))
        parser.add_shapes(scan.shapes)
        for entity, lines in scan.ids.items():
            ids[entity] = ids.get(entity, 0) + lines
        shared += scan.shared
    if not ids:
        raise NotChunked
    check_counts(counts)
    template_of, templates = mined(parser)
    members, part_of = _parts(ids, shared, part_lines, labels)
    parts, labelled = len(members), labels is not None
    del ids, shared, labels  # the driver's largest tables: one entry per session
    firsts = first_lines(counts)
    samples = sample_picks([m for _, m, _ in counts])
    with spill_folder(spill_root) as spill:
        spills = [str(spill / f"chunk-{i:05d}.arrow") for i in range(len(ranges))]
        shared_parts = executor.share(part_of)
        spilled = list(executor.map(spill_chunk, [
            (file, a, b, first, fmt, pattern, shared_parts, parts, out, sample)
            for (file, a, b), first, out, sample in zip(ranges, firsts, spills, samples, strict=True)]))
        del part_of, shared_parts
        build = _EventBuilder(fmt)
        sample = [build(text, n) for s in spilled for n, text in s.sample]
        clock = infer_clock(sample, fmt)
        refuse_untimed([s.untimed for s in spilled], fmt, clock, path)
        rule = checked_line_labels(line_labels, sample[0], path)
        reading = executor.share(Reading(fmt, clock, pattern, template_of, templates, path.name.split(".")[0], rule,
                                         path))
        bounded_lines = options.max_session_lines if options.epsilon is not None else None
        tasks = [(spills, part, reading, members[part], labelled, bounded_lines) for part in range(parts)]
        return finish(executor, profile_part, tasks, path, fmt, source, clock, name, options, guessed)


def check_counts(counts: list[tuple[int, int, int]]) -> None:
    """Leave to one pass a log with no line that fits, or with more lines that do not fit than do (it names the
    first of them)."""
    matched = sum(m for _, m, _ in counts)
    if not matched or sum(s for _, _, s in counts) > matched:
        raise NotChunked


def mined(parser: TemplateParser) -> tuple[dict[str, str], dict[str, Template]]:
    """The template id of every masked message the miner was shown, and the templates."""
    id_of, templates = parser.templates()
    return {shape: id_of[cluster] for shape, cluster in parser.clusters().items()}, templates


def first_lines(counts: list[tuple[int, int, int]]) -> list[int]:
    """The file's line number of each chunk's first line (``counts``: lines, matched, skipped per chunk)."""
    firsts, line = [], 1
    for lines, _, _ in counts:
        firsts.append(line)
        line += lines
    return firsts


@contextmanager
def spill_folder(root: Path) -> Iterator[Path]:
    """A fresh spill folder under ``root`` (which every worker must reach), removed at the end."""
    spill = Path(tempfile.mkdtemp(prefix=".synthlog-profile-", dir=root))
    try:
        yield spill
    finally:
        shutil.rmtree(spill, ignore_errors=True)


def checked_line_labels(rule: str | None, first, path: Path) -> tuple[str, str] | None:
    """The ``--line-labels`` rule as (header, normal value), refused as one pass refuses it: at the first line
    (``first``, an event) when the layout has no such header (every line has the same headers)."""
    from synthlog.stats.profile import label_line, line_label_rule

    if rule is None:
        return None
    header, normal = line_label_rule(rule)
    label_line(first, header, normal, path)
    return header, normal


def finish(executor, task, tasks: list[tuple], path: Path, fmt: LogFormat, source: str, clock, name: str | None,
           options, guessed: dict | None):
    """Both passes over the parts (``task(stage, *args, needs)`` for each ``args`` of ``tasks``), merged in part
    order, and the spec and summary made from them."""
    from synthlog.stats.profile import RawLayout, profile_parts

    def run(stage: int, needs: Needs | None):
        results = executor.map(task, [(stage, *args, needs) for args in tasks])
        merged = next(results)
        for result in results:
            merged.merge(result)
        return merged

    first = run(1, None)
    return profile_parts(first, lambda needs: run(2, needs), path.name.split(".")[0], name,
                         RawLayout(fmt, source, clock), options, guessed)


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


def sample_picks(matched: list[int]) -> list[list[int]]:
    """Per chunk, the local indices of its matched lines among the :data:`_SAMPLE` spread evenly over all
    (:func:`synthlog.io.clock.infer_clock` takes the same lines of the whole log)."""
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


def refuse_untimed(untimed: list[dict[str, tuple[int, str]]], fmt: LogFormat, clock, path: Path) -> None:
    """As :func:`synthlog.stats.layoutprofile.unread_time_header`: a time-named header outside the clock holding
    no time on some line means the layout does not fit; the first such line (in header order) is named."""
    for name in fmt.headers:
        if clock is not None and name in clock.formats:
            continue
        bad = [found[name] for found in untimed if name in found]
        if bad:
            number, value = bad[0]
            raise InputError(f"header {name} holds {value[:40]!r}, which is no time: the layout {fmt.text!r} "
                             "does not match this log", path=path, line=number)
