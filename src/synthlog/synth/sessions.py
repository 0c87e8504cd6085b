"""Session assemblers: turn pools of labeled path variants into timed, value-filled, labeled log sessions.

Two assemblers share one line renderer:

- :class:`PathAssembler`: one session per entry-point path run (``--entry``): a variant of a random entry,
  its lines spaced a few milliseconds apart.
- :class:`RecipeAssembler`: entity sessions (``--recipe``): the stages of a :class:`~synthlog.synth.recipe.Recipe`
  each run the variants of their entry point ``count`` times, by distinct nodes of their role, starting a random
  delay after an earlier stage; lines of all runs are interleaved by timestamp. Every value that names the entity
  (the block) is the session's one entity, and each run's own address is the address of the node that runs it.

Each session draws from its own ``random.Random(f"{seed}:{index}")`` and starts at ``arrivals.time(index)`` (see
:mod:`synthlog.synth.arrivals`), so session ``i`` is the same whether the run makes 10 sessions or a million, and
shards of a run can be made apart. No line of a session comes more than ``lead_s`` seconds before its start, which
is what lets :mod:`synthlog.synth.timeline` merge sessions into one time-ordered stream.
"""

from __future__ import annotations

import itertools
import math
import random
import re
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import PurePosixPath

from synthlog.code.records import Statement
from synthlog.code.slottypes import SlotType
from synthlog.io.layout import Layout
from synthlog.io.logformat import LogFormat
from synthlog.records import US, LogEvent, Session
from synthlog.synth.arrivals import Arrivals, recipe_arrivals
from synthlog.synth.draws import between, weighted
from synthlog.synth.labels import LabelRules
from synthlog.synth.pools import Drawing, Pool, Variant, level_word
from synthlog.synth.recipe import Recipe, Stage
from synthlog.synth.values import NODE_KINDS, Node, SlotKind, ValueContext, ValueGenerator, infer_slot_kinds, render

CONCENTRATION = ((1.0, 1.0),)  # Dirichlet concentration (and weight) of a session's own variant shares in a new
# mix, unless calibrated
IDENTITY_KINDS = NODE_KINDS | {SlotKind.BLOCK_ID, SlotKind.HEX_ID, SlotKind.UUID, SlotKind.PATH}


def component_of(statement: Statement, style: str = "class_with_package_tail") -> str:
    """The logger name a line shows: ``dfs.DataNode$DataXceiver`` (log4j ``%c{2}``) or the bare class."""
    if style == "class_with_package_tail":
        parts = PurePosixPath(statement.file).parent.parts
        if parts and parts[-1] not in ("", "."):
            return f"{parts[-1]}.{statement.cls}"
    return statement.cls


@dataclass
class Renderer:
    """Fills a variant's statements with values and makes labeled :class:`LogEvent` records.

    The line's header fields come from the layout (:class:`~synthlog.io.layout.Layout`): the timestamp, the
    thread the assembler gives (else one per run, named after the run's first class), the statement's real line
    number, method and file; ``%c`` / ``%C`` components from the statement's class and package.
    """

    values: ValueGenerator
    fmt: LogFormat
    template_ids: dict[str, str]  # statement id -> template id
    component_style: str = "class_with_package_tail"
    slot_types: dict[str, tuple[SlotType, ...]] = field(default_factory=dict)  # statement id -> the code's types
    thread_names: dict[str, tuple[str, tuple[SlotType, ...]]] = field(default_factory=dict)  # class -> template
    fill_values: bool = True  # False: skeleton lines (the template as content), for fitting timing cheaply

    def __post_init__(self) -> None:
        self.layout = self.fmt if isinstance(self.fmt, Layout) else Layout.from_format(self.fmt)
        self._kinds: dict[str, list[SlotKind]] = {}
        self._headers: dict[str, tuple[str, str]] = {}
        self._variant_steps: dict[int, tuple] = {}  # id(variant) -> what lines needs of it (see _prepare)

    def lines(self, variant: Variant, ctx: ValueContext, start: float, spacing: tuple[float, float],
              rng: random.Random, pid: int, node: str, run: int, thread: str | None = None) -> list[LogEvent]:
        known = self._variant_steps.get(id(variant))
        if known is None or known[0] is not variant:
            known = self._prepare(variant)
        _, steps, exception_type, path_id, named = known
        if thread is None and named is not None:  # one thread per run: a run is one thread's work
            thread = ctx.entities.get(named[0])
            if thread is None:
                thread = self._new_thread(named, ctx)
        thread = thread or ""
        fill, fields, random_ = self.values.fill_planned, self.layout.fields, rng.random
        low, high = spacing
        width = high - low
        out = []
        t = start
        fill_values = self.fill_values
        proposals = variant.proposed if fill_values else None
        for i, (statement, sid, label, rule, level, component, tid, plan, line, method, file) in enumerate(steps):
            if fill_values:
                content, params = fill(plan, ctx, exception_type, tid)
            else:
                content, params = statement.template, []
            if proposals:
                proposed = proposals[i]
                if proposed and len(proposed) == len(params):
                    content, params = self._with_proposed(statement, params, proposed)
            # positional, in LogEvent's field order: the hot loop of sampling
            micros = int(t * US)
            out.append(LogEvent(content, micros, level, component, tid, params, label, rule, None,
                                fields(micros, thread, node, pid, line, method, file),
                                {"statement": sid, "path": path_id, "run": run, "thread": pid}))
            t += (low + width * random_()) / 1000.0  # rng.uniform(low, high), without the call
        return out

    def _prepare(self, variant: Variant) -> tuple:
        """What :meth:`lines` needs of ``variant`` that does not change between sessions, worked out once: the
        variant, its steps (per line: statement, its id, label, rule, level, component, template id, fill plan,
        line number, method, file), its exception, its path id and its run's thread template (see
        :meth:`_new_thread`; None for a variant without lines)."""
        steps = []
        for statement, (label, rule) in zip(variant.statements, variant.labels, strict=True):
            level, component = self._header(statement)
            plan = self.values.plan_of(statement, self.slot_types.get(statement.id, ()))
            steps.append((statement, statement.id, label, rule, level, component, self.template_ids[statement.id],
                          plan, statement.line, statement.method, statement.file))
        named = None
        if variant.statements:
            key, types = self._thread_template(variant.statements[0].cls)
            named = (("thread", key), key, types)
        known = self._variant_steps[id(variant)] = (  # the variant is kept, so its id stays its own
            variant, steps, variant.exit if variant.exit != "normal" else None, variant.path_id, named)
        return known

    def _new_thread(self, named: tuple, ctx: ValueContext) -> str:
        """The name the code gives a run's thread (``named``: see :meth:`_prepare`), filled once per session; else
        the class's simple name and a number."""
        entity, key, types = named
        thread = ctx.entities[entity] = self.values.fill(key, ctx, types)[0] if types is not None \
            else f"{key}-{between(ctx.rng, 1, 32)}"
        return thread

    def _thread_template(self, cls: str) -> tuple[str, tuple[SlotType, ...] | None]:
        """The thread-name template the code gives class ``cls`` or a class it is nested in, with its slot types;
        else ``(simple name, None)``."""
        parts = cls.split("$")
        for end in range(len(parts), 0, -1):
            named = self.thread_names.get("$".join(parts[:end]))
            if named is not None:
                return named
        return parts[-1] or "main", None

    def _header(self, statement: Statement) -> tuple[str, str]:
        header = self._headers.get(statement.id)
        if header is None:
            component = self.layout.component(statement.cls, statement.file) if self.layout.pattern else \
                component_of(statement, self.component_style)
            header = self._headers[statement.id] = (level_word(statement.level), component)
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


_timestamp = attrgetter("timestamp")


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
        self.arrivals = Arrivals(start, rate_per_s=0.5, seed=seed)
        self.lead_s = 0.0

    def session(self, index: int) -> Session:
        rng = random.Random(f"{self.seed}:{index}")
        pool = self.pools[rng.randrange(len(self.pools))]
        variant = pool.pick(rng, self.fault_rate)
        # one generator per session: values, timing and choices all follow from its seed
        ctx = self.renderer.values.context(0, nodes=self.nodes, rng=rng)
        start = self.arrivals.time(index)
        events = self.renderer.lines(variant, ctx, start, (1.0, 40.0), rng, pid=rng.randint(10, 4000),
                                     node="", run=0)
        session = Session(id=f"session_{index:07d}", events=events, attributes={"entry": pool.entry})
        return _label(session)


class RecipeAssembler:
    """Entity sessions composed by a recipe (see the module docstring).

    ``stage_pools`` (stage name -> pool) replaces the pools of the stages' entries (calibration reweights them per
    stage); ``mixes`` (stage name -> run mixes, their weights, the chance of a new mix, whether mixes vary) are
    whole combinations of variants a stage's runs take together, drawn unless a new mix is; ``concentrations``
    (stage name -> the Dirichlet concentrations of a new mix's variant shares and their weights, fitted by
    calibration: each new mix draws one);
    ``fill_values=False`` on the renderer makes skeleton sessions (templates, times, threads) for fitting.
    """

    def __init__(self, recipe: Recipe, pools: dict[str, Pool], renderer: Renderer, seed: int, start: float,
                 stage_pools: dict[str, Pool] | None = None,
                 mixes: dict[str, tuple[list[tuple[Variant, ...]], list[float], float, bool]] | None = None,
                 concentrations: dict[str, tuple[tuple[float, float], ...]] | None = None):
        self.recipe, self.renderer, self.seed, self.start = recipe, renderer, seed, start
        self.concentrations = concentrations or {}
        self.pools = stage_pools or {stage.name: pools[stage.entry] for stage in recipe.stages}
        self.mixes = mixes or {}
        self.arrivals = recipe_arrivals(recipe, seed, start)
        self.lead_s = _lead_s(recipe, self.pools)
        self.main = {stage.name: tuple(re.compile(p) for p in stage.main) for stage in recipe.stages}
        self.counts = {stage.name: (list(stage.counts), list(itertools.accumulate(stage.counts.values())))
                       for stage in recipe.stages if stage.counts}
        self.mix_weights = {name: list(itertools.accumulate(mix[1])) for name, mix in self.mixes.items() if mix[0]}
        self.pipeline_role = recipe.pipeline_role
        self.entity_kind = SlotKind(recipe.entity)
        # (role, id of a cluster node) -> the node in that role; and each such node -> itself (one object per value)
        self._placed: dict = {}
        # per stage, what its plan draws with: requirements, probability, mixes and their running sums, run counts
        # and their running sums, the fixed count
        self._stages = [(stage, tuple(stage.requires), stage.probability, self.mixes.get(stage.name),
                         self.mix_weights.get(stage.name), self.counts.get(stage.name), recipe.count_of(stage))
                        for stage in recipe.stages]
        self._runs = {stage.name: _RunSetting.of(stage, recipe, self.pools[stage.name], self.main[stage.name])
                      for stage in recipe.stages if stage.name in self.pools}

    def _nodes(self, rng: random.Random) -> dict[str, list[Node]]:
        cluster = self.renderer.values.cluster
        picked = rng.sample(cluster, min(len(cluster), sum(r.instances for r in self.recipe.roles.values())))
        out, at, placed = {}, 0, self._placed
        for name, role in self.recipe.roles.items():
            nodes = picked[at:at + role.instances] or picked[:1]
            at += role.instances
            group = out[name] = []
            for n in nodes:  # a cluster node as this role shows it, made once (cluster nodes live as long as self)
                node = placed.get((name, id(n)))
                if node is None:  # equal nodes are one object, so a node's id stands for its value
                    node = Node(_in_subnet(n.ip, role.subnet), role.port or n.port, n.hostname)
                    node = placed[(name, id(n))] = placed.setdefault(node, node)
                group.append(node)
        return out

    def _run_pool(self, node: Node, nodes: dict[str, list[Node]], run: int, bound: dict) -> list[Node]:
        """The nodes that node slots of run ``run`` on ``node`` name, in order (the values module gives the i-th new
        node key the i-th): the run's own node (``self``) and then, in order of appearance, the nodes of the
        recipe's pipeline role from replica ``run``: a namenode run about replica ``k`` names datanode ``k``; a
        datanode run names its upstream peer first. So a datanode has one address in every stage of a session.
        Kept in ``bound``, the session's pools worked out so far (which the caller looks in first), by node id (a
        pipeline node's pool is the same every run) and by node id and run."""
        pipeline = nodes[self.pipeline_role]
        for at, member in enumerate(pipeline):
            if member is node:  # equal nodes are one object
                start = (at - 1) % len(pipeline)
                peers = [n for n in pipeline[start:] + pipeline[:start] if n is not node]
                pool = bound[id(node)] = [node, *peers]
                return pool
        start = run % len(pipeline)
        pool = bound[(id(node), run)] = [node, *pipeline[start:], *pipeline[:start]]
        return pool

    def _plan(self, rng: random.Random) -> list[tuple[Stage, int, tuple[Variant, ...] | None]]:
        """The stages that run in this session, how many times, and the variants of their runs when a whole mix
        is drawn: ``(stage, runs, mix)`` in recipe order."""
        ran: set[str] = set()
        plan = []
        random_ = rng.random
        for stage, requires, probability, mixes, mix_sums, counts, fixed in self._stages:
            if (requires and any(r not in ran for r in requires)) or random_() >= probability:
                continue
            mix = None
            if mixes and mixes[0] and random_() >= mixes[2]:
                mix = list(weighted(rng, mixes[0], mix_sums))
                rng.shuffle(mix)  # which run takes which variant
                runs = len(mix)
            else:
                runs = weighted(rng, counts[0], counts[1]) if counts else fixed
                if mixes and mixes[3] and runs > 0:  # a new mix of a varying stage: its runs share conditions
                    mix = self._new_mix(rng, self.pools[stage.name].normal, runs,
                                        self.concentrations.get(stage.name, CONCENTRATION))
            if runs > 0:
                ran.add(stage.name)
                plan.append((stage, runs, mix))
        return plan

    @staticmethod
    def _new_mix(rng: random.Random, variants: list[Variant], runs: int,
                 concentrations: tuple[tuple[float, float], ...]) -> list[Variant] | None:
        """``runs`` variants drawn from this session's own shares of the variants: a Dirichlet draw around their
        weights whose total, the concentration, is one of ``concentrations`` (``(concentration, weight)`` pairs,
        drawn by weight); a low one makes one session's runs go alike (a client that reads a block to the end does
        so on every datanode), a high one lets each run draw on its own."""
        total = sum(v.weight for v in variants)
        if not total:
            return None
        concentration = concentrations[0][0] if len(concentrations) == 1 else \
            rng.choices([c for c, _ in concentrations], weights=[w for _, w in concentrations], k=1)[0]
        shares = [rng.gammavariate(concentration * v.weight / total, 1.0) if v.weight > 0 else 0.0 for v in variants]
        if not any(shares):
            return None
        return rng.choices(variants, weights=shares, k=runs)

    def session(self, index: int) -> Session:
        rng = random.Random(f"{self.seed}:{index}")
        # its node pool is set below from the recipe's roles; one generator per session: values, timing and
        # choices all follow from its seed
        ctx = self.renderer.values.context(0, rng=rng)
        nodes = self._nodes(rng)
        ctx.pool = [n for group in nodes.values() for n in group]
        entity = self.renderer.values.value(self.entity_kind, "primary", ctx)
        session_start = self.arrivals.time(index)
        plan = self._plan(rng)
        bases: dict[int, int] = {}  # each node (by id) numbers its threads on its own counter
        bound: dict = {}  # node pools of runs (see _run_pool)
        faulty = self._faulty_run(rng, plan)
        # every run is a timed process: its own start, its own thread, its lines in program order
        started: dict[str, float] = {}
        ends: dict[str, dict[int, float]] = {}
        events: list[LogEvent] = []
        random_, lines_of, fill_values = rng.random, self.renderer.lines, self.renderer.fill_values
        i = -1
        for stage, runs, mix in plan:
            setting = self._runs[stage.name]
            after = setting.after
            base = started.get(after, session_start) if after else session_start
            # rng.uniform(low, high) is low + (high - low) * random(): written out, the same draws
            stage_start = base + (setting.delay_low + setting.delay_width * random_()) / 1000.0
            role_nodes, drawing, rare_rate = nodes[setting.role], setting.drawing, setting.rare_rate
            ends_here = ends[stage.name] = {}
            ends_before = ends.get(after or "", {}) if setting.follows_run else None
            first = None
            own = setting.threads  # the stage's own thread numbers, else a node's base + spread
            for run in range(runs):
                i += 1
                if ends_before is not None and run in ends_before:
                    start = ends_before[run] + (setting.delay_low + setting.delay_width * random_()) / 1000.0
                else:
                    start = stage_start + (setting.jitter_low + setting.jitter_width * random_()) / 1000.0
                first = start if first is None or start < first else first
                node = role_nodes[run % len(role_nodes)]
                if mix is not None and i != faulty:
                    variant = mix[run]
                else:
                    variant = drawing.pick(random_, 1.0 if i == faulty else 0.0, rare_rate)
                if variant is None:
                    continue
                if fill_values:  # bind the run: its node slots, its position (see _run_pool)
                    ctx.pool = bound.get(id(node)) or bound.get((id(node), run)) or \
                        self._run_pool(node, nodes, run, bound)
                    ctx.node_of, ctx.port_of, ctx.run, ctx.runs = {"self": node}, {}, run, runs
                if own is not None:
                    thread = between(rng, *own)
                else:
                    if id(node) not in bases:  # equal nodes are one object (see _nodes)
                        bases[id(node)] = between(rng, *setting.role_threads)
                    thread = bases[id(node)] + between(rng, 0, setting.spread)
                lines = lines_of(variant, ctx, start, setting.spacing, rng, thread, node.hostname, run)
                if lines:
                    ends_here[run] = lines[-1].timestamp / US
                events.extend(lines)
            started[stage.name] = stage_start if first is None else first
        session = Session(id=entity, events=self._in_log_order(events, rng))
        return _label(session)

    def _in_log_order(self, events: list[LogEvent], rng: random.Random) -> list[LogEvent]:
        """The session's lines in the order the source's log shows them (see :class:`~synthlog.synth.recipe.Order`);
        lines that share a timestamp bucket swap their times too, so timestamps never decrease."""
        order = self.recipe.order
        if order.resolution_s <= 0 or order.ties == "time":
            events.sort(key=_timestamp)
            return events
        if order.ties == "text":
            return self._by_text(events, order.resolution_s)
        times = [e.timestamp for e in events]
        resolution, floor = order.resolution_s, math.floor
        buckets = [floor(t / US / resolution) for t in times]
        ties = [rng.random() for _ in events]
        # by bucket, tie-breaker and time; equal keys keep their order (the index comes last)
        out = [events[k] for _, _, _, k in sorted(zip(buckets, ties, times, range(len(events)), strict=True))]
        self._retime(out, sorted(times))
        return out

    def _by_text(self, events: list[LogEvent], resolution: float) -> list[LogEvent]:
        """The lines by timestamp bucket, text and time (equal keys in their order); as the general sort by
        ``(bucket, text, time, index)``, but the bucket grows with the time, so the lines sorted by time hold each
        bucket's lines together, and only a bucket of two lines or more needs its lines' text rendered."""
        events.sort(key=_timestamp)  # stable: equal times keep their order
        times = [e.timestamp for e in events]
        floor = math.floor
        buckets = [floor(t / US / resolution) for t in times]
        lines_of = self.renderer.fmt.lines
        start, count = 0, len(events)
        for end in range(1, count + 1):
            if end < count and buckets[end] == buckets[start]:
                continue
            if end - start > 1:
                group = events[start:end]
                keyed = sorted(zip(lines_of(group), times[start:end], range(end - start), strict=True))
                events[start:end] = [group[k] for _, _, k in keyed]
            start = end
        self._retime(events, times)
        return events

    def _retime(self, events: list[LogEvent], times: list[int]) -> None:
        """Hand the sorted ``times`` out again in the new order: a bucket's times all come before the next
        bucket's (the bucket grows with the time), so lines that swapped places within a bucket swap times; a
        moved line's date and time headers move with it."""
        retimed = self.renderer.layout.retimed
        for event, t in zip(events, times, strict=True):
            if event.timestamp != t:
                event.fields = retimed(event.fields, t, event.timestamp)
                event.timestamp = t

    def _faulty_run(self, rng: random.Random, plan: list[tuple[Stage, int, tuple[Variant, ...] | None]]) -> int | None:
        """With probability ``fault_rate``, the index of the one run of ``plan`` (see :meth:`_plan`) that takes an
        anomalous variant (runs weighted by their stage's ``fault_weight``, among stages that have anomalous
        variants)."""
        if rng.random() >= self.recipe.fault_rate:
            return None
        weights = [stage.fault_weight if self.pools[stage.name].anomalous else 0.0
                   for stage, runs, _ in plan for _ in range(runs)]
        if not any(weights):
            return None
        return rng.choices(range(len(weights)), weights=weights, k=1)[0]


@dataclass(frozen=True, slots=True)
class _RunSetting:
    """What a stage's runs draw with, looked up once per assembler instead of once per run."""

    after: str | None
    follows_run: bool
    delay_low: float
    delay_width: float
    jitter_low: float
    jitter_width: float
    role: str
    drawing: Drawing  # the stage's pool as its runs draw from it, with its main patterns
    rare_rate: float
    threads: tuple[int, int] | None  # the stage's own thread numbers, else the role's base and spread below
    role_threads: tuple[int, int]
    spread: int
    spacing: tuple[float, float]

    @classmethod
    def of(cls, stage: Stage, recipe: Recipe, pool: Pool, main: tuple[re.Pattern[str], ...]) -> _RunSetting:
        role = recipe.roles[stage.role]
        threads = (int(stage.threads.min), int(stage.threads.max)) if stage.threads is not None else None
        return cls(stage.after, stage.follow == "run", stage.delay_ms.min, stage.delay_ms.max - stage.delay_ms.min,
                   stage.jitter_ms.min, stage.jitter_ms.max - stage.jitter_ms.min, stage.role, pool.drawing(main),
                   stage.rare_rate, threads, (int(role.threads.min), int(role.threads.max)),
                   role.thread_spread,
                   (stage.spacing_ms.min, stage.spacing_ms.max))


def _lead_s(recipe: Recipe, pools: dict[str, Pool]) -> float:
    """How far before its start a session may log: a stage may start before the one it follows (negative
    ``delay_ms``), a run before its stage (negative ``jitter_ms``), and lines may step back in time (negative
    ``spacing_ms``). ``pools`` by stage name."""
    earliest: dict[str, float] = {}
    lowest = 0.0
    for stage in recipe.stages:
        base = min(earliest.get(stage.after, 0.0), 0.0) if stage.after else 0.0  # the stage ran, or the session start
        earliest[stage.name] = base + (stage.delay_ms.min + min(stage.jitter_ms.min, 0.0)) / 1000.0
        pool = pools.get(stage.name)
        longest = max((len(v.statements) for v in (pool.normal + pool.anomalous)), default=0) if pool else 0
        lowest = min(lowest, earliest[stage.name] + min(stage.spacing_ms.min, 0.0) / 1000.0 * longest)
    return -lowest


def _in_subnet(ip: str, subnet: str | None) -> str:
    """``ip`` moved into ``subnet`` (its first two octets), or unchanged when the role names none."""
    return ip if subnet is None else f"{subnet}.{ip.split('.', 2)[2]}"
