"""Sessions (with their events) or events as JSON Lines: one JSON object per line, streamed both ways.

An events file holds one event per line; an event names its session in ``attributes.session`` when the file
comes from a time-ordered stream (``synthlog generate code``), and :func:`read_event_sessions` groups them back.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from synthlog.errors import InputError
from synthlog.io.atomic import atomic_open
from synthlog.io.text import PathLike, iter_lines
from synthlog.records import ANOMALY, NORMAL, US, LogEvent, Session, micros_of

# Event attributes written when set, with the JSON types accepted on reading.
_EVENT_FIELDS: dict[str, tuple[type, ...]] = {
    "content": (str,), "timestamp": (int, float), "level": (str,), "component": (str,), "template_id": (str,),
    "parameters": (list,), "label": (int,), "label_rule": (str,), "line_id": (int,), "fields": (dict,),
    "attributes": (dict,),
}
SESSION_KEY = "session"  # attributes key of an event's session in an events file
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode  # built once, not per line


def _unencodable(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _line_encoder() -> Callable[[Any], str]:
    """``_ENCODE`` without the encoder object ``json`` builds on every call (the hot loop of writing events);
    records are trees, so the check for cycles is left out."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return _ENCODE
    encoder = make(None, _unencodable, json.encoder.encode_basestring, None, ":", ",", False, False, True)
    return lambda record: "".join(encoder(record, 0))


_encode_line = _line_encoder()


def event_to_dict(event: LogEvent) -> dict[str, Any]:
    """A JSON-ready dict of the event; attributes that are unset (``None`` or empty) are left out."""
    # unrolled over _EVENT_FIELDS, in their order: the hot loop of writing events
    out: dict[str, Any] = {"content": event.content}
    micros = event.timestamp  # written as epoch seconds: whole microseconds print at most 6 decimals
    seconds = None if micros is None else micros / US
    for name, value in (("timestamp", seconds), ("level", event.level), ("component", event.component),
                        ("template_id", event.template_id), ("parameters", event.parameters),
                        ("label", event.label), ("label_rule", event.label_rule), ("line_id", event.line_id),
                        ("fields", event.fields), ("attributes", event.attributes)):
        if value is not None and value != [] and value != {}:
            out[name] = value
    return out


def event_from_dict(data: Any, where: str = "event") -> LogEvent:
    """The :class:`LogEvent` of a dict made by :func:`event_to_dict`; raises ``ValueError`` naming a bad key."""
    if not isinstance(data, dict):
        raise ValueError(f"{where} is not a JSON object")
    unknown = sorted(set(data) - set(_EVENT_FIELDS))
    if unknown:
        raise ValueError(f"{where} has unknown key {unknown[0]!r}")
    for name, value in data.items():
        types = _EVENT_FIELDS[name]
        if not isinstance(value, types) or isinstance(value, bool):
            raise ValueError(f"{where}.{name} has the wrong type ({type(value).__name__})")
    if not _is_label(data.get("label")):
        raise ValueError(f"{where}.label must be 0, 1 or absent")
    event = LogEvent(content=data.get("content", ""))
    for name, value in data.items():
        setattr(event, name, micros_of(value) if name == "timestamp" else value)
    return event


def _is_label(value: Any) -> bool:
    return value is None or (type(value) is int and value in (NORMAL, ANOMALY))


def session_to_dict(session: Session) -> dict[str, Any]:
    out: dict[str, Any] = {"id": session.id}
    if session.label is not None:
        out["label"] = session.label
    if session.label_rule is not None:
        out["label_rule"] = session.label_rule
    if session.attributes:
        out["attributes"] = session.attributes
    out["events"] = [event_to_dict(e) for e in session.events]
    return out


def session_from_dict(data: Any) -> Session:
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise ValueError("expected a JSON object with a string 'id'")
    label = data.get("label")
    if not _is_label(label):
        raise ValueError("label must be 0, 1 or absent")
    if not isinstance(data.get("label_rule"), str | None):
        raise ValueError("label_rule must be a string or absent")
    if not isinstance(data.get("attributes"), dict | None):
        raise ValueError("attributes must be a JSON object or absent")
    events = data.get("events", [])
    if not isinstance(events, list):
        raise ValueError("events must be a list")
    return Session(id=data["id"], label=label, label_rule=data.get("label_rule"),
                   attributes=dict(data.get("attributes") or {}),
                   events=[event_from_dict(e, f"events[{i}]") for i, e in enumerate(events)])


def write_jsonl(path: PathLike, sessions: Iterable[Session]) -> int:
    """Write one session per line atomically; returns the number of sessions."""
    return _write(path, map(session_to_dict, sessions))


def read_jsonl(path: PathLike) -> Iterator[Session]:
    """Stream the sessions of a JSON Lines file written by :func:`write_jsonl` (blank lines are skipped)."""
    return _read(path, session_from_dict, "session")


def write_events_jsonl(path: PathLike, events: Iterable[LogEvent]) -> int:
    """Write one event per line atomically; returns the number of events."""
    return _write(path, map(event_to_dict, events))


def read_events_jsonl(path: PathLike) -> Iterator[LogEvent]:
    """Stream the events of a JSON Lines file written by :func:`write_events_jsonl`."""
    return _read(path, event_from_dict, "event")


def event_line(event: LogEvent, session_id: str | None = None) -> str:
    """The event's line of an events file (with its line break), naming ``session_id`` in its attributes."""
    record = event_to_dict(event)
    if session_id is not None:
        record["attributes"] = {**event.attributes, SESSION_KEY: session_id}
    return _encode_line(record) + "\n"


def event_lines(events: list[LogEvent], session_id: str | None = None) -> list[str]:
    """:func:`event_line` of each event: the same text, written here for events of plain values (strings, whole
    numbers: the hot loop of writing events) and by the encoder for any other."""
    session = None if session_id is None else _escape(session_id)
    out = []
    for event in events:
        try:
            line = _plain_line(event, session)
        except TypeError:  # a value that is not a string where one is expected
            line = None
        out.append(event_line(event, session_id) if line is None else line)
    return out


_escape = json.encoder.encode_basestring  # a string as the encoder writes it (ensure_ascii=False)
_SESSION_ITEM = _escape(SESSION_KEY) + ":"
_HEADS: dict[tuple, str] = {}  # (level, component, template id) -> their text in a record


def _plain_line(event: LogEvent, session: str | None) -> str | None:
    """The event's line as :func:`event_line` writes it, ``session`` (its id as JSON text) added to its attributes;
    ``None`` for an event with a value of another type (then the encoder writes it)."""
    micros, attributes = event.timestamp, event.attributes
    if type(micros) is not int or type(event.content) is not str or type(attributes) is not dict or \
            (session is not None and SESSION_KEY in attributes):
        return None
    key = (event.level, event.component, event.template_id)
    head = _HEADS.get(key)
    if head is None:
        if not all(type(value) is str for value in key):
            return None
        level, component, template_id = map(_escape, key)
        head = f',"level":{level},"component":{component},"template_id":{template_id}'
        if len(_HEADS) < 1 << 16:  # bounded for logs of endless components: beyond it slower, never wrong
            _HEADS[key] = head
    parts = ['{"content":', _escape(event.content), ',"timestamp":', float.__repr__(micros / US), head]
    parameters, label, rule, line_id, fields = (event.parameters, event.label, event.label_rule, event.line_id,
                                               event.fields)
    if parameters is not None and parameters != []:
        if type(parameters) is not list:
            return None
        parts += (',"parameters":[', ",".join(map(_escape, parameters)), "]")
    if label is not None:
        if type(label) is not int:
            return None
        parts += (',"label":', int.__repr__(label))
    if rule is not None:
        parts += (',"label_rule":', _escape(rule))
    if line_id is not None:
        if type(line_id) is not int:
            return None
        parts += (',"line_id":', int.__repr__(line_id))
    if fields is not None and fields != {}:
        if type(fields) is not dict:
            return None
        parts += (',"fields":{', ",".join([_escape(k) + ":" + _escape(v) for k, v in fields.items()]), "}")
    items = []
    for name, value in attributes.items():
        kind = type(value)
        if kind is str:
            items.append(_escape(name) + ":" + _escape(value))
        elif kind is int:
            items.append(_escape(name) + ":" + int.__repr__(value))
        else:
            return None
    if session is not None:
        items.append(_SESSION_ITEM + session)
    if items:
        parts += (',"attributes":{', ",".join(items), "}")
    parts.append("}\n")
    return "".join(parts)


def is_event_record(line: str) -> bool:
    """Whether a JSON line is an event (``content``, no session ``id``) rather than a session."""
    try:
        record = json.loads(line)
    except ValueError:
        return False
    return isinstance(record, dict) and "content" in record and "id" not in record


def read_event_sessions(path: PathLike) -> list[Session]:
    """The sessions of an events file, each event in the session its ``attributes.session`` names, sessions in
    order of their first event; an event that names none (a simulated background line) is a session of its own,
    ``line-N`` after its line number; a session that is not a string is an error naming its line. An event
    without a ``line_id`` takes its line number (generators write events, raw lines and CSV rows in one order)."""
    sessions: dict[str, Session] = {}
    for number, line in iter_lines(Path(path), max_line_bytes=64 << 20):
        if not line.strip():
            continue
        try:
            event = event_from_dict(json.loads(line))
        except ValueError as exc:
            raise InputError(f"bad event record: {exc}", path=path, line=number) from None
        key = event.attributes.get(SESSION_KEY, f"line-{number}")
        if not isinstance(key, str):
            raise InputError(f"event has no string attributes.{SESSION_KEY}", path=path, line=number)
        if event.line_id is None:  # the line of the raw log and structured CSV written in the same order
            event.line_id = number
        session = sessions.get(key)
        if session is None:
            session = sessions[key] = Session(id=key)
        session.events.append(event)
    return list(sessions.values())


def _write(path: PathLike, records: Iterable[dict[str, Any]]) -> int:
    count = 0
    with atomic_open(path, "w", newline="\n") as fh:
        for record in records:
            count += 1
            fh.write(_encode_line(record))
            fh.write("\n")
    return count


def _read(path: PathLike, build: Callable[[Any], Any], kind: str) -> Iterator[Any]:
    for number, line in iter_lines(Path(path), max_line_bytes=64 << 20):
        if not line.strip():
            continue
        try:
            yield build(json.loads(line))
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            raise InputError(f"bad {kind} record: {exc}", path=path, line=number) from None
