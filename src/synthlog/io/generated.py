"""Reader of the data set folders ``synthlog generate stats`` writes: the simulator's ``events.jsonl`` (session id
from its context, anomaly type, error type) zipped line by line with its structured CSV (template ids) and templates
CSV, as one :class:`~synthlog.records.LabeledDataset`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from synthlog.errors import InputError
from synthlog.io.inputs import is_file_like
from synthlog.io.loghub import read_structured, read_templates
from synthlog.io.text import iter_lines
from synthlog.records import ANOMALY, NORMAL, LabeledDataset, LogEvent, Session


def load_generated(directory: str | Path) -> LabeledDataset:
    """A data set written by ``synthlog generate stats``: one session per request or entity, in first-seen order,
    anomalous when one of its lines carries an anomaly episode (as the simulator's anomaly_label.csv says)."""
    folder = Path(directory)
    jsonl = folder / "events.jsonl"
    structured = sorted(folder.glob("*.log_structured.csv"))
    template_files = sorted(folder.glob("*.log_templates.csv"))
    if not is_file_like(jsonl) or len(structured) != 1 or len(template_files) != 1:
        raise InputError("not a generated data set (needs events.jsonl, one *.log_structured.csv and one "
                         "*.log_templates.csv)", path=folder)
    templates = read_templates(template_files[0])
    sessions: dict[str, Session] = {}
    rows = read_structured(structured[0])
    for number, line in iter_lines(jsonl):
        try:
            data = json.loads(line)
            row = next(rows)
        except (json.JSONDecodeError, StopIteration):
            raise InputError("line does not match the structured CSV or is not JSON", path=jsonl,
                             line=number) from None
        problem = event_problem(data)
        if problem is not None:
            raise InputError(problem, path=jsonl, line=number)
        context = data.get("context") or {}
        owner = next(iter(context.values()), f"line-{number}")
        anomaly = data.get("anomaly") or {}
        attributes: dict[str, Any] = {"error_type": data.get("error_type")}
        if anomaly:
            attributes["anomaly"] = anomaly.get("type")
        event = LogEvent(content=data.get("message", ""), timestamp=row.timestamp, level=data.get("level"),
                         component=data.get("service"), template_id=row.template_id, line_id=row.line_id,
                         attributes=attributes)
        session = sessions.get(owner)
        if session is None:
            session = sessions[owner] = Session(id=owner)
        session.events.append(event)
    if next(rows, None) is not None:
        raise InputError(f"has more lines than {jsonl.name}", path=structured[0])
    for session in sessions.values():  # the simulator labels a session anomalous when a line carries an episode
        session.label = ANOMALY if any(e.attributes.get("anomaly") for e in session.events) else NORMAL
    return LabeledDataset(name=folder.name, sessions=list(sessions.values()), templates=templates,
                          metadata={"source": str(folder)})


def event_problem(data: Any) -> str | None:
    """What is wrong with one record of a generated events.jsonl (None when nothing is)."""
    if not isinstance(data, dict):
        return "an event line is a JSON object"
    for key in ("message", "service", "level", "error_type"):
        if data.get(key) is not None and not isinstance(data[key], str):
            return f"bad event: {key} must be a string or null"
    for key in ("context", "anomaly"):
        part = data.get(key)
        if part is None:
            continue
        if not isinstance(part, dict):
            return f"bad event: {key} must be a JSON object or null"
        for name, value in part.items():
            if value is not None and (isinstance(value, bool) or not isinstance(value, str | int | float)):
                return f"bad event: {key}.{name} must be a string or a number"
    return None
