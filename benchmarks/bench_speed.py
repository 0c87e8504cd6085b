"""Time the whole bench protocol: wall and CPU time per stage (features, fit, score per detector), load average.

Usage: python benchmarks/bench_speed.py [--config FILE] [--synthetic DIR ...] [--jobs N | --workers N |
--scheduler ADDR] [--detectors a,b] [--seeds 0,1] [--out DIR]

Runs ``synthlog.detect.bench.run_bench`` on ``--config`` (default ``configs/bench/hdfs100k_suite.yaml``, issue 13's
full HDFS100k suite: 14 detectors x real / synthetic / augmented x 5 seeds, its code-guided set made per seed from
Hadoop 0.18.2's source named by ``HADOOP_SRC``) and prints: the wall time of preparing the synthetic sources (a
code-guided generator's fit), of making the per-seed sets, of building the shared features and of the cells; the CPU
seconds of this process and every process it started (forked cells, dask workers); per detector, the summed wall and
CPU seconds of fit and of scoring over its cells; and the load average before and after, since this machine is shared
(wall time inflates with load, CPU time much less). The timings come from the rows' ``fit_seconds``,
``fit_cpu_seconds``, ``score_seconds``, ``score_cpu_seconds`` and the run's ``data.timing``.
"""

from __future__ import annotations

import argparse
import inspect
import math
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
    parser.add_argument("--config", default=str(ROOT / "configs" / "bench" / "hdfs100k_suite.yaml"))
    parser.add_argument("--synthetic", action="append", default=[], help="synthetic data set directory (repeatable)")
    parser.add_argument("--jobs", type=int, default=1, help="forked local processes")
    parser.add_argument("--workers", type=int, default=1, help="a dask LocalCluster of N workers")
    parser.add_argument("--scheduler", help="an existing dask scheduler's address")
    parser.add_argument("--detectors", default="", help="comma list (default: the config's)")
    parser.add_argument("--seeds", default="", help="comma list: run only these seeds (fewer than a real run "
                                                    "needs: to see where the time goes)")
    parser.add_argument("--out", type=Path, help="also write the run's outputs here")
    args = parser.parse_args()
    set_quiet(True)
    config = load_config(args.config, args.synthetic)
    if args.detectors:
        wanted = args.detectors.split(",")
        config = config.model_copy(update={"detectors": [d for d in config.detectors if d.name in wanted]})
    if args.seeds:
        config = config.model_copy(update={"seeds": [int(seed) for seed in args.seeds.split(",")]})
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
    totals: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    keys = ("fit_seconds", "fit_cpu_seconds", "score_seconds", "score_cpu_seconds")
    for row in cells:
        totals[row["detector"]]["cells"] += 1
        for key in keys:
            value = row.get(key, math.nan)
            totals[row["detector"]][key] += value if math.isfinite(value) else 0.0
    totals["all"] = defaultdict(float, {key: sum(t[key] for t in totals.values()) for key in ("cells", *keys)})
    print(f"  {'detector':18s} {'cells':>5s} {'fit wall':>9s} {'fit CPU':>8s} {'score wall':>10s} {'score CPU':>9s}"
          "   (seconds, summed over cells)")
    for name, t in totals.items():
        print(f"  {name:18s} {int(t['cells']):5d} {t['fit_seconds']:9.1f} {t['fit_cpu_seconds']:8.1f} "
              f"{t['score_seconds']:10.1f} {t['score_cpu_seconds']:9.1f}")


if __name__ == "__main__":
    main()
