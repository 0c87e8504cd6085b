"""Fidelity metrics on small hand-built data sets whose right answers are known."""

import json
import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from synthlog.evaluate.fidelity import evaluate_fidelity, js_divergence, reference_from_dataset, reference_from_spec
from synthlog.logstats import (
    STRUCTURAL,
    anomaly_signature,
    classify_error,
    mine_causal_pairs,
    template_key,
    time_resolution,
)
from synthlog.records import ANOMALY, NORMAL, LabeledDataset, LogEvent, Session, micros_of
from synthlog.stats.specfile import spec_problems_in_text

NORMAL_FLOW = [("open <*>", "INFO", 0.0), ("write <*> bytes", "INFO", 1.0), ("close <*>", "INFO", 3.0)]
ANOMALIES = {
    "timeout": [("open <*>", "INFO", 0.0), ("request to <*> timed out", "ERROR", 5.0)],
    "refused": [("open <*>", "INFO", 0.0), ("connection refused by <*>", "WARN", 1.0), ("close <*>", "INFO", 2.0)],
}


def session(sid: str, flow, label: int, start: float = 0.0) -> Session:
    events = [LogEvent(content=text.replace("<*>", "7"), timestamp=micros_of(start + t), level=level,
                       attributes={"template": text}) for text, level, t in flow]
    return Session(id=sid, events=events, label=label)


def dataset(name: str, normal: int = 40, anomalies: dict[str, int] | None = None) -> LabeledDataset:
    sessions = [session(f"n{i}", NORMAL_FLOW, NORMAL, start=10.0 * i) for i in range(normal)]
    for kind, n in sorted((anomalies or {"timeout": 4, "refused": 4}).items()):
        sessions += [session(f"{kind}{i}", ANOMALIES[kind], ANOMALY, start=7.0 * i) for i in range(n)]
    return LabeledDataset(name=name, sessions=sessions)


def test_identical_data_scores_one():
    real = dataset("real")
    report = evaluate_fidelity(real, dataset("copy"))
    for metric in ("D_errdist", "C_temporal", "R_anomaly", "template_similarity", "transition_similarity"):
        assert report.details[metric] == pytest.approx(1.0), metric
    assert report.score == pytest.approx(1.0)
    assert report.details["templates"]["synthetic_in_reference"] == 1.0
    assert report.details["session_length"]["similarity"] == pytest.approx(1.0)
    assert report.details["session_length"]["reference"] == {"mean": pytest.approx(140 / 48, abs=1e-6), "median": 3.0}


def test_error_mix_shift_lowers_d_errdist_and_missing_type_lowers_r():
    real = dataset("real", anomalies={"timeout": 4, "refused": 4})
    only_timeouts = dataset("syn", anomalies={"timeout": 8})
    report = evaluate_fidelity(real, only_timeouts)
    # reference errors: 4 timeout + 4 connection; synthetic: 8 timeout. P = (1/2, 1/2), Q = (1, 0), M = (3/4, 1/4):
    # JS = (KL(P||M) + KL(Q||M)) / 2 = 3/2 - 3/4 log2(3) = 0.311 (base 2; the JS distance, its root, would be 0.558)
    assert report.details["D_errdist"] == pytest.approx(1 - (1.5 - 0.75 * math.log2(3)), abs=1e-6)
    assert report.details["R_anomaly"] == pytest.approx(0.5)
    assert report.details["anomaly_types"]["covered"] == 1
    assert report.details["anomaly_types"]["R_anomaly_types_with_2_sessions"] == pytest.approx(0.5)


def test_reversed_order_breaks_causal_pairs_and_transitions():
    real = dataset("real")
    reversed_flow = [(text, level, 3.0 - t) for text, level, t in reversed(NORMAL_FLOW)]
    syn = LabeledDataset("syn", [session(f"r{i}", reversed_flow, NORMAL) for i in range(40)])
    report = evaluate_fidelity(real, syn)
    assert report.details["causal_pairs"]["pairs"] >= 2
    assert report.details["C_temporal"] == 0.0
    assert report.details["transition_similarity"] < 0.5
    # the template mix is nearly the same (only the rare anomaly templates are missing)
    assert report.details["template_similarity"] > 0.9


def test_lag_outside_the_reference_range_is_not_in_order():
    real = dataset("real")
    slow_flow = [(text, level, 100.0 * t) for text, level, t in NORMAL_FLOW]
    syn = LabeledDataset("syn", [session(f"s{i}", slow_flow, NORMAL) for i in range(40)])
    report = evaluate_fidelity(real, syn)
    assert report.details["C_temporal"] == 0.0
    assert report.details["transition_similarity"] > 0.9


def test_causal_pairs_and_lags_mined_from_normal_sessions():
    pairs = {(p.cause, p.effect): p for p in mine_causal_pairs(dataset("real"), min_support=10)}
    assert ("open <*>", "close <*>") in pairs
    pair = pairs[("open <*>", "close <*>")]
    # whole-second timestamps: an observed lag of 3 s is a true lag in (2 s, 4 s)
    assert (pair.lag_min, pair.lag_max, pair.confidence, pair.support) == (2.0, 4.0, 1.0, 40)
    assert ("close <*>", "open <*>") not in pairs


def test_lag_range_of_microsecond_timestamps_is_not_widened():
    real = dataset("real")
    for s in real.sessions:
        for e in s.events:
            e.timestamp += 123457  # microseconds
    assert time_resolution(real) == 0.0
    pair = {(p.cause, p.effect): p for p in mine_causal_pairs(real)}[("open <*>", "close <*>")]
    assert (pair.lag_min, pair.lag_max) == (3.0, 3.0)


def test_untimed_sessions_are_checked_for_order_only():
    real = dataset("real")
    for s in real.sessions:
        for e in s.events:
            e.timestamp = None
    pairs = mine_causal_pairs(real)
    assert pairs and all(p.lag_min is None for p in pairs)
    assert evaluate_fidelity(real, dataset("timed")).details["C_temporal"] == 1.0


def test_error_classes():
    assert classify_error("request to <*> timed out", "INFO") == "timeout"
    assert classify_error("java.lang.OutOfMemoryError: Java heap space", "ERROR") == "out_of_memory"
    assert classify_error("writeBlock <*> received exception <*>", "INFO") == "exception"
    assert classify_error("disk almost full", "WARN") == "warn"
    assert classify_error("Received block <*> of size <*>", "INFO") is None


def test_template_key_normalises_placeholders():
    key = template_key("Receiving  block <:BLK:> src: /<*>:<*> dest: /<IP>")
    assert key == "Receiving block <*> src: /<*> dest: /<*>"


def test_signature_of_structural_anomaly():
    assert anomaly_signature(["open <*>"], ["request to <*> timed out"]) == STRUCTURAL
    assert anomaly_signature(["b", "a", "x"], ["a", "b"]) == "a + b"


counts = st.dictionaries(st.sampled_from("abcdef"), st.integers(min_value=0, max_value=50), max_size=6)


@given(counts, counts)
def test_js_divergence_is_a_bounded_symmetric_divergence(p, q):
    d = js_divergence(p, q)
    assert 0.0 <= d <= 1.0 + 1e-12
    assert math.isclose(d, js_divergence(q, p), abs_tol=1e-12)
    assert js_divergence(p, p) == pytest.approx(0.0, abs=1e-12)


def test_disjoint_distributions_have_divergence_one():
    assert js_divergence({"a": 3}, {"b": 5}) == pytest.approx(1.0)


def test_report_is_deterministic():
    rng = random.Random(3)
    real = dataset("real")
    syn = dataset("syn")
    in_order = json.dumps(evaluate_fidelity(real, syn).to_dict())
    rng.shuffle(syn.sessions)
    # the same bytes whatever the order of the synthetic sessions, and from a data set or its summary alike
    assert json.dumps(evaluate_fidelity(real, syn).to_dict()) == in_order
    assert json.dumps(evaluate_fidelity(reference_from_dataset(real), syn).to_dict()) == in_order


LOOPING_SPEC = """\
name: loop
services:
  - name: s
    messages:
      - {id: a, template: "a <*>"}
      - {id: b, template: "b"}
sessions:
  - name: job
    rate: 1
    normal:
      start: {a: 0.5}
      transitions: {a: {a: 1}}
      max_events: 7
  - name: short
    rate: 1
    normal:
      start: {b: 0.25}
"""


def test_spec_reference_counts_sessions_as_the_simulator_runs_them():
    spec, problems = spec_problems_in_text(LOOPING_SPEC)
    assert problems == [] and spec is not None
    # a loop that never reaches END stops at max_events; a start below 1 is normalised (every session has a first event)
    assert reference_from_spec(spec).template_counts == {"a <*>": 7.0, "b": 1.0}


def test_error_types_of_fewer_than_k_reference_sessions_are_left_out_of_d_errdist_on_both_sides():
    real = dataset("real", anomalies={"timeout": 6, "refused": 2})  # connection errors in 2 sessions: withheld, k=5
    timeouts = dataset("syn", anomalies={"timeout": 8})
    private = evaluate_fidelity(real, timeouts, min_sessions=5).details
    assert private["D_errdist"] == pytest.approx(1.0) and private["D_errdist_all_types"] < 0.9
    assert private["error_types"]["withheld"] == {"connection": {"reference_sessions": 2, "reference_lines": 2,
                                                                 "synthetic_lines": 0}}
    assert evaluate_fidelity(real, timeouts).details["D_errdist"] == private["D_errdist_all_types"]  # k = 1
    # a withheld type in the synthetic data neither helps nor hurts; a type the reference never shows still hurts
    assert evaluate_fidelity(real, dataset("syn", anomalies={"timeout": 8, "refused": 3}),
                             min_sessions=5).details["D_errdist"] == pytest.approx(1.0)
    assert evaluate_fidelity(real, dataset("syn", anomalies={"refused": 8}), min_sessions=5).details["D_errdist"] == 0
    corrupt = timeouts.sessions + [session("c", [("disk corrupt", "ERROR", 0.0)], ANOMALY)] * 8
    assert evaluate_fidelity(real, LabeledDataset("syn", corrupt), min_sessions=5).details["D_errdist"] < 0.9
