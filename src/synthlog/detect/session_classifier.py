"""The shared core of supervised neural session classifiers: LogRobust and the CNN.

A network reads a whole session (its first ``max_length`` events, as vocabulary indices) and outputs two logits,
normal and anomalous; the score of a session is its predicted probability of being anomalous. Training needs
both classes; a validation split carved from the training sessions (stratified by label) decides the epoch by
early stopping and sets the default threshold (best F1 there, via
:func:`synthlog.detect.base.calibrate_threshold`; 0.5 when that split lacks one class). Identical sessions with
the same label are merged into one weighted example. The loss is class-balanced (each class weighs half, the
training split's class shares decide the weights): with 3 % anomalies an unweighted network first learns the
prior and can sit on that plateau until early stopping ends training; the threshold is calibrated afterwards, so
the shifted probabilities cost nothing.
"""

from __future__ import annotations

import numpy as np
import torch

from synthlog.detect.base import calibrate_threshold
from synthlog.detect.features import PAD, encode, subset
from synthlog.detect.neural import (
    ExampleSet,
    NeuralDetector,
    carve_validation,
    deduplicate,
    forward_in_batches,
)
from synthlog.records import ANOMALY


class SessionClassifier(NeuralDetector):
    """Base of the supervised session classifiers; a subclass supplies ``_build_network(n_events)``.

    The network maps (indices (batch, length) right-padded with ``PAD``, lengths (batch,)) to (batch, 2) logits.
    Subclasses need the parameter ``max_length`` besides those of :class:`~synthlog.detect.neural.NeuralDetector`.
    """

    supervised = True

    max_length: int

    def _fit(self, sessions: list[list[str]], y: np.ndarray | None) -> None:
        assert y is not None  # SessionDetector.fit guarantees labels with both classes
        if self.max_length < 1:
            raise ValueError(f"{self.detector_name}: max_length must be at least 1, not {self.max_length}")
        train_idx, validation_idx = carve_validation(len(sessions), self.validation_fraction, self.random_state, y)
        self.class_weights_ = 0.5 / (np.bincount(y[train_idx], minlength=2) / len(train_idx))
        validation_scores = self._train(subset(sessions, train_idx), subset(sessions, validation_idx),
                                        y[train_idx], y[validation_idx])
        both_classes = len(set(y[validation_idx].tolist())) == 2
        self.threshold_ = calibrate_threshold(validation_scores, y[validation_idx]) if both_classes else 0.5

    def _matrix(self, sessions: list[list[str]]) -> np.ndarray:
        return encode(sessions).padded(self._encoding(sessions), self.max_length)

    def _inputs(self, rows: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        lengths = np.maximum((rows != PAD).sum(axis=1), 1)  # an empty session is read as one padding step
        return torch.as_tensor(rows, device=self.device_), torch.as_tensor(lengths)

    def _examples(self, sessions: list[list[str]], labels: np.ndarray) -> ExampleSet:
        rows, targets, counts = deduplicate(self._matrix(sessions), labels.astype(np.int64))
        counts = counts * self.class_weights_[targets].astype(np.float32)
        return ExampleSet(self._inputs(rows), torch.as_tensor(targets), torch.as_tensor(counts)).to(self.device_)

    def _scores(self, sessions: list[list[str]]) -> np.ndarray:
        """Each session's probability of being anomalous, computed once per distinct session."""
        if not sessions:
            return np.zeros(0, dtype=np.float64)
        unique, inverse = np.unique(self._matrix(sessions), axis=0, return_inverse=True)
        logits = forward_in_batches(self.network_, self._inputs(unique), self.batch_size)
        probabilities = torch.softmax(logits, dim=1)[:, ANOMALY].cpu().numpy().astype(np.float64)
        return probabilities[inverse.reshape(-1)]
