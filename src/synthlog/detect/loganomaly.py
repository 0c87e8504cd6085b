"""LogAnomaly (Meng et al., IJCAI 2019): next-event prediction from sequential and quantitative patterns.

Unsupervised: trained on normal sessions only, scored like DeepLog (a session is anomalous when a true event falls
outside the model's top k; see :mod:`synthlog.detect.next_event`). Two inputs per window of ``window`` events:

* the *sequential* pattern: the semantic vectors of the window's templates, read by an LSTM;
* the *quantitative* pattern: the window's event-count vector (how many times each event occurred), here read by
  a small dense layer (the paper uses a second LSTM; a dense layer over the same count vector is cheaper);

their encodings are concatenated to predict the next event. The paper's semantic vectors come from template2vec,
which needs pretrained word vectors (and synonym/antonym lists) that are not available offline. Here a template's
vector is the TF-IDF vector of its words (``synthlog.detect.features.TemplateSemantics``), fitted on the texts
of the training events, taken from ``templates`` (event id -> text; ``None`` uses the event ids as texts, as in
data sets keyed by template strings). A template first seen at scoring time whose text is known still gets its
vector (from the words training knows) as input; as a next event it is a miss, since the model cannot predict a
class it never saw.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional

from synthlog.detect.features import OOV
from synthlog.detect.neural import SemanticInputsMixin
from synthlog.detect.next_event import NextEventDetector


class LogAnomalyNetwork(nn.Module):
    """LSTM over semantic vectors + dense layer over the window's count vector -> next-event logits."""

    def __init__(self, n_events: int, table: torch.Tensor, hidden_size: int, num_layers: int):
        super().__init__()
        self.n_events = n_events
        self.register_buffer("table", table, persistent=False)
        self.lstm = nn.LSTM(table.shape[1], hidden_size, num_layers=num_layers, batch_first=True)
        self.counts = nn.Sequential(nn.Linear(n_events, hidden_size), nn.ReLU())
        self.output = nn.Linear(2 * hidden_size, n_events)

    def forward(self, histories):
        states, _ = self.lstm(functional.embedding(histories, self.table))
        known = torch.where(histories < self.n_events, histories, OOV)  # unseen events with text count as OOV
        counts = functional.one_hot(known, self.n_events).sum(dim=1).float()
        counts[:, 0] = 0  # padding is not an event
        return self.output(torch.cat([states[:, -1], self.counts(counts)], dim=1))


class LogAnomaly(SemanticInputsMixin, NextEventDetector):
    """LogAnomaly with TF-IDF template vectors; ``top_k=None`` chooses k on the internal validation split."""

    def __init__(self, templates: dict[str, str] | None = None, window: int = 10, top_k: int | None = None,
                 merge_histories: bool = False, hidden_size: int = 64, num_layers: int = 2, max_epochs: int = 20,
                 patience: int = 3, batch_size: int = 256, learning_rate: float = 0.01,
                 validation_fraction: float = 0.1, random_state: int = 0, device: str = "cpu",
                 n_threads: int | None = 1):
        self.templates = templates
        self.window = window
        self.top_k = top_k
        self.merge_histories = merge_histories
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self._keep_training_parameters(max_epochs=max_epochs, patience=patience, batch_size=batch_size,
                                       learning_rate=learning_rate, validation_fraction=validation_fraction,
                                       random_state=random_state, device=device, n_threads=n_threads)

    def _build_network(self, n_events: int) -> nn.Module:
        return LogAnomalyNetwork(n_events, self._semantic_table(), self.hidden_size, self.num_layers)
