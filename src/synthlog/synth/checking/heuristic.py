"""The offline checker: rejects paths whose branch conditions contradict each other, and scores plausibility.

Usage::

    checker = HeuristicChecker()                      # or HeuristicChecker(HeuristicConfig(long_path=60))
    verdict = checker.check(path, CheckContext(statements=by_id))
    verdict.feasible, verdict.score, verdict.reasons  # e.g. False, 0.0, ["contradiction-null: `x != null` ..."]

Walking the path's steps in order (facts per method frame, see :mod:`.conditions`):

- ``cond``: the condition (negated when its outcome is False) is added to the facts; a contradiction rejects the
  path with a reason naming both conditions and their lines.
- ``assign``: facts that mention the target are forgotten; a constant (``true``, ``3``, ``null``) or
  ``new T(...)`` right-hand side becomes a fact (a flag set ``true`` then tested false is a contradiction).
- Re-evaluating a condition at the same place (same method, line and text: a loop head, or a branch inside a
  loop) means a new iteration: what was learned since its previous evaluation is forgotten, and so is anything
  about variables assigned in between, because the loop body may have changed them.
- With a :class:`~.mutations.MutationIndex` in the context: a fact about ``x`` is forgotten when the source
  assigns ``x`` (or, for facts about call results such as ``q.isEmpty()``, calls a method on ``q``) at a line
  between two steps of the same method, and no fact is kept about fields that may change under the path
  (``volatile`` fields, fields assigned in several methods).
- ``call``/``enter``/``exit``: facts about method-call results (``q.isEmpty()``) are forgotten, since the callee may
  change state (with a mutation index, so are facts about anything but the method's local variables, since a
  callee may set fields); entering or leaving a method starts its frame afresh.

Plausibility ``score`` starts at 1 and is multiplied down for very long paths, several exceptional events
(exceptional exit, catch-block lines, exceptional exits of inlined calls) and loops repeated many times with
identical bodies; each penalty adds a reason. A score under ``min_score`` rejects the path (``low-score``).
"""

from __future__ import annotations

import functools
import re

from pydantic import BaseModel, Field

from synthlog.code.records import ExecutionPath, PathStep
from synthlog.synth.checking.base import CheckContext, Verdict
from synthlog.synth.checking.conditions import Facts, Literal, mentions, normalize, parse_condition
from synthlog.synth.checking.mutations import FileMutations, MutationIndex


class HeuristicConfig(BaseModel):
    long_path: int = Field(40, ge=1, description="log lines beyond this halve the score per this many more")
    exception_penalty: float = Field(0.7, ge=0, le=1, description="factor per exceptional event beyond the first")
    loop_iterations: int = Field(3, ge=1, description="evaluations of one loop condition allowed without penalty")
    loop_penalty: float = Field(0.85, ge=0, le=1, description="factor per evaluation beyond loop_iterations")
    identical_body_penalty: float = Field(0.8, ge=0, le=1, description="factor per loop body identical to the last")
    min_score: float = Field(0.05, ge=0, le=1, description="paths scoring below are rejected")


_NEW = re.compile(r"\s*new\s")
_CHAIN = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*")


def _where(step: PathStep) -> str:
    return f" (line {step.line})" if step.line is not None else ""


@functools.lru_cache(maxsize=65536)
def _names(key: str) -> tuple[str, ...]:
    """Variable names a fact key depends on: ``a.b.size()>0`` -> a, a.b, a.b.size."""
    out: list[str] = []
    for chain in _CHAIN.findall(key):
        parts = chain.split(".")
        out += [".".join(parts[:i]) for i in range(1, len(parts) + 1)]
    return tuple(out)


@functools.lru_cache(maxsize=65536)
def _roots(key: str) -> tuple[str, ...]:
    """The first name of every name chain in a fact key: ``a.b>c`` -> a, c."""
    return tuple(chain.split(".", 1)[0] for chain in _CHAIN.findall(key))


class _Walk:
    """The state of one walk along a path."""

    def __init__(self, entry: str, mutations: MutationIndex | None):
        self.mutations = mutations
        self.files: dict[str, FileMutations | None] = {}
        self.last_line: dict[str, int] = {}
        self.frames: dict[str, Facts] = {}
        self.stack: list[str] = [entry]
        # location -> (facts snapshot before its last evaluation, step index of it)
        self.seen: dict[tuple[str, int | None, str], tuple[Facts, int]] = {}
        self.evaluations: dict[tuple[str, int | None, str], int] = {}
        self.bodies: dict[tuple[str, int | None, str], list[tuple]] = {}
        self.identical_repeats = 0

    def scope(self, step: PathStep) -> str:
        return step.method or self.stack[-1]

    def facts(self, scope: str) -> Facts:
        return self.frames.setdefault(scope, Facts())

    def guard(self, scope: str, line: int | None) -> None:
        """Forget facts about variables the source may change between this scope's previous step and this one."""
        if self.mutations is None or not line:
            return
        if scope not in self.files:
            self.files[scope] = self.mutations.for_method(scope)
        found, last = self.files[scope], self.last_line.get(scope)
        self.last_line[scope] = line
        facts = self.frames.get(scope)
        if found is None or facts is None or not len(facts):
            return
        low, high = (line, last) if last is not None and line <= last else ((last or line) + 1, line)

        def stale(key: str) -> bool:
            calls = "(" in key
            return any(n in found.unstable or (last is not None and found.changes(n, low, high, calls))
                       for n in _names(key))

        facts.forget(stale)

    def forget_calls(self) -> None:
        """A call may change what calls return and, when the source is indexed, any field (not locals)."""
        for scope, facts in self.frames.items():
            found = self.files.get(scope) if self.mutations is not None else None
            if found is None:
                facts.forget(lambda key: "(" in key)
            else:
                facts.forget(lambda key, f=found: "(" in key or any(n not in f.locals for n in _roots(key)))


def _signature(step: PathStep) -> tuple:
    return (step.kind, step.statement, step.expr, step.outcome, step.target, step.method, step.line)


class HeuristicChecker:
    """Offline consistency checker; see the module docstring."""

    name = "heuristic"

    def __init__(self, config: HeuristicConfig | None = None):
        self.config = config or HeuristicConfig()

    @property
    def fingerprint(self) -> str:
        """Identifies the checker and its settings (cache keys)."""
        return f"heuristic:{self.config.model_dump_json()}"

    def check(self, path: ExecutionPath, context: CheckContext) -> Verdict:
        conflict = self._contradiction(path, walk := _Walk(path.entry, context.mutations))
        if conflict is not None:
            return Verdict(feasible=False, score=0.0, reasons=[conflict])
        score, reasons = self._plausibility(path, context, walk)
        if score < self.config.min_score:
            reasons.append(f"low-score: {score:.3f} < {self.config.min_score}")
            return Verdict(feasible=False, score=score, reasons=reasons)
        return Verdict(feasible=True, score=score, reasons=reasons)

    def _contradiction(self, path: ExecutionPath, walk: _Walk) -> str | None:
        steps = path.steps
        for index, step in enumerate(steps):
            if step.kind == "cond" and step.expr is not None and step.outcome is not None:
                scope = walk.scope(step)
                location = (scope, step.line, normalize(step.expr))
                if step.line is not None:  # without a line, a repeated condition cannot be told from a loop
                    walk.evaluations[location] = walk.evaluations.get(location, 0) + 1
                    if location in walk.seen:
                        self._new_iteration(walk, scope, location, steps, index)
                walk.guard(scope, step.line)  # after a loop restart, so the loop body's changes count
                if step.line is not None:
                    walk.seen[location] = (walk.facts(scope).copy(), index)
                shown = f"`{step.expr}` is {'true' if step.outcome else 'false'}{_where(step)}"
                found = walk.facts(scope).assume(parse_condition(step.expr), step.outcome, shown)
                if found is not None:
                    return found.reason()
                continue
            walk.guard(walk.scope(step), step.line)
            if step.kind == "assign" and step.target:
                facts = walk.facts(walk.scope(step))
                target = normalize(step.target)
                facts.forget(lambda key, t=target: mentions(key, t))
                rhs = normalize(step.expr or "")
                if rhs and not mentions(rhs, target):
                    shown = f"`{step.target} = {step.expr}`{_where(step)}"
                    if _NEW.match(step.expr or ""):
                        facts.add(Literal("const", target, "!=", "null", shown))
                    else:  # after forgetting the target, this cannot conflict
                        facts.assume(parse_condition(f"{target} == {rhs}"), True, shown)
            elif step.kind in ("call", "enter", "exit"):
                walk.forget_calls()
                if step.kind == "enter" and step.method:
                    walk.frames.pop(step.method, None)
                    walk.stack.append(step.method)
                elif step.kind == "exit" and step.method:
                    walk.frames.pop(step.method, None)
                    if len(walk.stack) > 1 and walk.stack[-1] == step.method:
                        walk.stack.pop()
        return None

    @staticmethod
    def _new_iteration(walk: _Walk, scope: str, location: tuple, steps: list[PathStep], index: int) -> None:
        snapshot, previous = walk.seen[location]
        body = steps[previous + 1:index]
        facts = snapshot.copy()
        for step in body:
            if step.kind == "assign" and step.target:
                target = normalize(step.target)
                facts.forget(lambda key, t=target: mentions(key, t))
        walk.frames[scope] = facts
        signature = [_signature(s) for s in body]
        bodies = walk.bodies.setdefault(location, [])
        if bodies and bodies[-1] == signature:
            walk.identical_repeats += 1
        bodies.append(signature)

    def _plausibility(self, path: ExecutionPath, context: CheckContext, walk: _Walk) -> tuple[float, list[str]]:
        cfg = self.config
        score, reasons = 1.0, []
        lines = len(path.statements)
        if lines > cfg.long_path:
            score *= 0.5 ** ((lines - cfg.long_path) / cfg.long_path)
            reasons.append(f"long-path: {lines} log lines (> {cfg.long_path})")
        exceptional = int(path.exceptional)
        exceptional += sum(1 for sid in path.statements if (s := context.statements.get(sid)) and s.in_catch)
        exceptional += sum(1 for s in path.steps if s.kind == "exit" and (s.expr or "").startswith("exception"))
        if exceptional > 1:
            score *= cfg.exception_penalty ** (exceptional - 1)
            reasons.append(f"many-exceptions: {exceptional} exceptional events")
        extra = sum(max(0, n - cfg.loop_iterations) for n in walk.evaluations.values())
        if extra:
            score *= cfg.loop_penalty ** extra
            reasons.append(f"long-loop: {extra} loop iterations beyond {cfg.loop_iterations}")
        if walk.identical_repeats:
            score *= cfg.identical_body_penalty ** walk.identical_repeats
            reasons.append(f"repeated-loop-body: {walk.identical_repeats} iterations identical to the previous one")
        return score, reasons
