"""Invariants Mining: sparse integer linear invariants of event counts (Lou et al., USENIX ATC 2010).

Jian-Guang Lou, Qiang Fu, Shengqian Yang, Ye Xu, Jiang Li. *Mining Invariants from Console Logs for System Problem
Detection.* USENIX ATC 2010. Following loglizer's implementation: the dimension ``r`` of the invariant space is
estimated from the singular vectors of the count matrix; then column sets of growing size (up to ``max_length``)
are searched for an integer vector ``theta`` (the smallest singular vector, scaled by ``scales`` and rounded) with
``|counts @ theta| < epsilon`` on at least ``percentage`` of the normal sessions; supersets of a found invariant
are pruned, and the search stops after ``r`` invariants. A session's score is its total violation
``sum |counts @ theta|``; any violation is an anomaly (default threshold 0). Events never seen in training have a
zero count column, so the invariant "count = 0" flags them.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

from synthlog.detect.base import SessionDetector
from synthlog.detect.features import EventCounter


class InvariantsMiner(SessionDetector):
    def __init__(self, percentage: float = 0.98, epsilon: float = 0.5, max_length: int = 3,
                 scales: tuple[int, ...] = (1, 2, 3)):
        self.percentage = percentage
        self.epsilon = epsilon
        self.max_length = max_length
        self.scales = scales

    def _fit(self, sessions, y) -> None:
        self.features_ = EventCounter().fit(sessions)
        # identical sessions are common: mine on distinct count vectors weighted by how often they occur
        rows, weights = np.unique(self.features_.transform(sessions), axis=0, return_counts=True)
        r = self._invariant_space_dimension(rows, weights)
        invariants: list[tuple[tuple[int, ...], np.ndarray]] = []
        zero = [c for c in range(rows.shape[1]) if not rows[:, c].any()]
        invariants.extend(((c,), np.ones(1)) for c in zero)
        live = [c for c in range(rows.shape[1]) if c not in zero]
        for length in range(2, self.max_length + 1):
            if len(invariants) >= r:
                break
            for cols in combinations(live, length):
                if any(set(found) <= set(cols) for found, _ in invariants):
                    continue
                theta = self._integer_invariant(rows[:, cols], weights)
                if theta is not None:
                    invariants.append((cols, theta))
                    if len(invariants) >= r:
                        break
        self.invariants_ = invariants
        self.invariant_space_dimension_ = r
        self.threshold_ = 0.0

    def _holds(self, values: np.ndarray, weights: np.ndarray) -> bool:
        return weights[np.abs(values) < self.epsilon].sum() >= self.percentage * weights.sum()

    def _invariant_space_dimension(self, rows: np.ndarray, weights: np.ndarray) -> int:
        _, _, vt = np.linalg.svd(rows.T @ (rows * weights[:, None]))
        r = 0
        for vector in vt[::-1]:  # smallest singular values first
            if not self._holds(rows @ vector, weights):
                break
            r += 1
        return r

    def _integer_invariant(self, sub: np.ndarray, weights: np.ndarray) -> np.ndarray | None:
        _, _, vt = np.linalg.svd(sub.T @ (sub * weights[:, None]))
        smallest = vt[-1]
        pivot = int(np.argmin(np.abs(smallest)))
        if abs(smallest[pivot]) < 1e-12:
            return None
        for scale in self.scales:
            theta = np.round(smallest * (scale / smallest[pivot]))
            theta[pivot] = scale
            if (theta != 0).all() and self._holds(sub @ theta, weights):
                return theta
        return None

    def _score(self, sessions) -> np.ndarray:
        counts = self.features_.transform(sessions)
        scores = np.zeros(len(sessions))
        for cols, theta in self.invariants_:
            scores += np.abs(counts[:, cols] @ theta)
        return scores
