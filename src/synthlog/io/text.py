"""Streaming line reading with exact line numbers, strict UTF-8 and a bound on line length."""

from __future__ import annotations

import codecs
import csv
import os
from collections.abc import Iterator
from pathlib import Path

from synthlog.errors import InputError
from synthlog.io.inputs import is_glob, is_parts_folder, members

MAX_LINE_BYTES = 1 << 20  # 1 MiB: longer lines are refused, never read whole into memory

PathLike = str | os.PathLike[str]


def iter_lines(path: PathLike, max_line_bytes: int = MAX_LINE_BYTES) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, text)`` for every line of ``path`` without its line ending (or a leading BOM).

    The file is read in 1 MiB chunks; a byte that is not UTF-8 is reported at its own line, and a line longer
    than ``max_line_bytes`` raises :class:`InputError` after reading at most about that many bytes of it.
    An empty file is an error. A folder of parts or a glob reads as its files joined (see
    :mod:`synthlog.io.inputs`), numbered through; an error inside a part names the part and its own line.
    """
    if is_parts_folder(path) or is_glob(path):
        return _joined(path, max_line_bytes)
    return _file_lines(path, max_line_bytes)


def _joined(path: PathLike, max_line_bytes: int) -> Iterator[tuple[int, str]]:
    """The lines of a folder's parts or a glob's matches in order; a CSV's header only from the first."""
    files = members(path)
    if not files:
        raise InputError("no file matches this pattern", path=path)
    number, header = 0, None
    for index, file in enumerate(files):
        if index and not file.stat().st_size:  # an empty part (a run cut before it) holds no line
            continue
        for local, text in _file_lines(file, max_line_bytes):
            if local == 1 and index == 0:
                header = text
            elif local == 1 and file.suffix == ".csv" and text == header:
                continue
            number += 1
            yield number, text


def _file_lines(path: PathLike, max_line_bytes: int) -> Iterator[tuple[int, str]]:
    path = Path(path)
    if not path.exists():
        raise InputError("no such file", path=path)
    if path.is_dir():
        raise InputError("is a directory, expected a file", path=path)
    number = 0
    with open(path, "rb") as fh:
        pending: list[bytes] = []  # pieces of a line that spans chunks
        pending_bytes = 0
        first = True
        while chunk := fh.read(_CHUNK):
            if first:
                chunk, first = chunk.removeprefix(codecs.BOM_UTF8), False
            lines = chunk.split(b"\n")
            tail = lines.pop()
            if lines and pending:
                lines[0] = b"".join(pending) + lines[0]
                pending, pending_bytes = [], 0
            if tail:
                pending.append(tail)
                pending_bytes += len(tail)
            if pending_bytes > max_line_bytes:
                raise InputError(f"line longer than {max_line_bytes} bytes (not a text log?)", path=path,
                                 line=number + len(lines) + 1)
            for text in _decode(lines, path, number, max_line_bytes):
                number += 1
                yield number, text
        if pending:
            for text in _decode([b"".join(pending)], path, number, max_line_bytes):
                number += 1
                yield number, text
    if number == 0:
        raise InputError("file is empty", path=path)


_CHUNK = 1 << 20


def _decode(lines: list[bytes], path: Path, before: int, max_line_bytes: int) -> list[str]:
    """Decode a batch of lines (dropping a trailing CR); name the first bad or overlong line exactly."""
    try:
        texts = [line.decode("utf-8") for line in lines]
    except UnicodeDecodeError:
        for offset, line in enumerate(lines, before + 1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(f"not valid UTF-8 (byte {exc.start + 1} of the line)", path=path,
                                 line=offset) from None
        raise
    if lines and max(map(len, lines)) > max_line_bytes:
        offset = next(i for i, line in enumerate(lines, before + 1) if len(line) > max_line_bytes)
        raise InputError(f"line longer than {max_line_bytes} bytes (not a text log?)", path=path, line=offset)
    if any(t.endswith("\r") for t in texts):
        return [t[:-1] if t.endswith("\r") else t for t in texts]
    return texts


class CsvRows:
    """Iterate over a CSV file's rows as lists of strings, knowing the line number of the current row."""

    def __init__(self, path: PathLike, max_line_bytes: int = MAX_LINE_BYTES):
        self.path = Path(path)
        self._lines = iter_lines(self.path, max_line_bytes)
        self.line = 0
        self._reader = csv.reader(self._physical(), strict=True)

    def _physical(self) -> Iterator[str]:
        for number, text in self._lines:
            self.line = number
            yield text + "\n"

    def __iter__(self) -> Iterator[list[str]]:
        try:
            yield from self._reader
        except csv.Error as exc:
            raise InputError(f"malformed CSV: {exc}", path=self.path, line=self.line) from None

    def error(self, message: str, field: str | None = None) -> InputError:
        """An :class:`InputError` pointing at the row just read."""
        return InputError(message, path=self.path, line=self.line, field=field)

    def header(self, required: list[str]) -> dict[str, int]:
        """Read the header row; return column positions, refusing a header that lacks a required column."""
        try:
            names = next(iter(self))
        except StopIteration:
            raise self.error("file is empty") from None
        names = [n.strip().lstrip("\ufeff") for n in names]
        missing = [c for c in required if c not in names]
        if missing:
            raise self.error(f"wrong columns {','.join(names)!r}: missing {', '.join(missing)}")
        return {n: i for i, n in enumerate(names)}

    def rows(self, width: int) -> Iterator[list[str]]:
        """Data rows, each checked to have exactly ``width`` fields (a truncated row is an error)."""
        for row in self:
            if not row:
                continue
            if len(row) != width:
                raise self.error(f"expected {width} fields, found {len(row)} (truncated or malformed row)")
            yield row
