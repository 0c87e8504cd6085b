"""The run's global calendar of traffic bursts and anomaly episodes, drawn per hour with its own seed.

Each simulated hour draws the bursts and episodes that *start* in it from a seed of its own, so any shard can
rebuild exactly the episodes that reach into its time slice, without knowing the other shards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from synthlog.stats.compiled import US, CompiledSpec, reach_seconds, sample_us

HOUR_US = 3600 * US
BURSTS, EPISODES = 1, 2  # seed stream names (spawn keys) of the calendar


@dataclass(frozen=True, slots=True)
class Window:
    """An affected service between ``start`` and ``end``; failures fade out linearly until ``fade_end``."""

    service: int
    start: int
    end: int
    fade_end: int


@dataclass(slots=True)
class Episode:
    """One anomaly episode: where it hit, which error types its failures have, and the lines it logs itself."""

    id: str
    type: str
    severity: float
    error_mix: dict[str, float] | None
    windows: list[Window]
    lines: list[tuple[int, int]] = field(default_factory=list)  # (time, message) logged by the episode itself

    @property
    def end(self) -> int:
        return max([w.fade_end for w in self.windows] + [t for t, _ in self.lines])


def _rng(seed: int, stream: int, hour: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(stream, hour)))


class Calendar:
    """Bursts and episodes of one run (spec + seed), rebuilt on demand hour by hour."""

    def __init__(self, compiled: CompiledSpec, seed: int):
        self.compiled = compiled
        self.seed = seed
        spec = compiled.spec
        bursts = spec.traffic.bursts
        self.burst_reach = int(reach_seconds(bursts.duration) * US) if bursts else 0
        reach = 0.0
        for scenario in spec.anomalies:
            hops = scenario.propagation.max_hops if scenario.propagation else 0
            lag = reach_seconds(scenario.propagation.lag) if scenario.propagation else 0.0
            recovery = reach_seconds(scenario.recovery.time) if scenario.recovery else 0.0
            reach = max(reach, reach_seconds(scenario.duration) + hops * lag + recovery)
        self.episode_reach = int(reach * US) + 1
        self._bursts = lru_cache(maxsize=64)(self._bursts_in_hour)
        self._episodes = lru_cache(maxsize=64)(self._episodes_in_hour)

    def bursts(self, start: int, end: int) -> list[tuple[int, int]]:
        """(start, end) of the bursts that overlap [start, end)."""
        found = []
        for hour in range((start - self.burst_reach) // HOUR_US, end // HOUR_US + 1):
            found += [b for b in self._bursts(hour) if b[0] < end and b[1] > start]
        return found

    def episodes(self, start: int, end: int) -> list[Episode]:
        """The episodes whose windows or own lines reach into [start, end), in start order."""
        found = []
        for hour in range((start - self.episode_reach) // HOUR_US, end // HOUR_US + 1):
            found += [e for e in self._episodes(hour)
                      if min(w.start for w in e.windows) < end and e.end >= start]
        return found

    def _bursts_in_hour(self, hour: int) -> tuple[tuple[int, int], ...]:
        bursts = self.compiled.spec.traffic.bursts
        if hour < 0 or bursts is None or bursts.rate_per_hour <= 0:
            return ()
        rng = _rng(self.seed, BURSTS, hour)
        n = rng.poisson(bursts.rate_per_hour)
        starts = np.sort(hour * HOUR_US + rng.integers(0, HOUR_US, n))
        lengths = sample_us(bursts.duration, rng, n)
        return tuple((int(s), int(s + d)) for s, d in zip(starts, lengths, strict=True))

    def _episodes_in_hour(self, hour: int) -> tuple[Episode, ...]:
        if hour < 0:
            return ()
        compiled = self.compiled
        rng = _rng(self.seed, EPISODES, hour)
        episodes = []
        for scenario in compiled.spec.anomalies:
            n = rng.poisson(scenario.rate_per_hour)
            starts = np.sort(hour * HOUR_US + rng.integers(0, HOUR_US, n))
            for j, start in enumerate(starts.tolist()):
                origins = scenario.origin or compiled.service_names
                origin = compiled.service_names.index(origins[int(rng.integers(len(origins)))])
                duration = int(sample_us(scenario.duration, rng, 1)[0])
                recovery = int(sample_us(scenario.recovery.time, rng, 1)[0]) if scenario.recovery else 0
                windows = [Window(origin, start, start + duration, start + duration + recovery)]
                windows += self._propagate(scenario.propagation, origin, start, duration, recovery, rng)
                episode = Episode(f"{scenario.name}@{hour}.{j}", scenario.type, scenario.severity,
                                  scenario.error_mix, windows)
                end = start + duration
                for emit in scenario.emit:
                    every = max(int(emit.every * US), 1)
                    message = compiled.message_index[emit.message]
                    episode.lines += [(t, message) for t in range(start, end, every)]
                if scenario.recovery and scenario.recovery.message:
                    episode.lines.append((end + recovery, compiled.message_index[scenario.recovery.message]))
                episodes.append(episode)
        episodes.sort(key=lambda e: e.windows[0].start)
        return tuple(episodes)

    def _propagate(self, propagation, origin: int, start: int, duration: int, recovery: int,
                   rng: np.random.Generator) -> list[Window]:
        """Breadth-first spread along the call graph, each hop taken with its probability after its lag."""
        if propagation is None:
            return []
        compiled = self.compiled
        reached = {origin}
        frontier = [(origin, start)]
        windows = []
        for _ in range(propagation.max_hops):
            following = []
            for service, at in frontier:
                neighbours = []
                if propagation.direction in ("upstream", "both"):
                    neighbours += compiled.callers[service]
                if propagation.direction in ("downstream", "both"):
                    neighbours += compiled.callees[service]
                for neighbour in neighbours:
                    if neighbour in reached or rng.random() >= propagation.probability:
                        continue
                    reached.add(neighbour)
                    begin = at + int(sample_us(propagation.lag, rng, 1)[0])
                    windows.append(Window(neighbour, begin, begin + duration, begin + duration + recovery))
                    following.append((neighbour, begin))
            frontier = following
        return windows
