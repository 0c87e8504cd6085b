"""Time every detector on HDFS100k, and optionally the whole bench protocol (three regimes, five seeds).

Usage: python benchmarks/detectors.py [--detectors a,b,... | --classical] [--suite [--synthetic DIR]]

Prints, per detector, the fit time on the training sessions of seed 0 of ``configs/bench/hdfs100k.yaml``'s split
(unsupervised detectors see its normal sessions only) and the predict time on its test sessions, with the test F1
at the detector's default threshold. ``--suite`` then runs the full protocol of
``configs/bench/hdfs100k_augmented.yaml`` for those detectors and prints its wall time; without ``--synthetic`` it
uses a stand-in synthetic set (the real sessions, shuffled, under generator-style ids: for timing only, its F1
means nothing). Target: the full suite, neural detectors included, under 20 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from synthlog.detect.bench import evaluate, load_config, run_bench, split_indices
from synthlog.detect.registry import CLASSICAL, DETECTORS, detector_class, make_detector
from synthlog.errors import InputError
from synthlog.io.datasets import load_dataset
from synthlog.progress import set_quiet
from synthlog.records import LabeledDataset, Session, Template

CONFIGS = Path(__file__).resolve().parents[1] / "configs" / "bench"


def stand_in_synthetic(real: LabeledDataset, seed: int = 0) -> LabeledDataset:
    """The real sessions reshuffled under other template ids (same texts), so id alignment runs as for real."""
    order = np.random.default_rng(seed).permutation(len(real))
    sessions = [Session.from_event_ids(f"gen-{i}", [f"gen-{e}" for e in real.sessions[j].event_ids],
                                       real.sessions[j].label) for i, j in enumerate(order)]
    templates = {f"gen-{t.id}": Template(f"gen-{t.id}", t.text) for t in real.templates.values()}
    return LabeledDataset("stand-in", sessions, templates)


def time_detectors(real: LabeledDataset, names: list[str]) -> None:
    config = load_config(CONFIGS / "hdfs100k.yaml")
    labels = np.asarray(real.labels)
    split = split_indices(labels, config.split, seed=0)
    X = real.sequences
    X_train, y_train = [X[i] for i in split.train], labels[split.train]
    X_test, y_test = [X[i] for i in split.test], labels[split.test]
    templates = {t.id: t.text for t in real.templates.values()}
    print(f"HDFS100k: {len(X_train)} training sessions ({int(y_train.sum())} anomalous), {len(X_test)} test")
    print(f"{'detector':18s} {'fit s':>8s} {'predict s':>10s} {'F1@default':>11s}")
    for name in names:
        detector = make_detector(name)
        if "templates" in detector.get_params():
            detector.set_params(templates=templates)
        started = time.perf_counter()
        detector.fit(X_train, y_train)
        fitted = time.perf_counter()
        predicted = detector.predict(X_test)
        done = time.perf_counter()
        f1 = evaluate(y_test, predicted, np.zeros(len(y_test)))["f1"]
        print(f"{name:18s} {fitted - started:8.2f} {done - fitted:10.2f} {f1:11.3f}", flush=True)


def time_suite(real: LabeledDataset, names: list[str], synthetic_dir: str | None) -> None:
    config = load_config(CONFIGS / "hdfs100k_augmented.yaml", synthetic=[synthetic_dir or "stand-in"])
    config = config.model_copy(update={"detectors": [d for d in config.detectors if d.name in names]})
    synthetic = load_dataset(synthetic_dir) if synthetic_dir else stand_in_synthetic(real)
    started = time.perf_counter()
    result = run_bench(config, real, {synthetic.name: synthetic})
    wall = time.perf_counter() - started
    per_detector: dict[str, float] = {}
    for row in result.rows:
        per_detector[row["detector"]] = per_detector.get(row["detector"], 0.0) + row["fit_seconds"] + \
            row["score_seconds"]
    print(f"full suite: {len(result.rows)} cells ({len(config.detectors)} detectors x "
          f"{len(result.rows) // max(len(config.detectors), 1) // len(config.seeds)} regimes/ratios x "
          f"{len(config.seeds)} seeds) in {wall:.1f} s wall")
    for name, seconds in per_detector.items():
        print(f"  {name:18s} {seconds:8.1f} s (fit + scoring, all cells)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--detectors", default=",".join(DETECTORS), help="comma-separated registry names")
    parser.add_argument("--classical", action="store_true", help="only the classical detectors")
    parser.add_argument("--suite", action="store_true", help="also time the full protocol")
    parser.add_argument("--synthetic", help="synthetic data set for --suite (default: a stand-in)")
    args = parser.parse_args()
    set_quiet(True)
    names = list(CLASSICAL) if args.classical else [n.strip() for n in args.detectors.split(",") if n.strip()]
    for name in list(names):
        try:
            detector_class(name)
        except InputError as exc:
            print(f"{name}: skipped, {exc}")
            names.remove(name)
    real = load_dataset("hdfs-100k-sessions")
    time_detectors(real, names)
    if args.suite:
        time_suite(real, names, args.synthetic)


if __name__ == "__main__":
    main()
