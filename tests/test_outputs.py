"""The output rule: a folder of outputs is new, empty or this tool's own (its manifest); nothing else is replaced
or deleted without --force; sets of files are committed together; interrupted runs leave nothing behind."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from synthlog.errors import InputError
from synthlog.io.atomic import MANIFEST, atomic_directory, atomic_files
from synthlog.io.parsed import parse_log

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
HDFS_SPEC = """\
name: HDFS
start: 2026-01-01T00:00:00Z
services:
  - name: dn
    rate: 50
    flow: [recv]
    messages:
      - {id: recv, template: "Receiving block <b>", params: {b: {kind: session}}}
"""


def cli(*args):
    return subprocess.run([sys.executable, "-m", "synthlog", *args], capture_output=True, text=True)


def _real_data_set(folder: Path) -> dict[str, bytes]:
    folder.mkdir()
    files = {"HDFS.log": b"081109 203615 148 INFO dfs.DataNode$PacketResponder: real line\n",
             "anomaly_label.csv": b"BlockId,Label\nblk_1,Anomaly\n"}
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return files


def _contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_generate_stats_refuses_a_folder_holding_a_real_data_set_of_the_same_name(tmp_path):
    spec = tmp_path / "HDFS.yaml"
    spec.write_text(HDFS_SPEC)
    real = tmp_path / "real"
    files = _real_data_set(real)
    run = cli("generate", "stats", str(spec), "--lines", "200", "--out", str(real))
    assert run.returncode == 2
    assert run.stderr.splitlines() == [f"error: {real}: holds files this tool did not write (HDFS.log, "
                                       "anomaly_label.csv); write into a new or empty folder, or pass --force to "
                                       "replace same-named files (no other file is deleted)"]
    assert _contents(real) == files  # nothing deleted, replaced or added


def test_force_replaces_same_named_files_and_deletes_nothing_else(tmp_path):
    spec = tmp_path / "HDFS.yaml"
    spec.write_text(HDFS_SPEC)
    real = tmp_path / "real"
    _real_data_set(real)
    (real / "notes.txt").write_text("mine")
    run = cli("--force", "generate", "stats", str(spec), "--lines", "200", "--formats", "jsonl", "--out", str(real))
    assert run.returncode == 0, run.stderr
    assert (real / "notes.txt").read_text() == "mine"
    assert (real / "HDFS.log").read_bytes().endswith(b"real line\n")  # not written by this run: kept
    assert "blk_1,Anomaly" not in (real / "anomaly_label.csv").read_text()  # written by this run: replaced
    manifest = json.loads((real / MANIFEST).read_text())
    assert manifest["files"] == ["HDFS.jsonl", "HDFS.log_templates.csv", "HDFS.metadata.json", "HDFS.sequences",
                                 "anomaly_label.csv"]


def test_parse_and_generate_code_refuse_foreign_folders_too(tmp_path):
    real = tmp_path / "real"
    files = _real_data_set(real)
    with pytest.raises(InputError, match="holds files this tool did not write"):
        parse_log(EXAMPLES / "logs" / "blockstore.log", "hdfs", real, sessions="blk")
    run = cli("generate", "code", str(EXAMPLES / "blockstore" / "src"), "--entry", "auto", "-n", "5",
              "--out", str(real))
    assert run.returncode == 2 and "holds files this tool did not write" in run.stderr
    assert _contents(real) == files


def test_a_rerun_into_its_own_folder_replaces_its_files_and_keeps_the_users(tmp_path):
    out = tmp_path / "out"
    with atomic_directory(out) as stage:
        (stage / "a.csv").write_text("first")
        (stage / "b.csv").write_text("first")
    (out / "README.md").write_text("my notes")
    with atomic_directory(out) as stage:
        (stage / "a.csv").write_text("second")
    assert _contents(out) == {"a.csv": b"second", "README.md": b"my notes", MANIFEST: (out / MANIFEST).read_bytes()}
    assert json.loads((out / MANIFEST).read_text())["files"] == ["a.csv"]
    with pytest.raises(InputError, match=r"would replace files this tool did not write \(README.md\)"), \
            atomic_directory(out) as stage:
        (stage / "README.md").write_text("overwritten")
    assert (out / "README.md").read_text() == "my notes" and (out / "a.csv").read_text() == "second"


def test_a_failed_set_of_files_leaves_none_of_them(tmp_path):
    (tmp_path / "paths.jsonl").write_text("old")
    with pytest.raises(RuntimeError), atomic_files() as files:
        with files.open(tmp_path / "paths.jsonl") as fh:
            fh.write("new")
        with files.open(tmp_path / "paths.summary.json") as fh:
            fh.write("{")
            raise RuntimeError("died half-way")
    assert _contents(tmp_path) == {"paths.jsonl": b"old"}


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_the_next_run_removes_stale_staging_of_a_killed_run_and_says_so(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    pid = _dead_pid()
    stale = out / f".synthlog-staging.{pid}.k9x1"
    stale.mkdir()
    (stale / "payment.log").write_bytes(b"x" * 1000)
    (out / f".payment.jsonl.{pid}.abcd1234.tmp").write_bytes(b"x")
    live = out / f".synthlog-staging.{os.getpid()}.live"  # a run still going: left alone
    live.mkdir()
    run = cli("generate", "stats", str(EXAMPLES / "specs" / "payment.yaml"), "--lines", "50", "--out", str(out))
    assert run.returncode == 0, run.stderr
    assert f"removed 2 stale temporary file(s) of an interrupted run in {out}" in run.stderr
    assert not stale.exists() and live.exists()
    assert not any(p.name.endswith(".tmp") for p in out.iterdir())


def test_sigterm_stops_a_run_cleanly_like_ctrl_c(tmp_path):
    out = tmp_path / "out"
    run = subprocess.Popen([sys.executable, "-m", "synthlog", "generate", "stats",
                            str(EXAMPLES / "specs" / "payment.yaml"), "--lines", "100000000", "--out", str(out)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (out.exists() and any(out.iterdir())) and time.monotonic() < deadline:
        time.sleep(0.05)
    run.send_signal(signal.SIGTERM)
    _, err = run.communicate(timeout=60)
    assert run.returncode == 130
    assert "interrupted: nothing half-written was left behind" in err and "Traceback" not in err
    assert not out.exists()  # the staging folder went, and the folder the run created with it


def test_an_os_error_names_the_users_file_not_a_temporary_one(tmp_path):
    taken = tmp_path / "spec.yaml"
    taken.mkdir()  # the output name is a folder: the final rename fails
    run = cli("profile", str(EXAMPLES / "logs" / "blockstore.log"), "--format", "hdfs", "--out", str(taken))
    assert run.returncode == 2
    assert run.stderr.splitlines() == [f"error: {taken}: cannot write: Is a directory"]


def test_a_single_output_removes_its_own_stale_temporaries_only(tmp_path):
    pid = _dead_pid()
    mine = tmp_path / f".spec.yaml.{pid}.abcd1234.tmp"
    other = tmp_path / f".other.csv.{pid}.abcd1234.tmp"
    for path in (mine, other):
        path.write_text("left by kill -9")
    run = cli("profile", str(EXAMPLES / "logs" / "blockstore.log"), "--format", "hdfs", "--labels",
              str(EXAMPLES / "logs" / "blockstore_labels.csv"), "--out", str(tmp_path / "spec.yaml"))
    assert run.returncode == 0, run.stderr
    assert not mine.exists() and other.exists()
    assert f"removed 1 stale temporary file(s) of an interrupted run in {tmp_path}: {mine.name}" in run.stderr
