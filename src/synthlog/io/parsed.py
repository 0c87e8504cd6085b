"""The ``synthlog parse`` pipeline: raw log -> events -> templates -> (sessions, labels) -> Loghub-style files."""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from synthlog.errors import InputError
from synthlog.io.atomic import atomic_directory, check_output_directory
from synthlog.io.clock import infer_clock, stamp
from synthlog.io.formatinfer import infer_format
from synthlog.io.logformat import LogFormat, RawReader, get_format
from synthlog.io.loghub import read_id_list, read_labels, write_labels, write_structured, write_templates
from synthlog.io.sequences import write_sequences
from synthlog.io.text import PathLike
from synthlog.parse.drain import DrainConfig, parse_events
from synthlog.parse.sessions import label_from_entities, label_from_lines, sessionizer
from synthlog.progress import Progress
from synthlog.records import ANOMALY, NORMAL, LogEvent


@dataclass
class ParseResult:
    lines: int
    skipped: int
    templates: int
    seconds: float
    sessions: int | None = None
    anomalies: int | None = None
    outputs: dict[str, Path] = field(default_factory=dict)
    layout: str = ""  # the format string the lines were read with (given or inferred)

    @property
    def lines_per_second(self) -> float:
        return self.lines / self.seconds if self.seconds else float("inf")


def read_events(path: PathLike, log_format: LogFormat | str) -> tuple[list[LogEvent], int]:
    """All events of a raw log with progress; returns them and the number of lines skipped as not fitting."""
    with Progress(f"reading {Path(path).name}", total=None) as bar:
        reader = RawReader(path, log_format, progress=bar)
        events = list(reader)
    return events, reader.skipped


def parse_log(path: PathLike, log_format: LogFormat | str | None, out_dir: PathLike, sessions: str | None = None,
              labels: PathLike | None = None, anomalous_ids: PathLike | None = None,
              config: DrainConfig | None = None) -> ParseResult:
    """Parse ``path`` and write ``OUT/NAME_structured.csv`` and ``OUT/NAME_templates.csv`` (Loghub names).

    With ``sessions`` (a :func:`~synthlog.parse.sessions.sessionizer` spec) also write ``OUT/STEM.sequences``
    and, when labels are known, ``OUT/anomaly_label.csv``. Labels come from ``labels`` (``BlockId,Label``),
    from ``anomalous_ids`` (one id per line; every other session is Normal), or else from line labels.
    A label source without ``sessions`` implies HDFS block sessions (``blk``). Without ``log_format`` the layout
    is inferred from the first lines (:func:`synthlog.io.formatinfer.infer_format`).
    """
    from synthlog.io.inputs import local_input

    with _gc_paused(), local_input(path) as local:
        return _parse_log(local, log_format, Path(out_dir), sessions, labels, anomalous_ids, config)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: parsing allocates millions of small acyclic objects, and its
    repeated passes over them cost about a tenth of the run time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _parse_log(path: Path, log_format: LogFormat | str | None, out: Path, sessions: str | None,
               labels: PathLike | None, anomalous_ids: PathLike | None, config: DrainConfig | None) -> ParseResult:
    started = time.perf_counter()
    if labels is not None and anomalous_ids is not None:
        raise InputError("give session labels or a list of anomalous ids, not both", field="--anomalous-ids")
    check_output_directory(out)  # refuse a folder of foreign files before the work, not after
    label_map = read_labels(labels) if labels is not None else None
    anomalous = read_id_list(anomalous_ids) if anomalous_ids is not None else None
    split = sessionizer(sessions or "blk") if sessions or label_map or anomalous else None
    fmt = get_format(log_format) if log_format is not None else infer_format(path)[0]
    events, skipped = read_events(path, fmt)
    if any(e.timestamp is None for e in events):  # headers the built-in clocks do not read (Month Day Time ...)
        clock = infer_clock(events, fmt)
        if clock is not None:
            stamp(events, clock)
    config = config or DrainConfig(extract_parameters=False)  # the structured CSV does not carry parameters
    events, templates = parse_events(events, config)
    found = None
    if split is not None:  # before anything is written: a log the sessionizer refuses leaves no output
        try:
            found = split(events)
        except InputError as exc:
            raise InputError(exc.reason, path=exc.path or path, line=exc.line, field=exc.field) from None
    headers = fmt.headers
    result = ParseResult(lines=len(events), skipped=skipped, templates=len(templates), seconds=0.0, layout=fmt.text)
    files: dict[str, str] = {}
    with atomic_directory(out) as stage:  # every output or none
        files["structured"] = f"{path.name}_structured.csv"
        write_structured(stage / files["structured"], events, headers, templates)
        files["templates"] = f"{path.name}_templates.csv"
        write_templates(stage / files["templates"], templates)
        if found is not None:
            if label_map is not None:
                label_from_entities(found, label_map)
            elif anomalous is not None:
                label_from_entities(found, dict.fromkeys(anomalous, ANOMALY), default=NORMAL,
                                    rule="anomalous-id-list")
            else:
                label_from_lines(found)
            result.sessions = len(found)
            files["sequences"] = f"{path.stem}.sequences"
            write_sequences(stage / files["sequences"], found)
            known = {s.id: s.label for s in found if s.label is not None}
            if known:
                result.anomalies = sum(1 for v in known.values() if v != NORMAL)
                files["labels"] = "anomaly_label.csv"
                write_labels(stage / files["labels"], known)
    result.outputs = {role: out / file for role, file in files.items()}
    result.seconds = time.perf_counter() - started
    return result
