"""Where an input's lines come from: one file, a folder of part files, a glob, or an fsspec URL.

- A **folder of parts** (``NAME.log/part-00000.log``, ...: what ``--shard-lines`` writes, and what Spark or
  Hadoop write) reads as the one file it stands for: its ``part-*`` files in natural name order (numbers as
  numbers), a CSV's repeated header read once.
- A **glob** (``logs/*.log``, ``logs/2024-*/part-*``) reads as its matches in natural name order.
- An **fsspec URL** (``file://``, ``memory://``, ``s3://`` or ``gs://`` when that back-end is installed) is
  fetched into a temporary folder for the time it is read (:func:`local_input`), so every reader works on it.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from synthlog.errors import InputError
from synthlog.extras import require

PART = "part-*"
_URL = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://")
_MAGIC = re.compile(r"[*?[]")
_DIGITS = re.compile(r"(\d+)")


def is_url(text: str | os.PathLike[str]) -> bool:
    return isinstance(text, str) and _URL.match(text) is not None


def is_parts_folder(path: str | os.PathLike[str]) -> bool:
    """A folder holding ``part-*`` files and no other visible file or folder."""
    path = Path(path)
    if not path.is_dir():
        return False
    names = [p for p in path.iterdir() if not p.name.startswith(".")]
    return bool(names) and all(p.is_file() and p.match(PART) for p in names)


def is_glob(path: str | os.PathLike[str]) -> bool:
    """A pattern (``*``, ``?``, ``[``) naming no existing file itself."""
    return _MAGIC.search(str(path)) is not None and not Path(path).exists()


def is_file_like(path: str | os.PathLike[str]) -> bool:
    """A file, a folder of parts or a glob with at least one match: something that reads as one file."""
    return Path(path).is_file() or is_parts_folder(path) or (is_glob(path) and bool(members(path)))


def members(path: str | os.PathLike[str]) -> list[Path]:
    """The files ``path`` reads as, in order: itself, a folder's parts, or a glob's matches (each expanded), in
    natural name order (``part-99999`` before ``part-100000``)."""
    if is_parts_folder(path):
        return sorted((p for p in Path(path).iterdir() if not p.name.startswith(".")), key=_natural)
    if is_glob(path):
        found = []
        for match in sorted(glob.glob(str(path)), key=_natural):
            found += members(match) if is_parts_folder(match) else [Path(match)] if Path(match).is_file() else []
        return found
    return [Path(path)]


def _natural(path: str | os.PathLike[str]) -> list:
    """Sort key: runs of digits compare as numbers."""
    return [int(piece) if piece.isdigit() else piece for piece in _DIGITS.split(os.fspath(path))]


@contextlib.contextmanager
def local_input(source: str | os.PathLike[str]) -> Iterator[Path]:
    """A local path for ``source``: itself, or for an fsspec URL a temporary copy (a file, a folder, or the
    matches of a glob in one folder), removed afterwards. ``file://`` needs no copy."""
    text = os.fspath(source)
    match = _URL.match(text)
    if match is None:
        yield Path(text)
        return
    if match.group(1) == "file":
        yield Path(text[len("file://"):])
        return
    fsspec = require("fsspec", "fsspec URLs")
    try:
        fs, target = fsspec.core.url_to_fs(text)
    except (ImportError, ValueError) as exc:
        raise InputError(f"cannot read this URL: {exc}", path=text) from None
    folder = Path(tempfile.mkdtemp(prefix="synthlog-input."))
    try:
        found = sorted(fs.glob(target)) if _MAGIC.search(target) else [target] if fs.exists(target) else []
        if not found:
            raise InputError("no such file or folder", path=text)
        for remote in found:
            fs.get(remote, str(folder / Path(remote.rstrip("/")).name), recursive=fs.isdir(remote))
        yield folder if len(found) > 1 else folder / Path(found[0].rstrip("/")).name
    finally:
        shutil.rmtree(folder, ignore_errors=True)
