"""Calibrate a recipe's sessions from a small labeled real sample (its training part only).

``calibrate_recipe(recipe, pools, template_ids, real)`` returns a :class:`Calibration`: a copy of the recipe and
per-stage pools that reproduce what the sample shows, and a report of where the sample and the code disagree.
From the sample's normal sessions it learns, per stage (a template belongs to the stage whose ``main`` patterns
name it, else to the stage whose runs print it most):

- the stage's probability: the share of normal sessions showing any of its templates (among those showing the
  stages it requires);
- its number of runs, as weights per count: per session, the total of the cheapest non-negative mix of its normal
  variants that prints the session's lines of its templates (main variants cheapest); a count that varies in the
  sample keeps 10% of its weight spread over 1 .. 1.5 x the largest count seen (the sample is small);
- its variant weights: a normal variant whose templates all occur weighs as its rarest template's occurrences;
  the others share ``0.5 / (runs seen + 1)`` of the weight (the code keeps supplying paths the sample never shows).

From all its sessions it learns label evidence: a template seen in a normal session is normal, one seen only in
anomalous sessions is anomalous; the line's ``label_rule`` is ``evidence:normal`` / ``evidence:anomalous`` and
overrides the level and keyword rules. Templates of the sample that no stage prints, and stages the sample never
shows, are reported; the code's structure wins (such a stage keeps a small probability).
Timing is fitted separately (:mod:`synthlog.synth.timing`).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from scipy.optimize import nnls

from synthlog.records import ANOMALY, NORMAL, LabeledDataset
from synthlog.synth.pools import Pool, Variant, is_main
from synthlog.synth.recipe import Recipe, Stage

SMOOTHING = 0.1  # weight of unseen run counts near the seen ones, for a stage whose count varies
EVIDENCE = {NORMAL: "evidence:normal", ANOMALY: "evidence:anomalous"}


@dataclass
class Calibration:
    """A calibrated recipe, its per-stage pools and the report of what was learned and where code and data differ."""

    recipe: Recipe
    stage_pools: dict[str, Pool]
    evidence: dict[str, int] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)


def label_evidence(real: LabeledDataset) -> dict[str, int]:
    """Template id -> NORMAL when some normal session shows it, ANOMALY when only anomalous sessions do."""
    normal = {t for s in real.sessions if s.label == NORMAL for t in s.event_ids}
    anomalous = {t for s in real.sessions if s.label == ANOMALY for t in s.event_ids}
    return {t: NORMAL for t in normal} | {t: ANOMALY for t in anomalous - normal}


def relabel(variant: Variant, template_ids: dict[str, str], evidence: dict[str, int]) -> Variant:
    """The variant with each line whose template has evidence labeled by it."""
    labels = []
    for statement, (label, rule) in zip(variant.statements, variant.labels, strict=True):
        seen = evidence.get(template_ids[statement.id])
        labels.append((seen, EVIDENCE[seen]) if seen is not None else (label, rule))
    return replace(variant, labels=labels)


def _print_share(pool: Pool, template_ids: dict[str, str]) -> dict[str, float]:
    """Template -> share of the pool's weight on variants that print it (normal variants; else anomalous ones)."""
    out: dict[str, float] = {}
    for group, scale in ((pool.normal, 1.0), (pool.anomalous, 1e-3)):
        total = sum(v.weight for v in group) or 1.0
        for variant in group:
            for tid in {template_ids[s.id] for s in variant.statements}:
                out[tid] = out.get(tid, 0.0) + scale * variant.weight / total
    return out


def _decomposer(stage: Stage, variants: list[Variant], template_ids: dict[str, str], mine: set[str]):
    """A function from a session's line counts of the stage's own templates to its number of runs: the fewest-cost
    non-negative mix of the stage's normal variants that prints those counts (main variants cost least)."""
    main = [re.compile(p) for p in stage.main]
    tids = sorted(mine)
    columns = {}
    for variant in variants:
        column = tuple(sum(1 for s in variant.statements if template_ids[s.id] == t) for t in tids)
        if any(column):
            cost = 0.01 if main and is_main(variant, main) else 0.1
            columns[column] = min(cost, columns.get(column, cost))
    if not columns:
        return lambda counts: 1
    design = np.array(list(columns)).T.astype(float)
    penalty = np.diag(list(columns.values()))
    stacked = np.vstack([design, penalty])

    def runs(counts: dict[str, int]) -> int:
        target = np.array([counts.get(t, 0) for t in tids] + [0.0] * len(columns), dtype=float)
        return round(float(nnls(stacked, target)[0].sum()))
    return runs


def _count_weights(runs: list[int]) -> dict[int, float]:
    seen = Counter(runs)
    total = sum(seen.values())
    weights = {k: c / total for k, c in seen.items()}
    if len(seen) > 1:  # a varying count: some weight on the unseen counts around the seen ones
        top = math.ceil(1.5 * max(seen))
        weights = {k: (1 - SMOOTHING) * weights.get(k, 0.0) + SMOOTHING / top for k in range(1, top + 1)}
    return dict(sorted(weights.items()))


def calibrate_recipe(recipe: Recipe, pools: dict[str, Pool], template_ids: dict[str, str],
                     real: LabeledDataset) -> Calibration:
    """See the module docstring. ``pools`` are the fitted pools by entry; ``template_ids`` statement -> template."""
    evidence = label_evidence(real)
    stage_pools: dict[str, Pool] = {}
    prints: dict[str, set[str]] = {}
    for stage in recipe.stages:
        pool = pools[stage.entry]
        variants = [relabel(v, template_ids, evidence) for v in pool.normal + pool.anomalous]
        stage_pools[stage.name] = Pool(stage.entry, [v for v in variants if v.label == NORMAL],
                                       [v for v in variants if v.label == ANOMALY], pool.rejected, pool.silent)
        prints[stage.name] = {template_ids[s.id] for v in variants for s in v.statements}
    # template -> the stage whose main patterns name it, else whose runs print it most (first stage on ties)
    owner: dict[str, str] = {}
    share: dict[str, float] = {}
    texts = {template_ids[s.id]: s.template for p in stage_pools.values() for v in p.normal + p.anomalous
             for s in v.statements}
    for stage in recipe.stages:
        main = [re.compile(p) for p in stage.main]
        for tid, weight in sorted(_print_share(stage_pools[stage.name], template_ids).items()):
            weight += 2.0 if any(p.search(texts[tid]) for p in main) else 0.0
            if weight > share.get(tid, -1.0):
                owner[tid], share[tid] = stage.name, weight
    normal = [s.event_ids for s in real.sessions if s.label == NORMAL]
    per_stage = [Counter(owner[t] for t in seq if t in owner) for seq in normal]
    lines = [Counter((owner[t], t) for t in seq if t in owner) for seq in normal]
    shown_real = {t for s in real.sessions for t in s.event_ids}
    report: dict[str, Any] = {
        "sessions": len(real.sessions), "normal_sessions": len(normal),
        "templates_no_stage_prints": sorted(shown_real - set(owner)),
        "templates_in_several_stages": sorted(t for t in owner if sum(t in p for p in prints.values()) > 1),
        "stages": {},
    }
    stages = []
    for stage in recipe.stages:
        name = stage.name
        pool = stage_pools[name]
        needs = [i for i, c in enumerate(per_stage) if all(c[r] for r in stage.requires)]
        shown = [i for i in needs if per_stage[i][name]]
        entry: dict[str, Any] = {"sessions_shown": len(shown), "of": len(needs)}
        if not normal or not shown:
            # the sample never shows it: the code says it can happen, so it stays, rarely
            probability = min(stage.probability, 0.5 / (len(needs) + 1)) if normal else stage.probability
            entry.update(probability=probability, disagreement="the sample never shows this stage")
            stages.append(stage.model_copy(update={"probability": probability}))
            report["stages"][name] = entry
            continue
        probability = len(shown) / len(needs)
        mine = {t for t, s in owner.items() if s == name}
        decompose = _decomposer(stage, pool.normal, template_ids, mine)
        runs = [max(1, decompose({t: c for (s, t), c in lines[i].items() if s == name})) for i in shown]
        counts = _count_weights(runs)
        seen_templates: Counter[str] = Counter()
        for i in shown:
            seen_templates.update({t: c for (s, t), c in lines[i].items() if s == name})
        _reweight(pool, template_ids, seen_templates, sum(runs), mine)
        entry.update(probability=round(probability, 4), counts={k: round(w, 4) for k, w in counts.items()},
                     templates=dict(sorted(seen_templates.items())))
        report["stages"][name] = entry
        stages.append(stage.model_copy(update={"probability": probability, "counts": counts, "main": []}))
    calibrated = recipe.model_copy(update={"stages": stages})
    report["evidence"] = {"normal": sorted(t for t, lab in evidence.items() if lab == NORMAL),
                          "anomalous": sorted(t for t, lab in evidence.items() if lab == ANOMALY)}
    return Calibration(calibrated, stage_pools, evidence, report)


def _reweight(pool: Pool, template_ids: dict[str, str], seen: Counter[str], runs: int, mine: set[str]) -> None:
    """Normal variants weigh so that one run prints each of the stage's own templates as often as the sample's
    runs do (non-negative least squares over the variants whose own templates all occur); the others share a small
    rest."""
    def own(variant: Variant) -> list[str]:
        return [template_ids[s.id] for s in variant.statements if template_ids[s.id] in mine]
    known = [v for v in pool.normal if own(v) and all(seen[t] for t in own(v))]
    if not known:
        return
    tids = sorted(seen)
    design = np.zeros((len(tids) + 1, len(known)))
    for j, variant in enumerate(known):
        for tid in own(variant):
            design[tids.index(tid), j] += 1
    design[-1] = 10.0  # one run is one variant: a heavy row that makes the weights sum to 1
    target = np.array([seen[t] / runs for t in tids] + [10.0])
    solution, _ = nnls(design, target)
    chosen = {id(v): w for v, w in zip(known, solution, strict=True) if w > 1e-9}
    unknown = [v for v in pool.normal if id(v) not in chosen]
    for variant in pool.normal:
        if id(variant) in chosen:
            variant.weight = float(chosen[id(variant)])
    rest = sum(chosen.values()) * 0.5 / (runs + 1)
    code_total = sum(v.weight for v in unknown)
    for variant in unknown:  # in proportion to the code's own weights
        variant.weight = rest * variant.weight / code_total if code_total else rest / len(unknown)
