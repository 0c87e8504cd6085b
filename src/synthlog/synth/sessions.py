"""Session assemblers: turn pools of labeled path variants into timed, value-filled, labeled log sessions.

Two assemblers share one line renderer:

- :class:`PathAssembler`: one session per entry-point path run (``--entry``): a variant of a random entry,
  its lines spaced a few milliseconds apart.
- :class:`RecipeAssembler`: entity sessions (``--recipe``): the stages of a :class:`~synthlog.synth.recipe.Recipe`
  each run the variants of their entry point ``count`` times, by distinct nodes of their role, starting a random
  delay after an earlier stage; lines of all runs are interleaved by timestamp. Every value that names the entity
  (the block) is the session's one entity, and each run's own address is the address of the node that runs it.

Each session draws from its own ``random.Random(f"{seed}:{index}")``, so session ``i`` is the same whether the
run makes 10 sessions or a million, and shards of a run can be made apart and concatenated.
"""

from __future__ import annotations

import random
import re
import time
from dataclasses import dataclass
from pathlib import PurePosixPath

from synthlog.code.records import Statement
from synthlog.io.logformat import LogFormat
from synthlog.records import LogEvent, Session
from synthlog.synth.labels import LabelRules
from synthlog.synth.pools import Pool, Variant, level_word
from synthlog.synth.recipe import Recipe, Stage
from synthlog.synth.values import NODE_KINDS, Node, SlotKind, ValueContext, ValueGenerator, infer_slot_kinds, render

IDENTITY_KINDS = NODE_KINDS | {SlotKind.BLOCK_ID, SlotKind.HEX_ID, SlotKind.UUID, SlotKind.PATH}


def component_of(statement: Statement, style: str = "class_with_package_tail") -> str:
    """The logger name a line shows: ``dfs.DataNode$DataXceiver`` (log4j ``%c{2}``) or the bare class."""
    if style == "class_with_package_tail":
        parts = PurePosixPath(statement.file).parent.parts
        if parts and parts[-1] not in ("", "."):
            return f"{parts[-1]}.{statement.cls}"
    return statement.cls


class Clock:
    """Writes a timestamp into the header fields of a log format (HDFS ``081109 203615``, else ISO)."""

    def __init__(self, fmt: LogFormat):
        self.fmt = fmt
        self.hdfs_style = fmt.name == "hdfs"
        self._last: int | None = None  # lines come in bursts within one second: format each second once
        self._texts = ("", "")

    def fields(self, timestamp: float, pid: int, node: str) -> dict[str, str]:
        second = int(timestamp)
        date, clock = self._texts if second == self._last else self._remember(second)
        out: dict[str, str] = {}
        for header in self.fmt.headers:
            if header == "Date":
                out[header] = date
            elif header == "Time":
                out[header] = clock if self.hdfs_style else f"{clock},{int(timestamp * 1000) % 1000:03d}"
            elif header in ("Pid", "Id", "Thread", "Process"):
                out[header] = str(pid)
            elif header == "Node":
                out[header] = node
            elif header == "Timestamp":
                out[header] = str(second)
        return out

    def _remember(self, second: int) -> tuple[str, str]:
        t = time.gmtime(second)
        if self.hdfs_style:
            self._texts = (time.strftime("%y%m%d", t), time.strftime("%H%M%S", t))
        else:
            self._texts = (time.strftime("%Y-%m-%d", t), time.strftime("%H:%M:%S", t))
        self._last = second
        return self._texts


@dataclass
class Renderer:
    """Fills a variant's statements with values and makes labeled :class:`LogEvent` records."""

    values: ValueGenerator
    fmt: LogFormat
    template_ids: dict[str, str]  # statement id -> template id
    component_style: str = "class_with_package_tail"

    def __post_init__(self) -> None:
        self.clock = Clock(self.fmt)
        self._kinds: dict[str, list[SlotKind]] = {}
        self._headers: dict[str, tuple[str, str]] = {}

    def lines(self, variant: Variant, ctx: ValueContext, start: float, spacing: tuple[float, float],
              rng: random.Random, pid: int, node: str, run: int) -> list[LogEvent]:
        exception_type = variant.exit if variant.exit != "normal" else None
        out = []
        t = start
        for i, (statement, (label, rule)) in enumerate(zip(variant.statements, variant.labels, strict=True)):
            content, params = self.values.fill(statement, ctx, exception_type=exception_type)
            proposed = variant.proposed[i] if variant.proposed else None
            if proposed and len(proposed) == len(params):
                content, params = self._with_proposed(statement, params, proposed)
            level, component = self._header(statement)
            event = LogEvent(content=content, timestamp=t, level=level, component=component,
                             template_id=self.template_ids[statement.id], parameters=params, label=label,
                             label_rule=rule, fields=self.clock.fields(t, pid, node),
                             attributes={"statement": statement.id, "path": variant.path_id, "run": run})
            out.append(event)
            t += rng.uniform(*spacing) / 1000.0
        return out

    def _header(self, statement: Statement) -> tuple[str, str]:
        header = self._headers.get(statement.id)
        if header is None:
            header = self._headers[statement.id] = (level_word(statement.level),
                                                    component_of(statement, self.component_style))
        return header

    def _with_proposed(self, statement: Statement, params: list[str], proposed: list[str]) -> tuple[str, list[str]]:
        """Take a checker's proposed values for slots that do not name an entity (exception messages, sizes ...);
        identities (blocks, nodes, ids, paths) stay the session's, so they remain consistent."""
        kinds = self._kinds.get(statement.id)
        if kinds is None:
            kinds = self._kinds[statement.id] = infer_slot_kinds(statement)
        merged = [mine if kind in IDENTITY_KINDS else theirs for kind, mine, theirs in zip(kinds, params, proposed,
                                                                                            strict=True)]
        return render(statement.template, merged), merged


def _label(session: Session) -> Session:
    session.label, session.label_rule = LabelRules.label_session(session.events)
    return session


class PathAssembler:
    """One session per run of an entry point (see the module docstring)."""

    def __init__(self, pools: list[Pool], renderer: Renderer, seed: int, start: float, fault_rate: float = 0.05,
                 nodes: int = 3):
        self.pools = [p for p in pools if p.normal or p.anomalous]
        if not self.pools:
            raise ValueError("no entry point has a feasible path that logs anything")
        self.renderer, self.seed, self.start, self.fault_rate, self.nodes = renderer, seed, start, fault_rate, nodes

    def session(self, index: int) -> Session:
        rng = random.Random(f"{self.seed}:{index}")
        pool = self.pools[rng.randrange(len(self.pools))]
        variant = pool.pick(rng, self.fault_rate)
        ctx = self.renderer.values.context(0, nodes=self.nodes)
        ctx.rng = rng  # one generator per session: values, timing and choices all follow from its seed
        start = self.start + index * 2.0 + rng.uniform(0, 1.5)
        events = self.renderer.lines(variant, ctx, start, (1.0, 40.0), rng, pid=rng.randint(10, 4000),
                                     node="", run=0)
        session = Session(id=f"session_{index:07d}", events=events, attributes={"entry": pool.entry})
        return _label(session)


class RecipeAssembler:
    """Entity sessions composed by a recipe (see the module docstring)."""

    def __init__(self, recipe: Recipe, pools: dict[str, Pool], renderer: Renderer, seed: int, start: float):
        self.recipe, self.pools, self.renderer, self.seed, self.start = recipe, pools, renderer, seed, start
        gap = recipe.session_gap_ms
        self.mean_gap = (gap.min + gap.max) / 2000.0
        self.main = {stage.name: [re.compile(p) for p in stage.main] for stage in recipe.stages}

    def _nodes(self, rng: random.Random) -> dict[str, list[Node]]:
        cluster = self.renderer.values.cluster
        picked = rng.sample(cluster, min(len(cluster), sum(r.instances for r in self.recipe.roles.values())))
        out, at = {}, 0
        for name, role in self.recipe.roles.items():
            nodes = picked[at:at + role.instances] or picked[:1]
            at += role.instances
            out[name] = [Node(_in_subnet(n.ip, role.subnet), role.port or n.port, n.hostname) for n in nodes]
        return out

    def _bind_run(self, ctx: ValueContext, node: Node, nodes: dict[str, list[Node]], run: int) -> None:
        """Node slots of run ``k`` name the run's own node (``self``) and then, in order of appearance, the nodes
        of the recipe's pipeline role from replica ``k``: a namenode run about replica ``k`` names datanode ``k``; a
        datanode run names its upstream peer first. So a datanode has one address in every stage of a session."""
        for key in [k for k in ctx.entities if k[0] in ("node", "port")]:
            del ctx.entities[key]
        ctx.entities[("node", "self")] = node
        pipeline = nodes[self.recipe.pipeline_role]
        if node in pipeline:
            start = (pipeline.index(node) - 1) % len(pipeline)
            peers = [n for n in pipeline[start:] + pipeline[:start] if n is not node]
        else:
            start = run % len(pipeline)
            peers = pipeline[start:] + pipeline[:start]
        ctx.pool = [node, *peers]  # the values module gives the i-th new node key pool[i]; self is the 0th

    def session(self, index: int) -> Session:
        recipe = self.recipe
        rng = random.Random(f"{self.seed}:{index}")
        ctx = self.renderer.values.context(0)  # its node pool is set below from the recipe's roles
        ctx.rng = rng  # one generator per session: values, timing and choices all follow from its seed
        nodes = self._nodes(rng)
        ctx.pool = [n for group in nodes.values() for n in group]
        entity = self.renderer.values.value(SlotKind(recipe.entity), "primary", ctx)
        session_start = self.start + index * self.mean_gap + rng.uniform(0, self.mean_gap)
        # plan the stages that run, then choose at most one run to fail, then render
        started: dict[str, float] = {}
        runs: list[tuple[Stage, int, float]] = []
        for stage in recipe.stages:
            if any(r not in started for r in stage.requires) or rng.random() >= stage.probability:
                continue
            base = started.get(stage.after, session_start) if stage.after else session_start
            started[stage.name] = base + rng.uniform(stage.delay_ms.min, stage.delay_ms.max) / 1000.0
            runs.extend((stage, run, started[stage.name]) for run in range(recipe.count_of(stage)))
        faulty = self._faulty_run(rng, runs)
        events: list[LogEvent] = []
        for i, (stage, run, stage_start) in enumerate(runs):
            pool = self.pools[stage.entry]
            variant = pool.pick(rng, 1.0 if i == faulty else 0.0, self.main[stage.name], stage.rare_rate)
            if variant is None:
                continue
            role_nodes = nodes[stage.role]
            node = role_nodes[run % len(role_nodes)]
            self._bind_run(ctx, node, nodes, run)
            start = stage_start + rng.uniform(0, stage.spacing_ms.max) / 1000.0
            events.extend(self.renderer.lines(variant, ctx, start, (stage.spacing_ms.min, stage.spacing_ms.max),
                                              rng, pid=rng.randint(10, 4000), node=node.hostname, run=run))
        events.sort(key=lambda e: e.timestamp)
        session = Session(id=entity, events=events)
        return _label(session)

    def _faulty_run(self, rng: random.Random, runs: list[tuple[Stage, int, float]]) -> int | None:
        """With probability ``fault_rate``, the index of the one run that takes an anomalous variant (runs weighted
        by their stage's ``fault_weight``, among stages that have anomalous variants)."""
        if rng.random() >= self.recipe.fault_rate:
            return None
        weights = [stage.fault_weight if self.pools[stage.entry].anomalous else 0.0 for stage, _, _ in runs]
        if not any(weights):
            return None
        return rng.choices(range(len(runs)), weights=weights, k=1)[0]


def _in_subnet(ip: str, subnet: str | None) -> str:
    """``ip`` moved into ``subnet`` (its first two octets), or unchanged when the role names none."""
    return ip if subnet is None else f"{subnet}.{ip.split('.', 2)[2]}"
