"""Session features: vocabulary with PAD/OOV, count vectors and TF-IDF fitted on training only, windows, semantics."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from synthlog.detect.features import (
    OOV,
    PAD,
    EventCounter,
    Sessions,
    TemplateSemantics,
    Vocabulary,
    count_matrix,
    encode,
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


@given(sessions_strategy, sessions_strategy, st.integers(1, 4), st.integers(1, 6))
def test_remembering_sessions_give_what_plain_lists_give(train, test, window, max_length):
    """Features read through a Sessions (its flat encoding, remembered) equal those of plain lists, event by event."""
    vocab = Vocabulary.fit(train)
    remembered = Sessions(test)
    assert remembered == test and Vocabulary.fit(Sessions(train)).events == vocab.events
    expected = np.zeros((len(test), len(vocab) - 1))
    for row, session in enumerate(test):
        for event in session:
            expected[row, vocab.index(event) - 1] += 1
    for sequences in (test, remembered, remembered):  # the second Sessions call reads what the first remembered
        assert np.array_equal(count_matrix(sequences, vocab).toarray(), expected)
        windows = sliding_windows(sequences, window, vocab)
        histories = [([PAD] * window + [vocab.index(e) for e in s])[i:i + window] for s in test for i in range(len(s))]
        assert windows.histories.tolist() == histories
        padded = encode(sequences).padded(vocab, max_length)
        assert padded.shape[0] == len(test)
        for row, session in enumerate(test):
            kept = [vocab.index(e) for e in session[:max_length]]
            assert padded[row].tolist() == kept + [PAD] * (padded.shape[1] - len(kept))
    rows = np.arange(len(test))[::-2]
    subset = remembered.take(rows)
    assert subset == [test[i] for i in rows] and remembered.take(rows) is subset
    assert np.array_equal(subset.encoded.indices(vocab), encode([test[i] for i in rows]).indices(vocab))
    distinct, inverse = remembered.distinct()
    assert [distinct[i] for i in inverse] == test and len({tuple(s) for s in distinct}) == len(distinct)


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
