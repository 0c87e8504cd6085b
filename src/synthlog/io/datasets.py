"""Labeled data sets on disk: write a whole data set directory, load the shared data sets and user directories.

A data set directory holds any of: ``NAME.log`` (raw), ``NAME.log_structured.csv``, ``*templates*.csv``,
``anomaly_label.csv``, ``NAME.sequences``, ``NAME.jsonl``, ``NAME.parquet``; files are recognised by name
through :mod:`synthlog.io.registry`. The shared data sets under the data root are described in
:data:`SHARED` with what each one lacks.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from synthlog.errors import InputError
from synthlog.io import registry
from synthlog.io.atomic import atomic_directory, atomic_open
from synthlog.io.inputs import is_file_like, is_parts_folder, is_url, local_input, members
from synthlog.io.jsonl import is_event_record, read_event_sessions, read_jsonl, write_jsonl
from synthlog.io.logformat import LogFormat, detect_format, get_format, read_raw, write_raw
from synthlog.io.loghub import (
    read_labels,
    read_structured,
    read_templates,
    structured_headers,
    write_labels,
    write_structured,
    write_templates,
)
from synthlog.io.sequences import read_sequence_csv, read_sequences, write_sequences
from synthlog.io.text import PathLike, iter_lines
from synthlog.progress import track
from synthlog.records import ANOMALY, NORMAL, US, LabeledDataset, LogEvent, Session, Template

DATA_ENV = "SYNTHLOG_DATA"


# ----------------------------------------------------------------------------------------------- writing


def unique_events(sessions: Iterable[Session]) -> list[LogEvent]:
    """Every event once (an event may sit in several sessions), by ``line_id`` when all events have one."""
    seen: dict[int, LogEvent] = {}
    for session in sessions:
        for event in session.events:
            seen.setdefault(id(event), event)
    events = list(seen.values())
    if events and all(e.line_id is not None for e in events):
        events.sort(key=lambda e: e.line_id)
    return events


def write_dataset(ds: LabeledDataset, out_dir: PathLike, name: str,
                  log_format: LogFormat | str | None = None) -> dict[str, Path]:
    """Write ``ds`` as a data set directory, all files or (on failure) none. Returns the paths by role.

    Roles: ``raw`` (only with ``log_format``), ``structured``, ``templates``, ``labels`` (sessions with a
    known label), ``sequences``, ``jsonl``, ``metadata``.
    """
    out = Path(out_dir)
    events = unique_events(ds.sessions)
    names: dict[str, str] = {}
    with atomic_directory(out) as stage:  # all files or none: a failure half-way leaves no partial data set
        if log_format is not None:
            names["raw"] = f"{name}.log"
            write_raw(stage / names["raw"], events, log_format)
        headers = list(get_format(log_format).headers) if log_format is not None else structured_headers(events)
        names["structured"] = f"{name}.log_structured.csv"
        write_structured(stage / names["structured"], events, headers, ds.templates)
        names["templates"] = f"{name}.log_templates.csv"
        write_templates(stage / names["templates"], ds.templates)
        labels = {s.id: s.label for s in ds.sessions if s.label is not None}
        if labels:
            names["labels"] = "anomaly_label.csv"
            write_labels(stage / names["labels"], labels)
        names["sequences"] = f"{name}.sequences"
        write_sequences(stage / names["sequences"], ds.sessions)
        names["jsonl"] = f"{name}.jsonl"
        write_jsonl(stage / names["jsonl"], ds.sessions)
        names["metadata"] = f"{name}.metadata.json"
        with atomic_open(stage / names["metadata"]) as fh:
            json.dump({"name": ds.name, "metadata": ds.metadata}, fh, indent=2, sort_keys=True, default=str)
            fh.write("\n")
    return {role: out / file for role, file in names.items()}


# ----------------------------------------------------------------------------------------------- data root


def data_root() -> Path | None:
    """The shared data directory: ``$SYNTHLOG_DATA``, else ``shared/data`` beside the repository or the cwd."""
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env)
    here = Path(__file__).resolve()
    candidates = [Path.cwd() / ".." / "shared" / "data", Path.cwd() / "shared" / "data",
                  *(p / "shared" / "data" for p in here.parents)]
    return next((c.resolve() for c in candidates if c.is_dir()), None)


# ----------------------------------------------------------------------------------------------- shared sets


@dataclass(frozen=True)
class SharedDataset:
    """One data set of the shared data root: where it is, what it holds, what it lacks, how to load it."""

    name: str
    folder: str
    description: str
    summary: str
    lacks: str
    load: Callable[[Path], LabeledDataset]


@dataclass
class DatasetInfo:
    """A line of ``synthlog datasets list``: a shared data set, where it should be and whether it is there."""

    name: str
    path: Path | None
    present: bool
    description: str
    summary: str
    lacks: str = ""


def _sessions_from_files(folder: Path, normal: str, anomalous: str) -> list[Session]:
    sessions = read_sequences(folder / normal, label=NORMAL) + read_sequences(folder / anomalous, label=ANOMALY)
    for session in sessions:
        session.label_rule = "file-membership"
    return sessions


def _load_ait(variant: str) -> Callable[[Path], LabeledDataset]:
    def load(folder: Path) -> LabeledDataset:
        return LabeledDataset(
            name=f"hdfs-ait-{variant}",
            sessions=_sessions_from_files(folder / f"hdfs_{variant}", "hdfs_train", "hdfs_test_abnormal"),
            templates=read_templates(folder / "HDFS_templates.csv"),
            metadata={"source": str(folder), "labels": "file membership (Loghub anomaly_label.csv)",
                      "template_ids": "k = k-th line of HDFS_templates.csv"},
        )
    return load


def _load_deeplog(folder: Path) -> LabeledDataset:
    return LabeledDataset(name="hdfs-deeplog-keys",
                          sessions=_sessions_from_files(folder, "hdfs_train", "hdfs_test_abnormal"),
                          metadata={"source": str(folder), "labels": "file membership",
                                    "template_ids": "DeepLog log keys; thought to be Loghub E1-E29, not verified"})


def read_template_sessions(path: PathLike) -> tuple[list[Session], dict[str, Template]]:
    """deep-loglizer sessions (``{"block_id", "label", "split", "templates": [text...]}`` per line); templates
    get the md5 ids that :mod:`synthlog.parse.drain` gives, so they are stable and comparable."""
    from synthlog.parse.drain import template_id

    templates: dict[str, Template] = {}
    ids: dict[str, str] = {}
    sessions = []
    for number, line in track(iter_lines(path, max_line_bytes=64 << 20), f"reading {Path(path).name}"):
        try:
            record = json.loads(line)
            block, label, texts = record["block_id"], record["label"], record["templates"]
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(f"bad session record ({exc})", path=path, line=number) from None
        if not isinstance(block, str) or label not in (NORMAL, ANOMALY) or not isinstance(texts, list) \
                or not all(isinstance(t, str) for t in texts):
            raise InputError("block_id must be a string, label 0 or 1 and templates a list of strings", path=path,
                             line=number)
        events = []
        for text in texts:
            tid = ids.get(text)
            if tid is None:
                tid = ids[text] = template_id(text)
                templates[tid] = Template(id=tid, text=text)
            templates[tid].occurrences += 1
            events.append(LogEvent(content="", template_id=tid))
        sessions.append(Session(id=block, events=events, label=label, label_rule="loghub-anomaly-label",
                                attributes={"split": record.get("split")}))
    return sessions, templates


def _load_hdfs100k(folder: Path) -> LabeledDataset:
    sessions, templates = read_template_sessions(folder / "sessions.jsonl")
    return LabeledDataset(name="hdfs-100k-sessions", sessions=sessions, templates=templates,
                          metadata={"source": str(folder), "labels": "Loghub anomaly_label.csv",
                                    "events": "template ids only (no message text)"})


def _load_robustlog(folder: Path) -> LabeledDataset:
    sessions = []
    for split, file in (("train", "robust_log_train.csv"), ("valid", "robust_log_valid.csv")):
        for session in read_sequence_csv(folder / file):
            session.attributes["split"] = split
            session.label_rule = "label-column"
            sessions.append(session)
    return LabeledDataset(name="hdfs-logdeep-robustlog", sessions=sessions,
                          metadata={"source": str(folder), "template_ids": "DeepLog log keys"})


def sessions_by_block(events: Iterable[LogEvent], labels: dict[str, int]) -> list[Session]:
    """HDFS block sessions labeled from a block label file (blocks missing from it stay unlabeled)."""
    from synthlog.parse.sessions import by_entity, label_from_entities

    sessions = by_entity(events)
    label_from_entities(sessions, labels)
    return sessions


def _load_first20k(folder: Path) -> LabeledDataset:
    from synthlog.parse.drain import parse_events

    events, templates = parse_events(read_raw(folder / "HDFS_20000.log", "hdfs"))
    return LabeledDataset(name="hdfs-first20k", templates=templates,
                          sessions=sessions_by_block(events, read_labels(folder / "block_labels.csv")),
                          metadata={"source": str(folder), "parsed_with": "synthlog drain3 parser",
                                    "labels": "block list of HDFS_v1 anomalies", "log_format": "hdfs"})


def _load_structured(name: str, structured: str, template_file: str, labels: str) -> Callable[[Path], LabeledDataset]:
    def load(folder: Path) -> LabeledDataset:
        events = list(read_structured(folder / structured))
        return LabeledDataset(name=name, templates=read_templates(folder / template_file),
                              sessions=sessions_by_block(events, read_labels(folder / labels)),
                              metadata={"source": str(folder), "log_format": "hdfs",
                                        "labels": "block labels derived from the HDFS_v1 anomalous block list"})
    return load


def _load_zookeeper(folder: Path) -> LabeledDataset:
    labels = read_labels(folder / "zookeeper.anomaly_label.csv")
    sessions = [Session(id=key, label=label, label_rule="window-has-error-line") for key, label in labels.items()]
    return LabeledDataset(name="zookeeper-windows", sessions=sessions,
                          templates=read_templates(folder / "Zookeeper.log_templates.csv"),
                          metadata={"source": str(folder), "lacks": "window contents (sessions have no events)",
                                    "labels": "heuristic: window of 10 lines (step 2) has an ERROR line"})


ZOOKEEPER_WINDOW_S = 60  # the window of recipes/zookeeper-3.4.yaml, so real and synthetic sessions are alike


def _load_zookeeper_2k(folder: Path) -> LabeledDataset:
    """The 2k sample sorted by time and cut into fixed windows; a window is anomalous when it holds an ERROR line
    (a heuristic: Loghub publishes no ZooKeeper labels)."""
    events = sorted(read_structured(folder / "Zookeeper_2k.log_structured.csv"),
                    key=lambda e: (e.timestamp or 0, e.line_id or 0))
    windows: dict[int, list[LogEvent]] = {}
    origin = (events[0].timestamp or 0) if events else 0
    for event in events:
        windows.setdefault(((event.timestamp or origin) - origin) // (ZOOKEEPER_WINDOW_S * US), []).append(event)
    sessions = []
    for index, lines in sorted(windows.items()):
        error = any((e.level or "").strip().upper() == "ERROR" for e in lines)
        sessions.append(Session(id=f"zk2k_w{index:06d}", events=lines, label=ANOMALY if error else NORMAL,
                                label_rule="heuristic:error-line-in-window" if error else None))
    return LabeledDataset(name="zookeeper-2k-windows", sessions=sessions,
                          templates=read_templates(folder / "Zookeeper_2k.log_templates.csv"),
                          metadata={"source": str(folder), "log_format": "zookeeper",
                                    "window_s": ZOOKEEPER_WINDOW_S,
                                    "labels": "heuristic: a window is anomalous when it holds an ERROR line "
                                              "(no ground truth exists for ZooKeeper)"})


SHARED: dict[str, SharedDataset] = {d.name: d for d in (
    SharedDataset("hdfs-ait-loghub", "hdfs/ait_hdfs_v1_sequences",
                  "HDFS_v1 block sequences (AIT, from Loghub HDFS.log), 33 templates",
                  "22,421 sessions: 5,583 Normal (1% sample), 16,838 Anomaly (all)", "the other ~552,640 normal blocks",
                  _load_ait("loghub")),
    SharedDataset("hdfs-ait-xu", "hdfs/ait_hdfs_v1_sequences",
                  "HDFS_v1 block sequences (AIT, from Xu's sorted.log), 33 templates",
                  "22,421 sessions: 5,583 Normal (1% sample), 16,838 Anomaly (all)", "the other ~552,640 normal blocks",
                  _load_ait("xu")),
    SharedDataset("hdfs-deeplog-keys", "hdfs/deeplog_keys", "DeepLog HDFS key sequences (no block ids)",
                  "21,693 sessions: 4,855 Normal, 16,838 Anomaly", "block ids, templates, hdfs_test_normal",
                  _load_deeplog),
    SharedDataset("hdfs-100k-sessions", "hdfs/deeploglizer_hdfs100k_sessions",
                  "deep-loglizer HDFS_100k block sessions as template strings",
                  "7,940 sessions: 7,627 Normal, 313 Anomaly", "message text and timestamps", _load_hdfs100k),
    SharedDataset("hdfs-logdeep-robustlog", "hdfs/logdeep_robustlog", "logdeep LogRobust balanced key sequences",
                  "14,000 sessions: 7,000 Normal, 7,000 Anomaly (train + valid)", "block ids, templates, test split",
                  _load_robustlog),
    SharedDataset("hdfs-first20k", "hdfs/logai_hdfs_v1_first20k_raw",
                  "first 20,000 raw HDFS_v1 lines, parsed and sessionized by block",
                  "1,782 sessions: 1,739 Normal, 43 Anomaly", "lines of blocks that continue past line 20,000",
                  _load_first20k),
    SharedDataset("hdfs-loghub-2k", "hdfs/loghub_2k", "Loghub HDFS_2k structured log, sessions by block",
                  "2,200 sessions: 2,131 Normal, 69 Anomaly", "whole blocks (a sample of lines spread over the log)",
                  _load_structured("hdfs-loghub-2k", "HDFS_2k.log_structured.csv", "HDFS_2k.log_templates.csv",
                                   "block_labels.csv")),
    SharedDataset("hdfs-loghub2-2k-corrected", "hdfs/loghub2_2k_corrected",
                  "loghub-2.0 corrected templates of HDFS_2k, sessions by block (labels from loghub_2k)",
                  "2,200 sessions: 2,131 Normal, 69 Anomaly",
                  "its own labels (borrowed from loghub_2k/block_labels.csv)",
                  _load_structured("hdfs-loghub2-2k-corrected", "HDFS_2k.log_structured_corrected.csv",
                                   "HDFS_2k.log_templates_corrected.csv", "../loghub_2k/block_labels.csv")),
    SharedDataset("zookeeper-windows", "zookeeper/anomalygen_full_log_derived",
                  "ZooKeeper full-log templates (77, with counts) and weak window labels",
                  "37,186 windows: 36,298 Normal, 888 Anomaly", "window contents (the full Zookeeper.log)",
                  _load_zookeeper),
    SharedDataset("zookeeper-2k-windows", "zookeeper/loghub_2k",
                  "Loghub Zookeeper_2k, sorted by time, in 60 s windows; HEURISTIC labels (an ERROR line)",
                  "289 windows: 281 Normal, 8 Anomaly (heuristic)",
                  "real anomaly labels; which server wrote a line (one stream is windowed)", _load_zookeeper_2k),
)}


def _shared_name(name: str) -> str | None:
    key = name.strip().lower().replace("_", "-")
    return key if key in SHARED else None


def list_datasets(root: PathLike | None = None) -> list[DatasetInfo]:
    """Every shared data set, with its folder and whether it is present."""
    base = Path(root) if root is not None else data_root()
    infos = []
    for d in SHARED.values():
        path = base / d.folder if base is not None else None
        infos.append(DatasetInfo(name=d.name, path=path, present=path is not None and path.is_dir(),
                                 description=d.description, summary=d.summary, lacks=d.lacks))
    return infos


def load_dataset(name_or_path: PathLike, root: PathLike | None = None) -> LabeledDataset:
    """A shared data set by name (see :func:`list_datasets`) or a user's data set directory or file."""
    shared = _shared_name(str(name_or_path))
    if shared is not None:
        base = Path(root) if root is not None else data_root()
        folder = base / SHARED[shared].folder if base is not None else None
        if folder is None or not folder.is_dir():
            raise InputError(f"shared data set {shared!r} not found (set {DATA_ENV} to the shared data directory)",
                             path=folder)
        ds = SHARED[shared].load(folder)
        ds.metadata.setdefault("lacks", SHARED[shared].lacks)
        return ds
    if is_url(name_or_path):  # fetched for the time it is read
        with local_input(name_or_path) as local:
            return load_directory(local)
    path = Path(name_or_path)
    if not (path.exists() or is_file_like(path)):
        known = ", ".join(SHARED)
        raise InputError(f"no such data set or path (shared data sets: {known})", path=path)
    return load_directory(path)


def load_directory(path: PathLike) -> LabeledDataset:
    """Load a data set directory (or one file) in any registered format, recognised by file names.

    Sessions come from the first of: JSON Lines, Parquet, structured CSV (sessionized by HDFS block, unless a
    sequence file lists other sessions: then those), sequence files, raw log (parsed, sessionized by block);
    templates from a templates file; labels from a label file.
    """
    path = Path(path)
    if _is_simulator_output(path):
        from synthlog.io.generated import load_generated  # events carry their session in a context, not an id

        return load_generated(path)
    single = not path.is_dir() or is_parts_folder(path)  # a folder of parts reads as one file
    files = [path] if single else sorted(p for p in path.iterdir() if p.is_file() or is_parts_folder(p))
    by_kind: dict[str, list[Path]] = {}
    for file in files:
        fmt = registry.detect(file)
        if fmt is not None:
            by_kind.setdefault(fmt.name, []).append(file)
    name = path.stem if single else path.name
    metadata: dict = {"source": str(path)}
    for meta in () if single else sorted(path.glob("*.metadata.json")):
        saved = _read_metadata(meta)
        name, metadata = saved.get("name", name), {**saved.get("metadata", {}), **metadata}
    templates: dict[str, Template] = {}
    for file in by_kind.get("templates", []):
        templates.update(read_templates(file))
    labels: dict[str, int] = {}
    for file in by_kind.get("labels", []):
        labels.update(read_labels(file))
    sessions = _load_sessions(by_kind, labels, templates)
    if sessions is None:
        if not templates and not labels:
            raise InputError("no data set files found (expected *.jsonl, *.parquet, *.sequences, "
                             "*_structured.csv, *.log, *templates*.csv or *label*.csv)", path=path)
        sessions = [Session(id=key, label=label, label_rule="label-file") for key, label in labels.items()]
    return LabeledDataset(name=name, sessions=sessions, templates=templates, metadata=metadata)


def _read_metadata(path: Path) -> dict:
    """A ``NAME.metadata.json`` written by :func:`write_dataset`: ``{"name": ..., "metadata": {...}}``."""
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"not a metadata JSON file ({exc})", path=path) from None
    if not isinstance(saved, dict) or not isinstance(saved.get("metadata", {}), dict):
        raise InputError('expected {"name": ..., "metadata": {...}}', path=path)
    return saved


def _is_simulator_output(path: Path) -> bool:
    """A directory written by ``synthlog generate stats``: its events.jsonl holds lines with a context, not sessions."""
    events = path / "events.jsonl"
    if not (path.is_dir() and is_file_like(events)):
        return False
    first = next(iter_lines(events), (0, ""))[1]
    try:
        record = json.loads(first)
    except json.JSONDecodeError:
        return False
    return isinstance(record, dict) and "context" in record and "message" in record and "id" not in record


def label_of_file(path: Path) -> int | None:
    """DeepLog's convention: a sequence file named ``*abnormal*``/``*anomal*`` holds anomalies, one named
    ``*normal*`` or ``*_train`` normal sessions; any other name says nothing."""
    name = path.name.lower()
    if "abnormal" in name or "anomal" in name:
        return ANOMALY
    if "normal" in name or name.endswith("_train"):
        return NORMAL
    return None


def _load_sessions(by_kind: dict[str, list[Path]], labels: dict[str, int],
                   templates: dict[str, Template]) -> list[Session] | None:
    from synthlog.parse.sessions import label_from_entities, label_from_lines

    if "jsonl" in by_kind:
        sessions = []
        for file in by_kind["jsonl"]:
            first = next(iter_lines(file), (0, ""))[1]
            if '"templates"' in first and '"block_id"' in first:
                found, found_templates = read_template_sessions(file)
                sessions += found
                templates.update(found_templates)
            elif is_event_record(first):
                sessions += read_event_sessions(file)
            else:
                sessions += list(read_jsonl(file))
    elif "parquet" in by_kind:
        read = registry.get("parquet").read  # binary: a folder of parts or a glob is read member by member
        sessions = [s for file in by_kind["parquet"] for member in members(file) for s in read(member)]
    elif "structured" in by_kind:
        seen: dict[str, Template] = {}  # the EventTemplate column, counted; a templates file keeps its own counts
        events = [e for file in by_kind["structured"] for e in read_structured(file, seen)]
        for tid, counted in seen.items():
            known = templates.setdefault(tid, counted)
            if not known.occurrences:
                known.occurrences = counted.occurrences
        sessions = sessions_by_block(events, labels)
        listed = [s for file in by_kind.get("sequences", []) for s in read_sequences(file)]
        if not listed or [s.id for s in listed] == [s.id for s in sessions]:
            return sessions  # block sessions with their events (sequence file, if any, agrees)
        sessions = listed  # sessions of another kind (windows): event ids only
    elif "sequences" in by_kind:
        sessions = [s for file in by_kind["sequences"] for s in read_sequences(file, label=label_of_file(file))]
    elif "raw" in by_kind:
        from synthlog.parse.drain import parse_events

        raw = [e for file in by_kind["raw"] for e in read_raw(file, detect_format(file))]
        events, mined = parse_events(raw)
        templates.update(mined)
        return sessions_by_block(events, labels)
    else:
        return None
    if labels:
        label_from_entities([s for s in sessions if s.label is None], labels)
    # a session the label file does not name takes its lines' labels, when they all have one (events files)
    label_from_lines([s for s in sessions if s.label is None and s.events
                      and all(e.label is not None for e in s.events)])
    return sessions


def describe(ds: LabeledDataset) -> str:
    """Counts of a data set as a few human-readable lines."""
    lengths = [len(s) for s in ds.sessions]
    labels = ", ".join(f"{count} {word}" for word, count in sorted(ds.label_counts().items()))
    lines = [f"{ds.name}: {len(ds)} sessions ({labels or 'none'})",
             f"  events: {sum(lengths)}" + (f", session length {min(lengths)}-{max(lengths)}, "
                                            f"mean {sum(lengths) / len(lengths):.1f}" if lengths else ""),
             f"  templates: {len(ds.templates)}"]
    lines += [f"  {key}: {value}" for key, value in sorted(ds.metadata.items())]
    return "\n".join(lines)
