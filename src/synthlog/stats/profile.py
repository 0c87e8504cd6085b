"""The profiler: derive a statistics spec from real logs, keeping no raw parameter value, optionally with every
released count under one differential-privacy budget (``epsilon``, :mod:`synthlog.privacy.budget`).

What goes into the spec: the templates (scrubbed of addresses, block ids, paths, hosts and long numbers) with their
level, component (as a service) and error type; for every slot only its kind and a rounded summary (numeric
quantiles to two significant digits, small enumerations with counts); the session process (rate, id shape, a
Markov model of template order with END, a gap histogram per frequent transition and a binned gap
distribution for the rest, a length cap); made-up node addresses, as many
as the real log has (noisy), in a /16 that holds no real address; the error mix; one session
process per anomaly type seen in at least ``min_sessions`` labeled anomalous sessions (rarer types pooled).
Mined causal pairs are reported in the summary and written as *observed* causal rules: the simulator does not fire
them (the session model already produces the order; firing them would log every effect twice), ``validate`` scores
them.
Guarantees and limits: docs/stats.md, "Profiling and validation".
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from synthlog.errors import InputError
from synthlog.logstats import (
    STRUCTURAL,
    CausalPair,
    causal_pairs,
    classify_error,
    indicative_from_counts,
    template_key,
)
from synthlog.parse.drain import WILDCARD
from synthlog.privacy.budget import Budget, bound_sessions, check_epsilon
from synthlog.records import ANOMALY, NORMAL, US, LabeledDataset, LogEvent, Session
from synthlog.stats.profileparts import (
    RAW_VALUE,
    FirstPart,
    MarkovCounts,
    Needs,
    SecondPart,
    SessionRow,
    TemplateStats,
    first_part,
    scrub,
    second_part,
)
from synthlog.stats.slots import TokenScrubber, slot_params
from synthlog.stats.spec import (
    CausalRule,
    Effect,
    Layout,
    Markov,
    Message,
    Param,
    Service,
    SessionId,
    SessionProcess,
    Spec,
    Trigger,
)
from synthlog.values.fit import FitRules, releasable

_IDENT = re.compile(r"[^A-Za-z0-9_.$:\-]+")
_MAX_VALUES_PER_SLOT = 2000


@dataclass
class ProfileOptions:
    """``epsilon``: one differential-privacy budget for every released count, split across families of counts
    (:data:`BUDGET_SHARES`; None: exact counts); ``max_session_lines``: with ``epsilon``, each session counts with
    its first this many lines only (contribution bounding); ``min_sessions``: k of k-anonymity: a template, a
    verbatim slot value or an exact number is released only when seen in at least this many distinct sessions, and
    an anomaly type needs this many sessions to get a process of its own; ``min_count``: a template seen fewer times
    is left out."""

    epsilon: float | None = None
    seed: int = 0
    min_sessions: int = 5
    min_count: int = 1
    max_session_lines: int = 32

    def __post_init__(self) -> None:
        if self.epsilon is not None:
            check_epsilon(self.epsilon)


@dataclass
class ProfileSummary:
    """What the profiler saw, for the report: counts, causal pairs, anomaly types (no raw values)."""

    sessions: int
    events: int
    templates: int
    anomalous_sessions: int
    anomaly_types: dict[str, int]
    causal_pairs: list[dict] = field(default_factory=list)
    dropped_templates: int = 0
    layout: dict | None = None  # format, where it came from (given, a built-in name, inferred), time formats
    privacy_budget: dict | None = None  # with epsilon: each family's share, sensitivity and noise scale
    session_processes: int = 0  # 0 only when noise removed every one (the spec logs nothing)
    session_spec: dict | None = None  # how the log was cut into sessions when the user did not say: spec, why


class _Noise:
    """The counts of one family as released: exact (no epsilon) or noised by the family's share of the budget."""

    def __init__(self, count: Callable[[float], float] = float):
        self.count = count

    def counts(self, counter: Counter[str] | dict[str, int]) -> dict[str, float]:
        return {k: self.count(counter[k]) for k in sorted(counter)}


# Relative shares of epsilon per family of released counts (the sessions' order model and the templates matter most)
BUDGET_SHARES = {"templates": 1.0, "nodes": 0.5, "sessions": 2.0, "gaps": 1.0, "errors": 1.0, "groups": 0.5,
                 "causal": 0.5, "values": 0.5, "layout": 1.0}


@dataclass
class _Release:
    """The noise of every family of counts the profiler releases, and the budget they come from (None: exact)."""

    families: dict[str, _Noise]
    budget: Budget | None = None

    def __getitem__(self, family: str) -> _Noise:
        return self.families[family]

    @property
    def fit_rules(self) -> tuple[Callable[[float], float], Callable[[float], float]]:
        """The weights and pool noise of value models: with a budget, weights publish no count (every kept value and
        pattern weighs 1) and only pool sizes spend the ``values`` family."""
        if self.budget is None:
            return float, float
        return (lambda count: 1.0 if count > 0 else 0.0), self["values"].count


def _release(stats: dict[str, TemplateStats], options: ProfileOptions, headers: int | None) -> _Release:
    """Exact counts, or one family per kind of count under the epsilon budget with the sensitivity one session of
    at most ``max_session_lines`` lines has: L lines for line counts, L + 1 for a session's start and transitions,
    1 for its group, 2 per mined causal pair (support and follows), L per value slot (a pool size grows by at most
    one per value) and L per level or header count; ``headers``: the raw layout's header count (None: no layout)."""
    if options.epsilon is None:
        return _Release({name: _Noise() for name in BUDGET_SHARES})
    lines = options.max_session_lines
    slots = max((s.text.count(WILDCARD) for s in stats.values() if _released_template(s, options)), default=0)
    sensitivity = {"templates": lines, "nodes": lines, "sessions": lines + 1, "gaps": lines, "errors": lines,
                   "groups": 1, "causal": 2 * PAIR_LIMIT, "values": lines * max(1, slots + (headers or 0)),
                   "layout": lines * (2 + (headers or 0))}
    names = [n for n in BUDGET_SHARES if n != "layout" or headers is not None]
    budget = Budget(options.epsilon, options.seed, {n: BUDGET_SHARES[n] for n in names})
    return _Release({n: _Noise(budget.family(n, sensitivity[n])) for n in names}, budget)


def _significant(x: float, digits: int = 2) -> float:
    if x == 0 or not math.isfinite(x):
        return 0.0
    return round(x, digits - 1 - int(math.floor(math.log10(abs(x)))))


def _probabilities(counts: dict[str, float]) -> dict[str, float]:
    total = sum(counts.values())
    if total <= 0:
        return {}
    probs = {k: round(v / total, 6) for k, v in counts.items() if v > 0}
    excess = sum(probs.values()) - 1.0
    if excess > 0:  # rounding must never push the sum above 1 (the spec refuses that)
        top = max(sorted(probs), key=lambda k: probs[k])
        probs[top] = round(probs[top] - excess, 6)
    return {k: v for k, v in probs.items() if v > 0}


# ---------------------------------------------------------------------------------------------------------------------
# Templates and slots
# ---------------------------------------------------------------------------------------------------------------------

def address_pool(real: set[str], size: int, seed: int) -> list[str]:
    """``size`` made-up IPv4 addresses (a cluster's nodes) in the first /16 of 172.16-31.x.x or 10.x.x.x that holds
    no real address, so no real address can come out of the simulator, not even by chance."""
    taken = {tuple(ip.split(".")[:2]) for ip in real}
    candidates = [("172", str(b)) for b in range(16, 32)] + [("10", str(b)) for b in range(256)]
    prefix = next(c for c in candidates if c not in taken)
    rng = np.random.default_rng(seed)
    hosts = sorted(rng.choice(254 * 256, size=min(max(size, 1), 254 * 256), replace=False).tolist())
    return [f"{prefix[0]}.{prefix[1]}.{h // 254}.{h % 254 + 1}" for h in hosts]


def _released_template(stats: TemplateStats, options: ProfileOptions) -> bool:
    """k-anonymity of templates: one seen in fewer than ``min_sessions`` distinct sessions is not released (it may be
    one person's line); its constant tokens would go through the secret scan anyway (:class:`TokenScrubber`)."""
    return stats.sessions >= options.min_sessions


def _released_slots(stats: TemplateStats, release: _Release, options: ProfileOptions,
                    addresses: list[str]) -> tuple[str, dict[str, Param]]:
    """The spec template and the value model of each slot, under the release rules (:mod:`synthlog.stats.slots`)."""
    weights, pool = release.fit_rules
    rules = FitRules(min_sessions=options.min_sessions, noise=weights, pool_noise=pool)
    return slot_params(stats.text, stats.values, addresses, rules)


def _identifier(text: str, fallback: str) -> str:
    cleaned = _IDENT.sub("_", text).strip("_")[:120]
    return cleaned or fallback


# ---------------------------------------------------------------------------------------------------------------------
# Sessions
# ---------------------------------------------------------------------------------------------------------------------

# Fixed bin edges (seconds) of per-transition gap histograms: chosen in advance, so only the counts depend on the data.
GAP_EDGES = (0.0, 0.001, 0.01, 0.1, 0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400,
             28800, 86400, math.inf)
MIN_TRANSITION_GAPS = 20  # a transition seen fewer times (noisy count) draws its gaps from the pooled distribution
_MIN_BIN_MEDIAN = 5  # a bin with fewer gaps is written as its middle, not as the median of its (few) values


def _markov(counts: MarkovCounts, noise: _Noise, gap_noise: _Noise) -> Markov | None:
    """A first-order Markov model of a group's sessions (:func:`synthlog.stats.profileparts.markov_counts`): start
    and transition probabilities from noisy counts, a gap histogram per frequent transition, the other gaps pooled."""
    starts, transitions, gaps_by_pair = counts.starts, counts.transitions, counts.gaps
    start = _probabilities(noise.counts(starts))
    if not start:
        return None
    table = {a: p for a in sorted(transitions) if (p := _probabilities(noise.counts(transitions[a])))}
    own: dict[str, dict[str, dict]] = {}
    pooled: list[np.ndarray] = []
    for (a, b), arrays in sorted(gaps_by_pair.items()):
        observed = np.concatenate(arrays)
        histogram = _gap_histogram(observed, gap_noise) if b in table.get(a, {}) else None
        if histogram is None:
            pooled.append(observed)
        else:
            own.setdefault(a, {})[b] = histogram
    every = np.concatenate([a for arrays in gaps_by_pair.values() for a in arrays] or [np.zeros(0)])
    pooled = np.concatenate(pooled or [np.zeros(0)])
    lengths = np.concatenate(counts.lengths)
    cap = max(1, min(100_000, math.ceil(float(np.quantile(lengths, 0.99)))))
    return Markov(start=start, transitions=table, gap=_gap(pooled if len(pooled) >= MIN_TRANSITION_GAPS else every),
                  gaps=own, max_events=cap)


def _gap(gaps: np.ndarray) -> dict | float:
    """A binned gap distribution: ten deciles rounded to milliseconds (no single observed gap)."""
    if not len(gaps):
        return 0.1
    deciles = np.quantile(gaps, np.linspace(0.05, 0.95, 10))
    return {"dist": "empirical", "values": [round(max(float(q), 0.0), 3) for q in deciles]}


def _gap_histogram(gaps: np.ndarray, noise: _Noise) -> dict | None:
    """One transition's gaps as a histogram over :data:`GAP_EDGES`: per non-empty bin its noisy count (the weight)
    and the median of its gaps rounded to milliseconds (the bin's middle when it holds too few to hide one);
    ``None`` when the transition is too rare (noisy count below :data:`MIN_TRANSITION_GAPS`)."""
    values = np.asarray(gaps, dtype=float)
    bins = np.searchsorted(GAP_EDGES, values, side="right") - 1
    points, weights = [], []
    for k in np.unique(bins).tolist():
        inside = values[bins == k]
        weight = noise.count(len(inside))
        if weight <= 0:
            continue
        low, high = GAP_EDGES[k], GAP_EDGES[k + 1]
        middle = low if math.isinf(high) else (low + high) / 2
        points.append(round(float(np.median(inside)) if len(inside) >= _MIN_BIN_MEDIAN else middle, 3))
        weights.append(round(weight, 3))
    if sum(weights) < MIN_TRANSITION_GAPS:
        return None
    return {"dist": "empirical", "values": points, "weights": weights}


_HEX_ID = re.compile(r"([-_.:]?)([0-9a-f]{1,16})")


def _id_shape(ids: list[str]) -> tuple[SessionId, str, str]:
    prefix = re.match(r"^[A-Za-z_.:]*", ids[0]).group(0) if ids else ""
    if not all(i.startswith(prefix) for i in ids):
        prefix = ""
    rests = [_HEX_ID.fullmatch(i[len(prefix):]) for i in ids]
    if ids and all(rests) and len({m.group(1) for m in rests}) == 1 and len({len(m.group(2)) for m in rests}) == 1 \
            and not all(m.group(2).isdigit() for m in rests):  # hex request ids of one length: req-5c79ed2e
        return (SessionId(prefix=prefix + rests[0].group(1), kind="hex", length=len(rests[0].group(2))),
                "session_id", "SessionId")
    signed = any(i[len(prefix):].startswith("-") for i in ids)
    if prefix.startswith("blk"):
        return SessionId(prefix=prefix, kind="int64" if signed else "uint"), "block_id", "BlockId"
    return SessionId(prefix=prefix, kind="int64" if signed else "uint"), "session_id", "SessionId"


def _session_rate(sessions: list[SessionRow]) -> float:
    starts = sorted(s.start / US for s in sessions if s.start is not None)
    if len(starts) < 2 or starts[-1] <= starts[0]:
        return 1.0
    return _significant((len(starts) - 1) / (starts[-1] - starts[0]), 3)


# ---------------------------------------------------------------------------------------------------------------------
# The profile
# ---------------------------------------------------------------------------------------------------------------------

def profile_dataset(dataset: LabeledDataset, name: str | None = None,
                    options: ProfileOptions | None = None) -> tuple[Spec, ProfileSummary]:
    """A spec (and a summary of what was seen) from a labeled data set of sessions with their events."""
    options = options or ProfileOptions()
    sessions = [s for s in dataset.sessions if s.events]
    if not sessions:
        raise InputError(f"data set {dataset.name!r} has no session with events to profile")
    sessions = bounded(sessions, options)
    work = LabeledDataset(dataset.name, sessions, dataset.templates, dataset.metadata)
    orders = list(range(len(sessions)))
    raw_layout = dataset.metadata.get("layout")
    first = first_part(work, orders, options.max_session_lines if options.epsilon is not None else None)
    return profile_parts(first, lambda needs: second_part(work, orders, needs), dataset.name, name,
                         raw_layout if isinstance(raw_layout, RawLayout) else None, options,
                         dataset.metadata.get("sessions"))


def bounded(sessions: list[Session], options: ProfileOptions) -> list[Session]:
    """With epsilon, every session cut to its first ``max_session_lines`` lines (contribution bounding: every
    count sees at most this many lines a session); without, the sessions as they are."""
    if options.epsilon is None:
        return sessions
    if options.max_session_lines < 1:
        raise InputError(f"max session lines must be 1 or more (got {options.max_session_lines})",
                         field="--max-session-lines")
    return bound_sessions(sessions, options.max_session_lines)


def profile_parts(first: FirstPart, second: Callable[[Needs], SecondPart], source: str, name: str | None,
                  raw_layout: RawLayout | None, options: ProfileOptions,
                  session_spec: dict | None = None) -> tuple[Spec, ProfileSummary]:
    """A spec and its summary from the merged first pass over the sessions and a function that runs (and merges)
    the second pass given what it needs (:mod:`synthlog.stats.profileparts`): whether the sessions were read in
    one process or in parts on many, the same statistics give the same spec. ``session_spec``: how the sessions
    were cut when the user did not say (for the summary)."""
    stats = first.templates
    release = _release(stats, options, None if raw_layout is None else len(raw_layout.format.headers))
    services, message_of, nodes = _catalogue(first, release, options)
    if not services:
        raise InputError(f"no template of {source!r} occurs in at least {options.min_sessions} sessions, so "
                         "none can be released (lower --min-sessions only for data that may be published as is)")
    errors = release["errors"].counts(first.errors)
    error_mix = _probabilities({k: v for k, v in errors.items()
                                if any(m.error_type == k for s in services for m in s.messages)})
    base = _identifier(name or source, "profiled")
    indicative = indicative_from_counts(first.indicative, min_sessions=options.min_sessions)
    _, _, label_column = _id_shape([s.id for s in first.sessions])
    pairs = causal_pairs(first.causal, min_support=PAIR_SUPPORT, min_confidence=PAIR_CONFIDENCE, max_pairs=PAIR_LIMIT)
    id_by_key = {template_key(k): m for k, m in message_of.items()}
    layout_of = None if raw_layout is None else (raw_layout.format, raw_layout.clock)
    seen = second(Needs(message_of, indicative, layout_of))
    groups, size = _session_groups(seen, options)
    processes = _session_processes(first, groups, size, release, base)
    causal = _observed_rules(pairs, id_by_key, services, release["causal"])
    layout = None
    if raw_layout is not None:
        services, layout = _with_layout(first, seen, services, raw_layout, release, options, nodes)
    spec = Spec(name=base, description=_description(source, options), start=_start_of(first.sessions),
                services=services, error_mix=error_mix, causal=causal, sessions=processes,
                label_column=label_column, layout=layout)

    summary = ProfileSummary(
        sessions=len(first.sessions), events=sum(s.count for s in stats.values()), templates=len(message_of),
        anomalous_sessions=sum(1 for s in first.sessions if s.label == ANOMALY),
        anomaly_types={scrub(sig) or "normal": size[sig] for sig in sorted(groups)},
        causal_pairs=[{"cause": id_by_key.get(scrub(p.cause), "?"), "effect": id_by_key.get(scrub(p.effect), "?"),
                       "lag": [p.lag_min, p.lag_max], "confidence": p.confidence} for p in pairs],
        dropped_templates=len(stats) - len(message_of), layout=_layout_summary(layout),
        privacy_budget=None if release.budget is None else release.budget.to_dict(), session_processes=len(processes),
        session_spec=session_spec)
    return spec, summary


def _layout_summary(layout: Layout | None) -> dict | None:
    if layout is None:
        return None
    return {"format": layout.format, "source": layout.source, "resolution": layout.resolution,
            "time": {f.name: f.time_format for f in layout.fields if f.kind == "time"},
            "levels": sorted(layout.levels)}


PAIR_SUPPORT, PAIR_CONFIDENCE = 10, 0.9  # a mined pair: its cause in 10+ normal sessions, followed in 90% of them
PAIR_LIMIT = 50  # pairs mined at most (one session is in the support of each at most once)


def _observed_rules(pairs: list[CausalPair], id_by_key: dict[str, str], services: list[Service],
                    noise: _Noise) -> list[CausalRule]:
    """The mined causal pairs as observed (never fired) rules: message ids, lag range in whole seconds (null when
    the logs have no timestamps), the confidence from noisy counts; a pair whose noisy counts no longer pass the
    mining thresholds is left out."""
    owner = {m.id: s.name for s in services for m in s.messages}
    rules: list[CausalRule] = []
    written: set[tuple[str, str]] = set()
    for pair in pairs:
        cause, effect = id_by_key.get(scrub(pair.cause)), id_by_key.get(scrub(pair.effect))
        if cause is None or effect is None or cause == effect or (cause, effect) in written:
            continue
        support = noise.count(pair.support)
        follows = noise.count(round(pair.confidence * pair.support))
        if support < PAIR_SUPPORT or follows < PAIR_CONFIDENCE * support:
            continue
        written.add((cause, effect))
        lag = None if pair.lag_min is None else {"dist": "uniform", "min": pair.lag_min, "max": pair.lag_max}
        rules.append(CausalRule(name=f"{cause} then {effect}", when=Trigger(service=owner[cause], message=cause),
                                then=Effect(service=owner[effect], message=effect),
                                probability=round(min(follows / support, 1.0), 3), lag=lag, observed=True))
    return rules


def _catalogue(first: FirstPart, release: _Release,
               options: ProfileOptions) -> tuple[list[Service], dict[str, str], int]:
    """Services with their messages, the message id of every kept template (``E1``.. by falling noisy count;
    a template seen fewer than ``min_count`` times, or with noise one whose noisy count is below 1, is dropped) and
    the (noisy) number of nodes."""
    stats, real_ips = first.templates, first.ips
    # template-only input (no address): a generic cluster size
    nodes = round(release["nodes"].count(_node_count(first, options))) if real_ips else 64
    addresses = address_pool(real_ips, min(nodes, 4096), options.seed)
    noisy = {key: release["templates"].count(s.count) for key, s in sorted(stats.items())}
    kept = [k for k in noisy if stats[k].count >= options.min_count and (noisy[k] >= 1.0 or options.epsilon is None)
            and _released_template(stats[k], options)]
    scrub_tokens = TokenScrubber(options.seed)
    public = {c for c, n in first.components.items() if n >= options.min_sessions}  # may name a service
    ranked = sorted(kept, key=lambda k: (-noisy[k], k))
    message_of = {key: f"E{i}" for i, key in enumerate(ranked, start=1)}
    by_service: dict[str, list[Message]] = defaultdict(list)
    for key in ranked:
        entry = stats[key]
        level = max(sorted(entry.levels), key=lambda lv: entry.levels[lv]) if entry.levels else "INFO"
        level = "WARN" if level == "WARNING" else level
        if level not in ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"):
            level = "INFO"
        template, params = _released_slots(entry, release, options, addresses)
        # a component holding an address or a long number (a parsed thread name) would leak it as a service name
        # and one seen in fewer than k sessions could name one person's job
        components = Counter({c: n for c, n in entry.components.items() if not RAW_VALUE.search(c)
                              and c in public}) or Counter(app=1)
        service = max(sorted(components), key=lambda c: components[c])
        by_service[_identifier(scrub_tokens(service), "app")].append(
            Message(id=message_of[key], template=scrub_tokens(template), level=level,
                    error_type=classify_error(key, level), params=params))
    return [Service(name=name, messages=msgs) for name, msgs in sorted(by_service.items())], message_of, nodes


def _node_count(first: FirstPart, options: ProfileOptions) -> int:
    """The number of distinct real addresses; with epsilon each session adds at most ``max_session_lines`` of its
    own (so one session changes the count by at most that)."""
    return len(first.ips if options.epsilon is None else first.bounded_ips)


def _with_layout(first: FirstPart, seen: SecondPart, services: list[Service], raw: RawLayout, release: _Release,
                 options: ProfileOptions, nodes: int) -> tuple[list[Service], Layout]:
    """The layout of a raw log (:mod:`synthlog.stats.layoutprofile`) and the services with each message's level
    words and message-fixed header values; free header values get the same value models as template slots."""
    from synthlog.stats.layoutprofile import profile_layout

    addresses = address_pool(first.ips, min(nodes or 1, 4096), options.seed)

    def value_model(values: list[tuple[str, str]], rank: int) -> tuple[str, dict[str, Param]]:
        slot = TemplateStats(key=WILDCARD, text=WILDCARD, count=len(values),
                             firsts=[((0, 0), (value,), session) for value, session in values])
        return _released_slots(slot, release, options, addresses)

    found = profile_layout(seen.layout, raw.format, raw.clock, raw.source, release["layout"].counts, value_model,
                           _releasable_header_value, min_sessions=options.min_sessions)
    updated = [Service(name=s.name, rate=s.rate, error_rate=s.error_rate, flow=s.flow, step=s.step, calls=s.calls,
                       messages=[m.model_copy(update={"levels": found.levels.get(m.id, {}),
                                                      "fields": found.fields.get(m.id, {})})
                                 for m in s.messages]) for s in services]
    return updated, found.layout


def _releasable_header_value(value: str) -> bool:
    """Whether a header value a message fixes may be written verbatim: no address, id, path or long number,
    nothing the secret scan reports (a node name, a serial). The k-anonymity rule (seen in ``min_sessions``
    distinct sessions) is applied per header by :func:`synthlog.stats.layoutprofile.profile_layout`, which also
    sees the headers a line keeps outside ``fields`` (Component)."""
    return not RAW_VALUE.search(value) and releasable(value)


def _session_groups(seen: SecondPart, options: ProfileOptions) -> tuple[dict[str, MarkovCounts], dict[str, int]]:
    """Order counts and sessions by anomaly type: ``""`` for normal and unlabeled sessions, a signature per anomaly
    type with at least ``min_sessions`` sessions, ``rare`` for the anomalous sessions of rarer types when they are
    enough together."""
    sizes = seen.sizes
    kept = {sig: counts for sig, counts in seen.groups.items() if not sig or sizes[sig] >= options.min_sessions}
    size = {sig: sizes[sig] for sig in kept}
    rare = [sig for sig in sorted(seen.groups) if sig not in kept]
    if sum(sizes[sig] for sig in rare) >= options.min_sessions:
        kept["rare"], size["rare"] = MarkovCounts(), sum(sizes[sig] for sig in rare)
        for sig in rare:
            kept["rare"].merge(seen.groups[sig])
    return kept, size


def _session_processes(first: FirstPart, groups: dict[str, MarkovCounts], size: dict[str, int], release: _Release,
                       base: str) -> list[SessionProcess]:
    """The normal session process and one always-anomalous process per anomaly type, rates split by (noisy) share."""
    id_shape, context_key, _ = _id_shape([s.id for s in first.sessions])
    rate = _session_rate(first.sessions)
    counts = release["groups"].counts(size)
    total = sum(counts.values()) or 1.0
    processes = []
    ordered = sorted(groups, key=lambda sig: (sig != "", -size[sig], sig))
    for i, sig in enumerate(ordered):
        model = _markov(groups[sig], release["sessions"], release["gaps"])
        if model is None or counts[sig] <= 0:
            continue
        share_rate = _significant(rate * counts[sig] / total, 3) or 1e-6
        if not sig:
            processes.append(SessionProcess(name=f"{base}-sessions", rate=share_rate, id=id_shape,
                                            context_key=context_key, normal=model))
            continue
        kind = {STRUCTURAL: "_structural", "rare": "_rare"}.get(sig, "")
        processes.append(SessionProcess(name=f"{base}-anomaly-{i}", rate=share_rate, id=id_shape,
                                        context_key=context_key, normal=model, anomalous=model,
                                        anomaly_probability=1.0, anomaly_type=f"anomaly_{i}{kind}"))
    return processes


def _start_of(sessions: list[SessionRow]) -> datetime:
    """The first day of the real log (the time of day and later times are not kept)."""
    times = [s.start for s in sessions if s.start is not None]
    if not times:
        return datetime(2026, 1, 1, tzinfo=UTC)
    first = datetime.fromtimestamp(min(times) / US, tz=UTC)
    return first.replace(hour=0, minute=0, second=0, microsecond=0)


def _description(source: str, options: ProfileOptions) -> str:
    privacy = (f"every count noised under one differential-privacy budget of epsilon {options.epsilon:g} per "
               f"session of at most {options.max_session_lines} lines (discrete Laplace, split across families of "
               "counts)" if options.epsilon else "exact counts (no noise)")
    return (f"Profiled by synthlog from {source}: templates scrubbed of raw values, slot kinds and rounded "
            f"summaries only; {privacy}.")


# ---------------------------------------------------------------------------------------------------------------------
# Reading the input
# ---------------------------------------------------------------------------------------------------------------------

def load_logs(logs: str | Path, log_format: str | None = None, labels: str | Path | None = None,
              session_pattern: str | None = None, sessions: str | None = None,
              line_labels: str | None = None) -> LabeledDataset:
    """Real logs as a labeled data set: a raw log (layout ``log_format``, else inferred: see
    :func:`read_layout`), a Loghub structured CSV, or a data set (shared name or directory, see
    :func:`synthlog.io.datasets.load_dataset`). Raw and structured logs are sessionized by ``sessions`` (a
    :func:`synthlog.parse.sessions.sessionizer` spec: ``blk``, ``entity:REGEX``, ``window:SECONDS``,
    ``sliding:SIZE,STEP``, ``sliding-time:SIZE,STEP``) or ``session_pattern`` (an entity regex); given neither,
    the way is guessed from the lines (:func:`synthlog.parse.sessionguess.guess_sessions`) and recorded in the
    metadata under ``sessions``. They are labeled from ``labels`` (``Id,Label`` CSV) or from ``line_labels``
    (``HEADER:NORMAL``: a line whose HEADER is NORMAL is normal, any other value anomalous, e.g. ``Label:-`` for
    BGL)."""
    from synthlog.io.datasets import load_dataset
    from synthlog.io.inputs import is_file_like, is_url, local_input
    from synthlog.io.loghub import read_labels, read_structured
    from synthlog.parse.sessionguess import guess_sessions
    from synthlog.parse.sessions import label_from_entities, label_from_lines, sessionizer

    if is_url(logs):  # fetched for the time it is read
        with local_input(logs) as local:
            return load_logs(local, log_format, labels, session_pattern, sessions, line_labels)
    path = Path(logs)
    events: list[LogEvent] | None = None
    templates = {}
    metadata: dict = {"source": str(path)}
    label_of = read_labels(labels) if labels is not None else None
    if is_file_like(path) and path.name.endswith("_structured.csv"):
        events = list(read_structured(path, templates))
    elif is_file_like(path) and not path.name.endswith((".jsonl", ".parquet", ".sequences")):
        from synthlog.parse.drain import parse_events

        raw, metadata["layout"] = read_layout(path, log_format)
        events, templates = parse_events(raw)
    if events is None:
        dataset = load_dataset(logs)
    else:
        if line_labels is not None:
            _label_lines(events, line_labels, path)
        spec = _session_spec(session_pattern, sessions)
        if spec is None:  # guessed from the lines (and the label file's ids)
            guess = guess_sessions(events, list(label_of) if label_of is not None else ())
            spec = sessions = guess.spec
            metadata["sessions"] = {"spec": guess.spec, "guessed": guess.reason}
        split = sessionizer(spec)
        try:
            found = split(events)
        except InputError as exc:
            raise InputError(exc.reason, path=exc.path or path, line=exc.line, field=exc.field) from None
        if not found:
            what = f"no session id matches {session_pattern!r}" if session_pattern is not None else \
                f"--sessions {sessions} finds no session"
            raise InputError(f"{what} in any line (choose sessions with --sessions entity:REGEX, window:SECONDS "
                             "or sliding-time:SIZE,STEP)", path=path)
        dataset = LabeledDataset(name=path.name.split(".")[0], sessions=found, templates=templates,
                                 metadata=metadata)
    if label_of is not None:
        label_from_entities(dataset.sessions, label_of)
    elif line_labels is not None:
        label_from_lines(dataset.sessions)
    return dataset


def _session_spec(session_pattern: str | None, sessions: str | None) -> str | None:
    """The sessionizer spec of ``--sessions`` / ``--session-pattern``, both checked (None: neither given, to be
    guessed from the lines)."""
    if sessions is not None and session_pattern is not None:
        raise InputError("give --sessions or --session-pattern, not both", field="--sessions")
    if session_pattern is not None:
        try:
            if re.compile(session_pattern).fullmatch(""):
                raise re.error("it matches the empty string; a session id needs at least one character")
        except re.error as exc:
            raise InputError(f"bad session pattern {session_pattern!r}: {exc}",
                             field="--session-pattern") from None
    return sessions or (f"entity:{session_pattern}" if session_pattern is not None else None)


def layout_of(path: Path, log_format: str | None) -> tuple[object, str]:
    """The format of a raw log (given: a built-in name or a format string; else inferred from its first lines,
    :func:`synthlog.io.formatinfer.infer_format`) and where it came from."""
    from synthlog.io.formatinfer import infer_format
    from synthlog.io.logformat import BUILTIN_FORMATS, get_format

    if log_format is None:
        return infer_format(path)
    fmt = get_format(log_format)
    return fmt, fmt.name if fmt.name in BUILTIN_FORMATS else "given"


def read_layout(path: Path, log_format: str | None) -> tuple[list[LogEvent], RawLayout]:
    """The events of a raw log with their layout: the format given (a built-in name or a format string) or
    inferred from the first lines (:func:`synthlog.io.formatinfer.infer_format`), and the clock of its time
    headers (:func:`synthlog.io.clock.infer_clock`), which sets every event's timestamp."""
    from synthlog.io.clock import infer_clock, stamp
    from synthlog.io.logformat import RawReader
    from synthlog.progress import Progress
    from synthlog.stats.layoutprofile import unread_time_header

    fmt, source = layout_of(path, log_format)
    with Progress(f"reading {path.name}", total=None) as bar:
        reader = RawReader(path, fmt, progress=bar)
        try:
            events = list(reader)
        except InputError:
            if reader.matched or not reader.skipped:  # a line that is no text (not UTF-8, too long): named
                raise
            events = []  # no line fits: named below
    if reader.skipped > reader.matched:  # a few lines that do not fit (a stack trace) are skipped, not most
        raise InputError(f"line does not fit the layout {fmt.text!r} ({reader.skipped} of "
                         f"{reader.skipped + reader.matched} lines do not)", path=path, line=reader.first_skipped)
    clock = infer_clock(events, fmt)
    unread_time_header(events, fmt, clock, path)
    if clock is not None:
        stamp(events, clock)
    return events, RawLayout(fmt, source, clock)


@dataclass
class RawLayout:
    """What :func:`read_layout` found: the format, where it came from, and the clock (``None``: no time header)."""

    format: object
    source: str
    clock: object


def _label_lines(events: list[LogEvent], rule: str, path: Path) -> None:
    """Label each line from one of its headers: ``HEADER:NORMAL`` (the value that marks a normal line)."""
    header, normal = line_label_rule(rule)
    for event in events:
        label_line(event, header, normal, path)


def line_label_rule(rule: str) -> tuple[str, str]:
    """The header and its normal value of a ``--line-labels`` rule ``HEADER:NORMAL``."""
    header, sep, normal = rule.partition(":")
    if not sep or not header:
        raise InputError(f"bad line label rule {rule!r} (use HEADER:NORMAL_VALUE, e.g. Label:-)",
                         field="--line-labels")
    return header, normal


def label_line(event: LogEvent, header: str, normal: str, path: Path) -> None:
    """Label one line normal when its ``header`` holds ``normal``, anomalous otherwise."""
    value = event.level if header == "Level" else event.component if header == "Component" else \
        event.fields.get(header)
    if value is None:
        raise InputError(f"the layout has no header {header!r} to read labels from", path=path,
                         line=event.line_id, field="--line-labels")
    event.label = NORMAL if value == normal else ANOMALY
    event.label_rule = f"line-header-{header}"


def profile_to_file(logs: str | Path, out: str | Path, log_format: str | None = None, labels: str | Path | None = None,
                    session_pattern: str | None = None, options: ProfileOptions | None = None,
                    summary_out: str | Path | None = None, sessions: str | None = None,
                    line_labels: str | None = None, workers: int = 1, scheduler: str | None = None,
                    chunk_bytes: int | None = None, part_lines: int | None = None) -> ProfileSummary:
    """Profile real logs (see :func:`load_logs`) and write the spec as YAML to ``out`` atomically; with
    ``summary_out`` also the profile summary as JSON (counts, observed causal pairs with lags, anomaly types).
    A raw log (a file, a folder of parts, a glob) with sessions by entity, time windows or windows of lines is
    read in chunks of ``chunk_bytes`` and profiled in parts of about ``part_lines`` lines on ``workers`` local
    processes or the dask cluster at ``scheduler`` (:mod:`synthlog.stats.profilescan`,
    :mod:`synthlog.stats.profilewindows`: the same spec as one pass); other inputs in one pass here."""
    import json
    from dataclasses import asdict

    from synthlog.io.atomic import atomic_files
    from synthlog.stats.specfile import dump_spec

    options = options or ProfileOptions()
    name = Path(out).stem
    found = _profile_in_parts(logs, out, log_format, labels, session_pattern, sessions, line_labels, options,
                              (workers, scheduler), chunk_bytes, part_lines)
    if found is None:
        dataset = load_logs(logs, log_format=log_format, labels=labels, session_pattern=session_pattern,
                            sessions=sessions, line_labels=line_labels)
        found = profile_dataset(dataset, name=name, options=options)
    spec, summary = found
    with atomic_files() as files:  # the spec and its summary appear together or not at all
        with files.open(out, "w") as fh:
            fh.write(dump_spec(spec))
        if summary_out is not None:
            with files.open(summary_out, "w") as fh:
                json.dump(asdict(summary), fh, indent=2)
                fh.write("\n")
    return summary


def _profile_in_parts(logs, out, log_format, labels, session_pattern, sessions, line_labels, options, where,
                      chunk_bytes, part_lines) -> tuple[Spec, ProfileSummary] | None:
    """The spec and summary of a raw log profiled in chunks (:mod:`synthlog.stats.profilescan` for entity
    sessions, :mod:`synthlog.stats.profilewindows` for time windows and windows of lines) on the executor
    ``where`` names (workers, scheduler), or ``None`` for an input they do not cover."""
    from synthlog.execute import open_executor
    from synthlog.io.inputs import is_file_like, is_url
    from synthlog.io.loghub import read_labels
    from synthlog.parse.sessions import ENTITY_PATTERNS, sessionizer
    from synthlog.stats import profilescan, profilewindows

    path = Path(logs)
    if is_url(logs) or not is_file_like(path) or \
            path.name.endswith(("_structured.csv", ".jsonl", ".parquet", ".sequences")):
        return None
    spec = _session_spec(session_pattern, sessions)
    if line_labels is not None:
        line_label_rule(line_labels)  # a bad rule is refused before the log is read, as one pass does
    fmt, source = layout_of(path, log_format)
    label_of = None if labels is None else read_labels(labels)
    guessed = None
    if spec is None:  # guessed as one pass guesses it: from the first lines (an entity guess needs no time)
        guess = profilescan.guess_sessions_of(path, fmt, label_of)
        if guess.spec.startswith("entity:"):
            spec, guessed = guess.spec, {"spec": guess.spec, "guessed": guess.reason}
    kind, _, arg = (spec or "").partition(":")
    if spec is not None:
        sessionizer(spec)  # refuses a bad spec as one pass does
    chunking = (chunk_bytes or profilescan.CHUNK_BYTES, part_lines or profilescan.PART_LINES)
    spill_root = Path(out).resolve().parent
    try:
        if spec is None or kind in ("window", "sliding"):  # windows (guessed: once the clock is known)
            spill_root.mkdir(parents=True, exist_ok=True)
            with open_executor(*where) as executor:
                return profilewindows.profile_windows(path, fmt, source, spec, label_of, options, executor,
                                                      Path(out).stem, spill_root, *chunking, line_labels)
        if spec not in ENTITY_PATTERNS and kind != "entity":
            return None
        pattern = ENTITY_PATTERNS.get(spec) or ENTITY_PATTERNS.get(arg, arg)
        spill_root.mkdir(parents=True, exist_ok=True)
        with open_executor(*where) as executor:
            return profilescan.profile_log(path, fmt, source, pattern, label_of, options, executor, Path(out).stem,
                                           spill_root, *chunking, guessed, line_labels)
    except profilescan.NotChunked:
        return None
