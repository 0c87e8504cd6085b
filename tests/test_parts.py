"""--shard-lines: folders of part files of every format, listed in the output manifest. generate stats: written by
the workers, the parts concatenated are the one-file run (when parts are runs of the simulator's own shards);
generate code: parts of N lines consecutive in time, concatenated the one-file run."""

import hashlib
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from blockstore import RECIPE, SRC
from synthlog.errors import InputError
from synthlog.io.atomic import MANIFEST
from synthlog.stats.compiled import US, CompiledSpec
from synthlog.stats.parts import part_plan
from synthlog.stats.shards import BYTES_PER_LINE, check_memory, shard_span
from synthlog.stats.simulate import StatsSynthesizer
from synthlog.synth.generate import CodeGenConfig, CodeSynthesizer, generate_code
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


def _parquet_parts(folder: Path) -> pa.Table:
    tables = [pq.read_table(p) for p in sorted(folder.iterdir())]
    polars_rows = sum(pl.read_parquet(p).height for p in sorted(folder.iterdir()))
    joined = pa.concat_tables(tables)
    assert polars_rows == joined.num_rows
    assert joined.schema.field("timestamp").type == pa.timestamp("us", tz="UTC")
    return joined


def _otel_records(folder_or_file: Path) -> list[dict]:
    files = sorted(folder_or_file.iterdir()) if folder_or_file.is_dir() else [folder_or_file]
    return [record for path in files for line in path.read_text(encoding="utf-8").splitlines()
            for resource in json.loads(line)["resourceLogs"] for scope in resource["scopeLogs"]
            for record in scope["logRecords"]]


def _by_time(records: list[dict]) -> list[dict]:
    # an otel line groups its records by service: order within a line is by resource, so compare sorted
    return sorted(records, key=lambda r: (r["timeUnixNano"], json.dumps(r, sort_keys=True)))


def test_parquet_and_otel_parts_hold_the_one_file_runs_events(mini, tmp_path, small_shards):  # noqa: F811
    options = {"duration": "30s", "seed": 4, "formats": ("jsonl", "parquet", "otel")}
    StatsSynthesizer(mini).write(tmp_path / "one", **options)
    summary = StatsSynthesizer(mini).write(tmp_path / "parts", shard_lines=1000, **options)
    assert len(list((tmp_path / "parts" / "mini.parquet").iterdir())) >= 3
    assert _parquet_parts(tmp_path / "parts" / "mini.parquet").equals(pq.read_table(tmp_path / "one" / "mini.parquet"))
    parted = _otel_records(tmp_path / "parts" / "mini.otel.json")
    assert len(parted) == summary.lines
    assert _by_time(parted) == _by_time(_otel_records(tmp_path / "one" / "mini.otel.json"))
    manifest = json.loads((tmp_path / "parts" / MANIFEST).read_text())
    assert set(manifest["parts"]) == {"mini.jsonl", "mini.parquet", "mini.otel.json"}
    counts = {output: [p["lines"] for p in listed] for output, listed in manifest["parts"].items()}
    assert counts["mini.parquet"] == counts["mini.otel.json"] == counts["mini.jsonl"]


@pytest.fixture(scope="module")
def code_runs(graph, tmp_path_factory):
    """The example block store's 120 sessions written once as files and once as parts of 700 lines."""
    out = tmp_path_factory.mktemp("code")
    synth = CodeSynthesizer(CodeGenConfig(recipe=RECIPE)).fit(graph)
    synth.write(out / "one", 120, seed=2, formats=("parquet", "otel"))
    summary = synth.write(out / "parts", 120, seed=2, formats=("parquet", "otel"), shard_lines=700)
    return out / "one", out / "parts", summary


def test_code_parts_joined_are_the_one_file_run(code_runs):
    one, parts, summary = code_runs
    name = "blockstore"
    for file in (f"{name}.jsonl", f"{name}.log", f"{name}.log_structured.csv"):
        assert len(list((parts / file).iterdir())) >= 3
        assert whole(parts, file) == (one / file).read_bytes()
    for file in ("anomaly_label.csv", f"{name}.sequences", f"{name}.log_templates.csv", f"{name}.metadata.json"):
        assert (parts / file).read_bytes() == (one / file).read_bytes()
    assert _parquet_parts(parts / f"{name}.parquet").equals(pq.read_table(one / f"{name}.parquet"))
    assert _by_time(_otel_records(parts / f"{name}.otel.json")) == _by_time(_otel_records(one / f"{name}.otel.json"))
    assert summary["files"]["raw"] == f"{name}.log"


def test_code_parts_are_listed_with_lines_hash_and_consecutive_time_ranges(code_runs):
    _, parts, summary = code_runs
    manifest = json.loads((parts / MANIFEST).read_text())
    assert set(manifest["parts"]) == {f"blockstore.{ext}" for ext in ("jsonl", "log", "log_structured.csv",
                                                                     "parquet", "otel.json")}
    times = [json.loads(line)["timestamp"] for p in sorted((parts / "blockstore.jsonl").iterdir())
             for line in p.read_text().splitlines()]
    for output, listed in manifest["parts"].items():
        folder = parts / output
        assert [p["name"] for p in listed] == sorted(p.name for p in folder.iterdir())
        assert [p["lines"] for p in listed[:-1]] == [700] * (len(listed) - 1)
        assert sum(p["lines"] for p in listed) == summary["lines"] == len(times)
        for part in listed:
            assert hashlib.sha256((folder / part["name"]).read_bytes()).hexdigest() == part["sha256"]
        assert all(a["first"] <= a["last"] <= b["first"] for a, b in zip(listed, listed[1:], strict=False))
        first = datetime.fromisoformat(listed[0]["first"]).timestamp()
        assert abs(first - times[0]) < 1e-6 and listed[-1]["last"] >= listed[-1]["first"]


def test_code_parts_to_a_stream_are_refused(graph):
    with pytest.raises(InputError, match="not to a stream"):
        generate_code(SRC, "-", 5, 1, CodeGenConfig(recipe=RECIPE), shard_lines=10)
