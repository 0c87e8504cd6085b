"""Inputs that read as one file: a folder of part files, a glob, an fsspec URL (memory://, file://)."""

from pathlib import Path

import pytest

from synthlog.errors import InputError
from synthlog.io.datasets import load_dataset
from synthlog.io.inputs import is_parts_folder, local_input, members
from synthlog.io.loghub import read_structured
from synthlog.io.text import iter_lines
from synthlog.stats.profile import load_logs
from synthlog.stats.simulate import StatsSynthesizer
from test_simulate import mini, small_shards  # noqa: F401  (fixtures)

# four blocks: too few for the session guess (5 ids at least), so the tests say --sessions blk
HDFS = [f"081109 2035{n:02d} {n} INFO dfs.DataNode$PacketResponder: Received block blk_{n % 4} of size {n}"
        for n in range(40)]


def write_parts(folder: Path, lines: list[str], size: int, suffix: str = "log", header: str | None = None) -> Path:
    folder.mkdir(parents=True)
    for k in range(0, len(lines), size):
        head = [header] if header is not None else []
        (folder / f"part-{k // size:05d}.{suffix}").write_text("\n".join(head + lines[k:k + size]) + "\n")
    return folder


def test_a_folder_of_parts_reads_as_the_file_it_stands_for(tmp_path):
    parts = write_parts(tmp_path / "x.log", HDFS, 15)
    assert is_parts_folder(parts) and len(members(parts)) == 3
    assert [text for _, text in iter_lines(parts)] == HDFS
    assert [n for n, _ in iter_lines(parts)] == list(range(1, 41))


def test_a_csv_of_parts_has_its_header_once(tmp_path):
    header = "LineId,Content"
    parts = write_parts(tmp_path / "x.csv", [f"{n},c{n}" for n in range(10)], 4, "csv", header)
    assert [text for _, text in iter_lines(parts)] == [header] + [f"{n},c{n}" for n in range(10)]


def test_a_glob_reads_its_matches_in_order_and_a_bad_line_names_its_part(tmp_path):
    write_parts(tmp_path / "x.log", HDFS, 15)
    assert [text for _, text in iter_lines(tmp_path / "x.log" / "part-*")] == HDFS
    (tmp_path / "x.log" / "part-00001.log").write_bytes(b"fine\nbad \xff byte\n")
    with pytest.raises(InputError) as caught:
        list(iter_lines(tmp_path / "x.log"))
    assert Path(caught.value.path) == tmp_path / "x.log" / "part-00001.log" and caught.value.line == 2
    with pytest.raises(InputError, match="no file matches"):
        list(iter_lines(tmp_path / "nothing-*.log"))


def sessions_of(dataset) -> list[tuple[str, list[str]]]:
    return [(s.id, [e.content for e in s.events]) for s in dataset.sessions]


def test_logs_in_parts_on_memory_and_file_urls_profile_like_the_local_file(tmp_path):
    fsspec = pytest.importorskip("fsspec")
    (tmp_path / "one.log").write_text("\n".join(HDFS) + "\n")
    local = sessions_of(load_logs(tmp_path / "one.log", log_format="hdfs", sessions="blk"))
    assert len(local) == 4
    parts = write_parts(tmp_path / "many.log", HDFS, 7)
    assert sessions_of(load_logs(parts, log_format="hdfs", sessions="blk")) == local
    assert sessions_of(load_logs(f"file://{parts}", log_format="hdfs", sessions="blk")) == local
    memory = fsspec.filesystem("memory")
    for part in members(parts):
        memory.pipe(f"/synthlog-test/many.log/{part.name}", part.read_bytes())
    try:
        for url in ("memory://synthlog-test/many.log", "memory://synthlog-test/many.log/part-*"):
            assert sessions_of(load_logs(url, log_format="hdfs", sessions="blk")) == local
        with pytest.raises(InputError, match="no such file"), local_input("memory://synthlog-test/absent.log"):
            pass
    finally:
        memory.rm("/synthlog-test", recursive=True)


def test_a_generated_data_set_in_parts_loads_like_the_one_file_run(mini, tmp_path, small_shards):  # noqa: F811
    StatsSynthesizer(mini).write(tmp_path / "one", duration="20s", seed=4)
    StatsSynthesizer(mini).write(tmp_path / "parts", duration="20s", seed=4, shard_lines=1000)
    one, parts = load_dataset(tmp_path / "one"), load_dataset(tmp_path / "parts")
    assert len(one.sessions) > 10
    assert sessions_of(parts) == sessions_of(one)
    assert [s.label for s in parts.sessions] == [s.label for s in one.sessions]
    structured = tmp_path / "parts" / "mini.log_structured.csv"
    assert [e.content for e in read_structured(structured)] == \
        [e.content for e in read_structured(tmp_path / "one" / "mini.log_structured.csv")]


def test_a_parquet_data_set_in_parts_loads_member_by_member(tmp_path):
    from synthlog.io.parquet import write_parquet

    events = load_logs_sessions(tmp_path)
    write_parquet(tmp_path / "one" / "x.parquet", events)
    write_parquet(tmp_path / "parts" / "x.parquet" / "part-00000.parquet", events[:2])
    write_parquet(tmp_path / "parts" / "x.parquet" / "part-00001.parquet", events[2:])
    one = sessions_of(load_dataset(tmp_path / "one"))
    assert len(one) == 4
    assert sessions_of(load_dataset(tmp_path / "parts")) == one
    assert sessions_of(load_dataset(tmp_path / "parts" / "x.parquet")) == one


def load_logs_sessions(tmp_path: Path):
    (tmp_path / "raw.log").write_text("\n".join(HDFS) + "\n")
    return load_logs(tmp_path / "raw.log", log_format="hdfs", sessions="blk").sessions


def test_parts_past_99999_follow_in_number_order(tmp_path):
    folder = tmp_path / "x.log"
    folder.mkdir()
    for number in (100000, 99999, 2):
        (folder / f"part-{number:05d}.log").write_text(f"line {number}\n")
    assert [text for _, text in iter_lines(folder)] == ["line 2", "line 99999", "line 100000"]
    assert [text for _, text in iter_lines(folder / "part-*")] == ["line 2", "line 99999", "line 100000"]
