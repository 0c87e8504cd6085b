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
    if root.is_file():
        return [root]
    found = []
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        found.extend(Path(directory) / f for f in files if f.endswith(EXTENSIONS))
    rel = {path: path.relative_to(root).as_posix() for path in found}
    kept = [p for p in found if not any(fnmatch.fnmatchcase(rel[p], pattern) for pattern in exclude)]
    return sorted(kept, key=lambda p: rel[p])


def _read(path: Path) -> tuple[bytes | None, str]:
    try:
        data = path.read_bytes()
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
    paths = source_files(root, exclude)
    base = root.parent if root.is_file() else root
    result = ScanResult(root, [], 0, [], [], 0.0)
    with gc_paused():
        _parse_all(paths, base, result)
        for rel in sorted([*result.java_files, *result.python_files]):
            if rel in result.java_files:
                java = result.java_files[rel]
                result.statements.extend(find_java_calls(java.tree, java.source, rel, java))
            else:
                result.statements.extend(find_python_calls(result.python_files[rel], rel))
    result.seconds = time.perf_counter() - started
    return result


def _parse_all(paths: list[Path], base: Path, result: ScanResult) -> None:
    """Read and parse every file into ``result`` (skipped and partial files counted)."""
    with Progress("scan", total=len(paths)) as bar:
        for path in paths:
            rel = path.relative_to(base).as_posix()
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
