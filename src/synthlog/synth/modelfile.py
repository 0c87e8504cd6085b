"""A fitted (and calibrated) :class:`~synthlog.synth.generate.CodeSynthesizer` as one JSON file, never a pickle.

The file holds what sampling, calibration and the run summary read: the configuration (without the checker),
the recipe, the pools of checked, labeled variants, the statements they print with their slot types, the
template ids, the value model, the layout, the calibration and the checker's verdicts. Fitting again needs the
source; sampling a loaded model does not, and gives byte-identical output for the same seed.

The JSON is typed so that a load rebuilds the same objects: a dict is ``{"$d": [[key, value], ...]}`` (keys of
any type, insertion order kept), a tuple ``{"$t": [...]}``, a Counter ``{"$c": [[key, count], ...]}``, a set
``{"$s": [...]}``, an enum ``{"$e": [class, value]}``, a record ``{"$o": class, "$id": n, "f": {...}}`` (one of
the classes of :data:`CLASSES`, nothing else is ever built), a later use of the same record ``{"$r": n}`` (so
variants shared by a pool and a calibration stay shared), a recipe ``{"$p": class, "v": ...}`` (validated again on
load) and the layout ``{"$layout": {...}}`` (rebuilt from its pattern or format). Floats keep every digit.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections import Counter
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from synthlog import __version__
from synthlog.code.paths import PathOptions
from synthlog.code.records import Statement
from synthlog.code.slottypes import SlotType
from synthlog.errors import InputError
from synthlog.io.atomic import atomic_open
from synthlog.io.layout import Layout
from synthlog.records import Template
from synthlog.synth.calibrate import Calibration
from synthlog.synth.checking import Verdict
from synthlog.synth.pools import Pool, Variant
from synthlog.synth.recipe import Recipe
from synthlog.synth.values import SlotKind, ValueModel, _Numbers

KIND = "synthlog.CodeSynthesizer"
VERSION = 2  # raise when the saved state changes shape; a file of another version is refused (2: a calibrated
# stage's run-mix concentration became a mixture, ((concentration, weight), ...))
CLASSES: dict[str, type] = {c.__name__: c for c in (Statement, SlotType, Variant, Pool, Verdict, Template,
                                                     Calibration, PathOptions, ValueModel, _Numbers)}
ENUMS: dict[str, type[Enum]] = {"SlotKind": SlotKind}
MODELS: dict[str, type[BaseModel]] = {"Recipe": Recipe}
# the fitted state (CodeSynthesizer attributes) a saved model holds
STATE = ("recipe_", "pools_", "statements_", "slot_types_", "thread_names_", "templates_", "template_ids_",
         "aligned_", "values_model_", "format_", "calibration_", "calibration_report_", "verdicts_",
         "path_summary_")
CONFIG = ("entries", "recipe", "align_to", "log_format", "min_level", "fault_rate", "decay", "rules", "values_from",
          "allow_real_values", "paths", "start", "calibrate")  # the configuration, less the checker and its cache


class _Encoder:
    def __init__(self) -> None:
        self.seen: dict[int, int] = {}
        self.keep: list[Any] = []  # encoded records stay alive, so their ids stay theirs

    def __call__(self, value: Any) -> Any:
        if value is None or isinstance(value, bool | int | float | str) and not isinstance(value, Enum):
            return value
        if isinstance(value, Enum):
            return {"$e": [type(value).__name__, value.value]}
        if isinstance(value, list):
            return [self(v) for v in value]
        if isinstance(value, tuple):
            return {"$t": [self(v) for v in value]}
        if isinstance(value, Counter):
            return {"$c": [[self(k), self(v)] for k, v in value.items()]}
        if isinstance(value, dict):
            return {"$d": [[self(k), self(v)] for k, v in value.items()]}
        if isinstance(value, set | frozenset):
            return {"$s": [self(v) for v in sorted(value, key=repr)]}
        if isinstance(value, Layout):
            return {"$layout": {"pattern": value.pattern, "source": value.source, "format": value.name or value.text}}
        if isinstance(value, BaseModel):
            return {"$p": type(value).__name__, "v": value.model_dump(mode="json")}
        return self._record(value)

    def _record(self, value: Any) -> Any:
        name = type(value).__name__
        if CLASSES.get(name) is not type(value):
            raise TypeError(f"a saved model holds no {type(value).__qualname__}")
        if id(value) in self.seen:
            return {"$r": self.seen[id(value)]}
        number = self.seen[id(value)] = len(self.seen)
        self.keep.append(value)
        if dataclasses.is_dataclass(value):  # caches (fields named _...) are rebuilt on use
            fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)
                      if f.init and not f.name.startswith("_")}
        else:
            fields = vars(value)
        return {"$o": name, "$id": number, "f": {k: self(v) for k, v in fields.items()}}


class _Decoder:
    def __init__(self) -> None:
        self.records: dict[int, Any] = {}

    def __call__(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self(v) for v in value]
        if not isinstance(value, dict):
            return value
        tag = "$o" if "$o" in value else "$p" if "$p" in value else next(iter(value), None)
        if tag is None or (tag not in ("$o", "$p") and len(value) != 1):
            raise ValueError(f"unknown entry with keys {sorted(value)[:3]}")
        body = value[tag]
        if tag == "$t":
            return tuple(self(v) for v in body)
        if tag == "$d":
            return {self(k): self(v) for k, v in body}
        if tag == "$c":
            return Counter({self(k): self(v) for k, v in body})
        if tag == "$s":
            return {self(v) for v in body}
        if tag == "$e":
            return ENUMS[body[0]](body[1])
        if tag == "$r":
            if body not in self.records:
                raise ValueError(f"record {body} used before it is defined")
            return self.records[body]
        if tag == "$layout":
            if body["pattern"] is not None:
                return Layout.from_pattern(body["pattern"], source=body["source"])
            return Layout.from_format(body["format"], source=body["source"])
        if tag == "$p":
            return MODELS[body].model_validate(value["v"])
        if tag == "$o":
            return self._record(body, value)
        raise ValueError(f"unknown tag {tag!r}")

    def _record(self, name: str, value: dict) -> Any:
        cls = CLASSES.get(name)
        if cls is None:
            raise ValueError(f"unknown record type {name!r}")
        fields = {k: self(v) for k, v in value["f"].items()}
        if dataclasses.is_dataclass(cls):
            record = cls(**fields)
        else:
            record = cls.__new__(cls)
            vars(record).update(fields)
        self.records[value["$id"]] = record
        return record


def save_model(synthesizer: Any, path: str | os.PathLike[str]) -> Path:
    """Write a fitted synthesizer's state to ``path`` (atomically)."""
    if not hasattr(synthesizer, "pools_"):
        raise InputError("this CodeSynthesizer is not fitted yet: call fit() first")
    config = {name: getattr(synthesizer.config, name) for name in CONFIG}
    config = {k: str(v) if isinstance(v, os.PathLike) else v for k, v in config.items()}
    used = set(synthesizer.template_ids_)  # the statements that print a line; the scan's others are not needed
    state = {name: getattr(synthesizer, name) for name in STATE}
    state["statements_"] = {k: v for k, v in state["statements_"].items() if k in used}
    state["slot_types_"] = {k: v for k, v in state["slot_types_"].items() if k in used}
    encode = _Encoder()
    document = {"kind": KIND, "version": VERSION, "synthlog": __version__, "config": encode(config),
                "state": encode(state)}
    with atomic_open(path, "w") as fh:
        json.dump(document, fh, ensure_ascii=False, separators=(",", ":"))
        fh.write("\n")
    return Path(path)


def load_model(cls: type, path: str | os.PathLike[str]) -> Any:
    """The synthesizer saved at ``path``; a file that is not one, of another version or damaged is one error."""
    from synthlog.synth.generate import CodeGenConfig

    try:
        with open(path, encoding="utf-8") as fh:
            document = json.load(fh)
    except FileNotFoundError:
        raise InputError("no such file", path=path) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"not a saved model (bad JSON: {exc.msg})", path=path, line=exc.lineno) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read a saved model ({exc})", path=path) from None
    if not isinstance(document, dict) or document.get("kind") != KIND:
        raise InputError(f"not a saved CodeSynthesizer (no kind {KIND!r})", path=path, field="kind")
    if document.get("version") != VERSION:
        raise InputError(f"a saved model of version {document.get('version')!r}; this synthlog "
                         f"({__version__}) reads version {VERSION}: fit and save it again", path=path,
                         field="version")
    decode = _Decoder()
    try:
        config, state = decode(document["config"]), decode(document["state"])
        synthesizer = cls(CodeGenConfig(**config))
        missing = [name for name in STATE if name not in state]
        if missing:
            raise ValueError(f"missing {missing[0]}")
        for name in STATE:
            setattr(synthesizer, name, state[name])
    except ValidationError as exc:
        raise InputError(f"damaged saved model: a bad recipe ({exc.error_count()} errors)", path=path,
                         field="state") from None
    except (KeyError, TypeError, ValueError, IndexError, InputError) as exc:
        raise InputError(f"damaged saved model ({type(exc).__name__}: {exc})", path=path, field="state") from None
    return synthesizer
