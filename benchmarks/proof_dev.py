"""Dev protocol for a proof config's augmentation: real vs augmented false alarms, scored on dev seeds' pooled blocks.

For each dev seed (never one of the config's own seeds) it runs what ``synthlog bench`` runs for that seed: the
bench's split, its per-seed synthetic set (calibrated on the seed's training part), its augmentation and its cells
(each detector fitted on ``real`` and on ``augmented:<set>``, threshold from the seed's validation part). It then
scores them on the dev POOL instead of the seed's test part: every block (normal and anomalous) of the training and
validation parts of all ``--pool-seeds``, less the seed's own training and validation parts. No test part of any
seed is read, and the pool holds about twenty times the normal blocks of one validation part, so a difference of
1-2 false alarms per 1,000 normal blocks shows. Prints per seed and per detector FA/1k and recall, and the paired
Wilcoxon p over the dev seeds; ``--out`` keeps the rows, ``--against`` pairs this run's augmented cells with an
earlier run's (the run-to-run spread of two generator samples, or one change against the other)::

    HADOOP_SRC=/work/ext/hadoop-0.18.2/src PYTHONPATH=src python benchmarks/proof_dev.py \\
        configs/bench/proof_hdfs_ait_2pct.yaml --seeds 10 11 ... 29 --jobs 2 --out dev_a.json
    ... --sample-offset 1000 --out dev_b.json --against dev_a.json   # a second generator sample, paired with the first
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

import numpy as np

from synthlog.detect.bench import (
    Split,
    load_config,
    load_data,
    run_cell,
    split_indices,
    synthetic_for_seed,
    training_sets,
)
from synthlog.detect.bench_exec import bench_executor
from synthlog.detect.features import Sessions
from synthlog.detect.stats_tests import paired_test
from synthlog.records import ANOMALY, NORMAL


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", help="a bench config with one code-guided (or other) synthetic set")
    parser.add_argument("--set", default="codegen", help="the synthetic set of the config to augment with")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(10, 30)))
    parser.add_argument("--pool-seeds", type=int, nargs="+", help="whose training and validation parts form the "
                                                                  "pool (default: --seeds)")
    parser.add_argument("--detectors", nargs="+", default=["deeplog", "loganomaly", "transformer"])
    parser.add_argument("--sample-offset", type=int, default=0,
                        help="the generator samples with seed + this (0: the bench's own sample)")
    parser.add_argument("--sessions", type=int, help="sessions sampled (default: the config's)")
    parser.add_argument("--augment-pick", choices=("random", "distinct"), help="default: the config's")
    parser.add_argument("--ratio", type=float, help="synthetic per real normal training session (default: config's)")
    parser.add_argument("--threshold-rate", type=float, help="threshold_anomaly_rate (default: the config's)")
    parser.add_argument("--threshold", choices=("validation", "default"),
                        help="the threshold rule (default: the config's): validation's best F1, or each detector's "
                             "own (a next-event model's k from its normal training sessions)")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--out", type=Path, help="write the rows here (JSON)")
    parser.add_argument("--against", type=Path, help="an earlier run's --out: pair its augmented cells with these")
    args = parser.parse_args()

    config = _dev_config(args)
    clash = sorted(set(args.seeds + (args.pool_seeds or [])) & set(config.seeds))
    if clash:
        parser.error(f"seeds {clash} are the config's own (proof) seeds: dev seeds must differ")
    real, sources = load_data(config, Path(args.config).resolve().parent)
    sources = {args.set: sources[args.set]}
    sources[args.set].prepare(real)
    real_X, real_y = Sessions(real.sequences), np.asarray(real.labels, dtype=np.int64)
    pool = sorted({int(i) for s in (args.pool_seeds or args.seeds)
                   for part in _dev_parts(real_y, config, s) for i in part})
    print(f"pool: {sum(real_y[i] == NORMAL for i in pool)} normal, {sum(real_y[i] == ANOMALY for i in pool)} "
          f"anomalous blocks of seeds {args.pool_seeds or args.seeds}")
    tasks = [(seed, config, real, real_X, real_y, sources, pool, args.sample_offset) for seed in args.seeds]
    rows = []
    with bench_executor(args.jobs) as executor:
        for seed_rows in executor.map(_seed_rows, tasks):
            rows.extend(seed_rows)
            print(" ".join(f"{r['seed']}:{r['detector']}:{r['regime'].split(':')[0]} {r['false_alarms_per_1k']:.1f}"
                           f"/{r['recall']:.3f}" for r in seed_rows), flush=True)
    if args.out:
        args.out.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "rows": rows}, indent=1))
    _summary(rows, args.detectors)
    if args.against:
        _against(rows, json.loads(args.against.read_text())["rows"], args.detectors)


def _dev_config(args):
    """The config with the dev run's overrides: its set only, these detectors, and the levers under test."""
    config = load_config(args.config)
    synthetic = [s for s in config.data.synthetic if s.label == args.set]
    if not synthetic:
        raise SystemExit(f"the config has no synthetic set named {args.set!r}")
    if args.sessions:
        synthetic = [synthetic[0].model_copy(update={"sessions": args.sessions})]
    update = {"data": config.data.model_copy(update={"synthetic": synthetic}), "regimes": ["real", "augmented"],
              "detectors": [d for d in config.detectors if d.name in args.detectors]}
    if args.augment_pick:
        update["augment_pick"] = args.augment_pick
    if args.ratio:
        update["ratios"] = [args.ratio]
    if args.threshold_rate:
        update["threshold_anomaly_rate"] = args.threshold_rate
    if args.threshold:
        update["threshold"] = args.threshold
    return config.model_copy(update=update)


def _dev_parts(labels: np.ndarray, config, seed: int) -> tuple:
    split = split_indices(labels, config.split, seed)
    return split.train, split.validation


def _seed_rows(seed, config, real, real_X, real_y, sources, pool, offset) -> list[dict]:
    """The bench's cells of one seed (its own sample with seed + offset), scored on the pool less the seed's parts."""
    split = split_indices(real_y, config.split, seed)
    own = {int(i) for i in np.concatenate([split.train, split.validation])}
    scored = np.array([i for i in pool if i not in own], dtype=np.int64)
    sets = synthetic_for_seed(seed + offset, sources, real, split.train)
    templates = {tid: t.text for tid, t in sorted(real.templates.items())}
    aligned = {}
    for name, (sequences, labels, new_texts, _) in sets.items():
        aligned[name] = (sequences, labels)
        templates.update(new_texts)
    dev_split = Split(split.train, split.validation, scored)
    X_test, y_test = real_X.take(scored), real_y[scored]
    rows = []
    for training in training_sets(config, real_X, real_y, dev_split, aligned, seed):
        for spec in config.detectors:
            row = run_cell(spec, training, X_test, y_test, seed, config, templates)
            rows.append({k: row[k] for k in ("detector", "regime", "seed", "false_alarms_per_1k", "recall", "fpr",
                                             "f1", "threshold", "n_train", "n_test")})
    return rows


def _cells(rows: list[dict], detector: str, regime: str) -> dict[int, dict]:
    return {r["seed"]: r for r in rows if r["detector"] == detector and r["regime"].split(":")[0] == regime}


def _summary(rows: list[dict], detectors: list[str]) -> None:
    print("detector | real FA/1k | augmented FA/1k | lower/higher/same | Wilcoxon p (FPR) | recall real -> aug")
    for detector in detectors:
        real, aug = _cells(rows, detector, "real"), _cells(rows, detector, "augmented")
        seeds = sorted(set(real) & set(aug))
        if not seeds:
            continue
        _print_pair(detector, [real[s] for s in seeds], [aug[s] for s in seeds])


def _against(rows: list[dict], earlier: list[dict], detectors: list[str]) -> None:
    print("augmented, earlier run -> this run (same seeds, splits and detector seeds):")
    for detector in detectors:
        before, now = _cells(earlier, detector, "augmented"), _cells(rows, detector, "augmented")
        seeds = sorted(set(before) & set(now))
        if seeds:
            _print_pair(detector, [before[s] for s in seeds], [now[s] for s in seeds])


def _print_pair(detector: str, a: list[dict], b: list[dict]) -> None:
    fa_a, fa_b = [r["false_alarms_per_1k"] for r in a], [r["false_alarms_per_1k"] for r in b]
    test = paired_test([r["fpr"] for r in a], [r["fpr"] for r in b])
    lower = sum(y < x for x, y in zip(fa_a, fa_b, strict=True))
    higher = sum(y > x for x, y in zip(fa_a, fa_b, strict=True))
    print(f"{detector} | {statistics.mean(fa_a):.2f} | {statistics.mean(fa_b):.2f} | {lower}/{higher}/"
          f"{len(a) - lower - higher} | {test.wilcoxon_p:.4f} | {statistics.mean(r['recall'] for r in a):.4f} -> "
          f"{statistics.mean(r['recall'] for r in b):.4f}")


if __name__ == "__main__":
    main()
