"""A CNN session classifier after Lu, Wei, Li and Wang, "Detecting anomaly in big data system logs using
convolutional neural network" (IEEE DASC 2018).

Supervised: trained on normal and anomalous sessions. The paper's *logkey2vec* is a trainable embedding of event
keys; parallel one-dimensional convolutions of several widths (3, 4 and 5 events, as in the paper) slide over the
session, each feature map is max-pooled over time, and a dropout + dense softmax layer says normal or anomalous;
the score is the probability of "anomalous" (see :mod:`synthlog.detect.session_classifier`). Pooling only looks
at positions inside the session, so a session's score does not depend on which other sessions share its batch.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional

from synthlog.detect.features import PAD
from synthlog.detect.session_classifier import SessionClassifier


class SessionCNN(nn.Module):
    """Event embedding -> parallel convolutions -> masked max-over-time pooling -> dropout -> logits."""

    def __init__(self, n_events: int, embedding_dim: int, filters: int, kernel_sizes: tuple[int, ...],
                 dropout: float):
        super().__init__()
        self.embedding = nn.Embedding(n_events, embedding_dim, padding_idx=PAD)
        self.convolutions = nn.ModuleList(nn.Conv1d(embedding_dim, filters, k) for k in kernel_sizes)
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(filters * len(kernel_sizes), 2)

    def forward(self, indices, lengths):
        lengths = lengths.to(indices.device)
        longest = max(conv.kernel_size[0] for conv in self.convolutions)
        width = max(int(lengths.max()), longest)
        indices = functional.pad(indices[:, :width], (0, width - min(indices.shape[1], width)), value=PAD)
        embedded = self.embedding(indices).transpose(1, 2)  # (batch, embedding, time)
        pooled = []
        for conv in self.convolutions:
            features = torch.relu(conv(embedded))
            # positions whose window starts inside the session (at least one for a session shorter than the kernel)
            valid = torch.arange(features.shape[2], device=indices.device)[None, :] < torch.clamp(
                lengths - conv.kernel_size[0] + 1, min=1)[:, None]
            pooled.append(features.masked_fill(~valid[:, None, :], -torch.inf).amax(dim=2))
        return self.output(self.dropout(torch.cat(pooled, dim=1)))


class CNNDetector(SessionClassifier):
    """Lu et al.'s CNN; sessions longer than ``max_length`` are cut to their first events."""

    def __init__(self, max_length: int = 64, embedding_dim: int = 32, filters: int = 64,
                 kernel_sizes: tuple[int, ...] = (3, 4, 5), dropout: float = 0.5, max_epochs: int = 20,
                 patience: int = 3, batch_size: int = 256, learning_rate: float = 0.005,
                 validation_fraction: float = 0.1, random_state: int = 0, device: str = "cpu",
                 n_threads: int | None = 1):
        self.max_length = max_length
        self.embedding_dim = embedding_dim
        self.filters = filters
        self.kernel_sizes = kernel_sizes
        self.dropout = dropout
        self._keep_training_parameters(max_epochs=max_epochs, patience=patience, batch_size=batch_size,
                                       learning_rate=learning_rate, validation_fraction=validation_fraction,
                                       random_state=random_state, device=device, n_threads=n_threads)

    def _build_network(self, n_events: int) -> nn.Module:
        return SessionCNN(n_events, self.embedding_dim, self.filters, tuple(self.kernel_sizes), self.dropout)
