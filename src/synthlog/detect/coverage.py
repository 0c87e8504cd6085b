"""How much of real normal behaviour unseen in training a synthetic set holds, and whether its labels agree with
real ones: the mechanism augmentation relies on, measured for ``coverage.json`` (evaluation only: nothing here
feeds training or thresholds).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from synthlog.records import ANOMALY, NORMAL


def count_vector(sequence: Sequence[str]) -> tuple[tuple[str, int], ...]:
    """The session's event counts, order dropped."""
    return tuple(sorted(Counter(sequence).items()))


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def unseen_normal_coverage(train: list[list[str]], test: list[list[str]], test_y: np.ndarray,
                           synthetic: list[list[str]], synthetic_y: np.ndarray) -> dict[str, Any]:
    """Of the normal test sessions whose exact sequence (or count vector) no training session has, how many
    have it in the synthetic set's normal sessions (sessions, and distinct shapes)."""
    normal_test = [tuple(s) for s, label in zip(test, test_y, strict=True) if label == NORMAL]
    normal_synthetic = [tuple(s) for s, label in zip(synthetic, synthetic_y, strict=True) if label == NORMAL]
    out: dict[str, Any] = {"normal_test_sessions": len(normal_test), "synthetic_normal_sessions": len(normal_synthetic)}
    for key, shape in (("sequence", tuple), ("count_vector", count_vector)):
        seen = {shape(tuple(s)) for s in train}
        offered = {shape(s) for s in normal_synthetic}
        unseen = [shape(s) for s in normal_test if shape(s) not in seen]
        covered = [s for s in unseen if s in offered]
        out[f"by_{key}"] = {"unseen_sessions": len(unseen), "covered_sessions": len(covered),
                            "coverage": _share(len(covered), len(unseen)),
                            "unseen_distinct": len(set(unseen)), "covered_distinct": len(set(covered))}
    return out


def label_agreement(real: list[list[str]], real_y: np.ndarray, synthetic: list[list[str]],
                    synthetic_y: np.ndarray) -> dict[str, Any]:
    """Synthetic sessions whose exact sequence occurs in labeled real data, and the share whose label is the real
    sessions' label for it (a sequence real data labels both ways counts as ambiguous, not as agreement)."""
    real_labels: dict[tuple[str, ...], set[int]] = {}
    for sequence, label in zip(real, real_y, strict=True):
        real_labels.setdefault(tuple(sequence), set()).add(int(label))
    found = agree = ambiguous = 0
    by_label = {NORMAL: [0, 0], ANOMALY: [0, 0]}  # synthetic label -> [found, agreeing]
    for sequence, label in zip(synthetic, synthetic_y, strict=True):
        labels = real_labels.get(tuple(sequence))
        if labels is None:
            continue
        found += 1
        by_label[int(label)][0] += 1
        if len(labels) > 1:
            ambiguous += 1
        elif int(label) in labels:
            agree += 1
            by_label[int(label)][1] += 1
    return {"synthetic_sessions": len(synthetic), "found_in_real": found, "agreeing": agree, "ambiguous": ambiguous,
            "agreement": _share(agree, found),
            "normal": {"found_in_real": by_label[NORMAL][0], "agreeing": by_label[NORMAL][1]},
            "anomalous": {"found_in_real": by_label[ANOMALY][0], "agreeing": by_label[ANOMALY][1]}}


def identical_anomalies(sequences: list[list[str]], labels: np.ndarray) -> dict[str, int]:
    """Anomalous sessions whose exact event sequence some normal session has: no detector that reads only the
    sequence can flag them without flagging that normal session too."""
    normal = {tuple(s) for s, label in zip(sequences, labels, strict=True) if label == NORMAL}
    anomalous = [tuple(s) for s, label in zip(sequences, labels, strict=True) if label == ANOMALY]
    same = sum(1 for s in anomalous if s in normal)
    return {"anomalous_sessions": len(anomalous), "identical_to_a_normal_session": same}
