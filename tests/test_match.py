"""Matching real templates to logging statements: tokens, scores, best match, coverage, CSV."""

import csv
from pathlib import Path

import pytest

from synthlog.code.match import THRESHOLD, coverage, match_templates, score, tokens, write_matches_csv
from synthlog.code.records import Statement
from synthlog.records import Template

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
HADOOP = ROOT.parent / "ext" / "hadoop-0.18.2" / "src"


def stmt(sid: str, template: str, file: str = "src/A.java") -> Statement:
    return Statement(id=sid, file=file, line=1, end_line=1, cls="A", method="f", level="INFO", template=template)


def test_tokens_ignore_whitespace_and_merge_wildcard_runs():
    assert tokens("<*>Receiving block<*>src:<*>dest:<*>") == \
        ["<*>", "Receiving", "block", "<*>", "src", ":", "<*>", "dest", ":", "<*>"]
    assert tokens("Receiving block <*> src: <*> dest: <*>") == tokens("<*>Receiving block<*>src:<*>dest:<*>")[1:]
    assert tokens("a <*><*> b") == ["a", "<*>", "b"]


@pytest.mark.parametrize("code, real", [
    ("Receiving block <*> src: <*> dest: <*>", "<*>Receiving block<*>src:<*>dest:<*>"),  # AIT style
    ("Deleting block blk_<*> file <*>", "Deleting block blk_<*> file /data/<*>"),
    ("tickTime set to <*>", "tickTime set to 2000"),  # a value the miner kept
    ("Got zxid 0x<*> expected 0x<*>", "Got zxid <*> expected <*>"),  # literal prefix masked with the value
    ("BLOCK* NameSystem.allocateBlock: <*>. <*>", "<*>BLOCK* NameSystem<*>allocateBlock:<*>"),
])
def test_masked_and_merged_parts_still_score_high(code, real):
    assert score(tokens(code), tokens(real)) >= max(0.8, THRESHOLD)


@pytest.mark.parametrize("code, real", [
    ("Received block <*> src: <*> dest: <*> of size <*>", "<*>Receiving block<*>src:<*>dest:<*>"),
    ("<*>", "anything at all"),
    ("Sending <*>", "Sending snapshot last zxid of peer is <*> zxid of leader is <*>"),
    ("Server address: <*>", "Server <*>"),  # a real wildcard swallowing unrelated code text
    ("Server 2 down", "Server <*>"),
])
def test_different_statements_score_below_the_threshold(code, real):
    assert score(tokens(code), tokens(real)) < THRESHOLD


def test_score_is_bounded_and_exact_copies_score_one():
    for text in ["a b <*> c", "x", "<*> y <*>"]:
        assert score(tokens(text), tokens(text)) == pytest.approx(1.0)
    assert 0.0 <= score(tokens("abc <*>"), tokens("zzz")) <= 1.0


def test_best_statement_wins_and_ties_prefer_production_code_and_exact_length():
    statements = [
        stmt("S1", "Received block <*> src: <*> dest: <*> of size <*>"),
        stmt("S2", "Received block <*> of size <*> from <*>"),
        stmt("S3", "Receiving block <*> src: <*> dest: <*>"),
        stmt("S4", "shutdown called <*>", file="src/B.java"),
        stmt("S5", "shutdown called", file="src/C.java"),
        stmt("S6", "shutdown called", file="src/test/T.java"),
    ]
    templates = [Template("E1", "<*>Received block<*>of size<*>from<*>"), Template("E2", "shutdown called"),
                 Template("E3", "Checkpoint done in <*> ms")]
    matches = match_templates(statements, templates)
    assert [m.statement.id if m.statement else None for m in matches] == ["S2", "S5", None]
    cov = coverage(matches, statements)
    assert (cov.templates_matched, cov.templates, cov.statements_seen, cov.statements) == (2, 3, 2, 6)
    assert "2/3 templates found" in cov.summary()


def test_matches_csv(tmp_path):
    statements = [stmt("S1", "hello <*>")]
    matches = match_templates(statements, [Template("E1", "hello world"), Template("E2", "nothing like it")])
    out = tmp_path / "m.csv"
    write_matches_csv(matches, out)
    rows = list(csv.DictReader(out.read_text().splitlines()))
    assert [r["StatementId"] for r in rows] == ["S1", ""]
    assert list(rows[0]) == ["EventId", "EventTemplate", "StatementId", "File", "Line", "Class", "Level", "Score",
                             "Candidates", "RunnerUp", "DecidedBy", "Tied"]
    assert (rows[0]["Candidates"], rows[0]["DecidedBy"], rows[1]["Candidates"]) == ("1", "text", "0")


@pytest.mark.skipif(not (HADOOP.is_dir() and (SHARED / "hdfs").is_dir()), reason="needs Hadoop 0.18.2 and shared data")
def test_real_hdfs_templates_map_to_the_right_hadoop_statements():
    from synthlog.code.scan import scan
    from synthlog.io.loghub import read_templates

    result = scan(HADOOP / "hdfs")
    templates = read_templates(SHARED / "hdfs" / "loghub_2k" / "HDFS_templates.csv")
    matches = {m.template.text: m for m in match_templates(result.statements, templates.values())}
    assert all(m.statement is not None for m in matches.values())
    receiving = matches["<*>Receiving block<*>src:<*>dest:<*>"].statement
    assert receiving.file.endswith("dfs/DataNode.java") and receiving.cls == "DataNode$DataXceiver"
    assert matches["<*>BLOCK* NameSystem<*>allocateBlock:<*>"].statement.cls == "FSNamesystem"
    serving = matches["<*>Got exception while serving<*>to<*>"]  # two identical statements: both listed
    assert serving.candidates == 2 and serving.decided_by == "order" and len(serving.tied) == 1
