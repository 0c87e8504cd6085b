"""Records of code analysis: logging statements and the execution paths that pass through them.

These are the seam between ``scan`` (which finds statements), ``lcfg`` / ``paths`` (which enumerate what a
method can log) and ``synth`` (which turns paths into labeled log lines). A statement is tied to its source by
file and byte span, so the control-flow builder can recognise the very call node the scanner saw.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal


@dataclass(slots=True)
class Statement:
    """One logging call in the source.

    ``template`` keeps the literal text exactly and has ``<*>`` for every variable part; ``args`` are the
    source expressions that fill the ``<*>`` slots, in order. ``cls`` uses ``$`` for nested classes
    (``Outer$Inner``), as Java names them at run time; anonymous classes and lambdas get ``$1``, ``$2`` ...
    ``exception`` is the source of a trailing Throwable argument, if any.
    """

    id: str
    file: str  # relative to the scanned root, with forward slashes
    line: int
    end_line: int
    cls: str
    method: str
    level: str  # upper case: TRACE DEBUG INFO WARN ERROR FATAL
    template: str
    args: list[str] = field(default_factory=list)
    in_catch: bool = False
    exception: str | None = None
    start_byte: int = 0
    end_byte: int = 0
    language: Literal["java", "python"] = "java"
    guarded: bool = False  # inside an ``isDebugEnabled()``-style guard
    partial: bool = False  # found in a file with syntax errors

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


StepKind = Literal["log", "cond", "assign", "call", "enter", "exit"]


@dataclass(slots=True)
class PathStep:
    """One step along an execution path.

    - ``log``: the logging statement ``statement`` ran.
    - ``cond``: the branch condition ``expr`` (source text) evaluated to ``outcome`` (True / False); for a
      switch, ``expr`` is ``selector == label`` with outcome True (or False for ``default``).
    - ``assign``: ``target = expr`` (source text), kept so a checker can see a flag set then tested.
    - ``call`` / ``enter`` / ``exit``: entering and leaving an inlined method (``method`` is ``Class.method``).
    ``line`` and ``method`` locate the step in the source.
    """

    kind: StepKind
    statement: str | None = None
    expr: str | None = None
    outcome: bool | None = None
    target: str | None = None
    method: str | None = None
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PathStep:
        return cls(**data)


@dataclass(slots=True)
class ExecutionPath:
    """A structurally valid execution path from an entry point to one of its exits.

    ``exit`` is ``"normal"`` or ``"exception:<Type>"`` (the exception that leaves the entry method).
    ``statements`` is the log-statement sequence the path produces (the ``log`` steps, in order).
    """

    id: str
    entry: str  # Class.method
    steps: list[PathStep] = field(default_factory=list)
    exit: str = "normal"

    @property
    def statements(self) -> list[str]:
        return [s.statement for s in self.steps if s.kind == "log" and s.statement is not None]

    @property
    def exceptional(self) -> bool:
        return self.exit != "normal"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "entry": self.entry, "exit": self.exit, "statements": self.statements,
                "steps": [s.to_dict() for s in self.steps]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ExecutionPath:
        return cls(id=data["id"], entry=data["entry"], exit=data.get("exit", "normal"),
                   steps=[PathStep.from_dict(s) for s in data.get("steps", [])])
