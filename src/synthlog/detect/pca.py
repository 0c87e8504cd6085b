"""PCA detector: the squared prediction error of count vectors outside the normal subspace (Xu et al., SOSP 2009).

Wei Xu, Ling Huang, Armando Fox, David Patterson, Michael I. Jordan. *Detecting Large-Scale System Problems by
Mining Console Logs.* SOSP 2009. Following loglizer's implementation: TF-IDF weighted, zero-mean count vectors; the
normal subspace holds the principal components explaining ``n_components`` of the variance; a session's score is
its squared prediction error (SPE) in the residual subspace, and the default threshold is the Q-statistic of Jackson
and Mudholkar (1979) at confidence ``c_alpha`` (3.2905 = 99.9%).
"""

from __future__ import annotations

import numpy as np

from synthlog.detect.base import SessionDetector
from synthlog.detect.features import EventCounter


class PCADetector(SessionDetector):
    def __init__(self, n_components: float = 0.95, c_alpha: float = 3.2905, weighting: str | None = "tf-idf"):
        if not (0 < n_components < 1 or (n_components >= 1 and float(n_components).is_integer())):
            raise ValueError(f"n_components is a share of variance in (0, 1) or a whole number of components, "
                             f"not {n_components}")
        self.n_components = n_components
        self.c_alpha = c_alpha
        self.weighting = weighting

    def _fit(self, sessions, y) -> None:
        self.features_ = EventCounter(weighting=self.weighting, normalization="zero-mean").fit(sessions)
        X = self.features_.transform(sessions)
        n_sessions, n_events = X.shape
        _, sigma, vt = np.linalg.svd(X.T @ X / n_sessions)
        if sigma.sum() <= 0:
            k = 0  # no variance at all: every deviation from the training sessions is residual
        elif self.n_components < 1:
            k = int(np.searchsorted(np.cumsum(sigma) / sigma.sum(), self.n_components) + 1)
        else:
            k = int(self.n_components)
        k = min(k, n_events)
        components = vt[:k].T
        self.residual_projection_ = np.eye(n_events) - components @ components.T
        self.n_components_ = k
        self.threshold_ = self._q_statistic(sigma[k:])

    def _q_statistic(self, residual_variances: np.ndarray) -> float:
        phi = [float(np.sum(residual_variances ** (i + 1))) for i in range(3)]
        if phi[0] <= 0 or phi[1] <= 0:
            return 0.0  # no residual variance in training: any residual at all is abnormal
        h0 = 1.0 - 2 * phi[0] * phi[2] / (3.0 * phi[1] ** 2)
        base = (self.c_alpha * np.sqrt(2 * phi[1] * h0 ** 2) / phi[0] + 1.0
                + phi[1] * h0 * (h0 - 1) / phi[0] ** 2)
        return float(phi[0] * np.power(base, 1.0 / h0))

    def _score(self, sessions) -> np.ndarray:
        residual = self.features_.transform(sessions) @ self.residual_projection_.T
        return np.einsum("ij,ij->i", residual, residual)
