"""The bench's coverage figures (``coverage.json``): per seed and synthetic set, what
:func:`synthlog.evaluate.coverage.unseen_coverage` measures (how many real normal test sessions unseen in the real
normal training sessions a set holds, by exact sequence and by count vector, and the label agreement of synthetic
sessions found in real data), plus the check for anomalies identical to normal sessions. Evaluation only: nothing
here feeds training or thresholds.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from synthlog.evaluate.coverage import unseen_coverage
from synthlog.records import ANOMALY, NORMAL, LabeledDataset, Session


def _dataset(name: str, sequences: list[list[str]], labels: np.ndarray) -> LabeledDataset:
    return LabeledDataset(name=name, sessions=[Session.from_event_ids(f"{name}-{i}", list(s), int(label))
                                               for i, (s, label) in enumerate(zip(sequences, labels, strict=True))])


def seed_coverage(train: list[list[str]], train_y: np.ndarray, test: list[list[str]], test_y: np.ndarray,
                  synthetic: dict[str, tuple[list[list[str]], np.ndarray]]) -> dict[str, dict[str, Any]]:
    """:func:`unseen_coverage` of every synthetic set (sequences already in the real ids) for one seed's parts."""
    if not synthetic:
        return {}  # nothing to cover: spare building the real parts' records
    real_train, real_test = _dataset("train", train, train_y), _dataset("test", test, test_y)
    return {name: unseen_coverage(real_train, real_test, _dataset(name, X, y)) for name, (X, y) in synthetic.items()}


def identical_anomalies(sequences: list[list[str]], labels: np.ndarray) -> dict[str, int]:
    """Anomalous sessions whose exact event sequence some normal session has: no detector that reads only the
    sequence can flag them without flagging that normal session too."""
    normal = {tuple(s) for s, label in zip(sequences, labels, strict=True) if label == NORMAL}
    anomalous = [tuple(s) for s, label in zip(sequences, labels, strict=True) if label == ANOMALY]
    same = sum(1 for s in anomalous if s in normal)
    return {"anomalous_sessions": len(anomalous), "identical_to_a_normal_session": same}
