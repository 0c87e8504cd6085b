"""`profile` of a raw log in chunks and parts (stats/profilescan.py) gives the spec of one pass over it."""

import re
from dataclasses import asdict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synthlog.execute import InProcess
from synthlog.io.logformat import get_format
from synthlog.io.loghub import read_labels
from synthlog.parse.sessions import HDFS_BLOCK
from synthlog.stats.profile import ProfileOptions, load_logs, profile_dataset
from synthlog.stats.profilescan import chunk_ranges, profile_log
from synthlog.stats.specfile import dump_spec

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "logs"
LABELS = EXAMPLES / "blockstore_labels.csv"


@pytest.fixture(scope="module")
def log(tmp_path_factory) -> Path:
    """The blockstore example with, every 30 lines, a line naming its block and the block of a line 150 lines on
    (sessions joined across chunks and parts: each such line must count once, in the first of its sessions)."""
    lines = (EXAMPLES / "blockstore.log").read_text().splitlines()
    out = []
    for i, line in enumerate(lines):
        out.append(line)
        later = re.findall(HDFS_BLOCK, lines[(i + 150) % len(lines)])
        if i % 30 == 0 and later and later[0] not in line:
            header = line.split(": ", 1)[0].rsplit(" ", 1)[0]
            out.append(f"{header} blockstore.Store: Replicating {re.findall(HDFS_BLOCK, line)[0]} as {later[0]}")
    path = tmp_path_factory.mktemp("log") / "joined.log"
    path.write_text("\n".join(out) + "\n")
    return path


def one_pass(log: Path, options: ProfileOptions) -> tuple[str, dict]:
    dataset = load_logs(log, log_format="hdfs", labels=LABELS, sessions="blk")
    spec, summary = profile_dataset(dataset, name="bs", options=options)
    return dump_spec(spec), asdict(summary)


def in_parts(log: Path, tmp_path: Path, options: ProfileOptions, chunk_bytes: int,
             part_lines: int) -> tuple[str, dict]:
    spec, summary = profile_log(log, get_format("hdfs"), "hdfs", HDFS_BLOCK, read_labels(LABELS), options,
                                InProcess(), "bs", tmp_path, chunk_bytes, part_lines)
    assert not list(tmp_path.iterdir())  # the spill folder is gone
    return dump_spec(spec), asdict(summary)


@pytest.fixture(scope="module")
def exact(log) -> tuple[str, dict]:
    return one_pass(log, ProfileOptions())


def _chunks_of_blocks(log: Path, chunk_bytes: int) -> dict[str, set[int]]:
    """Block id -> the chunks its lines are in."""
    data = log.read_bytes()
    found: dict[str, set[int]] = {}
    for index, (start, end) in enumerate(chunk_ranges(log, chunk_bytes)):
        for block in re.findall(rb"blk_-?\d+", data[start:end]):
            found.setdefault(block.decode(), set()).add(index)
    return found


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(chunk_bytes=st.integers(300, 30_000), part_lines=st.integers(1, 300))
def test_any_chunks_and_parts_give_the_spec_of_one_pass(tmp_path_factory, log, exact, chunk_bytes, part_lines):
    assert any(len(chunks) > 1 for chunks in _chunks_of_blocks(log, chunk_bytes).values())
    assert in_parts(log, tmp_path_factory.mktemp("spill"), ProfileOptions(), chunk_bytes, part_lines) == exact


def test_lines_naming_two_sessions_are_released_and_counted_once(log, exact):
    spec, summary = exact
    assert "Replicating <p1> as <p2>" in spec  # in 5+ sessions: released, so the joined lines matter
    lines = log.read_text().splitlines()
    assert all(re.search(HDFS_BLOCK, line) for line in lines)
    assert summary["events"] == len(lines)  # each joined line counted once, though it sits in two sessions


def test_with_epsilon_parts_draw_the_noise_of_one_pass(log, tmp_path):
    options = ProfileOptions(epsilon=1.0, seed=3, max_session_lines=8)
    assert in_parts(log, tmp_path, options, 2_000, 40) == one_pass(log, options)


def test_chunks_cover_the_file_and_end_at_line_ends(log):
    data = log.read_bytes()
    for size in (1, 100, 4_096, len(data), 10 * len(data)):
        ranges = chunk_ranges(log, size)
        assert ranges[0][0] == 0 and ranges[-1][1] == len(data)
        assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:], strict=False))
        assert all(data[end - 1:end] == b"\n" for _, end in ranges[:-1])


def test_a_guessed_session_cut_is_guessed_as_one_pass_guesses_it(log, tmp_path):
    from synthlog.stats.profile import _profile_in_parts

    found = _profile_in_parts(log, tmp_path / "bs.yaml", "hdfs", LABELS, None, None, None, ProfileOptions(), (1, None),
                              4_000, 120)
    assert found is not None  # profiled in parts, not handed to one pass
    spec, summary = found
    one = profile_dataset(load_logs(log, log_format="hdfs", labels=LABELS), name="bs")
    assert summary.session_spec is not None and summary.session_spec == one[1].session_spec
    assert (dump_spec(spec), asdict(summary)) == (dump_spec(one[0]), asdict(one[1]))
