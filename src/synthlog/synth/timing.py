"""Fit a recipe's timing to the orderings of real sessions that carry no timestamps, by simulation.

Event-id sequences show only the order of lines, and that order comes from timing: how far apart the runs of a
session start, how long their steps take, and how the source's log orders lines that share a timestamp. The fit
tries a small fixed grid: each tie order (``time``, ``text``, ``shuffle``) times a scale of every stage's
delays, jitters and spacings (1/4, 1, 4), simulates a few hundred skeleton sessions for each (templates, times
and threads, no values), and keeps the candidate whose normal sessions' adjacent-pair distribution (with session
start and end) is closest to the real normal sessions' (Jensen-Shannon distance). The grid and the simulation
seed are fixed, so the fit is deterministic; ties keep the recipe's own setting. Then one pass over the stages
(those in at least 5% of sessions), in recipe order, tries per stage: its delay 1/4 or 4 times, its runs' jitter
1/10 or 10 times, and the other hand-off (``follow: stage`` / ``run``); a move is kept when it brings the distance
down by more than 0.002.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from scipy.spatial.distance import jensenshannon

from synthlog.records import NORMAL, Session
from synthlog.synth.recipe import Range, Recipe, Stage

SCALES = (0.25, 1.0, 4.0)
TIES = ("time", "text", "shuffle")
SIMULATED = 300  # skeleton sessions per candidate: enough to rank candidates, cheap
MIN_PROBABILITY = 0.05  # stages rarer than this are too seldom in the simulation to fit their timing
MIN_GAIN = 0.002  # a move is kept when it brings the distance down by more than this


def pair_counts(sequences: Iterable[list[str]]) -> Counter[tuple[str, str]]:
    """Adjacent template pairs of sequences, with ``^`` and ``$`` marking start and end."""
    out: Counter[tuple[str, str]] = Counter()
    for seq in sequences:
        marked = ["^", *seq, "$"]
        out.update(zip(marked, marked[1:], strict=False))
    return out


def pair_distance(real: Counter, synthetic: Counter) -> float:
    keys = sorted(set(real) | set(synthetic))
    p = np.array([real[k] for k in keys], dtype=float)
    q = np.array([synthetic[k] for k in keys], dtype=float)
    if not p.sum() or not q.sum():
        return 1.0
    return float(jensenshannon(p, q, base=2))


def scaled(recipe: Recipe, scale: float, ties: str) -> Recipe:
    """The recipe with every stage's delays, jitters and spacings times ``scale`` and lines tied by ``ties``."""
    def times(r: Range) -> Range:
        return Range(min=r.min * scale, max=r.max * scale)
    stages = [s.model_copy(update={"delay_ms": times(s.delay_ms), "jitter_ms": times(s.jitter_ms),
                                   "spacing_ms": times(s.spacing_ms)}) for s in recipe.stages]
    order = recipe.order.model_copy(update={"ties": ties})
    return recipe.model_copy(update={"stages": stages, "order": order})


def _moves(stage: Stage, recipe: Recipe) -> list[tuple[str, dict[str, Any]]]:
    """One stage's candidate changes: its delay or its runs' jitter much shorter or longer, the other hand-off."""
    def times(r: Range, factor: float) -> Range:
        return Range(min=r.min * factor, max=r.max * factor)
    moves = [(f"delay*{f}", {"delay_ms": times(stage.delay_ms, f)}) for f in (0.25, 4.0)]
    moves += [(f"jitter*{f}", {"jitter_ms": times(stage.jitter_ms, f)}) for f in (0.1, 10.0)]
    if stage.after is not None:
        other = "stage" if stage.follow == "run" else "run"
        moves.append((f"follow:{other}", {"follow": other}))
    return moves


def fit_timing(recipe: Recipe, real: list[Session], simulate: Callable[[Recipe, int], list[Session]],
               simulated: int = SIMULATED) -> tuple[Recipe, dict[str, Any]]:
    """The best candidate recipe and a report of the search (see the module docstring).

    ``simulate(recipe, n)`` makes ``n`` skeleton sessions of a candidate with a fixed seed (the same for every
    candidate, so they differ by their timing only); ``simulated`` sessions per candidate. Without a timestamp
    resolution, ties are rare and only ``time`` is tried.
    """
    target = pair_counts(s.event_ids for s in real if s.label == NORMAL)
    if not target:
        return recipe, {"fitted": False, "why": "no normal session to fit"}

    def distance(candidate: Recipe) -> float:
        sessions = simulate(candidate, simulated)
        return pair_distance(target, pair_counts(s.event_ids for s in sessions if s.label == NORMAL))
    ties_tried = TIES if recipe.order.resolution_s > 0 else (recipe.order.ties,)
    own = (1.0, recipe.order.ties)
    scores = {(scale, ties): distance(scaled(recipe, scale, ties)) for ties in ties_tried for scale in SCALES}
    best = min(scores, key=lambda k: (round(scores[k], 6), k != own))
    report: dict[str, Any] = {
        "fitted": True, "scale": best[0], "ties": best[1], "recipe_distance": round(scores.get(own, float("nan")), 4),
        "candidates": {f"{ties}@{scale}": round(d, 4) for (scale, ties), d in sorted(scores.items())}}
    current, score = scaled(recipe, *best), scores[best]
    accepted = []
    for i, stage in enumerate(current.stages):  # one pass of per-stage moves, each kept when it helps
        if stage.probability < MIN_PROBABILITY:
            continue
        for name, change in _moves(current.stages[i], current):
            stages = list(current.stages)
            stages[i] = stages[i].model_copy(update=change)
            candidate = current.model_copy(update={"stages": stages})
            d = distance(candidate)
            if d < score - MIN_GAIN:
                current, score = candidate, d
                accepted.append(f"{stage.name}:{name}")
    simulated_pairs = pair_counts(s.event_ids for s in simulate(current, simulated) if s.label == NORMAL)
    missing = sorted(((c, pair) for pair, c in target.items() if pair not in simulated_pairs), reverse=True)
    report.update(moves=accepted, distance=round(score, 4),
                  orders_not_simulated={" ".join(pair): c for c, pair in missing[:20]})
    return current, report
