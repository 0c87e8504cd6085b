"""Generate one shard's events with numpy: requests through the call graph, sessions, episodes, causal effects.

A shard is a slice of simulated time ``[start, end)``. It owns the requests and sessions that *start* in its
slice and every line they cause, even lines that fall after ``end`` (the driver merges those into the following
blocks in time order), so shards are independent and can run anywhere from their own seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from synthlog.stats.compiled import US, CompiledSpec, markov_matrix, sample_us
from synthlog.stats.schedule import Calendar, Episode
from synthlog.stats.spec import Markov

SHARDS = 0  # seed stream name (spawn key) of the shards
_MIX = np.uint64(0x9E3779B97F4A7C15)
_MUL1, _MUL2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def splitmix64(x: np.ndarray) -> np.ndarray:
    """A bijection on uint64 that makes sequential numbers look random (ids stay unique)."""
    with np.errstate(over="ignore"):
        z = x + _MIX
        z = (z ^ (z >> np.uint64(30))) * _MUL1
        z = (z ^ (z >> np.uint64(27))) * _MUL2
        return z ^ (z >> np.uint64(31))


@dataclass(slots=True)
class ShardEvents:
    """One shard's lines (sorted by time) and the tables their indices point into.

    Per line: ``time`` (int64 microseconds since the spec's start), ``message`` (index into the catalogue),
    ``text`` (index into the compiled wordings: the message's template or one of its variants),
    ``owner`` (index into the owner tables; -1 for lines of no request or session, e.g. an episode's own
    warnings) and ``episode`` (index into ``episodes`` + anomalous sessions; -1 when normal).
    Per owner (request or session): ``owner_number`` (uint64, unique in the run), ``owner_kind`` (0: request,
    1 + p: session process p) and ``owner_first`` (time of its first line).
    ``episodes`` are the calendar's episodes met here; index ``len(episodes) + k`` is the k-th anomalous session
    (``session_episode_owner[k]`` is its owner).
    """

    index: int
    start: int
    end: int
    time: np.ndarray
    message: np.ndarray
    text: np.ndarray
    owner: np.ndarray
    episode: np.ndarray
    owner_number: np.ndarray
    owner_kind: np.ndarray
    owner_first: np.ndarray
    episodes: list[Episode]
    session_episode_owner: np.ndarray

    def __len__(self) -> int:
        return len(self.time)


class _Lines:
    """Line columns gathered piece by piece, then concatenated once."""

    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []

    def add(self, time, message, owner, episode) -> None:
        n = len(time)
        if n:
            self.parts.append((np.asarray(time, np.int64), np.broadcast_to(np.asarray(message, np.int32), n),
                               np.broadcast_to(np.asarray(owner, np.int32), n),
                               np.broadcast_to(np.asarray(episode, np.int32), n)))

    def columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        if not self.parts:
            empty = np.zeros(0, np.int32)
            return np.zeros(0, np.int64), empty, empty, empty
        return tuple(np.concatenate([p[i] for p in self.parts]) for i in range(4))  # type: ignore[return-value]


class _MarkovTables:
    """A session model as cumulative tables for vectorised sampling."""

    def __init__(self, model: Markov, compiled: CompiledSpec):
        markov = markov_matrix(model, compiled.message_index)
        self.states = markov.states
        self.start_cum = np.cumsum(markov.start)
        self.cum = np.cumsum(markov.transitions, axis=1)
        self.end_state = len(markov.states)
        self.model = model
        # gap_class[state, next state]: index into gap_dists; 0 is the model's gap, k > 0 a transition's own
        state_of = {int(m): i for i, m in enumerate(markov.states)}
        self.gap_class = np.zeros((len(markov.states), len(markov.states) + 1), dtype=np.int32)
        self.gap_dists = [model.gap]
        for source, row in model.gaps.items():
            for target, dist in row.items():
                where = state_of[compiled.message_index[source]], state_of[compiled.message_index[target]]
                self.gap_class[where] = len(self.gap_dists)
                self.gap_dists.append(dist)

    def gaps_us(self, state: np.ndarray, following: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """The gap before each next event, drawn from its transition's distribution (in class order, so the draws
        depend only on the spec and the rng); a model without per-transition gaps draws exactly as it always did."""
        if len(self.gap_dists) == 1:
            return sample_us(self.model.gap, rng, len(state))
        classes = self.gap_class[state, following]
        order = np.argsort(classes, kind="stable")
        present, first = np.unique(classes[order], return_index=True)
        gaps = np.empty(len(state), dtype=np.int64)
        for k, lo, hi in zip(present.tolist(), first.tolist(), [*first[1:].tolist(), len(order)], strict=True):
            gaps[order[lo:hi]] = sample_us(self.gap_dists[k], rng, hi - lo)
        return gaps


class ShardGenerator:
    """Generates shards of one run (compiled spec + seed); cheap to rebuild on any worker."""

    def __init__(self, compiled: CompiledSpec, seed: int, horizon: int | None):
        self.compiled = compiled
        self.seed = seed
        self.horizon = horizon
        self.calendar = Calendar(compiled, seed)
        self.salt = np.uint64(np.random.SeedSequence(seed).generate_state(2, np.uint64)[0])
        self.markov = [(_MarkovTables(p.normal, compiled),
                        _MarkovTables(p.anomalous, compiled) if p.anomalous is not None else None)
                       for p in compiled.spec.sessions]
        start = compiled.spec.start
        self.start_hour = (start.hour + start.minute / 60 + start.second / 3600) % 24

    def generate(self, index: int, start: int, end: int) -> ShardEvents:
        rng = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(SHARDS, index)))
        lines = _Lines()
        episodes = self.calendar.episodes(start, end)
        owners_first: list[np.ndarray] = []
        owners_kind: list[np.ndarray] = []
        for _, rate, nodes in self.compiled.plans:
            arrivals = self._arrivals(rate, start, end, rng)
            base = sum(len(a) for a in owners_first)
            self._requests(nodes, arrivals, base, episodes, rng, lines)
            owners_first.append(arrivals)
            owners_kind.append(np.zeros(len(arrivals), np.int32))
        session_episode_owner = []
        for p, process in enumerate(self.compiled.spec.sessions):
            base = sum(len(a) for a in owners_first)
            starts, anomalous = self._sessions(p, process, start, end, base, len(episodes),
                                               sum(len(s) for s in session_episode_owner), rng, lines)
            session_episode_owner.append(base + np.flatnonzero(anomalous))
            owners_first.append(starts)
            owners_kind.append(np.full(len(starts), p + 1, np.int32))
        for e, episode in enumerate(episodes):
            own = [(t, m) for t, m in episode.lines if start <= t < end]
            if own:
                times, messages = zip(*own, strict=True)
                lines.add(np.array(times), np.array(messages), -1, e)
        time, message, owner, episode = self._causal(lines.columns(), rng)

        if self.horizon is not None:
            keep = time < self.horizon
            time, message, owner, episode = time[keep], message[keep], owner[keep], episode[keep]
        order = np.argsort(time, kind="stable")
        time, message, owner, episode = time[order], message[order], owner[order], episode[order]
        text = self.compiled.text_offset[message]
        if len(self.compiled.texts) > len(self.compiled.messages):  # some messages have other wordings
            text = text + (rng.random(len(message)) * self.compiled.text_count[message]).astype(np.int32)

        first = np.concatenate(owners_first) if owners_first else np.zeros(0, np.int64)
        kind = np.concatenate(owners_kind) if owners_kind else np.zeros(0, np.int32)
        local = np.arange(len(first), dtype=np.uint64)
        number = splitmix64(((kind.astype(np.uint64) << np.uint64(58)) | (np.uint64(index) << np.uint64(30))
                             | local) ^ self.salt)
        return ShardEvents(index, start, end, time, message, text, owner, episode, number, kind, first,
                           episodes, np.concatenate(session_episode_owner) if session_episode_owner
                           else np.zeros(0, np.int64))

    # -- traffic -------------------------------------------------------------------------------------------------

    def _arrivals(self, rate: float, start: int, end: int, rng: np.random.Generator) -> np.ndarray:
        """Poisson arrivals per second of simulated time, shaped by the daily cycle and the bursts."""
        edges = np.arange(start, end, US, dtype=np.int64)
        widths = np.minimum(edges + US, end) - edges
        middle = edges + widths // 2
        rates = np.full(len(edges), rate, dtype=float)
        cycle = self.compiled.spec.traffic.daily_cycle
        if cycle is not None and cycle.amplitude > 0:
            hours = self.start_hour + middle / (3600 * US)
            rates *= 1 + cycle.amplitude * np.cos(2 * math.pi * (hours - cycle.peak_hour) / 24)
        bursts = self.compiled.spec.traffic.bursts
        for burst_start, burst_end in self.calendar.bursts(start, end):
            rates[(middle >= burst_start) & (middle < burst_end)] *= bursts.multiplier
        counts = rng.poisson(rates * widths / US)
        times = np.repeat(edges, counts) + (rng.random(int(counts.sum())) * np.repeat(widths, counts)).astype(np.int64)
        return np.sort(times)

    def _requests(self, nodes, arrivals: np.ndarray, base: int, episodes: list[Episode],
                  rng: np.random.Generator, lines: _Lines) -> None:
        """Every request of one entry service walks its call tree; each visit logs its flow or fails."""
        compiled = self.compiled
        n = len(arrivals)
        owner = base + np.arange(n, dtype=np.int32)
        active, arrival, failed = [], [], []
        for node in nodes:
            if node.parent < 0:
                on = np.ones(n, dtype=bool)
                at = arrivals.copy()
            else:
                on = active[node.parent] & ~failed[node.parent] & (rng.random(n) < node.probability)
                at = arrival[node.parent] + sample_us(node.latency, rng, n)
            fail = np.zeros(n, dtype=bool)
            chosen = np.flatnonzero(on)
            if len(chosen):
                fail[chosen] = self._fail(node.service, at[chosen], owner[chosen], episodes, rng, lines)
            active.append(on)
            arrival.append(at)
            failed.append(fail)

        children: list[list[int]] = [[] for _ in nodes]
        for k, node in enumerate(nodes):
            if node.parent >= 0:
                children[node.parent].append(k)
        ends: list[np.ndarray] = [np.zeros(0, np.int64)] * len(nodes)
        for k in range(len(nodes) - 1, -1, -1):  # children come after their parent in pre-order
            service = compiled.spec.services[nodes[k].service]
            flow = compiled.flow[nodes[k].service]
            resume = arrival[k].copy()
            for c in children[k]:
                resume = np.maximum(resume, np.where(active[c], ends[c], resume))
            ok = np.flatnonzero(active[k] & ~failed[k])
            end = arrival[k].copy()
            lines.add(arrival[k][active[k]], flow[0], owner[active[k]], -1)
            t = resume[ok]
            for message in flow[1:]:
                t = t + sample_us(service.step, rng, len(ok))
                lines.add(t, message, owner[ok], -1)
            end[ok] = t
            ends[k] = end

    def _fail(self, service: int, at: np.ndarray, owner: np.ndarray, episodes: list[Episode],
              rng: np.random.Generator, lines: _Lines) -> np.ndarray:
        """Which of these visits fail; logs their error lines (labeled with the episode that caused them)."""
        compiled = self.compiled
        n = len(at)
        chance = np.zeros(n)
        cause = np.full(n, -1, dtype=np.int32)
        for e, episode in enumerate(episodes):
            for w in episode.windows:
                if w.service != service:
                    continue
                inside = (at >= w.start) & (at < w.fade_end)
                if not inside.any():
                    continue
                fade = np.clip((w.fade_end - at) / max(w.fade_end - w.end, 1), 0.0, 1.0)
                severity = episode.severity * np.where(at < w.end, 1.0, fade)
                stronger = inside & (severity > chance)
                chance[stronger], cause[stronger] = severity[stronger], e
        by_episode = rng.random(n) < chance
        spontaneous = ~by_episode & (rng.random(n) < compiled.spec.services[service].error_rate)
        cause[~by_episode] = -1
        failing = by_episode | spontaneous
        if not failing.any():
            return failing
        step = compiled.spec.services[service].step
        when = at + sample_us(step, rng, n)
        for e in [-1, *np.unique(cause[by_episode]).tolist()]:
            picked = np.flatnonzero(spontaneous if e < 0 else by_episode & (cause == e))
            if not len(picked):
                continue
            if e < 0:
                types, weights = compiled.spontaneous[service]
            else:
                types, weights = compiled.error_choice(service, episodes[e].error_mix or compiled.spec.error_mix)
            kinds = rng.choice(len(types), len(picked), p=weights)
            for k, kind in enumerate(types):
                sel = picked[kinds == k]
                candidates = compiled.service_errors[service][kind]
                lines.add(when[sel], candidates[rng.integers(len(candidates), size=len(sel))], owner[sel], e)
        return failing

    # -- sessions ------------------------------------------------------------------------------------------------

    def _sessions(self, p: int, process, start: int, end: int, base: int, n_episodes: int, anomalous_before: int,
                  rng: np.random.Generator, lines: _Lines) -> tuple[np.ndarray, np.ndarray]:
        """Entity sessions started in [start, end), each walking its Markov model."""
        n = rng.poisson(process.rate * (end - start) / US)
        starts = np.sort(start + rng.integers(0, end - start, n))
        anomalous = rng.random(n) < process.anomaly_probability
        normal_model, anomalous_model = self.markov[p]
        owner = base + np.arange(n, dtype=np.int32)
        episode = np.full(n, -1, dtype=np.int32)
        episode[anomalous] = n_episodes + anomalous_before + np.arange(int(anomalous.sum()), dtype=np.int32)
        for model, chosen in ((normal_model, ~anomalous), (anomalous_model, anomalous)):
            picked = np.flatnonzero(chosen)
            if model is not None and len(picked):
                self._walk(model, starts[picked], owner[picked], episode[picked], rng, lines)
        return starts, anomalous

    @staticmethod
    def _walk(tables: _MarkovTables, t: np.ndarray, owner: np.ndarray, episode: np.ndarray,
              rng: np.random.Generator, lines: _Lines) -> None:
        state = np.searchsorted(tables.start_cum, rng.random(len(t)), side="right")
        state = np.minimum(state, len(tables.states) - 1)
        for _ in range(tables.model.max_events):
            lines.add(t, tables.states[state], owner, episode)
            following = (rng.random(len(t))[:, None] >= tables.cum[state]).sum(axis=1)
            following = np.minimum(following, tables.end_state)
            go = following < tables.end_state
            if not go.any():
                break
            t = t[go] + tables.gaps_us(state[go], following[go], rng)
            state, owner, episode = following[go], owner[go], episode[go]

    # -- causality -----------------------------------------------------------------------------------------------

    def _causal(self, columns, rng: np.random.Generator):
        """Fire the causal rules on every line, then on the lines they caused, up to ``causal_depth``."""
        rules = self.compiled.rules
        if not rules:
            return columns
        found = [columns]
        frontier = columns
        for _ in range(self.compiled.spec.causal_depth):
            caused = _Lines()
            time, message, owner, episode = frontier
            for rule in rules:
                fire = np.flatnonzero(rule.fires[message])
                if not len(fire):
                    continue
                fire = fire[rng.random(len(fire)) < rule.probability]
                effect = rule.effects[rng.integers(len(rule.effects), size=len(fire))]
                caused.add(time[fire] + sample_us(rule.lag, rng, len(fire)), effect, owner[fire], episode[fire])
            if not caused.parts:
                break
            frontier = caused.columns()
            found.append(frontier)
        return tuple(np.concatenate([f[i] for f in found]) for i in range(4))
