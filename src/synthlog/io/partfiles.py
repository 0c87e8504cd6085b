"""Part files (``--shard-lines N``): each format a folder named like its one file, holding ``part-00000.<ext>``, ...

Both generators write parts through the writers of :mod:`synthlog.io.writers`, opened on a part's path. Parts are
consecutive in time, so a line format's parts concatenated (less each CSV part's header) are the one file. Every
part is listed in the output manifest (``.synthlog-manifest.json``, key ``parts``) with its line count, sha256
and the times of its first and last line (UTC).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from synthlog.io.atomic import MANIFEST
from synthlog.io.writers import PART_EXTENSIONS

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class PartFile:
    """One written part: its output (``NAME.jsonl``), name, lines, sha256 and first/last line time (UTC)."""

    output: str
    name: str
    lines: int
    sha256: str
    first: str | None
    last: str | None


def part_name(part: int, fmt: str) -> str:
    return f"part-{part:05d}.{PART_EXTENSIONS[fmt]}"


def iso_micros(epoch_us: int) -> str:
    """``2024-01-01T00:00:00.000000Z`` for whole microseconds since the epoch."""
    return f"{_EPOCH + timedelta(microseconds=epoch_us):%Y-%m-%dT%H:%M:%S.%fZ}"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def finished_part(path: Path, lines: int, first_us: int | None, last_us: int | None) -> PartFile:
    """The manifest entry of a closed part file."""
    first = None if first_us is None else iso_micros(first_us)
    last = None if last_us is None else iso_micros(last_us)
    return PartFile(path.parent.name, path.name, lines, sha256_of(path), first, last)


def write_part_manifest(stage: Path, files: Iterable[PartFile]) -> None:
    """List the parts in the staging folder's manifest, which :func:`synthlog.io.atomic.atomic_directory` folds
    into the output manifest."""
    parts: dict[str, list[dict]] = {}
    for file in files:
        entry = asdict(file)
        parts.setdefault(entry.pop("output"), []).append(entry)
    with open(stage / MANIFEST, "w", encoding="utf-8") as fh:
        json.dump({"parts": parts}, fh)
