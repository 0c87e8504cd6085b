"""Bad input: every reader names the file and line of the first bad record; failures leave nothing half-written."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from synthlog.errors import InputError
from synthlog.io.atomic import atomic_open
from synthlog.io.jsonl import read_jsonl
from synthlog.io.logformat import read_raw
from synthlog.io.loghub import read_labels, read_structured, read_templates, write_structured
from synthlog.io.parsed import parse_log
from synthlog.io.sequences import read_sequences
from synthlog.records import LogEvent

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "logs" / "blockstore.log"
STRUCTURED_HEADER = "LineId,Date,Time,Pid,Level,Component,Content,EventId,EventTemplate\n"


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "synthlog", *args], capture_output=True, text=True, cwd=cwd)


def test_truncated_csv_row_names_its_line(tmp_path):
    path = tmp_path / "x.log_structured.csv"
    path.write_text(STRUCTURED_HEADER + "1,081109,203615,148,INFO,dfs.X,hello,E1,hello\n2,081109,2036\n")
    with pytest.raises(InputError, match=r"x.log_structured.csv:3: expected 9 fields, found 3"):
        list(read_structured(path))


def test_unterminated_quote_is_a_csv_error_with_a_line(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('EventId,EventTemplate\nE1,"never closed\n')
    with pytest.raises(InputError, match=r"t.csv:\d+: "):
        read_templates(path)


def test_wrong_column_set_is_refused(tmp_path):
    path = tmp_path / "anomaly_label.csv"
    path.write_text("Block,Verdict\nblk_1,Normal\n")
    with pytest.raises(InputError, match=r"anomaly_label.csv:1: wrong columns 'Block,Verdict': missing Label"):
        read_labels(path)


def test_bad_label_word_names_line_and_field(tmp_path):
    path = tmp_path / "anomaly_label.csv"
    path.write_text("BlockId,Label\nblk_1,Normal\nblk_2,Broken\n")
    with pytest.raises(InputError, match=r"anomaly_label.csv:3: Label: unknown label 'Broken'"):
        read_labels(path)


@pytest.mark.parametrize("reader", [lambda p: list(read_raw(p, "hdfs")), read_sequences, read_labels,
                                    lambda p: list(read_jsonl(p))])
def test_undecodable_bytes_name_their_line(tmp_path, reader):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"BlockId,Label\nblk_1,Normal\nblk_\xff\xfe,Normal\n")
    with pytest.raises(InputError, match=r"bad.txt:3: not valid UTF-8"):
        reader(path)


@pytest.mark.parametrize("reader", [lambda p: list(read_raw(p, "hdfs")), read_sequences, read_labels,
                                    read_templates, lambda p: list(read_structured(p))])
def test_empty_file(tmp_path, reader):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(InputError, match="empty.csv: file is empty"):
        reader(path)


def test_format_that_matches_no_line(tmp_path):
    with pytest.raises(InputError, match=r"blockstore.log: format string .* matches no line"):
        list(read_raw(EXAMPLE, "zookeeper"))


def _huge(path, first_line):
    with open(path, "wb") as fh:
        fh.write(first_line)
        chunk = b"x" * (1 << 20)
        for _ in range(100):
            fh.write(chunk)
        fh.write(b"\n")
    return path


def test_a_single_100_mb_line_is_refused_quickly_without_reading_it_whole(tmp_path):
    path = _huge(tmp_path / "huge.log", b"081109 203615 148 INFO dfs.X: fine\n")
    with pytest.raises(InputError, match=r"huge.log:2: line longer than 1048576 bytes"):
        list(read_raw(path, "hdfs"))
    path = _huge(tmp_path / "huge.jsonl", b'{"id": "a"}\n')
    with pytest.raises(InputError, match=r"huge.jsonl:2: line longer than"):
        list(read_jsonl(path))  # JSON Lines allow 64 MiB records, still far below 100 MB


def test_failed_write_leaves_no_file(tmp_path):
    def events():
        yield LogEvent(content="one", line_id=1)
        raise RuntimeError("generator died")
    out = tmp_path / "x.log_structured.csv"
    with pytest.raises(RuntimeError):
        write_structured(out, events(), ["Content"])
    assert list(tmp_path.iterdir()) == []


def test_outputs_get_the_usual_file_mode_not_the_temp_files_private_one(tmp_path):
    umask = os.umask(0o022)
    os.umask(umask)
    with atomic_open(tmp_path / "out.txt") as fh:
        fh.write("x")
    assert stat.S_IMODE((tmp_path / "out.txt").stat().st_mode) == 0o666 & ~umask


def test_failed_parse_leaves_no_output(tmp_path):
    bad = tmp_path / "mixed.log"
    bad.write_bytes(EXAMPLE.read_bytes() + b"261122 120000 1 INFO x: \xff\n")
    out = tmp_path / "out"
    with pytest.raises(InputError, match=r"mixed.log:499: not valid UTF-8"):
        parse_log(bad, "hdfs", out, sessions="blk")
    assert not out.exists() or list(out.iterdir()) == []


def test_time_windows_over_a_log_without_timestamps_name_the_file_and_write_nothing(tmp_path):
    log = tmp_path / "plain.log"
    log.write_text("INFO start\nINFO stop\n")
    out = tmp_path / "out"
    with pytest.raises(InputError, match=r"plain.log: line 1 has no timestamp"):
        parse_log(log, "<Level> <Content>", out, sessions="window:60")
    assert not out.exists() or list(out.iterdir()) == []


def test_a_parse_whose_sequence_file_fails_leaves_none_of_its_outputs(tmp_path):
    log = tmp_path / "ids.log"
    log.write_text("INFO req=a,b start\nINFO req=a,b stop\n")
    out = tmp_path / "out"
    with pytest.raises(InputError, match=rf"^{out}/ids.sequences: session id 'req=a,b' cannot be written"):
        parse_log(log, "<Level> <Content>", out, sessions=r"entity:req=[\w,]+")
    assert not out.exists()  # not even the folder it created


def test_labels_and_anomalous_ids_together_are_refused(tmp_path):
    with pytest.raises(InputError, match="--anomalous-ids: give session labels or a list of anomalous ids"):
        parse_log(EXAMPLE, "hdfs", tmp_path / "out", labels=tmp_path / "l.csv", anomalous_ids=tmp_path / "ids")


def test_cli_prints_one_line_and_exits_2(tmp_path):
    (tmp_path / "empty.log").write_bytes(b"")
    run = cli("parse", str(tmp_path / "empty.log"), "--format", "hdfs", "--out", str(tmp_path / "o"))
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [f"error: {tmp_path / 'empty.log'}: file is empty"]
    run = cli("parse", str(EXAMPLE), "--format", "<Date>|<Content>", "--out", str(tmp_path / "o"))
    assert run.returncode == 2 and "matches no line" in run.stderr and "Traceback" not in run.stderr
    run = cli("datasets", "show", str(tmp_path / "nowhere"))
    assert run.returncode == 2 and "no such data set" in run.stderr


@pytest.mark.parametrize("record, problem", [
    ('{"id": "s", "attributes": [1, 2]}', "attributes must be a JSON object"),
    ('{"id": "s", "label": 5}', "label must be 0, 1 or absent"),
    ('{"id": "s", "label": true}', "label must be 0, 1 or absent"),
    ('{"id": "s", "label_rule": 3}', "label_rule must be a string"),
    ('{"id": "s", "events": [{"content": "x", "label": 2}]}', r"events\[0\].label must be 0, 1"),
])
def test_bad_session_record_names_its_line(tmp_path, record, problem):
    path = tmp_path / "s.jsonl"
    path.write_text('{"id": "ok", "label": 1}\n' + record + "\n")
    with pytest.raises(InputError, match=rf"s.jsonl:2: bad session record: {problem}"):
        list(read_jsonl(path))
