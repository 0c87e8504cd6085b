"""Time the code analysis of a source tree: scan (parse + logging statements), then call graph and every LCFG.

Usage: python benchmarks/code_scan.py SRC [--repeat N] [--templates T.csv]

Prints files, statements and seconds per stage (best of N runs, wall and CPU time, one core); with --templates
also the matching time and coverage. Targets: ZooKeeper 3.4.5 under 1.5 s in all, Hadoop 0.18.2 ``src/`` under 4 s.
"""

from __future__ import annotations

import argparse
import importlib.util
import time

from synthlog.code.match import coverage, match_templates
from synthlog.code.scan import scan
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--templates")
    args = parser.parse_args()
    set_quiet(True)

    scan_time, result = best_of(args.repeat, lambda: scan(args.src))
    print(f"files: {result.files} (partial {len(result.partial_files)}, skipped {len(result.skipped)})")
    print(f"statements: {len(result.statements)}")
    print(f"scan: {scan_time}")
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
        match_time, matches = best_of(args.repeat, lambda: match_templates(result.statements, templates))
        print(f"match: {match_time}; {coverage(matches, result.statements).summary()}")


if __name__ == "__main__":
    main()
