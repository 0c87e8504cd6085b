"""Time the whole bench protocol: wall and CPU time per stage (features, fit, score per detector), load average.

Usage: python benchmarks/bench_speed.py [--config FILE] [--synthetic DIR ...] [--jobs N | --workers N |
--scheduler ADDR] [--detectors a,b] [--out DIR]

Runs ``synthlog.detect.bench.run_bench`` on ``--config`` (default ``configs/bench/hdfs100k_augmented.yaml``, the
full HDFS100k suite: 14 detectors x real / synthetic / augmented at 3 ratios x 5 seeds, which needs one
``--synthetic`` set) and prints: the wall time of preparing the seeds (splits, synthetic sets, shared features)
and of the cells; the CPU seconds of this process and every process it started (forked cells, dask workers);
per detector, the summed wall seconds of fit and of scoring over its cells; and the load average before and
after, since this machine is shared (wall time inflates with load, CPU time much less). The timings come from the
rows' ``fit_seconds`` / ``score_seconds`` and the run's ``data.timing``.
"""

from __future__ import annotations

import argparse
import inspect
import os
import time
from collections import defaultdict
from pathlib import Path

import psutil

from synthlog.detect.bench import load_config, load_data, run_bench, write_outputs
from synthlog.progress import set_quiet

ROOT = Path(__file__).resolve().parents[1]


def cpu_seconds(process: psutil.Process) -> float:
    """User + system CPU of the process, its reaped children, and its live descendants."""
    times = process.cpu_times()
    total = times.user + times.system + times.children_user + times.children_system
    for child in process.children(recursive=True):
        try:
            child_times = child.cpu_times()
            total += child_times.user + child_times.system
        except psutil.NoSuchProcess:
            pass
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "configs" / "bench" / "hdfs100k_augmented.yaml"))
    parser.add_argument("--synthetic", action="append", default=[], help="synthetic data set directory (repeatable)")
    parser.add_argument("--jobs", type=int, default=1, help="forked local processes")
    parser.add_argument("--workers", type=int, default=1, help="a dask LocalCluster of N workers")
    parser.add_argument("--scheduler", help="an existing dask scheduler's address")
    parser.add_argument("--detectors", default="", help="comma list (default: the config's)")
    parser.add_argument("--out", type=Path, help="also write the run's outputs here")
    args = parser.parse_args()
    set_quiet(True)
    config = load_config(args.config, args.synthetic)
    if args.detectors:
        wanted = args.detectors.split(",")
        config = config.model_copy(update={"detectors": [d for d in config.detectors if d.name in wanted]})
    real, synthetic = load_data(config, Path(args.config).resolve().parent)
    place = {"jobs": args.jobs}
    if "workers" in inspect.signature(run_bench).parameters:
        place.update(workers=args.workers, scheduler=args.scheduler)
    me = psutil.Process()
    load_before = os.getloadavg()
    cpu_before, started = cpu_seconds(me), time.perf_counter()
    result = run_bench(config, real, synthetic, **place)
    wall, cpu = time.perf_counter() - started, cpu_seconds(me) - cpu_before
    load_after = os.getloadavg()
    if args.out:
        write_outputs(result, args.out)
    cells = [r for r in result.rows if r["detector"] != "flag_everything"]
    print(f"config {Path(args.config).name}: {len(config.detectors)} detectors, {len(config.seeds)} seeds, "
          f"{len(cells)} cells, {place}")
    print(f"total: {wall:.1f} s wall, {cpu:.1f} s CPU (this process and its children); load average "
          f"before {load_before[0]:.2f}/{load_before[1]:.2f}, after {load_after[0]:.2f}/{load_after[1]:.2f} "
          f"(1/5 min); {os.cpu_count()} cores")
    for stage, seconds in result.data.get("timing", {}).items():
        print(f"  {stage:28s} {seconds:8.1f} s wall")
    fit, score, count = defaultdict(float), defaultdict(float), defaultdict(int)
    for row in cells:
        fit[row["detector"]] += row["fit_seconds"]
        score[row["detector"]] += row["score_seconds"] if row["score_seconds"] == row["score_seconds"] else 0.0
        count[row["detector"]] += 1
    print(f"  {'detector':18s} {'cells':>5s} {'fit s':>8s} {'score s':>8s}   (wall, summed over cells)")
    for name in fit:
        print(f"  {name:18s} {count[name]:5d} {fit[name]:8.1f} {score[name]:8.1f}")
    print(f"  {'all':18s} {len(cells):5d} {sum(fit.values()):8.1f} {sum(score.values()):8.1f}")


if __name__ == "__main__":
    main()
