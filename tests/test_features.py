"""Session features: vocabulary with PAD/OOV, count vectors and TF-IDF fitted on training only, windows, semantics."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from synthlog.detect.features import (
    OOV,
    PAD,
    EventCounter,
    TemplateSemantics,
    Vocabulary,
    count_matrix,
    normalise_template,
    sliding_windows,
    template_words,
)

sessions_strategy = st.lists(st.lists(st.sampled_from(["a", "b", "c", "d"]), max_size=12), min_size=1, max_size=20)


def test_vocabulary_sorted_with_pad_and_oov():
    vocab = Vocabulary.fit([["b", "a"], ["c", "a"]])
    assert vocab.events == ["a", "b", "c"] and len(vocab) == 5
    assert [vocab.index(e) for e in ["a", "b", "c"]] == [2, 3, 4]
    assert vocab.index("never-seen") == OOV and "never-seen" not in vocab
    assert vocab.encode(["c", "zz"]).tolist() == [4, OOV]
    assert vocab.columns == ["<OOV>", "a", "b", "c"]


@given(sessions_strategy, sessions_strategy)
def test_count_matrix_counts_every_event_once(train, test):
    vocab = Vocabulary.fit(train)
    counts = count_matrix(test, vocab).toarray()
    assert counts.shape == (len(test), len(vocab) - 1)
    assert counts.sum(axis=1).tolist() == [len(s) for s in test]
    unseen = [sum(e not in vocab for e in s) for s in test]
    assert counts[:, 0].tolist() == unseen


def test_tfidf_and_mean_come_from_training_only():
    train = [["a", "b"], ["a"], ["a", "c"]]
    counter = EventCounter(weighting="tf-idf", normalization="zero-mean").fit(train)
    before = counter.transform([["b"]])
    counter.transform([["b"]] * 50 + [["zz", "zz"]])  # scoring other sessions changes nothing learnt
    assert np.array_equal(counter.transform([["b"]]), before)
    idf = dict(zip(counter.vocabulary_.columns, counter.idf_, strict=True))
    assert np.isclose(idf["a"], 1.0) and np.isclose(idf["b"], np.log(4 / 2) + 1) and idf["<OOV>"] > idf["b"]
    oov_row = EventCounter(weighting="tf-idf").fit(train).transform([["zz", "zz"]])[0]
    assert oov_row[0] > 0 and not oov_row[1:].any()


def test_l2_and_sigmoid_normalisations():
    train = [["a", "a", "b"], []]
    l2 = EventCounter(normalization="l2").fit(train).transform(train)
    assert np.isclose(np.linalg.norm(l2[0]), 1.0) and not l2[1].any()
    sig = EventCounter(normalization="sigmoid").fit(train).transform([["a"]])
    assert np.isclose(sig[0, 1], 1 / (1 + np.exp(-1)))


def test_sliding_windows_pad_histories_and_mark_oov_targets():
    vocab = Vocabulary.fit([["a", "b", "c"]])
    windows = sliding_windows([["a", "b", "c"], ["x"], []], window=2, vocab=vocab)
    a, b, c = (vocab.index(e) for e in "abc")
    assert windows.histories.tolist() == [[PAD, PAD], [PAD, a], [a, b], [PAD, PAD]]
    assert windows.targets.tolist() == [a, b, c, OOV]
    assert windows.sessions.tolist() == [0, 0, 0, 1]


@given(sessions_strategy, st.integers(1, 5))
def test_sliding_windows_one_pair_per_event(sequences, window):
    vocab = Vocabulary.fit(sequences[:1])
    windows = sliding_windows(sequences, window, vocab)
    assert windows.histories.shape == (sum(map(len, sequences)), window)
    for row, (target, owner) in enumerate(zip(windows.targets, windows.sessions, strict=True)):
        position = row - sum(len(s) for s in sequences[:owner])
        assert target == vocab.index(sequences[owner][position])


def test_template_words_and_normalisation():
    assert template_words("BLOCK* NameSystem.addStoredBlock: <*>") == "block name system add stored block"
    assert normalise_template("<*>Receiving block<*>src:<*>dest:<*>") == \
        normalise_template("Receiving block <*> src: /<*> dest: /<*>")


def test_template_semantics_cover_unseen_templates_with_text():
    semantics = TemplateSemantics({"1": "Receiving block <*>", "2": "PacketResponder terminating", "3": "<*>"})
    assert semantics.vector("1").any() and not semantics.vector("3").any() and not semantics.vector("9").any()
    vocab = Vocabulary.fit([["1"]])
    matrix = semantics.embedding_matrix(vocab)
    assert matrix.shape == (len(vocab), semantics.dim) and not matrix[PAD].any() and not matrix[OOV].any()
    assert np.array_equal(matrix[vocab.index("1")], semantics.vector("1"))
    assert semantics.vector("2").any()  # outside the vocabulary, but its text is known
