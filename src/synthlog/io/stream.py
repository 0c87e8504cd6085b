"""A data set directory written as a stream: events line by line in the order given, sessions one at a time.

For data sets too large to hold in memory. Events go through the writers of :mod:`synthlog.io.writers`:
``NAME.log`` (raw lines of the log format), ``NAME.log_structured.csv``, ``NAME.jsonl`` (one event per line, its
session in ``attributes.session``) and the event files asked for (``parquet``, ``otel``), in the order they are
written: a time-ordered merge (:mod:`synthlog.synth.timeline`) gives them in time order. Events are first
:meth:`DatasetStream.render`-ed to their three lines, which a merge can hold compactly, then written; or, for the
three line formats alone, rendered by chunks of sessions (:meth:`LineRenderer.extend`), :func:`pack`-ed into one
UTF-8 ``bytes`` per format and written from pieces of it (:meth:`DatasetStream.write_packed`). ``LineId`` counts
events in written order. With ``shard_lines`` every format is a folder of part files of that many lines
(:mod:`synthlog.io.partfiles`). Sessions go to ``anomaly_label.csv`` and ``NAME.sequences`` as they are
finished; templates (with their counts) and metadata are written by :meth:`DatasetStream.finish`.

Files are created in ``folder`` directly: give a staging folder (:func:`synthlog.io.atomic.atomic_directory`)
so the set appears whole or not at all. Files :func:`~synthlog.io.datasets.load_directory` reads back.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any, NamedTuple

import numpy as np

from synthlog.errors import InputError
from synthlog.io.jsonl import event_lines
from synthlog.io.logformat import LogFormat
from synthlog.io.loghub import StructuredRows, write_templates
from synthlog.io.partfiles import PartFile, finished_part, part_name, write_part_manifest
from synthlog.io.sequences import sequence_line
from synthlog.io.writers import EVENT_FORMATS, LINE_FORMATS, EventWriter, file_name, open_writer
from synthlog.records import LogEvent, Session, Template, label_to_word

_BUFFER = 1 << 20
_BATCH = 1024  # lines written per call

# raw line, structured row after "LineId,", JSON line (each with its line break); then, when event files or part
# files are written, the event and its session id
Rendered = tuple


class LineRenderer:
    """Each event's raw line, structured row (after ``LineId,``) and JSON line, and with ``carries_events`` the
    event and its session id too (:meth:`DatasetStream.render`); apart from the files, so that worker processes
    can render what they make."""

    def __init__(self, log_format: LogFormat, templates: dict[str, Template], carries_events: bool = False):
        self.log_format, self.carries_events = log_format, carries_events
        self.rows = StructuredRows(log_format.headers, templates)
        # a layout that renders lines its own way (padding, conversion patterns) writes them itself
        self.plain = log_format.joins_values

    def extend(self, columns: tuple[list[str], list[str], list[str]], events: list[LogEvent], session_id: str) -> None:
        """Append each event's raw line, structured row and JSON line to ``columns`` (a list per format)."""
        fmt, row = self.log_format, self.rows.row
        raws, rows, jsons = columns
        values = fmt.values_of(events)  # the structured columns are the format's headers, in its order
        raws += [line + "\n" for line in (fmt.joins(values, events) if self.plain else fmt.lines(events))]
        rows += [row(one, event.template_id) for one, event in zip(values, events, strict=True)]
        jsons += event_lines(events, session_id)

    def __call__(self, events: list[LogEvent], session_id: str) -> list[Rendered]:
        """The events' lines as rows (raw, structured, JSON; with ``carries_events`` also the event and session)."""
        columns: tuple[list[str], list[str], list[str]] = ([], [], [])
        self.extend(columns, events, session_id)
        if self.carries_events:
            return list(zip(*columns, events, itertools.repeat(session_id, len(events)), strict=True))
        return list(zip(*columns, strict=True))


PER_LINE = (1,)  # the formats of a packed release given line by line: the structured rows (see write_packed)


class Packed(NamedTuple):
    """Lines packed for shipping: their UTF-8 bytes one after another and the ``bounds`` of each (numpy int64
    offsets, one more than the lines): line ``i`` is ``data[bounds[i]:bounds[i + 1]]``."""

    data: bytes
    bounds: np.ndarray


def pack(lines: list[str]) -> Packed:
    """``lines`` as one :class:`Packed` (one join and one encoding for all of them)."""
    text = "".join(lines)
    data = text.encode()
    if len(data) != len(text):  # some line is not ASCII: its bytes are not its characters
        encoded = [line.encode() for line in lines]
        data, lengths = b"".join(encoded), map(len, encoded)
    else:
        lengths = map(len, lines)
    bounds = np.zeros(len(lines) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(lengths, dtype=np.int64, count=len(lines)), out=bounds[1:])
    return Packed(data, bounds)


class DatasetStream:
    """Open the files of data set ``name`` in ``folder``; write events and sessions; :meth:`finish`; close."""

    def __init__(self, folder: Path, name: str, log_format: LogFormat, templates: dict[str, Template],
                 formats: tuple[str, ...] = (), shard_lines: int | None = None):
        self.folder, self.name, self.log_format = Path(folder), name, log_format
        self.formats = (*LINE_FORMATS, *(f for f in EVENT_FORMATS if f in formats))
        self.shard_lines = shard_lines
        self.names = {"templates": f"{name}.log_templates.csv", "labels": "anomaly_label.csv",
                      "sequences": f"{name}.sequences", "metadata": f"{name}.metadata.json"}
        self.names.update({fmt: file_name(name, fmt) for fmt in self.formats})
        # the merge carries each event along when a writer needs the record or its time
        self.carries_events = len(self.formats) > len(LINE_FORMATS) or shard_lines is not None
        # events -> their rendered lines (see write_events)
        self.render = LineRenderer(log_format, templates, self.carries_events)
        self._rows = self.render.rows
        self.parts: list[PartFile] = []
        self._part, self._part_lines, self._part_times = 0, 0, [None, None]
        self._writers: dict[str, EventWriter] = {}
        self.events = 0
        self.sessions = 0
        if shard_lines is not None:
            for fmt in self.formats:
                (self.folder / self.names[fmt]).mkdir()
        self._open_writers()
        self._files: list[IO[str]] = []
        self._labels = self._open("labels")
        self._sequences = self._open("sequences")
        self._labels.write("BlockId,Label\n")

    def _open(self, role: str) -> IO[str]:
        # open for the stream's lifetime, closed by close(): writes interleave across the files
        fh = open(self.folder / self.names[role], "w", encoding="utf-8", newline="\n", buffering=_BUFFER)  # noqa: SIM115
        self._files.append(fh)
        return fh

    def _path(self, fmt: str) -> Path:
        if self.shard_lines is None:
            return self.folder / self.names[fmt]
        return self.folder / self.names[fmt] / part_name(self._part, fmt)

    def _open_writers(self) -> None:
        self._writers = {fmt: open_writer(fmt, self._path(fmt), service=self.name, log_format=self.log_format,
                                          csv_rows=self._rows, first_line_id=self.events + 1)
                         for fmt in self.formats}

    def write_events(self, rendered: Iterable[Rendered]) -> None:
        """Write rendered events in the order given; ``LineId`` goes on counting."""
        # one write per file for every batch of lines (the hot loop of the stream); batches stay small, so the
        # last release, which may hold every open session's lines, costs no extra memory
        batch: list[Rendered] = []
        room = self._room()
        for item in rendered:
            batch.append(item)
            if len(batch) == room:
                self._write_batch(batch)
                batch = []
                room = self._room()
        self._write_batch(batch)

    def write_packed(self, count: int, columns: list[list[bytes]]) -> None:
        """Write ``count`` encoded lines, per line format (raw, structured rows after ``LineId,``, JSON) in pieces
        of whole lines, the structured rows one per line (:data:`PER_LINE`: they take their ``LineId`` here),
        as :meth:`synthlog.synth.timeline.PackedMerge.release` gives them; only without event files and part files
        (``carries_events`` false)."""
        if not count:
            return
        raws, rows, jsons = columns
        writers = self._writers
        writers["raw"].write_encoded(raws, count)
        writers["csv"].write_encoded(rows, count)
        writers["jsonl"].write_encoded(jsons, count)
        self.events += count

    def _room(self) -> int:
        """Lines the next batch may hold: a batch never crosses the end of a part."""
        return _BATCH if self.shard_lines is None else min(_BATCH, self.shard_lines - self._part_lines)

    def _write_batch(self, batch: list[Rendered]) -> None:
        if not batch:
            return
        writers = self._writers
        raw, csv, jsonl = writers["raw"], writers["csv"], writers["jsonl"]
        raw.write_lines([item[0] for item in batch])
        csv.write_lines([item[1] for item in batch])
        jsonl.write_lines([item[2] for item in batch])
        event_writers = [w for fmt, w in writers.items() if fmt not in LINE_FORMATS]
        for item in batch if event_writers else ():
            for writer in event_writers:
                writer.send(item[3], item[4])
        self.events += len(batch)
        if self.shard_lines is not None:
            times = [item[3].timestamp for item in batch if item[3].timestamp is not None]
            if times:
                self._part_times = [self._part_times[0] if self._part_times[0] is not None else times[0], times[-1]]
            self._part_lines += len(batch)
            if self._part_lines == self.shard_lines:
                self._next_part(open_another=True)

    def _next_part(self, open_another: bool) -> None:
        for writer in self._writers.values():
            writer.close()
        first, last = self._part_times
        self.parts += [finished_part(self._path(fmt), self._part_lines, first, last) for fmt in self.formats]
        self._part, self._part_lines, self._part_times = self._part + 1, 0, [None, None]
        self._writers = {}
        if open_another:
            self._open_writers()

    def write_session(self, session: Session) -> None:
        """The session's label and event-id sequence (its events are written through :meth:`write_events`)."""
        sid = session.id  # four tests, not a generator: once per session of a long write
        if not sid or "," in sid or '"' in sid or "\n" in sid or "\r" in sid:
            raise InputError(f"session id {session.id!r} cannot be written to a label file", path=self._labels.name)
        try:
            word = label_to_word(session.label)
        except ValueError as exc:
            raise InputError(f"session {session.id!r}: {exc}", path=self._labels.name) from None
        self._labels.write(f"{session.id},{word}\n")
        self._sequences.write(sequence_line(session, self._sequences.name))
        self.sessions += 1

    def finish(self, templates: dict[str, Template], metadata: dict[str, Any]) -> dict[str, Path]:
        """Write the templates and the metadata (and the parts' manifest entry), close every file; returns the
        paths by role."""
        if self.shard_lines is not None and (self._part_lines or not self.parts):
            self._next_part(open_another=False)  # the last part (an empty run has one empty part)
        self.close()
        write_templates(self.folder / self.names["templates"], templates)
        with open(self.folder / self.names["metadata"], "w", encoding="utf-8") as fh:
            json.dump({"name": self.name, "metadata": metadata}, fh, indent=2, sort_keys=True, default=str)
            fh.write("\n")
        if self.shard_lines is not None:
            write_part_manifest(self.folder, self.parts)
        # the structured CSV's role is named ``structured`` (summary.json's file list), as for data set readers
        return {("structured" if role == "csv" else role): self.folder / file for role, file in self.names.items()}

    def close(self) -> None:
        for writer in self._writers.values():
            writer.close()
        for fh in self._files:
            fh.close()

    def __enter__(self) -> DatasetStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
