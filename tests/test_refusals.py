"""Bad values and magnitudes are refused in one line before any work: spec magnitudes, memory budgets, window
counts, recipes, options and records that used to crash with a traceback or pass silently."""

import json
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from synthlog.detect.bench import load_config as load_bench_config
from synthlog.errors import ConfigError, InputError
from synthlog.evaluate.fidelity import evaluate_fidelity
from synthlog.evaluate.report import require_score, run_validation
from synthlog.io.datasets import load_directory
from synthlog.parse.sessions import by_entity, sessionizer, sliding_windows
from synthlog.records import LogEvent, micros_of
from synthlog.stats.simulate import StatsSynthesizer
from synthlog.stats.specfile import load_spec, spec_problems_in_text
from synthlog.synth.recipe import load_recipe

ROOT = Path(__file__).resolve().parents[1]
PAYMENT = ROOT / "examples" / "specs" / "payment.yaml"
STORAGE = ROOT / "examples" / "specs" / "storage.yaml"
OLD_STATS = ROOT / "tests" / "data" / "stats_events_v0"
RECIPE = ROOT / "examples" / "blockstore" / "recipe.yaml"
SPEC = """\
name: m
start: {start}
services:
  - name: s
    rate: {rate}
    flow: [a]
    messages:
      - {{id: a, template: "value <v>", params: {{v: {param}}}}}
"""


def cli(*args):
    # --quiet: under load a progress line (printed after 5 s) would stand beside the one-line error compared here
    return subprocess.run([sys.executable, "-m", "synthlog", "--quiet", *args], capture_output=True, text=True,
                          timeout=120)


def spec_text(rate="5", start="2026-01-01T00:00:00Z", param="{kind: int, min: 0, max: 9}"):
    return SPEC.format(rate=rate, start=start, param=param)


@pytest.mark.parametrize("change, problem", [
    ({"rate": "1.0e+9"}, r"services.0.rate: Input should be less than or equal to 1000000"),
    ({"rate": ".inf"}, r"services.0.rate: Input should be a finite number"),
    ({"param": "{kind: int, min: 0, max: 1.0e+23}"}, r"an int slot's min and max are 64-bit integers"),
    ({"param": "{kind: float, min: -1.0e+308, max: 1.0e+308}"}, r"a float slot with 2 decimals lies within"),
    ({"param": "{kind: float, min: 0, max: .nan}"}, r"max: Input should be a finite number"),
    ({"start": "9999-12-31T23:59:00Z"}, r"start lies in the years 1970 to 8999"),
])
def test_spec_check_refuses_magnitudes_no_run_survives(change, problem):
    spec, problems = spec_problems_in_text(spec_text(**change), "m.yaml")
    assert spec is None and re.search(problem, f"{problems[0].field}: {problems[0].message}")


def test_durations_beyond_a_century_are_refused_not_overflowed():
    _, problems = spec_problems_in_text(spec_text().replace("flow: [a]", "flow: [a]\n    step: 1e308s"), "m.yaml")
    assert "a duration is at most 100 years" in problems[0].message
    run = cli("generate", "stats", str(PAYMENT), "--duration", "1e308s", "--out", "unused")
    assert run.returncode == 2
    assert run.stderr.splitlines() == ["error: --duration: a duration is at most 100 years (3.156e+09 s), "
                                       "not '1e308s'"]


def test_a_run_whose_shards_exceed_the_memory_budget_is_refused_with_the_numbers(tmp_path):
    spec = tmp_path / "busy.yaml"
    spec.write_text(spec_text(rate="200000"))
    run = cli("generate", "stats", str(spec), "--duration", "1s", "--max-memory", "256M", "--out", str(tmp_path / "o"))
    assert run.returncode == 2
    assert re.fullmatch(r"error: --max-memory: a shard of this spec holds about 200,000 lines \(200,000 lines per "
                        r"second of simulated time, shards of at least 1 s\): about 0\.5 GiB with 1 worker\(s\), "
                        r"above the memory budget of 0\.2 GiB; lower the spec's rates or raise --max-memory\n",
                        run.stderr)
    assert not (tmp_path / "o").exists()
    small = StatsSynthesizer(spec).write(tmp_path / "ok", n_lines=10, max_memory=1 << 30)  # the same spec fits 1 GiB
    assert small.lines == 10


def test_a_number_of_lines_that_runs_past_year_9999_is_refused(tmp_path):
    spec = tmp_path / "slow.yaml"
    spec.write_text(spec_text(rate="0.001", start="8990-01-01T00:00:00Z"))
    with pytest.raises(InputError, match="past the year 9999"):
        StatsSynthesizer(spec).write(tmp_path / "o", n_lines=10**9)


def _timed(times):
    """Events at ``times`` epoch seconds."""
    return [LogEvent(content=f"line {i}", timestamp=micros_of(t), line_id=i + 1) for i, t in enumerate(times)]


@pytest.mark.parametrize("step", ["1e-9", "1e-300"])
def test_sliding_time_steps_making_more_windows_than_lines_are_refused(step):
    events = _timed([0.0, 1.0, 2.0, 30.0])
    with pytest.raises(InputError, match=r"--sessions: windows of 10 s every 1e-0?(9|300) s make [\d,]+ windows of 4 "
                                         r"lines"):
        sessionizer(f"sliding-time:10,{step}")(events)


def test_windows_fewer_than_lines_are_allowed():
    events = _timed([i / 10 for i in range(50)] + [100.0, 100.5])  # a gap: no empty windows are counted
    assert [len(w.events) for w in sliding_windows(events, 2.0, 1.0, by="time")] == [20, 20, 20, 20, 10, 2, 2]


def test_a_session_pattern_matching_the_empty_string_is_refused(tmp_path):
    with pytest.raises(re.error, match="matches the empty string"):
        by_entity(_timed([0.0]), "")
    run = cli("profile", str(ROOT / "examples" / "logs" / "blockstore.log"), "--format", "hdfs",
              "--session-pattern", "", "--out", str(tmp_path / "p.yaml"))
    assert run.returncode == 2 and "--session-pattern: bad session pattern '': " in run.stderr
    assert not (tmp_path / "p.yaml").exists()


def _recipe(tmp_path, old, new):
    text = RECIPE.read_text()
    assert old in text
    path = tmp_path / "recipe.yaml"
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize("old, new, problem", [
    ('start: "2026-11-22T10:15:00"', "start: not a date", r"recipe.yaml:16: start: 'not a date' is not an ISO 8601"),
    ('start: "2026-11-22T10:15:00"', "start: '9999-12-31T23:59:00'", r"start lies in the years 1970 to 8999"),
    ("stages:\n", "expected: ['(']\nstages:\n", r"expected: '\(' is not a regular expression"),
    ("delay_ms: {min: -300, max: 500}", "delay_ms: {min: -300, max: 1.0e+308}",
     r"stages.1.delay_ms.max: Input should be less than or equal to 31557600000"),
    ("replication: 3", "replication: 9", r"count: 9 runs, but run k is about node k of role 'datanode', which has 4"),
])
def test_recipe_values_that_crashed_or_passed_silently_are_refused(tmp_path, old, new, problem):
    with pytest.raises(ConfigError, match=problem):
        load_recipe(_recipe(tmp_path, old, new))


def test_a_stage_main_pattern_that_is_not_a_regex_names_its_line(tmp_path):
    path = _recipe(tmp_path, 'main: ["allocateBlock"]', 'main: ["("]')
    with pytest.raises(ConfigError, match=r"recipe.yaml:21: stages.0.main: '\(' is not a regular expression"):
        load_recipe(path)


def test_a_roles_subnet_places_its_nodes(tmp_path):
    from synthlog.synth.generate import CodeGenConfig, CodeSynthesizer

    text = RECIPE.read_text().replace("datanode: {instances: 4,", 'datanode: {instances: 4, subnet: "10.77",')
    path = tmp_path / "recipe.yaml"
    path.write_text(text)
    synth = CodeSynthesizer(CodeGenConfig(recipe=path)).fit(ROOT / "examples" / "blockstore" / "src")
    lines = " ".join(e.content for s in synth.sample(20, 1).sessions for e in s.events)
    found = set(re.findall(r"\b(\d+\.\d+)\.\d+\.\d+\b", lines))
    assert "10.77" in found


@pytest.mark.parametrize("args, message", [
    (["generate", "code", str(ROOT / "examples/blockstore/src"), "--entry", "auto", "--min-level", "BOGUS"],
     "error: --min-level: unknown level 'BOGUS' (one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL)"),
    (["generate", "code", str(ROOT / "examples/blockstore/src"), "--entry", "auto", "--start", "9999-12-31T23:59:00"],
     "error: --start: the start lies in the years 1970 to 8999, not 9999"),
    (["generate", "stats", str(PAYMENT), "--lines", "10", "--formats", ""],
     "error: --formats: name at least one format (jsonl, raw, csv, parquet, otel)"),
    (["profile", str(ROOT / "examples/logs/blockstore.log"), "--format", "hdfs", "--epsilon", "inf"],
     "error: --epsilon: epsilon must be a finite number above 0 (got inf)"),
])
def test_options_accepted_silently_are_refused(tmp_path, args, message):
    run = cli(*args, "--out", str(tmp_path / "o"))
    assert run.returncode == 2
    assert run.stderr.splitlines() == [message]
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("args", [
    ["--seed", "-1", "generate", "stats", str(PAYMENT), "--lines", "5"],
    ["generate", "stats", str(PAYMENT), "--lines", "5", "--seed", "-3"],
    ["profile", str(ROOT / "examples/logs/blockstore.log"), "--format", "hdfs", "--epsilon", "1", "--seed", "-1"],
])
def test_negative_seeds_are_usage_errors(tmp_path, args):
    run = cli(*args, "--out", str(tmp_path / "o"))
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "Invalid value for '--seed': Input should be greater than or equal to 0" in run.stderr


def _bench_config(tmp_path, extra):
    path = tmp_path / "bench.yaml"
    path.write_text("data: {real: x}\n" + extra)
    return path


@pytest.mark.parametrize("extra, problem", [
    ("detectors: [{name: pca, params: {n_components: -5}}]\n",
     r"bench.yaml:2: detectors.0: Value error, detector 'pca': n_components is a share|detectors.0: detector 'pca': "
     r"n_components is a share of variance"),
    ("detectors: [pca]\nseeds: [-1, 0, 1]\n", r"bench.yaml:3: seeds: a seed is a whole number of 0 or more, not -1"),
])
def test_bench_configs_refuse_bad_parameters_and_seeds(tmp_path, extra, problem):
    with pytest.raises(ConfigError, match=problem):
        load_bench_config(_bench_config(tmp_path, extra))


@pytest.mark.parametrize("change, problem", [
    (lambda e: {**e, "context": 7}, "context must be a JSON object or null"),
    (lambda e: {**e, "anomaly": {"type": "x", "id": [1, 2]}}, r"anomaly.id must be a string or a number"),
    (lambda e: {**e, "message": ["a"]}, "message must be a string or null"),
])
def test_validate_refuses_malformed_event_records_naming_the_line(tmp_path, change, problem):
    out = tmp_path / "data"  # a folder of the simulator's older events.jsonl, which readers still load
    shutil.copytree(OLD_STATS, out)
    lines = (out / "events.jsonl").read_text().splitlines()
    lines[4] = json.dumps(change(json.loads(lines[4])))
    (out / "events.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=rf"events.jsonl:5: bad event: {problem}"):
        run_validation(STORAGE, out)


@pytest.mark.parametrize("change, problem", [
    (lambda e: {**e, "attributes": 7}, r"attributes has the wrong type \(int\)"),
    (lambda e: {**e, "label": 3}, "label must be 0, 1 or absent"),
    (lambda e: {**e, "attributes": {**e["attributes"], "session": 5}}, "has no string attributes.session"),
])
def test_validate_refuses_malformed_event_records_of_either_generator(tmp_path, change, problem):
    out = tmp_path / "data"
    StatsSynthesizer(PAYMENT).write(out, n_lines=20, seed=1)
    lines = (out / "payment.jsonl").read_text().splitlines()
    lines[4] = json.dumps(change(json.loads(lines[4])))
    (out / "payment.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=rf"payment.jsonl:5: .*{problem}"):
        run_validation(PAYMENT, out)


NO_START_SPEC = """\
name: nostart
services:
  - name: app
    messages:
      - {id: E1, template: "job started", level: INFO}
      - {id: E2, template: "job failed", level: ERROR}
sessions:
  - name: jobs
    rate: 1.0
    normal:
      start: {E1: 0.0}
      transitions: {E1: {E2: 0.5}}
"""


def test_a_session_model_whose_start_probabilities_add_up_to_0_is_refused(tmp_path):
    # they are normalised, so 0/0 started nothing: generation wrote no session line and validate printed score=nan
    spec = tmp_path / "nostart.yaml"
    spec.write_text(NO_START_SPEC)
    for args in (("spec", "check", str(spec)), ("generate", "stats", str(spec), "--out", str(tmp_path / "d"))):
        result = cli(*args)
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert "nostart.yaml:11: sessions.0.normal.start: probabilities add up to 0" in result.stderr
    assert not (tmp_path / "d").exists()


@pytest.mark.filterwarnings("ignore:invalid value encountered in divide:RuntimeWarning")  # the 0/0 itself
def test_validate_without_a_finite_score_is_an_error_not_score_nan(tmp_path):
    # the spec check now refuses that model; built past it, it still shows the guard: every metric but D_errdist
    # is 0/0, and the mean was printed as score=nan with exit 0
    ok = tmp_path / "ok.yaml"
    ok.write_text(NO_START_SPEC.replace("E1: 0.0", "E1: 1.0"))
    out = tmp_path / "data"
    StatsSynthesizer(ok).write(out, n_lines=50, seed=1)
    spec = load_spec(ok)
    spec.sessions[0].normal.start["E1"] = 0.0
    result = evaluate_fidelity(spec, load_directory(out))
    assert math.isnan(result.score)
    with pytest.raises(InputError, match=r"no fidelity score can be computed \(C_temporal, R_anomaly, "
                                         r"template_similarity, transition_similarity undefined"):
        require_score(result.to_dict(), out)
