"""The event files either generator adds to a data set folder on request (``--formats parquet,otel``): one writer
class per format, each taking ``(event, session id)`` records in time order through ``send`` and ``close``."""

from __future__ import annotations

from pathlib import Path

from synthlog.errors import InputError
from synthlog.io.otel import OtelFileWriter
from synthlog.io.parquet import EventParquetWriter

EVENT_FILES = {"parquet": "{name}.parquet", "otel": "{name}.otel.json"}  # format -> file name in the folder

EventWriter = EventParquetWriter | OtelFileWriter


def event_file(folder: str | Path, name: str, fmt: str) -> Path:
    """Where format ``fmt`` of data set ``name`` goes in ``folder``."""
    if fmt not in EVENT_FILES:
        raise InputError(f"unknown event file format {fmt!r} (known: {', '.join(EVENT_FILES)})", field="--formats")
    return Path(folder) / EVENT_FILES[fmt].format(name=name)


def open_event_writers(folder: str | Path, name: str, formats: tuple[str, ...], service: str) -> list[EventWriter]:
    """A writer for each of ``formats`` (``parquet``, ``otel``), files named by :data:`EVENT_FILES`; ``service``
    names the OpenTelemetry resource of events without a component."""
    writers: list[EventWriter] = []
    for fmt in formats:
        path = event_file(folder, name, fmt)
        writers.append(EventParquetWriter(path) if fmt == "parquet" else OtelFileWriter(path, service))
    return writers
