"""Graph export (JSON, DOT) and the `code paths` / `code graph` commands, end to end on the example service."""

import json

from blockstore import SRC
from synthlog.cli.app import main
from synthlog.code.export import lcfg_to_dict, lcfg_to_dot, write_lcfg
from synthlog.code.records import ExecutionPath


def test_example_call_graph_and_graphs(graph):
    assert graph.may_log and all(graph.methods[m].logs or graph.methods[m].calls for m in graph.may_log)
    graphs = graph.build_all()
    for lcfg in graphs.values():
        data = lcfg_to_dict(lcfg)
        assert data["nodes"][0]["kind"] == "entry"
        assert {e["target"] for e in data["edges"]} <= set(range(len(data["nodes"])))
        dot = lcfg_to_dot(lcfg)
        assert dot.startswith("digraph") and dot.count("->") == len(data["edges"])
    logged = {s for lcfg in graphs.values() for s in lcfg.statements}
    assert logged == {s.id for s in graph.scan.statements}  # every logging statement sits in some graph


def test_write_both_formats(graph, tmp_path):
    lcfg = graph.lcfg(graph.find("DataNode.writeBlock")[0])
    written = write_lcfg([lcfg], tmp_path / "g.json", "both")
    assert sorted(p.suffix for p in written) == [".dot", ".json"]
    assert json.loads((tmp_path / "g.json").read_text())["method"] == lcfg.method


def run_cli(*args):
    try:
        main(["--quiet", *args])
    except SystemExit as done:
        return done.code
    return 0


def test_paths_command_writes_paths_and_summary(tmp_path, capsys):
    out = tmp_path / "paths.jsonl"
    code = run_cli("code", "paths", str(SRC), "--entry", "DataNode$PacketResponder.run",
                   "--entry", "NameNode.allocateBlock", "--out", str(out), "--max-paths", "5")
    assert code == 0
    paths = [ExecutionPath.from_dict(json.loads(line)) for line in out.read_text().splitlines()]
    assert {p.entry for p in paths} == {"DataNode$PacketResponder.run", "NameNode.allocateBlock"}
    assert all(p.statements for p in paths)
    summary = json.loads((tmp_path / "paths.summary.json").read_text())
    assert {e["entry"] for e in summary["entries"]} == {"DataNode$PacketResponder.run", "NameNode.allocateBlock"}
    assert "paths from 2 entries" in capsys.readouterr().out
    again = tmp_path / "again.jsonl"
    run_cli("code", "paths", str(SRC), "--entry", "DataNode$PacketResponder.run", "--entry",
            "NameNode.allocateBlock", "--out", str(again), "--max-paths", "5")
    assert again.read_bytes() == out.read_bytes()


def test_auto_entries_and_graph_command(tmp_path):
    out = tmp_path / "auto.jsonl"
    assert run_cli("code", "paths", str(SRC), "--entry", "auto", "--out", str(out)) == 0
    entries = {json.loads(line)["entry"] for line in out.read_text().splitlines()}
    assert "Client.main" in entries and any(e.endswith("$PacketResponder.run") for e in entries)
    dot = tmp_path / "g.dot"
    assert run_cli("code", "graph", str(SRC), "--method", "DataNode.writeBlock", "--out", str(dot)) == 0
    assert dot.read_text().startswith("digraph")


def test_unknown_entry_is_one_line_error(tmp_path, capsys):
    code = run_cli("code", "paths", str(SRC), "--entry", "Nope.never", "--out", str(tmp_path / "x.jsonl"))
    assert code == 2
    err = capsys.readouterr().err
    assert "no method 'Nope.never'" in err and "Traceback" not in err
    assert not (tmp_path / "x.jsonl").exists()


def test_auto_with_no_entry_point_says_so(tmp_path, capsys):
    (tmp_path / "Quiet.java").write_text("class Quiet { void f() { int x = 1; } }")
    code = run_cli("code", "paths", str(tmp_path), "--entry", "auto", "--out", str(tmp_path / "x.jsonl"))
    assert code == 2
    err = capsys.readouterr().err
    assert "--entry" in err and "may log" in err and "'auto'" not in err and "Traceback" not in err
