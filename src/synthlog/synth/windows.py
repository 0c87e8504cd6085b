"""Time-window sessions: a recipe's role instances run its stages over a time line, and each instance's lines are
cut into fixed windows (``sessions: window`` recipes, e.g. a ZooKeeper ensemble).

Anomaly work on logs without an entity id (ZooKeeper, BGL) cuts each server's log into fixed time windows; so does
this assembler. How stages run on the time line:

- a stage with ``every_s`` is periodic: each instance of its role runs it, then again after a gap drawn from
  ``every_s``, until the end (``probability`` thins the runs);
- a stage with ``after`` follows another: each time that stage runs on an instance (each of its ``count`` copies,
  ``spacing_ms`` apart), this one runs ``count`` times,
  ``delay_ms`` later, with ``probability``, on the instances ``fanout`` names (``self``: that instance, keeping its
  values, so a client session's accept, establish and close share one client and session id; ``all``; ``others``:
  a cross-entity event, e.g. a leader loss that sets every other server electing);
- any other stage runs once per instance, ``delay_ms`` after the start (start-up).

Each run takes an anomalous variant with probability ``fault_rate * fault_weight``. A stage's ``lines`` keeps only
the lines of one loop iteration: its entry's variants, filtered, make the stage's own pool, normal or anomalous by
the lines kept (``main`` then applies to the filtered variants). A session is the lines of one instance of
``window_role`` within ``[start + k * window_s, start + (k + 1) * window_s)``, id ``<host>_w<k>``; empty windows are
no session. Sessions come in time order (window, then instance), their lines sorted by time, and are labeled as
entity sessions are.

The whole time line draws from one ``random.Random(seed)``, in time order; window ``i`` is the same however many
windows a run makes. ``session(i)``, ``arrivals.time(i)`` and ``lead_s`` are what the time-ordered writer of
``generate code`` asks an assembler for.
"""

from __future__ import annotations

import heapq
import math
import random
import re
from dataclasses import dataclass, field

from synthlog.errors import InputError
from synthlog.records import US, LogEvent, Session
from synthlog.synth.labels import LabelRules
from synthlog.synth.pools import Pool, Variant
from synthlog.synth.recipe import Recipe, Stage
from synthlog.synth.sessions import Renderer
from synthlog.synth.values import Node, ValueContext


@dataclass(order=True)
class _Run:
    """A stage run waiting on the time line (ordered by time, then by when it was planned)."""

    time: float
    order: int
    stage: int = field(compare=False)
    instance: int = field(compare=False)
    ctx: ValueContext | None = field(default=None, compare=False)  # inherited from the run that triggered it


class WindowAssembler:
    """Window sessions of an ensemble (see the module docstring)."""

    def __init__(self, recipe: Recipe, pools: dict[str, Pool], renderer: Renderer, seed: int, start: float):
        self.recipe, self.pools, self.renderer, self.seed, self.start = recipe, pools, renderer, seed, start
        self.window_role = recipe.window_role or recipe.pipeline_role
        self.followers: dict[str, list[int]] = {}
        for i, stage in enumerate(recipe.stages):
            if stage.after is not None:
                self.followers.setdefault(stage.after, []).append(i)
        # a stage's ``lines`` filter its entry's variants into a pool of its own, labeled by the lines kept
        self.stage_pools = [_filtered(pools[stage.entry], [re.compile(p) for p in stage.lines])
                            for stage in recipe.stages]
        self.main = [[re.compile(p) for p in stage.main] for stage in recipe.stages]
        self.arrivals = _WindowStarts(self)  # what the time-ordered writer asks: when session i starts
        self.lead_s = 0.0  # no line of a window comes before the window's start
        self._windows = 1
        self._made: list[Session] = []

    def _nodes(self) -> dict[str, list[Node]]:
        """Each role's instances: distinct nodes of the cluster, in order, with the role's port."""
        cluster = self.renderer.values.cluster
        out, at = {}, 0
        for name, role in self.recipe.roles.items():
            nodes = [cluster[(at + k) % len(cluster)] for k in range(role.instances)]
            at += role.instances
            out[name] = [Node(n.ip, role.port or n.port, n.hostname) for n in nodes]
        return out

    def session(self, index: int) -> Session:
        """The ``index``-th non-empty window (in the order above). The time line is simulated up to a horizon that
        doubles until it holds that window; a longer horizon changes no window that ends before the shorter one's
        end (runs are drawn in time order), so window ``i`` is the same however many are asked for."""
        while index >= len(self._made):
            if self._windows > 1024 * (index + 1) * self.recipe.roles[self.window_role].instances:
                raise InputError(f"the recipe's time line logs fewer than {index + 1} windows", field="--recipe")
            self._windows *= 2
            self._made = self._timeline(self._windows)
        return self._made[index]

    def sessions(self, n: int) -> list[Session]:
        return [self.session(index) for index in range(n)]

    def _timeline(self, windows: int) -> list[Session]:
        recipe = self.recipe
        rng = random.Random(self.seed)
        nodes = self._nodes()
        end = self.start + windows * recipe.window_s
        queue: list[_Run] = []
        planned = 0

        def plan(time: float, stage: int, instance: int, ctx: ValueContext | None = None) -> None:
            nonlocal planned
            if time < end:
                heapq.heappush(queue, _Run(time, planned, stage, instance, ctx))
                planned += 1

        for i, stage in enumerate(recipe.stages):
            if stage.after is not None:
                continue
            for instance in range(len(nodes[stage.role])):
                if stage.every_s is not None:
                    plan(self.start + rng.uniform(0, stage.every_s.max), i, instance)
                else:
                    plan(self.start + rng.uniform(stage.delay_ms.min, stage.delay_ms.max) / 1000.0, i, instance)
        ran: set[str] = set()
        events: list[tuple[int, LogEvent]] = []  # (instance of window_role, line)
        while queue:
            run = heapq.heappop(queue)
            stage = recipe.stages[run.stage]
            role_nodes = nodes[stage.role]
            if stage.every_s is not None:
                plan(run.time + rng.uniform(stage.every_s.min, stage.every_s.max), run.stage, run.instance)
            if any(r not in ran for r in stage.requires) or rng.random() >= stage.probability:
                continue
            ran.add(stage.name)
            ctx = run.ctx if run.ctx is not None else self._context(rng, role_nodes, run.instance)
            t = run.time
            for copy in range(recipe.count_of(stage)):
                if copy:  # each copy of a run keeps its own values (another connection, another session)
                    ctx = self._context(rng, role_nodes, run.instance)
                lines = self._lines(stage, run.stage, rng, ctx, role_nodes, run.instance, t, copy)
                if stage.role == self.window_role:
                    events.extend((run.instance, e) for e in lines)
                t = lines[-1].timestamp / US if lines else t
                for follower in self.followers.get(stage.name, ()):  # each copy triggers what follows it
                    after = recipe.stages[follower]
                    for target in self._fanout(after, stage, run.instance, len(nodes[after.role])):
                        delay = rng.uniform(after.delay_ms.min, after.delay_ms.max) / 1000.0
                        inherit = ctx if after.fanout == "self" and after.role == stage.role else None
                        plan(t + max(delay, 0.0), follower, target, inherit)
                t += rng.uniform(stage.spacing_ms.min, stage.spacing_ms.max) / 1000.0
        return self._cut(events, nodes[self.window_role], windows)

    @staticmethod
    def _fanout(stage: Stage, trigger: Stage, instance: int, count: int) -> list[int]:
        if stage.fanout == "all":
            return list(range(count))
        if stage.fanout == "others":
            mine = instance if stage.role == trigger.role else -1
            return [k for k in range(count) if k != mine]
        return [instance % count]

    def _context(self, rng: random.Random, role_nodes: list[Node], instance: int) -> ValueContext:
        """Fresh values for a run: its node slots name the instance itself first, then the other instances."""
        ctx = self.renderer.values.context(0, rng=rng)
        node = role_nodes[instance]
        ctx.node_of["self"] = node
        ctx.pool = [node, *(n for n in role_nodes if n is not node)]
        return ctx

    def _lines(self, stage: Stage, index: int, rng: random.Random, ctx: ValueContext, role_nodes: list[Node],
               instance: int, start: float, copy: int) -> list[LogEvent]:
        fault = min(1.0, self.recipe.fault_rate * stage.fault_weight)
        variant = self.stage_pools[index].pick(rng, fault, self.main[index], stage.rare_rate)
        if variant is None:
            return []
        node = role_nodes[instance]
        peers = [k for k in range(len(role_nodes)) if k != instance] or [instance]
        thread = stage.thread.format(id=instance + 1, peer=rng.choice(peers) + 1) if stage.thread else None
        lines = self.renderer.lines(variant, ctx, start, (stage.spacing_ms.min, stage.spacing_ms.max), rng,
                                    pid=rng.randint(10, 4000), node=node.hostname, run=copy, thread=thread)
        for event in lines:
            event.attributes["instance"] = node.hostname
            event.attributes["stage"] = stage.name
        return lines

    def _cut(self, events: list[tuple[int, LogEvent]], nodes: list[Node], windows: int) -> list[Session]:
        """Sessions of the first ``windows`` windows (a later one may miss runs past the horizon)."""
        width = self.recipe.window_s
        cut: dict[tuple[int, int], list[LogEvent]] = {}
        for instance, event in events:
            window = int((event.timestamp / US - self.start) // width)
            if window < windows:
                cut.setdefault((window, instance), []).append(event)
        sessions = []
        for (window, instance) in sorted(cut):
            lines = sorted(cut[(window, instance)], key=lambda e: e.timestamp)
            host = nodes[instance].hostname.split(".", 1)[0]
            session = Session(id=f"{host}_w{window:06d}", events=lines,
                              attributes={"instance": nodes[instance].hostname, "window": window,
                                          "window_start": self.start + window * width})
            session.label, session.label_rule = LabelRules.label_session(lines)
            sessions.append(session)
        return sessions


def _filtered(pool: Pool, keep: list[re.Pattern[str]]) -> Pool:
    """``pool`` with only the lines whose template matches a pattern of ``keep`` (all when empty); variants are
    grouped again by the labels of the lines kept, variants that keep nothing dropped, duplicates merged."""
    if not keep:
        return pool
    merged: dict[tuple[tuple[str, ...], str], Variant] = {}
    for variant in pool.normal + pool.anomalous:
        chosen = [i for i, s in enumerate(variant.statements) if any(p.search(s.template) for p in keep)]
        if not chosen:
            continue
        kept = Variant(variant.path_id, variant.exit, [variant.statements[i] for i in chosen],
                       [variant.labels[i] for i in chosen], variant.weight,
                       [variant.proposed[i] for i in chosen] if variant.proposed else None)
        previous = merged.get((kept.key, kept.exit))
        if previous is None or kept.weight > previous.weight:
            merged[(kept.key, kept.exit)] = kept
    out = Pool(pool.entry, rejected=pool.rejected, silent=pool.silent)
    for variant in merged.values():
        (out.anomalous if variant.label else out.normal).append(variant)
    for group in (out.normal, out.anomalous):
        group.sort(key=lambda v: (len(v.statements), v.key, v.exit))
    return out


class _WindowStarts:
    """``time(i)``: the start of the ``i``-th window session (infinity past the last one the time line has)."""

    def __init__(self, assembler: WindowAssembler):
        self.assembler = assembler

    def time(self, index: int) -> float:
        try:
            return self.assembler.session(index).attributes["window_start"]
        except InputError:
            return math.inf
