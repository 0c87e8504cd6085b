"""Read and write spec files: every problem of a spec is reported with its field path and YAML line."""

from __future__ import annotations

import json
from os import PathLike

import yaml
from pydantic import ValidationError

from synthlog.configfile import Problem, read_text, read_yaml, validation_problems
from synthlog.errors import ConfigError
from synthlog.stats.spec import Spec


def spec_problems_in_text(text: str, source: str | PathLike[str] = "<text>") -> tuple[Spec | None, list[Problem]]:
    """Parse and validate a spec's YAML text: the spec when valid, and every problem found (field, line,
    message); structural problems hide cross-reference ones until they are fixed."""
    try:
        data, lines = read_yaml(text, source)
    except ConfigError as exc:
        return None, [Problem("", exc.line, exc.reason)]
    if not isinstance(data, dict):
        return None, [Problem("", 1, "a spec is a YAML mapping with at least name and services")]
    try:
        return Spec.model_validate(data), []
    except ValidationError as exc:
        return None, validation_problems(exc, lines)


def check_spec_file(path: str | PathLike[str]) -> tuple[Spec | None, list[Problem]]:
    """Validate a spec file: the spec when valid, and every problem with its field path and line."""
    try:
        text = read_text(path, "spec")
    except ConfigError as exc:
        return None, [Problem("", exc.line, exc.reason)]
    return spec_problems_in_text(text, path)


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
