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
LOG, LABELS = EXAMPLES / "blockstore.log", EXAMPLES / "blockstore_labels.csv"


def one_pass(options: ProfileOptions) -> tuple[str, dict]:
    spec, summary = profile_dataset(load_logs(LOG, log_format="hdfs", labels=LABELS), name="bs", options=options)
    return dump_spec(spec), asdict(summary)


def in_parts(tmp_path: Path, options: ProfileOptions, chunk_bytes: int, part_lines: int) -> tuple[str, dict]:
    spec, summary = profile_log(LOG, get_format("hdfs"), "hdfs", HDFS_BLOCK, read_labels(LABELS), options,
                                InProcess(), "bs", tmp_path, chunk_bytes, part_lines)
    assert not list(tmp_path.iterdir())  # the spill folder is gone
    return dump_spec(spec), asdict(summary)


@pytest.fixture(scope="module")
def exact() -> tuple[str, dict]:
    return one_pass(ProfileOptions())


def _chunks_of_blocks(chunk_bytes: int) -> dict[str, set[int]]:
    """Block id -> the chunks its lines are in."""
    data = LOG.read_bytes()
    found: dict[str, set[int]] = {}
    for index, (start, end) in enumerate(chunk_ranges(LOG, chunk_bytes)):
        for block in re.findall(rb"blk_-?\d+", data[start:end]):
            found.setdefault(block.decode(), set()).add(index)
    return found


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(chunk_bytes=st.integers(300, 30_000), part_lines=st.integers(1, 300))
def test_any_chunks_and_parts_give_the_spec_of_one_pass(tmp_path_factory, exact, chunk_bytes, part_lines):
    # the log has sessions spanning chunks and lines naming two blocks (both sessions must count them once)
    assert any(len(chunks) > 1 for chunks in _chunks_of_blocks(chunk_bytes).values())
    assert any(len(set(re.findall(HDFS_BLOCK, line))) > 1 for line in LOG.read_text().splitlines())
    assert in_parts(tmp_path_factory.mktemp("spill"), ProfileOptions(), chunk_bytes, part_lines) == exact


def test_with_epsilon_parts_draw_the_noise_of_one_pass(tmp_path):
    options = ProfileOptions(epsilon=1.0, seed=3, max_session_lines=8)
    assert in_parts(tmp_path, options, 2_000, 40) == one_pass(options)


def test_chunks_cover_the_file_and_end_at_line_ends():
    data = LOG.read_bytes()
    for size in (1, 100, 4_096, len(data), 10 * len(data)):
        ranges = chunk_ranges(LOG, size)
        assert ranges[0][0] == 0 and ranges[-1][1] == len(data)
        assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:], strict=False))
        assert all(data[end - 1:end] == b"\n" for _, end in ranges[:-1])
