"""Log events as OpenTelemetry log records (the OTLP/JSON encoding of the OpenTelemetry log data model).

A record carries the data model's fields: ``timeUnixNano`` (Timestamp), ``severityText`` / ``severityNumber``,
``body`` (the message), ``attributes`` (template id, label, session, parameters, header fields) and, one level up, the
``resource`` (``service.name``: the event's component, else the data set's name). :func:`export_request` groups
records by resource into one ``ExportLogsServiceRequest``, the JSON an OTLP/HTTP collector accepts at ``/v1/logs`` and
what the OpenTelemetry Collector's file exporter writes one per line (the ``otel`` file format, which
:class:`OtelFileWriter` writes for both generators).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from synthlog.records import LogEvent, label_to_word

SCOPE = {"name": "synthlog"}
# SeverityNumber ranges of the data model: TRACE 1-4, DEBUG 5-8, INFO 9-12, WARN 13-16, ERROR 17-20, FATAL 21-24
SEVERITY = {"TRACE": 1, "DEBUG": 5, "INFO": 9, "NOTICE": 10, "WARN": 13, "WARNING": 13, "ERROR": 17, "SEVERE": 17,
            "CRITICAL": 21, "FATAL": 21}


def _value(value: Any) -> dict[str, Any]:
    """An OTLP ``AnyValue``."""
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}  # OTLP/JSON writes 64-bit integers as strings
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, list | tuple):
        return {"arrayValue": {"values": [_value(v) for v in value]}}
    if isinstance(value, dict):
        return {"kvlistValue": {"values": _attributes(value)}}
    return {"stringValue": "" if value is None else str(value)}


def _attributes(values: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"key": str(k), "value": _value(v)} for k, v in values.items() if v is not None]


def log_record(event: LogEvent, session_id: str | None = None) -> dict[str, Any]:
    """One ``LogRecord`` of the event (its resource is added by :func:`export_request`)."""
    attributes: dict[str, Any] = {}
    if event.template_id is not None:
        attributes["log.template.id"] = event.template_id
    if session_id is not None:
        attributes["session.id"] = session_id
    if event.label is not None:
        attributes["synthlog.label"] = label_to_word(event.label)
    if event.label_rule:
        attributes["synthlog.label_rule"] = event.label_rule
    if event.parameters:
        attributes["log.parameters"] = list(event.parameters)
    attributes.update({f"log.header.{k.lower()}": v for k, v in event.fields.items()})
    attributes.update({f"synthlog.{k}": v for k, v in event.attributes.items()})
    level = (event.level or "").upper()
    record: dict[str, Any] = {"body": {"stringValue": event.content}, "attributes": _attributes(attributes)}
    if event.timestamp is not None:
        record["timeUnixNano"] = str(event.timestamp * 1000)  # whole microseconds
    if level:
        record["severityText"] = level
        if level in SEVERITY:
            record["severityNumber"] = SEVERITY[level]
    return record


def export_request(events: Iterable[tuple[LogEvent, str | None]], default_service: str) -> dict[str, Any]:
    """An ``ExportLogsServiceRequest`` of ``(event, session id)`` pairs, one resource per service, in first-seen
    order (records keep their order within a resource)."""
    by_service: dict[str, list[dict[str, Any]]] = {}
    for event, session_id in events:
        by_service.setdefault(event.component or default_service, []).append(log_record(event, session_id))
    return {"resourceLogs": [
        {"resource": {"attributes": _attributes({"service.name": service})},
         "scopeLogs": [{"scope": SCOPE, "logRecords": records}]}
        for service, records in by_service.items()]}


def export_line(events: Iterable[tuple[LogEvent, str | None]], default_service: str) -> str:
    """:func:`export_request` as one compact JSON line (the ``otel`` file format has one request per line)."""
    return json.dumps(export_request(events, default_service), ensure_ascii=False, separators=(",", ":"))


class OtelFileWriter:
    """Events, each with its session id, to an ``otel`` file: one export request of up to ``batch`` records per line,
    in the order sent. The file is written where it is named: give a path in a staging folder to make it appear
    whole."""

    def __init__(self, path: str | Path, service: str, batch: int = 1000):
        self.service, self.batch = service, batch
        self._file = open(path, "w", encoding="utf-8", newline="\n")  # noqa: SIM115  (closed by close())
        self._pending: list[tuple[LogEvent, str | None]] = []
        self.events = 0

    def send(self, event: LogEvent, session_id: str | None) -> None:
        self._pending.append((event, session_id))
        if len(self._pending) >= self.batch:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            self._file.write(export_line(self._pending, self.service) + "\n")
            self.events += len(self._pending)
            self._pending = []

    def close(self) -> None:
        if not self._file.closed:
            self._flush()
            self._file.close()

    def __enter__(self) -> OtelFileWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
