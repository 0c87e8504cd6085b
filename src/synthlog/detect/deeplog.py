"""DeepLog (Du, Li, Zheng and Srikumar, CCS 2017): an LSTM that predicts the next log event from the last few.

Unsupervised: trained on normal sessions only. A session is anomalous when one of its events is not among the
model's top-k predictions (the paper's ``g``, 9 on HDFS); here k is chosen on validation sessions carved from
the training data, and the score of a session is the worst rank of its events (see
:mod:`synthlog.detect.next_event`). The paper feeds one-hot event keys to a two-layer LSTM with 64 units; an
embedding layer is the same linear map, learnt.
"""

from __future__ import annotations

from torch import nn

from synthlog.detect.next_event import NextEventDetector


class DeepLogNetwork(nn.Module):
    """Embedding -> stacked LSTM -> logits of the next event from the last hidden state."""

    def __init__(self, n_events: int, embedding_dim: int, hidden_size: int, num_layers: int):
        super().__init__()
        self.embedding = nn.Embedding(n_events, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_size, num_layers=num_layers, batch_first=True)
        self.output = nn.Linear(hidden_size, n_events)

    def forward(self, histories):
        states, _ = self.lstm(self.embedding(histories))
        return self.output(states[:, -1])


class DeepLog(NextEventDetector):
    """DeepLog next-event LSTM; ``top_k=None`` chooses k on the internal validation split."""

    def __init__(self, window: int = 10, top_k: int | None = None, merge_histories: bool = False,
                 embedding_dim: int = 32, hidden_size: int = 64, num_layers: int = 2, max_epochs: int = 20,
                 patience: int = 3, batch_size: int = 256,
                 learning_rate: float = 0.01, validation_fraction: float = 0.1, random_state: int = 0,
                 device: str = "cpu", n_threads: int | None = 1):
        self.window = window
        self.top_k = top_k
        self.merge_histories = merge_histories
        self.embedding_dim = embedding_dim
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self._keep_training_parameters(max_epochs=max_epochs, patience=patience, batch_size=batch_size,
                                       learning_rate=learning_rate, validation_fraction=validation_fraction,
                                       random_state=random_state, device=device, n_threads=n_threads)

    def _build_network(self, n_events: int) -> nn.Module:
        return DeepLogNetwork(n_events, self.embedding_dim, self.hidden_size, self.num_layers)
