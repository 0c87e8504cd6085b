"""``synthlog validate``: load a reference (spec or real data) and a generated data set, measure fidelity and, for a
real reference, privacy; write the result as JSON.

A generated data set directory is read from the simulator's ``events.jsonl`` (session id from its context, anomaly
type, error type) zipped line by line with its structured CSV (template ids) and templates CSV.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from synthlog.errors import InputError
from synthlog.evaluate.fidelity import ReferenceStats, evaluate_fidelity, reference_from_dataset
from synthlog.evaluate.logstats import END as SESSION_END
from synthlog.evaluate.logstats import CausalPair, template_key
from synthlog.evaluate.privacy import (
    dataset_values,
    directory_files,
    distance_to_closest_record,
    files_values,
    leakage_check,
)
from synthlog.io.atomic import atomic_open
from synthlog.io.text import iter_lines
from synthlog.records import ANOMALY, NORMAL, LabeledDataset, LogEvent, Session
from synthlog.stats.spec import END, Spec


def load_generated(directory: str | Path) -> LabeledDataset:
    """A data set written by ``synthlog generate stats``: one session per request or entity, in first-seen order,
    anomalous when one of its lines carries an anomaly episode (as the simulator's anomaly_label.csv says)."""
    from synthlog.io.loghub import read_structured, read_templates

    folder = Path(directory)
    jsonl = folder / "events.jsonl"
    structured = sorted(folder.glob("*.log_structured.csv"))
    template_files = sorted(folder.glob("*.log_templates.csv"))
    if not jsonl.is_file() or len(structured) != 1 or len(template_files) != 1:
        raise InputError("not a generated data set (needs events.jsonl, one *.log_structured.csv and one "
                         "*.log_templates.csv)", path=folder)
    templates = read_templates(template_files[0])
    sessions: dict[str, Session] = {}
    rows = read_structured(structured[0])
    for number, line in iter_lines(jsonl):
        try:
            data = json.loads(line)
            row = next(rows)
        except (json.JSONDecodeError, StopIteration):
            raise InputError("line does not match the structured CSV or is not JSON", path=jsonl,
                             line=number) from None
        context = data.get("context") or {}
        owner = next(iter(context.values()), f"line-{number}")
        anomaly = data.get("anomaly") or {}
        attributes: dict[str, Any] = {"error_type": data.get("error_type")}
        if anomaly:
            attributes["anomaly"] = anomaly.get("type")
        event = LogEvent(content=data.get("message", ""), timestamp=row.timestamp, level=data.get("level"),
                         component=data.get("service"), template_id=row.template_id, line_id=row.line_id,
                         attributes=attributes)
        session = sessions.get(owner)
        if session is None:
            session = sessions[owner] = Session(id=owner)
        session.events.append(event)
    for session in sessions.values():  # the simulator labels a session anomalous when a line carries an episode
        session.label = ANOMALY if any(e.attributes.get("anomaly") for e in session.events) else NORMAL
    return LabeledDataset(name=folder.name, sessions=list(sessions.values()), templates=templates,
                          metadata={"source": str(folder)})


def _absorbing_visits(start: dict[str, float], transitions: dict[str, dict[str, float]]) -> dict[str, float]:
    """Expected visits of every state of a Markov model with END absorbing: start @ (I - Q)^-1."""
    states = sorted(set(start) | set(transitions) | {b for t in transitions.values() for b in t if b != END})
    index = {s: i for i, s in enumerate(states)}
    q = np.zeros((len(states), len(states)))
    for a, targets in transitions.items():
        for b, p in targets.items():
            if b != END:
                q[index[a], index[b]] = p
    s0 = np.array([start.get(s, 0.0) for s in states])
    visits = np.linalg.solve((np.eye(len(states)) - q).T, s0)
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
            visits = _absorbing_visits(model.start, model.transitions)
            for message, v in visits.items():
                templates[key[message]] += process.rate * weight * v
                for target, p in model.transitions.get(message, {}).items():
                    following = SESSION_END if target == END else key[target]
                    transitions[key[message]][following] += process.rate * weight * v * p
    for service, rate in _request_rates(spec).items():  # request lines interleave across services: no transitions
        for message in spec.service(service).flow:
            templates[key[message]] += rate
    pairs = []
    for rule in spec.causal:
        causes = [key[m.id] for s, m in spec.messages()
                  if (rule.when.service is None or s.name == rule.when.service)
                  and (m.id == rule.when.message or (rule.when.error_type and m.error_type == rule.when.error_type))]
        effects = [key[m.id] for m in spec.service(rule.then.service).messages
                   if m.id == rule.then.message or (rule.then.error_type and m.error_type == rule.then.error_type)]
        high = rule.lag.upper_bound
        pairs += [CausalPair(c, e, rule.lag.lower_bound, None if high == float("inf") else high,
                             rule.probability, 0) for c in causes for e in effects]
    anomaly_types = Counter({a.type: 1 for a in spec.anomalies})
    anomaly_types.update({p.anomaly_type or f"{p.name}_anomaly": 1 for p in spec.sessions if p.anomaly_probability})
    return ReferenceStats(
        source=f"spec:{spec.name}", error_counts=Counter(spec.error_mix), template_counts=templates,
        transitions=dict(transitions), causal_pairs=pairs, anomaly_types=anomaly_types, indicative=None,
        causal_normal_only=False)


def validate(reference: ReferenceStats | LabeledDataset | Spec, directory: str | Path, seed: int = 0,
             reference_files: list[Path] | None = None) -> dict[str, Any]:
    """Fidelity of the generated data set in ``directory`` to ``reference``; for a real data set also privacy:
    leakage of its parameter values into any file of ``directory``, and DCR against a real holdout."""
    synthetic = load_generated(directory)
    if isinstance(reference, Spec):
        reference = reference_from_spec(reference)
    result = evaluate_fidelity(reference, synthetic).to_dict()
    real = reference if isinstance(reference, LabeledDataset) else getattr(reference, "dataset", None)
    if real is not None:
        real_values = dataset_values(real)
        if reference_files:
            real_values = _union(real_values, files_values(reference_files))
        result["privacy"] = {
            "leakage": leakage_check(real_values, files_values(directory_files(Path(directory)))).to_dict(),
            "dcr": distance_to_closest_record(real, synthetic, seed=seed),
        }
    return result


def _union(a: dict[str, set[str]], b: dict[str, set[str]]) -> dict[str, set[str]]:
    return {k: a[k] | b.get(k, set()) for k in a}


def write_report(result: dict[str, Any], path: str | Path) -> Path:
    """The validation result as pretty JSON, written atomically."""
    with atomic_open(path, "w") as fh:
        json.dump(result, fh, indent=2, sort_keys=False)
        fh.write("\n")
    return Path(path)


def headline(result: dict[str, Any]) -> str:
    """One line with the main figures."""
    def fmt(value: Any) -> str:
        return "n/a" if value is None else f"{value:.3f}"

    parts = [f"{m}={fmt(result.get(m))}" for m in ("D_errdist", "C_temporal", "R_anomaly", "template_similarity",
                                                   "transition_similarity")]
    line = f"score={fmt(result.get('score'))} " + " ".join(parts)
    privacy = result.get("privacy")
    if privacy:
        kinds = privacy["leakage"]["kinds"]
        line += " leaked=" + ",".join(f"{k}:{v['leaked']}" for k, v in kinds.items())
    return line


def run_validation(reference: str | Path, directory: str | Path, out: str | Path | None = None,
                   log_format: str | None = None, labels: str | Path | None = None,
                   session_pattern: str | None = None, seed: int = 0) -> tuple[dict[str, Any], Path]:
    """``synthlog validate``: REFERENCE is a spec (``.yaml``/``.yml``) or real logs (anything
    :func:`synthlog.stats.profile.load_logs` reads); the JSON goes to ``out`` or ``DIR/validation.json``."""
    from synthlog.stats.profile import load_logs
    from synthlog.stats.specfile import load_spec

    ref_path = Path(reference)
    files: list[Path] | None = None
    if ref_path.suffix in (".yaml", ".yml"):
        ref: Spec | ReferenceStats = load_spec(ref_path)
    else:
        ref = reference_from_dataset(load_logs(reference, log_format=log_format, labels=labels,
                                               session_pattern=session_pattern))
        files = [ref_path] if ref_path.is_file() else None
    result = validate(ref, directory, seed=seed, reference_files=files)
    target = Path(out) if out is not None else Path(directory) / "validation.json"
    return result, write_report(result, target)
