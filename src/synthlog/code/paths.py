"""Enumerate execution paths (log-statement sequences) from entry methods through their LCFGs.

Python API, for the synthesis stage::

    from synthlog.code.callgraph import build_call_graph
    from synthlog.code.paths import PathOptions, enumerate_paths

    graph = build_call_graph("src/")                       # scan + call graph + may-log analysis
    result = enumerate_paths(graph, ["DataNode$DataXceiver.run"], PathOptions(depth=3, unroll=2, max_paths=200))
    for path in result.paths:                              # synthlog.code.records.ExecutionPath
        path.statements, path.exit, path.steps             # steps: log / cond / assign / call / enter / exit
    result.entries                                         # one EntrySummary per entry method: what was cut

Entries are written ``Class.method`` (simple, binary ``Outer$Inner`` or package-qualified class name; every
overload), a full method id, or ``"auto"`` (:func:`auto_entries`).

How a path is walked: calls to methods that may log are inlined up to ``depth`` levels (a recursive call is not
inlined again; an ambiguous call tries each of at most ``max_candidates`` callees); a call that is not inlined
shows as a ``call`` step. Each loop's back edge is taken at most ``unroll`` times per visit of the loop, so a loop
body runs 0..unroll times. An exception thrown in an inlined callee goes to the caller's matching ``catch`` or
leaves it (``exit = "exception:<Type>"``). Paths are deduplicated on (exit, log-statement sequence); the first
path found for a sequence is the one kept, with its conditions and assignments.

Bounds: a depth-first search runs until it has explored ``work_budget`` nodes. If it finishes, every distinct
sequence is known; if more than ``max_paths`` exist, a seeded sample of ``max_paths`` is kept. If the budget runs
out first (a method with 300 ``if`` statements has 2^300 paths), seeded random walks (with a work budget of their
own) collect up to ``max_paths`` distinct sequences, tried ``sample_walks`` times at most; what the search found
only fills the places the walks left (its paths share one long prefix). Either way the entry's summary says
how many distinct sequences were found and kept, how many structural paths exist (``structural_paths``, each loop
body run 0 or 1 times), and how often the depth and unrolling bounds cut a path. Same graph, options and seed:
same output.
"""

from __future__ import annotations

import json
import os
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from synthlog.code.callgraph import CallGraph
from synthlog.code.lcfg import CATCH_ALL, Lcfg
from synthlog.code.records import ExecutionPath, PathStep
from synthlog.errors import InputError
from synthlog.io.atomic import atomic_files
from synthlog.progress import Progress


@dataclass(slots=True)
class PathOptions:
    """Bounds of path enumeration (see the module docstring)."""

    depth: int = 3
    unroll: int = 2
    max_paths: int = 200
    seed: int = 0
    work_budget: int = 100_000
    sample_walks: int = 2_000
    max_candidates: int = 3


@dataclass(slots=True)
class EntrySummary:
    """What enumeration from one entry method found, and how much the bounds cut."""

    entry: str  # Class.method
    method: str  # full method id
    paths: int = 0  # paths written
    distinct: int = 0  # distinct (exit, sequence) pairs found
    exhaustive: bool = True  # the search finished within the work budget
    cut_by_max_paths: int = 0  # distinct sequences found but not written
    structural_paths: float = 0.0  # paths with each loop body run 0 or 1 times (inlining included)
    depth_cuts: int = 0  # call sites not inlined because of the depth bound
    unroll_cuts: int = 0  # times a loop's back edge was refused
    work: int = 0  # nodes explored
    seconds: float = 0.0

    @property
    def cut(self) -> bool:
        return not self.exhaustive or self.cut_by_max_paths > 0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["cut"] = self.cut
        return data


@dataclass
class PathResult:
    paths: list[ExecutionPath] = field(default_factory=list)
    entries: list[EntrySummary] = field(default_factory=list)

    @property
    def cut_entries(self) -> int:
        return sum(1 for e in self.entries if e.cut)

    def summary(self) -> str:
        found = sum(e.distinct for e in self.entries)
        not_written = sum(e.cut_by_max_paths for e in self.entries)
        budget = sum(1 for e in self.entries if not e.exhaustive)
        return (f"{len(self.paths)} paths from {len(self.entries)} entries ({found} distinct sequences found, "
                f"{not_written} not written over --max-paths; {budget} entries hit the work budget, "
                f"{sum(e.depth_cuts for e in self.entries)} depth cuts, "
                f"{sum(e.unroll_cuts for e in self.entries)} unroll cuts)")

    def to_dict(self) -> dict[str, Any]:
        return {"paths": len(self.paths), "entries": [e.to_dict() for e in self.entries],
                "cut_entries": self.cut_entries}


# A frame: (method id, graph, node, loop counters, pending exception type or None)
_Frame = tuple[str, Lcfg, int, tuple[int, ...], str | None]
# Steps are a persistent linked list (step, previous) so sibling states share their prefix.
_Steps = tuple[PathStep, Any] | None
_State = tuple[tuple[_Frame, ...], _Steps]


class _Walker:
    def __init__(self, graph: CallGraph, options: PathOptions, summary: EntrySummary):
        self.graph = graph
        self.options = options
        self.summary = summary
        self.depth_cut_sites: set[tuple[str, int]] = set()
        self.found: dict[tuple[str, tuple[str, ...]], list[PathStep]] = {}
        self.found_by_search: dict[tuple[str, tuple[str, ...]], list[PathStep]] = {}
        self.work = 0
        self.finished = False

    def display(self, method_id: str) -> str:
        return self.graph.methods[method_id].display

    def start(self, method_id: str) -> _State:
        lcfg = self.graph.lcfg(method_id)
        return ((method_id, lcfg, lcfg.entry, (0,) * lcfg.loops, None),), None

    def expand(self, state: _State) -> list[_State]:
        """Successor states of ``state``; a finished path is recorded and gives none."""
        self.work += 1
        frames, steps = state
        method_id, lcfg, node_id, counts, pending = frames[-1]
        node = lcfg.nodes[node_id]
        kind = node.kind
        if kind == "exit":
            exit_kind = node.exit or "normal"
            if exit_kind == "exception:*":
                exit_kind = f"exception:{pending or 'Exception'}"
            if len(frames) == 1:
                self.complete(steps, exit_kind)
                return []
            steps = (PathStep("exit", method=self.display(method_id), line=node.line), steps)
            caller = frames[-2]
            if exit_kind == "normal":
                return self.follow(frames[:-2], caller, steps, None, only_exc=False)
            return self.follow(frames[:-2], caller, steps, exit_kind.removeprefix("exception:"), only_exc=True)
        display = self.display(method_id)
        if kind == "log":
            steps = (PathStep("log", statement=node.statement, method=display, line=node.line), steps)
        elif kind == "cond":
            steps = (PathStep("cond", expr=node.expr, outcome=node.outcome, method=display, line=node.line), steps)
        elif kind == "assign":
            steps = (PathStep("assign", target=node.target, expr=node.expr, method=display, line=node.line), steps)
        elif kind == "call":
            inlined = self.inline(frames, node_id, node.callees, steps)
            if inlined is not None:
                # plus: the callee may throw before logging anything, into a handler here
                return inlined + self.follow(frames[:-1], frames[-1], steps, None, only_exc=True)
            names = "|".join(self.display(c) for c in node.callees[:self.options.max_candidates])
            steps = (PathStep("call", method=names, expr=node.expr, line=node.line), steps)
        return self.follow(frames[:-1], frames[-1], steps, pending, only_exc=False)

    def inline(self, frames: tuple[_Frame, ...], node_id: int, callees: tuple[str, ...],
               steps: _Steps) -> list[_State] | None:
        on_stack = {f[0] for f in frames}
        candidates = [c for c in callees[:self.options.max_candidates] if c not in on_stack]
        if not candidates:
            return None
        if len(frames) > self.options.depth:
            self.depth_cut_sites.add((frames[-1][0], node_id))
            return None
        states = []
        for callee in candidates:
            lcfg = self.graph.lcfg(callee)
            frame: _Frame = (callee, lcfg, lcfg.entry, (0,) * lcfg.loops, None)
            states.append((frames + (frame,),
                           (PathStep("enter", method=self.display(callee), line=lcfg.nodes[0].line), steps)))
        return states

    def follow(self, outer: tuple[_Frame, ...], frame: _Frame, steps: _Steps, pending: str | None,
               only_exc: bool) -> list[_State]:
        """States after leaving ``frame``'s node along its edges; ``pending`` is an exception in flight."""
        method_id, lcfg, node_id, counts, _ = frame
        edges = lcfg.succ[node_id]
        loop = lcfg.nodes[node_id].loop
        if loop is not None and counts[loop] >= self.options.unroll:  # body ran enough: only leave the loop
            exits = lcfg.loop_exits.get(loop, ())
            leaving = [e for e in edges if e[0] in exits]
            if leaving:
                self.summary.unroll_cuts += 1
                edges = leaving
        caught = pending is not None and any(
            exc and any(t in CATCH_ALL or self.graph.is_subtype(pending, t) for t in exc) for _, _, exc in edges)
        out: list[_State] = []
        for target, back, exc in edges:
            new_pending = pending
            if exc is None:
                if only_exc:
                    continue
            elif exc == ():  # the route of an uncaught exception from a callee
                if pending is None or caught:
                    continue
            else:  # into a handler
                if pending is not None and not any(t in CATCH_ALL or self.graph.is_subtype(pending, t)
                                                   or self.graph.is_subtype(t, pending) for t in exc):
                    continue
                new_pending = None
            new_counts = counts
            loop = lcfg.nodes[target].loop
            if loop is not None:
                if back:
                    if counts[loop] >= self.options.unroll:
                        self.summary.unroll_cuts += 1
                        continue
                    new_counts = counts[:loop] + (counts[loop] + 1,) + counts[loop + 1:]
                elif counts[loop]:
                    new_counts = counts[:loop] + (0,) + counts[loop + 1:]
            out.append((outer + ((method_id, lcfg, target, new_counts, new_pending),), steps))
        return out

    def complete(self, steps: _Steps, exit_kind: str) -> None:
        statements: list[str] = []  # the key first: most finished paths repeat a sequence already found
        link = steps
        while link is not None:
            step = link[0]
            if step.kind == "log" and step.statement is not None:
                statements.append(step.statement)
            link = link[1]
        statements.reverse()
        key = (exit_kind, tuple(statements))
        if key not in self.found:
            ordered: list[PathStep] = []
            while steps is not None:
                ordered.append(steps[0])
                steps = steps[1]
            ordered.reverse()
            self.found[key] = ordered
        self.finished = True

    # -- the two phases --------------------------------------------------------------------------------------------
    def search(self, start: _State) -> bool:
        """Depth-first search within the work budget; True when it finished."""
        stack = [start]
        while stack:
            if self.work >= self.options.work_budget:
                return False
            stack.extend(reversed(self.expand(stack.pop())))
        return True

    def sample(self, start: _State, rng: random.Random) -> None:
        """Random walks (seeded) until enough distinct sequences, walks, or another work budget is spent.

        A walk is a depth-first search in random order that stops at its first finished path, so a walk that
        runs into a loop's unrolling bound backs up to its last choice instead of being thrown away.
        """
        self.found_by_search, self.found = self.found, {}
        limit = self.work + self.options.work_budget
        for _ in range(self.options.sample_walks):
            if len(self.found) >= self.options.max_paths or self.work >= limit:
                return
            self.finished = False
            stack = [start]
            while stack and not self.finished and self.work < limit:
                successors = self.expand(stack.pop())
                rng.shuffle(successors)
                stack.extend(successors)


def structural_paths(graph: CallGraph, method_id: str, depth: int, max_candidates: int,
                     memo: dict[tuple[str, int], float] | None = None, stack: frozenset[str] = frozenset()) -> float:
    """Number of entry-to-exit paths with each loop body run 0 or 1 times and calls inlined to ``depth``.

    A back edge counts as an edge to the loop's "condition false" nodes (the body ran once, then the loop ended),
    which keeps the graph acyclic for one pass of dynamic programming. Capped at 1e300.
    """
    memo = memo if memo is not None else {}
    key = (method_id, depth)
    if key in memo:
        return memo[key]
    lcfg = graph.lcfg(method_id)
    n = len(lcfg.nodes)
    forward: list[list[int]] = []
    for edges in lcfg.succ:
        targets: list[int] = []
        for target, back, _ in edges:
            if back:
                targets.extend(lcfg.loop_exits.get(lcfg.nodes[target].loop, []))  # type: ignore[arg-type]
            else:
                targets.append(target)
        forward.append(targets)
    indegree = [0] * n
    for targets in forward:
        for target in targets:
            indegree[target] += 1
    ways = [0.0] * n
    ways[lcfg.entry] = 1.0
    ready = [i for i in range(n) if indegree[i] == 0]
    total = 0.0
    inner = stack | {method_id}
    while ready:
        node_id = ready.pop()
        node = lcfg.nodes[node_id]
        weight = ways[node_id]
        if node.kind == "call" and depth > 0:
            callees = [c for c in node.callees[:max_candidates] if c not in inner]
            if callees:
                weight *= sum(structural_paths(graph, c, depth - 1, max_candidates, memo, inner) for c in callees)
        if node.kind == "exit":
            total += weight
        for target in forward[node_id]:
            ways[target] = min(ways[target] + weight, 1e300)
            indegree[target] -= 1
            if indegree[target] == 0:
                ready.append(target)
    memo[key] = min(total, 1e300)
    return memo[key]


def auto_entries(graph: CallGraph) -> list[str]:
    """Entry points: thread ``run()`` methods, ``main(String[])``, and public methods that may log and that no
    call site of the code base calls. Only methods that may log are kept (the others log nothing)."""
    called = graph.called
    entries = []
    for mid in sorted(graph.may_log):
        method = graph.methods[mid]
        thread = method.name == "run" and method.arity == 0
        main = method.name == "main" and method.static and method.arity == 1
        uncalled = method.public and mid not in called and method.name not in ("<init>", "<clinit>") \
            and method.info.kind != "lambda"
        if thread or main or uncalled:
            entries.append(mid)
    return entries


def resolve_entries(graph: CallGraph, names: list[str]) -> list[str]:
    """Method ids for ``--entry`` values (``auto`` expands to :func:`auto_entries`); unknown names are an error."""
    out: list[str] = []
    for name in names:
        found = auto_entries(graph) if name == "auto" else graph.find(name)
        if not found:
            problem = "no thread run(), main() or uncalled public method that may log" if name == "auto" \
                else f"no method {name!r} in the code base"
            raise InputError(problem, field="--entry")
        out.extend(m for m in found if m not in out)
    return out


def enumerate_paths(graph: CallGraph, entries: list[str], options: PathOptions | None = None) -> PathResult:
    """Paths from each entry (names as for ``--entry``); see the module docstring for bounds and sampling."""
    options = options or PathOptions()
    result = PathResult()
    method_ids = resolve_entries(graph, entries)
    memo: dict[tuple[str, int], float] = {}
    with Progress("paths", total=len(method_ids)) as bar:
        for method_id in method_ids:
            started = time.perf_counter()
            summary = EntrySummary(graph.methods[method_id].display, method_id)
            walker = _Walker(graph, options, summary)
            start = walker.start(method_id)
            summary.exhaustive = walker.search(start)
            rng = random.Random(f"{options.seed}:{method_id}")
            if not summary.exhaustive:
                walker.sample(start, rng)
            keys = sorted(walker.found)
            if len(keys) > options.max_paths:
                keys = sorted(rng.sample(keys, options.max_paths))
            # a cut search found sequences sharing one long prefix: they only fill what the walks left free
            spare = sorted(k for k in walker.found_by_search if k not in walker.found)
            if len(keys) < options.max_paths and spare:
                keys = sorted(keys + rng.sample(spare, min(len(spare), options.max_paths - len(keys))))
            summary.distinct = len(walker.found.keys() | walker.found_by_search.keys())
            summary.paths = len(keys)
            summary.cut_by_max_paths = summary.distinct - summary.paths
            summary.depth_cuts = len(walker.depth_cut_sites)
            summary.work = walker.work
            summary.structural_paths = structural_paths(graph, method_id, options.depth, options.max_candidates,
                                                        memo)
            for number, key in enumerate(keys):
                steps = walker.found[key] if key in walker.found else walker.found_by_search[key]
                result.paths.append(ExecutionPath(f"{summary.entry}#{number}", summary.entry, steps, exit=key[0]))
            summary.seconds = round(time.perf_counter() - started, 4)
            result.entries.append(summary)
            bar.advance()
    return result


def summary_path(out: str | os.PathLike[str]) -> Path:
    """``paths.jsonl`` -> ``paths.summary.json`` beside it."""
    path = Path(out)
    return path.with_name(path.name.removesuffix(".jsonl") + ".summary.json")


def write_paths(result: PathResult, out: str | os.PathLike[str]) -> Path:
    """Write one JSONL record per path (``ExecutionPath.to_dict()``) and the per-entry summary beside it."""
    side = summary_path(out)
    with atomic_files() as files:  # the paths and their summary appear together or not at all
        with files.open(out, "w") as fh:
            for path in result.paths:
                fh.write(json.dumps(path.to_dict(), ensure_ascii=False, sort_keys=True) + "\n")
        with files.open(side, "w") as fh:
            json.dump(result.to_dict(), fh, indent=1, sort_keys=True)
            fh.write("\n")
    return side
