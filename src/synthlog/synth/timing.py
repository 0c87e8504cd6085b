"""Fit a recipe's timing to the orderings of real sessions that carry no timestamps, by simulation.

Event-id sequences show only the order of lines, and that order comes from timing: how far apart the runs of a
session start, how long their steps take, and how the source's log orders lines that share a timestamp. The fit
tries a small fixed grid: each tie order (``time``, ``text``, ``shuffle``) times a scale of every stage's
delays, jitters and spacings (1/4, 1, 4), simulates a few hundred skeleton sessions for each (templates, times
and threads, no values), and keeps the candidate whose normal sessions' adjacent-pair distribution (with session
start and end) is closest to the real normal sessions' (Jensen-Shannon distance). The grid and the simulation
seed are fixed, so the fit is deterministic; ties keep the recipe's own setting.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from scipy.spatial.distance import jensenshannon

from synthlog.records import NORMAL, Session
from synthlog.synth.recipe import Range, Recipe

SCALES = (0.25, 1.0, 4.0)
TIES = ("time", "text", "shuffle")
SIMULATED = 400  # skeleton sessions per candidate: enough to rank candidates, cheap enough for <1 s each


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


def fit_timing(recipe: Recipe, real: list[Session], simulate: Callable[[Recipe, int], list[Session]]
               ) -> tuple[Recipe, dict[str, Any]]:
    """The best candidate recipe and a report of every candidate's distance (see the module docstring).

    ``simulate(recipe, n)`` makes ``n`` skeleton sessions of a candidate with a fixed seed. Without a timestamp
    resolution, ties are rare and only ``time`` is tried.
    """
    target = pair_counts(s.event_ids for s in real if s.label == NORMAL)
    if not target:
        return recipe, {"fitted": False, "why": "no normal session to fit"}
    ties_tried = TIES if recipe.order.resolution_s > 0 else (recipe.order.ties,)
    own = (1.0, recipe.order.ties)
    scores = {}
    for ties in ties_tried:
        for scale in SCALES:
            candidate = scaled(recipe, scale, ties)
            sessions = simulate(candidate, SIMULATED)
            scores[(scale, ties)] = pair_distance(target, pair_counts(s.event_ids for s in sessions
                                                                      if s.label == NORMAL))
    best = min(scores, key=lambda k: (round(scores[k], 6), k != own))
    report = {"fitted": True, "scale": best[0], "ties": best[1], "distance": round(scores[best], 4),
              "recipe_distance": round(scores.get(own, float("nan")), 4),
              "candidates": {f"{ties}@{scale}": round(d, 4) for (scale, ties), d in sorted(scores.items())}}
    return scaled(recipe, *best), report
