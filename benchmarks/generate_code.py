"""Speed and memory of code-guided generation: sampling and end-to-end writing, per size, with peak RSS.

    python benchmarks/generate_code.py [SRC] [--recipe FILE | --entry auto] [--align-to T.csv] [-n 10000 -n 100000]
        [--workers 1 --workers 2]

    # the reference case of issue 9
    python benchmarks/generate_code.py /work/ext/hadoop-0.18.2/src --recipe recipes/hdfs-0.18.yaml \\
        --align-to ../shared/data/hdfs/loghub_2k/HDFS_templates.csv -n 10000 -n 100000

Each size runs in a fresh process, so its peak RSS is its own. Fitting (scan, call graph, paths, checks) happens
once per process and is reported apart. Then, for ``n`` sessions: *sampling* makes the sessions and drops them
(what filling values, timing and labeling cost); *end to end* streams them to disk as ``generate code`` does
(time-ordered raw log, structured CSV, events JSONL, labels, sequences, templates, summary). The written raw log is
read back and its time-order violations counted (a line earlier than the line before it; must be 0). Rates per
CPU-second are printed beside wall-clock rates: a shared machine slows the wall clock, not the CPU time.
``--workers N`` (repeatable) makes (and, end to end, renders) the sessions in a pool of N processes, as
``generate code --workers N`` does; its CPU time counts every process, the pool's start-up is in the wall time,
and peak RSS is the driver's and, separately, the largest worker's; end to end, the driver's share of the CPU time
(merging, writing, receiving the workers' lines) is printed apart.
``--scaling N`` first checks whether N busy processes each get a full core: the fitted process makes the same
2,000 sessions alone, then in N forked processes at once, and prints each process's sessions per CPU-s (equal
rates: they do; lower ones with N: the cores slow each other, e.g. two hyperthreads of one core, or other jobs).
``--write-only`` skips the sampling pass and ``--skip-check`` the read-back (for n = 1,000,000 on a busy machine,
where what matters is that memory stays flat; the merge itself raises on a line that would go back in time).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from synthlog.execute import open_executor
from synthlog.io.logformat import read_raw
from synthlog.synth import ranges
from synthlog.synth.generate import CodeGenConfig, CodeSynthesizer

ROOT = Path(__file__).resolve().parents[1]


def count_lines(assembler, first: int, count: int) -> int:
    """Lines of sessions ``first .. first + count - 1``, each made and dropped (sampling on a worker), as one
    process samples: a list of the range's sessions held until counted made a worker about a fifth slower."""
    return sum(len(assembler.session(index).events) for index in range(first, first + count))


def _sample(synth: CodeSynthesizer, n: int, seed: int, workers: int) -> int:
    if workers == 1:
        return sum(len(session.events) for session in synth.iter_sessions(n, seed=seed))
    with open_executor(workers, local="processes") as run_on:
        shared, step = run_on.share(synth._assembler(seed)), ranges.SESSIONS_PER_TASK
        return sum(run_on.map(count_lines, ((shared, first, min(step, n - first)) for first in range(0, n, step))))


def _write(synth: CodeSynthesizer, folder: str, n: int, seed: int, workers: int) -> dict:
    with open_executor(workers, local="processes") as run_on:
        return synth.write(folder, n, seed=seed, executor=run_on)


def _cpu_s() -> float:
    """CPU seconds of this process and of its finished children (a pool's processes, once closed)."""
    return _own_cpu_s() + _children_cpu_s()


def _own_cpu_s() -> float:
    """CPU seconds of this process (the driver: merging and writing, or waiting on the pool)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def _children_cpu_s() -> float:
    """CPU seconds of this process's finished children (a pool's processes, once closed)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return children.ru_utime + children.ru_stime


def measure(args: argparse.Namespace, n: int) -> dict:
    """Fit, sample ``n`` sessions, then write ``n`` sessions; the figures of this process (and its pool's)."""
    started = time.perf_counter()
    synth = CodeSynthesizer(_config(args)).fit(args.src)
    workers = args.workers[0]
    out = {"n": n, "workers": workers, "fit_s": time.perf_counter() - started, "rss_after_fit_mb": _peak_rss_mb()}
    if not args.write_only:
        wall, cpu = time.perf_counter(), _cpu_s()
        lines = _sample(synth, n, args.seed, workers)
        out.update(sample_s=time.perf_counter() - wall, sample_cpu_s=_cpu_s() - cpu, lines=lines)
    with tempfile.TemporaryDirectory(dir=args.tmp) as folder:
        wall, cpu, driver = time.perf_counter(), _cpu_s(), _own_cpu_s()
        summary = _write(synth, folder, n, args.seed, workers)
        out.update(write_s=time.perf_counter() - wall, write_cpu_s=_cpu_s() - cpu,
                   write_driver_cpu_s=_own_cpu_s() - driver,
                   peak_open_sessions=synth.peak_open_sessions_, rss_peak_mb=_peak_rss_mb(),
                   worker_rss_peak_mb=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                   lines=summary["lines"])
        raw = Path(folder) / summary["files"]["raw"]
        out["time_order_violations"] = None if args.skip_check else _violations(raw, synth.format_)
        out["bytes_written"] = sum(p.stat().st_size for p in Path(folder).iterdir())
    out["load_average"] = os.getloadavg()[0]
    return out


def scaling(args: argparse.Namespace, processes: int, sessions: int = 2000) -> None:
    """Sessions per CPU-s of one process making ``sessions`` sessions, then of each of ``processes`` doing the same
    at once (forked after the fit, so all make the very same sessions)."""
    synth = CodeSynthesizer(_config(args)).fit(args.src)
    assembler = synth._assembler(args.seed)
    count_lines(assembler, 0, 50)  # caches filled before the fork, as a pool's processes inherit them
    for width in (1, processes):
        reader, writer = os.pipe()
        children = []
        for _ in range(width):
            pid = os.fork()
            if pid == 0:  # a child: time its own CPU, report, leave without the parent's clean-up
                started = time.process_time()
                count_lines(assembler, 0, sessions)
                os.write(writer, f"{sessions / (time.process_time() - started):.0f}\n".encode())
                os._exit(0)
            children.append(pid)
        for pid in children:
            os.waitpid(pid, 0)
        os.close(writer)
        with os.fdopen(reader) as fh:
            rates = fh.read().split()
        print(f"scaling: {width} process(es) at once: sessions per CPU-s {', '.join(f'{int(r):,}' for r in rates)}; "
              f"load average {os.getloadavg()[0]:.1f}")


def _config(args: argparse.Namespace) -> CodeGenConfig:
    return CodeGenConfig(entries=args.entry, align_to=args.align_to) if args.entry else \
        CodeGenConfig(recipe=args.recipe, align_to=args.align_to)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def _violations(raw: Path, fmt) -> int:
    """Lines whose timestamp is earlier than the line before (at the format's resolution)."""
    count, last = 0, None
    for event in read_raw(raw, fmt):
        if last is not None and event.timestamp is not None and event.timestamp < last:
            count += 1
        last = event.timestamp if event.timestamp is not None else last
    return count


def report(figures: dict) -> None:
    n, lines = figures["n"], figures["lines"]
    print(f"n = {n:,}, {figures['workers']} worker(s): fit {figures['fit_s']:.1f} s, {lines:,} lines "
          f"({lines / n:.1f} per session)")
    if "sample_s" in figures:
        print(f"  sampling:   {n / figures['sample_s']:,.0f} sessions/s wall, {n / figures['sample_cpu_s']:,.0f} "
              f"per CPU-s; {lines / figures['sample_s']:,.0f} lines/s wall, {lines / figures['sample_cpu_s']:,.0f} "
              "per CPU-s")
    print(f"  end to end: {n / figures['write_s']:,.0f} sessions/s wall, {n / figures['write_cpu_s']:,.0f} per "
          f"CPU-s; {lines / figures['write_s']:,.0f} lines/s wall, {lines / figures['write_cpu_s']:,.0f} per CPU-s; "
          f"{figures['bytes_written'] / 1e6:,.0f} MB written")
    if figures["workers"] > 1:  # how much of the work is left to the driver: the merge, the writing, the transport
        driver, total = figures["write_driver_cpu_s"], figures["write_cpu_s"]
        print(f"              driver {driver:,.1f} of {total:,.1f} CPU-s ({driver / total:.0%}); "
              f"{n / driver:,.0f} sessions per driver CPU-s")
    workers = f", largest worker {figures['worker_rss_peak_mb']:,.0f} MB" if figures["workers"] > 1 else ""
    print(f"  memory: peak RSS {figures['rss_peak_mb']:,.0f} MB (after fit {figures['rss_after_fit_mb']:,.0f} MB"
          f"{workers}); at most {figures['peak_open_sessions']:,} sessions open in the merge")
    violations = figures["time_order_violations"]
    print(f"  time-order violations in the raw log: {'not read back' if violations is None else violations}; "
          f"load average at the end {figures['load_average']:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src", nargs="?", default=str(ROOT / "examples" / "blockstore" / "src"))
    parser.add_argument("--recipe", default=str(ROOT / "examples" / "blockstore" / "recipe.yaml"))
    parser.add_argument("--entry", action="append", default=[], help="per-path sessions instead of a recipe")
    parser.add_argument("--align-to", default=None)
    parser.add_argument("-n", type=int, action="append", help="sizes (repeatable; default 10000 and 100000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, action="append",
                        help="processes that make the sessions (repeatable; default 1)")
    parser.add_argument("--write-only", action="store_true",
                        help="skip the sampling pass (for large n: it measures nothing the smaller sizes do not)")
    parser.add_argument("--skip-check", action="store_true",
                        help="do not read the raw log back for time-order violations (the merge raises on one)")
    parser.add_argument("--tmp", default=None, help="folder for the written data sets (default: the system's)")
    parser.add_argument("--scaling", type=int, default=None, metavar="N",
                        help="first: the same work in 1 and then in N processes at once, sessions per CPU-s of each")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # a child: one size, JSON out
    args = parser.parse_args()
    sizes = args.n or [10_000, 100_000]
    args.workers = args.workers or [1]
    if args.one:
        print(json.dumps(measure(args, sizes[0])))
        return
    mode = f"entries {args.entry}" if args.entry else f"recipe {Path(args.recipe).name}"
    print(f"code base: {args.src} ({mode}); {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    if args.scaling:
        scaling(args, args.scaling)
    for workers in args.workers:
        peaks = {}
        for n in sizes:  # a fresh process per size: peak RSS is a process-lifetime figure
            child = [a for i, a in enumerate(sys.argv[1:]) if a not in ("-n", "--workers")
                     and (i == 0 or sys.argv[i] not in ("-n", "--workers"))]
            child = [sys.executable, __file__, *child, "--one", "-n", str(n), "--workers", str(workers)]
            done = subprocess.run(child, capture_output=True, text=True)  # its progress lines stay on its stderr
            if done.returncode != 0:
                sys.exit(done.stderr)
            figures = json.loads(done.stdout.strip().splitlines()[-1])
            report(figures)
            peaks[n] = figures["rss_peak_mb"]
        if len(peaks) > 1:
            small, large = min(peaks), max(peaks)
            print(f"peak RSS at n = {large:,} is {peaks[large] / peaks[small]:.2f}x that at n = {small:,} "
                  f"({workers} worker(s))")


if __name__ == "__main__":
    main()
