"""The statistics spec: examples load, impossible specs are refused with field and line, schema, round trip."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from synthlog.errors import ConfigError
from synthlog.stats.spec import Dist, Spec, parse_duration
from synthlog.stats.specfile import check_spec_file, dump_spec, load_spec, spec_problems_in_text

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "specs"

BASE = """\
name: tiny
services:
  - name: front
    rate: 10
    flow: [f_in]
    calls:
      - {to: back, probability: 0.5, latency: [1ms, 2ms]}
    messages:
      - {id: f_in, template: "request <*> in"}
      - {id: f_timeout, template: "front timed out", level: ERROR, error_type: timeout}
  - name: back
    flow: [b_work]
    messages:
      - {id: b_work, template: "working on <job>", params: {job: [a, b]}}
      - {id: b_oom, template: "back out of memory", level: ERROR, error_type: out_of_memory}
error_mix: {timeout: 0.6, out_of_memory: 0.3}
causal:
  - name: oom times the front out
    when: {service: back, error_type: out_of_memory}
    then: {service: front, message: f_timeout}
    probability: 0.5
    lag: [100ms, 500ms]
"""


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line containing ``needle``."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def problems_of(text: str):
    spec, problems = spec_problems_in_text(text)
    assert spec is None and problems
    return problems


@pytest.mark.parametrize("name", ["payment.yaml", "storage.yaml"])
def test_example_specs_are_valid(name):
    spec, problems = check_spec_file(EXAMPLES / name)
    assert problems == []
    assert spec.anomalies and spec.causal and spec.error_mix


def test_base_spec_is_valid():
    spec, problems = spec_problems_in_text(BASE)
    assert problems == [] and spec.service("back").messages[0].event_template == "working on <*>"


@pytest.mark.parametrize("old, new, field, needle", [
    ("probability: 0.5\n    lag", "probability: 1.5\n    lag", "causal.0.probability", "probability: 1.5"),
    ("rate: 10", "rate: -3", "services.0.rate", "rate: -3"),
    ("then: {service: front,", "then: {service: frnt,", "causal.0.then.service", "then: {service: frnt"),
    ("message: f_timeout}", "message: f_nope}", "causal.0.then.message", "message: f_nope"),
    ("to: back,", "to: nowhere,", "services.0.calls.0.to", "to: nowhere"),
    ("flow: [b_work]", "flow: [b_missing]", "services.1.flow.0", "flow: [b_missing]"),
    ("timeout: 0.6, out", "timeout: 0.9, out", "error_mix", "error_mix:"),
    ("error_mix: {timeout", "error_mix: {disk_full: 0.1, timeout", "error_mix.disk_full", "error_mix:"),
    ("level: ERROR, error_type: timeout}", "level: LOUD, error_type: timeout}", "services.0.messages.1.level",
     "level: LOUD"),
    ("lag: [100ms, 500ms]", "lag: [500ms, 100ms]", "causal.0.lag", "lag: [500ms"),
    ("lag: [100ms, 500ms]", "lag: 3 parsecs", "causal.0.lag", "lag: 3 parsecs"),
    ("{id: b_oom,", "{id: f_in,", "services.1.messages.1.id", "back out of memory"),
    ("template: \"working on <job>\"", "template: \"working on <task>\"", "services.1.messages.0",
     "working on <task>"),
    ("name: tiny", "name: tiny\ncolour: red", "colour", "colour: red"),
])
def test_impossible_specs_name_field_and_line(old, new, field, needle):
    assert old in BASE
    text = BASE.replace(old, new, 1)
    problems = problems_of(text)
    assert any(p.field == field and p.line == line_of(text, needle) for p in problems), problems


def test_zero_lag_causal_cycle_is_refused():
    text = BASE + """\
  - when: {service: front, message: f_timeout}
    then: {service: back, error_type: out_of_memory}
    lag: 0
"""
    text = text.replace("lag: [100ms, 500ms]", "lag: 0ms")
    problems = problems_of(text)
    assert any(p.field.startswith("causal.") and p.field.endswith(".lag") and "zero lag" in p.message
               for p in problems), problems
    # the same cycle with a delay is fine: chains are cut at causal_depth
    assert spec_problems_in_text(text.replace("lag: 0ms", "lag: 1s"))[1] == []
    # an observed rule never fires, so it closes no cycle; only it may leave its lag null
    assert spec_problems_in_text(text.replace("    lag: 0\n", "    lag: null\n    observed: true\n"))[1] == []
    fired = text.replace("    lag: 0\n", "    lag: null\n")
    assert [(p.field, p.line) for p in problems_of(fired)] == [("causal.1", line_of(fired, "- when: {service: front"))]


def test_only_the_repeated_service_is_defined_twice():
    text = BASE.replace("  - name: back\n", '  - name: front\n    messages:\n      - {id: f_again, template: "again"}\n'
                                              "  - name: back\n", 1)
    twice = [(p.field, p.line) for p in problems_of(text) if "defined twice" in p.message]
    # the services after the repeated one are not repeats themselves
    assert twice == [("services.1.name", line_of(text, 'id: f_again') - 2)]

def test_call_cycles_are_refused():
    text = BASE.replace("    flow: [b_work]\n", "    flow: [b_work]\n    calls: [{to: front}]\n")
    problems = problems_of(text)
    assert any("call cycle" in p.message for p in problems), problems


def test_every_problem_is_reported_not_just_the_first():
    text = BASE.replace("rate: 10", "rate: -1").replace("probability: 0.5\n    lag", "probability: 2\n    lag")
    fields = {p.field for p in problems_of(text)}
    assert {"services.0.rate", "causal.0.probability"} <= fields
    text = BASE.replace("to: back,", "to: nowhere,").replace("message: f_timeout}", "message: f_nope}")
    fields = {p.field for p in problems_of(text)}
    assert {"services.0.calls.0.to", "causal.0.then.message"} <= fields


def test_yaml_syntax_error_has_a_line():
    problems = problems_of(BASE.replace("flow: [b_work]", "flow: [b_work"))
    assert problems[0].line is not None and "YAML" in problems[0].message


def test_load_spec_raises_one_line_config_error(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(BASE.replace("rate: 10", "rate: -1"))
    with pytest.raises(ConfigError) as caught:
        load_spec(path)
    assert str(caught.value).startswith(f"{path}:{line_of(path.read_text(), 'rate: -1')}: services.0.rate")


def test_python_construction_is_validated_too():
    with pytest.raises(ValidationError, match="unknown service"):
        Spec.model_validate({"name": "x", "services": [{"name": "a", "calls": [{"to": "b"}]}]})


def test_durations_and_distribution_short_forms():
    assert parse_duration("250ms") == 0.25 and parse_duration("2m") == 120 and parse_duration(3) == 3.0
    assert Dist.model_validate([0.001, "2ms"]).dist == "uniform"
    assert Dist.model_validate("5s").value == 5.0
    assert Dist.model_validate({"dist": "exponential", "mean": "1s", "max": "10s"}).upper_bound == 10.0
    with pytest.raises(ValidationError):
        Dist.model_validate({"dist": "lognormal", "median": 1})


def test_dump_and_load_round_trip(tmp_path):
    spec = load_spec(EXAMPLES / "storage.yaml")
    path = tmp_path / "again.yaml"
    path.write_text(dump_spec(spec))
    assert load_spec(path) == spec


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "synthlog", *args], capture_output=True, text=True)


def test_cli_schema_and_check(tmp_path):
    schema = run_cli("spec", "schema")
    assert schema.returncode == 0
    document = json.loads(schema.stdout)
    assert "services" in document["properties"] and "CausalRule" in document["$defs"]
    ok = run_cli("spec", "check", str(EXAMPLES / "payment.yaml"))
    assert ok.returncode == 0 and "ok" in ok.stdout
    bad = tmp_path / "bad.yaml"
    text = BASE.replace("rate: 10", "rate: -1").replace("to: back,", "to: nowhere,")
    bad.write_text(text)
    out = run_cli("spec", "check", str(bad))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert f"{bad}:{line_of(text, 'rate: -1')}: services.0.rate" in out.stderr
