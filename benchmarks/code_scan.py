"""Time the code analysis of a source tree: scan (parse + logging statements), then call graph and every LCFG.

Usage: python benchmarks/code_scan.py SRC [--repeat N] [--templates T.csv]

Prints files, statements and seconds per stage (best of N runs, wall and CPU time, one core); with --templates
also the matching time and coverage. The baseline is a bare parse of the same files (tree-sitter for Java, ``ast``
for Python, reading included), and the scan's CPU time is given as a multiple of it. Targets: ZooKeeper 3.4.5
under 1.5 s in all (scan + match), scan within 2.5x of the bare parse; Hadoop 0.18.2 ``src/`` under 4 s.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import time
import warnings
from pathlib import Path

from synthlog.code.java import parse_java
from synthlog.code.match import coverage, match_templates
from synthlog.code.propagate import specialise
from synthlog.code.scan import scan, source_files
from synthlog.io.loghub import read_templates
from synthlog.progress import set_quiet


class Timing:
    """Best wall-clock and best CPU seconds of several runs (CPU time is what one uncontended core would take,
    so it stays meaningful on a busy machine)."""

    def __init__(self) -> None:
        self.wall = self.cpu = float("inf")

    def __str__(self) -> str:
        return f"{self.wall:.2f} s wall, {self.cpu:.2f} s CPU"


def best_of(repeat: int, run):
    timing, value = Timing(), None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        value = run()
        timing.wall = min(timing.wall, time.perf_counter() - wall)
        timing.cpu = min(timing.cpu, time.process_time() - cpu)
    return timing, value


def bare_parse(files: list[Path]) -> int:
    """Read and parse every file, nothing else: the floor under a scan."""
    trees = 0
    for path in files:
        data = path.read_bytes()
        if path.suffix == ".java":
            parse_java(data)
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SyntaxWarning)
                try:
                    ast.parse(data)
                except (SyntaxError, ValueError):
                    continue
        trees += 1
    return trees


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--templates")
    args = parser.parse_args()
    set_quiet(True)

    files = source_files(Path(args.src))
    parse_time, _ = best_of(args.repeat, lambda: bare_parse(files))
    scan_time, result = best_of(args.repeat, lambda: scan(args.src))
    print(f"files: {result.files} (partial {len(result.partial_files)}, skipped {len(result.skipped)})")
    print(f"statements: {len(result.statements)}")
    print(f"bare parse: {parse_time}")
    print(f"scan: {scan_time} ({scan_time.cpu / parse_time.cpu:.2f}x the bare parse's CPU time)")
    wall, cpu = scan_time.wall, scan_time.cpu
    if importlib.util.find_spec("synthlog.code.callgraph") is not None:
        from synthlog.code.callgraph import build_call_graph

        def graph_and_lcfgs():
            graph = build_call_graph(result)
            return graph, graph.build_all()
        graph_time, (graph, lcfgs) = best_of(args.repeat, graph_and_lcfgs)
        print(f"call graph + LCFGs: {graph_time} ({len(graph.methods)} methods, {len(lcfgs)} LCFGs)")
        wall, cpu = wall + graph_time.wall, cpu + graph_time.cpu
    print(f"total: {wall:.2f} s wall, {cpu:.2f} s CPU")
    if args.templates:
        templates = list(read_templates(args.templates).values())
        # as `code match` does: statements specialised per call site (a call graph), then matched
        match_time, matches = best_of(args.repeat,
                                      lambda: match_templates(specialise(result), templates))
        print(f"specialise + match: {match_time}; {coverage(matches, result.statements).summary()}")
        print(f"scan + match: {scan_time.cpu + match_time.cpu:.2f} s CPU")


if __name__ == "__main__":
    main()
