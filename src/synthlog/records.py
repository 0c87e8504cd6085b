"""The core records every stage speaks: log events, templates, sessions and labeled data sets.

Readers produce these, generators produce these, writers, metrics and detectors consume them. Labels are
integers (``NORMAL`` / ``ANOMALY``) or ``None`` when unknown; the Loghub words ``Normal`` / ``Anomaly`` are
only a file-format concern (see :func:`label_from_word` and :func:`label_to_word`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

NORMAL = 0
ANOMALY = 1
US = 1_000_000  # microseconds per second: event times are whole microseconds since the Unix epoch (UTC)

_WORDS = {"normal": NORMAL, "anomaly": ANOMALY, "0": NORMAL, "1": ANOMALY, "abnormal": ANOMALY}


def label_from_word(word: str) -> int:
    """Map a label as written in files (``Normal``/``Anomaly``/``0``/``1``) to ``NORMAL``/``ANOMALY``."""
    try:
        return _WORDS[word.strip().lower()]
    except KeyError:
        raise ValueError(f"unknown label {word!r} (expected Normal, Anomaly, 0 or 1)") from None


def label_to_word(label: int | None) -> str:
    """The Loghub word for a label; an unknown label (``None``) is refused rather than written as ``Normal``."""
    if label == NORMAL:
        return "Normal"
    if label == ANOMALY:
        return "Anomaly"
    raise ValueError(f"cannot write unknown label {label!r}")


def micros_of(seconds: float | None) -> int | None:
    """Whole epoch microseconds of epoch seconds (``None`` stays ``None``)."""
    return None if seconds is None else round(seconds * US)


@dataclass(slots=True)
class LogEvent:
    """One log line.

    ``fields`` keeps the header fields of the line's format that have no dedicated attribute (``Date``,
    ``Time``, ``Pid``, ``Node`` ...), in format order, so a line can be written back exactly.
    ``timestamp`` is whole microseconds since the Unix epoch (UTC) when known (:func:`micros_of` turns epoch
    seconds into it; formats render it at the edge).
    ``label_rule`` names the rule or source that set ``label`` (a labeling rule, a label file, an anomaly
    episode). ``attributes`` carries structured context (``request_id``, ``anomaly`` ...).
    """

    content: str
    timestamp: int | None = None
    level: str | None = None
    component: str | None = None
    template_id: str | None = None
    parameters: list[str] = field(default_factory=list)
    label: int | None = None
    label_rule: str | None = None
    line_id: int | None = None
    fields: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Template:
    """An event template: literal text with ``<*>`` for every variable part."""

    id: str
    text: str
    occurrences: int = 0
    level: str | None = None
    source: str | None = None  # e.g. the id of the logging statement that prints it


@dataclass(slots=True)
class Session:
    """A group of events about one entity or one window, with its label."""

    id: str
    events: list[LogEvent] = field(default_factory=list)
    label: int | None = None
    label_rule: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)

    @property
    def event_ids(self) -> list[str]:
        """The template ids of the session's events, in order (events without one are skipped)."""
        return [e.template_id for e in self.events if e.template_id is not None]

    def __len__(self) -> int:
        return len(self.events)

    @classmethod
    def from_event_ids(cls, session_id: str, event_ids: Iterable[str], label: int | None = None) -> Session:
        """A session known only by its event-id sequence (sequence files, key files)."""
        return cls(id=session_id, events=[LogEvent(content="", template_id=e) for e in event_ids], label=label)


@dataclass(slots=True)
class LabeledDataset:
    """Sessions of events, the templates they use, and metadata (source, format, generator, seed ...)."""

    name: str
    sessions: list[Session] = field(default_factory=list)
    templates: dict[str, Template] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.sessions)

    def __iter__(self) -> Iterator[Session]:
        return iter(self.sessions)

    @property
    def labels(self) -> list[int | None]:
        return [s.label for s in self.sessions]

    @property
    def sequences(self) -> list[list[str]]:
        return [s.event_ids for s in self.sessions]

    def events(self) -> Iterator[LogEvent]:
        """All events of all sessions, in session order."""
        for s in self.sessions:
            yield from s.events

    def label_counts(self) -> dict[str, int]:
        words = {NORMAL: "Normal", ANOMALY: "Anomaly", None: "Unknown"}
        return dict(Counter(words[s.label] for s in self.sessions))

    def subset(self, indices: Iterable[int], name: str | None = None) -> LabeledDataset:
        """A data set of the chosen sessions sharing this one's templates and metadata."""
        return LabeledDataset(
            name=name or self.name,
            sessions=[self.sessions[i] for i in indices],
            templates=self.templates,
            metadata=dict(self.metadata),
        )
