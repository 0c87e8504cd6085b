"""The checker protocol: ``check(path, context) -> Verdict``, shared by the heuristic and LLM back-ends.

A :class:`Verdict` says whether a path is feasible, how plausible it is (``score`` in [0, 1]), why (``reasons``,
each ``"<code>: <detail>"`` so a summary can count codes with :func:`reason_code`), and optionally the slot values
proposed for its log lines: ``values[i]`` fills the slots of the ``i``-th log line of ``path.statements``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from synthlog.code.records import ExecutionPath, Statement

if TYPE_CHECKING:
    from synthlog.synth.checking.mutations import MutationIndex


@dataclass(slots=True)
class CheckContext:
    """What a checker may look at besides the path: statements by id and, optionally, method sources.

    ``sources`` maps ``Class.method`` (as in ``ExecutionPath.entry`` and ``PathStep.method``) to source text.
    ``mutations`` (:class:`~.mutations.MutationIndex`) tells where the source changes variables that the path does
    not show; without it the heuristic checker trusts that only the path's own assignments change variables.
    """

    statements: dict[str, Statement] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    system: str | None = None  # e.g. "HDFS", named in LLM prompts
    mutations: MutationIndex | None = None

    def methods_on(self, path: ExecutionPath) -> list[str]:
        """The methods a path runs through, entry first, each once, in order of appearance."""
        seen = [path.entry]
        for step in path.steps:
            if step.method and step.method not in seen:
                seen.append(step.method)
        for sid in path.statements:
            statement = self.statements.get(sid)
            if statement is not None:
                name = f"{statement.cls}.{statement.method}"
                if name not in seen:
                    seen.append(name)
        return seen


@dataclass(slots=True)
class Verdict:
    feasible: bool
    score: float = 1.0
    reasons: list[str] = field(default_factory=list)
    values: dict[int, list[str]] | None = None

    def to_dict(self) -> dict[str, Any]:
        values = None if self.values is None else {str(k): v for k, v in sorted(self.values.items())}
        return {"feasible": self.feasible, "score": self.score, "reasons": list(self.reasons), "values": values}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Verdict:
        values = data.get("values")
        return cls(feasible=bool(data["feasible"]), score=float(data["score"]), reasons=list(data["reasons"]),
                   values=None if values is None else {int(k): list(v) for k, v in values.items()})


@runtime_checkable
class Checker(Protocol):
    """Anything with ``check(path, context) -> Verdict``; ``name`` identifies it in caches and reports."""

    name: str

    def check(self, path: ExecutionPath, context: CheckContext) -> Verdict: ...


def check_all(checker: Checker, paths: Sequence[ExecutionPath], context: CheckContext) -> list[Verdict]:
    """Verdicts of ``paths`` in order: in one batch when the checker has ``check_many`` (concurrent LLM requests,
    one cache pass), else one ``check`` per path."""
    many = getattr(checker, "check_many", None)
    return many(paths, context) if many is not None else [checker.check(p, context) for p in paths]


def reason_code(reason: str) -> str:
    """The stable code at the start of a reason (``"contradiction-null: x == null ..."`` -> ``contradiction-null``)."""
    return reason.split(": ", 1)[0]


def count_reasons(verdicts: Iterable[Verdict], rejected_only: bool = True) -> dict[str, int]:
    """How often each reason code occurs, most frequent first (ties by code), for run summaries."""
    counts = Counter(reason_code(r) for v in verdicts if not (rejected_only and v.feasible) for r in v.reasons)
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
