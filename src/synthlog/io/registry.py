"""File formats registered by name, so a CLI ``--format`` and a data set directory find readers the same way.

Each format reads and writes one kind of thing: ``events`` (log lines), ``sessions``, ``templates`` or
``labels``; ``patterns`` are the file-name globs by which a data set directory is recognised.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

from synthlog.errors import InputError
from synthlog.io import jsonl, loghub, parquet, sequences
from synthlog.io.logformat import detect_format, read_raw, write_raw


@dataclass(frozen=True)
class FileFormat:
    name: str
    kind: str  # "events" | "sessions" | "templates" | "labels"
    read: Callable[..., Any]
    write: Callable[..., Any]
    patterns: tuple[str, ...]
    description: str


FORMATS: dict[str, FileFormat] = {}


def register(fmt: FileFormat) -> FileFormat:
    """Add a format (a later registration under the same name replaces the earlier one)."""
    FORMATS[fmt.name] = fmt
    return fmt


def get(name: str) -> FileFormat:
    try:
        return FORMATS[name]
    except KeyError:
        raise InputError(f"unknown file format {name!r} (known: {', '.join(FORMATS)})") from None


def detect(path: str | Path) -> FileFormat | None:
    """The format whose file-name pattern matches ``path`` (first registered wins), or ``None``."""
    name = Path(path).name
    return next((f for f in FORMATS.values() if any(fnmatch(name, p) for p in f.patterns)), None)


def _read_raw(path, log_format=None):
    return read_raw(path, log_format if log_format is not None else detect_format(path))


for _fmt in (
    FileFormat("structured", "events", loghub.read_structured, loghub.write_structured,
               ("*_structured*.csv",), "Loghub LineId,<headers>,EventId,EventTemplate"),
    FileFormat("templates", "templates", loghub.read_templates, loghub.write_templates,
               ("*templates*.csv",), "EventId,EventTemplate[,Occurrences] or one template per line"),
    FileFormat("labels", "labels", loghub.read_labels, loghub.write_labels,
               ("*label*.csv",), "BlockId,Label (Normal/Anomaly)"),
    FileFormat("sequences", "sessions", sequences.read_sequences, sequences.write_sequences,
               ("*.sequences", "*_train", "*_test_*"), "SessionId,<space-separated event ids> or ids only"),
    FileFormat("jsonl", "sessions", jsonl.read_jsonl, jsonl.write_jsonl, ("*.jsonl",),
               "one session per line with its events"),
    FileFormat("parquet", "sessions", parquet.read_parquet, parquet.write_parquet, ("*.parquet",),
               "one row per event, sessions consecutive"),
    FileFormat("raw", "events", _read_raw, write_raw, ("*.log",), "raw lines of a Loghub-style format string"),
):
    register(_fmt)
