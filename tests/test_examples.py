"""The example code bases: what the scanner finds in them and how their mined templates map back."""

import csv
from pathlib import Path

from synthlog.cli import main
from synthlog.code.match import match_templates
from synthlog.code.scan import scan
from synthlog.io.loghub import read_templates

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_blockstore_statements_cover_every_construct():
    result = scan(EXAMPLES / "blockstore")
    assert result.files == 3 and not result.partial_files and not result.skipped
    where = {(s.cls, s.method) for s in result.statements}
    assert {("DataNode$1", "run"), ("DataNode", "lambda$invalidate$0"), ("DataNode$PacketResponder", "run"),
            ("NameNode$ReplicationMonitor", "run"), ("NameNode", "<init>"), ("Client", "main")} <= where
    by_template = {s.template: s for s in result.statements}
    assert by_template["Receiving block blk_<*> src: <*> dest: <*>"].args == ["blockId", "src", "address"]
    assert by_template["BLOCK* NameSystem.allocateBlock: <*>. blk_<*>"].cls == "NameNode"
    assert any(s.guarded for s in result.statements)
    assert {s.level for s in result.statements if s.in_catch} <= {"WARN", "ERROR", "INFO"}
    assert any(s.in_catch and s.level == "ERROR" for s in result.statements)
    methods = [m.qualified for java in result.java_files.values() for m in java.methods]
    assert "NameNode$ReplicationMonitor.checkReplication" in methods and "DataNode$1.run" in methods


def test_pyservice_statements():
    result = scan(EXAMPLES / "pyservice")
    templates = {s.template: s for s in result.statements}
    assert templates["Rejecting put of <*>: <*> bytes exceeds capacity <*>"].level == "WARN"
    assert templates["Miss for key <*>"].args == ["key"]
    assert templates["Failed to write snapshot to <*>"].exception == "exc_info"  # constant argument folded
    assert templates["snapshot of <*> items written to <*>"].cls == "Store"
    assert templates["Served <*> requests"].args == ["self.requests"]
    assert templates["Stored <*> (<*> bytes)"].guarded


def test_blockstore_templates_map_back_to_their_statements():
    result = scan(EXAMPLES / "blockstore")
    templates = read_templates(EXAMPLES / "blockstore" / "templates.csv")
    found = {m.template.id: (m.statement.cls, m.statement.line) if m.statement else None
             for m in match_templates(result.statements, templates.values())}
    assert found["E1"] == ("DataNode", 27)
    assert found["E3"] == ("DataNode$PacketResponder", 126)
    assert found["E5"][0] == "NameNode" and found["E9"][0] == "Client"
    assert found["E11"] is None
    assert sum(v is not None for v in found.values()) == 10


def test_cli_match_writes_one_row_per_template(tmp_path, capsys):
    out = tmp_path / "matches.csv"
    main(["--quiet", "code", "match", str(EXAMPLES / "blockstore"), "--templates",
          str(EXAMPLES / "blockstore" / "templates.csv"), "--out", str(out)])
    printed = capsys.readouterr().out
    assert "10/11 templates found in the code" in printed and "10/32 logging statements seen" in printed
    rows = list(csv.DictReader(out.read_text().splitlines()))
    assert [r["EventId"] for r in rows] == [f"E{i}" for i in range(1, 12)]
    assert rows[-1]["StatementId"] == "" and rows[0]["File"].endswith("DataNode.java")
