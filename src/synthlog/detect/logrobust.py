"""LogRobust (Zhang et al., ESEC/FSE 2019): an attention-based Bi-LSTM over the semantic vectors of a session.

Supervised: trained on normal and anomalous sessions. Each event becomes the semantic vector of its template, a
bidirectional LSTM reads the session, additive attention weighs its steps, and a softmax layer says normal or
anomalous; the score is the probability of "anomalous" (see :mod:`synthlog.detect.session_classifier`). The
paper builds a template's vector from pretrained FastText word vectors weighted by TF-IDF; without pretrained
vectors offline, the vector here is the TF-IDF vector of the template's words itself
(``synthlog.detect.features.TemplateSemantics``), fitted on the texts of the training events, taken from
``templates`` (event id -> text; ``None`` uses the event ids as texts). A template first seen at scoring time
whose text is known is read through its own vector (from the words training knows), which is what makes the
method robust to log statements that change between versions.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from synthlog.detect.neural import SemanticInputsMixin
from synthlog.detect.session_classifier import SessionClassifier


class AttentionBiLSTM(nn.Module):
    """Semantic vectors -> Bi-LSTM -> attention over the session's steps -> normal/anomalous logits."""

    def __init__(self, table: torch.Tensor, hidden_size: int, num_layers: int):
        super().__init__()
        self.register_buffer("table", table, persistent=False)
        self.lstm = nn.LSTM(table.shape[1], hidden_size, num_layers=num_layers, batch_first=True, bidirectional=True)
        self.attention = nn.Linear(2 * hidden_size, 2 * hidden_size)
        self.context = nn.Linear(2 * hidden_size, 1, bias=False)
        self.output = nn.Linear(2 * hidden_size, 2)

    def forward(self, indices, lengths):
        width = int(lengths.max())
        vectors = functional.embedding(indices[:, :width], self.table)
        packed = pack_padded_sequence(vectors, lengths.cpu(), batch_first=True, enforce_sorted=False)
        states, _ = pad_packed_sequence(self.lstm(packed)[0], batch_first=True, total_length=width)
        scores = self.context(torch.tanh(self.attention(states))).squeeze(-1)
        steps = torch.arange(width, device=indices.device)[None, :] < lengths.to(indices.device)[:, None]
        weights = torch.softmax(scores.masked_fill(~steps, -torch.inf), dim=1)
        return self.output((weights.unsqueeze(-1) * states).sum(dim=1))


class LogRobust(SemanticInputsMixin, SessionClassifier):
    """LogRobust with TF-IDF template vectors; sessions longer than ``max_length`` are cut to their first events."""

    def __init__(self, templates: dict[str, str] | None = None, max_length: int = 32, hidden_size: int = 64,
                 num_layers: int = 1, max_epochs: int = 20, patience: int = 3, batch_size: int = 256,
                 learning_rate: float = 0.005, validation_fraction: float = 0.1, random_state: int = 0,
                 device: str = "cpu", n_threads: int | None = 1):
        self.templates = templates
        self.max_length = max_length
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self._keep_training_parameters(max_epochs=max_epochs, patience=patience, batch_size=batch_size,
                                       learning_rate=learning_rate, validation_fraction=validation_fraction,
                                       random_state=random_state, device=device, n_threads=n_threads)

    def _build_network(self, n_events: int) -> nn.Module:
        return AttentionBiLSTM(self._semantic_table(), self.hidden_size, self.num_layers)
