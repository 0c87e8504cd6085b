"""`code match` with the log lines as evidence: class@line, level and class decide ties; ties are reported; a
helper's String parameter filled per call site; a file that is not a templates file is refused."""

import csv
import subprocess
import sys
from textwrap import dedent

import pytest

from synthlog.code.match import match_code, match_templates
from synthlog.code.propagate import specialise
from synthlog.code.scan import scan
from synthlog.errors import InputError
from synthlog.records import Template

SERVER = dedent("""\
    package demo;
    import org.slf4j.Logger;
    import org.slf4j.LoggerFactory;
    public class Server {
        private static final Logger LOG = LoggerFactory.getLogger(Server.class);
        void open(String host) {
            try {
                connect(host);
            } catch (Exception e) {
                LOG.warn("Cannot open channel to " + host, e);
                return;
            }
            if (host == null) {
                LOG.warn("Cannot open channel to " + host, e);
            }
        }
        void start() {
            LOG.debug("Starting peer");
            Env.logEnv("Server environment:", LOG);
        }
        void connect(String host) {}
    }
    """)
PEER = dedent("""\
    package demo;
    import org.slf4j.Logger;
    import org.slf4j.LoggerFactory;
    public class Peer {
        private static final Logger LOG = LoggerFactory.getLogger(Peer.class);
        void run() {
            LOG.info("Starting peer");
            Env.logEnv("Client environment:", LOG);
        }
    }
    """)
ENV = dedent("""\
    package demo;
    import org.slf4j.Logger;
    public class Env {
        public static void logEnv(String msg, Logger log) {
            for (String e : System.getProperties().stringPropertyNames()) {
                log.info(msg + e.toString());
            }
        }
    }
    """)
HEADER = "LineId,Date,Time,Level,Node,Component,Id,Content,EventId,EventTemplate\n"
ROWS = [  # ZooKeeper's layout as Loghub splits it: thread in Node/Component, class last in Component, line in Id
    ("WARN", "main", "0:Server", 14, "Cannot open channel to 10.0.0.1", "E1", "Cannot open channel to <*>"),
    ("WARN", "main", "0:Server", 14, "Cannot open channel to 10.0.0.2", "E1", "Cannot open channel to <*>"),
    ("INFO", "QuorumPeer[myid=1]/0", "2181:Peer", 7, "Starting peer", "E2", "Starting peer"),
    ("INFO", "main", "0:Env", 6, "Server environment:user.dir=/", "E3", "Server environment:<*>"),
]


@pytest.fixture
def tree(tmp_path):
    src = tmp_path / "src" / "demo"
    src.mkdir(parents=True)
    for name, body in (("Server", SERVER), ("Peer", PEER), ("Env", ENV)):
        (src / f"{name}.java").write_text(body)
    structured = tmp_path / "demo.log_structured.csv"
    with structured.open("w") as fh:
        fh.write(HEADER)
        for n, (level, node, comp, line, content, eid, text) in enumerate(ROWS, 1):
            fh.write(f'{n},2015-07-29,"17:41:44,747",{level},{node},{comp},{line},{content},{eid},{text}\n')
    raw = tmp_path / "demo.log"
    raw.write_text("".join(f"2015-07-29 17:41:44,747 - {level}  [{node}:{comp}@{line}] - {content}\n"
                           for level, node, comp, line, content, _eid, _t in ROWS))
    templates = tmp_path / "templates.csv"
    templates.write_text("EventId,EventTemplate\n" + "".join(f"{e},{t}\n" for e, t in
                                                              dict((r[5], r[6]) for r in ROWS).items()))
    return tmp_path


def by_id(matches):
    return {m.template.id: m for m in matches}


def test_text_alone_reports_every_tie_and_flags_it(tree):
    matches = by_id(match_code(tree / "src", templates=tree / "templates.csv")[0])
    channel = matches["E1"]
    assert channel.candidates == 2 and channel.decided_by == "order" and channel.runner_up == channel.score
    assert {channel.statement.line, *(t.line for t in channel.tied)} == {10, 14}
    assert matches["E2"].candidates == 2 and matches["E2"].decided_by == "order"


def test_log_evidence_settles_ties_by_place_and_class(tree):
    matches = by_id(match_code(tree / "src", logs=tree / "demo.log_structured.csv")[0])
    assert (matches["E1"].statement.cls, matches["E1"].statement.line, matches["E1"].decided_by) == \
        ("Server", 14, "place")
    assert matches["E1"].candidates == 2  # the tie is still shown
    assert (matches["E2"].statement.cls, matches["E2"].statement.level) == ("Peer", "INFO")


def test_level_alone_settles_a_tie():
    from synthlog.code.evidence import Evidence
    from synthlog.code.records import Statement

    def stmt(sid, level, line):
        return Statement(id=sid, file="A.java", line=line, end_line=line, cls="A", method="f", level=level,
                         template="Starting peer")
    said = Evidence(lines=3)
    said.levels["INFO"] = 3
    match = match_templates([stmt("S1", "DEBUG", 1), stmt("S2", "INFO", 9)], [Template("E", "Starting peer")],
                            evidence={"E": said})[0]
    assert (match.statement.id, match.decided_by, match.candidates) == ("S2", "level", 2)


def test_raw_log_with_format_gives_the_same_evidence(tree):
    from_csv = match_code(tree / "src", templates=tree / "templates.csv", logs=tree / "demo.log_structured.csv")[0]
    from_raw = match_code(tree / "src", templates=tree / "templates.csv", logs=tree / "demo.log",
                          fmt="zookeeper")[0]
    assert [(m.statement.id, m.decided_by) for m in from_csv] == [(m.statement.id, m.decided_by) for m in from_raw]


def test_string_argument_fills_the_helper_statement_per_call_site(tree):
    statements = specialise(scan(tree / "src"))
    env = [s.template for s in statements if s.cls == "Env"]
    assert sorted(env) == ["<*><*>", "Client environment:<*>", "Server environment:<*>"]
    match = by_id(match_code(tree / "src", logs=tree / "demo.log_structured.csv")[0])["E3"]
    assert (match.statement.cls, match.statement.line, match.score) == ("Env", 6, 1.0)


def test_not_a_templates_file_is_refused(tree):
    for path in (tree / "demo.log_structured.csv", tree / "demo.log"):
        with pytest.raises(InputError, match=path.name):
            match_code(tree / "src", templates=path)
    run = subprocess.run([sys.executable, "-m", "synthlog", "code", "match", str(tree / "src"), "-t",
                          str(tree / "demo.log"), "-o", str(tree / "m.csv")], capture_output=True, text=True)
    assert run.returncode != 0 and "demo.log" in run.stderr and "Traceback" not in run.stderr
    assert not (tree / "m.csv").exists()


def test_cli_writes_ties_and_counts_them(tree):
    out = tree / "m.csv"
    run = subprocess.run([sys.executable, "-m", "synthlog", "code", "match", str(tree / "src"), "-t",
                          str(tree / "templates.csv"), "-o", str(out)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "2 ties (0 settled by the log lines, 2 by order)" in run.stdout
    rows = {r["EventId"]: r for r in csv.DictReader(out.open())}
    assert rows["E1"]["Candidates"] == "2" and rows["E1"]["DecidedBy"] == "order" and rows["E1"]["Tied"]


def test_a_raw_log_without_format_is_read_with_the_format_that_fits(tree):
    given = match_code(tree / "src", templates=tree / "templates.csv", logs=tree / "demo.log", fmt="zookeeper")[0]
    found = match_code(tree / "src", templates=tree / "templates.csv", logs=tree / "demo.log")[0]
    assert [(m.statement.id, m.decided_by) for m in found] == [(m.statement.id, m.decided_by) for m in given]
    with pytest.raises(InputError, match="give --templates too"):
        match_code(tree / "src", logs=tree / "demo.log")
