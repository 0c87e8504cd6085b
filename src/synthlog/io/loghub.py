"""Loghub's CSV files: ``NAME.log_structured.csv``, ``NAME.log_templates.csv`` and ``anomaly_label.csv``."""

from __future__ import annotations

import ast
import csv
from collections.abc import Iterable, Iterator, Sequence

from synthlog.errors import InputError
from synthlog.io.atomic import atomic_open
from synthlog.io.logformat import tuple_getter
from synthlog.io.text import CsvRows, PathLike, iter_lines
from synthlog.io.timestamps import parse_timestamp
from synthlog.records import LogEvent, Template, label_from_word, label_to_word, micros_of

_EVENT_COLUMNS = {"LineId", "Level", "Component", "Content", "EventId", "EventTemplate", "ParameterList"}
_LABEL_ID_COLUMNS = ("BlockId", "SessionId", "WindowId")
WILDCARD = "<*>"


def read_structured(path: PathLike, templates: dict[str, Template] | None = None) -> Iterator[LogEvent]:
    """Stream the events of a structured CSV (``LineId,<headers...>,EventId,EventTemplate``).

    ``Level``/``Component``/``Content``/``EventId`` go to their attributes, ``ParameterList`` (a Python list
    literal, read with ``ast.literal_eval``) to ``parameters``, every other header to ``fields``. Pass a dict
    as ``templates`` to collect the ``EventTemplate`` texts (with occurrence counts) while streaming.
    """
    rows = CsvRows(path)
    cols = rows.header(["Content"])
    width = len(cols)
    other = [(name, i) for name, i in cols.items() if name not in _EVENT_COLUMNS]
    get = cols.get
    line_id, level, component, content = get("LineId"), get("Level"), get("Component"), cols["Content"]
    event_id, event_template, params = get("EventId"), get("EventTemplate"), get("ParameterList")
    date, time, epoch = get("Date"), get("Time"), get("Timestamp")
    for row in rows.rows(width):
        event = LogEvent(content=row[content], fields={name: row[i] for name, i in other})
        if level is not None:
            event.level = row[level]
        if component is not None:
            event.component = row[component]
        if event_id is not None:
            event.template_id = row[event_id]
            if templates is not None and event_template is not None:
                template = templates.get(event.template_id)
                if template is None:
                    template = templates[event.template_id] = Template(id=event.template_id, text=row[event_template])
                template.occurrences += 1
        if line_id is not None:
            try:
                event.line_id = int(row[line_id])
            except ValueError:
                raise rows.error(f"LineId {row[line_id]!r} is not an integer", field="LineId") from None
        if params is not None and row[params]:
            event.parameters = _parameter_list(row[params], rows)
        event.timestamp = micros_of(parse_timestamp(row[date] if date is not None else None,
                                                    row[time] if time is not None else None,
                                                    row[epoch] if epoch is not None else None))
        yield event


def _parameter_list(text: str, rows: CsvRows) -> list[str]:
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        raise rows.error(f"ParameterList {text[:60]!r} is not a list literal", field="ParameterList") from None
    if not isinstance(value, list):
        raise rows.error("ParameterList is not a list", field="ParameterList")
    return [str(v) for v in value]


def structured_headers(events: Sequence[LogEvent]) -> list[str]:
    """The header columns to write for ``events``: their ``fields`` in order, then Level, Component, Content."""
    names: dict[str, None] = {}
    for event in events[:1000]:
        names.update(dict.fromkeys(event.fields))
    return [*names, "Level", "Component", "Content"]


def write_structured(path: PathLike, events: Iterable[LogEvent], headers: Sequence[str],
                     templates: dict[str, Template] | None = None) -> int:
    """Write ``LineId,<headers...>,EventId,EventTemplate`` atomically; returns the number of rows.

    ``EventTemplate`` is the text of the event's template in ``templates`` (empty when not given). Events
    without ``line_id`` are numbered from 1 in order.
    """
    rows = StructuredRows(headers, templates)
    body = rows.body
    count = 0
    with atomic_open(path, "w", newline="") as fh:
        write = fh.write
        write(rows.header)
        for event in events:
            count += 1
            write(f"{event.line_id if event.line_id is not None else count},{body(event)}")
    return count


class StructuredRows:
    """Rows of a structured CSV: :attr:`header` and, per event, :meth:`body` (the row after ``LineId,``)."""

    def __init__(self, headers: Sequence[str], templates: dict[str, Template] | None = None):
        self.text_of = {tid: t.text for tid, t in (templates or {}).items()}
        self.header = _csv_line(["LineId", *headers, "EventId", "EventTemplate"])
        self.field_names = [h for h in headers if h not in ("Level", "Component", "Content")]
        self.pick = tuple_getter(self.field_names)
        self.order = _column_order(headers, self.field_names)
        self.in_order = self.order == list(range(len(self.order)))
        self.commas = len(headers) - 1
        self.tails: dict[str, str] = {}

    def body(self, event: LogEvent) -> str:
        """``<headers...>,EventId,EventTemplate`` and a line break, quoted where a value needs it."""
        fields = event.fields
        try:
            values = self.pick(fields)
        except KeyError:
            values = tuple(fields.get(h, "") for h in self.field_names)
        values = (*values, event.level or "", event.component or "", event.content)
        if not self.in_order:
            values = tuple([values[i] for i in self.order])
        return self.row(values, event.template_id)

    def row(self, values: tuple[str, ...], template_id: str | None) -> str:
        """:meth:`body` from the header values in header order."""
        # Rows are joined by hand (one C-level join per row) and fall back to CSV quoting only when a value
        # holds a comma, quote or line break: this is the hot loop of `synthlog parse`.
        try:
            body = ",".join(values)
        except TypeError:
            values = tuple(str(v) for v in values)
            body = ",".join(values)
        if body.count(",") != self.commas or '"' in body or "\n" in body or "\r" in body:
            body = ",".join(map(_quote, values))
        tid = template_id or ""
        tail = self.tails.get(tid)
        if tail is None:
            tail = self.tails[tid] = _csv_line([tid, self.text_of.get(tid, "")])
        return f"{body},{tail}"


def _quote(value: str) -> str:
    """CSV quoting as the csv module's QUOTE_MINIMAL does it (plus CR, which it leaves bare)."""
    if "," in value or '"' in value or "\n" in value or "\r" in value:
        return '"' + value.replace('"', '""') + '"'
    return value


def _csv_line(values: Sequence[str]) -> str:
    return ",".join(_quote(str(v)) for v in values) + "\n"


def _column_order(headers: Sequence[str], field_names: list[str]) -> list[int]:
    """Positions in ``[*fields, level, component, content]`` of each header, in header order."""
    slots = {name: i for i, name in enumerate(field_names)}
    slots.update({"Level": len(field_names), "Component": len(field_names) + 1, "Content": len(field_names) + 2})
    return [slots[h] for h in headers]


def read_templates(path: PathLike) -> dict[str, Template]:
    """Templates by id from ``EventId,EventTemplate[,Occurrences]``, or from a headerless file of one
    template per line whose ids are the line numbers ``1..N`` (AIT's ``HDFS_templates.csv``)."""
    first = next(iter_lines(path), (0, ""))[1].lstrip("\ufeff")
    if not first.startswith("EventId"):
        if first.startswith("LineId") or ",Content," in f",{first},":
            raise InputError("a structured log CSV (LineId,...,Content,...), not a templates file", path=path, line=1)
        templates = {str(n): Template(id=str(n), text=text) for n, text in iter_lines(path) if text.strip()}
        if templates and not any(WILDCARD in t.text for t in templates.values()):
            raise InputError("not a templates file: no EventId,EventTemplate header and no line has a <*> "
                             "(a raw log?)", path=path)
        return templates
    rows = CsvRows(path)
    cols = rows.header(["EventId", "EventTemplate"])
    tid, text, occ = cols["EventId"], cols["EventTemplate"], cols.get("Occurrences")
    templates: dict[str, Template] = {}
    for row in rows.rows(len(cols)):
        if row[tid] in templates:
            raise rows.error(f"template id {row[tid]!r} appears twice", field="EventId")
        template = Template(id=row[tid], text=row[text])
        if occ is not None and row[occ]:
            try:
                template.occurrences = int(row[occ])
            except ValueError:
                raise rows.error(f"Occurrences {row[occ]!r} is not an integer", field="Occurrences") from None
        templates[template.id] = template
    return templates


def write_templates(path: PathLike, templates: dict[str, Template] | Iterable[Template]) -> int:
    """Write ``EventId,EventTemplate,Occurrences`` atomically, in the given order."""
    items = list(templates.values()) if isinstance(templates, dict) else list(templates)
    with atomic_open(path, "w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["EventId", "EventTemplate", "Occurrences"])
        writer.writerows([t.id, t.text, t.occurrences] for t in items)
    return len(items)


def read_labels(path: PathLike) -> dict[str, int]:
    """Session labels from ``BlockId,Label`` (also ``SessionId``/``WindowId``; extra columns allowed)."""
    rows = CsvRows(path)
    cols = rows.header(["Label"])
    id_col = next((cols[c] for c in _LABEL_ID_COLUMNS if c in cols), None)
    if id_col is None:
        raise rows.error(f"wrong columns: need one of {', '.join(_LABEL_ID_COLUMNS)} and Label")
    label_col = cols["Label"]
    labels: dict[str, int] = {}
    for row in rows.rows(len(cols)):
        try:
            label = label_from_word(row[label_col])
        except ValueError as exc:
            raise rows.error(str(exc), field="Label") from None
        key = row[id_col]
        if labels.setdefault(key, label) != label:
            raise rows.error(f"session {key!r} is labeled both ways")
    return labels


def write_labels(path: PathLike, labels: dict[str, int | None]) -> int:
    """Write ``BlockId,Label`` (Normal/Anomaly) atomically; an unknown (``None``) label is refused."""
    with atomic_open(path, "w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["BlockId", "Label"])
        for key, label in labels.items():
            try:
                writer.writerow([key, label_to_word(label)])
            except ValueError as exc:
                raise InputError(f"session {key!r}: {exc}", path=path) from None
    return len(labels)


def read_id_list(path: PathLike) -> list[str]:
    """Ids one per line (e.g. the list of all anomalous HDFS_v1 blocks); blank lines are ignored."""
    return [text.strip() for _, text in iter_lines(path) if text.strip()]
