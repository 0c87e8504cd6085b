"""Raw log lines described by a Loghub-style format string, e.g. ``<Date> <Time> <Pid> <Level> <Component>: <Content>``.

A format is literal text with ``<Header>`` slots; the last slot takes the rest of the line. Backslash escapes
(``\\[``) are accepted as Loghub writes them. Runs of spaces match any run of spaces or tabs, and the run a line
actually used is kept when it differs, so :meth:`LogFormat.format` writes every line back byte for byte.
A slot may be optional with the text around it, as Loghub writes it for Linux, Mac and Thunderbird:
``<Component>(\\[<PID>\\])?: <Content>`` reads ``sshd[2114]: ...`` and ``kernel: ...``; a line without it has the
header empty, and an empty header is written without its brackets.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from functools import cached_property
from operator import itemgetter
from pathlib import Path
from typing import Any

from synthlog.errors import InputError
from synthlog.io.atomic import atomic_open
from synthlog.io.text import MAX_LINE_BYTES, PathLike, iter_lines
from synthlog.io.timestamps import parse_timestamp
from synthlog.progress import Progress
from synthlog.records import ANOMALY, NORMAL, LogEvent, micros_of

# Loghub's format strings for its data sets (logparser benchmark settings).
BUILTIN_FORMATS = {
    "hdfs": "<Date> <Time> <Pid> <Level> <Component>: <Content>",
    "zookeeper": r"<Date> <Time> - <Level>  \[<Node>:<Component>@<Id>\] - <Content>",
    "hadoop": r"<Date> <Time> <Level> \[<Process>\] <Component>: <Content>",
    "openstack": r"<Logrecord> <Date> <Time> <Pid> <Level> <Component> \[<ADDR>\] <Content>",
    "bgl": "<Label> <Timestamp> <Date> <Node> <Time> <NodeRepeat> <Type> <Component> <Level> <Content>",
}

# Headers stored on dedicated LogEvent attributes rather than in ``fields``.
_DEDICATED = {"Level", "Component", "Content"}
SEPARATORS_KEY = "separators"  # LogEvent.attributes key for whitespace that differs from the format's


@dataclass(frozen=True)
class LogFormat:
    """A compiled format string: ``headers`` in order, the literal text between them, and the line regex."""

    text: str
    headers: tuple[str, ...]
    literals: tuple[str, ...]  # len(headers) + 1 pieces of literal text, unescaped
    regex: re.Pattern
    name: str | None = None
    optional: tuple[tuple[str, str] | None, ...] = ()  # per header: the text written around it when not empty

    @classmethod
    def parse(cls, fmt: str, name: str | None = None) -> LogFormat:
        """Compile a format string; a string without ``<Header>`` slots or with a repeated header is refused."""
        around: dict[str, tuple[str, str, str]] = {}  # optional header -> text before, text after, the regex

        def plain(m: re.Match) -> str:
            before, after = _compile_literal(m[1], capture=False), _compile_literal(m[3], capture=False)
            around[m[2]] = (before[0], after[0], f"(?:{before[1]}(.*?){after[1]})?")
            return f"<{m[2]}>"
        parts = re.split(r"<([^<>\s]+)>", _OPTIONAL.sub(plain, fmt))
        headers = tuple(parts[1::2])
        if not headers:
            raise InputError(f"format string {fmt!r} has no <Header> slots")
        if len(set(headers)) != len(headers):
            raise InputError(f"format string {fmt!r} repeats a header")
        literals, pattern = [], ["^"]
        for i, literal in enumerate(parts[0::2]):
            text, regex = _compile_literal(literal)
            literals.append(text)
            pattern.append(regex)
            if i < len(headers):
                optional = around.get(headers[i])
                pattern.append(optional[2] if optional else "(.*)" if i == len(headers) - 1 else "(.*?)")
        pattern.append("$")
        optional = tuple(around[h][:2] if h in around else None for h in headers) if around else ()
        return cls(text=fmt, headers=headers, literals=tuple(literals), regex=re.compile("".join(pattern)), name=name,
                   optional=optional)

    @cached_property
    def _canonical_separators(self) -> tuple[str, ...]:
        return tuple(run for lit in self.literals for run in re.findall(r"[ \t]+", lit))

    def match(self, line: str) -> dict[str, str] | None:
        """The header values of ``line`` by name, or ``None`` if the line does not fit the format."""
        m = self.regex.match(line)
        if m is None:
            return None
        groups = m.groups()
        return dict(zip(self.headers, (groups[i] or "" for i in self._header_groups), strict=True))

    @cached_property
    def _header_groups(self) -> list[int]:
        return _group_roles(self)[0]

    def event(self, line: str, line_id: int | None = None) -> LogEvent | None:
        """A :class:`LogEvent` for ``line`` (timestamp derived from Date/Time), or ``None`` if it does not fit."""
        return self._builder(line, line_id)

    @cached_property
    def _builder(self) -> _EventBuilder:
        return _EventBuilder(self)

    def format(self, event: LogEvent) -> str:
        """Write ``event`` back as a line of this format (exactly as read, for events this format produced)."""
        return self.join(self.values(event), event)

    def lines(self, events: list[LogEvent]) -> list[str]:
        """:meth:`format` of each event."""
        return [self.format(event) for event in events]

    def values_of(self, events: list[LogEvent]) -> list[tuple[str, ...]]:
        """:meth:`values` of each event."""
        return [self.values(event) for event in events]

    def joins(self, values: list[tuple[str, ...]], events: list[LogEvent]) -> list[str]:
        """:meth:`join` of each event's values (from :meth:`values_of`)."""
        if self.optional or any(SEPARATORS_KEY in event.attributes for event in events):
            return [self.join(one, event) for one, event in zip(values, events, strict=True)]
        line = self._line  # what join writes for an event read with this format's own whitespace
        return [line % one for one in values]

    @property
    def joins_values(self) -> bool:
        """Whether :meth:`format` is ``join(values(event), event)`` (so a caller holding the values joins them)."""
        return type(self).format is LogFormat.format

    def values(self, event: LogEvent) -> tuple[str, ...]:
        """The event's value of each header, in format order (what :meth:`format` writes, an optional header
        without its text around it)."""
        fields = event.fields
        return tuple([event.content if header == "Content" else (event.level or "") if header == "Level"
                      else (event.component or "") if header == "Component" else fields.get(header, "")
                      for header in self.headers])

    def around(self, values: tuple[str, ...]) -> tuple[str, ...]:
        """Header values with the text of their optional groups around the non-empty ones (what a line shows)."""
        return tuple(f"{optional[0]}{value}{optional[1]}" if optional and value else value
                     for value, optional in zip(values, self.optional, strict=True))

    def join(self, values: tuple[str, ...], event: LogEvent) -> str:
        """The line of header ``values`` (from :meth:`values`), with the whitespace ``event`` was read with."""
        if self.optional:
            values = self.around(values)
        separators = event.attributes.get(SEPARATORS_KEY)
        if separators and len(separators) == len(self._canonical_separators):  # else read with another format
            runs = iter(separators)
            literals = tuple(re.sub(r"[ \t]+", lambda _m: next(runs), lit) for lit in self.literals)
            return _percent_format(literals) % values
        return self._line % values

    @cached_property
    def _line(self) -> str:
        return _percent_format(self.literals)


def _percent_format(literals: Sequence[str]) -> str:
    """The literal pieces as one ``%`` format string with a ``%s`` between pieces (one C call per line)."""
    return "%s".join(piece.replace("%", "%%") for piece in literals)


_OPTIONAL = re.compile(r"\(((?:[^()<>\\]|\\.)*)<([^<>\s]+)>((?:[^()<>\\]|\\.)*)\)\?")  # (text<Header>text)?


def _compile_literal(literal: str, capture: bool = True) -> tuple[str, str]:
    """Unescaped text and regex for a literal piece: ``\\x`` is x, a space run matches ``[ \\t]+`` (captured, unless
    ``capture`` is false: the text around an optional header keeps its spaces as they are written)."""
    text, regex, i = [], [], 0
    while i < len(literal):
        ch = literal[i]
        if _space_at(literal, i):  # an escaped space (``\ ``) is a space too: runs are counted in the text
            run = []
            while _space_at(literal, i):
                if literal[i] == "\\":
                    i += 1
                run.append(literal[i])
                i += 1
            text.append("".join(run))
            regex.append("([ \\t]+)" if capture else "[ \\t]+")
        elif ch == "\\" and i + 1 < len(literal):
            text.append(literal[i + 1])
            regex.append(re.escape(literal[i + 1]))
            i += 2
        else:
            text.append(ch)
            regex.append(re.escape(ch))
            i += 1
    return "".join(text), "".join(regex)


def _space_at(literal: str, i: int) -> bool:
    """Whether a space or tab, bare or escaped, starts at ``literal[i]``."""
    return i < len(literal) and (literal[i] in " \t" or (literal[i] == "\\" and literal[i + 1:i + 2] in (" ", "\t")))


def _group_roles(fmt: LogFormat) -> tuple[list[int], list[int]]:
    """Indices into ``match.groups()`` of the header groups and of the whitespace groups, in order."""
    headers, separators, index = [], [], 0
    for i, literal in enumerate(fmt.literals):
        runs = len(re.findall(r"[ \t]+", literal))
        separators.extend(range(index, index + runs))
        index += runs
        if i < len(fmt.headers):
            headers.append(index)
            index += 1
    return headers, separators


def tuple_getter(keys: Sequence[Hashable]) -> Callable[[Any], tuple]:
    """``itemgetter(*keys)`` that always returns a tuple (also for zero or one key): match groups by index,
    fields by name. It pickles (no lambda), so a layout that cached one still travels to spawned processes."""
    if len(keys) == 1:
        return _OneItem(keys[0])
    return itemgetter(*keys) if keys else _no_items


class _OneItem:
    """``items -> (items[key],)``."""

    __slots__ = ("key",)

    def __init__(self, key: Hashable):
        self.key = key

    def __call__(self, items: Any) -> tuple:
        return (items[self.key],)


def _no_items(items: Any) -> tuple:
    return ()


class _EventBuilder:
    """Turns matching lines into events; precomputes group positions once per format (hot loop of parsing)."""

    def __init__(self, fmt: LogFormat):
        self.regex_match = fmt.regex.match
        header_groups, separator_groups = _group_roles(fmt)
        self.canonical = fmt._canonical_separators
        self.separators = tuple_getter(separator_groups)
        pos = dict(zip(fmt.headers, header_groups, strict=True))
        self.content, self.level, self.component = pos.get("Content"), pos.get("Level"), pos.get("Component")
        self.field_names = [n for n in fmt.headers if n not in _DEDICATED]
        self.fields = tuple_getter([pos[n] for n in self.field_names])
        self.clock = tuple_getter([pos[n] for n in ("Date", "Time", "Timestamp") if n in pos])
        self.clock_names = [n for n in ("Date", "Time", "Timestamp") if n in pos]
        self.timestamps: dict[tuple, int | None] = {}  # lines of one second share their clock text
        self.line_label = pos.get("Label") if fmt.name == "bgl" else None
        self.optional = bool(fmt.optional)  # an optional header a line lacks matches as None: read as empty

    def _timestamp(self, clock: tuple) -> int | None:
        if len(self.timestamps) > 100_000:
            self.timestamps.clear()
        values = dict(zip(self.clock_names, clock, strict=True))
        stamp = self.timestamps[clock] = micros_of(parse_timestamp(values.get("Date"), values.get("Time"),
                                                                   values.get("Timestamp")))
        return stamp

    def __call__(self, line: str, line_id: int | None) -> LogEvent | None:
        m = self.regex_match(line)
        if m is None:
            return None
        g = m.groups()
        if self.optional:
            g = tuple("" if value is None else value for value in g)
        clock = self.clock(g)
        stamp = self.timestamps.get(clock, _UNSEEN)
        if stamp is _UNSEEN:
            stamp = self._timestamp(clock)
        # positional: about a third cheaper than keywords in this loop
        event = LogEvent(g[self.content] if self.content is not None else "", stamp,
                         g[self.level] if self.level is not None else None,
                         g[self.component] if self.component is not None else None,
                         None, [], None, None, line_id, dict(zip(self.field_names, self.fields(g), strict=True)), {})
        separators = self.separators(g)
        if separators != self.canonical:
            event.attributes[SEPARATORS_KEY] = list(separators)
        if self.line_label is not None:  # BGL: "-" marks a normal line, anything else an alert category
            event.label = NORMAL if g[self.line_label] == "-" else ANOMALY
            event.label_rule = "bgl-alert-tag"
        return event


_UNSEEN = object()
# _EventBuilder constructs LogEvent positionally; stop at import if the record's field order ever changes.
if [f.name for f in dataclass_fields(LogEvent)][:11] != [
        "content", "timestamp", "level", "component", "template_id", "parameters", "label", "label_rule", "line_id",
        "fields", "attributes"]:
    raise ImportError("synthlog.records.LogEvent fields changed order; update _EventBuilder")


def get_format(name_or_string: str | LogFormat) -> LogFormat:
    """A built-in format by name (``hdfs``, ``zookeeper``, ``hadoop``, ``openstack``, ``bgl``) or a format string."""
    if isinstance(name_or_string, LogFormat):
        return name_or_string
    key = name_or_string.strip().lower()
    if key in BUILTIN_FORMATS:
        return LogFormat.parse(BUILTIN_FORMATS[key], name=key)
    if "<" not in name_or_string:
        known = ", ".join(sorted(BUILTIN_FORMATS))
        raise InputError(f"unknown log format {name_or_string!r} (built-in: {known}; or give a format string "
                         "such as '<Date> <Time> <Level> <Content>')")
    return LogFormat.parse(name_or_string)


class RawReader:
    """Stream the events of a raw log file; counts lines that do not fit the format.

    ``strict=True`` stops at the first line that does not fit; otherwise such lines are skipped and counted,
    and a file where *no* line fits is an error (the format string is wrong for it).
    """

    def __init__(self, path: PathLike, fmt: LogFormat | str, strict: bool = False,
                 max_line_bytes: int = MAX_LINE_BYTES, progress: Progress | None = None):
        self.path = Path(path)
        self.progress = progress  # advanced every 16,384 lines, fitting or not
        self.format = get_format(fmt)
        self.strict = strict
        self.max_line_bytes = max_line_bytes
        self.matched = 0
        self.skipped = 0
        self.first_skipped: int | None = None

    def __iter__(self) -> Iterator[LogEvent]:
        build = _EventBuilder(self.format)
        for number, line in iter_lines(self.path, self.max_line_bytes):
            if self.progress is not None and not number & 0x3FFF:
                self.progress.advance(0x4000)
            event = build(line, number)
            if event is None:
                if self.strict:
                    raise InputError(f"line does not fit the format {self.format.text!r}", path=self.path,
                                     line=number)
                self.skipped += 1
                if self.first_skipped is None:
                    self.first_skipped = number
                continue
            self.matched += 1
            yield event
        if self.matched == 0:
            raise InputError(f"format string {self.format.text!r} matches no line", path=self.path)


def read_raw(path: PathLike, fmt: LogFormat | str, strict: bool = False) -> Iterator[LogEvent]:
    """Stream the events of a raw log (see :class:`RawReader` for how non-matching lines are treated)."""
    return iter(RawReader(path, fmt, strict=strict))


def write_raw(path: PathLike, events: Iterable[LogEvent], fmt: LogFormat | str) -> int:
    """Write events as raw lines of ``fmt`` atomically; returns the number of lines written."""
    fmt = get_format(fmt)
    count = 0
    with atomic_open(path, "w", newline="\n") as fh:
        for event in events:
            fh.write(fmt.format(event))
            fh.write("\n")
            count += 1
    return count


def detect_format(path: PathLike, sample: int = 50) -> LogFormat:
    """The built-in format that fits (with a parseable timestamp) every one of the first ``sample`` lines."""
    lines = []
    for _, line in iter_lines(path):
        if line.strip():
            lines.append(line)
        if len(lines) >= sample:
            break
    for name in ("zookeeper", "hadoop", "openstack", "hdfs", "bgl"):
        fmt = get_format(name)
        events = [fmt.event(line) for line in lines]
        if lines and all(e is not None and e.timestamp is not None for e in events):
            return fmt
    raise InputError("no built-in log format fits this file; give one with --format '<Date> <Time> ... <Content>'",
                     path=path)
