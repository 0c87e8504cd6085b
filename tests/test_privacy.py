"""Leakage of real parameter values and distance to the closest real record."""

from synthlog.evaluate.privacy import (
    dataset_values,
    directory_files,
    distance_to_closest_record,
    extract_values,
    files_values,
    leakage_check,
)
from synthlog.records import NORMAL, LabeledDataset, LogEvent, Session

HDFS_LINE = ("Receiving block blk_-1608999687919862906 src: /10.250.19.102:54106 dest: /10.250.19.102:50010 "
             "for /mnt/hadoop/mapred/system/job_200811092030_0001/job.jar. on node7.example.org:50010 size 67108864")


def test_extract_values_of_each_kind():
    found = extract_values(HDFS_LINE)
    assert found["ip"] == {"10.250.19.102"}
    assert found["block_id"] == {"blk_-1608999687919862906"}
    assert found["path"] == {"/mnt/hadoop/mapred/system/job_200811092030_0001/job.jar"}
    assert found["host"] == {"node7.example.org"}
    assert found["long_number"] == {"67108864"}  # block id digits and dates are not long numbers of their own


def test_invalid_addresses_and_header_dates_are_not_values():
    found = extract_values("081109 203518 143 INFO version 1.2.3.4.5 and 999.1.1.1")
    assert found["ip"] == set() and found["long_number"] == set()


def dataset_of(contents: list[str], name: str = "d") -> LabeledDataset:
    return LabeledDataset(name, [Session(id=f"s{i}", events=[LogEvent(content=c)], label=NORMAL)
                                 for i, c in enumerate(contents)])


def test_leakage_finds_copied_values_in_output_files(tmp_path):
    real = dataset_values(dataset_of([HDFS_LINE, "Served block blk_42 to /10.0.0.1"]))
    (tmp_path / "raw.log").write_text("Served block blk_7 to /10.9.9.9\nServed block blk_42 to /10.0.0.2\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "events.jsonl").write_text('{"content": "from 10.250.19.102"}\n')
    report = leakage_check(real, files_values(directory_files(tmp_path)))
    assert report.leaked["block_id"] == ["blk_42"]
    assert report.leaked["ip"] == ["10.250.19.102"]
    assert report.leaked_total == 2
    summary = report.to_dict()
    assert summary["kinds"]["ip"] == {"real": 2, "synthetic": 3, "leaked": 1, "examples": ["10.250.19.102"]}


def test_clean_output_has_no_leaks(tmp_path):
    real = dataset_values(dataset_of([HDFS_LINE]))
    (tmp_path / "raw.log").write_text("Receiving block blk_1 src: /10.1.2.3:1 dest: /10.1.2.3:2\n")
    assert leakage_check(real, files_values(directory_files(tmp_path))).leaked_total == 0


def test_a_value_across_a_read_chunk_boundary_is_still_found(tmp_path):
    real = dataset_values(dataset_of(["Served block blk_-4231765182 to /10.0.0.1"]))
    padding = "x" * ((1 << 22) - 8)  # the file is read 4 MiB at a time: the block id straddles the first boundary
    (tmp_path / "raw.log").write_text(f"{padding} blk_-4231765182 to\nlast line /10.0.0.1")
    assert leakage_check(real, files_values(directory_files(tmp_path))).leaked == {
        "ip": ["10.0.0.1"], "block_id": ["blk_-4231765182"], "path": [], "host": [], "long_number": [], "secret": [],
        "rare_token": []}


def count_dataset(rows: list[list[int]], name: str) -> LabeledDataset:
    sessions = []
    for i, row in enumerate(rows):
        events = [LogEvent(content="", attributes={"template": f"t{k}"}) for k, n in enumerate(row) for _ in range(n)]
        sessions.append(Session(id=f"{name}{i}", events=events, label=NORMAL))
    return LabeledDataset(name, sessions)


def test_dcr_copies_sit_closer_than_holdout_and_noise_further():
    real = count_dataset([[i % 7, (3 * i) % 5, i % 3 + 1] for i in range(200)], "real")
    copies = count_dataset([[i % 7, (3 * i) % 5, i % 3 + 1] for i in range(200)], "copy")
    far = count_dataset([[20 + i % 3, 30, 0] for i in range(50)], "far")
    copied = distance_to_closest_record(real, copies, seed=1)
    distant = distance_to_closest_record(real, far, seed=1)
    assert copied["synthetic_to_train"]["exact_match_share"] >= copied["holdout_to_train"]["exact_match_share"]
    assert distant["synthetic_to_train"]["median"] > 10 * max(distant["holdout_to_train"]["median"], 1.0)
    assert distant["synthetic_to_train"]["exact_match_share"] == 0.0
    assert distance_to_closest_record(real, far, seed=1) == distant  # seeded


def test_dcr_needs_sessions():
    assert distance_to_closest_record(count_dataset([[1]], "r"), count_dataset([[1]], "s"))["available"] is False
