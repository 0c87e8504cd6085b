"""Bench cells as tasks on the execution seam: one process, forked processes (--jobs 2), a dask LocalCluster of 2
(--workers 2) and an external scheduler with two worker processes give the same results.csv bytes and the same
results.json apart from its timings; cell timeouts hold on dask workers too, and a code-guided source travels."""

import json
import pickle
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

from detect_toydata import toy_dataset
from synthlog.detect.bench import bench
from synthlog.detect.bench_exec import CellTimeout, ForkPool, bench_executor, can_travel, time_limit
from synthlog.detect.bench_sources import SyntheticSource, SyntheticSpec
from synthlog.errors import InputError
from synthlog.execute import open_executor
from synthlog.io.datasets import write_dataset
from test_scale_out import scheduler  # noqa: F401  (the real `dask scheduler` + 2 `dask worker` fixture)

ROOT = Path(__file__).resolve().parents[1]
BLOCKSTORE = {"from": "code", "name": "blocks", "src": str(ROOT / "examples/blockstore/src"),
              "recipe": str(ROOT / "examples/blockstore/recipe.yaml"), "sessions": 60, "calibrate": "train"}


def _without_timings(value):
    """results.json's content less what measures time (seconds), which differs from run to run anyway."""
    if isinstance(value, dict):
        return {k: _without_timings(v) for k, v in value.items() if "seconds" not in k and k != "timing"}
    if isinstance(value, list):
        return [_without_timings(v) for v in value]
    return value


@pytest.fixture(scope="module")
def tiny_bench(tmp_path_factory):
    """A toy real set and a toy synthetic one; two classical detectors and a two-epoch DeepLog, two regimes."""
    folder = tmp_path_factory.mktemp("bench")
    write_dataset(toy_dataset(120, 12, seed=11), folder / "real", "real")
    write_dataset(toy_dataset(100, 10, seed=12, prefix="gen-", name="gen"), folder / "gen", "gen")
    config = folder / "bench.yaml"
    config.write_text(yaml.safe_dump({
        "data": {"real": "real", "synthetic": ["gen"]}, "regimes": ["real", "augmented"],
        "ratios": [1.0], "seeds": [0, 1, 2, 3, 4],
        "detectors": ["invariants", "logistic", {"name": "deeplog", "params": {"max_epochs": 2}}]}), encoding="utf-8")
    return folder, config


def _bench(config: Path, out: Path, *where: str) -> tuple[bytes, dict]:
    done = subprocess.run([sys.executable, "-m", "synthlog", "--quiet", "bench", str(config), "--out", str(out),
                           *where], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return (out / "results.csv").read_bytes(), json.loads((out / "results.json").read_text(encoding="utf-8"))


def test_cells_past_their_timeout_stop_on_dask_workers_and_code_sets_are_made_there(tmp_path, scheduler):  # noqa: F811
    """A DeepLog that would train for hours is stopped in the worker's task thread; the code-guided generator
    goes to the workers (as its saved model) instead of making every seed's set in this process. (Before the next
    test, which leaves the scheduler idle for minutes.)"""
    config = tmp_path / "bench.yaml"
    config.write_text(yaml.safe_dump({
        "data": {"real": str(ROOT / "examples" / "logs"), "synthetic": [BLOCKSTORE]}, "regimes": ["real"],
        "split": {"train_fraction": 0.6, "validation_fraction": 0.25}, "seeds": [0, 1, 2, 3, 4],
        "cell_timeout": 3.0, "detectors": ["pca", {"name": "deeplog", "params": {
            "max_epochs": 1_000_000, "patience": 1_000_000, "batch_size": 1}}]}), encoding="utf-8")
    warnings = []
    result, _ = bench(config, scheduler=scheduler, warn=warnings.append)
    status = {(row["detector"], row["seed"]): row["status"] for row in result.rows}
    assert {status["deeplog", seed] for seed in range(5)} == {"timeout"}
    assert {status["pca", seed] for seed in range(5)} == {"ok"}
    assert not any("cannot travel" in warning for warning in warnings)
    assert set(result.data["synthetic"]["blocks"]["by_seed"]) == set(range(5))


def test_bench_gives_the_same_results_on_any_executor(tiny_bench, scheduler):  # noqa: F811
    folder, config = tiny_bench
    with open_executor(scheduler=scheduler) as pool:  # what does not pickle stays home (a parsed code tree)
        assert not can_travel(pool, threading.Lock()) and can_travel(pool, {"texts": ["a"]})
    assert can_travel(ForkPool(2), threading.Lock())
    # the external scheduler first: it stops itself after minutes without a client (the fixture's idle timeout)
    places = {"external": ("--scheduler", scheduler), "one": (), "jobs2": ("--jobs", "2"), "local2": ("--workers", "2")}
    runs = {name: _bench(config, folder / name, *where) for name, where in places.items()}
    csv_one, json_one = runs["one"]
    assert csv_one.count(b"\n") == 1 + 5 + 5 * 2 * 3  # header, flag_everything per seed, 2 regimes x 3 detectors
    for name, (csv_bytes, content) in runs.items():
        assert csv_bytes == csv_one, name
        assert _without_timings(content) == _without_timings(json_one), name
    assert json_one["data"]["timing"]["cells_seconds"] > 0


def test_jobs_and_a_dask_place_together_are_refused():
    with pytest.raises(InputError, match="not both"), bench_executor(jobs=2, workers=2):
        pass


def test_a_code_guided_source_pickles_as_its_saved_model_and_makes_the_same_sets():
    from synthlog.io.datasets import load_dataset

    real = load_dataset(str(ROOT / "examples" / "logs"))
    source = SyntheticSource(SyntheticSpec.model_validate(BLOCKSTORE), 0, ROOT)
    source.prepare(real)
    travelled = pickle.loads(pickle.dumps(source))
    made, remade = source.for_seed(4, real), travelled.for_seed(4, real)
    assert made.sequences == remade.sequences and made.labels == remade.labels


def test_time_limit_stops_a_thread_and_leaves_a_finished_one_alone():
    caught = []

    def spin():
        try:
            with time_limit(0.2):
                while True:
                    pass
        except CellTimeout:
            caught.append(True)

    worker = threading.Thread(target=spin)
    worker.start()
    worker.join(timeout=60)
    assert caught == [True]
    with time_limit(60):
        finished = sum(range(10))
    assert finished == 45
