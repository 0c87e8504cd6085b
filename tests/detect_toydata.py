"""Small HDFS-like labeled sessions for detector and bench tests: a seeded grammar, no files needed."""

from __future__ import annotations

import numpy as np

from synthlog.records import ANOMALY, NORMAL, LabeledDataset, Session, Template

TEXTS = {
    "A": "BLOCK* NameSystem.allocateBlock: <*>",
    "B": "Receiving block <*> src: /<*> dest: /<*>",
    "C": "PacketResponder <*> for block <*> terminating",
    "D": "BLOCK* NameSystem.addStoredBlock: blockMap updated: <*> is added to <*> size <*>",
    "E": "Exception in receiveBlock for block <*> <*>",
}


def session(rng: np.random.Generator, anomalous: bool) -> list[str]:
    replicas = int(rng.integers(2, 4))
    events = ["A"] + ["B"] * replicas + ["C"] * replicas + ["D"] * replicas
    if anomalous:
        if rng.random() < 0.5:
            events.insert(int(rng.integers(1, len(events))), "E")  # an exception line
        else:
            events = events[: 1 + replicas]  # the block was never acknowledged
    return events


def toy_sequences(n_normal: int, n_anomalous: int, seed: int = 0) -> tuple[list[list[str]], np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = np.array([NORMAL] * n_normal + [ANOMALY] * n_anomalous)
    labels = labels[rng.permutation(len(labels))]
    return [session(rng, bool(label)) for label in labels], labels


def toy_dataset(n_normal: int, n_anomalous: int, seed: int = 0, prefix: str = "", name: str = "toy") -> LabeledDataset:
    """Sessions with template ids ``prefix + letter`` and the HDFS texts above (a generator may use other ids)."""
    sequences, labels = toy_sequences(n_normal, n_anomalous, seed)
    sessions = [Session.from_event_ids(f"{name}-{i}", [prefix + e for e in seq], int(label))
                for i, (seq, label) in enumerate(zip(sequences, labels, strict=True))]
    templates = {prefix + k: Template(prefix + k, text) for k, text in TEXTS.items()}
    return LabeledDataset(name=name, sessions=sessions, templates=templates)
