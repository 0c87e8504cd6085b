"""Sessions as Parquet: one row per event (a session without events is one row with a null event index).

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

_EVENT_COLUMNS = ["content", "level", "component", "template_id", "parameters", "label", "label_rule", "line_id"]
_US = 1_000_000


def _json_map(value: dict[str, Any]) -> list[tuple[str, str]]:
    return [(str(k), json.dumps(v, ensure_ascii=False, sort_keys=True)) for k, v in sorted(value.items())]


def _from_json_map(pairs: list[tuple[str, str]] | None) -> dict[str, Any]:
    return {k: json.loads(v) for k, v in pairs or []}


def _rows(session: Session) -> Iterator[dict[str, Any]]:
    head = {"session_id": session.id, "session_label": session.label, "session_label_rule": session.label_rule,
            "session_attributes": _json_map(session.attributes)}
    if not session.events:
        yield {**head, "event_index": None}
    for i, event in enumerate(session.events):
        row = {**head, "event_index": i, "fields": sorted(event.fields.items()),
               "attributes": _json_map(event.attributes),
               # whole microseconds, as the column stores them
               "timestamp": None if event.timestamp is None else round(event.timestamp * _US)}
        row.update({name: getattr(event, name) for name in _EVENT_COLUMNS})
        yield row


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


def _seconds(value: datetime | None) -> float | None:
    """Epoch seconds of a timestamp cell, computed from whole microseconds so a write-read round trip is exact."""
    if value is None:
        return None
    delta = value.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 * _US + delta.seconds * _US + delta.microseconds) / _US


def read_parquet(path: PathLike, batch_rows: int = 50_000) -> Iterator[Session]:
    """Stream the sessions of a file written by :func:`write_parquet` (rows of a session are consecutive)."""
    try:
        reader = pq.ParquetFile(path)
    except FileNotFoundError:
        raise InputError("no such file", path=path) from None
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"not a readable Parquet file ({exc})", path=path) from None
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
                event = LogEvent(**{name: row[name] for name in _EVENT_COLUMNS})
                event.timestamp = _seconds(row["timestamp"])
                event.parameters = event.parameters or []
                event.fields = dict(row["fields"] or [])
                event.attributes = _from_json_map(row["attributes"])
                current.events.append(event)
    except (pa.ArrowException, ValueError, TypeError) as exc:
        raise InputError(f"bad Parquet row: {exc}", path=path, line=row_number) from None
    if current is not None:
        yield current
