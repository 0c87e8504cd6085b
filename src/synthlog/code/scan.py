"""Scan a source tree (Java and Python) for logging statements; read and write the statements CSV.

Files are visited in sorted order, so ids and output are deterministic. Java files are all parsed first and
registered in one :class:`~synthlog.code.java.CodeIndex`, so loggers and string constants of other classes
(``NameNode.stateChangeLog``, inherited ``LOG``) resolve. A file with syntax errors still gives what the parser
recovers (its statements are marked partial); unreadable, binary and non-UTF-8 files are skipped and counted.
"""

from __future__ import annotations

import csv
import fnmatch
import gc
import json
import os
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from synthlog.code.java import CodeIndex, JavaFile, parse_java
from synthlog.code.java import find_logging_calls as find_java_calls
from synthlog.code.python import PythonFile, module_name, parse_python
from synthlog.code.python import find_logging_calls as find_python_calls
from synthlog.code.records import Statement
from synthlog.errors import InputError
from synthlog.io.atomic import atomic_open
from synthlog.progress import Progress

EXTENSIONS = (".java", ".py")
SKIP_DIRS = frozenset({".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__", ".tox", "build",
                       ".mypy_cache", ".pytest_cache", ".ruff_cache"})
# a Python logging call is an attribute call of a level name (python.LEVELS) or ``log``
_PYTHON_CALL = re.compile(rb"\.[\s\\]*(?:debug|info|warning|warn|error|exception|critical|fatal|log)[\s\\]*\(")
COLUMNS = ["StatementId", "File", "Line", "EndLine", "Class", "Method", "Level", "Template", "Args", "InCatch"]


@dataclass(slots=True)
class SkippedFile:
    path: str
    reason: str  # unreadable | binary | not UTF-8


@dataclass(slots=True)
class ScanResult:
    """What a scan found. ``java_files`` / ``python_files`` keep the parsed files for later stages."""

    root: Path
    statements: list[Statement]
    files: int
    partial_files: list[str]
    skipped: list[SkippedFile]
    seconds: float
    java_files: dict[str, JavaFile] = field(default_factory=dict)
    python_files: dict[str, PythonFile] = field(default_factory=dict)
    index: CodeIndex = field(default_factory=CodeIndex)

    def summary(self) -> str:
        return (f"{len(self.statements)} logging statements in {self.files} files "
                f"({len(self.partial_files)} partial, {len(self.skipped)} skipped) in {self.seconds:.2f} s")


def source_files(root: Path, exclude: Sequence[str] = ()) -> list[Path]:
    """Java and Python files under ``root`` (or ``root`` itself), sorted; build and VCS folders and paths
    (relative to ``root``) matching one of the ``exclude`` glob patterns are left out."""
    return [Path(path) for path, _ in _source_paths(root, exclude)]


def _source_paths(root: Path, exclude: Sequence[str] = ()) -> list[tuple[str, str]]:
    """(path, path relative to ``root`` with forward slashes) of every source file, sorted by the relative path.
    Plain strings: this runs over every file of a tree, where pathlib's objects cost as much as reading them."""
    if root.is_file():
        return [(str(root), root.name)]
    top = str(root)
    found = []
    for directory, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        base = os.path.relpath(directory, top).replace(os.sep, "/")
        prefix = "" if base == "." else base + "/"
        found.extend((os.path.join(directory, f), prefix + f) for f in files if f.endswith(EXTENSIONS))
    kept = [item for item in found if not any(fnmatch.fnmatchcase(item[1], pattern) for pattern in exclude)]
    return sorted(kept, key=lambda item: item[1])


def _read(path: str) -> tuple[bytes | None, str]:
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return None, "unreadable"
    if b"\0" in data[:8192]:
        return None, "binary"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None, "not UTF-8"
    return data, ""


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a code base is analysed: scanning and graph building allocate tens of
    thousands of small objects (and next to no cyclic garbage), and each collection would walk them all again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def scan(src_root: str | os.PathLike[str], exclude: Sequence[str] = ()) -> ScanResult:
    """Find every logging statement under ``src_root`` (``exclude``: glob patterns of relative paths to skip)."""
    root = Path(src_root)
    if not root.exists():
        raise InputError("no such file or directory", path=root)
    started = time.perf_counter()
    paths = _source_paths(root, exclude)
    result = ScanResult(root, [], 0, [], [], 0.0)
    with gc_paused():
        _parse_all(paths, result)
        for rel in sorted([*result.java_files, *result.python_files]):
            if rel in result.java_files:
                java = result.java_files[rel]
                result.statements.extend(find_java_calls(java.tree, java.source, rel, java))
            elif _PYTHON_CALL.search(result.python_files[rel].source):  # no `.info(`-like call: nothing to visit
                result.statements.extend(find_python_calls(result.python_files[rel], rel))
    result.seconds = time.perf_counter() - started
    return result


def _parse_all(paths: list[tuple[str, str]], result: ScanResult) -> None:
    """Read and parse every file into ``result`` (skipped and partial files counted)."""
    with Progress("scan", total=len(paths)) as bar:
        for path, rel in paths:
            data, reason = _read(path)
            bar.advance()
            if data is None:
                result.skipped.append(SkippedFile(rel, reason))
                continue
            result.files += 1
            if rel.endswith(".java"):
                java = JavaFile(data, parse_java(data), rel)
                result.index.add(java)
                result.java_files[rel] = java
                if java.tree.root_node.has_error:
                    result.partial_files.append(rel)
            else:
                parsed = parse_python(data, module_name(rel))
                result.python_files[rel] = parsed
                if parsed.partial:
                    result.partial_files.append(rel)


def write_statements_csv(statements: list[Statement], path: str | os.PathLike[str]) -> None:
    """Write the statements CSV atomically (``Args`` is a JSON list of the slot expressions)."""
    with atomic_open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        for s in statements:
            writer.writerow([s.id, s.file, s.line, s.end_line, s.cls, s.method, s.level, s.template,
                             json.dumps(s.args, ensure_ascii=False), "true" if s.in_catch else "false"])


def read_statements_csv(path: str | os.PathLike[str]) -> list[Statement]:
    """Read a statements CSV written by :func:`write_statements_csv`."""
    statements = []
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise InputError(f"missing columns {', '.join(missing)}", path=path, line=1)
        for row in reader:
            try:
                statements.append(Statement(
                    id=row["StatementId"], file=row["File"], line=int(row["Line"]), end_line=int(row["EndLine"]),
                    cls=row["Class"], method=row["Method"], level=row["Level"], template=row["Template"],
                    args=json.loads(row["Args"]) if row["Args"] else [], in_catch=row["InCatch"] == "true",
                    language="python" if row["File"].endswith(".py") else "java"))
            except (ValueError, TypeError) as exc:
                raise InputError(f"bad row: {exc}", path=path, line=reader.line_num) from None
    return statements
