"""Measure the synthesis core: heuristic checker throughput and rejections, value filling, label rules on real data.

Usage: python benchmarks/synthesis.py [--synthetic N] [--src SRC_DIR] [--sessions SESSIONS.jsonl] [--seed S]

- synthetic: N random paths (conditions over a few variables, assignments, loops, log steps), checked by the
  heuristic checker; prints paths/s and the share rejected.
- src: paths enumerated from a real code base (every auto entry, depth 2, unroll 2, 100 paths each), checked with
  and without the source's mutation index; prints paths/s, rejections by reason, and slot values filled per second.
- sessions: the built-in label rules applied to real sessions given as template strings (deep-loglizer's HDFS_100k
  ``sessions.jsonl``); prints precision, recall and F1 of the session labels against the real labels.
All on one core; rates use the best CPU time of ``--repeat`` runs (meaningful on a busy machine too).
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from code_scan import best_of  # benchmarks/ is on sys.path when a script there runs
from synthlog.code.records import ExecutionPath, PathStep, Statement
from synthlog.progress import set_quiet
from synthlog.records import ANOMALY
from synthlog.synth.checking import CheckContext, HeuristicChecker, count_reasons
from synthlog.synth.checking.mutations import MutationIndex
from synthlog.synth.labels import LabelRules
from synthlog.synth.values import ValueGenerator


def synthetic_paths(n: int, seed: int) -> list[ExecutionPath]:
    rng = random.Random(seed)
    names = ["x", "n", "flag", "q.isEmpty()", "state", "count"]
    conditions = ["x == null", "x != null", "n > 0", "n <= 0", "flag", "!flag", "q.isEmpty()", "!q.isEmpty()",
                  "state == State.RUNNING", "count >= 3 && x != null", "n < 10 || flag"]
    paths = []
    for i in range(n):
        steps: list[PathStep] = []
        for _ in range(rng.randint(10, 40)):
            roll = rng.random()
            if roll < 0.5:
                steps.append(PathStep("cond", expr=rng.choice(conditions), outcome=rng.random() < 0.5,
                                      line=rng.randint(1, 200), method="C.m"))
            elif roll < 0.65:
                steps.append(PathStep("assign", target=rng.choice(names[:3]), expr=rng.choice(["null", "0", "true",
                                                                                               "next()"])))
            elif roll < 0.7:
                steps.append(PathStep("call", method="C.other"))
            else:
                steps.append(PathStep("log", statement=f"S{rng.randint(1, 20)}"))
        paths.append(ExecutionPath(f"p{i}", "C.m", steps))
    return paths


def check_all(paths: list[ExecutionPath], context: CheckContext):
    checker = HeuristicChecker()
    return [checker.check(p, context) for p in paths]


def report_checks(label: str, paths: list[ExecutionPath], context: CheckContext, repeat: int) -> None:
    timing, verdicts = best_of(repeat, lambda: check_all(paths, context))
    seconds = timing.cpu
    rejected = sum(not v.feasible for v in verdicts)
    print(f"{label}: {len(paths)} paths, {len(paths) / seconds:,.0f} paths/s, rejected {rejected} "
          f"({rejected / max(1, len(paths)):.1%})")
    print(f"  reasons: {json.dumps(count_reasons(verdicts))}")


def real_code(src: str, repeat: int, seed: int) -> None:
    from synthlog.code.callgraph import build_call_graph
    from synthlog.code.paths import PathOptions, auto_entries, enumerate_paths

    graph = build_call_graph(src)
    paths, failed = [], 0
    for entry in auto_entries(graph):
        try:
            paths += enumerate_paths(graph, [entry], PathOptions(depth=2, unroll=2, max_paths=100, seed=seed)).paths
        except Exception:  # noqa: BLE001 - a failing entry is counted, the benchmark goes on
            failed += 1
    statements = {s.id: s for s in graph.scan.statements}
    index_timing, index = best_of(repeat, lambda: MutationIndex.scan(src))
    print(f"code: {len(statements)} statements, {len(paths)} paths ({failed} entries failed to enumerate), "
          f"mutation index {index_timing.cpu:.2f} s")
    report_checks("heuristic, no mutation index", paths, CheckContext(statements=statements), repeat)
    report_checks("heuristic, mutation index", paths, CheckContext(statements=statements, mutations=index), repeat)
    fill_values(list(statements.values()), repeat, seed)


def fill_values(statements: list[Statement], repeat: int, seed: int) -> None:
    generator = ValueGenerator(seed)

    def run() -> int:
        slots, context = 0, generator.context(0)
        for i, statement in enumerate(statements * 5):
            if i % 20 == 0:  # sessions of 20 lines
                context = generator.context(i)
            _, params = generator.fill(statement, context)
            slots += len(params)
        return slots

    timing, slots = best_of(repeat, run)
    seconds = timing.cpu
    lines = len(statements) * 5
    print(f"values: {lines / seconds:,.0f} lines/s ({slots / seconds:,.0f} slots/s) over {len(statements)} statements")


def label_sessions(path: str) -> None:
    rules = LabelRules.load(None)
    statements: dict[str, Statement] = {}
    tp = fp = fn = tn = 0
    with open(path, encoding="utf-8") as fh:
        for row in fh:
            session = json.loads(row)
            labels = []
            for template in session["templates"]:
                statement = statements.setdefault(template, Statement(template, "", 0, 0, "", "", "INFO", template))
                labels.append(rules.label_line(statement))
            predicted = rules.label_session(labels)[0] == ANOMALY
            actual = session["label"] == 1
            tp, fp, fn, tn = tp + (predicted and actual), fp + (predicted and not actual), \
                fn + (actual and not predicted), tn + (not predicted and not actual)
    precision, recall = tp / max(1, tp + fp), tp / max(1, tp + fn)
    f1 = 2 * precision * recall / max(1e-12, precision + recall)
    print(f"labels on {Path(path).parent.name}: {tp + fp + fn + tn} sessions, precision {precision:.3f}, "
          f"recall {recall:.3f}, F1 {f1:.3f} (tp {tp}, fp {fp}, fn {fn}, tn {tn})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthetic", type=int, default=20000)
    parser.add_argument("--src")
    parser.add_argument("--sessions")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    set_quiet(True)
    if args.synthetic:
        report_checks("synthetic", synthetic_paths(args.synthetic, args.seed), CheckContext(), args.repeat)
    if args.src:
        real_code(args.src, args.repeat, args.seed)
    if args.sessions:
        label_sessions(args.sessions)


if __name__ == "__main__":
    main()
