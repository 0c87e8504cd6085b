"""Unseen-normal coverage of code-guided sessions, calibrated per seed from a sparse real training part.

For each seed: split the real data set's normal sessions (and anomalies) into train / test with the bench's own
split, calibrate the fitted synthesizer from the training part only, sample ``-n`` sessions (skeletons, as the
bench samples them, unless ``--values``) and print :func:`synthlog.evaluate.coverage.unseen_coverage`
(exact-sequence and count-vector coverage of the normal test sessions unseen in training, label agreement of
synthetic sessions found in real data)::

    PYTHONPATH=src python benchmarks/coverage.py --src /work/ext/hadoop-0.18.2/src \\
        --recipe recipes/hdfs-0.18.yaml --data hdfs-ait-loghub \\
        --align-to ../shared/data/hdfs/ait_hdfs_v1_sequences/HDFS_templates.csv --seeds 0 1 2 3 4 -n 20000

``--on validation`` measures on each seed's validation part instead (the bench's split keeps it out of training
and calibration): that is what generator changes are decided on, on seeds other than a proof's own. ``--on pool``
measures on a larger set of the same kind: the normal sessions of the training and validation parts of all
``--pool-seeds`` (dev seeds), less the seed's own training part; no test part of a dev seed is read.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import Counter

import numpy as np

from synthlog.detect.bench import SplitSpec, split_indices
from synthlog.evaluate.coverage import missed_vectors, unseen_coverage
from synthlog.io.datasets import load_dataset
from synthlog.records import ANOMALY, LabeledDataset
from synthlog.synth.generate import CodeGenConfig, CodeSynthesizer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", required=True)
    parser.add_argument("--recipe", required=True)
    parser.add_argument("--data", default="hdfs-ait-loghub")
    parser.add_argument("--align-to", required=True)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("-n", type=int, default=20000)
    parser.add_argument("--train-fraction", type=float, default=0.02, help="share of real normal sessions training")
    parser.add_argument("--anomaly-train-fraction", type=float, default=0.01)
    parser.add_argument("--on", choices=("test", "validation", "pool"), default="test",
                        help="the real part coverage is measured on (decide changes on validation or pool)")
    parser.add_argument("--pool-seeds", type=int, nargs="+", default=list(range(10, 31)),
                        help="--on pool: the dev seeds whose training and validation parts form the pool")
    parser.add_argument("--no-calibrate", action="store_true", help="the recipe as written (the baseline)")
    parser.add_argument("--missed", type=int, default=0, metavar="K",
                        help="also print, per seed and pooled, the K count vectors of unseen normal sessions that "
                             "the synthetic set misses most often (where a generator change would start)")
    parser.add_argument("--values", action="store_true",
                        help="fill values (default: skeleton sessions, as the bench samples them)")
    args = parser.parse_args()

    real = load_dataset(args.data)
    labels = np.array([ANOMALY if s.label == ANOMALY else 0 for s in real.sessions])
    spec = SplitSpec(train_fraction=args.train_fraction, anomaly_train_fraction=args.anomaly_train_fraction)
    t0 = time.perf_counter()
    synth = CodeSynthesizer(CodeGenConfig(recipe=args.recipe, align_to=args.align_to)).fit(args.src)
    print(f"fit: {time.perf_counter() - t0:.1f} s")
    pool = sorted({int(i) for s in args.pool_seeds for part in _dev_parts(labels, spec, s) for i in part
                   if labels[i] != ANOMALY}) if args.on == "pool" else []
    rows = []
    missed_all: Counter = Counter()
    for seed in args.seeds:
        split = split_indices(labels, spec, seed)
        train = real.subset(split.train, name="train")
        if args.on == "pool":
            own = {int(i) for i in split.train}
            test = real.subset([i for i in pool if i not in own], name="pool")
        else:
            test = real.subset(split.test if args.on == "test" else split.validation, name=args.on)
        t0, c0 = time.perf_counter(), time.process_time()
        if not args.no_calibrate:
            synth.calibrate(train)
        t_cal, c_cal = time.perf_counter() - t0, time.process_time() - c0
        t0 = time.perf_counter()
        synthetic: LabeledDataset = synth.sample(args.n, seed, values=args.values)
        t_sample = time.perf_counter() - t0
        row = unseen_coverage(train, test, synthetic)
        timing = (synth.calibration_report_ or {}).get("timing", {})
        row.update(seed=seed, calibrate_s=round(t_cal, 2), calibrate_cpu_s=round(c_cal, 2), sample_s=round(t_sample, 2),
                   timing={k: timing.get(k) for k in ("ties", "scale", "moves", "distance")},
                   train_normal=int(sum(1 for s in train.sessions if s.label != ANOMALY)),
                   train_anomalous=int(sum(1 for s in train.sessions if s.label == ANOMALY)))
        rows.append(row)
        print(json.dumps(row, sort_keys=True))
        if args.missed:
            missed = missed_vectors(train, test, synthetic)
            missed_all.update(missed)
            _print_missed(f"seed {seed}", missed, args.missed)
    if args.missed:
        _print_missed("all seeds", missed_all, args.missed)
    for key in ("exact", "count_vector", "label_agreement"):
        values = [r[key] for r in rows if r[key] is not None]
        if values:
            print(f"{key}: mean {statistics.mean(values):.3f} min {min(values):.3f} max {max(values):.3f}")


def _print_missed(title: str, missed: Counter, k: int) -> None:
    print(f"{title}: {sum(missed.values())} unseen normal sessions missed by count vector; most often:")
    for vector, n in missed.most_common(k):
        print(f"  {n:5d}  " + " ".join(f"{t}x{c}" for t, c in vector))


def _dev_parts(labels: np.ndarray, spec: SplitSpec, seed: int) -> tuple:
    split = split_indices(labels, spec, seed)
    return split.train, split.validation


if __name__ == "__main__":
    main()
