"""The code base's own layout (io/layout.py): log4j / logback configuration read, lines rendered and parsed back."""

import re
from pathlib import Path

import pytest

from synthlog.errors import InputError
from synthlog.io.layout import (
    Layout,
    find_logging_config,
    layout_for_source,
    layout_from_option,
    read_logging_config,
)
from synthlog.io.logformat import LogFormat, get_format
from synthlog.io.loghub import read_structured
from synthlog.records import LogEvent
from synthlog.synth.generate import CodeGenConfig, generate_code

FIXTURE = Path(__file__).parent / "fixtures" / "codevalues"
ZOOKEEPER_LINE = ("2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774]"
                  " - Notification time out: 3200")


def test_the_root_loggers_appender_is_found_above_the_source_root():
    found = find_logging_config(FIXTURE / "src" / "org")
    assert found == (FIXTURE / "conf" / "log4j.properties").resolve()
    config = read_logging_config(found)
    assert (config.appender, config.line) == ("CONSOLE", 9)
    layout = layout_for_source(FIXTURE / "src")
    assert layout.source == "conf/log4j.properties (appender CONSOLE)"
    assert layout.text == r"<Date> <Time> - <Level> \[<Thread>:<Component>@<Line>\] - <Content>"


def test_a_layout_renders_a_real_zookeeper_line_byte_for_byte_and_parses_it_back():
    layout = layout_from_option("%d{ISO8601} - %-5p [%t:%C{1}@%L] - %m%n", "test")
    stamp = layout.event(ZOOKEEPER_LINE).timestamp
    fields = layout.fields(stamp, thread="QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181", line=774)
    component = layout.component("FastLeaderElection", "org/apache/zookeeper/server/quorum/FastLeaderElection.java")
    event = LogEvent(content="Notification time out: 3200", timestamp=stamp, level="INFO", component=component,
                     fields=fields)
    assert layout.format(event) == ZOOKEEPER_LINE
    back = layout.event(ZOOKEEPER_LINE)
    assert back.fields["Thread"] == "QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181" and back.fields["Line"] == "774"
    assert get_format("zookeeper").event(layout.format(event)) is not None  # Loghub's format reads it too


@pytest.mark.parametrize(("pattern", "expected"), [
    ("%d{yy/MM/dd HH:mm:ss} %p %c{2}: %m%n", "08/11/09 20:35:15 INFO dfs.DataNode: done"),
    ("%d{ISO8601} %p %c: %m%n", "2008-11-09 20:35:15,250 INFO org.apache.hadoop.dfs.DataNode: done"),
    ("%-6level[%thread] %logger{1} - %msg%n", "INFO  [main] DataNode - done"),
    ("%d{dd MMM yyyy HH:mm:ss} %5p %.4c{1} %% %m%n", "09 Nov 2008 20:35:15  INFO Node % done"),
])
def test_conversion_patterns(pattern, expected):
    layout = Layout.from_pattern(pattern)
    stamp = 1226262915_250000  # 2008-11-09 20:35:15.250 UTC, in epoch microseconds
    event = LogEvent(content="done", timestamp=stamp, level="INFO", fields=layout.fields(stamp, thread="main"),
                     component=layout.component("DataNode$Inner", "org/apache/hadoop/dfs/DataNode.java"))
    line = layout.format(event)
    assert line == expected
    back = layout.event(line)
    assert back is not None and back.content == "done" and back.level == "INFO"
    if "Time" in layout.headers:
        assert back.timestamp // 1_000_000 == stamp // 1_000_000


def test_xml_configurations(tmp_path):
    (tmp_path / "logback.xml").write_text(
        '<configuration>\n  <property name="P" value="%d{ISO8601} [%thread] %-5level %logger{36} - %msg%n"/>\n'
        '  <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">\n'
        '    <encoder><pattern>${P}</pattern></encoder>\n  </appender>\n'
        '  <root level="INFO"><appender-ref ref="OUT"/></root>\n</configuration>\n')
    layout = layout_for_source(tmp_path)
    assert layout.source == "logback.xml (appender OUT)" and "<Thread>" in layout.text
    (tmp_path / "logback.xml").unlink()
    (tmp_path / "log4j.xml").write_text(
        '<log4j:configuration xmlns:log4j="http://jakarta.apache.org/log4j/">\n'
        '  <appender name="A" class="org.apache.log4j.ConsoleAppender">\n'
        '    <layout class="org.apache.log4j.PatternLayout">\n'
        '      <param name="ConversionPattern" value="%d %-5p %c{1} - %m%n"/>\n    </layout>\n  </appender>\n'
        '  <root><appender-ref ref="A"/></root>\n</log4j:configuration>\n')
    assert layout_for_source(tmp_path).source == "log4j.xml (appender A)"


def test_bad_configurations_name_file_and_line(tmp_path):
    bad = tmp_path / "log4j.properties"
    bad.write_text("log4j.rootLogger=INFO, A\n# comment\nlog4j.appender.A.layout.ConversionPattern=%d %q %m%n\n")
    with pytest.raises(InputError, match=r"log4j\.properties:3: .*%q"):
        layout_for_source(tmp_path)
    bad.unlink()
    (tmp_path / "log4j.xml").write_text("<configuration>\n  <appender name='A'>\n</configuration>\n")
    with pytest.raises(InputError, match=r"log4j\.xml:3"):
        layout_for_source(tmp_path)


def test_generated_lines_use_the_code_bases_layout_real_line_numbers_and_the_start(tmp_path):
    out = tmp_path / "out"
    summary = generate_code(FIXTURE / "src", out, 20, 1,
                            CodeGenConfig(entries=["auto"], start="2019-03-04T05:06:07"))
    assert summary["layout"]["source"] == "conf/log4j.properties (appender CONSOLE)"
    assert summary["slots"]["by_source"].get("type", 0) > 0
    layout = layout_for_source(FIXTURE / "src")
    lines = (out / "synthetic.log").read_text().splitlines()
    events = [layout.event(line) for line in lines]
    assert lines and all(e is not None for e in events)
    assert all(e.timestamp >= 1551675967 for e in events)  # 2019-03-04T05:06:07Z
    source = (FIXTURE / "src/org/example/kv/Store.java").read_text().splitlines()
    structured = list(read_structured(out / "synthetic.log_structured.csv"))
    for event, parsed in zip(structured, events, strict=True):
        statement_line = source[int(parsed.fields["Line"]) - 1]
        assert "LOG." in statement_line and parsed.component.startswith("Store")
        assert event.content.split(" ")[0] in statement_line
    threads = {e.fields["Thread"] for e in events if e.component == "Store$Sender"}
    assert threads and all(re.fullmatch(r"Sender:\d+", t) for t in threads)  # the name the code gives it


@pytest.mark.parametrize("option", ["hdfs", "%d{ABSOLUTE} %r [%t] %p %c - %m%n", "%d{yyyy-MM-dd HH:mm:ss} %p %m%n",
                                    "<Date> <Time> <Timestamp> <Pid> <Level> <Component>: <Content>"])
def test_a_line_moved_in_time_shows_the_headers_it_would_be_made_with(option):
    layout = layout_from_option(option, "test")
    start = 1_700_000_000.25
    for moved in (start + 0.5, start + 0.75, start - 0.2, start + 1.0, start + 3600.1):
        made = layout.fields(start, thread="worker-3", pid=42, line=7, method="run", file="a/B.java")
        expected = layout.fields(moved, thread="worker-3", pid=42, line=7, method="run", file="a/B.java")
        assert layout.retimed(made, moved, start) == layout.retimed(made, moved) == expected
        for event in (LogEvent("x, y", moved, "INFO", "a.B", fields=expected), LogEvent("bare", moved)):
            assert layout.values(event) == LogFormat.values(layout, event)  # a missing header: written empty
