"""Speed of code-guided generation: sessions/s and lines/s of sampling, with the heuristic checker.

    python benchmarks/generate_code.py [SRC] [--recipe FILE | --entry auto] [-n N]

Fitting (scan, call graph, paths, checking) happens once per code base and is reported apart; the rate that
matters for making large data sets is sampling: filling values, timing and labeling sessions. Writing the data
set is timed separately as well. Rates per CPU-second are printed beside wall-clock rates, since a shared machine
slows the wall clock.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from synthlog.io.datasets import write_dataset
from synthlog.synth.generate import CodeGenConfig, CodeSynthesizer

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src", nargs="?", default=str(ROOT / "examples" / "blockstore" / "src"))
    parser.add_argument("--recipe", default=str(ROOT / "examples" / "blockstore" / "recipe.yaml"))
    parser.add_argument("--entry", action="append", default=[], help="per-path sessions instead of a recipe")
    parser.add_argument("-n", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    config = CodeGenConfig(entries=args.entry) if args.entry else CodeGenConfig(recipe=args.recipe)
    started = time.perf_counter()
    synth = CodeSynthesizer(config).fit(args.src)
    fit = time.perf_counter() - started
    started, cpu = time.perf_counter(), time.process_time()
    ds = synth.sample(args.n, seed=args.seed)
    sample, sample_cpu = time.perf_counter() - started, time.process_time() - cpu
    lines = sum(len(s.events) for s in ds.sessions)
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        write_dataset(ds, out, ds.name, synth.format_)
        write = time.perf_counter() - started
    mode = f"entries {args.entry}" if args.entry else f"recipe {Path(args.recipe).name}"
    print(f"code base: {args.src} ({mode}); fit (scan, graph, paths, checks) {fit:.2f} s")
    print(f"sampling: {args.n} sessions, {lines} lines in {sample:.2f} s = {args.n / sample:,.0f} sessions/s, "
          f"{lines / sample:,.0f} lines/s (per CPU-second: {args.n / sample_cpu:,.0f} sessions/s, "
          f"{lines / sample_cpu:,.0f} lines/s; load average {os.getloadavg()[0]:.1f})")
    print(f"writing the data set (raw, structured, templates, labels, sequences, JSONL): {write:.2f} s = "
          f"{lines / write:,.0f} lines/s")


if __name__ == "__main__":
    main()
