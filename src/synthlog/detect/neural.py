"""Shared torch machinery of the neural detectors: device, seeding, example sets, padding, training loop.

Every neural detector derives from :class:`NeuralDetector` and trains through :func:`train_network`: mini-batch
Adam on a weighted loss, early stopping on a validation split carved from the *training* sessions
(:func:`carve_validation`), the best epoch's weights restored. Identical training examples are merged into one
example with a weight (:func:`deduplicate`): HDFS sessions repeat massively, so this makes an epoch many times
cheaper without changing the loss it minimises. :class:`SemanticInputsMixin` feeds TF-IDF template vectors to the
semantic models, including those of templates first seen at scoring time (:class:`SemanticVocabulary`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
import torch.utils.deterministic
from torch import nn
from torch.nn import functional

from synthlog.detect.base import SessionDetector
from synthlog.detect.features import OOV, TemplateSemantics, Vocabulary, encode, template_words


class SemanticVocabulary:
    """A training vocabulary extended, for scoring, by the unseen events of some sessions whose text is known.

    Known events keep their indices; an unseen event with template words gets a fresh index after them and its
    TF-IDF vector (from the fitted ``semantics``) as a row of :attr:`table`, so semantic models see what an unseen
    template says (LogRobust's and LogAnomaly's point); unseen events without text stay ``OOV``. It offers
    ``index`` like :class:`~synthlog.detect.features.Vocabulary`, so ``sliding_windows`` accepts it.
    """

    def __init__(self, vocabulary: Vocabulary, semantics: TemplateSemantics, text_of: Callable[[str], str | None],
                 sequences: Sequence[Sequence[str]]):
        unseen = [e for e in encode(sequences).present_events() if e not in vocabulary]
        words = {e: template_words(text) for e in unseen if (text := text_of(e))}
        extra = [e for e in unseen if words.get(e)]
        self.vocabulary = vocabulary
        self._extra = {event: len(vocabulary) + i for i, event in enumerate(extra)}
        rows = [semantics.embedding_matrix(vocabulary)]
        if extra:
            rows.append(semantics.vectorizer.transform([words[e] for e in extra]).toarray())
        self.table = np.vstack(rows).astype(np.float32)

    def index(self, event: str) -> int:
        return self.vocabulary.index(event) if event in self.vocabulary else self._extra.get(event, OOV)


def resolve_device(device: str) -> torch.device:
    """``"cpu"`` (the default everywhere), ``"auto"`` (CUDA when present, else CPU) or an explicit torch device."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except RuntimeError:
        raise ValueError(f"unknown device {device!r} (expected 'cpu', 'auto' or e.g. 'cuda:0')") from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} asked for but CUDA is not available; use device='cpu' or 'auto'")
    return resolved


@contextmanager
def torch_session(random_state: int, n_threads: int | None, device: torch.device) -> Iterator[torch.Generator]:
    """Seeded, deterministic torch for one fit or predict; restores the global RNG, thread count and flags after.

    Yields a CPU generator seeded with ``random_state`` for shuffling. Weight initialisation draws from the global
    RNG, which is forked (so the caller's state is untouched) and seeded here.
    """
    cuda_devices = [device.index or 0] if device.type == "cuda" else []
    previous_threads = torch.get_num_threads()
    previous_deterministic = torch.are_deterministic_algorithms_enabled()
    previous_fill = torch.utils.deterministic.fill_uninitialized_memory
    with torch.random.fork_rng(devices=cuda_devices):
        torch.manual_seed(random_state)
        if n_threads:
            torch.set_num_threads(n_threads)
        # warn_only: a CUDA kernel without a deterministic variant warns instead of failing the fit
        torch.use_deterministic_algorithms(True, warn_only=True)
        # deterministic mode would also fill every new tensor with NaN first (a debugging aid: no kernel here reads
        # memory it did not write): 25,000 fills in 3 epochs of DeepLog, 3-9 % of a fit's CPU, same weights without
        torch.utils.deterministic.fill_uninitialized_memory = False
        try:
            yield torch.Generator().manual_seed(random_state)
        finally:
            torch.utils.deterministic.fill_uninitialized_memory = previous_fill
            torch.use_deterministic_algorithms(previous_deterministic)
            torch.set_num_threads(previous_threads)


def carve_validation(n: int, fraction: float, random_state: int, labels: np.ndarray | None = None
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Split ``range(n)`` into (train, validation) indices; stratified by ``labels`` when given.

    Each class keeps at least one training example; a class too small to spare one gives none to validation.
    """
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"validation_fraction must be in [0, 1), got {fraction}")
    rng = np.random.default_rng(random_state)
    groups = [np.arange(n)] if labels is None else [np.flatnonzero(labels == c) for c in np.unique(labels)]
    train, validation = [], []
    for group in groups:
        shuffled = rng.permutation(group)
        n_validation = min(int(round(fraction * len(shuffled))), len(shuffled) - 1)
        validation.append(shuffled[:n_validation])
        train.append(shuffled[n_validation:])
    empty = np.zeros(0, dtype=np.int64)
    return np.sort(np.concatenate([empty, *train])), np.sort(np.concatenate([empty, *validation]))


@dataclass
class ExampleSet:
    """Training examples as tensors: model inputs (one row per example), targets and a weight per target.

    Without ``owners`` every example has one target and its weight (its multiplicity). With ``owners`` (the
    example of each target, non-decreasing) an example may have several: the network runs once for it and each
    of its targets adds its weighted loss (identical inputs followed by different targets, merged).
    """

    inputs: tuple[torch.Tensor, ...]
    targets: torch.Tensor
    weights: torch.Tensor
    owners: torch.Tensor | None = None

    def __len__(self) -> int:
        return len(self.inputs[0])

    def to(self, device: torch.device) -> ExampleSet:
        return ExampleSet(tuple(t.to(device) for t in self.inputs), self.targets.to(device), self.weights.to(device),
                          None if self.owners is None else self.owners.to(device))

    def batches(self, batch_size: int, generator: torch.Generator | None = None) -> Iterator[ExampleSet]:
        """Mini-batches of examples (each with all its targets), shuffled when a generator is given."""
        n = len(self)
        order = torch.randperm(n, generator=generator) if generator is not None else torch.arange(n)
        sizes = None if self.owners is None else torch.bincount(self.owners, minlength=n)  # targets per example
        firsts = None if sizes is None else torch.cumsum(sizes, 0) - sizes  # each example's first target
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size].to(self.targets.device)
            inputs = tuple(t[idx] for t in self.inputs)
            if sizes is None:
                yield ExampleSet(inputs, self.targets[idx], self.weights[idx])
                continue
            owners = torch.repeat_interleave(torch.arange(len(idx), device=idx.device), sizes[idx])
            # each target of the batch: its example's first target plus its rank among that example's targets
            rank = torch.arange(len(owners), device=idx.device) - (torch.cumsum(sizes[idx], 0) - sizes[idx])[owners]
            picked = firsts[idx][owners] + rank
            yield ExampleSet(inputs, self.targets[picked], self.weights[picked], owners)


def deduplicate(rows: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Merge identical (row, target) examples: returns unique rows, their targets and their counts, sorted."""
    if len(rows) == 0:
        return rows, targets, np.zeros(0, dtype=np.float32)
    joined = np.concatenate([rows, targets[:, None]], axis=1)
    unique, counts = np.unique(joined, axis=0, return_counts=True)
    return unique[:, :-1], unique[:, -1], counts.astype(np.float32)


LossFunction = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return functional.cross_entropy(logits, targets, reduction="none")


def weighted_loss(network: nn.Module, batch: ExampleSet, loss: LossFunction) -> torch.Tensor:
    """Mean per-target loss weighted by multiplicity: the loss of the data before deduplication."""
    outputs = network(*batch.inputs)
    if batch.owners is not None:  # one output per example, read by each of its targets
        outputs = outputs[batch.owners]
    return (loss(outputs, batch.targets) * batch.weights).sum() / batch.weights.sum()


def train_network(network: nn.Module, train: ExampleSet, validation: ExampleSet | None, *, loss: LossFunction,
                  generator: torch.Generator, max_epochs: int, patience: int, batch_size: int,
                  learning_rate: float) -> list[tuple[float, float | None]]:
    """Adam with early stopping on the validation loss; the best epoch's weights are loaded back.

    Without validation examples the training loss decides when to stop. Returns (train, validation) loss per epoch.
    """
    optimizer = torch.optim.Adam(network.parameters(), lr=learning_rate)
    has_validation = validation is not None and len(validation) > 0
    best_loss, best_state, stale = float("inf"), copy.deepcopy(network.state_dict()), 0
    history: list[tuple[float, float | None]] = []
    for _ in range(max_epochs):
        network.train()
        total, weight = 0.0, 0.0
        for batch in train.batches(batch_size, generator):
            optimizer.zero_grad()
            value = weighted_loss(network, batch, loss)
            value.backward()
            optimizer.step()
            total += value.item() * batch.weights.sum().item()
            weight += batch.weights.sum().item()
        train_loss = total / max(weight, 1.0)
        validation_loss = evaluate_loss(network, validation, loss, batch_size) if has_validation else None
        history.append((train_loss, validation_loss))
        monitored = validation_loss if validation_loss is not None else train_loss
        if monitored < best_loss - 1e-4:
            best_loss, best_state, stale = monitored, copy.deepcopy(network.state_dict()), 0
        else:
            stale += 1
            if stale >= patience:
                break
    network.load_state_dict(best_state)
    network.eval()
    return history


@torch.inference_mode()
def evaluate_loss(network: nn.Module, examples: ExampleSet, loss: LossFunction, batch_size: int) -> float:
    network.eval()
    total = sum(weighted_loss(network, b, loss).item() * b.weights.sum().item() for b in examples.batches(batch_size))
    return total / max(examples.weights.sum().item(), 1.0)


@torch.inference_mode()
def forward_in_batches(network: nn.Module, inputs: tuple[torch.Tensor, ...], batch_size: int) -> torch.Tensor:
    """The network's outputs for all rows of ``inputs``, computed in evaluation mode batch by batch."""
    network.eval()
    n = len(inputs[0])
    if n == 0:
        return torch.zeros(0)
    return torch.cat([network(*(t[s:s + batch_size] for t in inputs)) for s in range(0, n, batch_size)])


class SemanticInputsMixin:
    """For detectors fed TF-IDF vectors of template words (LogAnomaly, LogRobust) through a ``table`` buffer.

    Listed before the detector's base class, it provides that base's ``_prepare`` and ``_encoding`` hooks.

    The detector has a ``templates`` parameter (event id -> template text, or ``None``: the event ids are the
    texts, as in data sets keyed by template strings) and a network with a non-persistent ``table`` buffer of
    semantic vectors indexed like the vocabulary. The TF-IDF is fitted on the texts of training events; a template
    first seen at scoring time is vectorised with it (its words known from training count, new words do not).
    """

    templates: dict[str, str] | None
    vocabulary_: Vocabulary
    semantics_: TemplateSemantics
    network_: nn.Module

    def _text_of(self, event: str) -> str | None:
        return event if self.templates is None else self.templates.get(event)

    def _prepare(self) -> None:
        """TF-IDF fitted on the texts of the training events only, so no word or idf of a later template leaks in."""
        self.semantics_ = TemplateSemantics({e: text for e in self.vocabulary_.events if (text := self._text_of(e))})

    def _semantic_table(self) -> torch.Tensor:
        """The training events' semantic vectors, one row per vocabulary index: the network's first ``table``."""
        return torch.as_tensor(self.semantics_.embedding_matrix(self.vocabulary_), dtype=torch.float32)

    def _encoding(self, sessions: Sequence[Sequence[str]]) -> SemanticVocabulary:
        """The sessions' encoding; loads its semantic table (unseen events' vectors included) into the network."""
        encoding = SemanticVocabulary(self.vocabulary_, self.semantics_, self._text_of, sessions)
        self.network_.table = torch.as_tensor(encoding.table, device=self.network_.table.device)
        return encoding


class NeuralDetector(SessionDetector):
    """The skeleton every neural detector shares: a vocabulary, a network trained in a seeded torch context.

    Subclasses supply ``_build_network(n_events)``, ``_examples(sessions, labels)`` (the training examples) and
    ``_scores(sessions)`` (run inside the seeded context), and may hook ``_prepare`` and ``_encoding``. Their
    ``_fit`` carves the validation split and calls :meth:`_train`.
    """

    max_epochs: int
    patience: int
    batch_size: int
    learning_rate: float
    validation_fraction: float
    random_state: int
    device: str
    n_threads: int | None

    def _keep_training_parameters(self, *, max_epochs: int, patience: int, batch_size: int, learning_rate: float,
                                  validation_fraction: float, random_state: int, device: str,
                                  n_threads: int | None) -> None:
        """Constructor helper: store the parameters every neural detector takes (scikit-learn reads them by name)."""
        self.max_epochs = max_epochs
        self.patience = patience
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.validation_fraction = validation_fraction
        self.random_state = random_state
        self.device = device
        self.n_threads = n_threads

    def _build_network(self, n_events: int) -> nn.Module:
        raise NotImplementedError

    def _examples(self, sessions: list[list[str]], labels: np.ndarray | None) -> ExampleSet:
        raise NotImplementedError

    def _scores(self, sessions: list[list[str]]) -> np.ndarray:
        raise NotImplementedError

    def _prepare(self) -> None:
        """Hook run after the vocabulary is fitted and before the network is built (semantic tables ...)."""

    def _encoding(self, sessions: Sequence[Sequence[str]]):
        """What encodes the sessions' event ids as indices (the vocabulary, or a semantic extension of it)."""
        return self.vocabulary_

    def _train(self, training: list[list[str]], validation: list[list[str]], training_labels: np.ndarray | None = None,
               validation_labels: np.ndarray | None = None) -> np.ndarray:
        """Fit the vocabulary on ``training``, then build and train the network with early stopping on
        ``validation``; returns the validation sessions' scores."""
        self.device_ = resolve_device(self.device)
        self.vocabulary_ = Vocabulary.fit(training)
        self._prepare()
        with torch_session(self.random_state, self.n_threads, self.device_) as generator:
            self.network_ = self._build_network(len(self.vocabulary_)).to(self.device_)
            self.history_ = train_network(
                self.network_, self._examples(training, training_labels),
                self._examples(validation, validation_labels), loss=cross_entropy, generator=generator,
                max_epochs=self.max_epochs, patience=self.patience, batch_size=self.batch_size,
                learning_rate=self.learning_rate)
            return self._scores(validation)

    def _score(self, sessions: list[list[str]]) -> np.ndarray:
        with torch_session(self.random_state, self.n_threads, self.device_):
            return self._scores(sessions)
