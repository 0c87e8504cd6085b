"""Code-guided generation end to end on the example block store: recipes, assemblers, alignment, CLI, LLM path."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from blockstore import RECIPE, SRC, TEMPLATES
from chat_server import ChatServer, Reply
from synthlog.errors import ConfigError
from synthlog.io.loghub import read_labels, read_structured
from synthlog.records import ANOMALY, NORMAL
from synthlog.synth.generate import CodeGenConfig, CodeSynthesizer, generate_code
from synthlog.synth.recipe import load_recipe

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def recipe_synth(graph):
    return CodeSynthesizer(CodeGenConfig(recipe=RECIPE, align_to=TEMPLATES)).fit(graph)


@pytest.fixture(scope="module")
def path_synth(graph):
    return CodeSynthesizer(CodeGenConfig(entries=["auto"])).fit(graph)


def _instance_pattern(template: str) -> re.Pattern[str]:
    return re.compile("^" + ".*?".join(re.escape(p) for p in template.split("<*>")) + "$", re.DOTALL)


def test_every_line_is_an_instance_of_a_real_statement(path_synth, recipe_synth):
    for synth in (path_synth, recipe_synth):
        ds = synth.sample(200, seed=5)
        statements = synth.statements_
        ids: dict[str, str] = {}
        for session in ds.sessions:
            for event in session.events:
                statement = statements[event.attributes["statement"]]
                assert _instance_pattern(statement.template).match(event.content), (statement.template, event.content)
                assert ids.setdefault(statement.id, event.template_id) == event.template_id
                assert event.template_id in ds.templates


def test_same_seed_same_sessions_and_other_seed_differs(recipe_synth):
    def render(ds):
        return [(s.id, s.label, [(e.content, e.timestamp, e.fields) for e in s.events]) for s in ds.sessions]

    assert render(recipe_synth.sample(50, seed=11)) == render(recipe_synth.sample(50, seed=11))
    assert render(recipe_synth.sample(50, seed=11)) != render(recipe_synth.sample(50, seed=12))
    # session i does not depend on how many sessions are made: runs can be sharded
    assert render(recipe_synth.sample(20, seed=11)) == render(recipe_synth.sample(50, seed=11))[:20]


def test_each_sample_counts_its_own_template_occurrences(recipe_synth):
    small, large = recipe_synth.sample(20, seed=1), recipe_synth.sample(200, seed=1)
    for ds in (small, large):
        counts = Counter(e.template_id for e in ds.events())
        assert {t.id: t.occurrences for t in ds.templates.values()} == counts


def test_entity_sessions_follow_the_recipe(recipe_synth):
    ds = recipe_synth.sample(300, seed=2)
    for session in ds.sessions:
        assert re.fullmatch(r"blk_-?\d+", session.id)
        number = session.id.removeprefix("blk_")
        assert all(number in e.content for e in session.events), "every line names the session's block"
        times = [e.timestamp for e in session.events]
        assert times == sorted(times)
    normal = [s for s in ds.sessions if s.label == NORMAL]
    assert normal, "most sessions follow the normal life cycle"
    for session in normal:
        receiving = [e for e in session.events if e.content.startswith("Receiving block")]
        assert len(receiving) == 3, "replication 3: three datanodes receive the block"
        allocate = [e for e in session.events if "allocateBlock" in e.content]
        assert len(allocate) == 1


def test_labels_record_their_rule_and_sessions_follow_lines(recipe_synth):
    ds = recipe_synth.sample(300, seed=3)
    labels = Counter(s.label for s in ds.sessions)
    assert labels[NORMAL] > 0 and labels[ANOMALY] > 0
    for session in ds.sessions:
        anomalous = [e for e in session.events if e.label == ANOMALY]
        assert (session.label == ANOMALY) == bool(anomalous)
        assert all(e.label_rule for e in anomalous)
        if anomalous:
            assert session.label_rule == anomalous[0].label_rule


def test_alignment_takes_real_ids_and_new_templates_get_new_ids(recipe_synth):
    ds = recipe_synth.sample(300, seed=4)
    real = {line.split(",", 1)[0] for line in TEMPLATES.read_text().splitlines()[1:]}
    used = {e.template_id for e in ds.events()}
    aligned = used & real
    assert aligned, "templates the example data set knows keep its ids"
    for tid in used - real:
        assert re.fullmatch(r"E\d+", tid) and tid not in real
    receiving = {e.template_id for e in ds.events() if e.content.startswith("Receiving block")}
    assert receiving == {"E1"}  # examples/blockstore/templates.csv: E1 = <*>Receiving block<*>src:<*>dest:<*>


def test_generate_code_writes_a_loadable_labeled_data_set(tmp_path, recipe_synth):
    summary = generate_code(SRC, tmp_path, n=40, seed=1, config=CodeGenConfig(recipe=RECIPE, align_to=TEMPLATES))
    name = "blockstore"
    for suffix in [".log", ".log_structured.csv", ".log_templates.csv", ".sequences", ".jsonl"]:
        assert (tmp_path / f"{name}{suffix}").stat().st_size > 0
    labels = read_labels(tmp_path / "anomaly_label.csv")
    assert len(labels) == summary["sessions"] == 40
    events = list(read_structured(tmp_path / f"{name}.log_structured.csv"))
    assert len(events) == summary["lines"]
    on_disk = json.loads((tmp_path / "summary.json").read_text())
    assert on_disk["labels"] == summary["labels"]
    assert set(on_disk["paths"]) >= {"checked", "rejected", "rejected_by_reason"}
    raw = (tmp_path / f"{name}.log").read_text().splitlines()
    assert len(raw) == summary["lines"] and re.match(r"\d{6} \d{6} \d+ (INFO|WARN|ERROR) blockstore\.", raw[0])


def test_recipe_errors_name_the_field(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(RECIPE.read_text().replace("role: namenode\n    main: [\"allocateBlock\"]",
                                              "role: scheduler\n    main: [\"allocateBlock\"]"))
    with pytest.raises(ConfigError, match=r"bad\.yaml.*unknown role 'scheduler'"):
        load_recipe(bad)
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: x\nstages: [\n")
    with pytest.raises(ConfigError, match=r"broken\.yaml:\d+: not valid YAML"):
        load_recipe(broken)
    assert load_recipe(RECIPE).count_of(load_recipe(RECIPE).stages[1]) == 3
    negative = tmp_path / "negative.yaml"
    negative.write_text(RECIPE.read_text().replace("replication: 3", "replication: -1"))
    with pytest.raises(ConfigError, match=r"negative\.yaml.*stages\[1\]\.count: -1 runs"):
        load_recipe(negative)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "synthlog", *args], capture_output=True, text=True, cwd=ROOT)


def test_cli_is_deterministic_and_refuses_missing_entry(tmp_path):
    for out in ("a", "b"):
        done = _cli("--seed", "9", "generate", "code", str(SRC), "--entry", "auto", "-n", "60",
                    "--out", str(tmp_path / out))
        assert done.returncode == 0, done.stderr
    for name in ["synthetic.log", "synthetic.log_structured.csv", "anomaly_label.csv", "summary.json"]:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    missing = _cli("generate", "code", str(SRC), "--out", str(tmp_path / "c"))
    assert missing.returncode == 2
    assert "--entry" in missing.stderr and "Traceback" not in missing.stderr
    assert not (tmp_path / "c").exists()


def test_llm_checker_path_uses_a_real_server_and_caches(tmp_path):
    answer = json.dumps({"reasoning": "The conditions are compatible.", "feasible": True, "confidence": 0.9,
                         "lines": []})
    args = ["generate", "code", str(SRC), "--entry", "DataNode.writeBlock", "-n", "30", "--checker", "llm",
            "--llm-model", "scripted", "--cache-dir", str(tmp_path / "cache"), "--max-paths", "8"]
    with ChatServer(default=Reply(answer)) as server:
        first = _cli(*args, "--llm-url", server.base_url, "--out", str(tmp_path / "one"))
        assert first.returncode == 0, first.stderr
        asked = len(server.requests)
        assert asked > 0
        second = _cli(*args, "--llm-url", server.base_url, "--out", str(tmp_path / "two"))
        assert second.returncode == 0, second.stderr
        assert len(server.requests) == asked, "a re-run is answered from the cache"
    assert (tmp_path / "one" / "synthetic.log").read_bytes() == (tmp_path / "two" / "synthetic.log").read_bytes()


def test_values_learned_from_a_real_data_set_never_copy_its_identifiers(tmp_path, graph):
    parsed = tmp_path / "parsed"
    done = _cli("parse", str(ROOT / "examples" / "logs" / "blockstore.log"), "--format", "hdfs", "--sessions", "blk",
                "--out", str(parsed))
    assert done.returncode == 0, done.stderr
    real_text = (ROOT / "examples" / "logs" / "blockstore.log").read_text()
    real_blocks = set(re.findall(r"blk_-?\d+", real_text))
    real_ips = set(re.findall(r"\d+\.\d+\.\d+\.\d+", real_text))
    synth = CodeSynthesizer(CodeGenConfig(recipe=RECIPE, values_from=parsed)).fit(graph)
    lines = "\n".join(e.content for e in synth.sample(200, seed=1).events())
    assert not set(re.findall(r"blk_-?\d+", lines)) & real_blocks
    assert not set(re.findall(r"\d+\.\d+\.\d+\.\d+", lines)) & real_ips
    subnets = {ip.rsplit(".", 2)[0] for ip in real_ips}
    made = {ip.rsplit(".", 2)[0] for ip in re.findall(r"\d+\.\d+\.\d+\.\d+", lines)}
    assert made & subnets, "addresses follow the real data's subnets"
