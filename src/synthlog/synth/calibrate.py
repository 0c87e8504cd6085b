"""Calibrate a recipe's sessions from a small labeled real sample (its training part only).

``calibrate_recipe(recipe, pools, template_ids, real)`` returns a :class:`Calibration`: a copy of the recipe and
per-stage pools that reproduce what the sample shows, and a report of where the sample and the code disagree.
From the sample's normal sessions it learns, per stage (a template belongs to the stage whose ``main`` patterns
name it, else to the stage whose runs print it most):

- the stage's probability: the share of normal sessions showing any of its templates (among those showing the
  stages it requires);
- its number of runs, as weights per count: per session, the total of the cheapest non-negative mix of its normal
  variants that prints the session's lines of its templates (main variants cheapest); unless one count is seen
  in 30 sessions or more and no other, the unseen counts from 1 to max + max(2, max / 2) share the Good-Turing
  mass of a new count, at least 25% (the sample is small), in proportion to 1 / count (few runs are likelier
  than many);
- its run mixes: the variants of each session's runs (from the same decomposition), drawn as a whole (so the
  sample's own combinations recur: three reads of which one served and two broke off) except with the
  Good-Turing chance of a new mix, (mixes seen once + 1) / (sessions + 1), at least 25%: then the count is
  drawn from the item below and the runs' variants from the session's own shares of the variant weights (a
  Dirichlet around the weights whose concentration, how alike one session's runs go, is drawn per session from
  a mixture of at most two concentrations fitted to the sample's mixes by maximum likelihood, with 25% of its
  weight on the two extremes: runs all alike, runs each on their own; real sessions do both, reads all served
  and reads some of each, and a small sample shows few of one kind), or from the weights themselves where one
  mix is seen in 30 sessions or more and no other;
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
from scipy.special import gammaln

from synthlog.errors import InputError
from synthlog.records import ANOMALY, NORMAL, LabeledDataset
from synthlog.synth.pools import Pool, Variant, is_main
from synthlog.synth.recipe import Recipe, Stage

CONCENTRATIONS = np.geomspace(0.05, 100.0, 45)  # the grid the Dirichlet concentrations of new mixes are fitted on
MIX_SMOOTHING = 0.25  # weight of the grid's two ends (runs all alike, runs each on their own) in every new mix
SMOOTHING = 0.25  # least weight of unseen run counts near the seen ones, for a stage whose count may vary
CONFIDENT = 30  # a stage seen this often with one run count and no other has that count
EVIDENCE = {NORMAL: "evidence:normal", ANOMALY: "evidence:anomalous"}


@dataclass
class Calibration:
    """A calibrated recipe, its per-stage pools and the report of what was learned and where code and data differ."""

    recipe: Recipe
    stage_pools: dict[str, Pool]
    evidence: dict[str, int] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)
    mixes: dict[str, tuple[list[tuple[Variant, ...]], list[float], float, bool]] = field(default_factory=dict)
    # stage -> the Dirichlet concentrations of its new mixes and their weights: ((concentration, weight), ...)
    concentrations: dict[str, tuple[tuple[float, float], ...]] = field(default_factory=dict)


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
    """A function from a session's line counts of the stage's own templates to its runs, as a tuple of variants:
    the cheapest non-negative mix of the stage's normal variants that prints those counts (main variants cost
    least; variants that print the same own templates stand for each other, the heaviest one speaking)."""
    main = [re.compile(p) for p in stage.main]
    tids = sorted(mine)
    columns: dict[tuple[int, ...], tuple[float, Variant]] = {}
    for variant in variants:
        column = tuple(sum(1 for s in variant.statements if template_ids[s.id] == t) for t in tids)
        if any(column):
            cost = 0.01 if main and is_main(variant, main) else 0.1
            best = columns.get(column)
            if best is None or (cost, -variant.weight) < (best[0], -best[1].weight):
                columns[column] = (cost, variant)
    if not columns:
        return lambda counts: ()
    design = np.array(list(columns)).T.astype(float)
    stacked = np.vstack([design, np.diag([cost for cost, _ in columns.values()])])
    speakers = [variant for _, variant in columns.values()]

    def runs(counts: dict[str, int]) -> tuple[Variant, ...]:
        target = np.array([counts.get(t, 0) for t in tids] + [0.0] * len(columns), dtype=float)
        solution = nnls(stacked, target)[0]
        # round the total, then hand the runs out by largest remainder
        whole = np.floor(solution).astype(int)
        rest = round(float(solution.sum())) - int(whole.sum())
        for j in np.argsort(-(solution - whole), kind="stable")[:max(rest, 0)]:
            whole[j] += 1
        return tuple(v for v, n in zip(speakers, whole, strict=True) for _ in range(int(n)))
    return runs


def _mixes(decomposed: list[tuple[Variant, ...]]) -> tuple[list[tuple[Variant, ...]], list[float], float, bool]:
    """Distinct run mixes (by the variants' identity), how many sessions showed each (first-seen order), the
    chance of a mix not seen (Good-Turing, at least ``SMOOTHING``): the share of sessions whose runs are drawn one
    by one instead, and whether the mix varies (else one mix seen in ``CONFIDENT`` sessions or more)."""
    seen: dict[tuple[int, ...], list] = {}
    for mix in decomposed:
        if mix:
            key = tuple(sorted(id(v) for v in mix))
            seen.setdefault(key, [mix, 0])[1] += 1
    fresh = max(SMOOTHING, new_mass(Counter({k: c for k, (_, c) in seen.items()}))) if seen else 1.0
    varies = len(seen) > 1 or sum(c for _, c in seen.values()) < CONFIDENT
    return [m for m, _ in seen.values()], [float(c) for _, c in seen.values()], fresh, varies


def fit_concentrations(decomposed: list[tuple[Variant, ...]], variants: list[Variant]
                       ) -> tuple[tuple[float, float], ...] | None:
    """How alike one session's runs go, as a mixture of at most two Dirichlet concentrations on
    :data:`CONCENTRATIONS`, ``((concentration, weight), ...)``: the sessions' runs are drawn from a session's own
    shares around the variants' weights (Dirichlet-multinomial), each session from one component; the mixture is
    the likeliest one (weights in steps of 0.05), and ``MIX_SMOOTHING`` of the weight then goes to the grid's two
    ends, runs all alike and runs each on their own, which a small sample may not show (real sessions do both:
    reads that all go the same way, reads that mix served and broken-off ones). None when no session has two runs
    (one run says nothing about how alike runs go)."""
    total = sum(v.weight for v in variants)
    share = {id(v): v.weight / total for v in variants if v.weight > 0} if total else {}
    sessions = [Counter(id(v) for v in mix) for mix in decomposed if len(mix) > 1]
    sessions = [runs for runs in sessions if all(k in share for k in runs)]
    if not sessions:
        return None
    alpha = CONCENTRATIONS[:, None]
    loglik = np.zeros((len(sessions), len(CONCENTRATIONS)))  # session x concentration
    for i, runs in enumerate(sessions):
        p = np.array([share[k] for k in runs])[None, :]
        n = np.array(list(runs.values()), dtype=float)[None, :]
        loglik[i] = (gammaln(alpha[:, 0]) - gammaln(alpha[:, 0] + n.sum())
                     + (gammaln(alpha * p + n) - gammaln(alpha * p)).sum(axis=1))
    weights = np.linspace(0.0, 1.0, 21)
    log_w, log_rest = np.log(np.maximum(weights, 1e-300)), np.log(np.maximum(1.0 - weights, 1e-300))
    best, mixture = -np.inf, ((float(CONCENTRATIONS[0]), 1.0),)
    for a in range(len(CONCENTRATIONS)):
        # total[b, w] = sum over sessions of log(w L_a + (1 - w) L_b), for every second component b >= a
        pair = np.logaddexp(loglik[:, a, None, None] + log_w[None, None, :],
                            loglik[:, a:, None] + log_rest[None, None, :]).sum(axis=0)
        b, w = np.unravel_index(int(np.argmax(pair)), pair.shape)
        if pair[b, w] > best + 1e-9:
            best = pair[b, w]
            mixture = ((float(CONCENTRATIONS[a]), float(weights[w])), (float(CONCENTRATIONS[a + b]),
                                                                        float(1.0 - weights[w])))
    return _smoothed(mixture)


def _smoothed(mixture: tuple[tuple[float, float], ...]) -> tuple[tuple[float, float], ...]:
    """The mixture scaled to ``1 - MIX_SMOOTHING``, the rest shared by the grid's two ends; components merged by
    concentration, weightless ones dropped, in order of concentration."""
    ends = ((float(CONCENTRATIONS[0]), MIX_SMOOTHING / 2), (float(CONCENTRATIONS[-1]), MIX_SMOOTHING / 2))
    merged: dict[float, float] = {}
    for concentration, weight in [(c, w * (1.0 - MIX_SMOOTHING)) for c, w in mixture] + list(ends):
        merged[concentration] = merged.get(concentration, 0.0) + weight
    return tuple((c, round(w, 6)) for c, w in sorted(merged.items()) if w > 1e-9)


def new_mass(counts: Counter) -> float:
    """The chance that the next observation is one not seen yet (Good-Turing, with one pseudo-singleton)."""
    n = sum(counts.values())
    return (sum(1 for c in counts.values() if c == 1) + 1) / (n + 1)


def _count_weights(runs: list[int]) -> dict[int, float]:
    """Weights of a stage's run counts: the sample's, and unless one count is seen in at least ``CONFIDENT``
    sessions and no other, at least ``SMOOTHING`` (else the Good-Turing mass) spread over the unseen counts from
    1 to max + max(2, max / 2) in proportion to 1 / count: repeated work (reads, retries, scans) is more often
    done a few times than many, so a small unseen count is likelier than a large one."""
    seen = Counter(runs)
    n = len(runs)
    weights = {k: c / n for k, c in seen.items()}
    top = max(seen) + max(2, math.ceil(max(seen) / 2))
    unseen = [k for k in range(1, top + 1) if k not in seen]
    if (len(seen) == 1 and n >= CONFIDENT) or not unseen:
        return weights
    mass = max(SMOOTHING, new_mass(seen))
    harmonic = sum(1 / k for k in unseen)
    weights = {k: w * (1 - mass) for k, w in weights.items()} | {k: mass / k / harmonic for k in unseen}
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
    if shown_real and not shown_real & set(owner):
        raise InputError(f"none of the {len(shown_real)} template ids of the calibration data is one the code's "
                         "stages print: align the code to the data set's templates (--align-to)",
                         field="--calibrate")
    report: dict[str, Any] = {
        "sessions": len(real.sessions), "normal_sessions": len(normal),
        "templates_no_stage_prints": sorted(shown_real - set(owner)),
        "templates_in_several_stages": sorted(t for t in owner if sum(t in p for p in prints.values()) > 1),
        "stages": {},
    }
    stages = []
    mixes: dict[str, tuple[list[tuple[Variant, ...]], list[float], float, bool]] = {}
    concentrations: dict[str, tuple[tuple[float, float], ...]] = {}
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
        decomposed = [decompose({t: c for (s, t), c in lines[i].items() if s == name}) for i in shown]
        runs = [max(1, len(mix)) for mix in decomposed]
        counts = _count_weights(runs)
        mixes[name] = _mixes(decomposed)
        seen_templates: Counter[str] = Counter()
        for i in shown:
            seen_templates.update({t: c for (s, t), c in lines[i].items() if s == name})
        _reweight(pool, template_ids, seen_templates, sum(runs), mine)
        mixture = fit_concentrations(decomposed, pool.normal)
        if mixture is not None:
            concentrations[name] = mixture
            entry["mix_concentrations"] = [[round(c, 3), round(w, 3)] for c, w in mixture]
        entry.update(probability=round(probability, 4), counts={k: round(w, 4) for k, w in counts.items()},
                     templates=dict(sorted(seen_templates.items())), run_mixes=len(mixes[name][0]),
                     new_mix=round(mixes[name][2], 4))
        report["stages"][name] = entry
        stages.append(stage.model_copy(update={"probability": probability, "counts": counts, "main": []}))
    calibrated = recipe.model_copy(update={"stages": stages})
    report["evidence"] = {"normal": sorted(t for t, lab in evidence.items() if lab == NORMAL),
                          "anomalous": sorted(t for t, lab in evidence.items() if lab == ANOMALY)}
    return Calibration(calibrated, stage_pools, evidence, report, mixes, concentrations)


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
