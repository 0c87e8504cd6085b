"""Data set directories and the shared data sets: write_dataset, load_dataset, list_datasets, exact HDFS sessions."""

import csv
from pathlib import Path

import pytest

from synthlog.errors import InputError
from synthlog.io.datasets import (
    SHARED,
    describe,
    list_datasets,
    load_dataset,
    read_template_sessions,
    write_dataset,
)
from synthlog.io.loghub import read_labels, read_templates
from synthlog.io.parsed import parse_log
from synthlog.io.sequences import read_sequences
from synthlog.records import Session

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "logs"
DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason="shared data not present")
FIRST20K = DATA / "hdfs" / "logai_hdfs_v1_first20k_raw"


@pytest.fixture(scope="module")
def example_dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("parsed")
    parse_log(EXAMPLE / "blockstore.log", "hdfs", out, sessions="blk", labels=EXAMPLE / "blockstore_labels.csv")
    return load_dataset(out)


def test_parsed_example_loads_as_a_labeled_dataset(example_dataset):
    ds = example_dataset
    labels = read_labels(EXAMPLE / "blockstore_labels.csv")
    assert [s.id for s in ds] == list(labels)
    assert {s.id: s.label for s in ds} == labels
    assert ds.label_counts() == {"Normal": 30, "Anomaly": 6}
    assert all(e in ds.templates for s in ds for e in s.event_ids)


def test_template_counts_of_a_parsed_directory_are_the_templates_file_counts(tmp_path):
    parse_log(EXAMPLE / "blockstore.log", "hdfs", tmp_path)
    written = read_templates(tmp_path / "blockstore.log_templates.csv")
    loaded = load_dataset(tmp_path).templates
    assert {t.id: t.occurrences for t in loaded.values()} == {t.id: t.occurrences for t in written.values()}
    assert sum(t.occurrences for t in written.values()) == len((EXAMPLE / "blockstore.log").read_text().splitlines())


def test_bad_metadata_file_is_named(example_dataset, tmp_path):
    paths = write_dataset(example_dataset, tmp_path, "blockstore")
    paths["metadata"].write_text("{not json")
    with pytest.raises(InputError, match=r"blockstore.metadata.json: not a metadata JSON file"):
        load_dataset(tmp_path)


def test_template_session_records_are_read_and_checked(tmp_path):
    path = tmp_path / "sessions.jsonl"
    path.write_text('{"block_id": "blk_1", "label": 0, "split": "train", "templates": ["a <*>", "b"]}\n'
                    '{"block_id": "blk_2", "label": 1, "templates": ["a <*>"]}\n')
    sessions, templates = read_template_sessions(path)
    assert [(s.id, s.label, len(s)) for s in sessions] == [("blk_1", 0, 2), ("blk_2", 1, 1)]
    assert sorted((t.text, t.occurrences) for t in templates.values()) == [("a <*>", 2), ("b", 1)]
    path.write_text('{"block_id": 7, "label": 0, "templates": ["a"]}\n')
    with pytest.raises(InputError, match=r"sessions.jsonl:1: block_id must be a string"):
        read_template_sessions(path)


def test_a_failed_dataset_write_leaves_no_file(example_dataset, tmp_path):
    ds = example_dataset.subset(range(len(example_dataset)))
    ds.sessions = [*ds.sessions[:3], Session("bad,id")]  # refused by the sequence file, after three other files
    with pytest.raises(InputError, match=rf"^{tmp_path}/blockstore.sequences: session id 'bad,id' cannot be"):
        write_dataset(ds, tmp_path, "blockstore")
    assert list(tmp_path.iterdir()) == []


def test_write_dataset_then_load_gives_the_same_data(example_dataset, tmp_path):
    ds = example_dataset
    paths = write_dataset(ds, tmp_path, "blockstore", log_format="hdfs")
    assert sorted(paths) == ["jsonl", "labels", "metadata", "raw", "sequences", "structured", "templates"]
    assert paths["raw"].read_bytes() == (EXAMPLE / "blockstore.log").read_bytes()
    back = load_dataset(tmp_path)
    assert back.name == ds.name
    assert [(s.id, s.label, s.event_ids) for s in back] == [(s.id, s.label, s.event_ids) for s in ds]
    assert {t.id: t.text for t in back.templates.values()} == {t.id: t.text for t in ds.templates.values()}
    assert not list(tmp_path.glob(".*.tmp"))


def test_each_file_of_a_dataset_directory_loads_alone(example_dataset, tmp_path):
    paths = write_dataset(example_dataset, tmp_path / "full", "blockstore", log_format="hdfs")
    expected = [(s.id, s.event_ids) for s in example_dataset]
    for role in ("jsonl", "sequences", "structured", "raw"):
        single = tmp_path / role
        single.mkdir()
        (single / paths[role].name).write_bytes(paths[role].read_bytes())
        ds = load_dataset(single)
        if role == "raw":  # re-mined templates, same grouping into blocks
            assert [(s.id, len(s)) for s in ds] == [(sid, len(ids)) for sid, ids in expected]
        else:
            assert [(s.id, s.event_ids) for s in ds] == expected


def test_describe_counts(example_dataset):
    text = describe(example_dataset)
    assert "36 sessions (6 Anomaly, 30 Normal)" in text


@needs_data
def test_hdfs_first20k_sessions_and_labels_match_block_labels_exactly(tmp_path):
    result = parse_log(FIRST20K / "HDFS_20000.log", "hdfs", tmp_path, sessions="blk",
                       anomalous_ids=DATA / "hdfs" / "ait_hdfs_v1_sequences" / "hdfs_v1_anomalous_block_ids.txt")
    with open(FIRST20K / "block_labels.csv", newline="") as fh:
        truth = {row["BlockId"]: (row["Label"], int(row["NumLinesInThisFile"])) for row in csv.DictReader(fh)}
    labels = read_labels(result.outputs["labels"])
    sessions = read_sequences(result.outputs["sequences"])
    assert result.lines == 20000 and result.sessions == len(truth) == 1782
    assert {s.id: ("Anomaly" if labels[s.id] else "Normal", len(s.event_ids)) for s in sessions} == truth
    assert result.anomalies == 43


@needs_data
def test_every_shared_dataset_is_listed_present_and_described():
    infos = {i.name: i for i in list_datasets(DATA)}
    assert list(infos) == list(SHARED)
    assert all(i.present for i in infos.values())


@needs_data
@pytest.mark.parametrize(("name", "sessions", "anomalies", "templates"), [
    ("hdfs-ait-loghub", 22421, 16838, 33),
    ("hdfs_deeplog_keys", 21693, 16838, 0),
    ("hdfs-100k-sessions", 7940, 313, 19),
    ("hdfs-logdeep-robustlog", 14000, 7000, 0),
    ("hdfs-loghub-2k", 2200, 69, 14),
    ("hdfs-loghub2-2k-corrected", 2200, 69, 14),
    ("zookeeper-windows", 37186, 888, 77),
    ("zookeeper-2k-windows", 289, 8, 50),
])
def test_shared_datasets_load_with_the_documented_counts(name, sessions, anomalies, templates):
    ds = load_dataset(name, root=DATA)
    assert (len(ds), ds.labels.count(1), len(ds.templates)) == (sessions, anomalies, templates)
    assert ds.metadata["lacks"]


@needs_data
def test_zookeeper_2k_windows_are_time_slices_labeled_by_the_error_heuristic():
    from synthlog.io.datasets import ZOOKEEPER_WINDOW_S

    ds = load_dataset("zookeeper-2k-windows", root=DATA)
    assert sum(len(s) for s in ds) == 2000 and "heuristic" in ds.metadata["labels"]
    origin = ds.sessions[0].events[0].timestamp
    for session in ds:
        window = int(session.id.rsplit("_w", 1)[1])
        stamps = [e.timestamp for e in session.events]
        assert stamps == sorted(stamps)
        width = ZOOKEEPER_WINDOW_S * 1_000_000  # event times are epoch microseconds
        assert all(origin + window * width <= t < origin + (window + 1) * width for t in stamps)
        assert session.label == any(e.level == "ERROR" for e in session.events)


@needs_data
def test_hdfs100k_template_ids_are_stable_md5_ids():
    ds = load_dataset("hdfs-100k-sessions", root=DATA)
    from synthlog.parse.drain import template_id
    assert all(tid == template_id(t.text) for tid, t in ds.templates.items())
    assert sum(len(s) for s in ds) == 104815


def test_unknown_name_is_a_clear_error():
    from synthlog.errors import InputError
    with pytest.raises(InputError, match="no such data set"):
        load_dataset("no-such-dataset")


def test_sequence_files_named_the_deeplog_way_carry_their_label(tmp_path):
    (tmp_path / "hdfs_train").write_text("blk_1,5 5 22\n")
    (tmp_path / "hdfs_test_abnormal").write_text("blk_2,5 22 9\n")
    (tmp_path / "other.sequences").write_text("blk_3,5\n")
    ds = load_dataset(tmp_path)
    assert {s.id: s.label for s in ds} == {"blk_1": 0, "blk_2": 1, "blk_3": None}
