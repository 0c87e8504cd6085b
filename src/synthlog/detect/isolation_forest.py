"""Isolation Forest on session count vectors (Liu, Ting and Zhou, ICDM 2008; loglizer's baseline).

Fei Tony Liu, Kai Ming Ting, Zhi-Hua Zhou. *Isolation Forest.* ICDM 2008. scikit-learn's implementation on raw
event-count vectors; the score is the negated ``score_samples`` (higher = easier to isolate = more anomalous) and
the default threshold is scikit-learn's offset for ``contamination``.

``train_on="all"`` (the default) fits on every training session, labels ignored: the paper's unsupervised setting
and loglizer's. An isolation tree only splits on a column that varies in its sample, so a forest fitted on normal
sessions alone, whose anomaly templates are all zero, cannot see them at all: on HDFS_v1 with 90 normal and 134
anomalous training blocks its ROC-AUC is 0.56-0.69 fitted on the normal ones and 0.87-0.91 on all (20 dev seeds).
``train_on="normal"`` keeps the other unsupervised detectors' setting.
"""

from __future__ import annotations

from typing import Literal

from sklearn.ensemble import IsolationForest

from synthlog.detect.base import DetectorInputError, SessionDetector
from synthlog.detect.features import EventCounter


class IsolationForestDetector(SessionDetector):
    def __init__(self, n_estimators: int = 100, max_samples: str | int | float = "auto",
                 contamination: str | float = "auto", weighting: str | None = None, random_state: int | None = 0,
                 train_on: Literal["all", "normal"] = "all"):
        self.n_estimators = n_estimators
        self.max_samples = max_samples
        self.contamination = contamination
        self.weighting = weighting
        self.random_state = random_state
        self.train_on = train_on

    def _fits_unlabeled(self) -> bool:
        if self.train_on not in ("all", "normal"):
            raise DetectorInputError(self.detector_name, f"train_on must be 'all' or 'normal', not {self.train_on!r}")
        return self.train_on == "all"

    def _fit(self, sessions, y) -> None:
        self.features_ = EventCounter(weighting=self.weighting).fit(sessions)
        self.model_ = IsolationForest(n_estimators=self.n_estimators, max_samples=self.max_samples,
                                      contamination=self.contamination, random_state=self.random_state, n_jobs=1)
        self.model_.fit(self.features_.transform(sessions))
        self.threshold_ = float(-self.model_.offset_)

    def _score(self, sessions):
        return -self.model_.score_samples(self.features_.transform(sessions))
