r"""Infer the Loghub format string of a raw log from its first lines: a built-in format that fits, else a layout
read off the lines' leading whitespace-separated tokens (time, bracketed or plain fields, level, a component
ending in ``:``), the rest being the content.

The general inference looks for, in order: one to three leading tokens that together read as a time (named
``Timestamp``; ``Date``, ``Time``; ``Month``, ``Day``, ``Time``) or a bracketed time with spaces (``Time``:
``[Sun Dec 04 04:47:44 2005]``), then plain fields, then a level word (optionally
in brackets), then a ``name:`` or ``name[pid]:`` token; a token position is a header only when every sampled line
has it in that shape, except that the pid may be missing on some lines (``<Component>(\[<Pid>\])?:``, syslog's
``kernel:`` next to ``sshd[2114]:``). Without a level word, the component may follow up to two plain fields
(``host program[pid]:``), and the last header's component may span two or three tokens (``syslogd 1.4.1:``) on
some lines. Failing that, fields split by ``|``, ``;`` or a tab whose first field is a time. A layout
with neither a time nor a level is refused: the user gives ``--format``.
"""

from __future__ import annotations

import re

from synthlog.errors import InputError
from synthlog.io.logformat import LogFormat, detect_format
from synthlog.io.text import PathLike, iter_lines
from synthlog.io.timestamps import infer_time_format

SAMPLE = 200
MAX_HEADER_TOKENS = 8
LEVEL_WORDS = frozenset({"TRACE", "DEBUG", "FINE", "FINER", "FINEST", "CONFIG", "INFO", "NOTICE", "WARN", "WARNING",
                         "ERROR", "ERR", "SEVERE", "CRITICAL", "CRIT", "ALERT", "EMERG", "FATAL", "FAILURE"})
DELIMITERS = (("|", r"\|"), (";", ";"), ("\t", "\t"))  # (delimiter, as a format string writes it)
_TIME_NAMES = {1: ("Timestamp",), 2: ("Date", "Time"), 3: ("Month", "Day", "Time")}
_BRACKETED = re.compile(r"\[([^\[\]\s]*)\]")
_COMPONENT = re.compile(r"([^\s\[\]:]+):")
_COMPONENT_PID = re.compile(r"([^\[\]:]+)\[(\d+)\]:")  # the name may hold spaces when it spans tokens


def infer_format(path: PathLike) -> tuple[LogFormat, str]:
    """The format of a raw log and where it came from: a built-in name, or ``inferred``."""
    try:
        fmt = detect_format(path)
        return fmt, str(fmt.name)
    except InputError:
        pass
    lines: list[str] = []
    for _, line in iter_lines(path):
        if line.strip():
            lines.append(line)
        if len(lines) >= SAMPLE:
            break
    text = infer_format_string(lines)
    if text is None:
        raise InputError("no built-in log format fits this file and none could be inferred (no leading time or "
                         "level); give one with --format '<Date> <Time> <Level> <Component>: <Content>'", path=path)
    return LogFormat.parse(text, name=None), "inferred"


def infer_format_string(lines: list[str]) -> str | None:
    """A format string for these lines, or ``None`` when they show no leading time and no level."""
    if not lines:
        return None
    return _spaced(lines) or _delimited(lines)


def _delimited(lines: list[str]) -> str | None:
    """A layout of fields split by one delimiter (``|``, ``;``, a tab) whose first field is a time on every line
    (HealthApp: ``20171223-22:15:29:606|Step_LSC|30002312|onStandStepChanged 3579``): ``<Time>``, plain fields
    (``<Level>`` where every line has a level word there), then the content, which may hold the delimiter too."""
    for delimiter, escaped in DELIMITERS:
        rows = [line.split(delimiter) for line in lines]
        fields = min(MAX_HEADER_TOKENS + 1, min(len(r) for r in rows))
        if fields < 2 or infer_time_format([r[0] for r in rows], "Time") is None:
            continue
        headers, level = ["<Time>"], False
        for i in range(1, fields - 1):
            if not level and all(_level(r[i]) for r in rows):
                headers.append("<Level>")
                level = True
            else:
                headers.append(f"<Field{i}>")
        return escaped.join([*headers, "<Content>"])
    return None


def _spaced(lines: list[str]) -> str | None:
    """The layout read off whitespace-separated leading tokens (the module's docstring), or ``None``."""
    rows = [line.split() for line in lines]
    width = min(min(len(r) for r in rows) - 1, MAX_HEADER_TOKENS)  # at least one content token is left
    if width < 1:
        return None
    headers: list[str] = []
    position = _bracketed_time(rows, width)
    if position:
        headers.append(r"\[<Time>\]")
    for count in (3, 2, 1) if not position else ():
        names = _TIME_NAMES[count]
        if count <= width and all(
                infer_time_format([r[i] for r in rows], names[i]) is not None for i in range(count)) and \
                infer_time_format([" ".join(r[:count]) for r in rows], "Timestamp") is not None:
            headers += [f"<{n}>" for n in names]
            position = count
            break
    level_at = next((i for i in range(position, width) if all(_level(r[i]) for r in rows)), None)
    end = level_at if level_at is not None else position
    fields, component = 0, False
    for i in range(position, end):
        found = None if component else _component(rows, i)
        if found is not None:
            headers.append(found)
            component = True
            continue
        fields += 1
        headers.append(_field(rows, i, f"Field{fields}"))
    if level_at is not None:
        bracketed = all(r[level_at].startswith("[") for r in rows)
        headers.append(r"\[<Level>\]" if bracketed else "<Level>")
        end = level_at + 1
    found = None
    for start in (range(end, min(end + 3, width)) if level_at is None else (end,)) if not component else ():
        found = _component(rows, start, last=True)  # without a level: a host or two before the program
        if found is not None:
            headers += [_field(rows, i, f"Field{fields + 1 + k}") for k, i in enumerate(range(end, start))]
            headers.append(found)
            break
    if not position and level_at is None:
        return None
    return " ".join([*headers, "<Content>"])


def _bracketed_time(rows: list[list[str]], width: int) -> int:
    """How many leading tokens a bracketed time with spaces takes (``[Sun Dec 04 04:47:44 2005]``), or 0: every line
    opens a bracket on its first token and closes it on the same later token, and the text between reads as a
    time."""
    if not all(r[0].startswith("[") and "]" not in r[0] for r in rows):
        return 0
    close = next((i for i in range(1, width) if rows[0][i].endswith("]")), None)
    if close is None or not all(r[close].endswith("]") and not any("]" in t for t in r[:close]) for r in rows):
        return 0
    inside = [" ".join(r[:close + 1])[1:-1] for r in rows]
    return close + 1 if infer_time_format(inside, "Time") is not None else 0


def _component(rows: list[list[str]], i: int, last: bool = False) -> str | None:
    """``<Component>:``, ``<Component>[<Pid>]:`` or, when only some lines show a pid, ``<Component>([<Pid>])?:``,
    when every line has that shape at token ``i``; with ``last`` (no header follows) a line's component may span
    up to three tokens, at least one line's one."""
    shapes = []
    for r in rows:
        span = next((j for j in range(i, min(i + 3, len(r) - 1) if last else i + 1)
                     if r[j].endswith(":")), None)
        text = " ".join(r[i:span + 1]) if span is not None else ""
        pid = _COMPONENT_PID.fullmatch(text) if span is not None else None
        if pid is None and (span is None or not _COMPONENT.fullmatch(r[span])):
            return None
        shapes.append((span == i, pid is not None))
    if not any(single for single, _ in shapes):
        return None
    with_pid = sum(pid for _, pid in shapes)
    return r"<Component>\[<Pid>\]:" if with_pid == len(rows) else "<Component>:" if not with_pid else \
        r"<Component>(\[<Pid>\])?:"


def _level(token: str) -> bool:
    return token.strip("[]").upper() in LEVEL_WORDS and (token[0] == "[") == (token[-1] == "]")


def _field(rows: list[list[str]], i: int, name: str) -> str:
    """A plain header, written with its brackets when every line has them."""
    if all(_BRACKETED.fullmatch(r[i]) for r in rows):
        return rf"\[<{name}>\]"
    return f"<{name}>"
