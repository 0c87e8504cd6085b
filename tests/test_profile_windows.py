"""`profile` of a raw log cut into windows, in chunks and parts (stats/profilewindows.py), and with line labels:
the spec and summary of one pass over it."""

import re
from dataclasses import asdict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synthlog.errors import InputError
from synthlog.execute import InProcess
from synthlog.io.logformat import get_format
from synthlog.io.loghub import read_labels
from synthlog.parse.sessions import HDFS_BLOCK
from synthlog.stats.profile import ProfileOptions, _profile_in_parts, load_logs, profile_dataset, profile_to_file
from synthlog.stats.profilewindows import profile_windows
from synthlog.stats.specfile import dump_spec

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "logs"


@pytest.fixture(scope="module")
def logs(tmp_path_factory) -> dict[str, Path]:
    """The blockstore example with every 7th line's time set to that of the line 12 before (windows out of line
    order: a window's lines are spread over chunks, some before window 0), the same without block ids (no entity
    id: the guessed cut is time windows), and a label file naming some windows anomalous."""
    folder = tmp_path_factory.mktemp("logs")
    lines = (EXAMPLES / "blockstore.log").read_text().splitlines()
    late = []
    for i, line in enumerate(lines):
        date, _, rest = line.split(" ", 2)
        time = lines[i - 12].split(" ", 2)[1] if i % 7 == 0 and i >= 12 else line.split(" ", 2)[1]
        late.append(f"{date} {time} {rest}")
    (folder / "late.log").write_text("\n".join(late) + "\n")
    (folder / "noid.log").write_text("\n".join(re.sub(HDFS_BLOCK, "block", line) for line in lines) + "\n")
    (folder / "labels.csv").write_text("BlockId,Label\n" + "".join(f"win_{i:07d},{'Anomaly' if i % 4 else 'Normal'}\n"
                                                                   for i in range(0, 300, 3)))
    return {"late": folder / "late.log", "noid": folder / "noid.log", "labels": folder / "labels.csv"}


def one_pass(log: Path, sessions: str | None, options: ProfileOptions, labels: Path | None = None,
             line_labels: str | None = None) -> tuple[str, dict]:
    dataset = load_logs(log, log_format="hdfs", labels=labels, sessions=sessions, line_labels=line_labels)
    spec, summary = profile_dataset(dataset, name="bs", options=options)
    return dump_spec(spec), asdict(summary)


def in_parts(log: Path, sessions: str | None, options: ProfileOptions, spill: Path, chunk_bytes: int, part_lines: int,
             labels: Path | None = None, line_labels: str | None = None) -> tuple[str, dict]:
    spec, summary = profile_windows(log, get_format("hdfs"), "hdfs", sessions, None if labels is None else
                                    read_labels(labels), options, InProcess(), "bs", spill, chunk_bytes, part_lines,
                                    line_labels)
    assert not list(spill.iterdir())  # the spill folder is gone
    return dump_spec(spec), asdict(summary)


@pytest.fixture(scope="module")
def labelled_windows(logs) -> tuple[str, dict]:
    exact = one_pass(logs["late"], "window:3", ProfileOptions(), logs["labels"])
    assert exact[1]["anomalous_sessions"] > 0
    return exact


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(chunk_bytes=st.integers(1_000, 30_000), part_lines=st.integers(5, 200))
def test_time_windows_in_any_chunks_and_parts_give_the_spec_of_one_pass(tmp_path_factory, logs, labelled_windows,
                                                                        chunk_bytes, part_lines):
    assert in_parts(logs["late"], "window:3", ProfileOptions(), tmp_path_factory.mktemp("spill"), chunk_bytes,
                    part_lines, logs["labels"]) == labelled_windows


@pytest.mark.parametrize(("sessions", "options"), [
    ("window:5", ProfileOptions(epsilon=1.0, seed=3, max_session_lines=4)),
    ("sliding:7,3", ProfileOptions()),  # overlapping windows: a line is counted in its first window only
    ("sliding:7,3", ProfileOptions(epsilon=1.0, seed=3, max_session_lines=4)),  # ...of its first 4 lines
    ("sliding:3,7", ProfileOptions()),  # lines between windows belong to none
])
def test_windows_in_parts_give_the_spec_of_one_pass(logs, tmp_path, sessions, options):
    exact = one_pass(logs["late"], sessions, options)
    for chunk_bytes, part_lines in ((1_500, 3), (9_000, 60)):
        assert in_parts(logs["late"], sessions, options, tmp_path, chunk_bytes, part_lines) == exact


def test_the_guessed_window_cut_is_guessed_as_one_pass_guesses_it(logs, tmp_path):
    exact = one_pass(logs["noid"], None, ProfileOptions())
    assert exact[1]["session_spec"]["spec"].startswith("window:")
    assert in_parts(logs["noid"], None, ProfileOptions(), tmp_path, 2_000, 30) == exact


@pytest.mark.parametrize("sessions", ["window:5", "blk"])
def test_line_labels_in_parts_label_sessions_as_one_pass(logs, tmp_path, sessions):
    found = _profile_in_parts(logs["late"], tmp_path / "bs.yaml", "hdfs", None, None, sessions, "Level:INFO",
                              ProfileOptions(), (1, None), 3_000, 50)
    assert found is not None  # profiled in parts, not handed to one pass
    exact = one_pass(logs["late"], sessions, ProfileOptions(), line_labels="Level:INFO")
    assert exact[1]["anomalous_sessions"] > 0
    assert (dump_spec(found[0]), asdict(found[1])) == exact


@pytest.mark.parametrize(("log_format", "line_labels"), [
    ("<A> <B> <Pid> <Level> <Component>: <Content>", None),  # no time header: time windows refused at line 1
    ("hdfs", "Nope:-"),  # no such header to label lines from
])
def test_refusals_in_parts_are_those_of_one_pass(logs, tmp_path, log_format, line_labels):
    errors = []
    for chunks in (True, False):
        with pytest.raises(InputError) as caught:
            if chunks:
                profile_to_file(logs["late"], tmp_path / "bs.yaml", log_format=log_format, sessions="window:5",
                                line_labels=line_labels, chunk_bytes=2_000, part_lines=40)
            else:
                load_logs(logs["late"], log_format=log_format, sessions="window:5", line_labels=line_labels)
        errors.append(str(caught.value))
    assert errors[0] == errors[1]
    assert re.search(r":1: |line 1 ", errors[0])  # the first line named
    assert not list(tmp_path.iterdir())  # nothing written, no spill folder left


@pytest.mark.parametrize("sessions", ["window:5", "blk"])
def test_a_folder_of_parts_and_a_glob_are_read_chunk_by_chunk(logs, tmp_path, sessions):
    lines = logs["late"].read_text().splitlines(keepends=True)
    folder = tmp_path / "late.log"
    folder.mkdir()
    cuts = [0, 150, 151, 151, 400, len(lines)]  # an empty part, a part of one line, the last without a line end
    for i, (a, b) in enumerate(zip(cuts, cuts[1:], strict=False)):
        (folder / f"part-{i:05d}.log").write_text("".join(lines[a:b]).rstrip("\n") if i == 4 else "".join(lines[a:b]))
    for source in (folder, tmp_path / "late.log" / "part-*.log"):
        found = _profile_in_parts(source, tmp_path / "out" / "bs.yaml", "hdfs", None, None, sessions, None,
                                  ProfileOptions(), (1, None), 2_500, 40)
        assert found is not None  # profiled in chunks, not handed to one pass
        dataset = load_logs(source, log_format="hdfs", sessions=sessions)
        exact = profile_dataset(dataset, name="bs")
        assert (dump_spec(found[0]), asdict(found[1])) == (dump_spec(exact[0]), asdict(exact[1]))


def test_a_line_that_is_no_utf8_is_named_by_its_line_in_the_whole_log(logs, tmp_path):
    lines = logs["late"].read_bytes().splitlines(keepends=True)
    lines[299] = lines[299].replace(b"INFO", b"INF\xff")
    log = tmp_path / "bad.log"
    log.write_bytes(b"".join(lines))
    with pytest.raises(InputError, match=r"bad\.log:300: not valid UTF-8"):  # in a chunk after the first
        profile_to_file(log, tmp_path / "bs.yaml", log_format="hdfs", sessions="blk", chunk_bytes=2_000)
