"""LogClustering: distance of a session to the nearest cluster of normal sessions (Lin et al., ICSE 2016).

Qingwei Lin, Hongyu Zhang, Jian-Guang Lou, Yu Zhang, Xuewei Chen. *Log Clustering Based Problem Identification for
Online Service Systems.* ICSE-SEIP 2016. Following loglizer's implementation: TF-IDF weighted count vectors;
the first ``num_bootstrap_samples`` normal sessions are clustered agglomeratively (average linkage, cosine
distance, cut at ``max_dist``), the rest join their nearest cluster online (its centroid moves) or open a new one.
A session's score is its cosine distance to the nearest centroid; the default threshold is ``anomaly_threshold``.
"""

from __future__ import annotations

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform

from synthlog.detect.base import SessionDetector
from synthlog.detect.features import EventCounter, unit_rows


def cosine_distances(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Cosine distances between rows; two all-zero rows are at distance 0, a zero and a non-zero one at 1."""
    a, b = unit_rows(A), unit_rows(B)
    distances = 1.0 - a @ b.T
    a_zero = ~a.any(axis=1)
    b_zero = ~b.any(axis=1)
    distances[np.ix_(a_zero, b_zero)] = 0.0
    return np.clip(distances, 0.0, 2.0)


class LogClustering(SessionDetector):
    def __init__(self, max_dist: float = 0.3, anomaly_threshold: float = 0.3, num_bootstrap_samples: int = 1000,
                 weighting: str | None = "tf-idf"):
        self.max_dist = max_dist
        self.anomaly_threshold = anomaly_threshold
        self.num_bootstrap_samples = num_bootstrap_samples
        self.weighting = weighting

    def _fit(self, sessions, y) -> None:
        self.features_ = EventCounter(weighting=self.weighting).fit(sessions)
        X = self.features_.transform(sessions)
        boot = X[: self.num_bootstrap_samples]
        if len(boot) > 1:
            distances = cosine_distances(boot, boot)
            np.fill_diagonal(distances, 0.0)
            tree = linkage(squareform(distances, checks=False), method="average")
            labels = fcluster(tree, t=self.max_dist, criterion="distance")
        else:
            labels = np.ones(len(boot), dtype=int)
        centroids = [boot[labels == k].mean(axis=0) for k in np.unique(labels)]
        sizes = [int((labels == k).sum()) for k in np.unique(labels)]
        for row in X[self.num_bootstrap_samples:]:
            distances = cosine_distances(row[None, :], np.asarray(centroids))[0]
            nearest = int(np.argmin(distances))
            if distances[nearest] <= self.max_dist:
                sizes[nearest] += 1
                centroids[nearest] = centroids[nearest] + (row - centroids[nearest]) / sizes[nearest]
            else:
                centroids.append(row.copy())
                sizes.append(1)
        self.centroids_ = np.asarray(centroids)
        self.cluster_sizes_ = np.asarray(sizes)
        self.threshold_ = float(self.anomaly_threshold)

    def _score(self, sessions) -> np.ndarray:
        return cosine_distances(self.features_.transform(sessions), self.centroids_).min(axis=1)
