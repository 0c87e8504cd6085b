"""Profile the layout of raw log lines: which headers hold the time (the clock, :mod:`synthlog.io.clock`), the level,
values the message fixes (component, source line, line label), copies of other headers, and free values; and the
level words of every template. Used by :mod:`synthlog.stats.profile` to write a spec's ``layout``.

Nothing here keeps a raw value it was not told is safe: header values that vary freely are handed to the
profiler's value models (a callback), values a message fixes are kept verbatim only when the ``safe`` callback
allows them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise

from synthlog.errors import InputError
from synthlog.io.clock import Clock, clock_of
from synthlog.io.logformat import LogFormat
from synthlog.io.timestamps import TIME_NAME, infer_time_format
from synthlog.records import LogEvent
from synthlog.stats.spec import HeaderField, Layout, Param

COPY_SHARE = 0.99  # a header equal to an earlier one on this share of lines is written as a copy of it
FIXED_SHARE = 0.9  # a header whose value is its template's most frequent one on this share of lines: message-fixed
MIN_SESSIONS = 5  # sessions of two or more lines needed to call a header's value constant per session, and
# consecutive pairs of lines of one transition needed to learn whether its second line keeps the first one's value
CARRY_SHARE = 0.5  # a transition whose second line keeps the first line's value less often than this draws afresh
_DEDICATED = {"Level": "level", "Component": "component"}

ValueModel = Callable[[list[tuple[str, str]], int], tuple[str, dict[str, Param]]]


def layout_clock(layout: Layout) -> Clock | None:
    """The clock of a spec's layout (its time headers, formats and offsets)."""
    times = [f for f in layout.fields if f.kind == "time"]
    return clock_of({f.name: f.time_format for f in times}, {f.name: f.offset for f in times if f.offset})


def unread_time_header(events: list[LogEvent], fmt: LogFormat, clock: Clock | None, path: object) -> None:
    """Refuse a layout whose header named as a time (Date, Time, Timestamp ...) holds no readable time: the layout
    does not match the log (``--format hdfs`` on a syslog file puts ``Mar`` in Date); names the first such line."""
    for name in fmt.headers:
        if name in _DEDICATED or name == "Content" or not TIME_NAME.search(name) or \
                (clock is not None and name in clock.formats):
            continue
        for event in events:
            value = event.fields.get(name, "")
            if infer_time_format([value], name) is None:
                raise InputError(f"header {name} holds {value[:40]!r}, which is no time: the layout {fmt.text!r} "
                                 "does not match this log", path=path, line=event.line_id)


def _value(event: LogEvent, name: str) -> str:
    dedicated = _DEDICATED.get(name)
    value = getattr(event, dedicated) if dedicated else event.fields.get(name)
    return value or ""


@dataclass
class LayoutProfile:
    """A profiled layout and, per message id, its level words and the values of its message-fixed headers."""

    layout: Layout
    levels: dict[str, dict[str, float]]
    fields: dict[str, dict[str, dict[str, float]]]


HEADER_VALUES = 100_000  # a free header's values fitted: the first this many lines in session order


@dataclass
class LayoutCounts:
    """What :func:`profile_layout` needs of the lines, merged exactly from parts of a data set (any split of its
    sessions that keeps every line's sessions together): level counts, per candidate header (neither content,
    level nor time) its values per message and overall, the sessions each value is seen in, how often it equals
    each earlier candidate, its first :data:`HEADER_VALUES` values in session order as ``(order, value,
    session)``, its sessions of two or more lines with one value, and per transition between consecutive lines
    of a session how often the second line's value equals the first one's."""

    lines: int = 0
    messages: dict[str, tuple[int, int]] = field(default_factory=dict)  # message -> its first line's place
    levels: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    values: dict[str, dict[str, Counter[str]]] = field(default_factory=dict)  # header -> message -> value counts
    sessions: dict[str, Counter[str]] = field(default_factory=dict)  # header -> value -> sessions seen in
    equal: Counter[tuple[str, str]] = field(default_factory=Counter)  # (header, earlier header) -> equal lines
    first: dict[str, list[tuple[tuple[int, int], str, str]]] = field(default_factory=dict)
    longer: Counter[str] = field(default_factory=Counter)  # header -> sessions of 2+ lines
    constant: Counter[str] = field(default_factory=Counter)  # header -> of these, with one value
    follows: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # (header, message, next) -> pairs
    kept: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # of these, the value unchanged

    def merge(self, other: LayoutCounts) -> LayoutCounts:
        self.lines += other.lines
        for message, order in other.messages.items():
            self.messages[message] = min(order, self.messages.get(message, order))
        for message, counts in other.levels.items():
            self.levels[message].update(counts)
        for name, table in other.values.items():
            mine = self.values.setdefault(name, {})
            for message, counts in table.items():
                mine.setdefault(message, Counter()).update(counts)
            self.sessions.setdefault(name, Counter()).update(other.sessions[name])
            self.first[name] = sorted(self.first.get(name, []) + other.first[name])[:HEADER_VALUES]
        self.equal.update(other.equal)
        self.longer.update(other.longer)
        self.constant.update(other.constant)
        self.follows.update(other.follows)
        self.kept.update(other.kept)
        return self


def candidate_headers(fmt: LogFormat, clock: Clock | None) -> list[str]:
    """The headers that are neither content, level nor time, in format order (copies and free values are
    among these)."""
    return [n for n in fmt.headers if n not in ("Content", "Level") and not (clock is not None and n in clock.formats)]


def layout_counts(events: list[tuple[LogEvent, str, str, tuple[int, int]]], fmt: LogFormat,
                  clock: Clock | None) -> LayoutCounts:
    """The counts of ``events`` given as (event, message id, session id, place in session order)."""
    counts = LayoutCounts(lines=len(events))
    for event, message, _, order in events:
        counts.messages.setdefault(message, order)
        if event.level:
            counts.levels[message][event.level] += 1
    names = candidate_headers(fmt, clock)
    columns = {name: [_value(e, name) for e, _, _, _ in events] for name in names}
    ranked = sorted(range(len(events)), key=lambda i: events[i][3])
    pairs = [(i, j) for i, j in pairwise(ranked) if events[i][2] == events[j][2]]  # consecutive, one session
    for i, name in enumerate(names):
        column = columns[name]
        for other in names[:i]:
            counts.equal[(name, other)] = sum(a == b for a, b in zip(column, columns[other], strict=True))
        table: dict[str, Counter[str]] = defaultdict(Counter)
        seen: dict[str, set[str]] = defaultdict(set)
        per_session: dict[str, set[str]] = defaultdict(set)
        lines: Counter[str] = Counter()
        for value, (_, message, session, _) in zip(column, events, strict=True):
            table[message][value] += 1
            seen[value].add(session)
            per_session[session].add(value)
            lines[session] += 1
        counts.values[name] = dict(table)
        counts.sessions[name] = Counter({v: len(s) for v, s in seen.items()})
        counts.first[name] = sorted((order, value, session) for value, (_, _, session, order)
                                    in zip(column, events, strict=True))[:HEADER_VALUES]
        longer = [s for s, n in lines.items() if n >= 2]
        counts.longer[name] = len(longer)
        counts.constant[name] = sum(len(per_session[s]) == 1 for s in longer)
        for a, b in pairs:
            key = (name, events[a][1], events[b][1])
            counts.follows[key] += 1
            counts.kept[key] += column[a] == column[b]
    return counts


def profile_layout(counts: LayoutCounts, fmt: LogFormat, clock: Clock | None, source: str,
                   weights: Callable[[Counter[str]], dict[str, float]], value_model: ValueModel,
                   safe: Callable[[str], bool], min_sessions: int = 1) -> LayoutProfile:
    """The layout of lines counted by :func:`layout_counts`: ``weights`` turns counts into (noisy) weights,
    ``value_model`` gives a header's free values a template and params, ``safe`` says whether a value a message
    fixes may be kept verbatim (and it must be seen in ``min_sessions`` sessions)."""
    fields: list[HeaderField] = []
    fixed: dict[str, dict[str, dict[str, float]]] = defaultdict(dict)
    plain: list[str] = []  # headers neither content, level, time nor copy, in order (copies look among these)
    for rank, name in enumerate(fmt.headers, start=1):
        if name == "Content":
            fields.append(HeaderField(name=name, kind="content"))
        elif name == "Level":
            fields.append(HeaderField(name=name, kind="level"))
        elif clock is not None and name in clock.formats:
            fields.append(HeaderField(name=name, kind="time", time_format=clock.formats[name],
                                      offset=clock.offsets.get(name, 0.0)))
        elif (source_name := _copied(name, plain, counts)) is not None:
            fields.append(HeaderField(name=name, kind="copy", same_as=source_name))
        else:
            plain.append(name)
            fields.append(_header(name, rank, counts, weights, value_model, safe, min_sessions, fixed))
    # noise is drawn message by message in order of first appearance, as one pass over the lines would
    levels = {m: _shares(weights(counts.levels.get(m, Counter()))) for m in _in_order(counts)}
    overall: Counter[str] = Counter()
    for c in counts.levels.values():
        overall.update(c)
    level_shares = _shares(weights(overall))
    # carries are noised after the levels, so the layout's other counts draw the noise they drew without them
    fields = [_with_carry(f, counts, weights) for f in fields]
    resolution = clock.resolution if clock is not None else 1.0
    layout = Layout(format=fmt.text, source=source, fields=fields, resolution=resolution, levels=level_shares)
    per_message: dict[str, dict[str, dict[str, float]]] = defaultdict(dict)
    for name, table in fixed.items():
        for message, shares in table.items():
            per_message[message][name] = shares
    return LayoutProfile(layout, {m: v for m, v in levels.items() if v}, dict(per_message))


def _in_order(counts: LayoutCounts) -> list[str]:
    return sorted(counts.messages, key=counts.messages.__getitem__)


def _copied(name: str, earlier: list[str], counts: LayoutCounts) -> str | None:
    """The earlier header this one repeats on nearly every line (BGL writes the node twice), if any."""
    for other in earlier:
        if counts.lines and counts.equal[(name, other)] >= COPY_SHARE * counts.lines:
            return other
    return None


def _header(name: str, rank: int, counts: LayoutCounts, weights: Callable[[Counter[str]], dict[str, float]],
            value_model: ValueModel, safe: Callable[[str], bool], min_sessions: int,
            fixed: dict[str, dict[str, dict[str, float]]]) -> HeaderField:
    """A header that is neither time, level, content nor a copy: fixed by the message (values kept verbatim only
    when ``safe`` and seen in at least ``min_sessions`` sessions), or a free value."""
    per_message = {m: counts.values[name][m] for m in _in_order(counts)}
    on_mode = sum(c.most_common(1)[0][1] for c in per_message.values() if c)
    overall: Counter[str] = Counter()
    for c in per_message.values():
        overall.update(c)
    seen = counts.sessions[name]
    kept = Counter({v: n for v, n in overall.items() if safe(v) and seen[v] >= min_sessions})
    if counts.lines and on_mode >= FIXED_SHARE * counts.lines and kept:
        # values the safe rule refuses are left out: their messages write the most frequent kept value
        table = {m: _shares(weights(Counter({v: n for v, n in c.items() if v in kept})))
                 for m, c in per_message.items()}
        fixed[name] = {m: shares for m, shares in table.items() if shares}
        default = max(sorted(kept), key=lambda v: kept[v])
        return HeaderField(name=name, kind="message", default=default)
    # messages whose lines mostly lack the header (an optional one: kernel lines have no pid) write it empty, and
    # the others draw from the values lines show
    empty = [m for m, c in per_message.items() if c and 2 * c[""] > sum(c.values())] if overall[""] else []
    template, params = value_model([(value, session) for _, value, session in counts.first[name]
                                    if value or not empty], rank)
    longer = counts.longer[name]
    per_session = longer >= MIN_SESSIONS and counts.constant[name] >= FIXED_SHARE * longer
    return HeaderField(name=name, kind="value", template=template, params=params, per_session=per_session,
                       empty_for=empty)


def _with_carry(header: HeaderField, counts: LayoutCounts,
                weights: Callable[[Counter[str]], dict[str, float]]) -> HeaderField:
    """A free header drawn per line with its carry: per transition seen in at least :data:`MIN_SESSIONS` pairs
    of consecutive lines, the (noisy) share of second lines that keep the first line's value, when at least
    :data:`CARRY_SHARE`. Transitions into a message that writes the header empty carry nothing worth writing."""
    if header.kind != "value" or header.per_session:
        return header
    rank = counts.messages
    keys = sorted((k for k in counts.follows if k[0] == header.name and k[2] not in header.empty_for),
                  key=lambda k: (rank[k[1]], rank[k[2]]))
    carry: dict[str, dict[str, float]] = defaultdict(dict)
    for key in keys:
        kept = counts.kept[key]
        noisy = weights(Counter({"kept": kept, "drawn": counts.follows[key] - kept}))
        total = sum(noisy.values())
        if total >= MIN_SESSIONS and noisy["kept"] >= CARRY_SHARE * total:
            carry[key[1]][key[2]] = round(noisy["kept"] / total, 6)
    return header.model_copy(update={"carry": dict(carry)}) if carry else header


def _shares(weights: dict[str, float]) -> dict[str, float]:
    total = sum(weights.values())
    return {k: round(v / total, 6) for k, v in sorted(weights.items()) if v > 0} if total > 0 else {}
