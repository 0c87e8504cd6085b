"""Benchmark the statistics simulator: lines/s to disk and peak memory, for growing run lengths.

Each size runs in a fresh process, so its peak RSS (``ru_maxrss``, workers included) belongs to that run alone;
flat memory shows as the same peak at 1M and at 50M lines.

    .venv/bin/python benchmarks/generate_stats.py                         # 1M lines, JSONL only
    .venv/bin/python benchmarks/generate_stats.py --lines 1e6 1e7 5e7     # memory flatness up to 50M
    .venv/bin/python benchmarks/generate_stats.py --formats jsonl,raw,csv --workers 2
    .venv/bin/python benchmarks/generate_stats.py --baseline              # a plain per-line Python loop
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def one_run(spec: str, lines: int, workers: int, formats: str, out: Path) -> dict:
    """Simulate in this process and report wall time and peak RSS (this process and its workers)."""
    from synthlog.progress import set_quiet
    from synthlog.stats.simulate import StatsSynthesizer

    set_quiet(True)
    synthesizer = StatsSynthesizer(spec)
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    summary = synthesizer.write(out, n_lines=lines, seed=1, workers=workers, formats=tuple(formats.split(",")))
    seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu_started
    peak = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    size = sum(p.stat().st_size for p in out.iterdir())
    return {"lines": summary.lines, "seconds": seconds, "cpu_seconds": cpu, "lines_per_s": summary.lines / seconds,
            "peak_rss_mib": peak / 1024, "bytes": size}


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children: what the work costs when others share the cores."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def baseline(lines: int, out: Path) -> dict:
    """What a plain per-line Python loop (random + json.dumps + write) reaches, for comparison."""
    rng = random.Random(1)
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    with open(out / "baseline.jsonl", "w") as fh:
        t = 1_767_225_600.0
        for i in range(lines):
            t += rng.expovariate(2000)
            record = {"timestamp": f"{t:.6f}", "service": rng.choice(["api", "db", "auth"]), "level": "INFO",
                      "error_type": None, "message": f"request {rng.randint(0, 99999)} took {rng.random():.3f} ms",
                      "context": {"request_id": f"req-{i}"}, "anomaly": None}
            fh.write(json.dumps(record) + "\n")
    seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu_started
    return {"lines": lines, "seconds": seconds, "cpu_seconds": cpu, "lines_per_s": lines / seconds,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "bytes": (out / "baseline.jsonl").stat().st_size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spec", default=str(ROOT / "examples" / "specs" / "payment.yaml"))
    parser.add_argument("--lines", nargs="+", type=float, default=[1e6], help="run sizes (each in a fresh process)")
    parser.add_argument("--workers", type=int, default=1, help="dask LocalCluster workers (1: in process)")
    parser.add_argument("--formats", default="jsonl", help="jsonl, raw, csv (comma separated)")
    parser.add_argument("--baseline", action="store_true", help="also time a plain per-line Python loop")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # internal: a single measured run
    parser.add_argument("--out", default=None, help="output directory (default: a temporary one, removed)")
    args = parser.parse_args()

    out = Path(args.out or tempfile.mkdtemp(prefix="synthlog-bench-"))
    try:
        if args.one:
            print(json.dumps(one_run(args.spec, int(args.lines[0]), args.workers, args.formats, out)))
            return
        print(f"spec {Path(args.spec).name}, formats {args.formats}, workers {args.workers}")
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print(f"{'lines':>12} {'seconds':>9} {'lines/s':>11} {'CPU s':>7} {'lines/CPU s':>12} {'MB/s':>7} "
              f"{'peak RSS MiB':>13}")
        runs = [("synthlog", n) for n in args.lines] + ([("baseline", args.lines[0])] if args.baseline else [])
        for kind, n in runs:
            if kind == "baseline":
                result = baseline(int(n), out)
            else:
                command = [sys.executable, __file__, "--one", "--spec", args.spec, "--lines", str(n),
                           "--workers", str(args.workers), "--formats", args.formats, "--out", str(out / "run")]
                done = subprocess.run(command, capture_output=True, text=True, check=True)
                result = json.loads(done.stdout.strip().splitlines()[-1])
                shutil.rmtree(out / "run", ignore_errors=True)
            print(f"{result['lines']:>12,} {result['seconds']:>9.1f} {result['lines_per_s']:>11,.0f} "
                  f"{result['cpu_seconds']:>7.1f} {result['lines'] / result['cpu_seconds']:>12,.0f} "
                  f"{result['bytes'] / result['seconds'] / 1e6:>7.0f} {result['peak_rss_mib']:>13.0f}"
                  + ("   (plain per-line Python loop)" if kind == "baseline" else ""), flush=True)
    finally:
        if args.out is None:
            shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
