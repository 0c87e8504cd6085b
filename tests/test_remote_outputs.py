"""fsspec URLs as outputs: memory:// and file:// folders get the same files as a local folder, under the same
output rule (new, empty or ours; a failed run changes nothing); only the sink schemes are streams."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from blockstore import RECIPE
from synthlog.errors import InputError
from synthlog.io.atomic import MANIFEST, atomic_directory
from synthlog.io.sinks import is_stream_target
from synthlog.stats.simulate import StatsSynthesizer
from synthlog.stats.specfile import load_spec
from synthlog.synth.generate import CodeGenConfig, CodeSynthesizer

fsspec = pytest.importorskip("fsspec")
ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "examples" / "specs" / "payment.yaml"


@pytest.fixture
def memory_folder():
    """A fresh memory:// folder (the memory file system is shared by the whole process), removed afterwards."""
    root = f"/synthlog-test-{uuid.uuid4().hex[:8]}"
    yield f"memory://{root}", root
    fs = fsspec.filesystem("memory")
    if fs.exists(root):
        fs.rm(root, recursive=True)


def local_files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def memory_files(root: str) -> dict[str, bytes]:
    fs = fsspec.filesystem("memory")
    return {path[len(root) + 1:]: fs.cat_file(path) for path in sorted(fs.find(root))}


@pytest.mark.parametrize("target", ["-", "syslog://h:514", "SYSLOG+TCP://h:1", "syslog+udp://h:1", "otlp+http://h:4318"])
def test_sink_schemes_are_streams(target):
    assert is_stream_target(target)


@pytest.mark.parametrize("target", ["memory://runs/a", "file:///tmp/x", "s3://bucket/run", "out", "./a://b"])
def test_storage_urls_and_paths_are_folders(target):
    assert not is_stream_target(target)


def test_a_memory_folder_gets_the_local_folders_files_parts_included(memory_folder, tmp_path):
    url, root = memory_folder
    options = {"duration": "4s", "seed": 2, "formats": ("jsonl", "raw", "csv", "parquet"), "shard_lines": 5000}
    here = StatsSynthesizer(load_spec(SPEC)).write(tmp_path / "local", **options)
    there = StatsSynthesizer(load_spec(SPEC)).write(url, **options)
    local, remote = local_files(tmp_path / "local"), memory_files(root)
    assert "payment.parquet/part-00000.parquet" in remote and "payment.sequences" in remote
    assert remote == local  # the manifest too: no staging name is left in it or beside it
    # the summary names the URL's files as URLs (a Path would fold "memory://" to "memory:/")
    assert there.out_dir == url and there.files == tuple(f"{url}/{f.name}" for f in here.files)
    assert all(fsspec.filesystem("memory").exists(f) for f in there.files)
    via_file = StatsSynthesizer(load_spec(SPEC)).write(f"file://{tmp_path / 'viafile'}", duration="1s", seed=2)
    assert via_file.out_dir == tmp_path / "viafile" and all(f.exists() for f in via_file.files)


def test_a_rerun_into_a_memory_folder_replaces_what_it_wrote_and_keeps_the_rule(memory_folder):
    url, root = memory_folder
    StatsSynthesizer(load_spec(SPEC)).write(url, duration="2s", seed=2)
    StatsSynthesizer(load_spec(SPEC)).write(url, duration="2s", seed=2, formats=("jsonl",))
    names = set(memory_files(root))
    assert "payment.log" not in names and "payment.jsonl" in names
    assert json.loads(memory_files(root)[MANIFEST])["files"] == sorted(names - {MANIFEST})
    fsspec.filesystem("memory").pipe_file(f"{root}-foreign/notes.txt", b"mine")
    try:
        with pytest.raises(InputError, match="holds files this tool did not write"):
            StatsSynthesizer(load_spec(SPEC)).write(f"{url}-foreign", duration="1s", seed=2)
        assert memory_files(f"{root}-foreign") == {"notes.txt": b"mine"}
    finally:
        fsspec.filesystem("memory").rm(f"{root}-foreign", recursive=True)


def test_a_failed_run_leaves_the_memory_folder_as_it_was(memory_folder):
    url, root = memory_folder
    StatsSynthesizer(load_spec(SPEC)).write(url, duration="1s", seed=2)
    before = memory_files(root)
    with pytest.raises(RuntimeError), atomic_directory(url) as stage:
        (stage / "payment.log").write_text("half")
        raise RuntimeError("stopped")
    assert memory_files(root) == before


def test_generate_code_writes_to_memory_and_file_urls(memory_folder, tmp_path, graph):
    url, root = memory_folder
    synth = CodeSynthesizer(CodeGenConfig(recipe=RECIPE)).fit(graph)
    synth.write(tmp_path / "local", 40, seed=1)
    synth.write(url, 40, seed=1)
    assert memory_files(root) == local_files(tmp_path / "local")
    done = subprocess.run([sys.executable, "-m", "synthlog", "--quiet", "generate", "code", "examples/blockstore/src",
                           "--recipe", "examples/blockstore/recipe.yaml", "-n", "40", "--seed", "1",
                           "--out", f"file://{tmp_path / 'viafile'}"], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert done.returncode == 0, done.stderr
    assert local_files(tmp_path / "viafile") == local_files(tmp_path / "local")
