"""Label rules: which synthetic log lines, and so which sessions, are anomalous, and which rule said so.

Usage::

    rules = LabelRules.load(None)                       # the built-in rules (synthlog/data/label_rules.yaml)
    rules = LabelRules.load("my_rules.yaml")            # or a file; errors name the file, line and field
    label, rule = rules.label_line(statement, LineContext(exit="exception:IOException", last_before_exit=True))
    per_line = rules.label_path(path, statements_by_id) # [(label, rule), ...] for path.statements
    label, rule = rules.label_session(per_line)         # ANOMALY and the first line's rule, or (NORMAL, None)
    rules.apply(session, path, statements_by_id)        # sets LogEvent.label/label_rule and Session.label/label_rule

File format (YAML)::

    rules:                        # a line is anomalous when a rule matches and no exemption does
      - name: disk-trouble        # optional; otherwise recorded by what matched (level:ERROR, keyword:timeout ...)
        keywords: [corrupt, "no space"]
      - level: [ERROR, FATAL]
    exempt:
      - name: retry-warning
        level: [WARN]
        in_retry_loop: true

Conditions of one entry must all hold: ``level`` (any of), ``keywords`` (any, matched case-insensitively as a
whole word or its inflection (failed, timeouts; not ``invalidSet``) in the template's literal text, not in
generated values), ``template`` (a regex searched in the template), ``statement`` (ids), ``method`` (a regex
on ``Class.method``), ``in_catch``, ``exceptional_exit`` (the last log line of a path that leaves by an
exception) and ``in_retry_loop`` (the nearest condition before the line, in its method, mentions
retry/attempt/tries/backoff, or the template itself speaks of retrying).
Rules are tried in file order; the first that matches names the label. A matching exemption makes the line
normal, recorded as ``exempt:<name>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from os import PathLike

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from synthlog.code.records import ExecutionPath, Statement
from synthlog.configfile import load_config
from synthlog.parse.drain import WILDCARD
from synthlog.records import ANOMALY, NORMAL, LogEvent, Session

_RETRY = re.compile(r"retr(y|ies|ying)|attempt|tries|backoff", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class LineContext:
    """Where a line sits on its path (what a statement alone cannot tell)."""

    exit: str = "normal"
    last_before_exit: bool = False
    in_retry_loop: bool = False

    @property
    def exceptional_exit(self) -> bool:
        return self.exit != "normal" and self.last_before_exit


class Match(BaseModel):
    """One rule or exemption: a name and conditions that must all hold."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    level: list[str] | None = None
    keywords: list[str] | None = None
    template: str | None = None
    statement: list[str] | None = None
    method: str | None = None
    in_catch: bool | None = None
    exceptional_exit: bool | None = None
    in_retry_loop: bool | None = None

    @field_validator("level")
    @classmethod
    def _upper(cls, levels: list[str] | None) -> list[str] | None:
        return None if levels is None else [x.upper() for x in levels]

    @field_validator("template", "method")
    @classmethod
    def _regex(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as error:
                raise ValueError(f"not a valid regular expression: {error}") from None
        return pattern

    _keyword_re: re.Pattern[str] | None = PrivateAttr(default=None)
    _template_re: re.Pattern[str] | None = PrivateAttr(default=None)
    _method_re: re.Pattern[str] | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _has_condition(self) -> Match:
        if all(getattr(self, f) is None for f in type(self).model_fields if f != "name"):
            raise ValueError("an entry needs at least one condition")
        return self

    def model_post_init(self, _context: object) -> None:
        words = "|".join(re.escape(k) for k in self.keywords or [])
        # whole words and their inflections (failed, failures, timeouts), not prefixes of names (invalidSet)
        self._keyword_re = re.compile(rf"\b({words})(?:s|es|d|ed|ing|ure|ures)?\b", re.IGNORECASE) if words else None
        self._template_re = re.compile(self.template) if self.template else None
        self._method_re = re.compile(self.method) if self.method else None

    def matches(self, statement: Statement, context: LineContext) -> str | None:
        """What matched, as an implicit rule name (``level:ERROR+keyword:fail``), or None when it does not."""
        hits: list[str] = []
        if self.level is not None:
            if statement.level.upper() not in self.level:
                return None
            hits.append(f"level:{statement.level.upper()}")
        if self._keyword_re is not None:
            found = self._keyword_re.search(" ".join(statement.template.split(WILDCARD)))
            if found is None:
                return None
            hits.append(f"keyword:{found.group(1).lower()}")
        checks = [
            ("template", self._template_re is None or self._template_re.search(statement.template) is not None),
            ("statement", self.statement is None or statement.id in self.statement),
            ("method", self._method_re is None or self._method_re.search(f"{statement.cls}.{statement.method}")),
            ("in_catch", self.in_catch is None or statement.in_catch == self.in_catch),
            ("exceptional_exit", self.exceptional_exit is None or context.exceptional_exit == self.exceptional_exit),
            ("in_retry_loop", self.in_retry_loop is None or context.in_retry_loop == self.in_retry_loop),
        ]
        for name, ok in checks:
            if not ok:
                return None
            if getattr(self, name) is not None:
                hits.append(name if name != "statement" else f"statement:{statement.id}")
        return "+".join(hits)


class RuleFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: list[Match] = Field(default_factory=list)
    exempt: list[Match] = Field(default_factory=list)


def _retry_contexts(path: ExecutionPath, statements: dict[str, Statement]) -> list[bool]:
    """For each log line of ``path``: is it inside a retry loop (see the module docstring)?"""
    last_cond: dict[str | None, str] = {}
    out: list[bool] = []
    for step in path.steps:
        if step.kind == "cond" and step.expr:
            last_cond[step.method] = step.expr
        elif step.kind in ("enter", "exit") and step.method:
            last_cond.pop(step.method, None)
        elif step.kind == "log" and step.statement is not None:
            statement = statements.get(step.statement)
            template = statement.template if statement else ""
            out.append(bool(_RETRY.search(last_cond.get(step.method, "")) or _RETRY.search(template)))
    return out


class LabelRules:
    """A loaded rule file; see the module docstring."""

    def __init__(self, rules: RuleFile, source: str = "<built-in>"):
        self.rules = rules
        self.source = source

    @classmethod
    def load(cls, path: str | PathLike[str] | None = None) -> LabelRules:
        """Rules from a YAML file, or the built-in default when ``path`` is None."""
        if path is None:
            text = resources.files("synthlog").joinpath("data/label_rules.yaml").read_text(encoding="utf-8")
            return cls.from_text(text, "<built-in label_rules.yaml>")
        return cls(load_config(RuleFile, path, "label rule file"), str(path))

    @classmethod
    def from_text(cls, text: str, source: str = "<text>") -> LabelRules:
        return cls(load_config(RuleFile, source, "label rule file", text=text), source)

    def label_line(self, statement: Statement, context: LineContext | None = None) -> tuple[int, str | None]:
        """``(ANOMALY, rule)`` when a rule fires and no exemption applies; else ``(NORMAL, exemption or None)``."""
        context = context or LineContext()
        for rule in self.rules.rules:
            hit = rule.matches(statement, context)
            if hit is not None:
                for exemption in self.rules.exempt:
                    why = exemption.matches(statement, context)
                    if why is not None:
                        return NORMAL, f"exempt:{exemption.name or why}"
                return ANOMALY, rule.name or hit
        return NORMAL, None

    def label_path(self, path: ExecutionPath, statements: dict[str, Statement]) -> list[tuple[int, str | None]]:
        """Labels of the path's log lines, in order (a statement missing from ``statements`` is normal)."""
        ids = path.statements
        retry = _retry_contexts(path, statements)
        out: list[tuple[int, str | None]] = []
        for i, sid in enumerate(ids):
            statement = statements.get(sid)
            if statement is None:
                out.append((NORMAL, None))
                continue
            context = LineContext(exit=path.exit, last_before_exit=i == len(ids) - 1, in_retry_loop=retry[i])
            out.append(self.label_line(statement, context))
        return out

    @staticmethod
    def label_session(lines) -> tuple[int, str | None]:
        """A session's label from its lines' ``(label, rule)`` pairs or labeled LogEvents: the first anomaly wins."""
        for line in lines:
            label, rule = (line.label, line.label_rule) if isinstance(line, LogEvent) else line
            if label == ANOMALY:
                return ANOMALY, rule
        return NORMAL, None

    def apply(self, session: Session, path: ExecutionPath, statements: dict[str, Statement]) -> Session:
        """Label a session whose events are the path's log lines, in order; returns the session."""
        labels = self.label_path(path, statements)
        if len(labels) != len(session.events):
            raise ValueError(f"session {session.id} has {len(session.events)} events, path {path.id} "
                             f"has {len(labels)} log lines")
        for event, (label, rule) in zip(session.events, labels, strict=True):
            event.label, event.label_rule = label, rule
        session.label, session.label_rule = self.label_session(labels)
        return session
