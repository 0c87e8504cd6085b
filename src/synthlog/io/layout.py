"""A code base's own log layout: its log4j / logback configuration read, its pattern rendered and parsed back.

Usage::

    layout = layout_for_source("zookeeper-3.4.5/src/java/main")   # finds ../../../conf/log4j.properties
    layout.source           # 'conf/log4j.properties (appender CONSOLE)'
    layout.text             # '<Date> <Time> \\[myid:<myid>\\] - <Level> \\[<Thread>:<Component>@<Line>\\] - <Content>'
    layout.fields(micros, thread="main", line=774, ...)  # header values of one line; layout.format(event) -> the line
    layout.event(line)      # parse a line back (a LogFormat: the Loghub format string, with per-field patterns)

A :class:`Layout` is a :class:`~synthlog.io.logformat.LogFormat` (so every reader and writer takes it) built from a
log4j / logback ``PatternLayout`` conversion pattern: ``%d{ISO8601}``, ``%d{yy/MM/dd HH:mm:ss}`` (any
``SimpleDateFormat``), ``%p``, ``%c{2}``, ``%C{1}``, ``%t``, ``%L``, ``%M``, ``%F``, ``%l``, ``%r``, ``%x``,
``%X{key}``, ``%m``, ``%n``, ``%%``, with padding and truncation (``%-5p``, ``%.30c``) and logback's long names
(``%logger{36}``, ``%thread``, ``%level``, ``%msg``). A date with a space becomes ``<Date> <Time>``; ``%t`` is
``<Thread>``, ``%L`` ``<Line>``, ``%c``/``%C`` ``<Component>``, ``%X{key}`` ``<key>``.

Which configuration: :func:`find_logging_config` looks in the source root, then up to three folders above it,
each time at the folder itself and its ``conf/``, ``config/``, ``etc/``, ``src/main/resources/`` and
``resources/`` (test folders are never used), for ``log4j.properties``, ``log4j.xml``, ``log4j2.xml``,
``logback.xml``; the first found wins. Within it, the root logger's first appender with a pattern layout, else the
first such appender. A configuration that cannot be read is an error naming the file and line.

Dates (UTC): a ``SimpleDateFormat`` made of ``yyyy yy MM MMM dd HH mm ss SSS`` is rendered and read back with
:mod:`synthlog.io.timestamps` (``TimeRenderer``, ``read_time``; whole seconds cached); other letters (``EEE``,
``a``, ``hh``, ``z``) are rendered here.
"""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath

from synthlog.errors import InputError
from synthlog.io.logformat import LogFormat, _compile_literal, get_format, tuple_getter
from synthlog.io.timestamps import TimeRenderer, read_time
from synthlog.records import US, LogEvent, micros_of

CONFIG_NAMES = ("log4j.properties", "log4j.xml", "log4j2.xml", "logback.xml")
# how a built-in Loghub format writes its Date and Time headers (data, like the format strings themselves); any other
# format gets ISO dates and millisecond times
BUILTIN_TIME_FORMATS = {"hdfs": {"Date": "%y%m%d", "Time": "%H%M%S"}}
ISO_TIME_FORMATS = {"Date": "%Y-%m-%d", "Time": "%H:%M:%S,%3f"}
_CONFIG_DIRS = ("", "conf", "config", "etc", "src/main/resources", "resources")
_NAMED_DATES = {"ISO8601": "yyyy-MM-dd HH:mm:ss,SSS", "ABSOLUTE": "HH:mm:ss,SSS", "DATE": "dd MMM yyyy HH:mm:ss,SSS",
                "COMPACT": "yyyyMMddHHmmssSSS", "ISO8601_BASIC": "yyyyMMdd'T'HHmmss,SSS"}
# logback's long conversion words -> log4j's letters ("" prints nothing: exceptions are part of the message here)
_WORDS = {"logger": "c", "lo": "c", "c": "c", "class": "C", "C": "C", "date": "d", "d": "d", "file": "F", "F": "F",
          "caller": "l", "l": "l", "line": "L", "L": "L", "message": "m", "msg": "m", "m": "m", "method": "M",
          "M": "M", "n": "n", "level": "p", "le": "p", "p": "p", "relative": "r", "r": "r", "thread": "t", "t": "t",
          "X": "X", "mdc": "X", "x": "x", "NDC": "x", "ex": "", "exception": "", "throwable": "", "xEx": "",
          "rEx": "", "wEx": "", "nopex": "", "nopexception": ""}
_HEADERS = {"c": "Component", "C": "Component", "d": "Date", "F": "File", "l": "Location", "L": "Line", "m": "Content",
            "M": "Method", "p": "Level", "r": "Relative", "t": "Thread", "x": "NDC"}
_FIELD_PATTERNS = {"Level": r"[A-Z]+", "Line": r"\d+|\?", "Component": r"[^\s:@]+", "Relative": r"\d+",
                   "Content": r".*", "File": r"[^\s:]+", "Method": r"[^\s:@(]+"}
_CONVERSION = re.compile(r"%(?P<left>-)?(?P<min>\d+)?(?:\.(?P<max>\d+))?"
                         r"(?P<word>[a-zA-Z]+|%)(?:\{(?P<option>[^}]*)\})?")
_DATE_TOKEN = re.compile(r"'[^']*'|([a-zA-Z])\1*")
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
DEFAULT_PATTERN = "%d{ISO8601} %-5p [%t] %c{1}: %m%n"  # used when the code base has no logging configuration


# ---- dates ---------------------------------------------------------------------------------------------------

def _date_tokens(fmt: str) -> list[str]:
    """A SimpleDateFormat pattern as tokens: letter runs (``yyyy``, ``SSS``) and literal text."""
    out, pos = [], 0
    for m in _DATE_TOKEN.finditer(fmt):
        if m.start() > pos:
            out.append(fmt[pos:m.start()])
        token = m.group(0)
        # quoted text is literal even when it is made of letters: marked with a leading NUL
        out.append("\0" + (token[1:-1] or "'") if token.startswith("'") else token)
        pos = m.end()
    if pos < len(fmt):
        out.append(fmt[pos:])
    return out


def _render_date(tokens: list[str], timestamp: float) -> str:
    t = time.gmtime(int(timestamp))
    millis = int(round((timestamp - int(timestamp)) * 1000)) % 1000
    out = []
    for token in tokens:
        letter, n = token[:1], len(token)
        if letter == "\0":
            out.append(token[1:])
        elif letter == "y":
            out.append(f"{t.tm_year % 100:02d}" if n == 2 else f"{t.tm_year:0{n}d}")
        elif letter == "M":
            out.append(_MONTHS[t.tm_mon - 1] if n >= 3 else f"{t.tm_mon:0{n}d}")
        elif letter == "d":
            out.append(f"{t.tm_mday:0{n}d}")
        elif letter == "H":
            out.append(f"{t.tm_hour:0{n}d}")
        elif letter == "h":
            out.append(f"{(t.tm_hour % 12) or 12:0{n}d}")
        elif letter == "m":
            out.append(f"{t.tm_min:0{n}d}")
        elif letter == "s":
            out.append(f"{t.tm_sec:0{n}d}")
        elif letter == "S":
            out.append(f"{millis:03d}"[:n] if n <= 3 else f"{millis:03d}" + "0" * (n - 3))
        elif letter == "E":
            out.append(_DAYS[t.tm_wday])
        elif letter == "a":
            out.append("AM" if t.tm_hour < 12 else "PM")
        elif letter in "zZX":
            out.append("UTC" if letter == "z" else "+0000" if letter == "Z" else "Z")
        else:
            out.append(token)
    return "".join(out)


_STRFTIME = {"yyyy": "%Y", "yy": "%y", "MM": "%m", "MMM": "%b", "dd": "%d", "HH": "%H", "mm": "%M", "ss": "%S",
             "SSS": "%3f", "SSSSSS": "%6f"}


def _strftime(tokens: list[str]) -> str | None:
    """The :mod:`synthlog.io.timestamps` format of a SimpleDateFormat's tokens, None when one has no equivalent."""
    out = []
    for token in tokens:
        if token[:1] == "\0":
            out.append(token[1:].replace("%", "%%"))
        elif token[:1].isalpha():
            if token not in _STRFTIME:
                return None
            out.append(_STRFTIME[token])
        else:
            out.append(token.replace("%", "%%"))
    return "".join(out)


def _date_regex(tokens: list[str]) -> str:
    out = []
    for token in tokens:
        letter, n = token[:1], len(token)
        if letter == "\0":
            out.append(re.escape(token[1:]))
        elif letter == "M" and n >= 3 or letter in "Ea":
            out.append(r"[A-Za-z]+")
        elif letter in "yMdHhmsS":
            out.append(r"\d+" if letter == "y" and n != 2 else rf"\d{{{n}}}" if n > 1 or letter == "S" else r"\d{1,2}")
        elif letter in "zZX":
            out.append(r"\S+")
        else:
            out.append(re.escape(token))
    return "".join(out)


# ---- patterns ------------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Conversion:
    """One ``%...`` of a conversion pattern."""

    letter: str  # log4j letter: c C d F l L m M p r t x X
    option: str | None = None
    min_width: int = 0
    max_width: int | None = None
    left: bool = False

    def pad(self, value: str) -> str:
        if self.max_width is not None and len(value) > self.max_width:
            value = value[len(value) - self.max_width:]  # log4j truncates from the start
        if len(value) < self.min_width:
            value = value.ljust(self.min_width) if self.left else value.rjust(self.min_width)
        return value


def parse_pattern(pattern: str) -> list[str | Conversion]:
    """A log4j / logback conversion pattern as literal text and :class:`Conversion` items (``%n`` dropped).

    Raises ``ValueError`` naming the bad conversion."""
    out: list[str | Conversion] = []
    pos = 0
    literal: list[str] = []
    while pos < len(pattern):
        ch = pattern[pos]
        if ch != "%":
            literal.append(ch)
            pos += 1
            continue
        m = _CONVERSION.match(pattern, pos)
        if m is None:
            raise ValueError(f"bad conversion at {pattern[pos:pos + 12]!r}")
        word = m.group("word")
        pos = m.end()
        if word == "%":
            literal.append("%")
            continue
        letter = _WORDS.get(word)
        if letter is None:
            raise ValueError(f"unknown conversion %{word}")
        if letter in ("", "n"):
            continue
        if literal:
            out.append("".join(literal))
            literal = []
        out.append(Conversion(letter, m.group("option"), int(m.group("min") or 0),
                              int(m.group("max")) if m.group("max") else None, bool(m.group("left"))))
    if literal:
        out.append("".join(literal))
    if not any(isinstance(p, Conversion) and p.letter == "m" for p in out):
        raise ValueError("the pattern has no message (%m)")
    return out


def _loghub_escape(text: str) -> str:
    return re.sub(r"([\[\]<>\\])", r"\\\1", text)


@dataclass(frozen=True)
class Layout(LogFormat):
    """A log layout that renders lines (per-field renderers, padding) and parses them back (per-field patterns).

    ``pattern`` is the conversion pattern it was built from (None for a plain Loghub format string);
    ``source`` says where it came from (a configuration file and appender, ``--log-format``, a recipe, default).
    """

    pattern: str | None = None
    source: str = ""
    items: tuple = ()  # parsed pattern: str | Conversion
    slots: tuple = ()  # per header: (Conversion | None, date tokens | None)
    clocks: tuple = ()  # per header: a TimeRenderer for a date/time header whose format timestamps knows, else None

    @classmethod
    def from_pattern(cls, pattern: str, source: str = "") -> Layout:
        """A layout from a conversion pattern (``ValueError`` for a bad one)."""
        items = parse_pattern(pattern)
        headers: list[str] = []
        slots: list[tuple] = []
        literals: list[str] = [""]
        for item in items:
            if isinstance(item, str):
                literals[-1] += item
                continue
            if item.letter == "d":
                fmt = _NAMED_DATES.get(item.option or "ISO8601", item.option or "")
                cut = re.search(r" (?=[^ ]*[Hh])", fmt)  # the date ends at the space before the hours
                parts = [fmt[:cut.start()], fmt[cut.end():]] if cut else [fmt]
                names = ["Date", "Time"] if len(parts) == 2 else ["Date"]
                for i, (name, part) in enumerate(zip(names, parts, strict=True)):
                    if i:
                        literals[-1] += " "
                    headers.append(_unique(name, headers))
                    slots.append((None, tuple(_date_tokens(part))))
                    literals.append("")
                continue
            name = (item.option or "MDC") if item.letter == "X" else _HEADERS[item.letter]
            headers.append(_unique(re.sub(r"[^\w.-]", "_", name), headers))
            slots.append((item, None))
            literals.append("")
        text = "".join(_loghub_escape(lit) + (f"<{h}>" if i < len(headers) else "")
                       for i, (lit, h) in enumerate(zip(literals, [*headers, ""], strict=True)))
        regex = _regex(literals, headers, slots)
        formats = [_strftime(list(date)) if date is not None else None for _, date in slots]
        return cls(text=text, headers=tuple(headers), literals=tuple(_compile_literal(_loghub_escape(x))[0]
                                                                     for x in literals),
                   regex=regex, name=None, pattern=pattern, source=source, items=tuple(items), slots=tuple(slots),
                   clocks=tuple(TimeRenderer(f) if f else None for f in formats))

    @classmethod
    def from_format(cls, fmt: LogFormat | str, source: str = "") -> Layout:
        """A layout for a Loghub format string (or built-in name): Date/Time as that data set writes them."""
        base = get_format(fmt)
        formats = BUILTIN_TIME_FORMATS.get(base.name, ISO_TIME_FORMATS)
        return cls(text=base.text, headers=base.headers, literals=base.literals, regex=base.regex, name=base.name,
                   optional=base.optional, source=source,
                   clocks=tuple(TimeRenderer(formats[h]) if h in formats else None for h in base.headers))

    # -- rendering --------------------------------------------------------------------------------------------
    def fields(self, micros: int, thread: str = "", node: str = "", pid: int = 0, line: int = 0,
               method: str = "", file: str = "", mdc: dict[str, str] | None = None) -> dict[str, str]:
        """Header values of one line at ``micros`` (epoch microseconds, the event's time) other than Level,
        Component and Content."""
        cache = self._second_fields  # the date/time headers first (the same dict through a second), then the rest
        clock = cache.get(micros // 1_000_000) if cache is not None else None
        out = (clock if clock is not None else self._clock_fields(micros, micros / US)).copy()
        pid_header = self._pid_only
        if pid_header is not None:  # the common Loghub case (HDFS: Date, Time, Pid), without the plan's loop
            out[pid_header] = str(pid)
            return out
        if self.pattern is None:
            for header, how in self._loghub_plan:
                if how == "pid":
                    out[header] = str(pid)
                elif how == "thread":
                    out[header] = thread or str(pid)
                elif how == "id":
                    out[header] = str(line) if line else str(pid)
                elif how == "node":
                    out[header] = node or thread
                elif how == "epoch":
                    out[header] = str(micros // US)
            return out if self._field_order is None else self._in_format_order(out)
        for header, conversion in self._pattern_plan:
            letter = conversion.letter
            if letter == "t":
                out[header] = thread or "main"
            elif letter == "L":
                out[header] = str(line) if line else "?"
            elif letter == "M":
                out[header] = method or "?"
            elif letter == "F":
                out[header] = PurePosixPath(file).name or "?"
            elif letter == "l":
                out[header] = f"?.{method}({PurePosixPath(file).name}:{line})"
            elif letter == "r":
                out[header] = str(micros // 1000 % 10_000_000)
            elif letter in ("x", "X"):
                out[header] = (mdc or {}).get(conversion.option or "", "")
        return self._in_format_order(out)

    def values(self, event: LogEvent) -> tuple[str, ...]:
        # one dict merge and one C-level pick per line (the hot loop of rendering); a line that lacks a header
        # takes the general path, which writes it empty
        try:
            return self._pick_values({**event.fields, "Level": event.level or "", "Component": event.component or "",
                                      "Content": event.content})
        except KeyError:
            return super().values(event)

    def lines(self, events: list[LogEvent]) -> list[str]:
        if self.pattern is not None:
            return super().lines(events)
        return self.joins(self.values_of(events), events)

    def values_of(self, events: list[LogEvent]) -> list[tuple[str, ...]]:
        # values(event) written out: one dict merge and one C-level pick per line
        pick = self._pick_values
        try:
            return [pick({**event.fields, "Level": event.level or "", "Component": event.component or "",
                          "Content": event.content}) for event in events]
        except KeyError:  # a line that lacks a header: the general path writes it empty
            return [self.values(event) for event in events]

    @cached_property
    def _pick_values(self) -> Callable[[dict[str, str]], tuple[str, ...]]:
        return tuple_getter(self.headers)

    def retimed(self, fields: dict[str, str], micros: int, was: int | None = None) -> dict[str, str]:
        """``fields`` (of a line :meth:`fields` made) moved to ``micros`` (epoch microseconds, an event's time): the
        headers the clock writes (dates, times, epoch seconds, ``%r``) made again, every other header kept.
        ``was``: the time ``fields`` show; within the same whole second of a clock that shows none of its fractions
        they stay as they are."""
        if was is not None and self._second_fields is not None and not self._shows_millis and \
                was // US == micros // US:  # the clock's second and the epoch header's
            return fields
        out = dict(fields)
        out.update(self._clock_fields(micros, micros / US))
        for header, how in self._loghub_plan:
            if how == "epoch":
                out[header] = str(micros // US)
        for header, conversion in self._pattern_plan:
            if conversion.letter == "r":
                out[header] = str(micros // 1000 % 10_000_000)
        return out

    def _clock_fields(self, micros: int, timestamp: float) -> dict[str, str]:
        """The date and time headers at ``timestamp`` (``micros``: the same in epoch microseconds); the same dict
        for the same second when no header shows fractions of a second (copy before changing it)."""
        second = micros // 1_000_000
        cache = self._second_fields
        if cache is not None and (hit := cache.get(second)) is not None:
            return hit
        out = {header: clock.one(micros) if clock is not None else _render_date(list(date), timestamp)
               for header, clock, date in self._clock_plan}
        if cache is not None:
            if len(cache) >= 4096:  # bounded: a long run moves on through the seconds
                cache.clear()
            cache[second] = out
        return out

    @cached_property
    def _clock_plan(self) -> tuple[tuple[str, TimeRenderer | None, tuple | None], ...]:
        """The headers the clock writes: (header, its TimeRenderer or None, its date tokens when rendered here)."""
        if self.pattern is None:
            return tuple((h, c, None) for h, c in zip(self.headers, self.clocks, strict=True) if c is not None)
        return tuple((h, c, date) for h, (_, date), c in zip(self.headers, self.slots, self.clocks, strict=True)
                     if date is not None)

    @cached_property
    def _second_fields(self) -> dict[int, dict[str, str]] | None:
        """Clock headers by whole second, when each is a TimeRenderer without fractions of a second (else None:
        every line differs, or a date is rendered here from the float time)."""
        return {} if all(c is not None and not c.digits for _, c, _ in self._clock_plan) else None

    @cached_property
    def _shows_millis(self) -> bool:
        """Whether a header other than the date and time ones moves with the clock within a second (``%r``)."""
        return any(conversion.letter == "r" for _, conversion in self._pattern_plan)

    @cached_property
    def _loghub_plan(self) -> tuple[tuple[str, str], ...]:
        """A Loghub format's other headers this layout fills, and how: pid, thread, id, node or epoch."""
        if self.pattern is not None:
            return ()
        how = {"Pid": "pid", "Process": "pid", "Thread": "thread", "Id": "id", "Node": "node", "Timestamp": "epoch"}
        return tuple((h, how[h]) for h, c in zip(self.headers, self.clocks, strict=True) if c is None and h in how)

    @cached_property
    def _pid_only(self) -> str | None:
        """The header of a Loghub format whose one header besides the clock's is a process id written after them
        (what :meth:`fields` then fills by itself), else None."""
        plan = self._loghub_plan
        return plan[0][0] if len(plan) == 1 and plan[0][1] == "pid" and self._field_order is None else None

    @cached_property
    def _pattern_plan(self) -> tuple[tuple[str, Conversion], ...]:
        """A conversion pattern's headers other than dates, with their conversion."""
        if self.pattern is None:
            return ()
        return tuple((h, conversion) for h, (conversion, date) in zip(self.headers, self.slots, strict=True)
                     if date is None and conversion.letter in "tLMFlrxX")

    @cached_property
    def _field_order(self) -> dict[str, int] | None:
        """Header positions when the clock headers do not all come first (then fields are put in format order)."""
        clocked = {h for h, _, _ in self._clock_plan}
        filled = [h for h in self.headers if h in clocked or h in dict(self._loghub_plan)
                  or h in dict(self._pattern_plan)]
        leading = filled[:len(clocked)]
        return None if set(leading) == clocked else {h: i for i, h in enumerate(self.headers)}

    def _in_format_order(self, out: dict[str, str]) -> dict[str, str]:
        order = self._field_order
        return out if order is None else dict(sorted(out.items(), key=lambda kv: order[kv[0]]))

    def event(self, line: str, line_id: int | None = None) -> LogEvent | None:
        """The line as an event; its timestamp read with the layout's own date formats when the Loghub shapes
        :func:`~synthlog.io.timestamps.parse_timestamp` knows do not fit (``09 Nov 2008``)."""
        event = super().event(line, line_id)
        if event is not None and event.timestamp is None and self.pattern is not None:
            timed = [(h, c.format) for h, c in zip(self.headers, self.clocks, strict=True) if c is not None]
            if timed:
                event.timestamp = micros_of(read_time(tuple(event.fields.get(h, "") for h, _ in timed),
                                                      tuple(f for _, f in timed)))
        return event

    def component(self, cls: str, file: str) -> str:
        """What ``%c`` / ``%C`` prints for a statement of class ``cls`` (``Outer$Inner``) in ``file``
        (``org/apache/x/Outer.java``): the package from the file's folders, cut to the pattern's precision."""
        conversion = next((c for c, _ in self.slots if c is not None and c.letter in "cC"), None)
        if conversion is None:
            return cls
        package = [p for p in PurePosixPath(file).parent.parts if p not in ("", ".")]
        name = ".".join([*package, cls])
        if conversion.letter == "c":
            name = ".".join([*package, cls.split("$")[0]])  # loggers are usually named after the top class
        if conversion.option and conversion.option.isdigit():
            name = ".".join(name.split(".")[-int(conversion.option):])
        return name

    @property
    def joins_values(self) -> bool:
        return self.pattern is None  # a conversion pattern pads and places its headers itself

    def format(self, event: LogEvent) -> str:
        if self.pattern is None:
            return super().format(event)
        out = []
        values = {"Level": event.level or "", "Component": event.component or "", "Content": event.content}
        header_at = iter(zip(self.headers, self.slots, strict=True))
        for item in self.items:
            if isinstance(item, str):
                out.append(item)
                continue
            if item.letter == "d":
                names = [next(header_at)[0] for _ in range(2 if "Time" in self.headers else 1)]
                out.append(" ".join(event.fields.get(n, "") for n in names))
                continue
            header, _ = next(header_at)
            out.append(item.pad(values[header] if header in values else event.fields.get(header, "")))
        return "".join(out)


def _unique(name: str, taken: list[str]) -> str:
    candidate, number = name, 2
    while candidate in taken:
        candidate, number = f"{name}{number}", number + 1
    return candidate


def _regex(literals: list[str], headers: list[str], slots: list[tuple]) -> re.Pattern:
    """The line regex with LogFormat's group layout (whitespace runs of literals captured) and per-field patterns."""
    parts = ["^"]
    for i, literal in enumerate(literals):
        parts.append(_compile_literal(_loghub_escape(literal))[1])
        if i < len(headers):
            conversion, date = slots[i]
            if date is not None:
                body = _date_regex(list(date))
            else:
                body = _FIELD_PATTERNS.get(headers[i], ".*?" if i < len(headers) - 1 else ".*")
            pad = conversion is not None and conversion.min_width > 0
            before = " *" if pad and not conversion.left else ""
            after = " *" if pad and conversion.left else ""
            parts.append(f"{before}({body}){after}")
    parts.append("$")
    return re.compile("".join(parts))


# ---- configuration files -------------------------------------------------------------------------------------

@dataclass
class LoggingConfig:
    """The pattern a configuration file gives its output, and where: file, appender, line."""

    path: Path
    appender: str
    pattern: str
    line: int
    others: dict[str, str] = field(default_factory=dict)  # other appenders' patterns


def find_logging_config(src: str | Path) -> Path | None:
    """The logging configuration of the code base at ``src`` (see the module docstring), or None."""
    root = Path(src).resolve()
    start = root if root.is_dir() else root.parent
    for folder in [start, *list(start.parents)[:3]]:
        for sub in _CONFIG_DIRS:
            for name in CONFIG_NAMES:
                candidate = folder / sub / name
                if candidate.is_file() and not _in_tests(candidate.relative_to(folder)):
                    return candidate
    return None


def _in_tests(rel: Path) -> bool:
    return any(part.lower() in ("test", "tests", "testing") for part in rel.parts)


def read_logging_config(path: str | Path) -> LoggingConfig | None:
    """The chosen appender's pattern of a log4j / logback configuration file; None when no appender has a
    pattern layout. An unreadable file is an :class:`InputError` naming the file and line."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        raise InputError(f"cannot read logging configuration: {error.strerror}", path=path) from None
    if path.suffix == ".properties":
        return _read_properties(path, raw)
    return _read_xml(path, raw)


def _read_properties(path: Path, raw: str) -> LoggingConfig | None:
    props: dict[str, tuple[str, int]] = {}
    lines = raw.splitlines()
    i = 0
    while i < len(lines):
        number, line = i + 1, lines[i].strip()
        i += 1
        while line.endswith("\\") and not line.endswith("\\\\") and i < len(lines):
            line = line[:-1] + lines[i].strip()
            i += 1
        if not line or line[0] in "#!":
            continue
        m = re.match(r"([^=:\s]+)\s*[=:\s]\s*(.*)$", line)
        if m is None:
            props[line] = ("", number)
            continue
        props[m.group(1)] = (m.group(2), number)

    def resolve(value: str, depth: int = 0) -> str:
        if depth > 8:
            raise InputError("properties refer to each other in a cycle", path=path)
        return re.sub(r"\$\{([^}]+)\}", lambda m: resolve(props.get(m.group(1), ("", 0))[0], depth + 1), value)

    root = props.get("log4j.rootLogger") or props.get("log4j.rootCategory")
    order = [a.strip() for a in resolve(root[0]).split(",")[1:]] if root else []
    patterns: dict[str, tuple[str, int]] = {}
    for key, (value, number) in props.items():
        m = re.fullmatch(r"log4j\.appender\.([^.]+)\.layout\.ConversionPattern", key)
        if m:
            patterns[m.group(1)] = (resolve(value), number)
    return _choose(path, order, patterns)


def _read_xml(path: Path, raw: str) -> LoggingConfig | None:
    try:
        tree = ET.fromstring(raw)
    except ET.ParseError as error:
        raise InputError(f"not a readable XML logging configuration: {error.msg}", path=path,
                         line=error.position[0]) from None
    properties = {p.get("name", ""): p.get("value", "") for p in tree.iter() if _tag(p) == "property"}

    def resolve(value: str) -> str:
        return re.sub(r"\$\{([^}:]+)(?::-([^}]*))?\}", lambda m: properties.get(m.group(1), m.group(2) or ""), value)

    patterns: dict[str, tuple[str, int]] = {}
    for appender in tree.iter():
        if not appender.get("name"):
            continue
        pattern = None
        for node in appender.iter():
            tag = _tag(node)
            if tag == "param" and node.get("name", "").lower() == "conversionpattern":
                pattern = node.get("value")
            elif tag == "pattern" and node.text:
                pattern = node.text.strip()
            elif tag.lower() == "patternlayout" and node.get("pattern"):
                pattern = node.get("pattern")
            if pattern:
                break
        if pattern and appender.get("name") not in patterns:
            patterns[appender.get("name")] = (resolve(pattern), _line_of(raw, pattern))
    order = [ref.get("ref", "") for root in tree.iter() if _tag(root).lower() == "root"
             for ref in root.iter() if _tag(ref).lower() in ("appender-ref", "appenderref")]
    return _choose(path, order, patterns)


def _tag(node: ET.Element) -> str:
    return node.tag.rsplit("}", 1)[-1] if isinstance(node.tag, str) else ""


def _line_of(raw: str, needle: str) -> int:
    at = raw.find(needle)
    return raw.count("\n", 0, at) + 1 if at >= 0 else 0


def _choose(path: Path, order: list[str], patterns: dict[str, tuple[str, int]]) -> LoggingConfig | None:
    if not patterns:
        return None
    name = next((a for a in order if a in patterns), next(iter(patterns)))
    pattern, line = patterns[name]
    return LoggingConfig(path, name, pattern, line, {k: v[0] for k, v in patterns.items() if k != name})


# ---- choosing a layout ---------------------------------------------------------------------------------------

def layout_from_config(config: LoggingConfig, base: Path | None = None) -> Layout:
    """The layout of a configuration's chosen appender; a bad pattern is an error naming the file and line."""
    shown = config.path.relative_to(base) if base is not None and config.path.is_relative_to(base) else config.path
    try:
        return Layout.from_pattern(config.pattern, source=f"{shown.as_posix()} (appender {config.appender})")
    except ValueError as error:
        raise InputError(f"bad ConversionPattern of appender {config.appender}: {error}", path=config.path,
                         line=config.line or None) from None


def layout_from_option(value: str, source: str) -> Layout:
    """``--log-format`` / a recipe's ``log_format``: a built-in name, a Loghub format string (``<Header>``
    slots) or a log4j / logback pattern (``%`` conversions)."""
    if "%" in value and "<" not in value:
        try:
            return Layout.from_pattern(value, source=source)
        except ValueError as error:
            raise InputError(f"bad log4j pattern {value!r}: {error}", field=source) from None
    return Layout.from_format(value, source=source)


def layout_for_source(src: str | Path | None) -> Layout:
    """The layout the code base at ``src`` configures, else :data:`DEFAULT_PATTERN`."""
    found = find_logging_config(src) if src is not None else None
    config = read_logging_config(found) if found is not None else None
    if config is None:
        return Layout.from_pattern(DEFAULT_PATTERN, source="default")
    base = Path(src).resolve()
    for _ in range(4):
        if config.path.is_relative_to(base):
            break
        base = base.parent
    return layout_from_config(config, base)
