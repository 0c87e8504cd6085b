"""Fit/predict time and F1 of the five neural detectors on HDFS100k's own train/test split (deep-loglizer's).

Usage: python benchmarks/neural_speed.py [--detectors deeplog,...] [--seeds 0,1,2] [--validation 0.2]

The training part (6,352 sessions, 256 anomalous) is split, stratified and seeded, into a fitting part and a
validation part (``--validation``). Unsupervised detectors fit on the normal sessions of the fitting part,
supervised ones on all of it; then the threshold is calibrated on the validation part
(``synthlog.detect.base.calibrate_threshold``: best F1 there) and F1 is measured once on the 1,588 test sessions.
F1 at the detector's own threshold (top-k chosen on the validation split carved inside ``fit``, or the best
F1 there for classifiers) is printed too. Times are wall and CPU seconds of this process (the machine may be
shared, and CPU time is the steadier figure). Also printed: how many test anomalies have an event sequence that
some normal training session has too, which bounds any sequence-based detector's recall at zero false alarms.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score

from synthlog.detect.base import calibrate_threshold
from synthlog.detect.neural import carve_validation
from synthlog.detect.registry import NEURAL, make_detector
from synthlog.io.datasets import load_dataset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--detectors", default=",".join(NEURAL))
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--validation", type=float, default=0.2)
    args = parser.parse_args()

    data = load_dataset("hdfs-100k-sessions")
    split = np.array([s.attributes.get("split") for s in data.sessions])
    labels = np.array(data.labels, dtype=np.int64)
    sequences = data.sequences
    templates = {t.id: t.text for t in data.templates.values()}
    train_idx, test_idx = np.flatnonzero(split == "train"), np.flatnonzero(split == "test")
    X_test, y_test = [sequences[i] for i in test_idx], labels[test_idx]
    normal_train = {tuple(sequences[i]) for i in train_idx if labels[i] == 0}
    hidden = sum(tuple(sequences[i]) in normal_train for i in test_idx if labels[i] == 1)
    print(f"HDFS100k own split: {len(train_idx)} train ({int(labels[train_idx].sum())} anomalous), "
          f"{len(test_idx)} test ({int(y_test.sum())} anomalous); {hidden} test anomalies have the exact sequence "
          f"of a normal training session")
    print(f"{'detector':12s} {'seed':>4s} {'fit s':>7s} {'fit cpu':>7s} {'pred s':>6s} {'F1 own':>6s} "
          f"{'P':>5s} {'R':>5s} {'F1 val':>6s} {'AUC':>5s} {'epochs':>6s}")
    for name in [n.strip() for n in args.detectors.split(",") if n.strip()]:
        for seed in [int(s) for s in args.seeds.split(",")]:
            fit_part, validation_part = carve_validation(len(train_idx), args.validation, seed, labels[train_idx])
            fit_idx, validation_idx = train_idx[fit_part], train_idx[validation_part]
            detector = make_detector(name, random_state=seed)
            if "templates" in detector.get_params():
                detector.set_params(templates=templates)
            wall, cpu = time.perf_counter(), time.process_time()
            detector.fit([sequences[i] for i in fit_idx], labels[fit_idx])
            fit_wall, fit_cpu = time.perf_counter() - wall, time.process_time() - cpu
            wall = time.perf_counter()
            own = detector.predict(X_test)
            scores = detector.decision_function(X_test)
            predict_wall = (time.perf_counter() - wall) / 2
            threshold = calibrate_threshold(detector.decision_function([sequences[i] for i in validation_idx]),
                                            labels[validation_idx])
            calibrated = (scores > threshold).astype(int)
            print(f"{name:12s} {seed:4d} {fit_wall:7.2f} {fit_cpu:7.2f} {predict_wall:6.2f} "
                  f"{f1_score(y_test, own):6.3f} {precision_score(y_test, calibrated, zero_division=0):5.3f} "
                  f"{recall_score(y_test, calibrated):5.3f} {f1_score(y_test, calibrated):6.3f} "
                  f"{roc_auc_score(y_test, scores):5.3f} {len(detector.history_):6d}", flush=True)


if __name__ == "__main__":
    main()
