"""Output folders on fsspec storage (``memory://``, ``s3://``, ``gs://`` with their back-end installed).

The output rule of :mod:`synthlog.io.atomic` holds there too: the folder must be new, empty or hold this tool's
manifest (unless ``force``). The set is written into a local staging folder, uploaded whole under a temporary
name inside the target (``.synthlog-staging.<pid>.XXXX``), then each item is moved to its final name and the
manifest rewritten; a failure removes the upload and leaves the target as it was. A move is a rename where the
file system has one (local files, memory); object stores copy and delete, so there a reader may see the set
change item by item, never a half-written file. ``file://`` URLs are local folders (see :func:`local_output`).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

from synthlog.errors import InputError
from synthlog.extras import require

URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def storage_url(path: str | os.PathLike[str]) -> str | None:
    """``path`` when it is an fsspec URL of storage other than a local file (``file://`` is a local path)."""
    text = os.fspath(path)
    match = URL.match(text)
    return text if match is not None and match.group(1).lower() != "file" else None


def local_output(path: str | os.PathLike[str]) -> str | os.PathLike[str]:
    """``path`` with a ``file://`` prefix taken off (a local folder is written with local atomic renames)."""
    text = os.fspath(path)
    return text[len("file://"):] if text.lower().startswith("file://") else path


def _filesystem(url: str):
    fsspec = require("fsspec", "fsspec URLs")
    try:
        return fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as exc:
        raise InputError(f"cannot write to this URL: {exc}", path=url) from None


def check_remote_directory(url: str, force: bool) -> set[str]:
    """The output rule for a folder on fsspec storage; returns the names its manifest lists."""
    from synthlog.io.atomic import MANIFEST, manifest_names

    fs, root = _filesystem(url)
    if not fs.exists(root):
        return set()
    if not fs.isdir(root):
        raise InputError("is not a directory; outputs go into a folder", path=url)
    names = {Path(p.rstrip("/")).name for p in fs.ls(root, detail=False)}
    previous = None
    if MANIFEST in names:
        try:
            data = json.loads(fs.cat_file(f"{root}/{MANIFEST}"))
        except ValueError as exc:
            raise InputError(f"unreadable output manifest ({exc}); remove it or write elsewhere",
                             path=f"{url}/{MANIFEST}") from None
        previous = manifest_names(data, f"{url}/{MANIFEST}")
    foreign = sorted(n for n in names - (previous or set()) - {MANIFEST} if not n.startswith("."))
    if previous is None and foreign and not force:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        raise InputError(f"holds files this tool did not write ({shown}); write into a new or empty folder, "
                         "or pass --force to replace same-named files (no other file is deleted)", path=url)
    return previous or set()


@contextlib.contextmanager
def remote_directory(url: str, force: bool) -> Iterator[Path]:
    """Yield a local staging folder; on success its files go to ``url`` (see the module docstring)."""
    from synthlog.io.atomic import MANIFEST, STAGING_PREFIX, extra_fields, manifest_text

    previous = check_remote_directory(url, force)
    fs, root = _filesystem(url)
    stage = Path(tempfile.mkdtemp(prefix="synthlog-output."))
    upload = f"{root.rstrip('/')}/{STAGING_PREFIX}{os.getpid()}.{uuid.uuid4().hex[:8]}"
    try:
        yield stage
        staged = sorted(p.name for p in stage.iterdir() if p.name != MANIFEST)
        extra = extra_fields(stage / MANIFEST)
        existing = {Path(p.rstrip("/")).name for p in fs.ls(root, detail=False)} if fs.exists(root) else set()
        clash = sorted((set(staged) & existing) - previous)
        if clash and not force:
            raise InputError(f"would replace files this tool did not write ({', '.join(clash[:3])}); pass --force "
                             "to replace them", path=url)
        fs.makedirs(upload, exist_ok=True)
        for name in staged:  # uploaded whole before anything in the target changes
            local = stage / name
            fs.put(str(local), f"{upload}/{name}", recursive=local.is_dir())
        fs.pipe_file(f"{root}/{MANIFEST}", manifest_text(previous | set(staged), extra).encode())
        for name in staged:
            if name in existing:
                fs.rm(f"{root}/{name}", recursive=True)
            fs.mv(f"{upload}/{name}", f"{root}/{name}", recursive=True)
        for name in sorted(previous - set(staged)):  # an earlier run's outputs that this run did not write
            if fs.exists(f"{root}/{name}"):
                fs.rm(f"{root}/{name}", recursive=True)
        fs.pipe_file(f"{root}/{MANIFEST}", manifest_text(set(staged), extra).encode())
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror or exc}", path=url) from None
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        with contextlib.suppress(OSError):
            if fs.exists(upload):
                fs.rm(upload, recursive=True)
