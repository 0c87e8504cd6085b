"""The detector contract every synthlog detector follows, its shared base class, input checks and thresholds.

The contract (classical and neural detectors alike)
===================================================
* **scikit-learn estimator.** The constructor only stores its parameters (``get_params``/``set_params`` come from
  :class:`sklearn.base.BaseEstimator`); everything learnt is set in ``fit`` on attributes whose names end in ``_``.
  ``fit(X, y=None)`` returns ``self``; ``decision_function(X)`` returns a float array, higher = more anomalous;
  ``predict(X)`` returns an int array of 0/1 (1 = anomaly, the :data:`synthlog.records.ANOMALY` label).
* **Input.** ``X`` is a sequence of sessions, each an event-id sequence: ``list[list[str]]``, exactly what
  :attr:`synthlog.records.LabeledDataset.sequences` returns. ``y`` holds 0/1 labels. Each detector featurises
  internally with a vocabulary fitted in ``fit`` only, so nothing leaks from the sessions it scores.
* **Out of vocabulary.** Event ids never seen in training map to the ``<OOV>`` column or index
  (:data:`synthlog.detect.features.OOV`) and never crash; for next-event models an OOV event counts as a miss.
  Detectors that read template text (LogAnomaly, LogRobust) take ``templates: dict[str, str] | None`` as a
  constructor parameter, which the bench sets with ``set_params``; they fit their word statistics on the texts of
  training events only.
* **Supervision.** Supervised detectors (``supervised = True``: LR, SVM, DT, LogRobust, CNN) need ``y`` with both
  classes. Unsupervised ones learn normal behaviour: given ``y`` they keep only the normal sessions
  (:meth:`SessionDetector._training_sessions`). An empty training set, or a one-class one where two classes are
  needed, raises :class:`DetectorInputError` (both a ``ValueError`` and a synthlog ``InputError``) whose message
  names the detector and the problem.
* **Threshold.** ``predict(X) = decision_function(X) > threshold_``. ``fit`` sets a default ``threshold_`` (the
  method's own rule, e.g. PCA's Q-statistic); :meth:`SessionDetector.set_threshold` overrides it. The bench
  calibrates it on the VALIDATION split with :func:`calibrate_threshold` (best F1 when validation has
  anomalies, else a high quantile of normal validation scores), never on the test set.
* **Epochs.** Neural models choose their epoch by early stopping on a validation split carved from the training
  data inside ``fit`` (a ``validation_fraction`` parameter), never on test data.
* **Seeds.** Anything random takes ``random_state`` (an int); the bench sets it to the run's seed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.metrics import precision_recall_curve

from synthlog.detect.features import EventCounter, Sessions, subset
from synthlog.errors import InputError
from synthlog.records import ANOMALY, NORMAL


class DetectorInputError(InputError, ValueError):
    """Unusable input for a detector: reads ``<detector>: <problem>``, a ``ValueError`` for scikit-learn users."""

    def __init__(self, detector: str, problem: str):
        super().__init__(problem, field=detector)


def check_sequences(X: Sequence[Sequence[str]], detector: str) -> list[list[str]]:
    """``X`` as a list of event-id lists (ids as strings); a bare string or non-sequence session is refused.

    :class:`~synthlog.detect.features.Sessions` (already strings) is kept as it is, with what it remembers.
    """
    if isinstance(X, Sessions):
        return X
    if isinstance(X, str | bytes) or not hasattr(X, "__len__"):
        raise DetectorInputError(detector, "X must be a list of sessions, each a list of event ids")
    sessions = []
    for i, session in enumerate(X):
        if isinstance(session, str | bytes) or not hasattr(session, "__iter__"):
            raise DetectorInputError(detector, f"session {i} is {type(session).__name__}, expected a list of event ids")
        sessions.append([str(e) for e in session])
    return sessions


def check_labels(y, n: int, detector: str) -> np.ndarray:
    """``y`` as an int array of 0/1 with one label per session."""
    labels = np.asarray(y)
    if labels.shape != (n,):
        raise DetectorInputError(detector, f"y has shape {labels.shape}, expected ({n},) - one label per session")
    if labels.size and not np.isin(labels, (NORMAL, ANOMALY)).all():
        raise DetectorInputError(detector, "y must hold only 0 (normal) and 1 (anomaly)")
    return labels.astype(np.int64)


class SessionDetector(BaseEstimator):
    """Base of every detector: input checks, training-set rules and the threshold; subclasses add the method.

    Subclasses implement ``_fit(sessions, y)`` (``y`` is ``None`` for unsupervised detectors, which receive only
    normal sessions) and ``_score(sessions)``; ``_fit`` sets ``threshold_`` to the method's default threshold.
    """

    supervised: ClassVar[bool] = False

    @property
    def detector_name(self) -> str:
        return type(self).__name__

    def _training_sessions(self, X, y) -> tuple[list[list[str]], np.ndarray | None]:
        """Validated training data: both classes for supervised detectors, normal sessions for the others (every
        session for those that fit unlabeled data)."""
        sessions = check_sequences(X, self.detector_name)
        if not sessions:
            raise DetectorInputError(self.detector_name, "the training set is empty")
        labels = None if y is None else check_labels(y, len(sessions), self.detector_name)
        if self.supervised:
            if labels is None:
                raise DetectorInputError(self.detector_name, "a supervised detector needs labels y to fit")
            present = sorted(set(labels.tolist()))
            if present != [NORMAL, ANOMALY]:
                raise DetectorInputError(
                    self.detector_name,
                    f"the training set has only class {present} but both normal (0) and anomalous (1) are needed")
            return sessions, labels
        every = self._fits_unlabeled()
        if labels is not None:
            if not (labels == NORMAL).any():
                raise DetectorInputError(self.detector_name, "the training set has no normal session to learn from")
            if not every:
                sessions = subset(sessions, np.flatnonzero(labels == NORMAL))
        return sessions, None

    def _fits_unlabeled(self) -> bool:
        """Whether an unsupervised detector learns from every training session, labels ignored (else from the
        normal ones only)."""
        return False

    def fit(self, X, y=None):
        sessions, labels = self._training_sessions(X, y)
        self._fit(sessions, labels)
        return self

    def decision_function(self, X) -> np.ndarray:
        self._check_fitted()
        sessions = check_sequences(X, self.detector_name)
        if not sessions:
            return np.zeros(0, dtype=np.float64)
        return np.asarray(self._score(sessions), dtype=np.float64)

    def predict(self, X) -> np.ndarray:
        return (self.decision_function(X) > self.threshold_).astype(np.int64)

    def set_threshold(self, threshold: float):
        """Flag sessions whose score exceeds ``threshold`` from now on; returns ``self``."""
        self._check_fitted()
        self.threshold_ = float(threshold)
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "threshold_"):
            raise DetectorInputError(self.detector_name, "call fit before scoring sessions")

    def _fit(self, sessions: list[list[str]], y: np.ndarray | None) -> None:
        raise NotImplementedError

    def _score(self, sessions: list[list[str]]) -> np.ndarray:
        raise NotImplementedError


def calibrate_threshold(scores, y, normal_quantile: float = 0.99, anomaly_rate: float | None = None) -> float:
    """The threshold to use on unseen data, chosen from VALIDATION scores only.

    With anomalies among ``y``: the threshold with the best F1 (ties: the highest, fewest alarms); the returned
    value lies halfway between the chosen score and the next lower one, so ``score > threshold`` reproduces the
    choice. Without anomalies: the ``normal_quantile`` quantile of the normal scores.

    ``anomaly_rate``: the F1 is the one expected where anomalies are this share of the sessions, not the
    validation part's own share: each normal session weighs ``(1 - rate) / rate`` anomalies' worth, scaled by the
    validation part's anomalies per normal session. A validation part carved from a training part rich in
    anomalies (half or more) otherwise rewards flagging nearly everything, which at a natural rate of a few percent
    is mostly false alarms.
    """
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(y, dtype=np.int64)
    if scores.size == 0:
        raise ValueError("cannot calibrate a threshold on an empty validation set")
    if not (labels == ANOMALY).any():
        return float(np.quantile(scores, normal_quantile, method="higher"))
    if (labels == ANOMALY).all():
        return float(np.min(scores) - 1e-9)
    weights = None
    if anomaly_rate is not None:
        anomalies, normals = int((labels == ANOMALY).sum()), int((labels != ANOMALY).sum())
        weights = np.where(labels == ANOMALY, 1.0, (1 - anomaly_rate) / anomaly_rate * anomalies / normals)
    precision, recall, cuts = precision_recall_curve(labels, scores, sample_weight=weights)
    f1 = np.divide(2 * precision * recall, precision + recall, out=np.zeros_like(precision),
                   where=(precision + recall) > 0)[:-1]
    best = int(np.flatnonzero(f1 == f1.max())[-1])
    chosen = cuts[best]  # flags scores >= chosen
    below = scores[scores < chosen]
    return float((chosen + below.max()) / 2) if below.size else float(chosen - 1e-9)


class CountVectorClassifier(SessionDetector):
    """A supervised scikit-learn classifier on (TF-IDF weighted) count vectors; subclasses say which in ``_model``.

    The score is the anomaly probability when the classifier has one (default threshold 0.5), else its signed
    decision value (default threshold 0).
    """

    supervised: ClassVar[bool] = True

    def _model(self):
        raise NotImplementedError

    def _fit(self, sessions, y) -> None:
        self.features_ = EventCounter(weighting=self.weighting).fit(sessions)
        self.model_ = self._model().fit(self.features_.transform(sessions), y)
        self.threshold_ = 0.5 if hasattr(self.model_, "predict_proba") else 0.0

    def _score(self, sessions) -> np.ndarray:
        X = self.features_.transform(sessions)
        if hasattr(self.model_, "predict_proba"):
            return self.model_.predict_proba(X)[:, list(self.model_.classes_).index(ANOMALY)]
        return self.model_.decision_function(X)
