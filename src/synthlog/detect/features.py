"""Features of sessions: an event vocabulary with OOV, count vectors (TF-IDF), sliding windows, template semantics.

Everything here is fitted on training sessions only and applied unchanged to the sessions being scored, so no
statistic of validation or test data leaks into a detector. Event ids never seen in training share the ``<OOV>``
index; index 0 is reserved for padding so next-event models can pad short histories.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer

PAD = 0
OOV = 1
OOV_TOKEN = "<OOV>"


class Vocabulary:
    """Event ids seen in training, in sorted order, at indices 2..; ``PAD`` is 0 and every unseen id is ``OOV`` (1)."""

    def __init__(self, events: Iterable[str]):
        self.events: list[str] = sorted(set(events))
        self._index = {event: i + 2 for i, event in enumerate(self.events)}

    @classmethod
    def fit(cls, sequences: Iterable[Sequence[str]]) -> Vocabulary:
        return cls(e for seq in sequences for e in seq)

    def __len__(self) -> int:
        """Number of indices, padding and OOV included (the size of an embedding table)."""
        return len(self.events) + 2

    def __contains__(self, event: str) -> bool:
        return event in self._index

    def index(self, event: str) -> int:
        return self._index.get(event, OOV)

    def encode(self, sequence: Sequence[str]) -> np.ndarray:
        return np.fromiter((self._index.get(e, OOV) for e in sequence), dtype=np.int64, count=len(sequence))

    @property
    def columns(self) -> list[str]:
        """Names of count-vector columns: ``<OOV>`` first, then the known events."""
        return [OOV_TOKEN, *self.events]


def count_matrix(sequences: Sequence[Sequence[str]], vocab: Vocabulary) -> sparse.csr_matrix:
    """Sessions x (OOV + known events) matrix of event counts (column ``j`` = vocabulary index ``j + 1``)."""
    indptr = [0]
    indices: list[int] = []
    for seq in sequences:
        indices.extend(vocab.index(e) - 1 for e in seq)
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.float64)
    matrix = sparse.csr_matrix((data, np.asarray(indices, dtype=np.int64), np.asarray(indptr)),
                               shape=(len(sequences), len(vocab) - 1))
    matrix.sum_duplicates()
    return matrix


class EventCounter(TransformerMixin, BaseEstimator):
    """Event-count vectors of sessions, optionally TF-IDF weighted and normalised (loglizer's FeatureExtractor).

    ``weighting="tf-idf"`` multiplies each column by ``ln((1 + n) / (1 + df)) + 1`` of the ``n`` training sessions;
    ``normalization="zero-mean"`` subtracts the training column means, ``"sigmoid"`` squashes counts into
    (0, 1), ``"l2"`` scales each row to unit length. The first column counts OOV events.
    """

    def __init__(self, weighting: str | None = None, normalization: str | None = None):
        self.weighting = weighting
        self.normalization = normalization

    def fit(self, sequences: Sequence[Sequence[str]], y=None):
        if self.weighting not in (None, "tf-idf"):
            raise ValueError(f"weighting must be None or 'tf-idf', not {self.weighting!r}")
        if self.normalization not in (None, "zero-mean", "sigmoid", "l2"):
            raise ValueError(f"normalization must be None, 'zero-mean', 'sigmoid' or 'l2', not {self.normalization!r}")
        self.vocabulary_ = Vocabulary.fit(sequences)
        counts = count_matrix(sequences, self.vocabulary_)
        n = counts.shape[0]
        if self.weighting == "tf-idf":
            # scikit-learn's smoothed idf; loglizer's log(n / df) gives 0 to an event present in every training
            # session, which hides the sessions that lack it (the truncated-block anomalies of HDFS)
            df = np.asarray((counts > 0).sum(axis=0)).ravel()
            self.idf_ = np.log((1 + n) / (1 + df)) + 1.0
        else:
            self.idf_ = np.ones(counts.shape[1])
        weighted = counts.multiply(self.idf_).tocsr()
        self.mean_ = np.asarray(weighted.mean(axis=0)).ravel()
        return self

    def transform(self, sequences: Sequence[Sequence[str]]) -> np.ndarray:
        matrix = count_matrix(sequences, self.vocabulary_).multiply(self.idf_).toarray()
        if self.normalization == "zero-mean":
            matrix -= self.mean_
        elif self.normalization == "sigmoid":
            matrix[matrix != 0] = 1 / (1 + np.exp(-matrix[matrix != 0]))
        elif self.normalization == "l2":
            matrix = unit_rows(matrix)
        return matrix


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    """Each row scaled to unit L2 length; an all-zero row stays zero."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.divide(matrix, norms, out=np.zeros_like(matrix, dtype=np.float64), where=norms > 0)


@dataclass(frozen=True)
class Windows:
    """Next-event training pairs: ``histories[i]`` (padded with ``PAD`` on the left) is followed by ``targets[i]``
    in session ``sessions[i]``."""

    histories: np.ndarray  # int64 (n, window)
    targets: np.ndarray  # int64 (n,)
    sessions: np.ndarray  # int64 (n,)


def sliding_windows(sequences: Sequence[Sequence[str]], window: int, vocab: Vocabulary) -> Windows:
    """Every event of every session as a target with the ``window`` events before it as history (DeepLog style).

    The first events of a session get left-padded histories, so a session of ``n`` events yields ``n`` pairs and a
    wrong first event is caught too. Unknown events encode as ``OOV`` (as targets they can never be predicted).
    """
    if window < 1:
        raise ValueError(f"window must be at least 1, not {window}")
    encoded = [vocab.encode(seq) for seq in sequences]
    total = sum(len(e) for e in encoded)
    histories = np.full((total, window), PAD, dtype=np.int64)
    targets = np.empty(total, dtype=np.int64)
    owners = np.empty(total, dtype=np.int64)
    row = 0
    for s, codes in enumerate(encoded):
        padded = np.concatenate([np.full(window, PAD, dtype=np.int64), codes])
        n = len(codes)
        if n:
            histories[row:row + n] = np.lib.stride_tricks.sliding_window_view(padded, window)[:n]
            targets[row:row + n] = codes
            owners[row:row + n] = s
            row += n
    return Windows(histories, targets, owners)


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NON_WORD = re.compile(r"[^A-Za-z]+")


def template_words(text: str) -> str:
    """The words of a template for semantic vectors: variables dropped, camelCase and punctuation split, lowercase."""
    text = text.replace("<*>", " ")
    return " ".join(w.lower() for w in _NON_WORD.split(_CAMEL.sub(" ", text)) if w)


def normalise_template(text: str) -> str:
    """A template's text reduced to lowercase words, to match templates written by different parsers."""
    return " ".join(_NON_WORD.split(text.replace("<*>", " ").lower())).strip()


class TemplateSemantics:
    """TF-IDF vectors of template words (scikit-learn), looked up by event id.

    Fitted on the template texts given (the detectors give those of their training events, so that no word or
    idf of a later template leaks in); :attr:`vectorizer` then vectorises the text of a template first seen at
    scoring time (LogAnomaly's and LogRobust's point). Ids without text get a zero vector.
    """

    def __init__(self, templates: Mapping[str, str]):
        self.words = {event: template_words(text) for event, text in sorted(templates.items())}
        self.vectorizer = TfidfVectorizer(token_pattern=r"[a-z]+")
        self.vectorizer.fit([w for w in self.words.values() if w] or ["empty"])
        self._cache: dict[str, np.ndarray] = {}

    @property
    def dim(self) -> int:
        return len(self.vectorizer.vocabulary_)

    def vector(self, event: str) -> np.ndarray:
        if event not in self._cache:
            words = self.words.get(event, "")
            self._cache[event] = (self.vectorizer.transform([words]).toarray()[0] if words else np.zeros(self.dim))
        return self._cache[event]

    def embedding_matrix(self, vocab: Vocabulary) -> np.ndarray:
        """One row per vocabulary index (PAD and OOV rows are zero), for an embedding layer."""
        matrix = np.zeros((len(vocab), self.dim))
        for event in vocab.events:
            matrix[vocab.index(event)] = self.vector(event)
        return matrix
