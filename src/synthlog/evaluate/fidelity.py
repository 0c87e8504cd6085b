"""Fidelity of a synthetic data set to a reference (real data or the statistics it was made from): error-type mix
(``D_errdist``), causal order (``C_temporal``), anomaly coverage (``R_anomaly``), template and transition similarity;
also the level mix (``level_similarity``, reported, not in the score).

SDV-style entry point: ``evaluate_fidelity(reference, synthetic) -> FidelityReport(score, details)``. The reference is
summarised once as :class:`ReferenceStats` (from a data set or from a spec), so both kinds of
reference are measured by the same code. Definitions: docs/stats.md, "Profiling and validation".
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.spatial.distance import jensenshannon

from synthlog.logstats import END as SESSION_END
from synthlog.logstats import (
    CausalPair,
    anomaly_types,
    causal_order_counts,
    error_counts,
    error_sessions,
    indicative_templates,
    mine_causal_pairs,
    session_keys,
    session_times,
    template_key,
    transition_counts,
)
from synthlog.records import ANOMALY, LabeledDataset
from synthlog.stats.spec import END, Markov, Spec

METRICS = ("D_errdist", "C_temporal", "R_anomaly", "template_similarity", "transition_similarity")


def js_divergence(p: Mapping[str, float], q: Mapping[str, float]) -> float:
    """Jensen-Shannon divergence (base 2, so in [0, 1]) of two count or probability maps; 0 when both are empty,
    1 when exactly one is."""
    keys = sorted(set(p) | set(q))
    a = np.array([p.get(k, 0.0) for k in keys], dtype=float)
    b = np.array([q.get(k, 0.0) for k in keys], dtype=float)
    if a.sum() == 0 or b.sum() == 0:
        return 0.0 if a.sum() == b.sum() else 1.0
    return float(jensenshannon(a, b, base=2) ** 2)


@dataclass(slots=True)
class ReferenceStats:
    """What the metrics need to know about the reference.

    ``anomaly_types`` maps a type to its number of anomalous sessions. With ``indicative`` set (a data reference) types
    are signatures of indicative templates and synthetic sessions are typed the same way; with ``indicative`` None
    (a spec reference) types are scenario names and synthetic sessions are typed by their ``anomaly`` attribute.
    ``causal_normal_only``: causal pairs mined from normal behaviour are checked on normal sessions only (anomalies
    may break them on purpose); a spec's causal rules hold everywhere. ``observed_pairs`` (a spec's observed rules,
    pairs once mined from real logs) are checked on normal sessions only and counted with the others."""

    source: str
    error_counts: Counter[str]
    template_counts: Counter[str]
    transitions: dict[str, Counter[str]]
    causal_pairs: list[CausalPair]
    anomaly_types: Counter[str]
    indicative: list[str] | None = None
    causal_normal_only: bool = True
    dataset: LabeledDataset | None = field(default=None, repr=False)
    observed_pairs: list[CausalPair] = field(default_factory=list)
    level_counts: Counter[str] = field(default_factory=Counter)
    layout: Any = None  # a synthlog.evaluate.layoutcheck.LayoutReference, when the reference has a raw layout
    error_sessions: Counter[str] | None = None  # distinct sessions per error type (a data reference)

    def withheld_errors(self, min_sessions: int) -> set[str]:
        """Error types seen in fewer than ``min_sessions`` reference sessions: no k-anonymous generator may
        reproduce them (the profiler withholds their templates), so ``D_errdist`` leaves them out of both sides."""
        return {kind for kind, n in (self.error_sessions or {}).items() if n < min_sessions}


def reference_from_dataset(dataset: LabeledDataset, min_support: int = 10) -> ReferenceStats:
    """Summarise a real (or any) labeled data set as a reference."""
    from synthlog.evaluate.layoutcheck import reference_layout

    keys = session_keys(dataset)
    indicative = indicative_templates(dataset)
    return ReferenceStats(
        level_counts=level_counts(dataset), layout=reference_layout(dataset),
        source=f"data:{dataset.name}",
        error_counts=error_counts(dataset),
        error_sessions=error_sessions(dataset),
        template_counts=Counter(k for seq in keys for k in seq),
        transitions=transition_counts(keys),
        causal_pairs=mine_causal_pairs(dataset, min_support=min_support),
        anomaly_types=anomaly_types(dataset, indicative),
        indicative=indicative,
        dataset=dataset,
    )


def _expected_visits(model: Markov) -> dict[str, float]:
    """Expected visits of every message in one session of a model, as the simulator runs it: the first message is
    drawn from ``start`` normalised, unassigned transition probability ends the session, and a session stops after
    ``max_events`` events (so a loop that never reaches END has a finite count)."""
    transitions = model.transitions
    states = sorted(set(model.start) | set(transitions) | {b for t in transitions.values() for b in t if b != END})
    index = {s: i for i, s in enumerate(states)}
    q = np.zeros((len(states), len(states)))
    for a, targets in transitions.items():
        for b, p in targets.items():
            if b != END:
                q[index[a], index[b]] = p
    step = np.array([model.start.get(s, 0.0) for s in states])
    step /= step.sum()
    visits = np.zeros(len(states))
    for _ in range(model.max_events):  # the k-th event's distribution, summed; stops once sessions have ended
        visits += step
        step = step @ q
        if step.sum() < 1e-12:
            break
    return {s: float(v) for s, v in zip(states, visits, strict=True)}


def _request_rates(spec: Spec) -> dict[str, float]:
    """Requests per second each service handles: its own rate plus its callers' rates times call probability."""
    rates = {s.name: s.rate for s in spec.services}
    callers: dict[str, int] = Counter(call.to for s in spec.services for call in s.calls)
    ready = [s.name for s in spec.services if not callers[s.name]]
    while ready:  # calls form a DAG (the spec refuses cycles): Kahn's order
        name = ready.pop(0)
        for call in spec.service(name).calls:
            rates[call.to] += rates[name] * call.probability
            callers[call.to] -= 1
            if not callers[call.to]:
                ready.append(call.to)
    return rates


def reference_from_spec(spec: Spec) -> ReferenceStats:
    """The statistics a spec promises: error mix, expected template frequencies (session models and request
    flows, weighted by rate), transitions (session models only), causal rules, anomaly types."""
    key = {m.id: template_key(m.event_template) for _, m in spec.messages()}
    templates: Counter[str] = Counter()
    transitions: dict[str, Counter[str]] = defaultdict(Counter)
    for process in spec.sessions:
        share = process.anomaly_probability
        for model, weight in ((process.normal, 1 - share), (process.anomalous, share)):
            if model is None or weight <= 0:
                continue
            visits = _expected_visits(model)
            for message, v in visits.items():
                templates[key[message]] += process.rate * weight * v
                for target, p in model.transitions.get(message, {}).items():
                    following = SESSION_END if target == END else key[target]
                    transitions[key[message]][following] += process.rate * weight * v * p
    for service, rate in _request_rates(spec).items():  # request lines interleave across services: no transitions
        for message in spec.service(service).flow:
            templates[key[message]] += rate
    pairs: list[CausalPair] = []
    observed: list[CausalPair] = []
    for rule in spec.causal:
        causes = [key[m.id] for s, m in spec.messages()
                  if (rule.when.service is None or s.name == rule.when.service)
                  and (m.id == rule.when.message or (rule.when.error_type and m.error_type == rule.when.error_type))]
        effects = [key[m.id] for m in spec.service(rule.then.service).messages
                   if m.id == rule.then.message or (rule.then.error_type and m.error_type == rule.then.error_type)]
        low, high = (None, None) if rule.lag is None else (rule.lag.lower_bound, rule.lag.upper_bound)
        (observed if rule.observed else pairs).extend(
            CausalPair(c, e, low, None if high == float("inf") else high, rule.probability, 0)
            for c in causes for e in effects)
    anomaly_types = Counter({a.type: 1 for a in spec.anomalies})
    anomaly_types.update({p.anomaly_type or f"{p.name}_anomaly": 1 for p in spec.sessions if p.anomaly_probability})
    from synthlog.evaluate.layoutcheck import reference_layout

    return ReferenceStats(
        level_counts=_spec_levels(spec, templates, key), layout=reference_layout(spec),
        source=f"spec:{spec.name}", error_counts=Counter(spec.error_mix), template_counts=templates,
        transitions=dict(transitions), causal_pairs=pairs, anomaly_types=anomaly_types, indicative=None,
        causal_normal_only=False, observed_pairs=observed)


def level_counts(dataset: LabeledDataset) -> Counter[str]:
    """Lines per level word as written (an event in two sessions counts once); lines without a level are left out."""
    seen: set[int] = set()
    counts: Counter[str] = Counter()
    for session in dataset.sessions:
        for event in session.events:
            if id(event) not in seen and event.level:
                seen.add(id(event))
                counts[event.level] += 1
    return counts


def _spec_levels(spec: Spec, templates: Counter[str], key: dict[str, str]) -> Counter[str]:
    """The level mix a spec promises: each message's level words (or its level) weighted by its expected share of
    lines (shared by the messages with the same template text)."""
    sharing = Counter(key.values())
    mix: Counter[str] = Counter()
    for _, message in spec.messages():
        weight = templates.get(key[message.id], 0.0) / sharing[key[message.id]]
        words = message.levels or {message.level: 1.0}
        total = sum(words.values()) or 1.0
        for word, share in words.items():
            mix[word] += weight * share / total
    return mix


@dataclass(slots=True)
class FidelityReport:
    """``score``: the mean of the metrics that could be computed; ``details``: every metric and its parts."""

    score: float
    details: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"score": self.score, **self.details}


def transition_similarity(reference: dict[str, Counter[str]], synthetic: dict[str, Counter[str]]) -> float | None:
    """1 - the mean JS divergence of next-template distributions, weighted by how often the reference leaves each
    template; a reference template the synthetic data never shows counts as divergence 1."""
    total = sum(sum(c.values()) for c in reference.values())
    if not total:
        return None
    divergence = sum(sum(nxt.values()) / total * js_divergence(nxt, synthetic.get(key, Counter()))
                     for key, nxt in sorted(reference.items()))
    return 1.0 - divergence


def _synthetic_anomaly_types(reference: ReferenceStats, synthetic: LabeledDataset) -> Counter[str]:
    """Anomalous sessions per type, typed as the reference's types are (see :class:`ReferenceStats`)."""
    if reference.indicative is not None:
        return anomaly_types(synthetic, reference.indicative)
    counts: Counter[str] = Counter()
    for session in synthetic.sessions:
        if session.label != ANOMALY:
            continue
        names = {session.attributes.get("anomaly")} | {e.attributes.get("anomaly") for e in session.events}
        counts.update(sorted(str(n) for n in names if n))
    return counts


def _causal_counts(dataset: LabeledDataset, keys: list[list[str]], pairs: list[CausalPair],
                   normal_only: bool) -> tuple[int, int]:
    chosen = [i for i, s in enumerate(dataset.sessions) if not (normal_only and s.label == ANOMALY)]
    return causal_order_counts([keys[i] for i in chosen], [session_times(dataset.sessions[i]) for i in chosen], pairs)


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def evaluate_fidelity(reference: ReferenceStats | LabeledDataset | Spec, synthetic: LabeledDataset,
                      min_sessions: int = 1) -> FidelityReport:
    """Measure how faithfully ``synthetic`` reproduces ``reference`` (see the module docstring for the metrics);
    ``min_sessions``: k of the privacy rules: error types of a data reference seen in fewer sessions are left out
    of ``D_errdist`` on both sides (``D_errdist_all_types`` keeps them; 1: nothing is left out)."""
    if isinstance(reference, Spec):
        ref = reference_from_spec(reference)
    else:
        ref = reference if isinstance(reference, ReferenceStats) else reference_from_dataset(reference)
    keys = session_keys(synthetic)
    details: dict[str, Any] = {"reference": ref.source, "synthetic": synthetic.name,
                               "synthetic_sessions": len(synthetic), "synthetic_events": sum(map(len, keys))}

    syn_errors = error_counts(synthetic)
    withheld = ref.withheld_errors(min_sessions)
    details["D_errdist"] = 1.0 - js_divergence(_without(ref.error_counts, withheld), _without(syn_errors, withheld))
    details["D_errdist_all_types"] = 1.0 - js_divergence(ref.error_counts, syn_errors)
    details["error_types"] = {"reference": _shares(ref.error_counts), "synthetic": _shares(syn_errors),
                              # a divergence over a handful of error lines is noise: say how many there were
                              "synthetic_error_lines": sum(syn_errors.values())}
    if ref.dataset is not None:
        details["error_types"]["reference_error_lines"] = sum(ref.error_counts.values())
        details["error_types"]["withheld"] = {kind: {"reference_sessions": ref.error_sessions[kind],
                                                     "reference_lines": ref.error_counts[kind],
                                                     "synthetic_lines": syn_errors.get(kind, 0)}
                                              for kind in sorted(withheld)}

    right, total = _causal_counts(synthetic, keys, ref.causal_pairs, ref.causal_normal_only)
    if ref.observed_pairs:
        o_right, o_total = _causal_counts(synthetic, keys, ref.observed_pairs, True)
        right, total = right + o_right, total + o_total
    details["C_temporal"] = _ratio(right, total)
    details["causal_pairs"] = {"pairs": len(ref.causal_pairs) + len(ref.observed_pairs), "instances": total,
                               "in_order_within_lag": right}
    if ref.dataset is not None:  # the ceiling: how well the real data itself keeps the pairs mined from it
        r_right, r_total = _causal_counts(ref.dataset, session_keys(ref.dataset), ref.causal_pairs,
                                          ref.causal_normal_only)
        details["causal_pairs"]["reference_C_temporal"] = _ratio(r_right, r_total)

    syn_types = _synthetic_anomaly_types(ref, synthetic)
    covered = sorted(set(syn_types) & set(ref.anomaly_types))
    details["R_anomaly"] = _ratio(len(covered), len(ref.anomaly_types))
    details["anomaly_types"] = {
        "reference": len(ref.anomaly_types), "synthetic": len(syn_types), "covered": len(covered),
        "synthetic_not_in_reference": len(set(syn_types) - set(ref.anomaly_types)),
        "uncapped_ratio": _ratio(len(syn_types), len(ref.anomaly_types)),
        # types seen in one reference session only cannot be profiled without revealing that session
        "R_anomaly_types_with_2_sessions": _ratio(len([t for t in covered if ref.anomaly_types[t] >= 2]),
                                                  len([t for t, n in ref.anomaly_types.items() if n >= 2])),
        "reference_counts": dict(sorted(ref.anomaly_types.items())),
        "synthetic_counts": dict(sorted(syn_types.items())),
    }

    syn_templates = Counter(k for seq in keys for k in seq)
    details["template_similarity"] = 1.0 - js_divergence(ref.template_counts, syn_templates)
    known = sum(n for k, n in syn_templates.items() if k in ref.template_counts)
    details["templates"] = {
        "reference": len(ref.template_counts), "synthetic": len(syn_templates),
        "synthetic_in_reference": _ratio(sum(1 for k in syn_templates if k in ref.template_counts), len(syn_templates)),
        "synthetic_events_in_reference": _ratio(known, sum(syn_templates.values())),
        "reference_in_synthetic": _ratio(sum(1 for k in ref.template_counts if k in syn_templates),
                                         len(ref.template_counts)),
    }
    details["transition_similarity"] = transition_similarity(ref.transitions, transition_counts(keys))
    if ref.dataset is not None:  # reported, not scored: a spec gives no length distribution to compare with
        details["session_length"] = _length_summary([len(s) for s in ref.dataset.sessions], [len(k) for k in keys])

    syn_levels = level_counts(synthetic)
    details["level_similarity"] = 1.0 - js_divergence(ref.level_counts, syn_levels) if ref.level_counts else None
    details["levels"] = {"reference": _shares(ref.level_counts), "synthetic": _shares(syn_levels)}

    values = [details[m] for m in METRICS if details[m] is not None]
    score = float(np.mean(values)) if values else math.nan
    return FidelityReport(score=round(score, 6), details=_rounded(details))


def _without(counts: Counter[str], kinds: set[str]) -> Counter[str]:
    return Counter({k: n for k, n in counts.items() if k not in kinds})


def _length_summary(reference: list[int], synthetic: list[int]) -> dict[str, Any]:
    """Mean and median session length of both sides, and 1 - JS of their length distributions (exact lengths)."""
    out: dict[str, Any] = {}
    for side, lengths in (("reference", reference), ("synthetic", synthetic)):
        out[side] = {"mean": float(np.mean(lengths)), "median": float(np.median(lengths))} if lengths else None
    out["similarity"] = 1.0 - js_divergence(Counter(map(str, reference)), Counter(map(str, synthetic)))
    return out


def _shares(counts: Counter[str]) -> dict[str, float]:
    total = sum(counts.values())
    return {k: round(n / total, 6) for k, n in sorted(counts.items())} if total else {}


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value
