"""generate stats --shard-lines: folders of part files written by the workers, listed in the output manifest; the
parts concatenated are the one-file run (when parts are runs of the simulator's own shards)."""

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from synthlog.errors import InputError
from synthlog.io.atomic import MANIFEST
from synthlog.stats.compiled import US, CompiledSpec
from synthlog.stats.parts import part_plan
from synthlog.stats.shards import BYTES_PER_LINE, check_memory, shard_span
from synthlog.stats.simulate import StatsSynthesizer
from test_simulate import FILES, mini, small_shards  # noqa: F401  (fixtures)

LINE_FILES = FILES[:3]  # mini.jsonl, mini.log, mini.log_structured.csv


def whole(folder: Path, name: str) -> bytes:
    """A file of a one-file run, or the parts of a part run joined (one CSV header)."""
    path = folder / name
    if path.is_file():
        return path.read_bytes()
    parts = [p.read_bytes() for p in sorted(path.iterdir())]
    if name.endswith(".csv"):
        parts = parts[:1] + [p.split(b"\n", 1)[1] for p in parts[1:]]
    return b"".join(parts)


def everything(folder: Path) -> dict[str, bytes]:
    return {name: whole(folder, name) for name in (*FILES, "window_label.csv") if (folder / name).exists()}


@pytest.mark.parametrize("shard_lines", [1000, 2500])
def test_parts_joined_are_the_one_file_run(mini, tmp_path, small_shards, shard_lines):  # noqa: F811
    options = {"duration": "40s", "seed": 7, "label_window": "5s"}
    StatsSynthesizer(mini).write(tmp_path / "one", **options)
    StatsSynthesizer(mini).write(tmp_path / "parts", shard_lines=shard_lines, **options)
    parts = sorted(p.name for p in (tmp_path / "parts" / "mini.log").iterdir())
    assert len(parts) >= 3 and parts[0] == "part-00000.log"
    assert everything(tmp_path / "parts") == everything(tmp_path / "one")


def test_a_line_count_cuts_the_last_part(mini, tmp_path, small_shards):  # noqa: F811
    StatsSynthesizer(mini).write(tmp_path / "one", n_lines=3500, seed=7)
    StatsSynthesizer(mini).write(tmp_path / "parts", n_lines=3500, seed=7, shard_lines=1000)
    assert everything(tmp_path / "parts") == everything(tmp_path / "one")
    assert not any(p.name.startswith(".pending") for p in (tmp_path / "parts").iterdir())


def test_the_manifest_lists_every_part_with_its_lines_hash_and_time_range(mini, tmp_path, small_shards):  # noqa: F811
    summary = StatsSynthesizer(mini).write(tmp_path / "out", duration="30s", seed=3, shard_lines=1000)
    manifest = json.loads((tmp_path / "out" / MANIFEST).read_text())
    assert set(manifest["files"]) >= set(FILES)
    assert set(manifest["parts"]) == set(LINE_FILES)
    for output, parts in manifest["parts"].items():
        folder = tmp_path / "out" / output
        assert [p["name"] for p in parts] == sorted(p.name for p in folder.iterdir())
        assert sum(p["lines"] for p in parts) == summary.lines
        for part in parts:
            data = (folder / part["name"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == part["sha256"]
            assert data.count(b"\n") == part["lines"] + output.endswith(".csv")
        # consecutive time ranges: each part starts at or after the previous one's last line
        assert all(a["first"] <= a["last"] <= b["first"] for a, b in zip(parts, parts[1:], strict=False))


def test_parts_of_many_shards_group_whole_shards(mini, small_shards):  # noqa: F811
    planned = list(part_plan(CompiledSpec(mini), 40_000_000, 4000))
    shards = [s for _, group in planned for s in group]
    assert [index for index, _, _ in shards] == list(range(len(shards)))
    assert len(planned) < len(shards) and all(len(group) == len(planned[0][1]) for _, group in planned[:-1])


def test_parts_to_a_stream_are_refused_in_one_line(tmp_path):
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-m", "synthlog", "generate", "stats", "examples/specs/payment.yaml",
                           "--duration", "1s", "--out", "-", "--shard-lines", "10"], capture_output=True, text=True,
                          cwd=root)
    assert done.returncode != 0 and done.stdout == ""
    assert done.stderr.strip().splitlines() == ["error: --shard-lines: part files go into a folder, not to a stream"]


def test_the_memory_check_leaves_out_the_drivers_look_ahead_when_workers_write_parts(mini):  # noqa: F811
    compiled = CompiledSpec(mini)
    shard = compiled.expected_lines_per_second() * shard_span(compiled) / US * BYTES_PER_LINE
    budget = int(shard * 8)  # 4 workers' shards fit, their shards plus the driver's 2 results each do not
    check_memory(compiled, 4, budget, parts=True)
    with pytest.raises(InputError, match="with 4 worker"):
        check_memory(compiled, 4, budget)
