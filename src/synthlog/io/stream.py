"""A data set directory written as a stream: events line by line in the order given, sessions one at a time.

For data sets too large to hold in memory. Events go to ``NAME.log`` (raw lines of the log format),
``NAME.log_structured.csv`` and ``NAME.jsonl`` (one event per line, its session in ``attributes.session``) in
the order they are written: a time-ordered merge (:mod:`synthlog.synth.timeline`) gives them in time order.
An event is first :meth:`DatasetStream.render`-ed to its three lines, which a merge can hold compactly, then
written; ``LineId`` counts events in written order. Sessions go to ``anomaly_label.csv`` and ``NAME.sequences``
as they are finished; templates (with their counts) and metadata are written by :meth:`DatasetStream.finish`.

Files are created in ``folder`` directly: give a staging folder (:func:`synthlog.io.atomic.atomic_directory`)
so the set appears whole or not at all. Files :func:`~synthlog.io.datasets.load_directory` reads back.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

from synthlog.errors import InputError
from synthlog.io.jsonl import event_line
from synthlog.io.logformat import LogFormat
from synthlog.io.loghub import StructuredRows, write_templates
from synthlog.io.sequences import sequence_line
from synthlog.records import LogEvent, Session, Template, label_to_word

_BUFFER = 1 << 20

Rendered = tuple[str, str, str]  # raw line, structured row after "LineId,", JSON line; each with its line break


class DatasetStream:
    """Open the files of data set ``name`` in ``folder``; write events and sessions; :meth:`finish`; close."""

    def __init__(self, folder: Path, name: str, log_format: LogFormat, templates: dict[str, Template]):
        self.folder, self.name, self.log_format = Path(folder), name, log_format
        self.names = {"raw": f"{name}.log", "structured": f"{name}.log_structured.csv",
                      "templates": f"{name}.log_templates.csv", "labels": "anomaly_label.csv",
                      "sequences": f"{name}.sequences", "jsonl": f"{name}.jsonl",
                      "metadata": f"{name}.metadata.json"}
        self._rows = StructuredRows(log_format.headers, templates)
        self._files: list[IO[str]] = []
        self._raw = self._open("raw")
        self._structured = self._open("structured")
        self._jsonl = self._open("jsonl")
        self._labels = self._open("labels")
        self._sequences = self._open("sequences")
        self._structured.write(self._rows.header)
        self._labels.write("BlockId,Label\n")
        self.events = 0
        self.sessions = 0

    def _open(self, role: str) -> IO[str]:
        # open for the stream's lifetime, closed by close(): writes interleave across the files
        fh = open(self.folder / self.names[role], "w", encoding="utf-8", newline="\n", buffering=_BUFFER)  # noqa: SIM115
        self._files.append(fh)
        return fh

    def render(self, event: LogEvent, session_id: str) -> Rendered:
        """The event's raw line, structured row (after ``LineId,``) and JSON line."""
        return self.log_format.format(event) + "\n", self._rows.body(event), event_line(event, session_id)

    def write_event(self, rendered: Rendered) -> None:
        raw, row, line = rendered
        self.events += 1
        self._raw.write(raw)
        self._structured.write(f"{self.events},{row}")
        self._jsonl.write(line)

    def write_session(self, session: Session) -> None:
        """The session's label and event-id sequence (its events are written through :meth:`write_event`)."""
        where = self.folder / self.names["labels"]
        if not session.id or any(c in session.id for c in ',"\n\r'):
            raise InputError(f"session id {session.id!r} cannot be written to a label file", path=where)
        try:
            word = label_to_word(session.label)
        except ValueError as exc:
            raise InputError(f"session {session.id!r}: {exc}", path=where) from None
        self._labels.write(f"{session.id},{word}\n")
        self._sequences.write(sequence_line(session, self.folder / self.names["sequences"]))
        self.sessions += 1

    def finish(self, templates: dict[str, Template], metadata: dict[str, Any]) -> dict[str, Path]:
        """Write the templates and the metadata, close every file; returns the paths by role."""
        self.close()
        write_templates(self.folder / self.names["templates"], templates)
        with open(self.folder / self.names["metadata"], "w", encoding="utf-8") as fh:
            json.dump({"name": self.name, "metadata": metadata}, fh, indent=2, sort_keys=True, default=str)
            fh.write("\n")
        return {role: self.folder / file for role, file in self.names.items()}

    def close(self) -> None:
        for fh in self._files:
            fh.close()

    def __enter__(self) -> DatasetStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

