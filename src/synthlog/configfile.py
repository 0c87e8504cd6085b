"""YAML configuration files validated by pydantic, with every problem named by file, field and line.

Specs, recipes, label rules and bench configs all load through here::

    recipe = load_config(Recipe, "recipe.yaml")              # ConfigError "recipe.yaml:12: stages.1.role: ..."
    data, lines = read_yaml(text, "recipe.yaml")              # the document and where each key starts
                                                              # (bounded: depth and alias expansion)
    problems = validation_problems(exc, lines)                # every error of a ValidationError, located

Line numbers come from the YAML nodes, so they point at the key the user wrote (or, for a missing key, at the
mapping that lacks it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from synthlog.errors import ConfigError

Loc = tuple[str | int, ...]
MAX_DEPTH = 100  # real configurations nest less than 10 deep
MAX_NODES = 2_000_000  # values of a document with aliases expanded: a large profiled spec has some 10^5
Model = TypeVar("Model", bound=BaseModel)


@dataclass(slots=True)
class YamlLines:
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


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem of a configuration file: the field path (``stages.1.role``), its line, and what is wrong."""

    field: str
    line: int | None
    message: str

    def error(self, source: str | PathLike[str]) -> ConfigError:
        return ConfigError(self.message, path=source, line=self.line, field=self.field or None)


def read_text(path: str | PathLike[str], what: str = "configuration") -> str:
    """A configuration file's text; unreadable or non-UTF-8 files are a ConfigError naming the file (and line)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {what}: {exc.strerror or exc}", path=path) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not valid UTF-8 (byte 0x{data[exc.start]:02x})", path=path,
                          line=data.count(b"\n", 0, exc.start) + 1) from None


def _check_nesting(text: str, source: str | PathLike[str]) -> None:
    """Refuse nesting deeper than MAX_DEPTH before composing (PyYAML composes recursively: a RecursionError)."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise ConfigError(f"nested more than {MAX_DEPTH} levels deep", path=source,
                                      line=event.start_mark.line + 1)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return  # composing reports it, with its line


def _expanded_size(node: yaml.Node, source: str | PathLike[str]) -> int:
    """Nodes of the document with every alias expanded, counted without expanding (each shared node once), so an
    alias bomb (billion laughs) is refused before anything walks it."""
    sizes: dict[int, int] = {}
    order: list[yaml.Node] = []
    stack = [node]
    while stack:  # children before parents, each node once
        current = stack.pop()
        if id(current) in sizes:
            continue
        sizes[id(current)] = -1
        order.append(current)
        stack.extend(_children(current))
    for current in reversed(order):
        size = 1 + sum(sizes[id(child)] for child in _children(current))
        if size > MAX_NODES:
            raise ConfigError(f"expands to more than {MAX_NODES:,} values through its aliases (*name); refused",
                              path=source, line=current.start_mark.line + 1)
        sizes[id(current)] = size
    return sizes[id(node)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def read_yaml(text: str, source: str | PathLike[str] = "<text>") -> tuple[Any, YamlLines]:
    """The YAML document and where each of its keys and items starts; invalid YAML is a ConfigError, and so is a
    document nested deeper than ``MAX_DEPTH`` or expanding through aliases to more than ``MAX_NODES`` values."""
    _check_nesting(text, source)
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            _expanded_size(node, source)
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(f"not valid YAML: {getattr(exc, 'problem', None) or exc}", path=source,
                          line=mark.line + 1 if mark else None) from None
    finally:
        loader.dispose()
    lines = YamlLines({}, set())

    def walk(current: yaml.Node, loc: Loc) -> None:
        lines.start.setdefault(loc, current.start_mark.line + 1)
        if isinstance(current, yaml.MappingNode):
            lines.mappings.add(loc)
            for key, value in current.value:
                child = loc + (key.value if isinstance(key, yaml.ScalarNode) else str(key.value),)
                if child in lines.start:  # PyYAML would silently keep the last one
                    raise ConfigError(f"key {child[-1]!r} appears twice in one mapping", path=source,
                                      line=key.start_mark.line + 1, field=".".join(str(p) for p in child))
                lines.start[child] = key.start_mark.line + 1
                walk(value, child)
        elif isinstance(current, yaml.SequenceNode):
            for i, item in enumerate(current.value):
                lines.start[loc + (i,)] = item.start_mark.line + 1
                walk(item, loc + (i,))

    if node is not None:
        walk(node, ())
    return data, lines


def validation_problems(exc: ValidationError, lines: YamlLines) -> list[Problem]:
    """Every error of a pydantic validation, with the field as written in the file and its line."""
    problems = []
    for error in exc.errors(include_url=False):
        loc = lines.in_document(tuple(error["loc"]))
        message = error["msg"].removeprefix("Value error, ")
        problems.append(Problem(".".join(str(p) for p in loc), lines.line_of(loc), message))
    return problems


def load_config(model: type[Model], path: str | PathLike[str], what: str = "configuration",
                prepare: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
                text: str | None = None) -> Model:
    """Read ``path`` (or ``text``, named ``path``) and validate it as ``model``; the first problem is raised as a
    ConfigError naming file, line and field. ``prepare`` may adjust the mapping before validation."""
    if text is None:
        text = read_text(path, what)
    data, lines = read_yaml(text, path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"a {what} is a YAML mapping", path=path, line=1)
    if prepare is not None:
        data = prepare(data)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_problems(exc, lines)[0].error(path) from None
