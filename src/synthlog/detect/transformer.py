"""A next-event Transformer encoder, unsupervised, scored like DeepLog.

What is implemented: the forecasting Transformer of deep-loglizer (Chen, Liu, Gu, Su and Lyu, "Experience Report:
Deep Learning-based System Log Analysis for Anomaly Detection", arXiv:2107.05908, 2021), which that toolkit lists
under Nedelkoski et al., "Self-attentive classification-based anomaly detection in unstructured logs" (ICDM 2020):
event embeddings plus learnt position embeddings go through a Transformer encoder (Vaswani et al., NeurIPS 2017),
and the encoding of the last position predicts the next event. It is trained on normal sessions only; a session
is anomalous when a true event falls outside the top k (see :mod:`synthlog.detect.next_event`). It is not LogBERT
(Guo et al., 2021), which trains by masked-event prediction, nor Logsy, which classifies against auxiliary logs.
"""

from __future__ import annotations

import torch
from torch import nn

from synthlog.detect.next_event import NextEventDetector


class NextEventTransformer(nn.Module):
    """Event + position embeddings -> Transformer encoder -> logits of the next event from the last position."""

    def __init__(self, n_events: int, window: int, model_dim: int, num_heads: int, num_layers: int,
                 feedforward_dim: int, dropout: float):
        super().__init__()
        self.embedding = nn.Embedding(n_events, model_dim)
        self.position = nn.Embedding(window, model_dim)
        layer = nn.TransformerEncoderLayer(model_dim, num_heads, feedforward_dim, dropout, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)
        self.output = nn.Linear(model_dim, n_events)

    def forward(self, histories):
        positions = torch.arange(histories.shape[1], device=histories.device)
        # no padding mask: a window made only of padding (the session's first event) must still give an output,
        # and padding is a learnt token marking "before the session start"
        encoded = self.encoder(self.embedding(histories) + self.position(positions))
        return self.output(encoded[:, -1])


class TransformerDetector(NextEventDetector):
    """Next-event Transformer encoder; ``top_k=None`` chooses k on the internal validation split."""

    def __init__(self, window: int = 10, top_k: int | None = None, merge_histories: bool = False,
                 model_dim: int = 64, num_heads: int = 4, num_layers: int = 1, feedforward_dim: int = 128,
                 dropout: float = 0.1, max_epochs: int = 20, patience: int = 3, batch_size: int = 256,
                 learning_rate: float = 0.003, validation_fraction: float = 0.1, random_state: int = 0,
                 device: str = "cpu", n_threads: int | None = 1):
        self.window = window
        self.top_k = top_k
        self.merge_histories = merge_histories
        self.model_dim = model_dim
        self.num_heads = num_heads
        self.num_layers = num_layers
        self.feedforward_dim = feedforward_dim
        self.dropout = dropout
        self._keep_training_parameters(max_epochs=max_epochs, patience=patience, batch_size=batch_size,
                                       learning_rate=learning_rate, validation_fraction=validation_fraction,
                                       random_state=random_state, device=device, n_threads=n_threads)

    def _build_network(self, n_events: int) -> nn.Module:
        return NextEventTransformer(n_events, self.window, self.model_dim, self.num_heads, self.num_layers,
                                    self.feedforward_dim, self.dropout)
