"""Raw log formats: compiling format strings, matching lines, timestamps, exact write-back."""

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from synthlog.errors import InputError
from synthlog.io.logformat import LogFormat, RawReader, detect_format, get_format, read_raw, write_raw
from synthlog.io.timestamps import parse_timestamp

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "logs" / "blockstore.log"
HDFS_LINE = ("081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block "
             "blk_38865049064139660 terminating")
ZK_LINES = [
    "2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774] - "
    "Notification time out: 3200",
    "2015-07-29 19:04:12,394 - ERROR [LearnerHandler-/10.10.34.11:52225:LearnerHandler@562] - Unexpected exception",
]


def test_hdfs_line_fields_level_component_and_timestamp():
    fmt = get_format("hdfs")
    assert fmt.headers == ("Date", "Time", "Pid", "Level", "Component", "Content")
    event = fmt.event(HDFS_LINE, line_id=1)
    assert event.fields == {"Date": "081109", "Time": "203615", "Pid": "148"}
    assert (event.level, event.component) == ("INFO", "dfs.DataNode$PacketResponder")
    assert event.content.startswith("PacketResponder 1 for block")
    assert event.timestamp == 1226262975_000000  # 2008-11-09 20:36:15 UTC, in epoch microseconds
    assert fmt.match(HDFS_LINE)["Pid"] == "148"
    assert fmt.format(event) == HDFS_LINE


def test_zookeeper_lines_write_back_exactly_even_with_other_spacing():
    fmt = get_format("zookeeper")
    for line in ZK_LINES:
        event = fmt.event(line)
        assert event is not None and fmt.format(event) == line
    assert fmt.event(ZK_LINES[0]).timestamp == 1438191704_747000
    assert fmt.event(ZK_LINES[1]).level == "ERROR"


def test_escaped_brackets_are_literal_text():
    fmt = LogFormat.parse(r"<Date> \[<Thread>\] <Content>")
    assert fmt.literals == ("", " [", "] ", "")
    assert fmt.match("2020-01-01 [main] hello [x]") == {"Date": "2020-01-01", "Thread": "main", "Content": "hello [x]"}
    assert fmt.match("no brackets here") is None


def test_an_optional_group_reads_an_empty_header_and_writes_no_brackets():
    linux = LogFormat.parse(r"<Month> <Date> <Time> <Level> <Component>(\[<PID>\])?: <Content>")
    with_pid = "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown"
    without = "Jun 15 04:06:18 combo kernel: eth0: link up [100]: done"
    assert linux.match(with_pid)["PID"] == "19939" and linux.match(with_pid)["Component"] == "sshd(pam_unix)"
    assert linux.match(without) == {"Month": "Jun", "Date": "15", "Time": "04:06:18", "Level": "combo",
                                    "Component": "kernel", "PID": "", "Content": "eth0: link up [100]: done"}
    for line in (with_pid, without):
        event = linux.event(line)
        assert linux.format(event) == line and linux.lines([event]) == [line]
    assert linux.values(linux.event(with_pid))[5] == "19939"  # a column holds the value, the line its brackets
    mac = LogFormat.parse(r"<Month>  <Date> <Time> <User> <Component>\[<PID>\]( \(<Address>\))?: <Content>")
    line = "Jul  1 09:02:26 host-1 QQ[10018] (0x7f9b0a): task done"
    assert mac.match(line)["Address"] == "0x7f9b0a" and mac.format(mac.event(line)) == line
    assert mac.match("Jul  1 09:02:26 host-1 QQ[10018]: task done")["Address"] == ""


@pytest.mark.parametrize(("date", "time", "expected"), [
    ("081109", "203615", 1226262975.0),
    ("81109", "203615", 1226262975.0),  # loghub-2.0 dropped the leading zero
    ("2015-07-29", "17:41:44,747", 1438191704.747),
    ("2005.06.03", "2005-06-03-15.42.50.675872", 1117813370.675872),
    ("yesterday", "noon", None),
    ("081399", "203615", None),
    ("2015-02-31", "10:00:00", None),
    ("2016-02-29", "00:00:00", 1456704000.0),
])
def test_timestamps(date, time, expected):
    got = parse_timestamp(date, time)
    assert got == (pytest.approx(expected) if expected is not None else None)


def test_epoch_timestamp_header_wins():
    assert parse_timestamp(None, None, "1117838570") == 1117838570.0


def test_bgl_alert_tag_labels_lines():
    fmt = get_format("bgl")
    normal = fmt.event("- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 R02-M1-N0-C:J12-U11 "
                       "RAS KERNEL INFO instruction cache parity error corrected")
    alert = fmt.event("KERNDTLB 1118536327 2005.06.11 R30-M0-N9-C:J16-U01 2005-06-11-17.32.07.581048 "
                      "R30-M0-N9-C:J16-U01 RAS KERNEL FATAL data TLB error interrupt")
    assert (normal.label, alert.label) == (0, 1)
    assert normal.timestamp == 1117838570_000000


def test_user_format_and_unknown_name():
    assert get_format("<Level>: <Content>").match("WARN: disk full") == {"Level": "WARN", "Content": "disk full"}
    with pytest.raises(InputError, match="unknown log format"):
        get_format("nosuchformat")
    with pytest.raises(InputError, match="repeats a header"):
        LogFormat.parse("<A> <A>")


def test_reader_skips_and_counts_lines_that_do_not_fit(tmp_path):
    log = tmp_path / "mixed.log"
    log.write_text(f"{HDFS_LINE}\n  at java.lang.Thread.run(Thread.java:619)\n{HDFS_LINE}\n")
    reader = RawReader(log, "hdfs")
    events = list(reader)
    assert [e.line_id for e in events] == [1, 3]
    assert (reader.matched, reader.skipped, reader.first_skipped) == (2, 1, 2)
    with pytest.raises(InputError, match=r"mixed.log:2: line does not fit"):
        list(read_raw(log, "hdfs", strict=True))


def test_detect_format_of_the_bundled_example():
    assert detect_format(EXAMPLE).name == "hdfs"


def test_bundled_example_round_trips_byte_for_byte(tmp_path):
    out = tmp_path / "copy.log"
    write_raw(out, read_raw(EXAMPLE, "hdfs"), "hdfs")
    assert out.read_bytes() == EXAMPLE.read_bytes()


_token = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp")), min_size=1, max_size=8)


@given(pid=st.integers(0, 99999), level=st.sampled_from(["INFO", "WARN", "ERROR"]), component=_token,
       content=st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=60))
def test_any_hdfs_line_round_trips(pid, level, component, content):
    fmt = get_format("hdfs")
    line = f"081109 203615 {pid} {level} {component.replace(':', '')}: {content}"
    event = fmt.event(line)
    assert event is not None
    assert fmt.format(event) == line


def test_a_byte_order_mark_does_not_hide_the_first_line(tmp_path):
    log = tmp_path / "bom.log"
    log.write_bytes(b"\xef\xbb\xbf" + HDFS_LINE.encode() + b"\r\n")
    reader = RawReader(log, "hdfs")
    assert [e.fields["Date"] for e in reader] == ["081109"] and reader.skipped == 0


@given(data=st.data(), count=st.integers(1, 5))
def test_user_formats_match_and_write_back(data, count):
    names = data.draw(st.lists(st.sampled_from(["Date", "Time", "Pid", "Level", "Component", "Node", "Thread"]),
                               min_size=count, max_size=count, unique=True)) + ["Content"]
    literals = data.draw(st.lists(st.sampled_from([" ", "  ", " - ", ": ", " [", "] ", "|", "\t"]),
                                  min_size=count, max_size=count))
    fmt = LogFormat.parse("".join(f"<{n}>{lit}" for n, lit in zip(names, literals, strict=False)) + "<Content>")
    values = [data.draw(st.text(alphabet="abcXYZ019_.", min_size=1, max_size=6)) for _ in names[:-1]]
    values.append(data.draw(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")),
                                    max_size=30).filter(lambda c: c == c.lstrip(" "))))
    line = "".join(v + lit for v, lit in zip(values, literals, strict=False)) + values[-1]
    assert fmt.match(line) == dict(zip(names, values, strict=True))
    assert fmt.format(fmt.event(line)) == line


def test_an_event_read_with_one_format_is_written_with_another():
    event = get_format("<Date> <Time>  <Level> <Content>").event("2020-01-01 10:00:00   INFO hello  world")
    assert event.attributes["separators"] == [" ", "   ", " "]
    other = get_format("<Date> <Time> <Level> <Node>: <Content>")  # four runs of spaces, the event has three
    assert other.format(event) == "2020-01-01 10:00:00 INFO : hello  world"


@pytest.mark.parametrize("fmt", [r"<Content>\ <Date>", r"<Date>\  <Content>", "<Date> \\\t<Content>"])
def test_escaped_spaces_are_spaces(fmt):
    parsed = get_format(fmt)
    line = "2020-01-01\t  x y" if parsed.headers[0] == "Date" else "x y 2020-01-01"
    event = parsed.event(line)
    assert event is not None and parsed.format(event) == line


@pytest.mark.parametrize("text", ["<Content>", "<Level> <Content>", "<Date> <Time> <Level> <Component>: <Content>"])
def test_a_layout_that_rendered_a_line_still_pickles(text):
    """A layout caches its header picker on first use; with zero, one or many headers it must still travel to
    spawned worker processes (pickle), and render the same line there."""
    import pickle

    from synthlog.io.layout import Layout
    from synthlog.records import LogEvent

    layout = Layout.from_format(text)
    event = LogEvent("hello 1", 1_700_000_000_000_000, "INFO", "main",
                     fields={"Date": "081109", "Time": "203615"})
    before = layout.format(event)
    again = pickle.loads(pickle.dumps(layout))
    assert again.format(event) == before and "hello 1" in before
