"""Throughput of ``synthlog parse`` (raw HDFS log -> structured + templates CSVs), with drain3 alone for scale.

Prints lines/s by wall clock and by CPU time (steadier on a shared, busy machine) for: the parse command's
work in-process (read, mask, mine, write), the ``synthlog parse`` process end to end (interpreter start-up
included) on the file and on the file repeated 10 times, and drain3's TemplateMiner alone on the same
contents, without masking and with the same masks.

    .venv/bin/python benchmarks/parse.py [--file PATH] [--runs N]
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from drain3 import TemplateMiner
from drain3.masking import MaskingInstruction
from drain3.template_miner_config import TemplateMinerConfig

from synthlog.io.logformat import read_raw
from synthlog.io.parsed import parse_log
from synthlog.parse.drain import DEFAULT_MASKS
from synthlog.progress import set_quiet

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "hdfs" / "logai_hdfs_v1_first20k_raw" / \
    "HDFS_20000.log"


def _timed(fn, runs: int) -> list[tuple[float, float]]:
    """(wall, CPU) seconds of each run; CPU counts this process and its finished children."""
    times = []
    for _ in range(runs):
        cpu = _cpu()
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started, _cpu() - cpu))
    return times


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _report(label: str, lines: int, times: list[tuple[float, float]]) -> None:
    wall = [w for w, _ in times]
    cpu = [c for _, c in times]
    print(f"{label:44} wall: best {lines / min(wall):>9,.0f} lines/s, median {lines / statistics.median(wall):>9,.0f}"
          f"   CPU time: best {lines / min(cpu):>9,.0f} lines/s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--file", type=Path, default=DEFAULT)
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    set_quiet(True)
    logging.getLogger("drain3").setLevel(logging.ERROR)  # its 'config file not found' notice
    lines = sum(1 for _ in read_raw(args.file, "hdfs"))
    print(f"{args.file.name}: {lines:,} lines, {args.runs} runs each; load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        _report("synthlog parse (in-process: read..write)", lines,
                _timed(lambda: parse_log(args.file, "hdfs", out), args.runs))
        _report("synthlog parse --sessions blk (in-process)", lines,
                _timed(lambda: parse_log(args.file, "hdfs", out, sessions="blk"), args.runs))
        contents = [e.content for e in read_raw(args.file, "hdfs")]

        def drain3_alone(masked: bool) -> None:
            config = TemplateMinerConfig()
            if masked:  # the same variables as synthlog masks, as drain3's own masking instructions
                config.masking_instructions = [MaskingInstruction(m.pattern, "*") for m in DEFAULT_MASKS]
            miner = TemplateMiner(config=config)
            for content in contents:
                miner.add_log_message(content)
        _report("drain3 TemplateMiner alone, no masking", lines, _timed(lambda: drain3_alone(False), args.runs))
        _report("drain3 TemplateMiner alone, same masks", lines, _timed(lambda: drain3_alone(True), args.runs))

        exe = Path(sys.executable).parent / "synthlog"
        bigger = Path(tmp) / f"{args.file.stem}_x10.log"
        bigger.write_bytes(args.file.read_bytes() * 10)
        for path, n in ((args.file, lines), (bigger, lines * 10)):
            command = [str(exe), "--quiet", "parse", str(path), "--format", "hdfs", "--out", str(out)]
            times = _timed(lambda c=command: subprocess.run(c, check=True, capture_output=True), max(3, args.runs // 2))
            _report(f"synthlog parse process, {n:,} lines", n, times)


if __name__ == "__main__":
    main()
