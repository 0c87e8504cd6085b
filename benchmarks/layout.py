"""Layouts: the evidence table of docs/stats.md ("Measured: layout, levels and time") and the cost of writing raw
lines in a profiled layout.

Run: .venv/bin/python benchmarks/layout.py [--seed 1] [--lines 1000000] [--speed-only]
For each log (HDFS first 20k and Loghub 2k, ZooKeeper 2k from ../shared/data; the BGL-like and syslog-like fixtures
of tests/data/layouts): profile, generate as many lines as it has, validate; prints format_roundtrip, time_order,
level_similarity, template similarity and content_roundtrip. Then: TimeRenderer.one per call, and generate stats
lines/s of the HDFS spec with and without its layout (raw and JSONL files).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from synthlog.evaluate.fidelity import reference_from_dataset
from synthlog.evaluate.report import validate
from synthlog.io.datasets import data_root
from synthlog.io.text import iter_lines
from synthlog.io.timestamps import TimeRenderer
from synthlog.stats.profile import ProfileOptions, load_logs, profile_dataset
from synthlog.stats.simulate import StatsSynthesizer

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "data" / "layouts"


def cases(root: Path | None) -> list[tuple[str, Path, dict]]:
    found = [("bgl-like", FIXTURES / "bgl_like.log", {"sessions": "window:300", "line_labels": "Label:-"}),
             ("syslog-like", FIXTURES / "syslog_like.log", {"sessions": "entity:req-[0-9a-f]{8}"})]
    if root is not None:
        raw20k = root / "hdfs" / "logai_hdfs_v1_first20k_raw"
        found = [("hdfs-first20k", raw20k / "HDFS_20000.log", {"labels": raw20k / "block_labels.csv"}),
                 ("hdfs-2k", root / "hdfs" / "loghub_2k" / "HDFS_2k.log",
                  {"labels": root / "hdfs" / "loghub_2k" / "block_labels.csv"}),
                 ("zookeeper-2k", root / "zookeeper" / "loghub_2k" / "Zookeeper_2k.log", {"sessions": "window:60"}),
                 *found]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--lines", type=int, default=1_000_000, help="lines of the speed runs")
    parser.add_argument("--speed-only", action="store_true", help="profile HDFS only, skip the evidence table")
    args = parser.parse_args()
    hdfs_spec = None
    with tempfile.TemporaryDirectory() as tmp:
        for name, log, options in cases(data_root()):
            if args.speed_only and name != "hdfs-first20k":
                continue
            real = load_logs(log, **options)
            spec, _ = profile_dataset(real, name=name.replace("-", "_"), options=ProfileOptions(seed=args.seed))
            hdfs_spec = spec if name == "hdfs-first20k" else hdfs_spec
            if args.speed_only:
                continue
            out = Path(tmp) / name
            StatsSynthesizer(spec).write(out, n_lines=sum(1 for _ in iter_lines(log)), seed=args.seed)
            result = validate(reference_from_dataset(real), out)
            print(f"{name:14s} layout={spec.layout.source:9s} format_roundtrip={result['format_roundtrip']:.3f} "
                  f"time_order={result['time_order']:.3f} level_similarity={result['level_similarity']:.3f} "
                  f"template_similarity={result['template_similarity']:.3f} "
                  f"content_roundtrip={result['layout']['content_roundtrip']:.3f}")
        render = TimeRenderer("%Y-%m-%d %H:%M:%S,%3f")
        started = time.perf_counter()
        for k in range(200_000):
            render.one(1_438_191_704_000_000 + k * 37_000)
        print(f"TimeRenderer.one: {(time.perf_counter() - started) / 200_000 * 1e6:.2f} us per call")
        if hdfs_spec is None:
            return
        plain = hdfs_spec.model_copy(update={"layout": None})
        for label, spec in (("with layout", hdfs_spec), ("without layout", plain)):
            for fmt in ("raw", "jsonl"):
                started, cpu = time.perf_counter(), time.process_time()
                StatsSynthesizer(spec).write(Path(tmp) / "speed", n_lines=args.lines, seed=args.seed, formats=(fmt,))
                print(f"generate stats {label:14s} {fmt:5s}: {args.lines / (time.perf_counter() - started):,.0f} "
                      f"lines/s, {args.lines / (time.process_time() - cpu):,.0f} per CPU-s "
                      f"(load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
