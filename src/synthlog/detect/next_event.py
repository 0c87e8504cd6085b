"""The shared core of next-event (forecasting) detectors: DeepLog, LogAnomaly and the Transformer.

A network learns, from normal sessions only, to predict each event from the ``window`` events before it. Scoring
follows DeepLog (Du et al., CCS 2017): an event is a *miss* when it is not among the model's ``k`` most likely next
events, and a session is anomalous when it has a miss. The score of a session is the worst rank any of its events
got (1 = the predicted favourite), so ``score > k`` is exactly "some event missed the top k": the bench's threshold
calibration on validation data therefore chooses k, and ``fit`` sets its own ``top_k_`` (the threshold) from the
validation sessions carved from the training data. An event never seen in training (``<OOV>``) can never be
predicted, so it is always a miss: it gets rank (number of known events + 1).

Every session ends with the marker event ``<END>``, which the model must predict too: without it a session that
stops early (an HDFS block that never reaches ``PacketResponder ... terminating``) looks like a normal prefix. On
the HDFS100k sessions this raised DeepLog's test F1 from 0.44 to 0.67 (``benchmarks/neural_speed.py``).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import torch
from torch import nn
from torch.nn import functional

from synthlog.detect.base import SessionDetector, calibrate_threshold
from synthlog.detect.features import OOV, PAD, Vocabulary, sliding_windows
from synthlog.detect.neural import (
    ExampleSet,
    carve_validation,
    deduplicate,
    forward_in_batches,
    resolve_device,
    torch_session,
    train_network,
)

END = "<END>"


def with_end(sessions: list[list[str]]) -> list[list[str]]:
    return [[*session, END] for session in sessions]


def cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return functional.cross_entropy(logits, targets, reduction="none")


class NextEventDetector(SessionDetector):
    """Base of the forecasting detectors; a subclass supplies ``_build_network(n_events)``.

    The network maps a (batch, window) tensor of vocabulary indices to (batch, len(vocabulary)) logits. Subclasses
    need the parameters ``window``, ``top_k``, ``max_epochs``, ``patience``, ``batch_size``, ``learning_rate``,
    ``validation_fraction``, ``random_state``, ``device`` and ``n_threads``.
    """

    default_top_k: ClassVar[int] = 9  # DeepLog's g for HDFS, used when there is no validation session to choose k

    window: int
    top_k: int | None
    max_epochs: int
    patience: int
    batch_size: int
    learning_rate: float
    validation_fraction: float
    random_state: int
    device: str
    n_threads: int | None

    def _build_network(self, n_events: int) -> nn.Module:
        raise NotImplementedError

    def _prepare(self) -> None:
        """Hook run after the vocabulary is fitted and before the network is built (semantic tables ...)."""

    def _encoding(self, sessions: list[list[str]]):
        """What encodes the sessions' event ids as indices (the vocabulary, or a semantic extension of it)."""
        return self.vocabulary_

    def _fit(self, sessions: list[list[str]], y: np.ndarray | None) -> None:
        if self.top_k is not None and self.top_k < 1:
            raise ValueError(f"{self.detector_name}: top_k must be at least 1 or None, not {self.top_k}")
        self.device_ = resolve_device(self.device)
        sessions = with_end(sessions)
        train_idx, validation_idx = carve_validation(len(sessions), self.validation_fraction, self.random_state)
        training = [sessions[i] for i in train_idx]
        validation = [sessions[i] for i in validation_idx]
        self.vocabulary_ = Vocabulary.fit(training)
        self._prepare()
        with torch_session(self.random_state, self.n_threads, self.device_) as generator:
            self.network_ = self._build_network(len(self.vocabulary_)).to(self.device_)
            self.history_ = train_network(
                self.network_, self._examples(training), self._examples(validation), loss=cross_entropy,
                generator=generator, max_epochs=self.max_epochs, patience=self.patience,
                batch_size=self.batch_size, learning_rate=self.learning_rate)
            validation_scores = self._worst_ranks(validation)
        known = len(self.vocabulary_) - 2
        if self.top_k is not None:
            self.top_k_ = int(self.top_k)
        elif len(validation):
            # the smallest k that leaves at most 1 % of the normal validation sessions with a miss
            self.top_k_ = int(np.clip(calibrate_threshold(validation_scores, np.zeros(len(validation))), 1, known))
        else:
            self.top_k_ = min(self.default_top_k, known)
        self.threshold_ = float(self.top_k_)

    def _examples(self, sessions: list[list[str]]) -> ExampleSet:
        """Deduplicated (history, next event) pairs; unseen next events are left out (nothing to learn)."""
        windows = sliding_windows(sessions, self.window, self._encoding(sessions))
        learnable = (windows.targets != OOV) & (windows.targets < len(self.vocabulary_))
        rows, targets, counts = deduplicate(windows.histories[learnable], windows.targets[learnable])
        return ExampleSet((torch.as_tensor(rows),), torch.as_tensor(targets), torch.as_tensor(counts)).to(self.device_)

    def _score(self, sessions: list[list[str]]) -> np.ndarray:
        with torch_session(self.random_state, self.n_threads, self.device_):
            return self._worst_ranks(with_end(sessions))

    def _worst_ranks(self, sessions: list[list[str]]) -> np.ndarray:
        """Per session, the worst rank of a true next event among the model's predictions."""
        scores = np.zeros(len(sessions), dtype=np.float64)
        windows = sliding_windows(sessions, self.window, self._encoding(sessions))
        if len(windows.targets) == 0:
            return scores
        pairs = np.column_stack([windows.histories, windows.targets])
        unique, inverse = np.unique(pairs, axis=0, return_inverse=True)
        histories = torch.as_tensor(unique[:, :-1], device=self.device_)
        logits = forward_in_batches(self.network_, (histories,), self.batch_size).cpu()
        n_events = logits.shape[1]
        logits[:, [PAD, OOV]] = -torch.inf  # never predicted
        targets = torch.as_tensor(unique[:, -1])
        unseen = (targets == OOV) | (targets >= n_events)
        true_logit = logits.gather(1, torch.where(unseen, PAD, targets)[:, None])
        ranks = 1 + (logits > true_logit).sum(dim=1)
        ranks[unseen] = n_events - 1  # known events + 1: outside every top k
        np.maximum.at(scores, windows.sessions, ranks.numpy()[inverse.reshape(-1)].astype(np.float64))
        return scores
