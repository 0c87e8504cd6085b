"""A data set directory written as a stream: events line by line in the order given, sessions one at a time.

For data sets too large to hold in memory. Events go to ``NAME.log`` (raw lines of the log format),
``NAME.log_structured.csv`` and ``NAME.jsonl`` (one event per line, its session in ``attributes.session``) in
the order they are written: a time-ordered merge (:mod:`synthlog.synth.timeline`) gives them in time order.
Events are first :meth:`DatasetStream.render`-ed to their three lines, which a merge can hold compactly, then
written; ``LineId`` counts events in written order. Sessions go to ``anomaly_label.csv`` and ``NAME.sequences``
as they are finished; templates (with their counts) and metadata are written by :meth:`DatasetStream.finish`.

Files are created in ``folder`` directly: give a staging folder (:func:`synthlog.io.atomic.atomic_directory`)
so the set appears whole or not at all. Files :func:`~synthlog.io.datasets.load_directory` reads back.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from synthlog.errors import InputError
from synthlog.io.jsonl import event_lines
from synthlog.io.logformat import LogFormat
from synthlog.io.loghub import StructuredRows, write_templates
from synthlog.io.sequences import sequence_line
from synthlog.records import LogEvent, Session, Template, label_to_word

_BUFFER = 1 << 20
_BATCH = 1024  # lines written per call

Rendered = tuple[str, str, str]  # raw line, structured row after "LineId,", JSON line; each with its line break


class LineRenderer:
    """Each event's raw line, structured row (after ``LineId,``) and JSON line (:meth:`DatasetStream.render`);
    apart from the files, so that worker processes can render what they make."""

    def __init__(self, log_format: LogFormat, templates: dict[str, Template]):
        self.log_format = log_format
        self.rows = StructuredRows(log_format.headers, templates)
        # a layout that renders lines its own way (padding, conversion patterns) writes them itself
        self.plain = type(log_format).format is LogFormat.format

    def __call__(self, events: list[LogEvent], session_id: str) -> list[Rendered]:
        fmt, row, plain = self.log_format, self.rows.row, self.plain
        out = []
        for event, line in zip(events, event_lines(events, session_id), strict=True):
            values = fmt.values(event)  # the structured columns are the format's headers, in its order
            raw = fmt.join(values, event) if plain else fmt.format(event)
            out.append((raw + "\n", row(values, event.template_id), line))
        return out


class DatasetStream:
    """Open the files of data set ``name`` in ``folder``; write events and sessions; :meth:`finish`; close."""

    def __init__(self, folder: Path, name: str, log_format: LogFormat, templates: dict[str, Template]):
        self.folder, self.name, self.log_format = Path(folder), name, log_format
        self.render = LineRenderer(log_format, templates)  # events -> their rendered lines (see write_events)
        self.names = {"raw": f"{name}.log", "structured": f"{name}.log_structured.csv",
                      "templates": f"{name}.log_templates.csv", "labels": "anomaly_label.csv",
                      "sequences": f"{name}.sequences", "jsonl": f"{name}.jsonl",
                      "metadata": f"{name}.metadata.json"}
        self._files: list[IO[str]] = []
        self._raw = self._open("raw")
        self._structured = self._open("structured")
        self._jsonl = self._open("jsonl")
        self._labels = self._open("labels")
        self._sequences = self._open("sequences")
        self._structured.write(self.render.rows.header)
        self._labels.write("BlockId,Label\n")
        self.events = 0
        self.sessions = 0

    def _open(self, role: str) -> IO[str]:
        # open for the stream's lifetime, closed by close(): writes interleave across the files
        fh = open(self.folder / self.names[role], "w", encoding="utf-8", newline="\n", buffering=_BUFFER)  # noqa: SIM115
        self._files.append(fh)
        return fh

    def write_events(self, rendered: Iterable[Rendered]) -> None:
        """Write rendered events in the order given; ``LineId`` goes on counting."""
        # one write per file for every batch of lines (the hot loop of the stream); batches stay small, so the
        # last release, which may hold every open session's lines, costs no extra memory
        raws, rows, lines = [], [], []
        count = self.events
        for raw, row, line in rendered:
            count += 1
            raws.append(raw)
            rows.append(f"{count},{row}")
            lines.append(line)
            if len(raws) == _BATCH:
                self._write_batch(raws, rows, lines)
                raws, rows, lines = [], [], []
        self.events = count
        self._write_batch(raws, rows, lines)

    def _write_batch(self, raws: list[str], rows: list[str], lines: list[str]) -> None:
        self._raw.write("".join(raws))
        self._structured.write("".join(rows))
        self._jsonl.write("".join(lines))

    def write_session(self, session: Session) -> None:
        """The session's label and event-id sequence (its events are written through :meth:`write_event`)."""
        if not session.id or any(c in session.id for c in ',"\n\r'):
            raise InputError(f"session id {session.id!r} cannot be written to a label file", path=self._labels.name)
        try:
            word = label_to_word(session.label)
        except ValueError as exc:
            raise InputError(f"session {session.id!r}: {exc}", path=self._labels.name) from None
        self._labels.write(f"{session.id},{word}\n")
        self._sequences.write(sequence_line(session, self._sequences.name))
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

