"""Unseen-normal coverage: does a synthetic set hold the real normal sessions that a sparse training part misses?

The mechanism behind code-guided augmentation: a detector trained on few normal sessions flags valid sessions it
never saw. Synthetic normal sessions help only where they contain those sessions. Given a real training part, a
real test part and a synthetic set (all labeled :class:`~synthlog.records.LabeledDataset`\\ s)::

    unseen_coverage(train, test, synthetic) -> {
        "exact":        share of normal test sessions whose event sequence no normal training session has, whose
                        sequence some synthetic normal session has (sessions counted with multiplicity),
        "count_vector": the same with count vectors (template -> occurrences, order ignored),
        "label_agreement": over synthetic sessions whose sequence occurs in the labeled real data (train and test),
                        the mean share of those real sessions that carry the synthetic session's label,
        ... and the counts each share is made of}

Evaluation only: the test part is read here, never by a generator or its calibration.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from synthlog.records import ANOMALY, NORMAL, LabeledDataset, Session

Sequence = tuple[str, ...]


def count_vector(sequence: Sequence) -> tuple[tuple[str, int], ...]:
    """A sequence's template counts, order ignored, as a hashable sorted tuple."""
    return tuple(sorted(Counter(sequence).items()))


def _sequences(sessions: Iterable[Session], label: int | None = None) -> list[Sequence]:
    return [tuple(s.event_ids) for s in sessions if label is None or s.label == label]


def _share(hit: int, total: int) -> float | None:
    return hit / total if total else None


def unseen_coverage(train: LabeledDataset, test: LabeledDataset, synthetic: LabeledDataset) -> dict[str, Any]:
    """Coverage of the normal test sessions unseen in the normal training sessions (see the module docstring).

    A share is None when there is nothing to share (no unseen session; no synthetic session found in real data).
    """
    train_normal = _sequences(train.sessions, NORMAL)
    test_normal = _sequences(test.sessions, NORMAL)
    synth_normal = set(_sequences(synthetic.sessions, NORMAL))
    seen = set(train_normal)
    unseen = [s for s in test_normal if s not in seen]
    exact_hits = sum(1 for s in unseen if s in synth_normal)

    unseen_vectors, missed = _vector_gap(train_normal, test_normal, synth_normal)
    vector_hits = len(unseen_vectors) - sum(missed.values())

    real_labels: dict[Sequence, Counter[int]] = defaultdict(Counter)
    for session in [*train.sessions, *test.sessions]:
        if session.label in (NORMAL, ANOMALY):
            real_labels[tuple(session.event_ids)][session.label] += 1
    matched = 0
    agreement = 0.0
    for session in synthetic.sessions:
        labels = real_labels.get(tuple(session.event_ids))
        if labels:
            matched += 1
            agreement += labels[session.label] / sum(labels.values())
    return {
        "exact": _share(exact_hits, len(unseen)),
        "count_vector": _share(vector_hits, len(unseen_vectors)),
        "label_agreement": _share(agreement, matched) if matched else None,
        "unseen_sessions": len(unseen),
        "unseen_sequences": len(set(unseen)),
        "unseen_covered_sessions": exact_hits,
        "unseen_covered_sequences": len({s for s in unseen if s in synth_normal}),
        "unseen_vector_sessions": len(unseen_vectors),
        "unseen_vector_covered_sessions": vector_hits,
        "test_normal_sessions": len(test_normal),
        "synthetic_sessions": len(synthetic.sessions),
        "synthetic_normal_sessions": sum(1 for s in synthetic.sessions if s.label == NORMAL),
        "synthetic_found_in_real": matched,
    }


def missed_vectors(train: LabeledDataset, test: LabeledDataset, synthetic: LabeledDataset) -> Counter:
    """Count vector -> how many normal test sessions have it, for the vectors that no normal training session has
    and no normal synthetic session holds: the unseen mixes a generator misses, most telling first with
    ``most_common``."""
    return _vector_gap(_sequences(train.sessions, NORMAL), _sequences(test.sessions, NORMAL),
                       _sequences(synthetic.sessions, NORMAL))[1]


def _vector_gap(train: Iterable[Sequence], test: Iterable[Sequence], synthetic: Iterable[Sequence]
                ) -> tuple[list, Counter]:
    """The count vectors of the test sequences that no training sequence has (one per sequence), and of these
    the ones no synthetic sequence has, counted."""
    seen = {count_vector(s) for s in train}
    made = {count_vector(s) for s in synthetic}
    unseen = [v for v in map(count_vector, test) if v not in seen]
    return unseen, Counter(v for v in unseen if v not in made)
