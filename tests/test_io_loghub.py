"""Loghub CSVs: structured logs, templates (with and without header), labels; round trips."""

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synthlog.io.loghub import (
    read_id_list,
    read_labels,
    read_structured,
    read_templates,
    write_labels,
    write_structured,
    write_templates,
)
from synthlog.records import LogEvent, Template

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason="shared data not present")

_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\x00"), max_size=30)
_id = st.text(alphabet="abcdef0123456789E", min_size=1, max_size=8)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(_text, _text, _text, _id), min_size=1, max_size=10))
def test_structured_round_trip(tmp_path, rows):
    events = [LogEvent(content=c, level=lv, component=comp, template_id=tid, line_id=i,
                       fields={"Date": "081109", "Time": "203615"}) for i, (c, lv, comp, tid) in enumerate(rows, 1)]
    templates = {tid: Template(id=tid, text=f"text of {tid}, with comma") for *_, tid in rows}
    path = tmp_path / "x.log_structured.csv"
    assert write_structured(path, events, ["Date", "Time", "Level", "Component", "Content"], templates) == len(rows)
    collected: dict[str, Template] = {}
    back = list(read_structured(path, collected))
    assert [(e.content, e.level, e.component, e.template_id, e.line_id, e.fields) for e in back] == \
        [(e.content, e.level, e.component, e.template_id, e.line_id, e.fields) for e in events]
    assert {t.id: t.text for t in collected.values()} == {t.id: t.text for t in templates.values()}
    assert back[0].timestamp == 1226262975_000000


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(templates=st.dictionaries(_id, st.tuples(_text, st.integers(0, 10**6)), min_size=1, max_size=10))
def test_templates_round_trip(tmp_path, templates):
    items = {tid: Template(id=tid, text=text, occurrences=n) for tid, (text, n) in templates.items()}
    write_templates(tmp_path / "t.csv", items)
    back = read_templates(tmp_path / "t.csv")
    assert [(t.id, t.text, t.occurrences) for t in back.values()] == \
        [(t.id, t.text, t.occurrences) for t in items.values()]


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(labels=st.dictionaries(st.from_regex(r"blk_-?[0-9]{1,19}", fullmatch=True), st.sampled_from([0, 1]),
                              min_size=1))
def test_labels_round_trip(tmp_path, labels):
    write_labels(tmp_path / "anomaly_label.csv", labels)
    assert read_labels(tmp_path / "anomaly_label.csv") == labels


def test_labels_with_extra_columns_and_words(tmp_path):
    path = tmp_path / "block_labels.csv"
    path.write_text("BlockId,Label,NumLinesInThisFile\nblk_1,Normal,3\nblk_-2,Anomaly,1\nblk_3,0,1\n")
    assert read_labels(path) == {"blk_1": 0, "blk_-2": 1, "blk_3": 0}


def test_headerless_templates_are_numbered_from_one(tmp_path):
    path = tmp_path / "HDFS_templates.csv"
    path.write_text("<*>Adding an already existing block<*>\n<*>Block <*> is valid, and cannot be written to.\n")
    templates = read_templates(path)
    assert list(templates) == ["1", "2"]
    assert templates["2"].text == "<*>Block <*> is valid, and cannot be written to."


@needs_data
def test_ait_templates_file_has_33_templates_numbered_by_line():
    templates = read_templates(DATA / "hdfs" / "ait_hdfs_v1_sequences" / "HDFS_templates.csv")
    assert list(templates) == [str(i) for i in range(1, 34)]
    assert "allocateBlock" in templates["22"].text  # id 22 = allocateBlock, as the AIT/DeepLog sequences use it
    assert "Receiving block" in templates["5"].text


@needs_data
def test_quoted_zookeeper_templates_and_counts():
    templates = read_templates(DATA / "zookeeper" / "anomalygen_full_log_derived" / "Zookeeper.log_templates.csv")
    assert len(templates) == 77
    assert sum(t.occurrences for t in templates.values()) == 74380
    assert "(n.leader), <*> (n.zxid)" in templates["cd9a2201"].text


@needs_data
def test_loghub_structured_2k():
    events = list(read_structured(DATA / "hdfs" / "loghub_2k" / "HDFS_2k.log_structured.csv"))
    assert len(events) == 2000
    assert events[0].template_id == "E10" and events[0].fields["Pid"] == "148"


def test_id_list(tmp_path):
    (tmp_path / "ids.txt").write_text("blk_1\n\nblk_2\n")
    assert read_id_list(tmp_path / "ids.txt") == ["blk_1", "blk_2"]
