"""Code-guided generation end to end: source code in, labeled synthetic data set out (``synthlog generate code``).

SDV-style API::

    synth = CodeSynthesizer(CodeGenConfig(recipe="recipes/hdfs-0.18.yaml", align_to="HDFS_templates.csv"))
    synth.fit("hadoop-0.18.2/src")          # scan, call graph, paths, checking, labels -> pools of variants
    synth.calibrate(real_training_part)     # optional, repeatable: learn stages, counts, labels from real sessions
    ds = synth.sample(1000, seed=7)         # LabeledDataset of entity (or per-path) sessions
    synth.summary(ds)                       # sessions, lines, templates, labels by rule, paths rejected and why

``fit`` enumerates the paths of every entry point once, checks each path once (heuristic by default, an
OpenAI-compatible LLM when configured; verdicts are cached on disk), labels each path's lines with the rule
engine and keeps only lines at or above ``min_level`` (and, for a recipe, lines that name the entity). ``sample``
only draws from those pools, so it is fast and the same seed gives the same sessions.

Every synthetic line is an instance of a real logging statement's template: values fill ``<*>`` slots and
nothing else, and a value an LLM proposes is used only where it keeps the line an instance of the template.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from synthlog.code.callgraph import CallGraph, build_call_graph
from synthlog.code.match import match_templates
from synthlog.code.paths import PathOptions, enumerate_paths
from synthlog.code.records import Statement
from synthlog.errors import InputError
from synthlog.io.atomic import atomic_directory, atomic_open
from synthlog.io.datasets import load_dataset, write_dataset
from synthlog.io.logformat import get_format
from synthlog.io.loghub import read_templates
from synthlog.progress import Progress
from synthlog.records import LabeledDataset, Session, Template
from synthlog.synth.calibrate import Calibration, calibrate_recipe
from synthlog.synth.checking import (
    CachingChecker,
    CheckContext,
    Checker,
    HeuristicChecker,
    check_all,
    count_reasons,
)
from synthlog.synth.checking.mutations import MutationIndex
from synthlog.synth.labels import LabelRules, Match
from synthlog.synth.pools import Pool, build_pool, level_rank
from synthlog.synth.recipe import Recipe, load_recipe
from synthlog.synth.sessions import PathAssembler, RecipeAssembler, Renderer
from synthlog.synth.timing import SIMULATED, fit_timing
from synthlog.synth.values import SlotKind, ValueGenerator, ValueModel, infer_slot_kinds

DEFAULT_FORMAT = "<Date> <Time> <Pid> <Level> <Component>: <Content>"


@dataclass
class CodeGenConfig:
    """What ``synthlog generate code`` was asked for (see ``synthlog generate code --help``)."""

    entries: list[str] = field(default_factory=list)
    recipe: str | os.PathLike[str] | None = None
    align_to: str | os.PathLike[str] | None = None
    log_format: str | None = None  # default: the recipe's, else DEFAULT_FORMAT
    min_level: str = "INFO"
    fault_rate: float = 0.05  # per-path sessions; a recipe has its own
    decay: float = 0.5
    rules: str | os.PathLike[str] | None = None
    values_from: str | os.PathLike[str] | None = None
    allow_real_values: bool = False
    checker: Checker | None = None  # default: the heuristic checker
    cache_dir: str | os.PathLike[str] | None = None
    paths: PathOptions = field(default_factory=lambda: PathOptions(max_paths=400))
    start: str = "2008-11-09T20:35:00"
    calibrate: str | os.PathLike[str] | None = None  # a labeled real data set (name or directory): its training part


class CodeSynthesizer:
    """``fit(src)`` then ``sample(n, seed)``; see the module docstring."""

    def __init__(self, config: CodeGenConfig):
        self.config = config

    # -- fit --------------------------------------------------------------------------------------------------
    def fit(self, src: str | os.PathLike[str] | CallGraph) -> CodeSynthesizer:
        config = self.config
        self.recipe_: Recipe | None = load_recipe(config.recipe) if config.recipe else None
        entries = self.recipe_.entries if self.recipe_ else list(config.entries)
        if not entries:
            raise InputError("give --entry CLASS.METHOD (repeatable, or 'auto') or --recipe FILE", field="--entry")
        self.graph_ = src if isinstance(src, CallGraph) else build_call_graph(src)
        self.statements_ = {s.id: s for s in self.graph_.scan.statements}
        rules = LabelRules.load(config.rules)
        if self.recipe_ and self.recipe_.expected:
            rules.rules.exempt.extend(Match(name="expected", template=p) for p in self.recipe_.expected)
        checker: Checker = config.checker or HeuristicChecker()
        if config.cache_dir is not None:
            checker = CachingChecker(checker, config.cache_dir)
        # where the source changes variables that a path's own steps do not show, so no false contradictions
        context = CheckContext(statements=self.statements_, mutations=MutationIndex.from_scan(self.graph_.scan))
        keep = self._keep()
        self.pools_: dict[str, Pool] = {}
        self.verdicts_: list = []
        self.path_summary_: list[dict[str, Any]] = []
        with Progress("checking paths", total=len(entries)) as bar:
            for entry in entries:
                depth = self.recipe_.depth_of(entry) if self.recipe_ else None
                options = config.paths if depth is None else replace(config.paths, depth=depth)
                result = enumerate_paths(self.graph_, [entry], options)
                verdicts = check_all(checker, result.paths, context)
                self.verdicts_.extend(verdicts)
                self.pools_[entry] = build_pool(entry, result.paths, verdicts, self.statements_, rules, keep,
                                                config.decay)
                # timings stay out: the same input and seed must give a byte-identical summary
                self.path_summary_.extend({k: v for k, v in e.to_dict().items() if k != "seconds"}
                                          for e in result.entries)
                bar.advance()
        used = sorted({s.id for p in self.pools_.values() for v in p.normal + p.anomalous for s in v.statements})
        self.templates_, self.template_ids_, self.aligned_ = self._templates([self.statements_[i] for i in used])
        model = None
        if config.values_from:
            model = ValueModel.fit_structured(config.values_from, allow_real_values=config.allow_real_values)
        self.values_model_ = model
        fmt_name = config.log_format or (self.recipe_.log_format if self.recipe_ else DEFAULT_FORMAT)
        self.format_ = get_format(fmt_name)
        self.calibration_: Calibration | None = None
        self.calibration_report_: dict[str, Any] | None = None
        if config.calibrate:
            self.calibrate(load_dataset(config.calibrate))
        return self

    def calibrate(self, real: LabeledDataset, timing_sessions: int = SIMULATED) -> CodeSynthesizer:
        """Learn stage probabilities, run counts, variant weights, label evidence and timing from ``real`` (give it
        the training part only; nothing else is read). Repeatable: each call starts from the fitted code model.
        ``timing_sessions``: skeleton sessions simulated per timing candidate (fewer: faster, coarser).
        What the sample and the code disagree on is in ``calibration_report_``."""
        if self.recipe_ is None:
            raise InputError("calibration needs a recipe (--recipe): it learns its stages", field="--calibrate")
        calibration = calibrate_recipe(self.recipe_, self.pools_, self.template_ids_, real)

        def simulate(recipe: Recipe, n: int) -> list[Session]:
            assembler = self._assembler(0, recipe, calibration, fill_values=False)
            return [assembler.session(i) for i in range(n)]
        calibration.recipe, calibration.report["timing"] = fit_timing(calibration.recipe, real.sessions, simulate,
                                                                      timing_sessions)
        self.calibration_ = calibration
        self.calibration_report_ = calibration.report
        return self

    def _assembler(self, seed: int, recipe: Recipe, calibration: Calibration,
                   fill_values: bool = True) -> RecipeAssembler:
        start = datetime.fromisoformat(recipe.start)
        start_ts = start.replace(tzinfo=start.tzinfo or UTC).timestamp()
        renderer = Renderer(ValueGenerator(seed, model=self.values_model_), self.format_, self.template_ids_,
                            recipe.component, fill_values=fill_values)
        return RecipeAssembler(recipe, self.pools_, renderer, seed, start_ts, calibration.stage_pools,
                               calibration.mixes)

    def _keep(self):
        floor = level_rank(self.config.min_level)
        if self.recipe_ is None:
            return lambda s: level_rank(s.level) >= floor
        entity = SlotKind(self.recipe_.entity)
        kinds: dict[str, bool] = {}

        def keep(statement: Statement) -> bool:
            if statement.id not in kinds:
                kinds[statement.id] = entity in infer_slot_kinds(statement)
            return level_rank(statement.level) >= floor and kinds[statement.id]
        return keep

    def _templates(self, used: list[Statement]) -> tuple[dict[str, Template], dict[str, str], dict[str, str]]:
        """Template ids: the real data set's for statements that match one (``--align-to``), new ones otherwise."""
        aligned: dict[str, str] = {}
        real: dict[str, Template] = {}
        if self.config.align_to:
            real = read_templates(self.config.align_to)
            aligned = align_statements(used, real)
        taken = set(real)
        numbered = [int(i[1:]) for i in real if i[:1] == "E" and i[1:].isdigit()]
        next_number = max(numbered, default=0) + 1
        ids: dict[str, str] = {}
        templates: dict[str, Template] = {}
        for statement in used:
            tid = aligned.get(statement.id)
            if tid is None:
                if real:
                    while f"E{next_number}" in taken:
                        next_number += 1
                    tid = f"E{next_number}"
                    taken.add(tid)
                else:
                    tid = statement.id
            ids[statement.id] = tid
            if tid not in templates:  # an aligned id keeps the real text, which covers every statement mapped to it
                text = real[tid].text if tid in real else statement.template
                templates[tid] = Template(tid, text, level=statement.level, source=statement.id)
        return templates, ids, aligned

    # -- sample -----------------------------------------------------------------------------------------------
    def sample(self, n: int, seed: int = 0) -> LabeledDataset:
        start = datetime.fromisoformat(self.recipe_.start if self.recipe_ else self.config.start)
        start_ts = start.replace(tzinfo=start.tzinfo or UTC).timestamp()
        values = ValueGenerator(seed, model=self.values_model_)
        renderer = Renderer(values, self.format_, self.template_ids_,
                            self.recipe_.component if self.recipe_ else "class")
        if self.recipe_:
            missing = [e for e, p in self.pools_.items() if not (p.normal or p.anomalous)]
            if len(missing) == len(self.pools_):
                raise InputError("no stage of the recipe has a feasible path that logs the entity", field="--recipe")
            calibration = self.calibration_
            if calibration is None:
                assembler = RecipeAssembler(self.recipe_, self.pools_, renderer, seed, start_ts)
            else:
                assembler = self._assembler(seed, calibration.recipe, calibration)
        else:
            try:
                assembler = PathAssembler(list(self.pools_.values()), renderer, seed, start_ts,
                                          self.config.fault_rate)
            except ValueError as error:
                raise InputError(str(error), field="--entry") from None
        sessions: list[Session] = []
        with Progress("sessions", total=n) as bar:
            for index in range(n):
                sessions.append(assembler.session(index))
                bar.advance()
        counts = Counter(e.template_id for s in sessions for e in s.events)
        # copies: the fitted templates are shared by every sample, each counts its own occurrences
        templates = {tid: replace(t, occurrences=counts[tid]) for tid, t in self.templates_.items() if tid in counts}
        metadata = {"generator": "code", "seed": seed, "recipe": self.recipe_.name if self.recipe_ else None,
                    "entries": list(self.pools_), "log_format": self.format_.text}
        name = self.recipe_.name if self.recipe_ else "synthetic"
        return LabeledDataset(name=name, sessions=sessions, templates=templates, metadata=metadata)

    def summary(self, ds: LabeledDataset) -> dict[str, Any]:
        """Sessions, lines, templates, labels by rule, paths rejected and why, and how many lines match real ids."""
        lines = [e for s in ds.sessions for e in s.events]
        real_ids = set(self.aligned_.values())
        by_rule = Counter(e.label_rule or "none" for e in lines if e.label == 1)
        sessions_by_rule = Counter(s.label_rule or "none" for s in ds.sessions if s.label == 1)
        shapes = Counter((s.label, tuple(s.event_ids)) for s in ds.sessions)
        return {
            "sessions": len(ds.sessions),
            "lines": len(lines),
            "labels": ds.label_counts(),
            "templates": len(ds.templates),
            "templates_aligned_to_real": len({e.template_id for e in lines} & real_ids),
            "lines_with_real_template": sum(1 for e in lines if e.template_id in real_ids),
            "distinct_session_shapes": {"normal": sum(1 for (lab, _) in shapes if lab == 0),
                                        "anomalous": sum(1 for (lab, _) in shapes if lab == 1)},
            "anomalous_lines_by_rule": dict(sorted(by_rule.items())),
            "anomalous_sessions_by_rule": dict(sorted(sessions_by_rule.items())),
            "paths": {"checked": len(self.verdicts_), "rejected": sum(1 for v in self.verdicts_ if not v.feasible),
                      "rejected_by_reason": count_reasons(self.verdicts_),
                      "silent_after_filter": sum(p.silent for p in self.pools_.values()),
                      "entries": self.path_summary_},
            "pools": {e: {"normal": len(p.normal), "anomalous": len(p.anomalous)} for e, p in self.pools_.items()},
        } | ({"calibration": self.calibration_report_} if self.calibration_report_ is not None else {})


def align_statements(statements: list[Statement], real: dict[str, Template]) -> dict[str, str]:
    """Statement id -> real template id, for every statement that prints a real template.

    A statement takes a template's id when it matches it at least as well as the template's best statement does
    (ties happen: code often has the same message in two places), so a statement whose own message is missing
    from the real set is not mapped to a look-alike (``... Interrupted.`` to ``... terminating``).
    """
    best = {m.template.id: m.score for m in match_templates(statements, real.values()) if m.statement is not None}
    out: dict[str, str] = {}
    for statement in statements:
        candidates = [(m.score, m.template.id) for m in match_templates([statement], [real[t] for t in best])
                      if m.statement is not None and m.score >= best[m.template.id] - 1e-9]
        if candidates:
            # best score; among equals the first id in natural order (E1 before E10)
            out[statement.id] = min(candidates, key=lambda c: (-c[0], _natural(c[1])))[1]
    return out


def _natural(text: str) -> list[int | str]:
    """Sort key that orders numbers by value: ``E2`` before ``E10``."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def generate_code(src: str | os.PathLike[str], out: str | os.PathLike[str], n: int, seed: int,
                  config: CodeGenConfig) -> dict[str, Any]:
    """Fit, sample ``n`` sessions and write the data set and ``summary.json`` into ``out``; returns the summary."""
    synth = CodeSynthesizer(config).fit(src)
    ds = synth.sample(n, seed)
    with atomic_directory(out) as stage:  # the data set and its summary appear together or not at all
        paths = write_dataset(ds, stage, ds.name, synth.format_)
        summary = synth.summary(ds)
        summary["files"] = {role: Path(p).name for role, p in sorted(paths.items())}
        with atomic_open(stage / "summary.json") as fh:
            json.dump(summary, fh, indent=2, sort_keys=True)
            fh.write("\n")
    return summary
