"""Core records: labels, sessions, data sets."""

import pytest

from synthlog.records import ANOMALY, NORMAL, LabeledDataset, Session, label_from_word, label_to_word


def test_label_words_round_trip():
    for word, value in [("Normal", NORMAL), ("Anomaly", ANOMALY), ("0", NORMAL), ("1", ANOMALY)]:
        assert label_from_word(word) == value
    assert label_to_word(label_from_word("anomaly")) == "Anomaly"
    with pytest.raises(ValueError, match="unknown label"):
        label_from_word("maybe")
    with pytest.raises(ValueError):
        label_to_word(None)


def test_dataset_views_and_subset():
    ds = LabeledDataset("x", sessions=[Session.from_event_ids("a", ["E1", "E2"], NORMAL),
                                       Session.from_event_ids("b", ["E3"], ANOMALY)])
    assert ds.sequences == [["E1", "E2"], ["E3"]]
    assert ds.labels == [NORMAL, ANOMALY]
    assert ds.label_counts() == {"Normal": 1, "Anomaly": 1}
    sub = ds.subset([1])
    assert [s.id for s in sub] == ["b"] and len(ds) == 2
