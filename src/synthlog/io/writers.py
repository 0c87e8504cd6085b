"""One writer per output format, used by both generators and by part files: ``send(event, session id)``, ``close()``.

Every writer takes the one event record (:class:`synthlog.records.LogEvent` with its session id) and is opened on
a path: a whole file of a data set folder or one part of a sharded run (:mod:`synthlog.io.partfiles`). The line
formats (``jsonl``, ``raw``, ``csv``) also take lines a generator already rendered in bulk, so neither generator
pays a record per line where it renders faster itself: :meth:`LineWriter.write_lines` for Python strings (the code
path), :meth:`LineWriter.write_column` for an Arrow column (the simulator). ``csv`` writes its header and numbers
its rows (``LineId``) itself, from ``first_line_id`` (a part goes on counting where the part before it ended).

Files are written where they are named: give a path in a staging folder (:func:`synthlog.io.atomic.atomic_directory`)
so a set appears whole or not at all.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthlog.errors import InputError
from synthlog.io.jsonl import event_lines
from synthlog.io.logformat import LogFormat
from synthlog.io.loghub import StructuredRows
from synthlog.io.otel import OtelFileWriter
from synthlog.io.parquet import EventParquetWriter
from synthlog.records import LogEvent

LINE_FORMATS = ("jsonl", "raw", "csv")
EVENT_FORMATS = ("parquet", "otel")
FILE_NAMES = {"jsonl": "{name}.jsonl", "raw": "{name}.log", "csv": "{name}.log_structured.csv",
              "parquet": "{name}.parquet", "otel": "{name}.otel.json"}  # format -> file name in a data set folder
PART_EXTENSIONS = {"jsonl": "jsonl", "raw": "log", "csv": "csv", "parquet": "parquet", "otel": "otel.json"}
WRITE_SIZE = 1 << 20  # page-cache writes are fastest in pieces of about 1 MiB
_EMPTY = pa.scalar("", pa.large_string())


class EventWriter(Protocol):
    """What every writer (and every stream sink of :mod:`synthlog.io.sinks`) takes."""

    def send(self, event: LogEvent, session_id: str | None) -> None: ...

    def close(self) -> None: ...


def file_name(name: str, fmt: str) -> str:
    """The file of format ``fmt`` in the folder of data set ``name``."""
    if fmt not in FILE_NAMES:
        raise InputError(f"unknown format {fmt!r} (known: {', '.join(FILE_NAMES)})", field="--formats")
    return FILE_NAMES[fmt].format(name=name)


def write_column(handle: IO[bytes], column: pa.ChunkedArray | pa.Array) -> int:
    """Write a large-string column whose entries already end in newlines, as raw bytes; returns bytes written."""
    written = 0
    for array in column.chunks if isinstance(column, pa.ChunkedArray) else [column]:
        if len(array) == 0:
            continue
        offsets = np.frombuffer(array.buffers()[1], dtype=np.int64, count=len(array) + 1, offset=array.offset * 8)
        data = memoryview(array.buffers()[2])[offsets[0]:offsets[-1]]
        for start in range(0, len(data), WRITE_SIZE):
            handle.write(data[start:start + WRITE_SIZE])
        written += len(data)
    return written


class LineWriter:
    """A file of one line per event, appended in the order given; :meth:`render` turns records into lines."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        self._file = open(self.path, "wb", buffering=WRITE_SIZE)  # noqa: SIM115  (closed by close())
        self.lines = 0

    def render(self, events: list[LogEvent], session_id: str | None) -> list[str]:
        raise NotImplementedError

    def send(self, event: LogEvent, session_id: str | None) -> None:
        self.write_lines(self.render([event], session_id))

    def write_lines(self, lines: list[str]) -> None:
        """Lines already rendered (each ending in a line break)."""
        self._file.write("".join(lines).encode())
        self.lines += len(lines)

    def write_encoded(self, pieces: list[bytes], count: int) -> None:
        """``count`` lines already rendered and encoded (UTF-8, each ending in a line break), in ``pieces`` of whole
        lines."""
        self._file.write(b"".join(pieces))
        self.lines += count

    def write_column(self, column: pa.ChunkedArray | pa.Array) -> None:
        """An Arrow large-string column of rendered lines."""
        write_column(self._file, column)
        self.lines += len(column)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> LineWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class JsonlWriter(LineWriter):
    """``NAME.jsonl``: one event record per line (:func:`synthlog.io.jsonl.event_lines`), its session in
    ``attributes.session``."""

    def render(self, events: list[LogEvent], session_id: str | None) -> list[str]:
        return event_lines(events, session_id)


class RawWriter(LineWriter):
    """``NAME.log``: each event in the data set's log layout (``log_format``)."""

    def __init__(self, path: str | os.PathLike[str], log_format: LogFormat | None):
        super().__init__(path)
        self.log_format = log_format

    def render(self, events: list[LogEvent], session_id: str | None) -> list[str]:
        if self.log_format is None:
            raise ValueError(f"{self.path.name}: this raw log writer was opened without a log format")
        return [self.log_format.format(event) + "\n" for event in events]


class CsvWriter(LineWriter):
    """``NAME.log_structured.csv``: Loghub's structured CSV. Lines given here are rows without their ``LineId``,
    which this writer puts in front, counting from ``first_line_id``."""

    def __init__(self, path: str | os.PathLike[str], rows: StructuredRows | str, first_line_id: int = 1):
        super().__init__(path)
        self.rows = rows if isinstance(rows, StructuredRows) else None
        self.next_id = first_line_id
        self._file.write((rows.header if self.rows is not None else rows).encode())

    def render(self, events: list[LogEvent], session_id: str | None) -> list[str]:
        if self.rows is None:
            raise ValueError(f"{self.path.name}: this CSV writer was opened with a header only")
        return [self.rows.body(event) for event in events]

    def write_lines(self, lines: list[str]) -> None:
        first = self.next_id
        super().write_lines([f"{line_id},{row}" for line_id, row in enumerate(lines, start=first)])
        self.next_id += len(lines)

    def write_encoded(self, pieces: list[bytes], count: int) -> None:
        """Rows one per piece (``count`` of them), each after its ``LineId``."""
        if len(pieces) != count:
            raise ValueError(f"{self.path.name}: {count} rows come as {len(pieces)} pieces, not one piece each")
        first = self.next_id
        ids = [b"%d," % line_id for line_id in range(first, first + count)]
        self._file.write(b"".join([part for pair in zip(ids, pieces, strict=True) for part in pair]))
        self.lines += count
        self.next_id += count

    def write_column(self, column: pa.ChunkedArray | pa.Array) -> None:
        ids = pa.array(np.arange(self.next_id, self.next_id + len(column))).cast(pa.large_string())
        super().write_column(pc.binary_join_element_wise(ids, column, _EMPTY))
        self.next_id += len(column)


def open_writer(fmt: str, path: str | os.PathLike[str], *, service: str, log_format: LogFormat | None = None,
                csv_rows: StructuredRows | str | None = None, first_line_id: int = 1) -> EventWriter:
    """The writer of format ``fmt`` on ``path``. ``service`` names the OpenTelemetry resource of events without a
    component; ``log_format`` renders ``raw`` lines from records; ``csv_rows`` is the structured CSV's row maker
    (or, for rows only given already rendered, its header line)."""
    if fmt == "jsonl":
        return JsonlWriter(path)
    if fmt == "raw":
        return RawWriter(path, log_format)
    if fmt == "csv":
        if csv_rows is None:
            raise ValueError("a structured CSV writer needs its header (csv_rows)")
        return CsvWriter(path, csv_rows, first_line_id)
    if fmt == "parquet":
        return EventParquetWriter(path)
    if fmt == "otel":
        return OtelFileWriter(path, service)
    raise InputError(f"unknown format {fmt!r} (known: {', '.join(FILE_NAMES)})", field="--formats")
