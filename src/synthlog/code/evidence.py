"""What a template's log lines say about the statement that wrote them: class, source line, level, thread.

Many layouts print where a line comes from: ZooKeeper's ``[thread:Class@line]`` (log4j ``%t:%C{1}@%L``), Hadoop's
logger name (``dfs.DataNode$DataXceiver``). Read from a Loghub structured CSV (or a raw log split by a format string
and assigned to templates by their text), each template gets counts of the places, classes, levels and threads of
its lines; :mod:`synthlog.code.match` uses them to decide between statements whose text fits equally well.

Where the fields come from: the class is the ``Component`` (its last ``:``-separated part, package dropped, a trailing
``@line`` split off; Loghub's ZooKeeper split leaves ``0:0:...:2181:FastLeaderElection`` there); the line is the
``Id``/``Line`` column (Loghub's name for ``%L``) when it is a number; the thread is a ``Thread`` column, else the
``Node`` column joined to what precedes the class in ``Component``, with digits masked.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from synthlog.errors import InputError
from synthlog.io.logformat import read_raw
from synthlog.io.loghub import read_structured
from synthlog.io.text import PathLike
from synthlog.records import LogEvent, Template

LINE_COLUMNS = ("Line", "LineNumber", "Id")
_CLASS = re.compile(r"[A-Za-z_$][\w$]*")
_DIGITS = re.compile(r"\d+")


@dataclass(slots=True)
class Evidence:
    """Counts over one template's lines (``places``: (class, source line) pairs)."""

    lines: int = 0
    places: Counter[tuple[str, int]] = field(default_factory=Counter)
    classes: Counter[str] = field(default_factory=Counter)
    levels: Counter[str] = field(default_factory=Counter)
    threads: Counter[str] = field(default_factory=Counter)

    def add(self, event: LogEvent) -> None:
        self.lines += 1
        cls, line, thread = where(event)
        if cls:
            self.classes[cls] += 1
            if line is not None:
                self.places[(cls, line)] += 1
        if event.level:
            self.levels[event.level.strip().upper()] += 1
        if thread:
            self.threads[thread] += 1


def where(event: LogEvent) -> tuple[str, int | None, str]:
    """(class, source line, thread) of one event; "" / None where the line does not say."""
    component = (event.component or "").strip()
    prefix, _, cls = component.rpartition(":")
    line_text = ""
    if "@" in cls:
        cls, _, line_text = cls.partition("@")
    cls = cls.rsplit(".", 1)[-1]
    if not _CLASS.fullmatch(cls):
        cls = ""
    if not line_text:
        line_text = next((event.fields[c] for c in LINE_COLUMNS if event.fields.get(c, "").strip().isdigit()), "")
    thread = event.fields.get("Thread", "")
    if not thread and "Node" in event.fields:
        thread = event.fields["Node"] + (f":{prefix}" if prefix else "")
    line = int(line_text) if line_text.strip().isdigit() else None
    return cls, line, _DIGITS.sub("<*>", thread.strip())


def from_structured(path: PathLike) -> tuple[dict[str, Template], dict[str, Evidence]]:
    """Templates (``EventId``/``EventTemplate``, with occurrence counts) and their evidence from a structured CSV."""
    templates: dict[str, Template] = {}
    evidence: dict[str, Evidence] = {}
    for event in read_structured(path, templates):
        if event.template_id is None:
            raise InputError("a structured CSV needs EventId and EventTemplate columns to give evidence", path=path)
        evidence.setdefault(event.template_id, Evidence()).add(event)
    return templates, evidence


def from_raw(path: PathLike, fmt: str, templates: Iterable[Template]) -> dict[str, Evidence]:
    """Evidence from a raw log split by ``fmt``; each line goes to the template its content matches (the one with
    the most literal text when several do; lines no template matches are left out)."""
    ordered = sorted(templates, key=lambda t: (-len(t.text.replace("<*>", "")), t.id))
    patterns = [(t.id, template_regex(t.text)) for t in ordered]
    evidence: dict[str, Evidence] = {}
    for event in read_raw(path, fmt):
        content = event.content.strip()
        for tid, pattern in patterns:
            if pattern.fullmatch(content):
                evidence.setdefault(tid, Evidence()).add(event)
                break
    return evidence


def template_regex(text: str) -> re.Pattern[str]:
    """A template as a pattern: ``<*>`` any text, whitespace any run of it."""
    return re.compile(".*?".join(r"\s+".join(map(re.escape, piece.split())) for piece in text.split("<*>")), re.S)
