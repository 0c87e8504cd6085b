"""Read and write spec files: YAML with line numbers kept per key, so every problem names its field and line."""

from __future__ import annotations

import json
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from synthlog.errors import ConfigError
from synthlog.stats.spec import Spec

Loc = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class SpecProblem:
    """One problem of a spec file: the field path (``services.0.calls.1.to``), its YAML line, and what is wrong."""

    field: str
    line: int | None
    message: str

    def describe(self, path: str | PathLike[str]) -> str:
        """``FILE:LINE: field: message``, the way the CLI prints problems."""
        return str(ConfigError(self.message, path=path, line=self.line, field=self.field or None))


@dataclass(slots=True)
class _Lines:
    """Where each key or item of a YAML document starts, and which paths are mappings."""

    start: dict[Loc, int]
    mappings: set[Loc]

    def line_of(self, loc: Loc) -> int | None:
        """The line of the longest prefix of ``loc`` that the document has."""
        for end in range(len(loc), -1, -1):
            if loc[:end] in self.start:
                return self.start[loc[:end]]
        return None

    def in_document(self, loc: Loc) -> Loc:
        """A pydantic ``loc`` as the user wrote it: without the tags pydantic adds for unions and validators,
        or the keys of a short form (``lag: 250ms`` is checked as ``lag.value``), but with a missing key."""
        kept: Loc = ()
        for part in loc:
            if kept + (part,) in self.start:
                kept += (part,)
            elif kept in self.mappings and isinstance(part, str) and not any(c in part for c in "[]()-"):
                return kept + (part,)
        return kept


def _load_with_lines(text: str) -> tuple[Any, _Lines]:
    """The YAML document and where each of its keys and items starts."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    lines = _Lines({}, set())

    def walk(current: yaml.Node, loc: Loc) -> None:
        lines.start.setdefault(loc, current.start_mark.line + 1)
        if isinstance(current, yaml.MappingNode):
            lines.mappings.add(loc)
            for key, value in current.value:
                child = loc + (key.value if isinstance(key, yaml.ScalarNode) else str(key.value),)
                lines.start[child] = key.start_mark.line + 1
                walk(value, child)
        elif isinstance(current, yaml.SequenceNode):
            for i, item in enumerate(current.value):
                lines.start[loc + (i,)] = item.start_mark.line + 1
                walk(item, loc + (i,))

    if node is not None:
        walk(node, ())
    return data, lines


def spec_problems_in_text(text: str) -> tuple[Spec | None, list[SpecProblem]]:
    """Parse and validate a spec's YAML text: the spec when valid, and every problem found."""
    try:
        data, lines = _load_with_lines(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        reason = getattr(exc, "problem", None) or str(exc)
        return None, [SpecProblem("", mark.line + 1 if mark else None, f"not valid YAML: {reason}")]
    if not isinstance(data, dict):
        return None, [SpecProblem("", 1, "a spec is a YAML mapping with at least name and services")]
    try:
        return Spec.model_validate(data), []
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False):
            loc = lines.in_document(tuple(error["loc"]))
            message = error["msg"].removeprefix("Value error, ")
            problems.append(SpecProblem(".".join(str(p) for p in loc), lines.line_of(loc), message))
        return None, problems


def check_spec_file(path: str | PathLike[str]) -> tuple[Spec | None, list[SpecProblem]]:
    """Validate a spec file: the spec when valid, and every problem with its field path and line."""
    return spec_problems_in_text(Path(path).read_text(encoding="utf-8"))


def load_spec(path: str | PathLike[str]) -> Spec:
    """The spec in a YAML file; a :class:`ConfigError` naming the first problem's line and field otherwise."""
    spec, problems = check_spec_file(path)
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more: run 'synthlog spec check {path}')" if len(problems) > 1 else ""
        raise ConfigError(first.message + more, path=path, line=first.line, field=first.field or None)
    assert spec is not None
    return spec


def spec_json_schema() -> str:
    """The spec's JSON Schema, pretty-printed."""
    return json.dumps(Spec.model_json_schema(), indent=2)


def dump_spec(spec: Spec) -> str:
    """A spec as YAML (durations in seconds, defaults left out), readable back by :func:`load_spec`."""
    data = spec.model_dump(mode="json", exclude_defaults=True)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120)
