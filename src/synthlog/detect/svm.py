"""Linear SVM on TF-IDF weighted count vectors, supervised (Liang et al., ICDM 2007; loglizer).

Yinglung Liang, Yanyong Zhang, Hui Xiong, Ramendra Sahoo. *Failure Prediction in IBM BlueGene/L Event Logs.*
ICDM 2007, as used by loglizer (He et al., ISSRE 2016). loglizer's settings: L1 penalty, C=1, tol=0.1, primal
solver. The score is the signed distance to the separating hyperplane.
"""

from __future__ import annotations

from sklearn.svm import LinearSVC

from synthlog.detect.base import CountVectorClassifier


class LinearSVMDetector(CountVectorClassifier):
    def __init__(self, C: float = 1.0, penalty: str = "l1", tol: float = 0.1, max_iter: int = 1000,
                 class_weight: str | None = None, weighting: str | None = "tf-idf", random_state: int | None = 0):
        self.C = C
        self.penalty = penalty
        self.tol = tol
        self.max_iter = max_iter
        self.class_weight = class_weight
        self.weighting = weighting
        self.random_state = random_state

    def _model(self):
        return LinearSVC(C=self.C, penalty=self.penalty, tol=self.tol, max_iter=self.max_iter, dual=False,
                         class_weight=self.class_weight, random_state=self.random_state)
