"""Atomic writes and the output rule: outputs appear whole under their final name or not at all (a file, a set of
files, a data set folder), and a folder of outputs never loses a file this tool did not write.

- :func:`atomic_path` / :func:`atomic_open`: one file, written beside its final name and renamed at the end.
- :func:`atomic_files`: several named files (a spec and its summary) renamed together once all are written.
- :func:`atomic_directory`: a folder of outputs. It must be new, empty, or hold this tool's manifest
  (``.synthlog-manifest.json``, the names an earlier run wrote) unless ``force``; the whole set is staged in a
  hidden folder inside it and swapped in at the end; files of the earlier run that this run did not write are
  removed, and only those: a file the manifest does not list is never deleted.

Temporary names carry the writing process's id (``.NAME.<pid>.XXXXXXXX.tmp``, ``.synthlog-staging.<pid>.XXXX``):
a later run into the same place removes those whose process is gone (killed with -9) and says so.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from synthlog.errors import InputError
from synthlog.progress import notice

MANIFEST = ".synthlog-manifest.json"
STAGING_PREFIX = ".synthlog-staging."
_STALE_STAGING = re.compile(r"^\.synthlog-staging\.(\d+)\.[\w-]+$")
_STALE_TMP = re.compile(r"^\..+\.(\d+)\.[\w-]+\.tmp$")

_UMASK = os.umask(0o022)
os.umask(_UMASK)  # read once: os.umask can only be read by setting it
_policy = {"force": False}


def allow_overwrite(force: bool) -> None:
    """Process-wide default of ``force`` (the CLI's ``--force``): write into a folder of foreign files, replacing
    same-named ones (other files are still never deleted)."""
    _policy["force"] = force


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def remove_stale(directory: Path, name: str | None = None) -> list[str]:
    """Remove temporary files and staging folders of this tool's naming in ``directory`` whose writing process no
    longer runs (only those of output ``name`` when given); says what it removed and returns the names."""
    removed = []
    try:  # a single output looks only at its own name's temporaries: caches write thousands of files in a folder
        entries = sorted(directory.glob(f".{glob.escape(name)}.*.tmp") if name is not None else directory.iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = _STALE_STAGING.match(entry.name) or _STALE_TMP.match(entry.name)
        if match is None or _alive(int(match.group(1))):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed.append(entry.name)
    if removed:
        notice(f"removed {len(removed)} stale temporary file(s) of an interrupted run in {directory}: "
               f"{', '.join(removed[:3])}{' ...' if len(removed) > 3 else ''}")
    return removed


def _temporary(final: Path) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.{os.getpid()}.", suffix=".tmp", dir=final.parent)
    os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes the file private (0600); an output gets the usual mode
    os.close(fd)
    return Path(tmp)


def _user_path(exc: InputError, tmp: Path, final: Path) -> InputError | None:
    """The error naming ``final`` instead of its temporary stand-in ``tmp`` (None when it names neither)."""
    if exc.path is None or Path(exc.path) != tmp:
        return None
    return type(exc)(exc.reason, path=final, line=exc.line, field=exc.field)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds."""
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(final.parent, final.name)
    tmp_path = _temporary(final)
    try:
        yield tmp_path
        os.replace(tmp_path, final)
    except InputError as exc:
        tmp_path.unlink(missing_ok=True)
        renamed = _user_path(exc, tmp_path, final)
        if renamed is None:
            raise
        raise renamed from None
    except OSError as exc:  # name the user's file, not the temporary one
        tmp_path.unlink(missing_ok=True)
        if exc.filename not in (None, str(tmp_path)):
            raise
        raise InputError(f"cannot write: {exc.strerror or exc}", path=final) from None
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


class FileSet:
    """Files being written as a set: :meth:`path` / :meth:`open` give temporary stand-ins of final names."""

    def __init__(self) -> None:
        self.pending: dict[Path, Path] = {}  # final -> temporary

    def path(self, final: str | os.PathLike[str]) -> Path:
        final = Path(final)
        if final not in self.pending:
            final.parent.mkdir(parents=True, exist_ok=True)
            remove_stale(final.parent, final.name)
            self.pending[final] = _temporary(final)
        return self.pending[final]

    def open(self, final: str | os.PathLike[str], mode: str = "w", encoding: str | None = "utf-8",
             newline: str | None = None) -> IO:
        return open(self.path(final), mode, encoding=None if "b" in mode else encoding, newline=newline)


@contextlib.contextmanager
def atomic_files() -> Iterator[FileSet]:
    """Several files committed together: all are renamed onto their final names once the block succeeds, none
    when it fails (``with atomic_files() as files: with files.open(a) as fh: ...``)."""
    files = FileSet()
    try:
        yield files
        for final, tmp in files.pending.items():
            os.replace(tmp, final)
    except OSError as exc:  # name the user's file, not the temporary one
        failed = Path(exc.filename) if exc.filename else None
        named = next((f for f, t in files.pending.items() if t == failed), None)
        if named is None and failed is not None:
            raise
        named = named or next(iter(files.pending), None)
        raise InputError(f"cannot write: {exc.strerror or exc}", path=named) from None
    finally:
        for tmp in files.pending.values():
            tmp.unlink(missing_ok=True)


def read_manifest(directory: Path) -> set[str] | None:
    """The names an earlier run of this tool wrote into ``directory``, or None when it holds no manifest."""
    try:
        data = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise InputError(f"unreadable output manifest ({exc}); remove it or write elsewhere",
                         path=directory / MANIFEST) from None
    return manifest_names(data, directory / MANIFEST)


def manifest_names(data: object, where: str | os.PathLike[str]) -> set[str]:
    """The names a parsed manifest lists; ``where`` names it in the error when it is not one of this tool's."""
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, list) or not all(isinstance(f, str) and "/" not in f and f not in ("", ".", "..")
                                              for f in files):
        raise InputError("not an output manifest of this tool; remove it or write elsewhere", path=where)
    return set(files)


def manifest_text(names: set[str], extra: dict | None = None) -> str:
    """A manifest listing ``names`` (and ``extra`` fields, such as a run's part files)."""
    return json.dumps({"tool": "synthlog", "files": sorted(names), **(extra or {})}, indent=1) + "\n"


def _write_manifest(directory: Path, names: set[str], extra: dict | None = None) -> None:
    with atomic_open(directory / MANIFEST) as fh:
        fh.write(manifest_text(names, extra))


def extra_fields(staged_manifest: Path) -> dict:
    """Fields a run put in its staging folder's manifest (say, the list of its part files) for the output's
    manifest to carry; the names list is always made afresh."""
    try:
        data = json.loads(staged_manifest.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return {k: v for k, v in data.items() if k not in ("tool", "files")} if isinstance(data, dict) else {}


def _foreign(directory: Path, ours: set[str]) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name != MANIFEST and p.name not in ours
                  and not _STALE_STAGING.match(p.name) and not _STALE_TMP.match(p.name))


def check_output_directory(path: str | os.PathLike[str], force: bool | None = None) -> set[str]:
    """Apply the output rule to ``path`` before any work: new, empty, or holding this tool's manifest (unless
    ``force``); returns the names its manifest lists (empty when none). Raises InputError otherwise. ``path``
    may be an fsspec URL (see :mod:`synthlog.io.remote`)."""
    from synthlog.io.remote import check_remote_directory, local_output, storage_url

    force = _policy["force"] if force is None else force
    url = storage_url(path)
    if url is not None:
        return check_remote_directory(url, force)
    final = Path(local_output(path))
    if not final.exists():
        return set()
    if not final.is_dir():
        raise InputError("is not a directory; outputs go into a folder", path=final)
    remove_stale(final)
    previous = read_manifest(final)
    if previous is None and not force:
        foreign = _foreign(final, set())
        if foreign:
            shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
            raise InputError(f"holds files this tool did not write ({shown}); write into a new or empty folder, "
                             "or pass --force to replace same-named files (no other file is deleted)", path=final)
    return previous or set()


def _replace(item: Path, target: Path) -> None:
    if target.is_dir() and not target.is_symlink():
        shutil.rmtree(target)
    os.replace(item, target)


@contextlib.contextmanager
def atomic_directory(path: str | os.PathLike[str], force: bool | None = None) -> Iterator[Path]:
    """Yield a staging directory inside ``path``; the files written there move into ``path`` only if the whole
    block succeeds, so a failed or interrupted run leaves no part of a set of outputs (a data set directory).

    The output rule (see the module docstring) is checked on entry; ``force`` (default: :func:`allow_overwrite`)
    lets it write into a folder of foreign files, replacing same-named ones. A ``.synthlog-manifest.json`` in
    ``path`` lists what this run wrote; files of the earlier run it lists that this run did not write go.
    ``path`` may be an fsspec URL: the set is staged locally and moved there (:mod:`synthlog.io.remote`)."""
    from synthlog.io.remote import local_output, remote_directory, storage_url

    force = _policy["force"] if force is None else force
    url = storage_url(path)
    if url is not None:
        with remote_directory(url, force) as stage:
            yield stage
        return
    final = Path(local_output(path))
    created = not final.exists()
    previous = check_output_directory(final, force)
    final.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}.", dir=final))
    try:
        yield stage
        staged = sorted(p for p in stage.iterdir() if p.name != MANIFEST)  # a nested set's manifest is ours
        extra = extra_fields(stage / MANIFEST)
        names = {p.name for p in staged}
        clash = sorted(names & set(_foreign(final, previous)))
        if clash and not force:
            raise InputError(f"would replace files this tool did not write ({', '.join(clash[:3])}); pass --force "
                             "to replace them", path=final)
        _write_manifest(final, previous | names, extra)  # while swapping, every file there is accounted for
        for item in staged:
            _replace(item, final / item.name)
        for name in sorted(previous - names):  # an earlier run's outputs that this run did not write mislead
            old = final / name
            if old.is_dir() and not old.is_symlink():
                shutil.rmtree(old, ignore_errors=True)
            else:
                old.unlink(missing_ok=True)
        _write_manifest(final, names, extra)
    except InputError as exc:  # name the file the user asked for, not its staging copy
        if exc.path is None or Path(exc.path).parent != stage:
            raise
        raise type(exc)(exc.reason, path=final / Path(exc.path).name, line=exc.line, field=exc.field) from None
    except OSError as exc:  # name the user's file, not its staging copy
        failed = Path(exc.filename) if exc.filename else None
        if failed is not None and stage not in failed.parents:
            raise
        shown = final if failed is None else final / failed.relative_to(stage)
        raise InputError(f"cannot write: {exc.strerror or exc}", path=shown) from None
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        if created and final.is_dir() and not any(final.iterdir()):
            final.rmdir()  # a failed run into a new folder leaves no empty folder either
