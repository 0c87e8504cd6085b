"""Sequence files (with and without session ids), JSON Lines and Parquet: round trips and variants."""

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synthlog.errors import InputError
from synthlog.io.jsonl import read_events_jsonl, read_jsonl, write_events_jsonl, write_jsonl
from synthlog.io.parquet import read_parquet, write_parquet
from synthlog.io.sequences import read_sequence_csv, read_sequences, write_sequences
from synthlog.records import LogEvent, Session

fixture_ok = settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
_event_id = st.text(alphabet="0123456789abcdefE", min_size=1, max_size=8)
_session_id = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters=","),
                      min_size=1, max_size=12)
_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20)


@fixture_ok
@given(sessions=st.lists(st.tuples(_session_id, st.lists(_event_id, max_size=12)), min_size=1, max_size=8))
def test_sequences_with_ids_round_trip(tmp_path, sessions):
    sessions = [(sid.strip() or "s", ids) for sid, ids in sessions]
    path = tmp_path / "x.sequences"
    write_sequences(path, [Session.from_event_ids(sid, ids) for sid, ids in sessions])
    back = read_sequences(path, label=1)
    assert [(s.id, s.event_ids, s.label) for s in back] == [(sid, ids, 1) for sid, ids in sessions]


@fixture_ok
@given(sequences=st.lists(st.lists(_event_id, min_size=1, max_size=12), min_size=1, max_size=8))
def test_id_only_sequences_round_trip(tmp_path, sequences):
    path = tmp_path / "keys"
    write_sequences(path, [Session.from_event_ids(str(i), ids) for i, ids in enumerate(sequences)], with_ids=False)
    back = read_sequences(path)
    assert [s.event_ids for s in back] == sequences
    assert back[0].id == "keys:1"


def test_deeplog_style_trailing_spaces_and_no_final_newline(tmp_path):
    path = tmp_path / "hdfs_train"
    path.write_bytes(b"5 5 22 11 \n22 5 \n9 26")
    assert [s.event_ids for s in read_sequences(path)] == [["5", "5", "22", "11"], ["22", "5"], ["9", "26"]]


def test_blank_lines_are_skipped_in_both_variants(tmp_path):
    with_ids = tmp_path / "ids.sequences"
    with_ids.write_text("\nSessionId,EventSequence\nblk_1,E1 E2\n\nblk_2,E3\n")
    assert [(s.id, s.event_ids) for s in read_sequences(with_ids)] == [("blk_1", ["E1", "E2"]), ("blk_2", ["E3"])]
    keys = tmp_path / "keys"
    keys.write_text("\n5 22\n\n11\n")
    assert [(s.id, s.event_ids) for s in read_sequences(keys)] == [("keys:2", ["5", "22"]), ("keys:4", ["11"])]


def test_sequence_csv(tmp_path):
    path = tmp_path / "robust.csv"
    path.write_text("Sequence,label\n5 5 22,0\n22 11,1\n")
    sessions = read_sequence_csv(path)
    assert [(s.event_ids, s.label) for s in sessions] == [(["5", "5", "22"], 0), (["22", "11"], 1)]


def test_unwritable_ids_are_refused(tmp_path):
    with pytest.raises(InputError, match="cannot be written"):
        write_sequences(tmp_path / "x", [Session.from_event_ids("a,b", ["1"])])
    assert not (tmp_path / "x").exists()


_events = st.builds(
    LogEvent, content=_text,
    timestamp=st.one_of(st.none(), st.integers(0, 2 * 10**15)),  # epoch microseconds
    level=st.one_of(st.none(), st.sampled_from(["INFO", "ERROR"])),
    component=st.one_of(st.none(), _text),
    template_id=st.one_of(st.none(), _event_id),
    parameters=st.lists(_text, max_size=3),
    label=st.one_of(st.none(), st.sampled_from([0, 1])),
    label_rule=st.one_of(st.none(), _text),
    line_id=st.one_of(st.none(), st.integers(1, 10**9)),
    fields=st.dictionaries(st.sampled_from(["Date", "Time", "Pid"]), _text),
    attributes=st.dictionaries(st.sampled_from(["request_id", "retry"]), st.one_of(_text, st.integers(0, 9))),
)
_sessions = st.lists(st.builds(Session, id=_session_id, events=st.lists(_events, max_size=5),
                               label=st.one_of(st.none(), st.sampled_from([0, 1])),
                               attributes=st.dictionaries(st.sampled_from(["split"]), _text)),
                     max_size=6, unique_by=lambda s: s.id)


@fixture_ok
@given(sessions=_sessions)
def test_jsonl_round_trip(tmp_path, sessions):
    path = tmp_path / "x.jsonl"
    write_jsonl(path, sessions)
    if sessions:
        assert list(read_jsonl(path)) == sessions
    events = [e for s in sessions for e in s.events]
    if events:
        write_events_jsonl(tmp_path / "e.jsonl", events)
        assert list(read_events_jsonl(tmp_path / "e.jsonl")) == events


@fixture_ok
@given(sessions=_sessions)
def test_parquet_round_trip_in_small_batches(tmp_path, sessions):
    path = tmp_path / "x.parquet"
    assert write_parquet(path, sessions, batch_rows=3) == len(sessions)
    assert list(read_parquet(path, batch_rows=2)) == sessions


def test_parquet_columns_are_typed_for_other_tools(tmp_path):
    import polars as pl
    import pyarrow.parquet as pq

    event = LogEvent("x", timestamp=1_700_000_000_250000, fields={"Pid": "7"}, attributes={"retry": 2, "who": "a"})
    write_parquet(tmp_path / "x.parquet", [Session("s", [event])])
    schema = pq.read_schema(tmp_path / "x.parquet")
    assert str(schema.field("timestamp").type) == "timestamp[us, tz=UTC]"
    assert str(schema.field("attributes").type).startswith("map<string, string")
    frame = pl.read_parquet(tmp_path / "x.parquet")
    assert frame["timestamp"].dtype == pl.Datetime("us", "UTC")
    assert str(frame["timestamp"][0]) == "2023-11-14 22:13:20.250000+00:00"


def test_jsonl_rejects_a_bad_record_with_its_line(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"id": "a", "events": []}\n{"id": "b", "events": [{"content": 3}]}\n')
    with pytest.raises(InputError, match=r"x.jsonl:2: .*content"):
        list(read_jsonl(path))


def test_parquet_rejects_other_files(tmp_path):
    path = tmp_path / "x.parquet"
    path.write_text("not parquet")
    with pytest.raises(InputError, match="x.parquet"):
        list(read_parquet(path))


def test_registry_recognises_files_by_name():
    from synthlog.io import registry
    assert registry.detect(Path("HDFS_2k.log_structured.csv")).name == "structured"
    assert registry.detect(Path("HDFS_2k.log_templates.csv")).name == "templates"
    assert registry.detect(Path("anomaly_label.csv")).name == "labels"
    assert registry.detect(Path("hdfs_test_abnormal")).name == "sequences"
    assert registry.detect(Path("x.parquet")).name == "parquet"
    assert registry.detect(Path("README.md")) is None
    with pytest.raises(InputError, match="unknown file format"):
        registry.get("xml")
