"""Label rules: built-in defaults, rule names, exemptions, sessions, and rule-file errors with lines."""

import pytest

from synthlog.code.records import ExecutionPath, PathStep, Statement
from synthlog.errors import ConfigError
from synthlog.records import ANOMALY, NORMAL, LogEvent, Session
from synthlog.synth.labels import LabelRules, LineContext

DEFAULT = LabelRules.load(None)


def st(template, level="INFO", sid="S", in_catch=False, method="m"):
    return Statement(sid, "F.java", 1, 1, "DataNode", method, level, template, in_catch=in_catch)


@pytest.mark.parametrize(("statement", "context", "expected"), [
    (st("Receiving block <*> src: <*> dest: <*>"), None, (NORMAL, None)),
    (st("Served block <*> to <*>", level="ERROR"), None, (ANOMALY, "level:ERROR")),
    (st("Shutting down", level="fatal"), None, (ANOMALY, "level:FATAL")),
    (st("Closing <*>", in_catch=True), None, (ANOMALY, "in_catch")),
    (st("Closing <*>"), LineContext(exit="exception:IOE", last_before_exit=True), (ANOMALY, "exceptional_exit")),
    (st("Closing <*>"), LineContext(exit="exception:IOException", last_before_exit=False), (NORMAL, None)),
    (st("PendingReplicationMonitor timed out block <*>"), None, (ANOMALY, "keyword:timed out")),
    (st("Connection REFUSED by <*>"), None, (ANOMALY, "keyword:refused")),
    (st("Failed to transfer <*> to <*>"), None, (ANOMALY, "keyword:fail")),
    (st("Error writing reply back to <*>", level="WARN"), None, (ANOMALY, "keyword:error")),
    (st("Verification succeeded for <*>"), None, (NORMAL, None)),
    (st("Terrorist-free <*>"), None, (NORMAL, None)),  # keywords match at word starts only
    (st("Connection lost, retrying <*>", level="WARN"), LineContext(in_retry_loop=True),
     (NORMAL, "exempt:retry-warning")),
    (st("Retry failed, giving up on <*>", level="ERROR"), LineContext(in_retry_loop=True), (ANOMALY, "level:ERROR")),
])
def test_default_rules(statement, context, expected):
    assert DEFAULT.label_line(statement, context) == expected


def test_keywords_look_at_template_text_not_values():
    assert DEFAULT.label_line(st("Got <*> from <*>")) == (NORMAL, None)


def test_path_labels_use_position_and_retry_loops():
    statements = {"A": st("Receiving block <*>", sid="A"), "B": st("Trying again <*>", sid="B", level="WARN"),
                  "C": st("Lost connection to <*>", sid="C", level="WARN"),
                  "D": st("Wrote <*>", sid="D")}
    path = ExecutionPath("p", "C.m", [
        PathStep("log", statement="A"),
        PathStep("cond", expr="attempt < maxRetries", outcome=True),
        PathStep("log", statement="C"),          # a warning inside the retry loop: exempt
        PathStep("cond", expr="ok", outcome=False),
        PathStep("log", statement="C"),          # same warning, not in a retry loop: anomalous
        PathStep("log", statement="D"),          # last line before an exceptional exit
    ], exit="exception:IOException")
    labels = DEFAULT.label_path(path, statements)
    assert labels == [(NORMAL, None), (NORMAL, "exempt:retry-warning"), (ANOMALY, "keyword:lost"),
                      (ANOMALY, "exceptional_exit")]
    assert DEFAULT.label_session(labels) == (ANOMALY, "keyword:lost")
    assert DEFAULT.label_session([(NORMAL, None)]) == (NORMAL, None)


def test_apply_sets_event_and_session_labels():
    statements = {"A": st("Receiving block <*>", sid="A"), "E": st("Exception in receiveBlock <*>", sid="E")}
    path = ExecutionPath("p", "C.m", [PathStep("log", statement="A"), PathStep("log", statement="E")])
    session = Session("s1", [LogEvent("Receiving block blk_1"), LogEvent("Exception in receiveBlock blk_1")])
    DEFAULT.apply(session, path, statements)
    assert [(e.label, e.label_rule) for e in session.events] == [(NORMAL, None), (ANOMALY, "keyword:exception")]
    assert (session.label, session.label_rule) == (ANOMALY, "keyword:exception")
    assert LabelRules.label_session(session.events) == (ANOMALY, "keyword:exception")
    with pytest.raises(ValueError, match="1 events"):
        DEFAULT.apply(Session("s2", session.events[:1]), path, statements)


def test_custom_rules_names_exemptions_and_conditions(tmp_path):
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text("""
rules:
  - name: disk
    keywords: [no space, corrupt]
  - template: '^Slow '
    method: 'DataNode\\.(read|write)'
  - statement: [S9]
  - level: [warn]
exempt:
  - statement: [S7]
  - template: 'expected'
""")
    rules = LabelRules.load(rules_file)
    assert rules.label_line(st("Disk has no space for <*>")) == (ANOMALY, "disk")
    assert rules.label_line(st("Slow read <*>", method="read")) == (ANOMALY, "template+method")
    assert rules.label_line(st("Slow read <*>", method="open")) == (NORMAL, None)
    assert rules.label_line(st("Anything", sid="S9")) == (ANOMALY, "statement:S9")
    assert rules.label_line(st("Odd <*>", level="WARN", sid="S7")) == (NORMAL, "exempt:statement:S7")
    assert rules.label_line(st("An expected hiccup", level="WARN")) == (NORMAL, "exempt:template")
    assert rules.label_line(st("Lost <*>")) == (NORMAL, None)  # only this file's rules apply


@pytest.mark.parametrize(("text", "line", "message"), [
    ("rules:\n  - level: [ERROR]\n  - levle: [WARN]\n", 3, "rules.1.levle"),
    ("rules:\n  - name: x\n", 2, "at least one condition"),
    ("rules:\n  - keywords: [a]\n  - template: '(unclosed'\n", 3, "not a valid regular expression"),
    ("rules:\n  - in_catch: maybe\n", 2, "rules.0.in_catch"),
    ("rules: [\n", 2, "not valid YAML"),
    ("- just a list\n", 1, "YAML mapping"),
])
def test_rule_file_errors_name_line_and_field(tmp_path, text, line, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as error:
        LabelRules.load(path)
    assert error.value.line == line and str(path) in str(error.value) and message in str(error.value)


def test_missing_rule_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        LabelRules.load(tmp_path / "nope.yaml")


def test_keywords_match_words_and_inflections_not_name_prefixes():
    rules = LabelRules.from_text("rules:\n  - keywords: [invalid, fail]\n")

    def line(template):
        return rules.label_line(Statement("S1", "F.java", 1, 1, "F", "m", "INFO", template))[0]

    assert line("block <*> is added to invalidSet of <*>") == NORMAL
    assert line("block <*> is invalid") == ANOMALY
    assert line("transfer failed for <*>") == ANOMALY
    assert line("<*> failures so far") == ANOMALY
    assert line("failover to <*>") == NORMAL
