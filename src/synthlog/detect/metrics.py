"""Test-set measures of a bench cell: precision, recall, F1, false alarms, ROC-AUC, and precision at a fixed recall.

The fixed-recall threshold is chosen on VALIDATION scores (:func:`recall_threshold`) and only then applied to the
test scores, like every other threshold of the bench.
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.metrics import confusion_matrix, roc_auc_score

from synthlog.records import ANOMALY, NORMAL


def _precision_recall(y_true: np.ndarray, predicted: np.ndarray) -> tuple[float, float, int, int]:
    tn, fp, fn, tp = confusion_matrix(y_true, predicted, labels=[NORMAL, ANOMALY]).ravel()
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return float(precision), float(recall), int(fp), int(fp + tn)


def evaluate(y_true: np.ndarray, predicted: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    """Precision, recall, F1, false-positive rate, false alarms per 1,000 normal sessions, and ROC-AUC of the scores
    (NaN with one class only)."""
    precision, recall, fp, normals = _precision_recall(y_true, predicted)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    fpr = fp / normals if normals else 0.0
    both = len(set(y_true.tolist())) == 2 and np.isfinite(scores).all()
    auc = float(roc_auc_score(y_true, scores)) if both else math.nan
    return {"precision": precision, "recall": recall, "f1": float(f1), "fpr": float(fpr),
            "false_alarms_per_1k": 1000.0 * fpr, "auc": auc}


def recall_threshold(scores: np.ndarray, y: np.ndarray, target: float) -> float:
    """The highest threshold whose alarms (``score > threshold``) catch at least ``target`` of the anomalies among
    these (validation) scores; NaN without anomalies."""
    anomalous = np.sort(np.asarray(scores, dtype=np.float64)[np.asarray(y) == ANOMALY])[::-1]
    if anomalous.size == 0:
        return math.nan
    needed = min(anomalous.size, max(1, math.ceil(target * anomalous.size - 1e-9)))
    return float(np.nextafter(anomalous[needed - 1], -np.inf))


def at_threshold(y_true: np.ndarray, scores: np.ndarray, threshold: float) -> dict[str, float]:
    """Test precision and recall when alarms are ``score > threshold`` (NaN for a NaN threshold)."""
    if math.isnan(threshold):
        return {"p_at_r": math.nan, "r_at_r": math.nan}
    precision, recall, _, _ = _precision_recall(y_true, (scores > threshold).astype(np.int64))
    return {"p_at_r": precision, "r_at_r": recall}
