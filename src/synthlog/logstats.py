"""Sequence statistics shared by the profiler and the fidelity metrics: template keys, error types, transitions,
causal pairs and anomaly signatures, all computed the same way from any labeled data set.

Keeping these definitions in one module is what makes a profile-generate-validate round trip meaningful: the profiler
writes into a spec exactly what the validator later measures.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from synthlog.records import ANOMALY, NORMAL, US, LabeledDataset, LogEvent, Session

END = "<END>"  # the state after a session's last event in transition counts

_PLACEHOLDER = re.compile(r"<[^<>\s]*>")
_STARS = re.compile(r"<\*>(?:[\s:/,._-]*<\*>)+")
_HEX_PREFIX = re.compile(r"\b0[xX]<\*>")  # a parser may keep the 0x of a hex value in the template or not
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=1 << 16)  # a data set has few distinct templates and millions of lines
def template_key(text: str) -> str:
    """A template's text normalised for comparison across parsers: every placeholder (``<*>``, ``<:IP:>``, ``<NUM>``)
    becomes ``<*>``, runs of placeholders joined by punctuation collapse to one, ``0x<*>`` is ``<*>``, whitespace
    collapses."""
    text = _HEX_PREFIX.sub("<*>", _PLACEHOLDER.sub("<*>", text))
    text = _STARS.sub("<*>", text)
    return _SPACES.sub(" ", text).strip()


def event_key(event: LogEvent, templates: dict[str, str] | None = None) -> str:
    """The comparison key of an event: its template text when known (looked up by template id), else its content."""
    if templates is not None and event.template_id is not None and event.template_id in templates:
        return template_key(templates[event.template_id])
    template = event.attributes.get("template")
    if isinstance(template, str) and template:
        return template_key(template)
    return template_key(event.content) if event.content else str(event.template_id)


def template_texts(dataset: LabeledDataset) -> dict[str, str]:
    """Template id -> template text of a data set."""
    return {tid: t.text for tid, t in dataset.templates.items()}


def session_keys(dataset: LabeledDataset) -> list[list[str]]:
    """Every session as its list of event keys, in log order."""
    texts = template_texts(dataset)
    return [[event_key(e, texts) for e in s.events] for s in dataset.sessions]


# ---------------------------------------------------------------------------------------------------------------------
# Error types
# ---------------------------------------------------------------------------------------------------------------------

ERROR_LEVELS = frozenset({"WARN", "WARNING", "ERROR", "FATAL", "SEVERE", "CRITICAL"})

# Checked in order; the first class whose pattern matches the template text names the error type.
ERROR_CLASSES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in (
        ("timeout", r"timed?[ _-]?out|timeout"),
        ("out_of_memory", r"out ?of ?memory|heap space|OutOfMemory"),
        ("connection", r"connection|refused|reset by peer|unreachable|broken pipe|socket"),
        ("interrupted", r"interrupt"),
        ("corruption", r"corrupt|checksum|mismatch"),
        ("permission", r"permission|denied|unauthori[sz]ed|forbidden"),
        ("not_found", r"not found|no such|does not exist|FileNotFound"),
        ("io", r"IOException|\bEOF|no space"),
        ("exception", r"exception|\berror|fail|unable|cannot|can't|abort"),
    )
)


@lru_cache(maxsize=1 << 16)
def classify_error(text: str, level: str | None) -> str | None:
    """The error type of a line with this template text and level, or ``None`` for a line that reports no error.

    The first keyword class of :data:`ERROR_CLASSES` that matches the text wins; a line without a keyword at a level
    of :data:`ERROR_LEVELS` gets the level itself in lower case (``warn``, ``error``)."""
    for name, pattern in ERROR_CLASSES:
        if pattern.search(text):
            return name
    if level is not None and level.upper() in ERROR_LEVELS:
        return level.lower()
    return None


def error_type(event: LogEvent, key: str) -> str | None:
    """An event's own ``error_type`` attribute when it has one (synthetic data), else :func:`classify_error`."""
    given = event.attributes.get("error_type")
    if given:
        return str(given)
    if "error_type" in event.attributes:  # present but empty: the generator says "no error"
        return None
    return classify_error(key, event.level)


def error_counts(dataset: LabeledDataset) -> Counter[str]:
    """How many events of each error type the data set has (events that report no error are not counted)."""
    texts = template_texts(dataset)
    counts: Counter[str] = Counter()
    for event in dataset.events():
        kind = error_type(event, event_key(event, texts))
        if kind is not None:
            counts[kind] += 1
    return counts


def error_sessions(dataset: LabeledDataset) -> Counter[str]:
    """In how many distinct sessions each error type occurs."""
    texts = template_texts(dataset)
    counts: Counter[str] = Counter()
    for session in dataset.sessions:
        counts.update({kind for event in session.events if (kind := error_type(event, event_key(event, texts)))})
    return counts


# ---------------------------------------------------------------------------------------------------------------------
# Transitions
# ---------------------------------------------------------------------------------------------------------------------

def transition_counts(sequences: Iterable[list[str]]) -> dict[str, Counter[str]]:
    """For every key, how often each key (or :data:`END`) follows it inside a session."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for seq in sequences:
        for current, following in zip(seq, [*seq[1:], END], strict=True):
            counts[current][following] += 1
    return dict(counts)


# ---------------------------------------------------------------------------------------------------------------------
# Causal pairs
# ---------------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class CausalPair:
    """``effect`` follows ``cause`` in the same session, ``lag_min``..``lag_max`` seconds later (``None``: untimed).

    ``confidence`` is the share of sessions with the cause in which the effect follows it; ``support`` the number of
    sessions with the cause."""

    cause: str
    effect: str
    lag_min: float | None
    lag_max: float | None
    confidence: float
    support: int


def _first_positions(keys: list[str]) -> dict[str, int]:
    first: dict[str, int] = {}
    for i, key in enumerate(keys):
        first.setdefault(key, i)
    return first


def session_times(session: Session) -> list[int] | None:
    """A session's event times (epoch microseconds), or ``None`` when any event has none (then no lag can be
    checked). Lags are differences of these, divided by :data:`~synthlog.records.US` (exact to the microsecond)."""
    times = [e.timestamp for e in session.events]
    return None if any(t is None for t in times) else times  # type: ignore[return-value]


RESOLUTION_SAMPLE = 10_000  # timed events looked at for the clock step


def time_resolution(dataset: LabeledDataset) -> float:
    """The clock step of a data set's timestamps: 1.0 when all are whole seconds, 0.001 when all are whole
    milliseconds, else 0 (the first 10,000 timed events are checked)."""
    return _resolution([e.timestamp for e in dataset.events() if e.timestamp is not None][:RESOLUTION_SAMPLE])


def _resolution(times: list[int]) -> float:
    if not times:
        return 0.0
    for step in (1.0, 0.001):
        if all(t % round(step * US) == 0 for t in times):
            return step
    return 0.0


@dataclass
class CausalCounts:
    """What :func:`mine_causal_pairs` counts, merged exactly from parts of a data set (any split of its sessions):
    sessions with each template (``support``), sessions where one follows another (``follows``), every lag (one
    array per pair: quantiles do not depend on their order) and the first timed events in session order (for
    :func:`time_resolution`), each as ``(session order, position, time)``."""

    support: Counter[str]
    follows: Counter[tuple[str, str]]
    lags: dict[tuple[str, str], list[np.ndarray]]
    times: list[tuple[int, int, int]]  # (session order, position, epoch micros)

    def merge(self, other: CausalCounts) -> CausalCounts:
        self.support.update(other.support)
        self.follows.update(other.follows)
        for pair, arrays in other.lags.items():
            self.lags.setdefault(pair, []).extend(arrays)
        self.times = sorted(self.times + other.times)[:RESOLUTION_SAMPLE]
        return self



def causal_counts(dataset: LabeledDataset, orders: list[int] | None = None) -> CausalCounts:
    """The counts of :func:`mine_causal_pairs` for these sessions; ``orders``: each session's place in the whole
    data set (default: its place here), which orders the timed-event sample when parts are merged."""
    texts = template_texts(dataset)
    orders = orders if orders is not None else list(range(len(dataset.sessions)))
    support: Counter[str] = Counter()
    follows: Counter[tuple[str, str]] = Counter()
    lags: dict[tuple[str, str], list[float]] = defaultdict(list)
    sample: list[tuple[int, int, int]] = []
    for order, session in zip(orders, dataset.sessions, strict=True):
        if len(sample) < RESOLUTION_SAMPLE:
            sample += [(order, i, e.timestamp) for i, e in enumerate(session.events)
                       if e.timestamp is not None][:RESOLUTION_SAMPLE - len(sample)]
        if session.label == ANOMALY:
            continue
        keys = [event_key(e, texts) for e in session.events]
        times = session_times(session)
        first = _first_positions(keys)
        support.update(first.keys())
        for a, i in first.items():
            seen: set[str] = set()
            for j in range(i + 1, len(keys)):
                b = keys[j]
                if b == a or b in seen:
                    continue
                seen.add(b)
                follows[(a, b)] += 1
                if times is not None:
                    lags[(a, b)].append((times[j] - times[i]) / US)
    return CausalCounts(support, follows, {pair: [np.asarray(v, dtype=float)] for pair, v in lags.items()}, sample)


def mine_causal_pairs(dataset: LabeledDataset, min_support: int = 10, min_confidence: float = 0.9,
                      lag_quantiles: tuple[float, float] = (0.01, 0.99), max_pairs: int = 50) -> list[CausalPair]:
    """Pairs of templates where one reliably follows the other within a session, with their lag range.

    Only normal (or unlabeled) sessions count, so the pairs describe healthy behaviour. For each session and each
    template A, the first A is paired with the first occurrence after it of every other template B. (A, B) is a causal
    pair when A occurs in at least ``min_support`` sessions and B follows A in at least ``min_confidence`` of them.
    The lag range is the ``lag_quantiles`` of the observed lags (floored/ceiled to whole seconds), widened by the
    data's :func:`time_resolution` on both sides (a lag of 0 between times truncated to seconds is a true lag below
    1 s); it is ``None`` when the data has no timestamps. The ``max_pairs`` pairs of highest support (then
    confidence) are kept.
    """
    return causal_pairs(causal_counts(dataset), min_support, min_confidence, lag_quantiles, max_pairs)


def causal_pairs(counts: CausalCounts, min_support: int = 10, min_confidence: float = 0.9,
                 lag_quantiles: tuple[float, float] = (0.01, 0.99), max_pairs: int = 50) -> list[CausalPair]:
    """The causal pairs of :func:`mine_causal_pairs` from its (merged) counts."""
    support = counts.support
    resolution = _resolution([t for _, _, t in counts.times])
    pairs = []
    for (a, b), n in counts.follows.items():
        if support[a] < min_support or n / support[a] < min_confidence:
            continue
        observed = counts.lags.get((a, b))
        lag_min = lag_max = None
        if observed and sum(map(len, observed)):
            low, high = np.quantile(np.concatenate(observed), lag_quantiles)
            lag_min = max(float(np.floor(low)) - resolution, 0.0)
            lag_max = float(np.ceil(high)) + resolution
        pairs.append(CausalPair(a, b, lag_min, lag_max, round(n / support[a], 4), support[a]))
    pairs.sort(key=lambda p: (-p.support, -p.confidence, p.cause, p.effect))
    return pairs[:max_pairs]


def causal_order_counts(sequences: list[list[str]], times: list[list[int] | None],
                        pairs: Iterable[CausalPair]) -> tuple[int, int]:
    """(pairs in the right order within their lag, all pairs) over the sessions that contain both ends of a pair.

    A pair instance is a session holding both the cause and the effect. It is right when the effect's first occurrence
    after the cause's first occurrence exists and its lag lies in [lag_min, lag_max] (lags are checked only when both
    the pair and the session are timed)."""
    right = total = 0
    firsts = [_first_positions(seq) for seq in sequences]
    for pair in pairs:
        for seq, ts, first in zip(sequences, times, firsts, strict=True):
            if pair.cause not in first or pair.effect not in first:
                continue
            total += 1
            i = first[pair.cause]
            j = next((k for k in range(i + 1, len(seq)) if seq[k] == pair.effect), None)
            if j is None:
                continue
            if ts is not None and pair.lag_min is not None and pair.lag_max is not None:
                lag = (ts[j] - ts[i]) / US
                if not pair.lag_min <= lag <= pair.lag_max:
                    continue
            right += 1
    return right, total


# ---------------------------------------------------------------------------------------------------------------------
# Anomaly signatures
# ---------------------------------------------------------------------------------------------------------------------

STRUCTURAL = "structural"  # an anomalous session without any anomaly-indicative template


@dataclass
class IndicativeCounts:
    """What :func:`indicative_templates` counts (sessions per key among anomalous and normal sessions), merged
    exactly from parts of a data set."""

    anomalous: Counter[str]
    normal: Counter[str]
    n_anomalous: int = 0
    n_normal: int = 0

    def merge(self, other: IndicativeCounts) -> IndicativeCounts:
        self.anomalous.update(other.anomalous)
        self.normal.update(other.normal)
        self.n_anomalous += other.n_anomalous
        self.n_normal += other.n_normal
        return self


def indicative_counts(dataset: LabeledDataset) -> IndicativeCounts:
    """The counts of :func:`indicative_templates` for these sessions."""
    counts = IndicativeCounts(Counter(), Counter())
    for session, keys in zip(dataset.sessions, session_keys(dataset), strict=True):
        if session.label == ANOMALY:
            counts.n_anomalous += 1
            counts.anomalous.update(set(keys))
        elif session.label == NORMAL:
            counts.n_normal += 1
            counts.normal.update(set(keys))
    return counts


def indicative_templates(dataset: LabeledDataset, min_sessions: int = 2, min_lift: float = 5.0) -> list[str]:
    """Templates that mark anomalies: found in at least ``min_sessions`` anomalous sessions and at least ``min_lift``
    times more often (share of sessions) in anomalous than in normal sessions."""
    return indicative_from_counts(indicative_counts(dataset), min_sessions, min_lift)


def indicative_from_counts(counts: IndicativeCounts, min_sessions: int = 2, min_lift: float = 5.0) -> list[str]:
    """The indicative templates of :func:`indicative_templates` from its (merged) counts."""
    if not counts.n_anomalous:
        return []
    n_normal, n_anomalous = counts.n_normal, counts.n_anomalous
    floor = 1.0 / max(n_normal, 1)
    return sorted(key for key, n in counts.anomalous.items()
                  if n >= min_sessions and (n / n_anomalous) / max(counts.normal[key] / max(n_normal, 1), floor)
                  >= min_lift)


def anomaly_signature(keys: Iterable[str], indicative: Iterable[str]) -> str:
    """The anomaly type of an anomalous session: its indicative templates joined by `` + `` (sorted), or
    :data:`STRUCTURAL` when it has none (an anomaly of order or absence, e.g. a missing acknowledgement)."""
    found = sorted(set(keys) & set(indicative))
    return " + ".join(found) if found else STRUCTURAL


def anomaly_types(dataset: LabeledDataset, indicative: list[str]) -> Counter[str]:
    """How many anomalous sessions have each anomaly type.

    A session whose events carry an ``anomaly`` attribute (a generator's scenario name) is typed by the signature
    of its keys all the same, so real and synthetic data are typed alike."""
    counts: Counter[str] = Counter()
    for session, keys in zip(dataset.sessions, session_keys(dataset), strict=True):
        if session.label == ANOMALY:
            counts[anomaly_signature(keys, indicative)] += 1
    return counts
