"""Decision tree on TF-IDF weighted count vectors, supervised (Chen et al., ICAC 2004; loglizer).

Mike Chen, Alice X. Zheng, Jim Lloyd, Michael I. Jordan, Eric Brewer. *Failure Diagnosis Using Decision Trees.*
ICAC 2004, as used by loglizer (He et al., ISSRE 2016). scikit-learn's CART with the Gini criterion; the score is
the anomaly probability of the leaf.
"""

from __future__ import annotations

from sklearn.tree import DecisionTreeClassifier

from synthlog.detect.base import CountVectorClassifier


class DecisionTreeDetector(CountVectorClassifier):
    def __init__(self, criterion: str = "gini", max_depth: int | None = None, min_samples_leaf: int = 1,
                 class_weight: str | None = None, weighting: str | None = "tf-idf", random_state: int | None = 0):
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.class_weight = class_weight
        self.weighting = weighting
        self.random_state = random_state

    def _model(self):
        return DecisionTreeClassifier(criterion=self.criterion, max_depth=self.max_depth,
                                      min_samples_leaf=self.min_samples_leaf, class_weight=self.class_weight,
                                      random_state=self.random_state)
