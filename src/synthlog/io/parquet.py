"""Sessions as Parquet (one row per event, a session's rows together), and event streams as Parquet.

:func:`write_parquet` / :func:`read_parquet`: one row per event with its session's columns (a session without
events is one row with a null event index). :class:`EventParquetWriter`: the event file both generators write
(``--formats parquet``): one row per event in the order given (time order), its session in ``session_id``;
:func:`read_event_parquet` groups such a file back into sessions.

Written in row batches with ``pyarrow.parquet.ParquetWriter`` and read batch by batch, so neither side holds
the whole file in memory. ``timestamp`` is a UTC timestamp column (microseconds), so polars, pandas, DuckDB and Spark
read it as a time; header ``fields`` are a ``map<string, string>``; ``attributes`` (any JSON value) are a
``map<string, string>`` whose values are JSON text (``"x"`` for a string, ``3`` for a number).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from synthlog.errors import InputError
from synthlog.io.atomic import atomic_path
from synthlog.io.text import PathLike
from synthlog.records import LogEvent, Session

SCHEMA = pa.schema([
    ("session_id", pa.string()),
    ("session_label", pa.int8()),
    ("session_label_rule", pa.string()),
    ("session_attributes", pa.map_(pa.string(), pa.string())),
    ("event_index", pa.int32()),
    ("content", pa.string()),
    ("timestamp", pa.timestamp("us", tz="UTC")),
    ("level", pa.string()),
    ("component", pa.string()),
    ("template_id", pa.string()),
    ("parameters", pa.list_(pa.string())),
    ("label", pa.int8()),
    ("label_rule", pa.string()),
    ("line_id", pa.int64()),
    ("fields", pa.map_(pa.string(), pa.string())),
    ("attributes", pa.map_(pa.string(), pa.string())),
])

# the event file: the session's id, then the event's columns (the same types as above)
EVENT_SCHEMA = pa.schema([SCHEMA.field("session_id"), *(SCHEMA.field(name) for name in SCHEMA.names[5:])])

_EVENT_COLUMNS = ["content", "level", "component", "template_id", "parameters", "label", "label_rule", "line_id"]
_US = 1_000_000


def _json_map(value: dict[str, Any]) -> list[tuple[str, str]]:
    return [(str(k), json.dumps(v, ensure_ascii=False, sort_keys=True)) for k, v in sorted(value.items())]


def _from_json_map(pairs: list[tuple[str, str]] | None) -> dict[str, Any]:
    return {k: json.loads(v) for k, v in pairs or []}


def _event_row(event: LogEvent) -> dict[str, Any]:
    row = {name: getattr(event, name) for name in _EVENT_COLUMNS}
    row["fields"] = sorted(event.fields.items())
    row["attributes"] = _json_map(event.attributes)
    row["timestamp"] = event.timestamp  # whole microseconds, as the column stores them
    return row


def _event_of(row: dict[str, Any]) -> LogEvent:
    event = LogEvent(**{name: row[name] for name in _EVENT_COLUMNS})
    event.timestamp = _micros(row["timestamp"])
    event.parameters = event.parameters or []
    event.fields = dict(row["fields"] or [])
    event.attributes = _from_json_map(row["attributes"])
    return event


def _rows(session: Session) -> Iterator[dict[str, Any]]:
    head = {"session_id": session.id, "session_label": session.label, "session_label_rule": session.label_rule,
            "session_attributes": _json_map(session.attributes)}
    if not session.events:
        yield {**head, "event_index": None}
    for i, event in enumerate(session.events):
        yield {**head, "event_index": i, **_event_row(event)}


def write_parquet(path: PathLike, sessions: Iterable[Session], batch_rows: int = 50_000) -> int:
    """Write sessions atomically in batches of about ``batch_rows`` rows; returns the number of sessions."""
    count = 0
    with atomic_path(path) as tmp, pq.ParquetWriter(tmp, SCHEMA, compression="zstd") as writer:
        batch: list[dict[str, Any]] = []
        for session in sessions:
            count += 1
            batch.extend(_rows(session))
            if len(batch) >= batch_rows:
                writer.write_table(pa.Table.from_pylist(batch, schema=SCHEMA))
                batch = []
        if batch or count == 0:
            writer.write_table(pa.Table.from_pylist(batch, schema=SCHEMA))
    return count


def _micros(value: datetime | None) -> int | None:
    """Epoch microseconds of a timestamp cell (what the column stores, so a write-read round trip is exact)."""
    if value is None:
        return None
    delta = value.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return delta.days * 86_400 * _US + delta.seconds * _US + delta.microseconds


def _open(path: PathLike) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(path)
    except FileNotFoundError:
        raise InputError("no such file", path=path) from None
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"not a readable Parquet file ({exc})", path=path) from None


def is_event_parquet(path: PathLike) -> bool:
    """Whether a Parquet file is an event file (:class:`EventParquetWriter`) rather than a sessions file."""
    names = _open(path).schema_arrow.names
    return "session_id" in names and "event_index" not in names


def read_parquet(path: PathLike, batch_rows: int = 50_000) -> Iterator[Session]:
    """Stream the sessions of a file written by :func:`write_parquet` (rows of a session are consecutive); an
    event file is read by :func:`read_event_parquet`."""
    reader = _open(path)
    if is_event_parquet(path):
        yield from read_event_parquet(path, batch_rows)
        return
    missing = [n for n in SCHEMA.names if n not in reader.schema_arrow.names]
    if missing:
        raise InputError(f"wrong columns: missing {', '.join(missing)}", path=path, field=missing[0])
    current: Session | None = None
    row_number = 0
    try:
        for batch in reader.iter_batches(batch_size=batch_rows, columns=SCHEMA.names):
            for row in batch.to_pylist():
                row_number += 1
                if current is None or row["session_id"] != current.id:
                    if current is not None:
                        yield current
                    current = Session(id=row["session_id"], label=row["session_label"],
                                      label_rule=row["session_label_rule"],
                                      attributes=_from_json_map(row["session_attributes"]))
                if row["event_index"] is None:
                    continue
                current.events.append(_event_of(row))
    except (pa.ArrowException, ValueError, TypeError) as exc:
        raise InputError(f"bad Parquet row: {exc}", path=path, line=row_number) from None
    if current is not None:
        yield current


def read_event_parquet(path: PathLike, batch_rows: int = 50_000) -> list[Session]:
    """The sessions of an event file, each event in the session its ``session_id`` names, sessions in order of
    their first event (the whole file is held: a session's events are spread over it); an event without one is a
    session of its own, ``line-N`` after its row number."""
    reader = _open(path)
    missing = [n for n in EVENT_SCHEMA.names if n not in reader.schema_arrow.names]
    if missing:
        raise InputError(f"wrong columns: missing {', '.join(missing)}", path=path, field=missing[0])
    sessions: dict[str, Session] = {}
    row_number = 0
    try:
        for batch in reader.iter_batches(batch_size=batch_rows, columns=EVENT_SCHEMA.names):
            for row in batch.to_pylist():
                row_number += 1
                key = row["session_id"] if row["session_id"] is not None else f"line-{row_number}"
                session = sessions.get(key)
                if session is None:
                    session = sessions[key] = Session(id=key)
                session.events.append(_event_of(row))
    except (pa.ArrowException, ValueError, TypeError) as exc:
        raise InputError(f"bad Parquet row: {exc}", path=path, line=row_number) from None
    return list(sessions.values())


class EventParquetWriter:
    """Events, each with its session id, to one Parquet file of :data:`EVENT_SCHEMA` in the order sent (the
    ``parquet`` file of both generators). Rows go out in batches of ``batch_rows``; :meth:`close` writes the last.
    The file is written where it is named: give a path in a staging folder to make it appear whole."""

    def __init__(self, path: PathLike, batch_rows: int = 50_000):
        self.path, self.batch_rows = path, batch_rows
        self._writer = pq.ParquetWriter(path, EVENT_SCHEMA, compression="zstd")
        self._rows: list[dict[str, Any]] = []
        self.events = 0

    def send(self, event: LogEvent, session_id: str | None) -> None:
        row = _event_row(event)
        row["session_id"] = session_id
        self._rows.append(row)
        if len(self._rows) >= self.batch_rows:
            self._flush()

    def _flush(self) -> None:
        self._writer.write_table(pa.Table.from_pylist(self._rows, schema=EVENT_SCHEMA))
        self.events += len(self._rows)
        self._rows = []

    def close(self) -> None:
        if self._writer is None:
            return
        if self._rows or not self.events:  # an empty file still has the schema
            self._flush()
        self._writer.close()
        self._writer = None

    def __enter__(self) -> EventParquetWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
