"""Logistic regression on TF-IDF weighted count vectors, supervised (Bodik et al., EuroSys 2010; loglizer).

Peter Bodik, Moises Goldszmidt, Armando Fox, Dawn B. Woodard, Hans Andersen. *Fingerprinting the Datacenter:
Automated Classification of Performance Crises.* EuroSys 2010, as used for logs by loglizer (He et al., *Experience
Report: System Log Analysis for Anomaly Detection*, ISSRE 2016). loglizer's settings: L2 penalty, C=100, tol=0.01.
The score is the anomaly probability.
"""

from __future__ import annotations

from sklearn.linear_model import LogisticRegression

from synthlog.detect.base import CountVectorClassifier


class LogisticRegressionDetector(CountVectorClassifier):
    def __init__(self, C: float = 100.0, tol: float = 0.01, max_iter: int = 100, class_weight: str | None = None,
                 weighting: str | None = "tf-idf"):
        self.C = C
        self.tol = tol
        self.max_iter = max_iter
        self.class_weight = class_weight
        self.weighting = weighting

    def _model(self):
        return LogisticRegression(C=self.C, tol=self.tol, max_iter=self.max_iter, class_weight=self.class_weight,
                                  solver="liblinear")
