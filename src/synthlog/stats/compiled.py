"""A spec compiled into index arrays the vectorised simulator works on: messages, call plans, error choices, rules."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from synthlog.stats.spec import END, Dist, Markov, Message, Spec

US = 1_000_000  # microseconds per second: simulated time is int64 microseconds since spec.start
CAP_SECONDS = 6 * 3600.0  # unbounded distributions are clipped here, so every effect has a finite reach


def sample_seconds(dist: Dist, rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` draws of a duration distribution, in seconds, clipped to its min/max and to ``CAP_SECONDS``."""
    if dist.dist == "fixed":
        values = np.full(n, dist.value)
    elif dist.dist == "uniform":
        values = rng.uniform(dist.min, dist.max, n)
    elif dist.dist == "exponential":
        values = rng.exponential(dist.mean, n)
    elif dist.dist == "lognormal":
        values = rng.lognormal(math.log(max(dist.median, 1e-9)), dist.sigma, n)
    elif dist.dist == "normal":
        values = rng.normal(dist.mean, dist.std, n)
    else:
        weights = np.asarray(dist.weights or [1.0] * len(dist.values), dtype=float)
        values = np.asarray(dist.values)[rng.choice(len(dist.values), n, p=weights / weights.sum())]
    low = dist.min if dist.min is not None else 0.0
    high = min(dist.max if dist.max is not None else CAP_SECONDS, CAP_SECONDS)
    return np.clip(values, low, high)


def sample_us(dist: Dist, rng: np.random.Generator, n: int) -> np.ndarray:
    """Like :func:`sample_seconds`, in whole microseconds (int64)."""
    return np.rint(sample_seconds(dist, rng, n) * US).astype(np.int64)


def reach_seconds(dist: Dist) -> float:
    """The largest value :func:`sample_seconds` can return."""
    return min(dist.upper_bound, CAP_SECONDS)


@dataclass(frozen=True, slots=True)
class PlanNode:
    """One service visit in a request's call tree; ``parent`` is -1 at the root."""

    service: int
    parent: int
    probability: float
    latency: Dist


@dataclass(frozen=True, slots=True)
class Rule:
    """A causal rule over message indices: ``fires[m]`` says whether a line of message m triggers it."""

    fires: np.ndarray
    effects: np.ndarray
    probability: float
    lag: Dist


class CompiledSpec:
    """Index tables derived once from a valid :class:`Spec`."""

    def __init__(self, spec: Spec):
        self.spec = spec
        self.service_names = [s.name for s in spec.services]
        service_index = {name: i for i, name in enumerate(self.service_names)}
        pairs = spec.messages()
        self.messages: list[Message] = [m for _, m in pairs]
        self.message_service = np.array([service_index[s.name] for s, _ in pairs], dtype=np.int32)
        self.message_index = {m.id: i for i, m in enumerate(self.messages)}
        # wordings: every message's template and variants, each with its own event id (what lines are written as)
        self.texts = [(m, event_id, template) for m, message in enumerate(self.messages)
                      for event_id, template in message.wordings]
        counts = np.array([len(m.wordings) for m in self.messages], dtype=np.int32)
        self.text_count = counts
        self.text_offset = (np.cumsum(counts) - counts).astype(np.int32)
        self.error_types = spec.error_types()

        self.flow = [np.array([self.message_index[m] for m in s.flow], dtype=np.int32) for s in spec.services]
        self.service_errors = [self._errors_of(i) for i in range(len(spec.services))]
        self.plans = [(i, s.rate, self._plan(i)) for i, s in enumerate(spec.services) if s.rate > 0]
        self.rules = [self._rule(r) for r in spec.causal if not r.observed]  # observed rules are only recorded
        self.spontaneous = self._calibrated_mix()
        self.callers: list[list[int]] = [[] for _ in spec.services]
        self.callees: list[list[int]] = [[] for _ in spec.services]
        for i, service in enumerate(spec.services):
            for call in service.calls:
                self.callees[i].append(service_index[call.to])
                self.callers[service_index[call.to]].append(i)

    def _errors_of(self, service: int) -> dict[str, np.ndarray]:
        """Error type -> the service's messages of that type."""
        found: dict[str, list[int]] = {}
        for m, message in enumerate(self.messages):
            if self.message_service[m] == service and message.error_type is not None:
                found.setdefault(message.error_type, []).append(m)
        return {k: np.array(v, dtype=np.int32) for k, v in found.items()}

    def error_choice(self, service: int, mix: dict[str, float] | None) -> tuple[list[str], np.ndarray]:
        """The error types a service can fail with and their probabilities under ``mix`` (uniform if none apply)."""
        types = list(self.service_errors[service])
        weights = np.array([(mix or {}).get(t, 0.0) for t in types], dtype=float)
        if weights.sum() <= 0:
            weights = np.ones(len(types))
        return types, weights / weights.sum() if types else weights

    def visits_per_second(self) -> np.ndarray:
        """Expected request visits per second at each service (before daily cycle and bursts)."""
        visits = np.zeros(len(self.service_names))
        for _, rate, nodes in self.plans:
            reach: list[float] = []
            for node in nodes:
                reach.append(node.probability * (reach[node.parent] if node.parent >= 0 else 1.0))
                visits[node.service] += rate * reach[-1]
        return visits

    def _calibrated_mix(self, rounds: int = 100) -> list[tuple[list[str], np.ndarray]]:
        """Per service, the error-type probabilities of spontaneous failures that make the run's overall mix of
        spontaneous failures match ``error_mix`` as closely as the catalogue allows (iterative proportional
        fitting over the services' expected failure volumes)."""
        choices = [self.error_choice(s, self.spec.error_mix) for s in range(len(self.service_names))]
        mix = self.spec.error_mix
        volume = self.visits_per_second() * np.array([s.error_rate for s in self.spec.services])
        for _ in range(rounds if mix else 0):
            share: dict[str, float] = {}
            for (types, weights), v in zip(choices, volume, strict=True):
                for t, w in zip(types, weights, strict=True):
                    share[t] = share.get(t, 0.0) + v * w
            total = sum(share.values())
            if total <= 0:
                break
            scale = {t: mix[t] / (share[t] / total) if share.get(t) and mix.get(t) else 1.0 for t in share}
            for k, (types, weights) in enumerate(choices):
                if len(types):
                    adjusted = weights * np.array([scale[t] for t in types])
                    choices[k] = (types, adjusted / adjusted.sum() if adjusted.sum() > 0 else weights)
        return choices

    def _plan(self, root: int) -> list[PlanNode]:
        """The call tree below ``root`` in pre-order (parents before children)."""
        nodes = [PlanNode(root, -1, 1.0, Dist(dist="fixed", value=0.0))]
        index = {name: i for i, name in enumerate(self.service_names)}

        def expand(position: int) -> None:
            for call in self.spec.services[nodes[position].service].calls:
                nodes.append(PlanNode(index[call.to], position, call.probability, call.latency))
                expand(len(nodes) - 1)

        expand(0)
        return nodes

    def _rule(self, rule) -> Rule:
        when, then = rule.when, rule.then
        fires = np.zeros(len(self.messages), dtype=bool)
        for m, message in enumerate(self.messages):
            if when.service is not None and self.service_names[self.message_service[m]] != when.service:
                continue
            fires[m] = message.id == when.message if when.message is not None else message.error_type == when.error_type
        if then.message is not None:
            effects = np.array([self.message_index[then.message]], dtype=np.int32)
        else:
            effects = self.service_errors[self.service_names.index(then.service)][then.error_type]
        return Rule(fires, effects, rule.probability, rule.lag)

    def produces_lines(self) -> bool:
        """Whether anything ever logs: request traffic, sessions, or episodes with lines of their own."""
        spec = self.spec
        return bool(self.plans) or any(p.rate > 0 for p in spec.sessions) or any(
            a.rate_per_hour > 0 and (a.emit or (a.recovery and a.recovery.message)) for a in spec.anomalies)

    def expected_lines_per_second(self) -> float:
        """A rough line rate (requests and sessions, no errors or rules), used only to size shards."""
        total = 0.0
        for _, rate, nodes in self.plans:
            reach = []
            for node in nodes:
                reach.append(node.probability * (reach[node.parent] if node.parent >= 0 else 1.0))
                total += rate * reach[-1] * len(self.flow[node.service])
        for process in self.spec.sessions:
            total += process.rate * expected_length(markov_matrix(process.normal, self.message_index))
        return max(total, 1e-6)


@dataclass(frozen=True, slots=True)
class MarkovMatrix:
    """A session model over its own states: first-state probabilities and transitions (last column: END)."""

    states: np.ndarray  # message index of each state
    start: np.ndarray
    transitions: np.ndarray
    max_events: int


def markov_matrix(model: Markov, message_index: dict[str, int]) -> MarkovMatrix:
    """Normalised matrices of a session model; probability a row leaves unassigned goes to END."""
    names = list(dict.fromkeys([*model.start, *model.transitions,
                                *(t for row in model.transitions.values() for t in row if t != END)]))
    where = {n: i for i, n in enumerate(names)}
    start = np.array([model.start.get(n, 0.0) for n in names])
    matrix = np.zeros((len(names), len(names) + 1))
    for source, row in model.transitions.items():
        for target, p in row.items():
            matrix[where[source], len(names) if target == END else where[target]] += p
    matrix[:, -1] += np.clip(1.0 - matrix.sum(axis=1), 0.0, None)
    return MarkovMatrix(np.array([message_index[n] for n in names], dtype=np.int32), start / start.sum(),
                        matrix / matrix.sum(axis=1, keepdims=True), model.max_events)


def expected_length(markov: MarkovMatrix) -> float:
    """Expected events per session (visits before END), capped at ``max_events``."""
    inner = markov.transitions[:, :-1]
    try:
        visits = np.linalg.solve(np.eye(len(inner)) - inner.T, markov.start)
        length = float(visits.sum())
    except np.linalg.LinAlgError:  # a closed loop never reaches END: only max_events stops it
        length = math.inf
    return min(length, markov.max_events) if length >= 0 else float(markov.max_events)
