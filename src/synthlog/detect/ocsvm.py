"""One-Class SVM on session count vectors (Schölkopf et al., Neural Computation 2001).

Bernhard Schölkopf, John C. Platt, John Shawe-Taylor, Alex J. Smola, Robert C. Williamson. *Estimating the
Support of a High-Dimensional Distribution.* Neural Computation 13(7), 2001. scikit-learn's ``OneClassSVM`` (RBF
kernel) on TF-IDF weighted, L2-normalised count vectors learnt from normal sessions; the score is the negated
signed distance to the boundary, so the default threshold is 0.
"""

from __future__ import annotations

from sklearn.svm import OneClassSVM

from synthlog.detect.base import SessionDetector
from synthlog.detect.features import EventCounter


class OneClassSVMDetector(SessionDetector):
    def __init__(self, nu: float = 0.01, kernel: str = "rbf", gamma: str | float = "scale",
                 weighting: str | None = "tf-idf", normalization: str | None = "l2"):
        self.nu = nu
        self.kernel = kernel
        self.gamma = gamma
        self.weighting = weighting
        self.normalization = normalization

    def _fit(self, sessions, y) -> None:
        self.features_ = EventCounter(weighting=self.weighting, normalization=self.normalization).fit(sessions)
        self.model_ = OneClassSVM(nu=self.nu, kernel=self.kernel, gamma=self.gamma)
        self.model_.fit(self.features_.transform(sessions))
        self.threshold_ = 0.0

    def _score(self, sessions):
        return -self.model_.decision_function(self.features_.transform(sessions))
