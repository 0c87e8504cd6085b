"""The profiler's statistics of a part of a data set's sessions, merged exactly into those of the whole.

A part is any set of sessions that holds every session sharing a line with one of its own (an HDFS line naming
two blocks sits in both sessions: both must be in the same part, so the line is counted once, in the first of them,
as one pass over the whole data set counts it). Each session carries its place in the whole data set's session
order, so what depends on order (the first values of a slot, the first timed lines, the first line of a message)
is taken back in that order when parts merge; counts add up, sessions-per-value counts add up (a session is in one
part only), sets join, and exact values are kept whole in arrays where a quantile or median needs them. Two
passes: :func:`first_part` counts what decides the catalogue (templates, components, errors, addresses, anomaly
marks, causal pairs, sessions); :func:`second_part` what needs the catalogue (session groups and their order
models, the layout of lines with a released template).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from synthlog.logstats import (
    CausalCounts,
    IndicativeCounts,
    anomaly_signature,
    causal_counts,
    error_counts,
    event_key,
    indicative_counts,
)
from synthlog.parse.drain import WILDCARD, ParameterExtractor
from synthlog.privacy.values import VALUE_PATTERNS, dataset_values
from synthlog.records import ANOMALY, US, LabeledDataset, LogEvent, Session
from synthlog.stats.spec import END

RAW_VALUE = re.compile("|".join(f"(?:{VALUE_PATTERNS[k].pattern})" for k in ("block_id", "ip", "path", "host",
                                                                           "long_number")))
_PLACEHOLDER = re.compile(r"<[^<>\s]*>")
_SPACES = re.compile(r"\s+")
MAX_VALUES_PER_SLOT = 2000  # a template's slot values fitted: those of its first this many lines in session order

Order = tuple[int, int]  # (session's place in the whole data set, line's place in the session)


@lru_cache(maxsize=1 << 16)
def scrub(text: str) -> str:
    """A template text without any literal address, block id, path, host or long number (each becomes ``<*>``)."""
    return _SPACES.sub(" ", _PLACEHOLDER.sub(WILDCARD, RAW_VALUE.sub(WILDCARD, text))).strip()


def template_text(event: LogEvent, texts: dict[str, str]) -> str:
    """The scrubbed template text of an event (its template's, else its content's)."""
    return scrub(str(texts.get(event.template_id or "") or event.attributes.get("template") or event.content))


@dataclass
class TemplateStats:
    """One scrubbed template: lines, level and component counts, sessions it occurs in, and the slot values of its
    first :data:`MAX_VALUES_PER_SLOT` lines with values as ``(order, values, session id)``."""

    key: str
    text: str  # scrubbed, with <*> slots
    count: int = 0
    levels: Counter[str] = field(default_factory=Counter)
    components: Counter[str] = field(default_factory=Counter)
    sessions: int = 0
    firsts: list[tuple[Order, tuple[str, ...], str]] = field(default_factory=list)

    @property
    def values(self) -> list[list[tuple[str, str]]]:
        """Per slot: (value, session id) of the first lines in session order."""
        slots: list[list[tuple[str, str]]] = [[] for _ in range(self.text.count(WILDCARD))]
        for _, values, session in self.firsts:
            for slot, value in zip(slots, values, strict=False):
                slot.append((value, session))
        return slots

    def merge(self, other: TemplateStats) -> None:
        self.count += other.count
        self.levels.update(other.levels)
        self.components.update(other.components)
        self.sessions += other.sessions
        self.firsts = sorted(self.firsts + other.firsts)[:MAX_VALUES_PER_SLOT]


@dataclass(slots=True)
class SessionRow:
    """What the profile keeps of one session: its place, id, label and first line's time (epoch micros)."""

    order: int
    id: str
    label: int | None
    start: int | None


@dataclass
class FirstPart:
    """What decides the catalogue, for a part of the sessions (see the module's doc)."""

    templates: dict[str, TemplateStats]
    components: Counter[str]  # component -> sessions it occurs in
    errors: Counter[str]
    ips: set[str]
    bounded_ips: set[str]  # with epsilon: each session's first addresses only (see profile._node_count)
    indicative: IndicativeCounts
    causal: CausalCounts
    sessions: list[SessionRow]

    def merge(self, other: FirstPart) -> FirstPart:
        for key, stats in other.templates.items():
            if key in self.templates:
                self.templates[key].merge(stats)
            else:
                self.templates[key] = stats
        self.components.update(other.components)
        self.errors.update(other.errors)
        self.ips |= other.ips
        self.bounded_ips |= other.bounded_ips
        self.indicative.merge(other.indicative)
        self.causal.merge(other.causal)
        self.sessions = sorted(self.sessions + other.sessions, key=lambda s: s.order)
        return self


def first_part(work: LabeledDataset, orders: list[int], bounded_lines: int | None = None,
               elsewhere: set[int] | None = None) -> FirstPart:
    """The first pass over a part: ``orders`` gives each session's place in the whole data set; ``bounded_lines``
    (with epsilon) the addresses of a session that count towards the node count; ``elsewhere``: the ``id`` of
    events whose first session is in another part (overlapping windows), counted there, not here."""
    return FirstPart(templates=_templates(work, orders, elsewhere), components=_components(work),
                     errors=error_counts(work), ips=dataset_values(work, secrets=False, min_sessions=None)["ip"],
                     bounded_ips=set() if bounded_lines is None else _bounded_ips(work, bounded_lines),
                     indicative=indicative_counts(work), causal=causal_counts(work, orders),
                     sessions=[SessionRow(o, s.id, s.label, s.events[0].timestamp if s.events else None)
                               for o, s in zip(orders, work.sessions, strict=True)])


def _templates(work: LabeledDataset, orders: list[int], elsewhere: set[int] | None) -> dict[str, TemplateStats]:
    texts = {tid: t.text for tid, t in work.templates.items()}
    extract = ParameterExtractor()
    stats: dict[str, TemplateStats] = {}
    seen: set[int] = set(elsewhere or ())
    for order, session in zip(orders, work.sessions, strict=True):
        counted: set[str] = set()
        for position, event in enumerate(session.events):
            if id(event) in seen:  # an event naming two blocks sits in both sessions: count it once
                continue
            seen.add(id(event))
            text = template_text(event, texts)
            entry = stats.get(text)
            if entry is None:
                entry = stats[text] = TemplateStats(key=text, text=text)
            entry.count += 1
            if text not in counted:
                counted.add(text)
                entry.sessions += 1
            if event.level:
                entry.levels[event.level.upper()] += 1
            entry.components[event.component or "app"] += 1
            if event.content and WILDCARD in text and len(entry.firsts) < MAX_VALUES_PER_SLOT:
                values = extract(text, event.content)
                if values:
                    entry.firsts.append(((order, position), tuple(v.strip() for v in values), session.id))
    return stats


def _components(work: LabeledDataset) -> Counter[str]:
    sessions: Counter[str] = Counter()
    for session in work.sessions:
        sessions.update({event.component or "app" for event in session.events})
    return sessions


def _bounded_ips(work: LabeledDataset, lines: int) -> set[str]:
    counted: set[str] = set()
    for session in work.sessions:
        single = LabeledDataset(work.name, [session])
        counted |= set(sorted(dataset_values(single, secrets=False, min_sessions=None)["ip"])[:lines])
    return counted


# ---------------------------------------------------------------------------------------------------------------------
# The second pass: session groups and their order models, the layout
# ---------------------------------------------------------------------------------------------------------------------

@dataclass
class MarkovCounts:
    """A group's sessions as the order model counts them: first messages, transitions (with END), every gap per
    transition (arrays: medians and quantiles do not depend on order) and the sessions' lengths."""

    starts: Counter[str] = field(default_factory=Counter)
    transitions: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    gaps: dict[tuple[str, str], list[np.ndarray]] = field(default_factory=dict)
    lengths: list[np.ndarray] = field(default_factory=list)

    def merge(self, other: MarkovCounts) -> MarkovCounts:
        self.starts.update(other.starts)
        for a, counts in other.transitions.items():
            self.transitions[a].update(counts)
        for pair, arrays in other.gaps.items():
            self.gaps.setdefault(pair, []).extend(arrays)
        self.lengths.extend(other.lengths)
        return self


def markov_counts(sessions: list[list[tuple[str, float | None]]]) -> MarkovCounts:
    """The counts of sessions given as (message id, time) per kept event."""
    counts = MarkovCounts()
    gaps: dict[tuple[str, str], list[float]] = defaultdict(list)
    for events in sessions:
        if not events:
            continue
        counts.starts[events[0][0]] += 1
        for (a, t_a), (b, t_b) in zip(events, [*events[1:], (END, None)], strict=True):
            counts.transitions[a][b] += 1
            if t_a is not None and t_b is not None:
                gaps[(a, b)].append(max(t_b - t_a, 0.0))  # lines written slightly out of order: no gap
    counts.gaps = {pair: [np.asarray(v, dtype=float)] for pair, v in gaps.items()}
    counts.lengths = [np.asarray([len(s) for s in sessions if s], dtype=np.int64)]
    return counts


@dataclass
class Needs:
    """What the second pass needs of the first: the message id of every released template, the anomaly-marking
    keys, and the raw layout's format and clock (None: no layout)."""

    message_of: dict[str, str]
    indicative: list[str]
    layout: tuple[object, object] | None = None


@dataclass
class SecondPart:
    """Per anomaly signature (``""``: normal and unlabeled sessions) its sessions' count and order counts; the
    layout counts of the lines with a released template."""

    sizes: Counter[str]
    groups: dict[str, MarkovCounts]
    layout: object | None  # LayoutCounts

    def merge(self, other: SecondPart) -> SecondPart:
        self.sizes.update(other.sizes)
        for sig, counts in other.groups.items():
            if sig in self.groups:
                self.groups[sig].merge(counts)
            else:
                self.groups[sig] = counts
        if self.layout is not None:
            self.layout.merge(other.layout)
        return self


def second_part(work: LabeledDataset, orders: list[int], needs: Needs, elsewhere: set[int] | None = None) -> SecondPart:
    """The second pass over a part (see :class:`Needs`; ``elsewhere`` as for :func:`first_part`)."""
    from synthlog.stats.layoutprofile import layout_counts

    texts = {tid: t.text for tid, t in work.templates.items()}
    message_of = needs.message_of
    indicative = set(needs.indicative)
    members: dict[str, list[list[tuple[str, float | None]]]] = defaultdict(list)
    for session in work.sessions:
        sig = anomaly_signature([event_key(e, texts) for e in session.events], indicative) \
            if session.label == ANOMALY else ""
        members[sig].append(_kept_events(session, texts, message_of))
    layout = None
    if needs.layout is not None:
        fmt, clock = needs.layout
        layout = layout_counts(_layout_events(work, orders, texts, message_of, elsewhere), fmt, clock)
    return SecondPart(sizes=Counter({sig: len(m) for sig, m in members.items()}),
                      groups={sig: markov_counts(m) for sig, m in members.items()}, layout=layout)


def _kept_events(session: Session, texts: dict[str, str], message_of: dict[str, str]) -> list[tuple[str, float | None]]:
    """A session as (message id, time) of its events whose template is in the spec."""
    return [(message_of[key], None if e.timestamp is None else e.timestamp / US) for e in session.events
            if (key := template_text(e, texts)) in message_of]


def _layout_events(work: LabeledDataset, orders: list[int], texts: dict[str, str], message_of: dict[str, str],
                   elsewhere: set[int] | None) -> list[tuple[LogEvent, str, str, Order]]:
    """Every line with a released template once (in its first session), with its message, session and place."""
    seen: set[int] = set(elsewhere or ())
    events = []
    for order, session in zip(orders, work.sessions, strict=True):
        for position, event in enumerate(session.events):
            message = message_of.get(template_text(event, texts))
            if message is not None and id(event) not in seen:
                seen.add(id(event))
                events.append((event, message, session.id, (order, position)))
    return events
