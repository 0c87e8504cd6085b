"""Concurrent runs in recipe sessions, calibration from a labeled real sample, and unseen-normal coverage."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pytest
import yaml

from blockstore import RECIPE, SRC, TEMPLATES
from synthlog.errors import InputError
from synthlog.evaluate.coverage import count_vector, missed_vectors, unseen_coverage
from synthlog.records import ANOMALY, NORMAL, LabeledDataset, Session
from synthlog.synth.calibrate import (
    CONCENTRATIONS,
    MIX_SMOOTHING,
    SMOOTHING,
    _count_weights,
    fit_concentrations,
    new_mass,
)
from synthlog.synth.generate import CodeGenConfig, CodeSynthesizer
from synthlog.synth.pools import Variant

ROOT = Path(__file__).resolve().parents[1]


def _synth(graph, tmp_path: Path, name: str, **changes) -> CodeSynthesizer:
    """A synthesizer of the example recipe with top-level fields and stage fields (``stage__field``) changed."""
    recipe = yaml.safe_load(RECIPE.read_text())
    for key, value in changes.items():
        if "__" in key:
            stage, field = key.split("__")
            next(s for s in recipe["stages"] if s["name"] == stage)[field] = value
        else:
            recipe[key] = value
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(recipe))
    return CodeSynthesizer(CodeGenConfig(recipe=path, align_to=TEMPLATES)).fit(graph)


def _runs(session: Session) -> dict[tuple[str, int], list]:
    out = defaultdict(list)
    for event in session.events:
        out[(event.attributes["path"], event.attributes["run"])].append(event)
    return out


def test_concurrent_runs_interleave_in_several_orders_keeping_program_order_and_thread(graph, tmp_path):
    synth = _synth(graph, tmp_path, "concurrent", respond__follow="run", report__follow="run")
    ds = synth.sample(300, seed=3)
    normal = [s for s in ds.sessions if s.label == NORMAL]
    by_vector = defaultdict(set)
    for session in normal:
        by_vector[count_vector(tuple(session.event_ids))].add(tuple(session.event_ids))
    assert max(len(orders) for orders in by_vector.values()) >= 5, "one count vector, several interleavings"
    responder = next(v for v in synth.pools_["DataNode$PacketResponder.run"].normal
                     if len(v.statements) == 2)
    program = [s.id for s in responder.statements]
    checked = 0
    for session in normal:
        for (path, _), events in _runs(session).items():
            assert len({e.attributes["thread"] for e in events}) == 1, "one run, one thread"
            assert len({e.fields["Pid"] for e in events}) == 1
            if path == responder.path_id:
                assert [e.attributes["statement"] for e in events] == program, "a run keeps its program order"
                checked += 1
    assert checked >= 100


def test_lines_sharing_a_second_follow_the_sources_tie_order(graph, tmp_path):
    synth = _synth(graph, tmp_path, "ties", order={"resolution_s": 1, "ties": "text"})
    for session in synth.sample(100, seed=1).sessions:
        times = [e.timestamp for e in session.events]
        assert times == sorted(times)
        seconds = defaultdict(list)
        for event in session.events:
            seconds[int(event.timestamp)].append(synth.format_.format(event))
        assert all(lines == sorted(lines) for lines in seconds.values())


def test_calibration_recovers_a_known_probability_count_and_tie_order(graph, tmp_path):
    order = {"resolution_s": 1, "ties": "shuffle"}
    truth = _synth(graph, tmp_path, "truth", order=order, invalidate__probability=0.25,
                   replicate__probability=0.0, fault_rate=0.0)
    sample = truth.sample(400, seed=11)
    model = _synth(graph, tmp_path, "model", order={"resolution_s": 1, "ties": "text"})
    model.calibrate(sample, timing_sessions=150)
    stages = model.calibration_report_["stages"]
    assert stages["invalidate"]["probability"] == pytest.approx(0.25, abs=0.06)
    assert stages["receive"]["counts"] == {3: 1.0}
    assert stages["replicate"]["disagreement"], "a stage the sample never shows is reported"
    assert model.calibration_report_["timing"]["ties"] == "shuffle"
    shown = model.sample(400, seed=5)
    share = sum(any("invalidSet" in e.content for e in s.events) for s in shown.sessions) / 400
    assert share == pytest.approx(0.25, abs=0.07)


def test_label_evidence_overrides_the_rules_and_is_recorded(graph, tmp_path):
    synth = _synth(graph, tmp_path, "evidence")
    ds = synth.sample(400, seed=4)
    rule_anomalous = Counter(e.template_id for s in ds.sessions for e in s.events if e.label == ANOMALY)
    rule_normal = Counter(e.template_id for s in ds.sessions if s.label == NORMAL for e in s.events)
    flagged = rule_anomalous.most_common(1)[0][0]
    common = rule_normal.most_common(1)[0][0]
    usual = next(s for s in ds.sessions if s.label == NORMAL)
    real = LabeledDataset("real", [
        Session.from_event_ids("n1", [*usual.event_ids, flagged], label=NORMAL),
        Session.from_event_ids("a1", [common, "E999"], label=ANOMALY),
    ])
    synth.calibrate(real, timing_sessions=50)
    assert synth.calibration_.evidence[flagged] == NORMAL
    lines = [e for s in synth.sample(400, seed=4).sessions for e in s.events]
    assert any(e.template_id == flagged for e in lines)
    assert all(e.label == NORMAL and e.label_rule == "evidence:normal" for e in lines if e.template_id == flagged)
    assert "E999" in synth.calibration_report_["templates_no_stage_prints"]


def test_calibration_reads_only_its_argument_and_is_deterministic(graph, tmp_path):
    synth = _synth(graph, tmp_path, "determinism")
    sample = synth.sample(200, seed=8)
    half = LabeledDataset("half", sample.sessions[:100])
    first = [s.event_ids for s in synth.calibrate(half, timing_sessions=50).sample(50, seed=2).sessions]
    report = synth.calibration_report_
    second = [s.event_ids for s in synth.calibrate(half, timing_sessions=50).sample(50, seed=2).sessions]
    assert first == second and synth.calibration_report_ == report
    assert report["sessions"] == 100
    synth.calibrate(LabeledDataset("other", sample.sessions[100:]), timing_sessions=50)
    assert synth.calibration_report_["sessions"] == 100
    with pytest.raises(InputError, match="--align-to"):
        synth.calibrate(LabeledDataset("unaligned", [Session.from_event_ids("s", ["7", "8"], label=NORMAL)]))


def test_unseen_coverage_counts_sessions_vectors_and_label_agreement():
    def ds(rows):
        return LabeledDataset("d", [Session.from_event_ids(f"s{i}", seq.split(), label=lab)
                                    for i, (seq, lab) in enumerate(rows)])
    train = ds([("a b c", NORMAL), ("x", ANOMALY)])
    test = ds([("a b c", NORMAL), ("b a c", NORMAL), ("b a c", NORMAL), ("a a c", NORMAL), ("x", ANOMALY)])
    synthetic = ds([("b a c", NORMAL), ("c a a", NORMAL), ("x", NORMAL), ("a b c", NORMAL)])
    out = unseen_coverage(train, test, synthetic)
    # unseen normal test sessions: "b a c" twice (covered) and "a a c" (not): 2 of 3
    assert out["exact"] == pytest.approx(2 / 3)
    assert out["unseen_sequences"] == 2
    # unseen count vectors: only "a a c" ({a:2, c:1}); "c a a" has it
    assert out["count_vector"] == 1.0
    # found in real data: "b a c", "x" (real: anomalous, synthetic says normal), "a b c"
    assert out["synthetic_found_in_real"] == 3
    assert out["label_agreement"] == pytest.approx(2 / 3)
    # the same vector missed: the synthetic set without "c a a" misses {a:2, c:1}; seen and anomalous ones never count
    assert missed_vectors(train, test, synthetic) == {}
    test = ds([("a a c", NORMAL), ("a c a", NORMAL), ("d", NORMAL), ("a b c", NORMAL), ("y", ANOMALY)])
    assert missed_vectors(train, test, ds([("d", NORMAL), ("a a c", ANOMALY)])) == {count_vector(("a", "a", "c")): 2}


def test_a_number_named_as_a_runs_position_or_downstream_count_follows_the_run():
    from synthlog.code.records import Statement
    from synthlog.synth.values import ValueGenerator

    statement = Statement("S1", "DataNode.java", 1, 1, "PacketResponder", "run", "INFO",
                          "PacketResponder <*> for block <*> at <*> terminating", ["numTargets", "block", "index"])
    values = ValueGenerator(0)
    ctx = values.context(0)
    printed = []
    for run in range(3):
        ctx.run, ctx.runs = run, 3
        _, params = values.fill(statement, ctx)
        printed.append((params[0], params[2]))
    assert printed == [("2", "0"), ("1", "1"), ("0", "2")]


def test_cli_calibrates_from_a_data_set_directory(graph, tmp_path):
    import json
    import subprocess
    import sys

    from synthlog.io.datasets import write_dataset

    synth = _synth(graph, tmp_path, "cli")
    write_dataset(synth.sample(120, seed=6), tmp_path / "train", "train")

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "synthlog", "--seed", "2", "generate", "code", str(SRC), *args],
                              capture_output=True, text=True, cwd=ROOT)
    done = cli("--recipe", str(RECIPE), "--align-to", str(TEMPLATES), "-n", "40", "--calibrate",
               str(tmp_path / "train"), "--out", str(tmp_path / "a"))
    assert done.returncode == 0, done.stderr
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert summary["calibration"]["sessions"] == 120 and summary["calibration"]["timing"]["fitted"]
    refused = cli("--entry", "auto", "--calibrate", str(tmp_path / "train"), "--out", str(tmp_path / "c"))
    assert refused.returncode != 0 and "--calibrate" in refused.stderr and "Traceback" not in refused.stderr


def test_unseen_run_counts_share_the_new_count_mass_smaller_counts_more():
    weights = _count_weights([3, 3, 6, 6, 9])
    seen = {3, 6, 9}
    assert sum(weights.values()) == pytest.approx(1.0)
    unseen = {k: w for k, w in weights.items() if k not in seen}
    assert set(unseen) == set(range(1, 15)) - seen  # up to max + max / 2
    assert sum(unseen.values()) == pytest.approx(max(SMOOTHING, new_mass(Counter([3, 3, 6, 6, 9]))))
    ordered = [unseen[k] for k in sorted(unseen)]
    assert ordered == sorted(ordered, reverse=True) and ordered[0] > 2 * ordered[-1]
    assert _count_weights([3] * 40) == {3: 1.0}  # one count, seen often: no smoothing


def test_mix_concentrations_are_fitted_to_how_alike_a_sessions_runs_go():
    served, broke = (Variant(name, "normal", [], [], weight=w) for name, w in (("served", 0.7), ("broke", 0.3)))
    rng = np.random.default_rng(5)

    def sessions(concentration: float, n: int = 300) -> list[tuple[Variant, ...]]:
        out = []
        for _ in range(n):  # Dirichlet-multinomial draws of 6 runs around the weights
            p = rng.dirichlet([concentration * 0.7, concentration * 0.3])
            k = rng.binomial(6, p[0])
            out.append((served,) * k + (broke,) * (6 - k))
        return out

    def weight(mixture, low: float, high: float) -> float:
        return sum(w for c, w in mixture if low <= c <= high)
    alike = fit_concentrations(sessions(0.3), [served, broke])
    apart = fit_concentrations(sessions(30.0), [served, broke])
    both = fit_concentrations(sessions(0.1, 150) + sessions(50.0, 150), [served, broke])
    for mixture in (alike, apart, both):
        assert sum(w for _, w in mixture) == pytest.approx(1.0)
        ends = dict(mixture)
        assert ends[CONCENTRATIONS[0]] >= MIX_SMOOTHING / 2 and ends[CONCENTRATIONS[-1]] >= MIX_SMOOTHING / 2
    assert weight(alike, 0.0, 1.0) > 0.8 and weight(apart, 10.0, 100.0) > 0.8
    assert weight(both, 0.0, 1.0) > 0.3 and weight(both, 10.0, 100.0) > 0.3  # two kinds of session, both kept
    assert fit_concentrations([(served,), (broke,)], [served, broke]) is None  # single runs say nothing


def test_skeleton_sessions_keep_the_sequences_and_labels_without_values(graph, tmp_path):
    synth = _synth(graph, tmp_path, "skeleton")
    synth.calibrate(synth.sample(200, seed=8), timing_sessions=50)
    full = synth.sample(300, seed=3)
    skeleton = synth.sample(300, seed=3, values=False)
    assert [s.label for s in skeleton.sessions] == [s.label for s in full.sessions]
    assert all(e.content == synth.statements_[e.attributes["statement"]].template
               for s in skeleton.sessions for e in s.events)
    # values draw from the session's generator too, so the later draws differ; what is drawn from does not
    vectors = [Counter(count_vector(tuple(s.event_ids)) for s in d.sessions) for d in (full, skeleton)]
    assert vectors[0].most_common(1)[0][0] == vectors[1].most_common(1)[0][0]
    assert sum(n for v, n in vectors[0].items() if v in vectors[1]) >= 0.8 * len(full.sessions)
    again = synth.sample(300, seed=3, values=False)
    assert [s.event_ids for s in again.sessions] == [s.event_ids for s in skeleton.sessions]
