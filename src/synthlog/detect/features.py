"""Features of sessions: an event vocabulary with OOV, count vectors (TF-IDF), sliding windows, template semantics.

Everything here is fitted on training sessions only and applied unchanged to the sessions being scored, so no
statistic of validation or test data leaks into a detector. Event ids never seen in training share the ``<OOV>``
index; index 0 is reserved for padding so next-event models can pad short histories.

Sessions are encoded once as one flat integer array (:func:`encode`), and every feature is built from it with
numpy / scipy.sparse, never with a Python loop over events. :class:`Sessions` (a list of event-id lists, as the
detector contract asks) also remembers its encoding, its subsets and the count matrices built from it, so the
detectors of one bench regime share them instead of rebuilding them one by one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

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
    def fit(cls, sequences: Sequence[Sequence[str]]) -> Vocabulary:
        return cls(encode(sequences).present_events())

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


@dataclass(frozen=True)
class Encoded:
    """Sessions as integers: session ``i`` is ``codes[offsets[i]:offsets[i + 1]]``, each code an index into
    ``events`` (which may hold events no session of a subset uses)."""

    events: list[str]
    codes: np.ndarray  # int64, every event of every session, in order
    offsets: np.ndarray  # int64 (n + 1,)

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def present_events(self) -> list[str]:
        return [self.events[i] for i in np.unique(self.codes)]

    def table(self, vocab: Vocabulary | Any) -> np.ndarray:
        """``vocab``'s index (anything with ``index(event)``) of each of :attr:`events`."""
        return np.fromiter((vocab.index(e) for e in self.events), dtype=np.int64, count=len(self.events))

    def indices(self, vocab: Vocabulary | Any) -> np.ndarray:
        """Every event as an index of ``vocab``: one lookup per distinct event, then one gather."""
        return self.table(vocab)[self.codes]

    def padded(self, vocab: Vocabulary | Any, max_length: int) -> np.ndarray:
        """Sessions as one index matrix: each cut to its first ``max_length`` events, right-padded with ``PAD``;
        as wide as the longest kept session (at least 1)."""
        kept = np.minimum(self.lengths, max_length)
        n = len(kept)
        out = np.full((n, max(int(kept.max(initial=0)), 1)), PAD, dtype=np.int64)
        rows = np.repeat(np.arange(n, dtype=np.int64), kept)
        columns = np.arange(int(kept.sum())) - np.repeat(np.cumsum(kept) - kept, kept)
        out[rows, columns] = self.table(vocab)[self.codes[self.offsets[:-1][rows] + columns]]
        return out

    def take(self, rows: np.ndarray) -> Encoded:
        """The encoding of sessions ``rows`` (indices), in that order."""
        lengths = self.lengths[rows]
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        # position of every kept event in ``codes``: its session's start plus its place in the session
        starts = np.repeat(self.offsets[:-1][rows] - offsets[:-1], lengths)
        return Encoded(self.events, self.codes[starts + np.arange(offsets[-1])], offsets)


def encode(sequences: Sequence[Sequence[str]]) -> Encoded:
    """The integer encoding of sessions (remembered by :class:`Sessions`); the loops over events run inside C."""
    if isinstance(sequences, Sessions):
        return sequences.encoded
    flat = list(chain.from_iterable(sequences))
    events = sorted(set(flat))
    position = {event: i for i, event in enumerate(events)}
    codes = np.fromiter(map(position.__getitem__, flat), dtype=np.int64, count=len(flat))
    lengths = np.fromiter(map(len, sequences), dtype=np.int64, count=len(sequences))
    return Encoded(events, codes, np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64))


class Sessions(list):
    """A list of sessions (event-id lists) that remembers what is built from it: its :class:`Encoded` form, its
    subsets and anything else keyed by :meth:`cached` (count matrices per vocabulary, windows, ...).

    The bench wraps each part of each (seed, regime) in one, so its detectors build their features once. Treat it
    as read-only: the remembered results would not follow a change. Pickled, it keeps them (they travel to where
    the cells run).
    """

    def __init__(self, sequences: Iterable[Sequence[str]] = ()):
        super().__init__(list(map(str, s)) for s in sequences)
        self._memo: dict[Hashable, Any] = {}

    def cached(self, key: Hashable, build: Callable[[], Any]) -> Any:
        """``build()``, computed on the first call with ``key`` and remembered."""
        if key not in self._memo:
            self._memo[key] = build()
        return self._memo[key]

    @property
    def encoded(self) -> Encoded:
        return self.cached("encoded", lambda: encode(list(self)))

    def take(self, rows: np.ndarray) -> Sessions:
        """The sessions at ``rows`` (indices, in that order), remembered, its encoding cut from this one."""
        rows = np.asarray(rows, dtype=np.int64)

        def build() -> Sessions:
            subset = Sessions.__new__(Sessions)
            list.__init__(subset, (self[i] for i in rows))  # already strings
            subset._memo = {"encoded": self.encoded.take(rows)}
            return subset

        return self.cached(("take", rows.tobytes()), build)

    def distinct(self) -> tuple[Sessions, np.ndarray]:
        """The distinct sessions (first occurrence order) and, per session, the index of its distinct one."""
        def build() -> tuple[Sessions, np.ndarray]:
            index: dict[tuple[str, ...], int] = {}
            inverse = np.fromiter((index.setdefault(tuple(s), len(index)) for s in self), dtype=np.int64,
                                  count=len(self))
            first = np.unique(inverse, return_index=True)[1]
            return self.take(first), inverse

        return self.cached("distinct", build)


def remember(sequences: Sequence[Sequence[str]], key: Hashable, build: Callable[[], Any]) -> Any:
    """``build()``, remembered under ``key`` when ``sequences`` is a :class:`Sessions` (else built every time)."""
    return sequences.cached(key, build) if isinstance(sequences, Sessions) else build()


def subset(sequences: Sequence[Sequence[str]], rows: np.ndarray) -> Sequence[Sequence[str]]:
    """The sessions at ``rows``: a remembered :class:`Sessions` subset when ``sequences`` is one, else a list."""
    return sequences.take(rows) if isinstance(sequences, Sessions) else [sequences[i] for i in rows]


def count_matrix(sequences: Sequence[Sequence[str]], vocab: Vocabulary) -> sparse.csr_matrix:
    """Sessions x (OOV + known events) matrix of event counts (column ``j`` = vocabulary index ``j + 1``).

    Remembered per vocabulary for :class:`Sessions` (read-only then: do not modify the matrix in place).
    """
    if isinstance(sequences, Sessions):
        return sequences.cached(("counts", tuple(vocab.events)), lambda: _count_matrix(sequences.encoded, vocab))
    return _count_matrix(encode(sequences), vocab)


def _count_matrix(encoded: Encoded, vocab: Vocabulary) -> sparse.csr_matrix:
    n = len(encoded.offsets) - 1
    columns = encoded.indices(vocab) - 1
    rows = np.repeat(np.arange(n, dtype=np.int64), encoded.lengths)
    matrix = sparse.csr_matrix((np.ones(len(columns), dtype=np.float64), (rows, columns)),
                               shape=(n, len(vocab) - 1))
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
    encoded = encode(sequences)
    codes, lengths = encoded.indices(vocab), encoded.lengths
    if len(codes) == 0:
        return Windows(np.zeros((0, window), dtype=np.int64), codes, np.zeros(0, dtype=np.int64))
    owners = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    # every session preceded by ``window`` PADs in one flat array; an event's history is the window before it
    padded = np.full(len(codes) + window * len(lengths), PAD, dtype=np.int64)
    positions = np.arange(len(codes)) + window * (owners + 1)
    padded[positions] = codes
    histories = np.lib.stride_tricks.sliding_window_view(padded, window)[positions - window]
    return Windows(np.ascontiguousarray(histories), codes, owners)


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
