"""The simulator: determinism, time order, causal lags, episode labels, shards, dask, the sample() API."""

import csv
import json
from datetime import datetime
from pathlib import Path

import pytest

from synthlog.errors import ConfigError
from synthlog.execute import open_executor
from synthlog.io.datasets import load_directory
from synthlog.io.loghub import read_labels, read_structured, read_templates
from synthlog.io.sequences import read_sequences
from synthlog.stats import shards
from synthlog.stats.compiled import US, CompiledSpec
from synthlog.stats.schedule import Calendar
from synthlog.stats.simulate import StatsSynthesizer
from synthlog.stats.specfile import spec_problems_in_text

MINI = """\
name: mini
start: 2026-01-01T00:00:00Z
services:
  - name: front
    rate: 40
    error_rate: 0.05
    flow: [f_in, f_out]
    step: [1ms, 5ms]
    calls: [{to: back, probability: 0.8, latency: [1ms, 3ms]}]
    messages:
      - {id: f_in, template: "in <*> for <who>", params: {who: {kind: session}}}
      - {id: f_out, template: 'out, "quoted" <x>', params: {x: [a, "b,c", 'd\\e']}}
      - {id: f_timeout, template: "front timeout", level: ERROR, error_type: timeout}
      - {id: f_alarm, template: "alarm after back failure", level: WARN}
  - name: back
    error_rate: 0.05
    flow: [b_work]
    messages:
      - id: b_work
        template: "work <v> <h> <ip> <n>"
        params:
          v: {kind: float, min: -5, max: 5, decimals: 3}
          h: {kind: hex, length: 6}
          ip: ip
          n: session_number
      - {id: b_oom, template: "back oom", level: ERROR, error_type: out_of_memory}
      - {id: b_warn, template: "back pressure", level: WARN}
error_mix: {timeout: 0.5, out_of_memory: 0.5}
causal:
  - when: {service: back, error_type: out_of_memory}
    then: {service: front, message: f_alarm}
    probability: 1.0
    lag: [1s, 3s]
anomalies:
  - name: back-storm
    type: resource_exhaustion
    rate_per_hour: 600
    origin: [back]
    severity: 0.9
    duration: [2s, 5s]
    error_mix: {out_of_memory: 1.0}
    propagation: {direction: upstream, probability: 1.0, lag: [100ms, 200ms], max_hops: 1}
    emit: [{message: b_warn, every: 1s}]
    recovery: {time: 1s}
sessions:
  - name: job
    rate: 5
    id: {prefix: "job_", kind: int64}
    context_key: job_id
    anomaly_probability: 0.2
    anomaly_type: job_failure
    normal: {start: {f_in: 1.0}, transitions: {f_in: {b_work: 1.0}, b_work: {b_work: 0.5, END: 0.5}}, gap: [10ms, 1s],
             gaps: {b_work: {b_work: [2s, 3s]}}}
    anomalous: {start: {f_in: 1.0}, transitions: {f_in: {b_oom: 1.0}}, gap: [10ms, 1s]}
"""
FILES = ("mini.jsonl", "mini.log", "mini.log_structured.csv", "mini.log_templates.csv", "anomaly_label.csv")


@pytest.fixture
def small_shards(monkeypatch):
    """About 1,000 lines per shard (a few seconds of simulated time), so lags of 1-3 s cross shard ends."""
    monkeypatch.setattr(shards, "TARGET_LINES", 1000)


@pytest.fixture(scope="module")
def mini():
    spec, problems = spec_problems_in_text(MINI)
    assert problems == []
    return spec


def run(spec, out: Path, **options) -> dict[str, bytes]:
    StatsSynthesizer(spec).write(out, **{"duration": "60s", "seed": 7, **options})
    return {name: (out / name).read_bytes() for name in FILES}


def events_of(data: bytes) -> list[dict]:
    return [json.loads(line) for line in data.decode().splitlines()]


def seconds(event: dict) -> float:
    return event["timestamp"]


def owner_of(event: dict) -> str | None:
    return event["attributes"].get("session")


def test_same_seed_same_bytes_other_seed_other_bytes(mini, tmp_path, small_shards):
    first = run(mini, tmp_path / "a")
    assert first == run(mini, tmp_path / "b")
    assert len(first["mini.jsonl"]) > 100_000
    other = run(mini, tmp_path / "c", seed=8)
    assert other["mini.jsonl"] != first["mini.jsonl"]


def test_lines_are_time_ordered_and_every_format_agrees(mini, tmp_path, small_shards):
    files = run(mini, tmp_path)
    events = events_of(files["mini.jsonl"])
    times = [seconds(e) for e in events]
    assert times == sorted(times)
    assert len(set(owner_of(e) for e in events)) > 100
    services: dict[str, set[str]] = {}
    for event in events:  # a request id follows the request from service to service
        services.setdefault(owner_of(event) or "", set()).add(event["component"])
    assert sum(s == {"front", "back"} for o, s in services.items() if o.startswith("req-")) > 100
    rows = list(csv.DictReader(files["mini.log_structured.csv"].decode().splitlines()))
    raw = files["mini.log"].decode().splitlines()
    assert len(rows) == len(raw) == len(events)
    for event, row, line in zip(events, rows, raw, strict=True):
        assert row["Content"] == event["content"] and line.endswith(f"{event['component']}: {event['content']}")
        stamp = datetime.fromisoformat(f"{row['Date']}T{row['Time']}+00:00")
        assert round(stamp.timestamp() * 1e6) == round(event["timestamp"] * 1e6)
    assert {'out, "quoted" b,c', 'out, "quoted" d\\e'} <= {e["content"] for e in events}
    structured = list(read_structured(tmp_path / "mini.log_structured.csv"))
    assert [e.content for e in structured] == [e["content"] for e in events]
    templates = read_templates(tmp_path / "mini.log_templates.csv")
    assert sum(t.occurrences for t in templates.values()) == len(events)
    assert templates["b_work"].text == "work <*> <*> <*> <*>"


def test_causal_effects_follow_their_causes_within_the_lag(mini, tmp_path, small_shards):
    events = events_of(run(mini, tmp_path)["mini.jsonl"])
    causes, effects = {}, {}
    for event in events:
        if event["component"] == "back" and event["attributes"]["error_type"] == "out_of_memory":
            assert owner_of(event) not in causes  # one back visit per request or session
            causes[owner_of(event)] = seconds(event)
        elif event["content"] == "alarm after back failure":
            effects.setdefault(owner_of(event), []).append(seconds(event))
    horizon = seconds(events[0]) - seconds(events[0]) % 60 + 60
    assert len(causes) > 50
    for owner, when in causes.items():
        if when < horizon - 3:
            assert len(effects.get(owner, [])) == 1, owner  # probability 1: exactly one effect
    for owner, times in effects.items():
        for t in times:
            assert 1.0 - 1e-6 <= t - causes[owner] <= 3.0 + 1e-6


def test_episode_lines_are_labeled_and_inside_their_episode(mini, tmp_path, small_shards):
    files = run(mini, tmp_path)
    events = events_of(files["mini.jsonl"])
    calendar = Calendar(CompiledSpec(mini), 7)
    episodes = {e.id: e for e in calendar.episodes(0, 60 * US)}
    services = CompiledSpec(mini).service_names
    start = datetime.fromisoformat("2026-01-01T00:00:00+00:00").timestamp()
    labeled = [e for e in events if "anomaly" in e["attributes"]]
    storms = [e for e in labeled if e["attributes"]["anomaly"] == "resource_exhaustion"]
    assert storms and any(e["attributes"]["anomaly"] == "job_failure" for e in labeled)
    for event in storms:
        episode = episodes[event["attributes"]["anomaly_id"]]
        if event["level"] == "ERROR":  # failures happen inside a window of the episode at that service
            t = round((seconds(event) - start) * US)
            assert any(services[w.service] == event["component"] and w.start <= t <= w.fade_end + 5000
                       for w in episode.windows)
        else:
            assert event["content"] in ("back pressure", "alarm after back failure")
    assert {e["component"] for e in storms if e["level"] == "ERROR"} == {"back", "front"}  # spread upstream
    for event in labeled:
        if event["attributes"]["anomaly"] == "job_failure":
            assert event["attributes"]["anomaly_id"] == event["attributes"]["job_id"]
    labels = read_labels(tmp_path / "anomaly_label.csv")
    owners = {owner_of(e) for e in events if owner_of(e) is not None}
    assert set(labels) == owners
    anomalous = {owner_of(e) for e in labeled if owner_of(e) is not None}
    assert {k for k, v in labels.items() if v == 1} == anomalous


class ReversedExecutor:
    """Runs every shard first, last one first, then hands them back in order: no shared state may leak."""

    def map(self, tasks):
        done = {task[3]: shards.render_shard(*task) for task in reversed(list(tasks))}
        return (done[k] for k in sorted(done))


def test_shards_are_independent_of_execution_order(mini, tmp_path, small_shards):
    assert run(mini, tmp_path / "a") == run(mini, tmp_path / "b", executor=ReversedExecutor())


def test_dask_local_cluster_gives_the_same_bytes(mini, tmp_path, small_shards):
    local = run(mini, tmp_path / "local", duration="20s")
    with open_executor(2, processes=False) as pool:
        assert len(pool.client.scheduler_info()["workers"]) == 2
        distributed = run(mini, tmp_path / "dask", duration="20s", executor=shards.ShardExecutor(pool))
    assert distributed == local


def test_line_count_runs_are_prefixes_of_duration_runs(mini, tmp_path, small_shards):
    whole = run(mini, tmp_path / "whole")["mini.jsonl"].splitlines(keepends=True)
    StatsSynthesizer(mini).write(tmp_path / "part", n_lines=3000, seed=7)
    part = (tmp_path / "part" / "mini.jsonl").read_bytes().splitlines(keepends=True)
    assert len(part) == 3000 and part == whole[:3000]
    labels = read_labels(tmp_path / "part" / "anomaly_label.csv")
    written = [json.loads(line) for line in part]
    assert set(labels) == {owner_of(e) for e in written} - {None}
    # labels describe the lines written, also for requests cut at line 3000
    anomalous = {owner_of(e) for e in written if "anomaly" in e["attributes"]} - {None}
    assert {k for k, v in labels.items() if v} == anomalous


def test_sample_gives_time_ordered_frames_matching_the_files(mini, tmp_path, small_shards):
    frames = list(StatsSynthesizer(mini).sample(n_lines=2500, seed=7))
    assert len(frames) > 1 and sum(len(f) for f in frames) == 2500
    messages = [m for f in frames for m in f["message"].to_list()]
    times = [t for f in frames for t in f["timestamp"].to_list()]
    assert times == sorted(times)
    StatsSynthesizer(mini).write(tmp_path, n_lines=2500, seed=7)
    assert messages == [e["content"] for e in events_of((tmp_path / "mini.jsonl").read_bytes())]
    assert set(frames[0].columns) >= {"timestamp", "service", "level", "error_type", "message", "template_id",
                                      "session_id", "anomalous"}


def test_a_spec_that_never_logs_cannot_reach_a_line_count(tmp_path):
    spec, problems = spec_problems_in_text("name: quiet\nservices: [{name: a}]\n")
    assert problems == []
    with pytest.raises(ConfigError, match="nothing in this spec ever logs"):
        StatsSynthesizer(spec).write(tmp_path / "out", n_lines=10)
    assert not (tmp_path / "out" / "quiet.jsonl").exists()
    summary = StatsSynthesizer(spec).write(tmp_path / "out", duration="1h")
    assert summary.lines == 0 and (tmp_path / "out" / "quiet.jsonl").read_bytes() == b""


def test_window_labels_mark_windows_with_anomalous_lines(tmp_path, small_shards):
    spec, _ = spec_problems_in_text(MINI.replace("anomaly_probability: 0.2", "anomaly_probability: 0"))
    StatsSynthesizer(spec).write(tmp_path, duration="60s", seed=7, label_window="7s", formats=("jsonl",))
    events = events_of((tmp_path / "mini.jsonl").read_bytes())
    start = datetime.fromisoformat("2026-01-01T00:00:00+00:00").timestamp()
    expected = [False] * 9  # ceil(60 / 7) windows, the empty ones included
    for event in events:
        if "anomaly" in event["attributes"]:
            expected[int((seconds(event) - start) // 7)] = True
    rows = list(csv.DictReader((tmp_path / "window_label.csv").read_text().splitlines()))
    assert [r["WindowId"] for r in rows] == [str(k) for k in range(9)]
    assert [r["Label"] == "Anomaly" for r in rows] == expected
    assert any(expected) and not all(expected)
    assert rows[1]["Start"] == "2026-01-01T00:00:07.000000Z"


def test_a_rerun_removes_files_of_the_earlier_run_it_did_not_write(mini, tmp_path):
    StatsSynthesizer(mini).write(tmp_path, n_lines=100, seed=1, label_window="10s")
    assert (tmp_path / "mini.log").exists() and (tmp_path / "window_label.csv").exists()
    (tmp_path / "notes.txt").write_text("mine")
    StatsSynthesizer(mini).write(tmp_path, n_lines=100, seed=1, formats=("jsonl",))
    assert sorted(p.name for p in tmp_path.iterdir()) == [".synthlog-manifest.json", "anomaly_label.csv",
                                                          "mini.jsonl", "mini.log_templates.csv",
                                                          "mini.metadata.json", "mini.sequences", "notes.txt"]


GAPS = """\
name: gaps
services:
  - name: store
    messages:
      - {id: written, template: "block <b> written", params: {b: session}}
      - {id: replicated, template: "block <b> replicated", params: {b: session}}
      - {id: deleted, template: "block <b> deleted", params: {b: session}}
sessions:
  - name: block
    rate: 0.5
    id: {prefix: "blk_", kind: int64}
    normal:
      start: {written: 0.5, replicated: 0.5}
      transitions: {written: {replicated: 0.5, deleted: 0.5}, replicated: {deleted: 1.0}}
      gap: 500ms
      gaps: {written: {deleted: [1h, 2h]}, replicated: {deleted: 10s}}
"""


def test_each_transition_draws_its_own_gap(tmp_path, small_shards):
    spec, problems = spec_problems_in_text(GAPS)
    assert problems == []
    frames = list(StatsSynthesizer(spec).sample(duration="3h", seed=3))
    sessions: dict[str, list[tuple[float, str]]] = {}
    for frame in frames:
        for when, template, session in frame.select("timestamp", "template_id", "session_id").iter_rows():
            sessions.setdefault(session, []).append((when.timestamp(), template))
    seen: dict[tuple[str, str], list[float]] = {}
    for events in sessions.values():
        for (t_a, a), (t_b, b) in zip(events, events[1:], strict=False):
            seen.setdefault((a, b), []).append(t_b - t_a)
    assert set(seen) == {("written", "replicated"), ("written", "deleted"), ("replicated", "deleted")}
    assert all(g == pytest.approx(0.5) for g in seen[("written", "replicated")])  # the model's gap
    assert all(g == pytest.approx(10.0) for g in seen[("replicated", "deleted")])
    long = seen[("written", "deleted")]
    assert len(long) > 100 and all(3600 - 1e-6 <= g <= 7200 + 1e-6 for g in long)
    # the same spec and seed give the same bytes, whatever order the shards (with their carried lines) ran in
    written = []
    for folder, executor in (("a", None), ("b", ReversedExecutor())):
        StatsSynthesizer(spec).write(tmp_path / folder, duration="3h", seed=3, formats=("jsonl",), executor=executor)
        written.append((tmp_path / folder / f"{spec.name}.jsonl").read_bytes())
    assert written[0] == written[1] and len(written[0]) > 100_000


def test_a_gap_for_a_transition_the_model_lacks_is_refused():
    text = GAPS.replace("replicated: {deleted: 10s}", "deleted: {written: 10s}")
    _, problems = spec_problems_in_text(text)
    assert [(p.field, p.line) for p in problems] == [
        ("sessions.0.normal.gaps.deleted.written", text.splitlines().index(
            next(line for line in text.splitlines() if "deleted: {written: 10s}" in line)) + 1)]
    _, problems = spec_problems_in_text(GAPS.replace("replicated: {deleted: 10s}", "replicated: {END: 10s}"))
    assert [p.field for p in problems] == ["sessions.0.normal.gaps.replicated.END"]


def test_the_folder_holds_the_code_paths_sequences_and_metadata(mini, tmp_path, small_shards):
    files = run(mini, tmp_path / "one")
    events = events_of(files["mini.jsonl"])
    by_owner: dict[str, list[str]] = {}
    for event in events:  # background lines belong to no session
        if owner_of(event) is not None:
            by_owner.setdefault(owner_of(event), []).append(event["template_id"])
    sequences = read_sequences(tmp_path / "one" / "mini.sequences")
    labels = list(read_labels(tmp_path / "one" / "anomaly_label.csv"))
    assert [s.id for s in sequences] == labels and len(labels) > 100  # in the label file's order
    assert {s.id: s.event_ids for s in sequences} == by_owner
    saved = json.loads((tmp_path / "one" / "mini.metadata.json").read_text())
    assert saved == {"name": "mini", "metadata": {"generator": "stats", "spec": "mini", "seed": 7, "lines": None,
                                                  "duration_seconds": 60.0}}
    loaded = load_directory(tmp_path / "one")
    background = sum(owner_of(e) is None for e in events)  # each its own session when read back
    assert loaded.metadata["generator"] == "stats" and len(loaded) == len(by_owner) + background
    # the workers' part files keep the same session files
    StatsSynthesizer(mini).write(tmp_path / "parts", duration="60s", seed=7, shard_lines=2000)
    for name in ("mini.sequences", "mini.metadata.json", "anomaly_label.csv"):
        assert (tmp_path / "parts" / name).read_bytes() == (tmp_path / "one" / name).read_bytes()
