"""Scale-out on a real dask cluster: a `dask scheduler` and two `dask worker` processes started here, on
localhost; `generate stats`, `generate code` and `profile` write the same bytes in one process, on a LocalCluster
of 2 and against the external scheduler."""

import hashlib
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from synthlog.errors import InputError
from synthlog.execute import open_executor

distributed = pytest.importorskip("distributed")

ROOT = Path(__file__).resolve().parents[1]
DASK = Path(sys.executable).with_name("dask")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def scheduler():
    """The address of a scheduler with two single-threaded workers, each its own process; stopped afterwards."""
    if not DASK.exists():
        pytest.skip("the dask command-line tool is not installed beside this Python")
    address = f"tcp://127.0.0.1:{_free_port()}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
           "POLARS_MAX_THREADS": "1"}
    common = ["--no-dashboard", "--host", "127.0.0.1"]
    # --idle-timeout / --death-timeout: nothing outlives a test run that dies before its clean-up
    processes = [subprocess.Popen([str(DASK), "scheduler", "--port", address.rsplit(":", 1)[1], "--idle-timeout",
                                   "300s", *common], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        for name in ("w0", "w1"):
            processes.append(subprocess.Popen([str(DASK), "worker", address, "--name", name, "--nthreads", "1",
                                               "--no-nanny", "--death-timeout", "60", *common], env=env,
                                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        with distributed.Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=90)
            assert len(client.scheduler_info()["workers"]) == 2
        yield address
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _digests(folder: Path) -> dict[str, str]:
    """sha256 of every file, part files in folders included."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _run(*args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "synthlog", "--quiet", *args], capture_output=True, text=True,
                          cwd=ROOT)
    assert done.returncode == 0, done.stderr


def _same_bytes_everywhere(tmp_path: Path, scheduler: str, *command: str) -> dict[str, str]:
    runs = {"one": (), "local2": ("--workers", "2"), "external": ("--scheduler", scheduler)}
    for name, where in runs.items():
        _run(*command, "--out", str(tmp_path / name), *where)
    digests = {name: _digests(tmp_path / name) for name in runs}
    assert digests["one"] == digests["local2"] == digests["external"]
    return digests["one"]


def test_generate_stats_gives_the_same_bytes_on_any_executor(tmp_path, scheduler):
    files = _same_bytes_everywhere(tmp_path, scheduler, "generate", "stats", "examples/specs/payment.yaml",
                                   "--duration", "10s", "--seed", "5")
    assert {"payment.jsonl", "payment.log", "anomaly_label.csv"} <= set(files)


def test_stats_parts_written_by_the_workers_are_the_same_bytes_on_any_executor(tmp_path, scheduler):
    files = _same_bytes_everywhere(tmp_path, scheduler, "generate", "stats", "examples/specs/payment.yaml",
                                   "--duration", "8s", "--seed", "5", "--shard-lines", "3000",
                                   "--formats", "jsonl,raw,csv,parquet,otel")
    assert {"payment.log/part-00000.log", "payment.log/part-00007.log", "payment.parquet/part-00007.parquet",
            "payment.otel.json/part-00000.otel.json", ".synthlog-manifest.json"} <= set(files)


def test_generate_code_gives_the_same_bytes_on_any_executor(tmp_path, scheduler):
    # 700 sessions: a range of 500 and a short one; written as part files of every format (test_parts: their
    # line formats joined are the one files)
    files = _same_bytes_everywhere(tmp_path, scheduler, "generate", "code", "examples/blockstore/src", "--recipe",
                                   "examples/blockstore/recipe.yaml", "-n", "700", "--seed", "6",
                                   "--shard-lines", "5000", "--formats", "parquet,otel")
    assert {"blockstore.log/part-00000.log", "blockstore.parquet/part-00001.parquet", "anomaly_label.csv",
            "summary.json", ".synthlog-manifest.json"} <= set(files)


@pytest.mark.parametrize("sessions", [
    ("--labels", str(ROOT / "examples/logs/blockstore_labels.csv")),  # entity sessions (guessed: blocks)
    ("--sessions", "window:5", "--line-labels", "Level:INFO"),  # time windows, labelled by their lines
])
def test_profile_gives_the_same_spec_on_any_executor(tmp_path, scheduler, sessions):
    # chunks of 8 KB and parts of 100 lines: 8 scan and spill tasks, 5 part tasks a pass, sessions across chunks
    log = ROOT / "examples/logs/blockstore.log"
    runs = {"one": (), "local2": ("--workers", "2"), "external": ("--scheduler", scheduler)}
    for name, where in runs.items():
        folder = tmp_path / name
        _run("profile", str(log), "--format", "hdfs", *sessions, "--out", str(folder / "bs.yaml"),
             "--summary", str(folder / "summary.json"), "--chunk-bytes", "8000", "--part-lines", "100", *where)
    digests = {name: _digests(tmp_path / name) for name in runs}
    assert digests["one"] == digests["local2"] == digests["external"]
    assert set(digests["one"]) == {"bs.yaml", "summary.json"}  # and no spill folder is left behind


def test_an_unreachable_scheduler_is_an_input_error():
    address = f"tcp://127.0.0.1:{_free_port()}"
    with pytest.raises(InputError, match="cannot reach the dask scheduler"), \
            open_executor(scheduler=address, connect_seconds=1):
        pass


def test_workers_and_scheduler_together_are_refused():
    with pytest.raises(InputError, match="not both"), open_executor(workers=2, scheduler="tcp://127.0.0.1:1"):
        pass
