"""The simulator's run written into a folder: the writers of :mod:`synthlog.io.writers`, labels, windows, templates.

Lines arrive already rendered as Arrow large-string columns ending in a newline, so writing one block is a few
``write`` calls over the column's data buffer (:meth:`synthlog.io.writers.LineWriter.write_column`); the event
files (``parquet``, ``otel``) take the block's lines as event records. The run writes into a staging folder (see
:func:`synthlog.io.atomic.atomic_directory`) that is swapped in as a whole at the end.
"""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthlog.io.atomic import atomic_open
from synthlog.io.loghub import write_templates
from synthlog.io.writers import EventWriter, LineWriter, file_name, open_writer, write_column
from synthlog.records import Template
from synthlog.stats.compiled import US, CompiledSpec
from synthlog.stats.eventrecords import EventRecords
from synthlog.stats.sequencefile import SequenceFile
from synthlog.stats.shards import Block
from synthlog.stats.spec import SLOT

_NOTHING, _ANOMALY, _NORMAL = (pa.scalar(text, pa.large_string()) for text in ("", ",Anomaly\n", ",Normal\n"))
STRUCTURED_HEADER = "LineId,Date,Time,Level,Component,Content,EventId,EventTemplate\n"


class WindowLabels:
    """Labels per window of simulated time: window k is [k*width, (k+1)*width); ``Anomaly`` when any of its lines
    carries an anomaly. Windows are written as soon as a later line shows they are complete."""

    def __init__(self, handle: IO[bytes], width: int, start_us: int):
        self.handle, self.width, self.start_us = handle, width, start_us
        self.open = 0  # the window still receiving lines
        self.open_anomalous = False
        handle.write(b"WindowId,Start,Label\n")

    def add(self, time: np.ndarray, anomalous: np.ndarray) -> None:
        if not len(time):
            return
        windows = time // self.width
        last = int(windows[-1])
        flags = np.zeros(last - self.open + 1, dtype=bool)
        flags[windows[anomalous] - self.open] = True
        flags[0] |= self.open_anomalous
        self._write(self.open, flags[:-1])
        self.open, self.open_anomalous = last, bool(flags[-1])

    def close(self, end: int | None) -> None:
        """Write the open window and, up to ``end`` (the horizon), the empty windows after it."""
        count = max(-(-end // self.width) - self.open, 1) if end is not None else 1
        flags = np.zeros(count, dtype=bool)
        flags[0] = self.open_anomalous
        self._write(self.open, flags)

    def _write(self, first: int, flags: np.ndarray) -> None:
        base = datetime(1970, 1, 1, tzinfo=UTC)
        rows = []
        for k, flag in enumerate(flags.tolist(), start=first):
            start = base + timedelta(microseconds=self.start_us + k * self.width)
            rows.append(f"{k},{start:%Y-%m-%dT%H:%M:%S.%fZ},{'Anomaly' if flag else 'Normal'}\n")
        self.handle.write("".join(rows).encode())


class RunWriter:
    """Opens the run's files in ``out_dir`` and appends blocks to them; files appear only when the run ends."""

    def __init__(self, out_dir: str | Path, compiled: CompiledSpec, formats: tuple[str, ...],
                 label_window: int | None = None, horizon: int | None = None, event_formats: tuple[str, ...] = (),
                 metadata: dict[str, Any] | None = None):
        self.out_dir = Path(out_dir)
        self.label_window, self.horizon = label_window, horizon
        self.windows: WindowLabels | None = None
        self.compiled = compiled
        self.formats = formats
        self.lines = 0
        self.sessions = 0
        self.anomalous_sessions = 0
        self.anomalous_lines = 0
        self.occurrences = np.zeros(len(compiled.texts), dtype=np.int64)
        self._stack = contextlib.ExitStack()
        name = compiled.spec.name
        self.paths = {"labels": self.out_dir / "anomaly_label.csv", "windows": self.out_dir / "window_label.csv",
                      "templates": self.out_dir / f"{name}.log_templates.csv",
                      "sequences": self.out_dir / f"{name}.sequences",
                      "metadata": self.out_dir / f"{name}.metadata.json"}
        self.metadata = {"generator": "stats", "spec": name, **(metadata or {})}
        self._sequences: SequenceFile | None = None
        self.event_formats = event_formats
        self.paths.update({fmt: self.out_dir / file_name(name, fmt) for fmt in (*formats, *event_formats)})
        self._files: dict[str, IO[bytes]] = {}
        self._lines: list[LineWriter] = []
        self._records = EventRecords(compiled) if event_formats else None
        self._event_writers: list[EventWriter] = []

    def __enter__(self) -> RunWriter:
        self._files["labels"] = self._stack.enter_context(atomic_open(self.paths["labels"], "wb"))
        # written in place: the run's folder is a staging folder, swapped in whole at the end
        name = self.compiled.spec.name
        self._lines = [self._stack.enter_context(open_writer(fmt, self.paths[fmt], service=name,
                                                             csv_rows=STRUCTURED_HEADER))
                       for fmt in self.formats]
        self._event_writers = [self._stack.enter_context(open_writer(fmt, self.paths[fmt], service=name))
                               for fmt in self.event_formats]
        self._files["labels"].write(f"{self.compiled.spec.label_column},Label\n".encode())
        self._sequences = SequenceFile(self._stack.enter_context(atomic_open(self.paths["sequences"], "wb")),
                                       [event_id for _, event_id, _ in self.compiled.texts],
                                       str(self.paths["sequences"]))
        if self.label_window is not None:
            start = self.compiled.spec.start
            self.windows = WindowLabels(self._stack.enter_context(atomic_open(self.paths["windows"], "wb")),
                                        self.label_window, int(start.timestamp()) * US + start.microsecond)
        return self

    def write(self, block: Block) -> None:
        lines, owners = block.lines, block.owners
        for fmt, writer in zip(self.formats, self._lines, strict=True):
            writer.write_column(lines[fmt])
        if self._records is not None:
            for event, session_id in self._records.of_block(lines):
                for event_writer in self._event_writers:
                    event_writer.send(event, session_id)
        self._sequences.add(lines)
        self._sequences.settle(owners)
        words = pc.if_else(owners["anomalous"], _ANOMALY, _NORMAL)
        write_column(self._files["labels"], pc.binary_join_element_wise(owners["id"], words, _NOTHING))
        self.lines += len(lines)
        self.sessions += len(owners)
        self.anomalous_sessions += int(pc.sum(owners["anomalous"]).as_py() or 0)
        self.anomalous_lines += int(pc.sum(lines["episode"]).as_py() or 0)
        self.occurrences += np.bincount(lines["text"].to_numpy(), minlength=len(self.occurrences))
        if self.windows is not None:
            self.windows.add(lines["t"].to_numpy(), lines["episode"].to_numpy(zero_copy_only=False))

    def __exit__(self, *exc) -> None:
        try:
            if exc[0] is None:
                if self.windows is not None:
                    self.windows.close(self.horizon)
                messages = self.compiled.messages
                templates = [Template(id=event_id, text=SLOT.sub("<*>", wording), occurrences=int(n),
                                      level=messages[m].level)
                             for (m, event_id, wording), n in zip(self.compiled.texts, self.occurrences, strict=True)]
                write_templates(self.paths["templates"], templates)
                with atomic_open(self.paths["metadata"], "w") as fh:  # as the code path's (io/stream.py)
                    json.dump({"name": self.compiled.spec.name, "metadata": self.metadata}, fh, indent=2,
                              sort_keys=True, default=str)
                    fh.write("\n")
        finally:
            self._stack.__exit__(*exc)
