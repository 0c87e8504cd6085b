"""Composition recipes: how entity sessions are built from the paths of several entry points (YAML, not code).

A recipe names the entity a session is about (an HDFS block), the roles that handle it (namenode, datanodes) and
the stages of its life cycle. Each stage runs the paths of one entry point, a number of times (replication 3),
with a probability, starting a random delay after another stage. Only lines that name the entity are kept, as in
a real per-entity data set. See ``recipes/hdfs-0.18.yaml`` for the reference case.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from synthlog.configfile import load_config
from synthlog.stats.spec import FIRST_YEAR, LAST_YEAR

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
MAX_MS = 365.25 * 86400 * 1000  # a delay, gap or spacing of at most a year
Milliseconds = Annotated[float, Field(ge=-MAX_MS, le=MAX_MS, allow_inf_nan=False)]


class Range(BaseModel):
    """A closed interval sampled uniformly."""

    model_config = ConfigDict(extra="forbid")
    min: Milliseconds
    max: Milliseconds

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.max < self.min:
            raise ValueError(f"max ({self.max}) is below min ({self.min})")
        return self


class BurstSpec(BaseModel):
    """Bursts of sessions: one window of ``duration_s`` in every ``every_s`` seconds at ``factor`` times the rate."""

    model_config = ConfigDict(extra="forbid")
    every_s: float = Field(gt=0, le=1e9)
    duration_s: float = Field(gt=0)
    factor: float = Field(gt=0, le=1e6, description="rate multiplier inside a burst (below 1: a lull)")

    @model_validator(mode="after")
    def _fits(self) -> BurstSpec:
        if self.duration_s >= self.every_s:
            raise ValueError(f"duration_s ({self.duration_s}) must be shorter than every_s ({self.every_s})")
        return self


class ArrivalSpec(BaseModel):
    """How sessions start: ``rate_per_s`` sessions per second on average, with optional bursts."""

    model_config = ConfigDict(extra="forbid")
    rate_per_s: float = Field(gt=0, le=1e6)
    bursts: BurstSpec | None = None


class Role(BaseModel):
    """A kind of process that handles the entity; ``instances`` of it are drawn per session."""

    model_config = ConfigDict(extra="forbid")
    instances: int = Field(1, ge=1, description="distinct nodes of this role that take part in one session")
    port: int | None = Field(None, ge=1, le=65535, description="port of this role's address (host:port slots)")
    subnet: str | None = Field(None, pattern=r"^(25[0-5]|2[0-4]\d|1?\d?\d)\.(25[0-5]|2[0-4]\d|1?\d?\d)$",
                               description="first two octets of this role's IPv4 addresses (default: the "
                               "cluster's, learned with --values-from)")
    threads: Range = Field(Range(min=10, max=4000), description="thread ids (the log's thread header): a session "
                           "draws a base id uniformly from this range for each node of the role")
    thread_spread: int = Field(0, ge=0, description="each run on a node takes the node's base + a uniform "
                               "0..thread_spread and keeps it for all its lines (one node's threads of one time "
                               "are numbered alike)")


class Stage(BaseModel):
    """One step of the entity's life cycle: the paths of ``entry`` run ``count`` times by ``role``."""

    model_config = ConfigDict(extra="forbid")
    name: str
    entry: str = Field(description="Class.method whose execution paths this stage runs")
    role: str
    count: int | str = Field(1, description="number of runs, or the name of a recipe parameter")
    counts: dict[int, float] | None = Field(None, description="weights of the number of runs, drawn per session "
                                            "(calibration sets them); replaces count")
    probability: Probability = 1.0
    after: str | None = Field(None, description="stage this one starts after (default: the session start)")
    follow: Literal["stage", "run"] = Field("stage", description="'stage': every run starts delay_ms after the "
                                            "start of the `after` stage, plus jitter_ms; 'run': run k starts delay_ms "
                                            "after run k of the `after` stage ends (a pipeline's per-node hand-off)")
    delay_ms: Range = Range(min=0, max=100)
    jitter_ms: Range = Field(Range(min=0, max=20), description="each run's own start offset after the stage start")
    spacing_ms: Range = Field(Range(min=1, max=20), description="gap between two lines of one run")
    threads: Range | None = Field(None, description="thread ids of this stage's runs, drawn per run, instead of the "
                                  "role's (a dedicated worker thread: a deletion or scanner thread)")
    fault_weight: float = Field(1.0, ge=0.0, description="relative chance that a session's fault falls on a run "
                                "of this stage (0: this stage never fails)")
    requires: list[str] = Field(default_factory=list, description="stages that must have run for this one to run")
    main: list[str] = Field(default_factory=list, description="regexes of the templates the usual run logs; a "
                            "normal run logs exactly these, except with probability rare_rate")
    rare_rate: Probability = Field(0.05, description="chance a normal run takes a variant other than the main ones")
    depth: int | None = Field(None, ge=0, description="inline callees this deep for this entry (default: the "
                              "command's --depth); 0 keeps the entry's own statements")
    # time-window recipes (``sessions: window``) only
    every_s: Range | None = Field(None, description="periodic stage: each instance of the role runs it again after "
                                  "a gap drawn from this range (seconds), over the whole time line")
    fanout: Literal["self", "all", "others"] = Field("self", description="which instances of the role run a stage "
                                                     "that follows another: the one that ran it, all, all but it")
    lines: list[str] = Field(default_factory=list, description="regexes: keep only the lines whose template "
                             "matches one (one iteration of a long-running loop); empty keeps every line")
    thread: str | None = Field(None, description="thread name the lines show (%t); {id} is the instance's number "
                               "(1-based), {peer} another instance's (default: the name the code gives the thread)")

    @field_validator("main")
    @classmethod
    def _patterns(cls, patterns: list[str]) -> list[str]:
        return _regexes(patterns)


class Order(BaseModel):
    """How the source's log orders lines: timestamps of ``resolution_s`` seconds (0: exact), and lines that share
    a timestamp kept in time order (``time``), sorted by their text (``text``: a log sorted line by line, as
    HDFS_v1's is) or shuffled (``shuffle``: logs of several nodes merged without sub-resolution order)."""

    model_config = ConfigDict(extra="forbid")
    resolution_s: float = Field(0.0, ge=0.0)
    ties: Literal["time", "text", "shuffle"] = "time"


class Recipe(BaseModel):
    """A composition recipe; load with :func:`load_recipe`."""

    model_config = ConfigDict(extra="forbid")
    name: str
    description: str = ""
    log_format: str | None = Field(None, description="raw line layout: a built-in name, a Loghub format string or a "
                                   "log4j pattern (default: the code base's logging configuration)")
    entity: Literal["block_id", "hex_id", "uuid", "path"] = Field("block_id", description="slot kind naming the entity")
    component: Literal["class", "class_with_package_tail"] = "class_with_package_tail"
    roles: dict[str, Role]
    parameters: dict[str, int] = Field(default_factory=dict)
    fault_rate: Probability = Field(0.03, description="share of sessions in which one run takes an anomalous path")
    session_gap_ms: Range = Field(Range(min=50, max=2000), description="mean gap between session starts (the "
                                  "rate when no arrivals are given)")
    arrivals: ArrivalSpec | None = Field(None, description="session arrival process (rate, bursts); replaces "
                                         "session_gap_ms")
    start: str | None = Field(None, description="timestamp of the first session (ISO 8601, UTC; default: "
                              "--start, else 2024-01-01T00:00:00)")
    values: dict[str, list[str]] = Field(default_factory=dict, description="the code base's own value shapes: "
                                         "declared type (File) or slot kind (path, size) -> patterns, '#' a random "
                                         "digit, '{block_id}' the session's value of that kind")
    order: Order = Field(default_factory=Order)
    expected: list[str] = Field(default_factory=list, description="regexes of templates whose lines are normal "
                                "even where a rule would flag them (expected warnings)")
    sessions: Literal["entity", "window"] = Field("entity", description="entity: one session per entity life "
                                                  "cycle; window: the ensemble runs over time and each instance of "
                                                  "window_role's lines are cut into fixed windows of window_s")
    window_s: float = Field(60.0, gt=0, description="window length in seconds (sessions: window)")
    window_role: str | None = Field(None, description="role whose instances' lines are windowed (default: the "
                                    "pipeline role)")
    stages: list[Stage]

    @field_validator("start")
    @classmethod
    def _date(cls, start: str) -> str:
        try:
            when = datetime.fromisoformat(start)
        except ValueError:
            raise ValueError(f"{start!r} is not an ISO 8601 date and time (e.g. 2008-11-09T20:35:00)") from None
        if not FIRST_YEAR <= when.year < LAST_YEAR:
            raise ValueError(f"start lies in the years {FIRST_YEAR} to {LAST_YEAR - 1} (room for any run), "
                             f"not {when.year}")
        return start

    @field_validator("expected")
    @classmethod
    def _patterns(cls, patterns: list[str]) -> list[str]:
        return _regexes(patterns)

    @model_validator(mode="after")
    def _references(self) -> Recipe:
        if self.arrivals is not None and "session_gap_ms" in self.model_fields_set:
            raise ValueError("give arrivals or session_gap_ms, not both")
        names = [s.name for s in self.stages]
        if len(set(names)) != len(names):
            raise ValueError(f"stage names repeat: {sorted(n for n in set(names) if names.count(n) > 1)}")
        seen: set[str] = set()
        for i, stage in enumerate(self.stages):
            if stage.role not in self.roles:
                raise ValueError(f"stages[{i}].role: unknown role {stage.role!r}")
            if isinstance(stage.count, str) and stage.count not in self.parameters:
                raise ValueError(f"stages[{i}].count: unknown parameter {stage.count!r}")
            if stage.counts is not None and any(k < 0 or w < 0 for k, w in stage.counts.items()):
                raise ValueError(f"stages[{i}].counts: counts and weights are 0 or more")
            if self.count_of(stage) < 0:
                raise ValueError(f"stages[{i}].count: {self.count_of(stage)} runs (a count is 0 or more)")
            replicas = self.roles[self.pipeline_role].instances  # run k of a stage is about replica k
            # (in a window recipe the runs of a stage are repeats on one instance: any count)
            if self.sessions == "entity" and self.count_of(stage) > replicas:
                raise ValueError(f"stages[{i}].count: {self.count_of(stage)} runs, but run k is about node k of "
                                 f"role {self.pipeline_role!r}, which has {replicas} instances")
            for ref in [stage.after, *stage.requires]:
                if ref is not None and ref not in seen:
                    raise ValueError(f"stages[{i}] ({stage.name}): {ref!r} is not an earlier stage")
            seen.add(stage.name)
        if self.window_role is not None and self.window_role not in self.roles:
            raise ValueError(f"window_role: unknown role {self.window_role!r}")
        for i, stage in enumerate(self.stages):
            if stage.every_s is not None and stage.after is not None:
                raise ValueError(f"stages[{i}] ({stage.name}): a stage is periodic (every_s) or follows another "
                                 "(after), not both")
        return self

    @property
    def pipeline_role(self) -> str:
        """The role whose nodes a session's runs talk about (the one with most instances: HDFS's datanodes)."""
        return max(self.roles, key=lambda name: (self.roles[name].instances, name))

    def count_of(self, stage: Stage) -> int:
        """The fixed number of runs of a stage (its most likely one when ``counts`` is set)."""
        if stage.counts:
            return max(stage.counts, key=lambda k: (stage.counts[k], -k))
        return self.parameters[stage.count] if isinstance(stage.count, str) else stage.count

    @property
    def entries(self) -> list[str]:
        return list(dict.fromkeys(s.entry for s in self.stages))

    def depth_of(self, entry: str) -> int | None:
        """The inline depth the first stage running ``entry`` asks for."""
        return next((s.depth for s in self.stages if s.entry == entry and s.depth is not None), None)


def _regexes(patterns: list[str]) -> list[str]:
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"{pattern!r} is not a regular expression: {exc}") from None
    return patterns


def load_recipe(path: str | Path) -> Recipe:
    """Read and validate a recipe; any error names the file, line and field."""
    return load_config(Recipe, path, "recipe")
