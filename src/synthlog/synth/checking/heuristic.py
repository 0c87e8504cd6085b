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
- ``call``/``enter``/``exit``: facts about method-call results (``q.isEmpty()``) are forgotten, since the callee may
  change state; entering or leaving a method starts its frame afresh.

Plausibility ``score`` starts at 1 and is multiplied down for very long paths, several exceptional events
(exceptional exit, catch-block lines, exceptional exits of inlined calls) and loops repeated many times with
identical bodies; each penalty adds a reason. A score under ``min_score`` rejects the path (``low-score``).
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from synthlog.code.records import ExecutionPath, PathStep
from synthlog.synth.checking.base import CheckContext, Verdict
from synthlog.synth.checking.conditions import Facts, Literal, mentions, normalize, parse_condition


class HeuristicConfig(BaseModel):
    long_path: int = Field(40, ge=1, description="log lines beyond this halve the score per this many more")
    exception_penalty: float = Field(0.7, ge=0, le=1, description="factor per exceptional event beyond the first")
    loop_iterations: int = Field(3, ge=1, description="evaluations of one loop condition allowed without penalty")
    loop_penalty: float = Field(0.85, ge=0, le=1, description="factor per evaluation beyond loop_iterations")
    identical_body_penalty: float = Field(0.8, ge=0, le=1, description="factor per loop body identical to the last")
    min_score: float = Field(0.05, ge=0, le=1, description="paths scoring below are rejected")


_NEW = re.compile(r"\s*new\s")


def _where(step: PathStep) -> str:
    return f" (line {step.line})" if step.line is not None else ""


class _Walk:
    """The state of one walk along a path."""

    def __init__(self, entry: str):
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

    def forget_calls(self) -> None:
        for facts in self.frames.values():
            facts.forget(lambda key: "(" in key)


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
        conflict = self._contradiction(path, walk := _Walk(path.entry))
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
                    walk.seen[location] = (walk.facts(scope).copy(), index)
                shown = f"`{step.expr}` is {'true' if step.outcome else 'false'}{_where(step)}"
                found = walk.facts(scope).assume(parse_condition(step.expr), step.outcome, shown)
                if found is not None:
                    return found.reason()
            elif step.kind == "assign" and step.target:
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
