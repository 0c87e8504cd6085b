"""The profile and validate commands end to end on the bundled example log, and the spec reference."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from synthlog.errors import InputError
from synthlog.evaluate.fidelity import reference_from_spec
from synthlog.evaluate.report import validate
from synthlog.io.datasets import load_directory
from synthlog.io.generated import load_generated
from synthlog.privacy.values import extract_values
from synthlog.stats.simulate import StatsSynthesizer
from synthlog.stats.specfile import load_spec

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
LOG, LABELS = EXAMPLES / "logs" / "blockstore.log", EXAMPLES / "logs" / "blockstore_labels.csv"
OLD_STATS = Path(__file__).resolve().parent / "data" / "stats_events_v0"


def run(*args):
    return subprocess.run([sys.executable, "-m", "synthlog", *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    work = tmp_path_factory.mktemp("cli")
    spec = work / "bs.yaml"
    out = run("--seed", "3", "profile", str(LOG), "--format", "hdfs", "--labels", str(LABELS), "--out", str(spec),
              "--summary", str(work / "summary.json"), "--min-sessions", "2")  # the example has 36 sessions
    assert out.returncode == 0, out.stderr
    summary = json.loads((work / "summary.json").read_text())
    assert summary["anomalous_sessions"] == 6 and summary["causal_pairs"][0]["cause"].startswith("E")
    StatsSynthesizer(spec).write(work / "gen", n_lines=1500, seed=3)
    return spec, work / "gen"


def test_validate_against_real_logs_writes_json(generated):
    _, gen = generated
    out = run("validate", str(LOG), str(gen), "--format", "hdfs", "--labels", str(LABELS), "--min-sessions", "2")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("score=") and "leaked=ip:0,block_id:0" in out.stdout
    result = json.loads((gen / "validation.json").read_text())
    for metric in ("D_errdist", "C_temporal", "R_anomaly", "template_similarity", "transition_similarity"):
        assert 0.0 <= result[metric] <= 1.0, metric
    assert result["privacy"]["leakage"]["leaked_total"] == 0
    assert result["R_anomaly"] == 1.0 and result["template_similarity"] > 0.9


def test_validate_against_the_spec(generated, tmp_path):
    spec, gen = generated
    target = tmp_path / "v.json"
    out = run("validate", str(spec), str(gen), "--out", str(target))
    assert out.returncode == 0, out.stderr
    result = json.loads(target.read_text())
    assert "privacy" not in result  # a spec has no real values to leak
    assert result["reference"] == "spec:bs"
    assert result["R_anomaly"] == 1.0 and result["template_similarity"] > 0.9
    assert result["transition_similarity"] > 0.95  # the spec's own Markov models, END included


def test_spec_reference_counts_scenarios_and_rules():
    spec = load_spec(EXAMPLES / "specs" / "payment.yaml")
    ref = reference_from_spec(spec)
    assert set(ref.anomaly_types) == {a.type for a in spec.anomalies} | {
        p.anomaly_type or f"{p.name}_anomaly" for p in spec.sessions if p.anomaly_probability}
    assert len(ref.causal_pairs) >= len(spec.causal)
    assert ref.error_counts == dict(spec.error_mix)


def test_payment_spec_round_trip(tmp_path):
    spec = load_spec(EXAMPLES / "specs" / "payment.yaml")
    StatsSynthesizer(spec).write(tmp_path, n_lines=4000, seed=5)
    result = validate(spec, tmp_path)
    assert len(load_directory(tmp_path)) > 10
    assert result["template_similarity"] > 0.9 and result["D_errdist"] > 0.5
    # only session models promise an order (request lines of several services interleave)
    assert (result["transition_similarity"] is None) == (not spec.sessions)


def test_not_a_generated_directory_is_one_line_error(tmp_path):
    out = run("validate", str(LOG), str(tmp_path), "--format", "hdfs")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "no data set files found" in out.stderr  # either generator's folder is read


def test_planted_leak_is_found_and_the_report_is_not_scanned(generated, tmp_path):
    _, gen = generated
    leaky = tmp_path / "leaky"
    leaky.mkdir()
    for file in gen.iterdir():
        if file.name != "validation.json":
            (leaky / file.name).write_bytes(file.read_bytes())
    real_ip = next(iter(extract_values(LOG.read_text())["ip"]))
    with open(leaky / "notes.txt", "w") as fh:
        fh.write(f"copied from production: {real_ip}\n")
    args = ("validate", str(LOG), str(leaky), "--format", "hdfs", "--labels", str(LABELS))
    first = run(*args)
    assert first.returncode == 0 and "leaked=ip:1," in first.stdout
    report = json.loads((leaky / "validation.json").read_text())
    assert report["privacy"]["leakage"]["kinds"]["ip"]["examples"] == [real_ip]
    (leaky / "notes.txt").unlink()
    assert "leaked=ip:0," in run(*args).stdout  # the first report quotes the address but is not part of the data


@pytest.mark.parametrize("change, needle", [
    (lambda jsonl: jsonl[: jsonl.index("\n") + 1], "has more lines than events.jsonl"),
    (lambda jsonl: "[1, 2]\n" + jsonl[jsonl.index("\n") + 1:], "events.jsonl:1: an event line is a JSON object"),
])
def test_events_and_structured_csv_out_of_step_is_one_input_error(tmp_path, change, needle):
    gen = OLD_STATS  # the simulator's older events.jsonl, zipped with its structured CSV
    broken = tmp_path / "broken"
    broken.mkdir()
    for file in gen.glob("*.csv"):
        (broken / file.name).write_bytes(file.read_bytes())
    (broken / "events.jsonl").write_text(change((gen / "events.jsonl").read_text()))
    with pytest.raises(InputError, match=needle):
        load_generated(broken)


def test_an_older_simulator_folder_still_loads_and_validates(tmp_path):
    old = load_directory(OLD_STATS)
    assert len(old) == 12 and old.label_counts() == {"Normal": 11, "Anomaly": 1}
    anomalous = next(s for s in old.sessions if s.label == 1)
    assert {e.attributes.get("anomaly") for e in anomalous.events} >= {"block_write_failure"}
    assert all(e.template_id and e.timestamp for e in old.events())
    result = validate(load_spec(EXAMPLES / "specs" / "storage.yaml"), OLD_STATS)
    assert result["template_similarity"] > 0


def test_a_simulator_folder_loads_as_its_event_records(tmp_path):
    spec = load_spec(EXAMPLES / "specs" / "storage.yaml")
    StatsSynthesizer(spec).write(tmp_path, n_lines=3000, seed=2)
    loaded = load_directory(tmp_path)
    in_memory = StatsSynthesizer(spec).sample_dataset(n_lines=3000, seed=2)
    assert [s.id for s in loaded.sessions] == [s.id for s in in_memory.sessions]
    assert [s.label for s in loaded.sessions] == [s.label for s in in_memory.sessions]
    assert 0 < loaded.label_counts()["Anomaly"] < len(loaded) / 2
    for read, made in zip(loaded.sessions, in_memory.sessions, strict=True):
        assert [(e.content, e.timestamp, e.template_id, e.label, e.component) for e in read.events] == \
            [(e.content, e.timestamp, e.template_id, e.label, e.component) for e in made.events]
