"""Scale-out figures: throughput of `generate stats` (one set of files, or part files the workers write),
`generate code` and `profile` (of a raw log: --profile-log) in one process and on a dask LocalCluster of 2
workers, the per-task overhead of the execution seam, and the split of each stage's cost between workers
(shards / session ranges / chunks and parts) and the single driver.

    python benchmarks/scale.py [--stats-lines 500000] [--shard-lines 100000] [--code-sessions 5000] [--tasks 200]
        [--only stats|parts|code|profile|overhead] [--scheduler ADDR]
        [--profile-log LOG --profile-labels CSV --profile-format hdfs --profile-sessions blk --part-lines 250000]

Everything runs in this process (the LocalCluster's workers are its children). Each case prints wall seconds,
lines/s, the driver's CPU seconds and peak RSS of the driver and of each worker (VmHWM). The load average
is printed first: on a shared machine wall-clock figures move with it, CPU seconds much less.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import tempfile
import time
from pathlib import Path

from synthlog.execute import DaskPool, open_executor
from synthlog.stats import shards
from synthlog.stats.simulate import StatsSynthesizer
from synthlog.synth import ranges
from synthlog.synth.generate import CodeGenConfig, CodeSynthesizer

ROOT = Path(__file__).resolve().parents[1]


class Timed:
    """Runs tasks here like the in-process executor, but through ``map`` (as workers would) and timing each:
    what the tasks cost apart from the driver's merge and writes."""

    width = 1

    def __init__(self) -> None:
        self.seconds = 0.0
        self.tasks = 0

    def share(self, value):
        return value

    def map(self, function, tasks):
        for task in tasks:
            started = time.process_time()
            result = function(*task)
            self.seconds += time.process_time() - started
            self.tasks += 1
            yield result


def _peak_mb() -> float:
    """This process's peak RSS (VmHWM: unlike ``ru_maxrss`` it is not inherited from the parent of a worker)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _worker_peaks(run_on) -> list[float]:
    if not isinstance(run_on, DaskPool):
        return []
    return sorted(round(v, 1) for v in run_on.client.run(_peak_mb).values())


def stats_case(args, workers: int, folder: Path, scheduler: str | None = None, parts: bool = False) -> dict:
    """One generate-stats run; with ``parts`` (--shard-lines) the workers render and write their own part files and
    the driver keeps labels and counts."""
    synth = StatsSynthesizer(ROOT / "examples" / "specs" / "payment.yaml")
    started = time.perf_counter()
    with open_executor(workers, scheduler) as run_on:
        ready = time.perf_counter()
        cpu = time.process_time()
        if parts:
            summary = synth.write(folder / f"parts{workers}{bool(scheduler)}", n_lines=args.stats_lines, seed=1,
                                  shard_lines=args.shard_lines, executor=run_on)
        else:
            summary = synth.write(folder / f"stats{workers}", n_lines=args.stats_lines, seed=1, workers=workers,
                                  executor=shards.ShardExecutor(run_on))
        done = time.perf_counter()
        return {"stage": "stats parts" if parts else "stats", "workers": run_on.width, "scheduler": scheduler,
                **({"shard_lines": args.shard_lines} if parts else {}), "lines": summary.lines,
                "startup_s": ready - started, "run_s": done - ready, "lines_per_s": summary.lines / (done - ready),
                "driver_cpu_s": time.process_time() - cpu, "driver_peak_mb": _peak_mb(),
                "worker_peaks_mb": _worker_peaks(run_on)}


def parts_split(args, folder: Path) -> dict:
    """One process, --shard-lines: CPU seconds in the stage and write tasks against the driver's share."""
    synth = StatsSynthesizer(ROOT / "examples" / "specs" / "payment.yaml")
    timed = Timed()
    cpu = time.process_time()
    summary = synth.write(folder / "partsplit", n_lines=args.stats_lines, seed=1, shard_lines=args.shard_lines,
                          executor=timed)
    total = time.process_time() - cpu
    return {"stage": "stats parts", "lines": summary.lines, "tasks": timed.tasks, "task_cpu_s": timed.seconds,
            "driver_cpu_s": total - timed.seconds, "driver_lines_per_cpu_s": summary.lines / (total - timed.seconds),
            "task_lines_per_cpu_s": summary.lines / timed.seconds}


def stats_split(args, folder: Path) -> dict:
    """One process: CPU seconds in shards (worker work) against the whole run (the rest is the driver's)."""
    synth = StatsSynthesizer(ROOT / "examples" / "specs" / "payment.yaml")
    timed = Timed()
    cpu = time.process_time()
    summary = synth.write(folder / "split", n_lines=args.stats_lines, seed=1, executor=shards.ShardExecutor(timed))
    total = time.process_time() - cpu
    return {"stage": "stats", "lines": summary.lines, "tasks": timed.tasks, "task_cpu_s": timed.seconds,
            "driver_cpu_s": total - timed.seconds, "driver_lines_per_cpu_s": summary.lines / (total - timed.seconds),
            "task_lines_per_cpu_s": summary.lines / timed.seconds}


def _code_synth() -> CodeSynthesizer:
    config = CodeGenConfig(recipe=ROOT / "examples" / "blockstore" / "recipe.yaml")
    return CodeSynthesizer(config).fit(ROOT / "examples" / "blockstore" / "src")


def code_case(args, workers: int, folder: Path, scheduler: str | None = None) -> dict:
    synth = _code_synth()
    started = time.perf_counter()
    with open_executor(workers, scheduler) as run_on:
        ready = time.perf_counter()
        cpu = time.process_time()
        summary = synth.write(folder / f"code{workers}", args.code_sessions, seed=1, executor=run_on)
        done = time.perf_counter()
        return {"stage": "code", "workers": run_on.width, "scheduler": scheduler, "sessions": summary["sessions"],
                "lines": summary["lines"],
                "startup_s": ready - started, "run_s": done - ready, "lines_per_s": summary["lines"] / (done - ready),
                "driver_cpu_s": time.process_time() - cpu, "driver_peak_mb": _peak_mb(),
                "worker_peaks_mb": _worker_peaks(run_on)}


def code_split(args, folder: Path) -> dict:
    synth = _code_synth()
    timed = Timed()
    cpu = time.process_time()
    summary = synth.write(folder / "codesplit", args.code_sessions, seed=1, executor=timed)
    total = time.process_time() - cpu
    lines = summary["lines"]
    # what receiving one range costs the driver: unpickling its sessions (dask pickles task results)
    made = ranges.make_range(synth._assembler(1), 0, ranges.SESSIONS_PER_TASK)
    payload = pickle.dumps(made, protocol=pickle.HIGHEST_PROTOCOL)
    cpu = time.process_time()
    pickle.loads(payload)
    unpickle = time.process_time() - cpu
    range_lines = sum(len(session.events) for session in made)
    return {"stage": "code", "lines": lines, "tasks": timed.tasks, "sessions_per_task": ranges.SESSIONS_PER_TASK,
            "task_cpu_s": timed.seconds, "driver_cpu_s": total - timed.seconds,
            "driver_lines_per_cpu_s": lines / (total - timed.seconds), "task_lines_per_cpu_s": lines / timed.seconds,
            "range_pickle_bytes_per_line": len(payload) / range_lines,
            "range_unpickle_lines_per_cpu_s": range_lines / unpickle}


def _profile(args, run_on, folder: Path):
    from synthlog.io.loghub import read_labels
    from synthlog.parse.sessions import ENTITY_PATTERNS
    from synthlog.stats.profile import ProfileOptions, layout_of
    from synthlog.stats.profilescan import CHUNK_BYTES, profile_log
    from synthlog.stats.profilewindows import profile_windows

    log = Path(args.profile_log)
    fmt, source = layout_of(log, args.profile_format)
    labels = read_labels(args.profile_labels) if args.profile_labels else None
    kind, _, arg = args.profile_sessions.partition(":")
    if kind in ("window", "sliding"):
        return profile_windows(log, fmt, source, args.profile_sessions, labels, ProfileOptions(), run_on, "bench",
                               folder, CHUNK_BYTES, args.part_lines)[1]
    pattern = ENTITY_PATTERNS.get(args.profile_sessions) or arg
    return profile_log(log, fmt, source, pattern, labels, ProfileOptions(), run_on, "bench", folder, CHUNK_BYTES,
                       args.part_lines)[1]


def profile_case(args, workers: int, folder: Path, scheduler: str | None = None) -> dict:
    """One profile run of --profile-log (sessions by --profile-sessions) in chunks and parts."""
    started = time.perf_counter()
    with open_executor(workers, scheduler) as run_on:
        ready = time.perf_counter()
        cpu = time.process_time()
        summary = _profile(args, run_on, folder)
        done = time.perf_counter()
        return {"stage": "profile", "workers": run_on.width, "scheduler": scheduler, "lines": summary.events,
                "part_lines": args.part_lines, "startup_s": ready - started, "run_s": done - ready,
                "lines_per_s": summary.events / (done - ready), "driver_cpu_s": time.process_time() - cpu,
                "driver_peak_mb": _peak_mb(), "worker_peaks_mb": _worker_peaks(run_on)}


def profile_split(args, folder: Path) -> dict:
    """One process: CPU seconds in the scan, spill and part tasks against the driver's (merges, miner, spec)."""
    timed = Timed()
    cpu = time.process_time()
    summary = _profile(args, timed, folder)
    total = time.process_time() - cpu
    return {"stage": "profile", "lines": summary.events, "tasks": timed.tasks, "task_cpu_s": timed.seconds,
            "driver_cpu_s": total - timed.seconds, "driver_lines_per_cpu_s": summary.events / (total - timed.seconds),
            "task_lines_per_cpu_s": summary.events / timed.seconds, "peak_mb": _peak_mb()}


def task_overhead(args) -> dict:
    """Round-trip cost of one trivial task through the seam's bounded pipeline (2 in flight per worker)."""
    with open_executor(2) as run_on:
        list(run_on.map(abs, ((-i,) for i in range(10))))  # warm-up: workers import and connect
        started = time.perf_counter()
        list(run_on.map(abs, ((-i,) for i in range(args.tasks))))
        seconds = time.perf_counter() - started
    return {"case": "task overhead, LocalCluster 2", "tasks": args.tasks, "ms_per_task": 1000 * seconds / args.tasks}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stats-lines", type=int, default=500_000)
    parser.add_argument("--code-sessions", type=int, default=5000)
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--shard-lines", type=int, default=100_000, help="part size of the 'parts' cases")
    parser.add_argument("--only", choices=("stats", "parts", "code", "profile", "overhead"), action="append")
    parser.add_argument("--profile-log", help="raw log to profile")
    parser.add_argument("--profile-sessions", default="blk", help="its sessions: blk, entity:REGEX, window:SECONDS "
                        "or sliding:SIZE,STEP")
    parser.add_argument("--profile-labels", help="its session labels (Id,Label)")
    parser.add_argument("--profile-format", help="its layout (default: inferred)")
    parser.add_argument("--part-lines", type=int, default=250_000, help="part size of the 'profile' cases")
    parser.add_argument("--scheduler", help="also run each stage on this existing dask scheduler")
    args = parser.parse_args()
    print(json.dumps({"load_average": os.getloadavg(), "cpus": os.cpu_count()}))
    chosen = args.only or ["stats", "parts", "code", "overhead", *(["profile"] if args.profile_log else [])]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if "overhead" in chosen:
            print(json.dumps(task_overhead(args)))
        stages = {"stats": (stats_split, stats_case, {}), "parts": (parts_split, stats_case, {"parts": True}),
                  "code": (code_split, code_case, {}), "profile": (profile_split, profile_case, {})}
        for name, (split, case, options) in stages.items():
            if name in chosen:
                print(json.dumps(split(args, folder)))
                for workers in (1, 2):
                    print(json.dumps(case(args, workers, folder, **options)))
                if args.scheduler:
                    print(json.dumps(case(args, 1, folder, args.scheduler, **options)))


if __name__ == "__main__":
    main()
