"""Atomic writes: outputs appear whole under their final name or not at all (a file, or a set of files)."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from synthlog.errors import InputError

_UMASK = os.umask(0o022)
os.umask(_UMASK)  # read once: os.umask can only be read by setting it


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds."""
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
    os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes the file private (0600); an output gets the usual mode
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, final)
    except BaseException:  # KeyboardInterrupt too: never leave a half-written file
        tmp_path.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "w", encoding: str | None = "utf-8",
                newline: str | None = None) -> Iterator[IO]:
    """Open a temporary file for writing that replaces ``path`` when the block succeeds."""
    if "b" in mode:
        encoding = None
    with atomic_path(path) as tmp, open(tmp, mode, encoding=encoding, newline=newline) as fh:
        yield fh


@contextlib.contextmanager
def atomic_directory(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a staging directory inside ``path``; the files written there move into ``path`` only if the whole
    block succeeds, so a failed or interrupted run leaves no part of a set of outputs (a data set directory)."""
    final = Path(path)
    final.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".staging.", dir=final))
    try:
        yield stage
        for item in sorted(stage.iterdir()):
            os.replace(item, final / item.name)
    except InputError as exc:  # name the file the user asked for, not its staging copy
        if exc.path is None or Path(exc.path).parent != stage:
            raise
        raise type(exc)(exc.reason, path=final / Path(exc.path).name, line=exc.line, field=exc.field) from None
    finally:
        shutil.rmtree(stage, ignore_errors=True)
