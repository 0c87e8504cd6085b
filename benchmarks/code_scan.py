"""Time the code analysis of a source tree: scan (parse + logging statements), then call graph and every LCFG.

Usage: python benchmarks/code_scan.py SRC [--repeat N] [--templates T.csv]

Prints files, statements and seconds per stage (best of N runs, one core); with --templates also the matching
time and coverage. Targets: ZooKeeper 3.4.5 under 1.5 s in all, Hadoop 0.18.2 ``src/`` under 4 s.
"""

from __future__ import annotations

import argparse
import importlib.util
import time

from synthlog.code.match import coverage, match_templates
from synthlog.code.scan import scan
from synthlog.io.loghub import read_templates
from synthlog.progress import set_quiet


def best_of(repeat: int, run):
    best, value = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        value = run()
        best = min(best, time.perf_counter() - started)
    return best, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--templates")
    args = parser.parse_args()
    set_quiet(True)

    scan_seconds, result = best_of(args.repeat, lambda: scan(args.src))
    print(f"files: {result.files} (partial {len(result.partial_files)}, skipped {len(result.skipped)})")
    print(f"statements: {len(result.statements)}")
    print(f"scan: {scan_seconds:.2f} s")
    total = scan_seconds
    if importlib.util.find_spec("synthlog.code.callgraph") is not None:
        from synthlog.code.callgraph import build_call_graph

        def graph_and_lcfgs():
            graph = build_call_graph(result)
            return graph, graph.build_all()
        graph_seconds, (graph, lcfgs) = best_of(args.repeat, graph_and_lcfgs)
        print(f"call graph + LCFGs: {graph_seconds:.2f} s ({len(graph.methods)} methods, {len(lcfgs)} LCFGs)")
        total += graph_seconds
    print(f"total: {total:.2f} s")
    if args.templates:
        templates = list(read_templates(args.templates).values())
        match_seconds, matches = best_of(args.repeat, lambda: match_templates(result.statements, templates))
        print(f"match: {match_seconds:.2f} s; {coverage(matches, result.statements).summary()}")


if __name__ == "__main__":
    main()
