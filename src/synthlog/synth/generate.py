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

import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from synthlog.code.callgraph import CallGraph, build_call_graph
from synthlog.code.match import match_templates
from synthlog.code.paths import PathOptions, enumerate_paths
from synthlog.code.records import Statement
from synthlog.code.slottypes import SlotType, slot_types, thread_names
from synthlog.collector import fewer_collections
from synthlog.errors import InputError
from synthlog.execute import open_executor
from synthlog.io.atomic import atomic_directory, atomic_open, check_output_directory
from synthlog.io.datasets import load_dataset
from synthlog.io.layout import Layout, layout_for_source, layout_from_option
from synthlog.io.loghub import read_templates
from synthlog.io.stream import PER_LINE, DatasetStream, Rendered
from synthlog.io.timestamps import FIRST_YEAR, LAST_YEAR
from synthlog.io.writers import file_name
from synthlog.progress import Progress
from synthlog.records import ANOMALY, NORMAL, US, LabeledDataset, LogEvent, Session, Template
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
from synthlog.synth.pools import LEVELS, Pool, build_pool, level_rank, level_word
from synthlog.synth.ranges import Outline, rendered_chunks, rendered_source, session_source
from synthlog.synth.recipe import Recipe, load_recipe
from synthlog.synth.sessions import PathAssembler, RecipeAssembler, Renderer
from synthlog.synth.timeline import PackedMerge, TimeMerge, TimeOrderError
from synthlog.synth.timing import SIMULATED, fit_timing
from synthlog.synth.values import SlotKind, ValueGenerator, ValueModel, infer_slot_kinds, slot_sources
from synthlog.synth.windows import WindowAssembler

DEFAULT_START = "2024-01-01T00:00:00"  # the clock when neither --start nor the recipe sets one (UTC)
ALWAYS_WRITTEN = ("jsonl", "raw", "csv")  # a folder always has these; --formats may name them
FOLLOW_SESSIONS = 1 << 62  # --follow: sessions no one will wait for; Ctrl-C ends the stream
RELEASE_EVERY = 256  # sessions between the merge's releases when writing: memory, never output (a release visits
# every run of sessions with lines left, so fewer, longer runs cost less; 256 adds under 2 % to the open sessions)


@dataclass
class CodeGenConfig:
    """What ``synthlog generate code`` was asked for (see ``synthlog generate code --help``)."""

    entries: list[str] = field(default_factory=list)
    recipe: str | os.PathLike[str] | None = None
    align_to: str | os.PathLike[str] | None = None
    log_format: str | None = None  # default: the recipe's, else the code base's logging configuration
    min_level: str = "INFO"
    fault_rate: float = 0.05  # per-path sessions; a recipe has its own
    decay: float = 0.5
    rules: str | os.PathLike[str] | None = None
    values_from: str | os.PathLike[str] | None = None
    allow_real_values: bool = False
    checker: Checker | None = None  # default: the heuristic checker
    cache_dir: str | os.PathLike[str] | None = None
    paths: PathOptions = field(default_factory=lambda: PathOptions(max_paths=400))
    start: str | None = None  # default: the recipe's, else DEFAULT_START
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
        if config.calibrate and self.recipe_ is None:
            raise InputError("calibration needs a recipe (--recipe): it learns its stages", field="--calibrate")
        self.graph_ = src if isinstance(src, CallGraph) else build_call_graph(src)
        self.statements_ = {s.id: s for s in self.graph_.scan.statements}
        self.slot_types_: dict[str, tuple[SlotType, ...]] = slot_types(self.graph_.scan)
        self.thread_names_ = thread_names(self.graph_.scan)
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
        self.format_ = self._layout()
        self.calibration_: Calibration | None = None
        self.calibration_report_: dict[str, Any] | None = None
        if config.calibrate:
            self.calibrate(load_dataset(config.calibrate))
        return self

    def calibrate(self, real: LabeledDataset, timing_sessions: int = SIMULATED) -> CodeSynthesizer:
        """Learn stage probabilities, run counts and mixes, variant weights, label evidence and timing from
        ``real`` (give it the training part only; nothing else is read). Repeatable: each call starts from the
        fitted code model. ``timing_sessions``: skeleton sessions simulated per timing candidate (fewer: faster,
        coarser). What the sample and the code disagree on is in ``calibration_report_``."""
        if self.recipe_ is None or self.recipe_.sessions == "window":
            raise InputError("calibration needs an entity recipe (--recipe): it learns its stages",
                             field="--calibrate")
        calibration = calibrate_recipe(self.recipe_, self.pools_, self.template_ids_, real)

        def simulate(recipe: Recipe, n: int) -> list[Session]:
            assembler = self._assembler(0, calibration, recipe, fill_values=False)
            return [assembler.session(i) for i in range(n)]
        calibration.recipe, calibration.report["timing"] = fit_timing(calibration.recipe, real.sessions, simulate,
                                                                      timing_sessions)
        self.calibration_ = calibration
        self.calibration_report_ = calibration.report
        return self

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the fitted (and calibrated) state to one JSON file (never a pickle); :meth:`load` reads it back
        and samples byte-identical output for the same seed, without the source (see
        :mod:`synthlog.synth.modelfile`)."""
        from synthlog.synth.modelfile import save_model

        return save_model(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> CodeSynthesizer:
        """A synthesizer saved by :meth:`save`, ready to sample, write, stream or calibrate again."""
        from synthlog.synth.modelfile import load_model

        return load_model(cls, path)

    def _layout(self) -> Layout:
        """``--log-format``, else the recipe's ``log_format``, else the code base's own logging configuration."""
        if self.config.log_format:
            return layout_from_option(self.config.log_format, "--log-format")
        if self.recipe_ is not None and self.recipe_.log_format:
            return layout_from_option(self.recipe_.log_format, "recipe log_format")
        return layout_for_source(self.graph_.scan.root)

    def _keep(self):
        floor = level_rank(self.config.min_level)
        if self.recipe_ is None or self.recipe_.sessions == "window":  # a window keeps every line of its time
            return lambda s: level_rank(s.level) >= floor
        entity = SlotKind(self.recipe_.entity)
        kinds: dict[str, bool] = {}

        def keep(statement: Statement) -> bool:
            if statement.id not in kinds:
                kinds[statement.id] = entity in infer_slot_kinds(statement, self.slot_types_.get(statement.id, ()))
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
    def _assembler(self, seed: int, calibration: Calibration | None = None, recipe: Recipe | None = None,
                   fill_values: bool = True) -> PathAssembler | RecipeAssembler | WindowAssembler:
        """The session assembler: the calibrated recipe when calibrated (``recipe``: a candidate of the timing
        fit); ``fill_values=False`` for skeleton sessions."""
        calibration = calibration or self.calibration_
        start_ts = self.start_time()
        values = ValueGenerator(seed, model=self.values_model_, epoch=start_ts,
                                overrides=self.recipe_.values if self.recipe_ else None)
        renderer = Renderer(values, self.format_, self.template_ids_,
                            self.recipe_.component if self.recipe_ else "class", self.slot_types_,
                            self.thread_names_, fill_values)
        if self.recipe_:
            missing = [e for e, p in self.pools_.items() if not (p.normal or p.anomalous)]
            if len(missing) == len(self.pools_):
                raise InputError("no stage of the recipe has a feasible path that logs the entity", field="--recipe")
            if self.recipe_.sessions == "window":
                return WindowAssembler(self.recipe_, self.pools_, renderer, seed, start_ts)
            if calibration is None:
                return RecipeAssembler(self.recipe_, self.pools_, renderer, seed, start_ts)
            return RecipeAssembler(recipe or calibration.recipe, self.pools_, renderer, seed, start_ts,
                                   calibration.stage_pools, calibration.mixes, calibration.concentrations)
        try:
            return PathAssembler(list(self.pools_.values()), renderer, seed, start_ts, self.config.fault_rate)
        except ValueError as error:
            raise InputError(str(error), field="--entry") from None

    def iter_sessions(self, n: int, seed: int = 0, first: int = 0, values: bool = True) -> Iterator[Session]:
        """Sessions ``first .. first + n - 1``, one at a time, in order of index, which is the order of their
        starts; session ``i`` is the same in any run with this seed (shards can be made apart).
        ``values=False``: skeleton sessions (template ids, times, threads and labels, the template as content),
        about four times faster, for users of event sequences only (the bench)."""
        assembler = self._assembler(seed, fill_values=values)
        for index in range(first, first + n):
            yield assembler.session(index)

    def iter_events(self, n: int, seed: int = 0, executor=None) -> Iterator[tuple[LogEvent, str]]:
        """``(event, session id)`` of sessions ``0 .. n - 1`` in time order (the order :meth:`write` writes them),
        holding only the sessions still open; ``n`` may be as large as you like when you stop early."""
        assembler = self._assembler(seed)
        sessions = session_source(assembler, n, executor)
        merge: TimeMerge[tuple[LogEvent, str]] = TimeMerge()
        arrivals, lead = assembler.arrivals, assembler.lead_s + 1e-3  # slack for float rounding, as in write
        for index in range(n):
            session = next(sessions)
            merge.add(index, [e.timestamp for e in session.events], [(e, session.id) for e in session.events])
            yield from merge.release((arrivals.time(index + 1) - lead) * US)  # no later session logs before this
        yield from merge.drain()

    def stream(self, target: str, n: int, seed: int = 0, fmt: str = "otel", rate: float | None = None,
               follow: bool = False, executor=None) -> int:
        """Send the events of ``n`` sessions (``follow``: sessions without end, until interrupted) in time order
        to ``target`` (``-``, ``syslog://``, ``otlp+http://``: see :mod:`synthlog.io.sinks`), at ``rate`` lines per
        second when given. Returns the number of events sent."""
        from synthlog.io.sinks import Pacer, open_sink

        pacer = Pacer(rate) if rate is not None else None
        name = self.recipe_.name if self.recipe_ else "synthetic"
        sent = 0
        with open_sink(target, fmt, name) as sink:
            for event, session_id in self.iter_events(FOLLOW_SESSIONS if follow else n, seed, executor):
                if pacer is not None:
                    pacer.wait()
                sink.send(event, session_id)
                sent += 1
        return sent

    def sample(self, n: int, seed: int = 0, values: bool = True) -> LabeledDataset:
        """``n`` sessions held in memory (for small ``n``; :meth:`write` streams any ``n`` to disk);
        ``values=False``: skeleton sessions (see :meth:`iter_sessions`)."""
        with Progress("sessions", total=n) as bar, fewer_collections():
            sessions = []
            for session in self.iter_sessions(n, seed, values=values):
                sessions.append(session)
                bar.advance()
        counts = Counter(e.template_id for s in sessions for e in s.events)
        name = self.recipe_.name if self.recipe_ else "synthetic"
        return LabeledDataset(name=name, sessions=sessions, templates=self._counted_templates(counts),
                              metadata=self._metadata(seed))

    def _counted_templates(self, counts: Counter) -> dict[str, Template]:
        # copies: the fitted templates are shared by every sample, each counts its own occurrences
        return {tid: replace(t, occurrences=counts[tid]) for tid, t in self.templates_.items() if tid in counts}

    def _metadata(self, seed: int) -> dict[str, Any]:
        return {"generator": "code", "seed": seed, "recipe": self.recipe_.name if self.recipe_ else None,
                "entries": list(self.pools_), "log_format": self.format_.text}

    def write(self, out: str | os.PathLike[str], n: int, seed: int = 0, release_every: int = RELEASE_EVERY,
              executor=None, formats: tuple[str, ...] = (), shard_lines: int | None = None) -> dict[str, Any]:
        """Make ``n`` sessions and write them as a data set into ``out``, streamed: raw log, structured CSV and
        events JSONL in global time order (sessions interleaved), labels and sequences in session order, then
        templates, metadata and ``summary.json``; all files appear together or not at all. Memory holds the
        sessions still open (see :mod:`synthlog.synth.timeline`), not the data set. ``release_every`` sessions
        the merge writes what is safe; it changes memory, never output. Returns the summary; the most sessions
        the merge held at once is left in ``peak_open_sessions_``. With ``executor`` (see :mod:`synthlog.execute`)
        workers make the sessions in index ranges (:mod:`synthlog.synth.ranges`); the bytes stay the same.
        ``formats`` adds event files in time order (``parquet``, ``otel``: see :mod:`synthlog.io.writers`);
        ``shard_lines`` writes every format as a folder of part files of that many lines
        (:mod:`synthlog.io.partfiles`), listed in the output manifest."""
        if release_every < 1:
            raise ValueError(f"release_every must be 1 or more, not {release_every}")
        if shard_lines is not None and shard_lines < 1:
            raise InputError(f"a part holds at least one line, not {shard_lines}", field="--shard-lines")
        assembler = self._assembler(seed)
        name = self.recipe_.name if self.recipe_ else "synthetic"
        tally = SessionTally(set(self.aligned_.values()))
        with atomic_directory(out) as stage:  # the data set and its summary appear together or not at all
            with DatasetStream(stage, name, self.format_, self.templates_, formats, shard_lines) as stream, \
                    Progress("sessions", total=n) as bar, fewer_collections():  # the merge holds open sessions
                # the workers (or this process) make and render the sessions; here they are merged and written
                # (the line formats alone travel packed; event files and part files need each event itself)
                merge = _write_events(stream, assembler, n, executor, release_every, tally, bar) \
                    if stream.carries_events else _write_packed(stream, assembler, n, executor, release_every,
                                                                tally, bar)
                paths = stream.finish(self._counted_templates(tally.templates), self._metadata(seed))
            self.peak_open_sessions_ = merge.peak_open
            summary = self._summary(tally)
            summary["files"] = {role: Path(p).name for role, p in sorted(paths.items())}
            with atomic_open(stage / "summary.json") as fh:
                json.dump(summary, fh, indent=2, sort_keys=True)
                fh.write("\n")
        return summary

    def start_time(self) -> float:
        """Epoch seconds of the first session: ``--start``, else the recipe's ``start``, else DEFAULT_START."""
        return parse_start(self.config.start or (self.recipe_.start if self.recipe_ else None) or DEFAULT_START)

    def slot_report(self, template_ids: set[str]) -> dict[str, Any]:
        """Per template: each slot's kind, the evidence that decided it and the code's type; counts by evidence."""
        per_template: dict[str, list[str]] = {}
        by_source: Counter = Counter()
        for sid, tid in sorted(self.template_ids_.items()):
            if tid not in template_ids or tid in per_template:
                continue
            statement = self.statements_[sid]
            types = self.slot_types_.get(sid, ())
            described = []
            for i, (kind, source) in enumerate(slot_sources(statement, types)):
                by_source[source] += 1
                typed = types[i].describe() if i < len(types) and types[i].known else "?"
                described.append(f"{kind.value} ({source}; {typed})")
            per_template[tid] = described
        return {"by_source": dict(sorted(by_source.items())), "templates": per_template}

    def summary(self, ds: LabeledDataset) -> dict[str, Any]:
        """Sessions, lines, templates, labels by rule, paths rejected and why, and how many lines match real ids."""
        tally = SessionTally(set(self.aligned_.values()))
        for session in ds.sessions:
            tally.add(Outline.of(session))
        return self._summary(tally)

    def _summary(self, tally: SessionTally) -> dict[str, Any]:
        return {
            **tally.summary(),
            "paths": {"checked": len(self.verdicts_), "rejected": sum(1 for v in self.verdicts_ if not v.feasible),
                      "rejected_by_reason": count_reasons(self.verdicts_),
                      "silent_after_filter": sum(p.silent for p in self.pools_.values()),
                      "entries": self.path_summary_},
            "pools": {e: {"normal": len(p.normal), "anomalous": len(p.anomalous)} for e, p in self.pools_.items()},
            "layout": {"source": self.format_.source, "format": self.format_.text, "pattern": self.format_.pattern},
            "slots": self.slot_report(set(tally.templates)),
        } | ({"calibration": self.calibration_report_} if self.calibration_report_ is not None else {})


def _check_lead(index: int, outline: Outline, first_micros: int, start: float, lead: float) -> None:
    """The contract the merge relies on: no line of session ``index`` comes more than ``lead`` s before its start."""
    if first_micros / US < start - lead:
        raise TimeOrderError(f"session {index} ({outline.id}) logs {start - first_micros / US:.3f} s "
                             f"before its start; its assembler promises at most {lead:.3f} s")


def _write_packed(stream: DatasetStream, assembler: Any, n: int, executor, release_every: int,
                  tally: SessionTally, bar: Progress) -> PackedMerge:
    """Sessions ``0 .. n - 1`` made in packed chunks (:func:`~synthlog.synth.ranges.rendered_chunks`), merged in
    time order and written as the line formats; every ``release_every`` sessions what is safe is written."""
    merge = PackedMerge()
    arrivals, lead = assembler.arrivals, assembler.lead_s + 1e-3  # slack for float rounding
    next_start = arrivals.time(0)
    index = 0
    for chunk in rendered_chunks(assembler, stream.render, n, executor, release_every):
        data, bounds = [column.data for column in chunk.columns], [column.bounds for column in chunk.columns]
        session = line = 0
        for sessions, lines, lasts in chunk.runs:
            for outline, first in zip(chunk.outlines[session:session + sessions],
                                      chunk.firsts[session:session + sessions], strict=True):
                start, next_start = next_start, arrivals.time(index + 1)
                if first is not None:
                    _check_lead(index, outline, first, start, lead)
                tally.add(outline)
                stream.write_session(outline)
                index += 1
                if index % 1024 == 0:
                    bar.advance(1024)
            merge.add(chunk.times[line:line + lines], data, [b[line:line + lines + 1] for b in bounds], lasts)
            if index % release_every == 0:  # no later session logs before the watermark
                stream.write_packed(*merge.release((next_start - lead) * US, per_line=PER_LINE))
            session, line = session + sessions, line + lines
    for count, columns in merge.drain(per_line=PER_LINE):
        stream.write_packed(count, columns)
    return merge


def _write_events(stream: DatasetStream, assembler: Any, n: int, executor, release_every: int,
                  tally: SessionTally, bar: Progress) -> TimeMerge:
    """:func:`_write_packed` for event files and part files: sessions come back as rows per line, each carrying
    its event (:func:`~synthlog.synth.ranges.rendered_source`)."""
    merge: TimeMerge[Rendered] = TimeMerge()
    sessions = rendered_source(assembler, stream.render, n, executor)
    arrivals, lead = assembler.arrivals, assembler.lead_s + 1e-3  # slack for float rounding
    next_start = arrivals.time(0)
    for index in range(n):
        start, next_start = next_start, arrivals.time(index + 1)
        outline, times, rows = next(sessions)
        if times:
            _check_lead(index, outline, times[0], start, lead)
        tally.add(outline)
        stream.write_session(outline)
        merge.add(index, times, rows)
        if (index + 1) % release_every == 0:
            stream.write_events(merge.release((next_start - lead) * US))  # no later session logs before this
        if index % 1024 == 1023:
            bar.advance(1024)
    stream.write_events(merge.drain())
    return merge


class SessionTally:
    """The session-level counts of a data set, gathered one session at a time (nothing else is kept)."""

    def __init__(self, real_ids: set[str]):
        self.real_ids = real_ids
        self.sessions = 0
        self.templates: Counter[str] = Counter()
        self.labels: Counter[str] = Counter()
        self.lines_by_rule: Counter[str] = Counter()
        self.sessions_by_rule: Counter[str] = Counter()
        self.shapes: set[tuple[int | None, bytes]] = set()  # digests: a million sessions may have many shapes

    def add(self, session: Outline) -> None:
        self.sessions += 1
        ids = session.event_ids
        self.templates.update(ids)
        self.labels[_LABEL_WORDS.get(session.label, "Unknown")] += 1
        if session.label == ANOMALY:
            self.sessions_by_rule[session.label_rule or "none"] += 1
            self.lines_by_rule.update(rule or "none" for rule in session.line_rules)
        self.shapes.add((session.label, hashlib.blake2b(" ".join(ids).encode(), digest_size=12).digest()))

    def summary(self) -> dict[str, Any]:
        real = self.real_ids
        return {
            "sessions": self.sessions,
            "lines": sum(self.templates.values()),
            "labels": dict(self.labels),
            "templates": len(self.templates),
            "templates_aligned_to_real": len(set(self.templates) & real),
            "lines_with_real_template": sum(c for tid, c in self.templates.items() if tid in real),
            "distinct_session_shapes": {"normal": sum(1 for (lab, _) in self.shapes if lab == NORMAL),
                                        "anomalous": sum(1 for (lab, _) in self.shapes if lab == ANOMALY)},
            "anomalous_lines_by_rule": dict(sorted(self.lines_by_rule.items())),
            "anomalous_sessions_by_rule": dict(sorted(self.sessions_by_rule.items())),
        }


_LABEL_WORDS = {NORMAL: "Normal", ANOMALY: "Anomaly"}


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


def parse_start(text: str) -> float:
    """Epoch seconds of an ISO 8601 start time (UTC unless it says otherwise), within the years the clock allows."""
    try:
        start = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"not an ISO 8601 time: {text!r}", field="--start") from None
    if not FIRST_YEAR <= start.year < LAST_YEAR:  # the clock must not roll over past the year 9999
        raise InputError(f"the start lies in the years {FIRST_YEAR} to {LAST_YEAR - 1}, not {start.year}",
                         field="--start")
    return start.replace(tzinfo=start.tzinfo or UTC).timestamp()


def generate_code(src: str | os.PathLike[str], out: str | os.PathLike[str], n: int, seed: int,
                  config: CodeGenConfig, workers: int = 1, scheduler: str | None = None,
                  formats: tuple[str, ...] = (), rate: float | None = None, follow: bool = False,
                  shard_lines: int | None = None) -> dict[str, Any]:
    """Fit, then stream ``n`` sessions as a data set with ``summary.json`` into ``out`` (``formats``: event files to
    add, ``parquet``, ``otel``; ``shard_lines``: every event format as part files) and return the summary;
    or, when ``out`` is a stream target (``-``, ``syslog://``, ``otlp+http://``), send the events there in one of
    the ``formats`` (default ``otel``) at ``rate`` lines per second, ``follow``: without end, and return
    ``{"sent": count}``. Sessions are made (and, for a data set, rendered) here, in a pool of ``workers``
    processes or on the dask ``scheduler`` at that address."""
    from synthlog.io.sinks import STREAM_FORMATS, Pacer, is_stream_target

    # every refusal comes before the work, not after it
    streaming = is_stream_target(str(out))
    if streaming:
        if shard_lines is not None:
            raise InputError("part files go into a folder, not to a stream", field="--shard-lines")
        if len(formats) > 1 or (formats and formats[0] not in STREAM_FORMATS):
            raise InputError(f"a stream carries one format: give one of {', '.join(STREAM_FORMATS)}",
                             field="--formats")
        if rate is not None:
            Pacer(rate)  # refuses a rate that is no rate
    else:
        if rate is not None or follow:
            raise InputError("--rate and --follow pace a stream: give --out -, syslog://... or otlp+http://...",
                             field="--out")
        check_output_directory(out)
        formats = tuple(f for f in formats if f not in ALWAYS_WRITTEN)
        for fmt in formats:
            file_name("x", fmt)  # names only the known formats
        if shard_lines is not None and shard_lines < 1:
            raise InputError(f"a part holds at least one line, not {shard_lines}", field="--shard-lines")
    if level_word(config.min_level) not in LEVELS:
        raise InputError(f"unknown level {config.min_level!r} (one of {', '.join(LEVELS)})", field="--min-level")
    if config.start:  # refused before the work, not after it
        parse_start(config.start)
    synthesizer = CodeSynthesizer(config).fit(src)
    # --workers: a plain process pool (starts in a fraction of a second; a LocalCluster takes seconds)
    with open_executor(workers, scheduler, local="processes") as run_on:
        if streaming:
            return {"sent": synthesizer.stream(str(out), n, seed, formats[0] if formats else "otel", rate, follow,
                                               executor=run_on)}
        return synthesizer.write(out, n, seed, executor=run_on, formats=formats, shard_lines=shard_lines)
