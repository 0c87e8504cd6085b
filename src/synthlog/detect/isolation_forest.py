"""Isolation Forest on session count vectors (Liu, Ting and Zhou, ICDM 2008; loglizer's baseline).

Fei Tony Liu, Kai Ming Ting, Zhi-Hua Zhou. *Isolation Forest.* ICDM 2008. scikit-learn's implementation on raw
event-count vectors; the score is the negated ``score_samples`` (higher = easier to isolate = more anomalous) and
the default threshold is scikit-learn's offset for ``contamination``.
"""

from __future__ import annotations

from sklearn.ensemble import IsolationForest

from synthlog.detect.base import SessionDetector
from synthlog.detect.features import EventCounter


class IsolationForestDetector(SessionDetector):
    def __init__(self, n_estimators: int = 100, max_samples: str | int | float = "auto",
                 contamination: str | float = "auto", weighting: str | None = None, random_state: int | None = 0):
        self.n_estimators = n_estimators
        self.max_samples = max_samples
        self.contamination = contamination
        self.weighting = weighting
        self.random_state = random_state

    def _fit(self, sessions, y) -> None:
        self.features_ = EventCounter(weighting=self.weighting).fit(sessions)
        self.model_ = IsolationForest(n_estimators=self.n_estimators, max_samples=self.max_samples,
                                      contamination=self.contamination, random_state=self.random_state, n_jobs=1)
        self.model_.fit(self.features_.transform(sessions))
        self.threshold_ = float(-self.model_.offset_)

    def _score(self, sessions):
        return -self.model_.score_samples(self.features_.transform(sessions))
