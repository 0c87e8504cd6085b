"""The neural detectors on small hand-built sessions: contract, OOV, supervision, determinism, separation."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.metrics import roc_auc_score

from synthlog.detect.base import DetectorInputError
from synthlog.detect.cnn import CNNDetector
from synthlog.detect.deeplog import DeepLog
from synthlog.detect.loganomaly import LogAnomaly
from synthlog.detect.logrobust import LogRobust
from synthlog.detect.neural import (
    ExampleSet,
    carve_validation,
    cross_entropy,
    deduplicate,
    resolve_device,
    weighted_loss,
)
from synthlog.detect.registry import NEURAL, make_detector
from synthlog.detect.transformer import TransformerDetector

TEMPLATES = {"start": "Starting job <*>", "work": "Worker <*> processed block <*>", "ack": "Block <*> acknowledged",
             "stop": "Job <*> finished", "error": "Exception while writing block <*>"}
TINY = {"max_epochs": 40, "patience": 5, "batch_size": 16, "learning_rate": 0.02}


def tiny(cls, **params):
    size = {"hidden_size": 16} if cls in (DeepLog, LogAnomaly, LogRobust) else {}
    if cls is TransformerDetector:
        size = {"model_dim": 16, "num_heads": 2, "feedforward_dim": 32}
    if cls is CNNDetector:
        size = {"embedding_dim": 8, "filters": 8}
    templates = {"templates": TEMPLATES} if cls in (LogAnomaly, LogRobust) else {}
    return cls(**{**TINY, **size, **templates, **params})


def normal_session(rng: np.random.Generator) -> list[str]:
    return ["start", *(["work", "ack"] * int(rng.integers(1, 4))), "stop"]


def anomalous_session(rng: np.random.Generator) -> list[str]:
    session = normal_session(rng)
    kind = int(rng.integers(3))
    if kind == 0:  # acknowledged before the work was done
        session[1], session[2] = session[2], session[1]
    elif kind == 1:  # never finishes
        session = session[:-1]
    else:  # an error in the middle
        session.insert(2, "error")
    return session


def toy_data(seed: int, n_normal: int, n_anomalous: int) -> tuple[list[list[str]], np.ndarray]:
    rng = np.random.default_rng(seed)
    sessions = [normal_session(rng) for _ in range(n_normal)] + [anomalous_session(rng) for _ in range(n_anomalous)]
    return sessions, np.array([0] * n_normal + [1] * n_anomalous)


UNSUPERVISED = [DeepLog, LogAnomaly, TransformerDetector]
SUPERVISED = [LogRobust, CNNDetector]
ALL = UNSUPERVISED + SUPERVISED


@pytest.fixture(scope="module")
def fitted() -> dict[type, tuple]:
    """Each detector fitted twice with the same seed on the same toy training data, and its test scores."""
    train_x, train_y = toy_data(1, 150, 30)
    test_x, test_y = toy_data(2, 60, 30)
    out = {}
    for cls in ALL:
        models = [tiny(cls, random_state=7).fit(train_x, train_y) for _ in range(2)]
        out[cls] = (models, test_x, test_y, [m.decision_function(test_x) for m in models])
    return out


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_scores_anomalies_above_normals(fitted, cls):
    _, _, test_y, (scores, _) = fitted[cls]
    assert roc_auc_score(test_y, scores) > 0.9


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_same_seed_gives_the_same_scores(fitted, cls):
    _, _, _, (first, second) = fitted[cls]
    assert np.array_equal(first, second)


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_predict_is_score_above_threshold(fitted, cls):
    (model, _), test_x, _, (scores, _) = fitted[cls]
    assert np.array_equal(model.predict(test_x), (scores > model.threshold_).astype(int))
    assert set(model.predict(test_x).tolist()) <= {0, 1}
    assert copy.deepcopy(model).set_threshold(-1.0).predict(test_x).all()


@pytest.mark.parametrize("cls", UNSUPERVISED, ids=lambda c: c.__name__)
def test_next_event_models_score_the_worst_rank(fitted, cls):
    (model, _), _, _, _ = fitted[cls]
    known = len(model.vocabulary_) - 2  # the four training events and the end marker
    assert known == 5
    assert 1 <= model.top_k_ <= known and model.threshold_ == model.top_k_
    unseen = model.decision_function([["start", "work", "never-seen", "ack", "stop"]])
    assert unseen[0] == known + 1  # an unseen event is outside every top k
    assert model.predict([["start", "work", "never-seen", "ack", "stop"]])[0] == 1


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_unseen_and_empty_sessions_never_crash(fitted, cls):
    (model, _), _, _, _ = fitted[cls]
    scores = model.decision_function([["brand", "new", "events"], [], ["start", "??", "stop"]])
    assert scores.shape == (3,) and np.isfinite(scores).all()
    assert model.decision_function([]).shape == (0,)


def test_a_new_template_with_known_text_reads_like_the_old_one(fitted):
    """LogRobust's point: an event id first seen at scoring time is read through its template's words."""
    (model, _), test_x, _, _ = fitted[LogRobust]
    renamed = copy.deepcopy(model).set_params(templates={**TEMPLATES, "ack-v2": TEMPLATES["ack"]})
    moved = [["ack-v2" if e == "ack" else e for e in s] for s in test_x]
    assert np.allclose(renamed.decision_function(moved), renamed.decision_function(test_x))


@pytest.mark.parametrize("cls", [LogAnomaly, LogRobust], ids=lambda c: c.__name__)
def test_template_texts_outside_training_never_shape_the_model(cls):
    """No leak through TF-IDF: the word vocabulary and idf come from the texts of training events only; texts of
    templates first seen later (validation or test) are read through them, never learnt from."""
    train_x, train_y = toy_data(9, 40, 10)
    test_x, _ = toy_data(10, 10, 10)
    later = {"later": "Quorum lost while electing leader", "error-v2": "Exception while writing block <*> twice"}
    plain = tiny(cls, max_epochs=2, random_state=1).fit(train_x, train_y)
    told = tiny(cls, templates={**TEMPLATES, **later}, max_epochs=2, random_state=1).fit(train_x, train_y)
    assert plain.semantics_.vectorizer.vocabulary_ == told.semantics_.vectorizer.vocabulary_
    assert "quorum" not in told.semantics_.vectorizer.vocabulary_
    assert np.array_equal(plain.semantics_.vectorizer.idf_, told.semantics_.vectorizer.idf_)
    assert np.array_equal(plain.decision_function(test_x), told.decision_function(test_x))


@pytest.mark.parametrize("cls", [DeepLog, CNNDetector], ids=lambda c: c.__name__)
def test_a_handful_of_sessions_is_enough_to_fit(cls):
    """The scarce-data regime: too few sessions to carve a validation split (or a validation anomaly)."""
    sessions, labels = toy_data(8, 3, 1)
    model = tiny(cls, max_epochs=2).fit(sessions, labels)
    assert np.isfinite(model.threshold_) and model.decision_function(sessions).shape == (4,)


@pytest.mark.parametrize("cls", [LogAnomaly, LogRobust], ids=lambda c: c.__name__)
def test_a_fitted_detector_survives_pickling(fitted, cls):
    (model, _), test_x, _, (scores, _) = fitted[cls]
    assert np.array_equal(pickle.loads(pickle.dumps(model)).decision_function(test_x), scores)


@pytest.mark.parametrize("cls", [DeepLog, LogRobust], ids=lambda c: c.__name__)
def test_vocabulary_comes_from_the_training_part_of_fit_only(cls):
    """The validation split carved inside fit meets its own events as unseen, as test data will."""
    sessions = [["start", f"only-{i}", "stop"] for i in range(40)]
    labels = np.array([0, 1] * 20)
    model = tiny(cls, max_epochs=1, validation_fraction=0.25).fit(sessions, labels if cls.supervised else None)
    own = {e for e in model.vocabulary_.events if e.startswith("only-")}
    assert len(own) == 30  # the 10 validation sessions' events are not in it


def test_fixed_top_k_is_used_as_given():
    train_x, _ = toy_data(3, 40, 0)
    model = tiny(DeepLog, top_k=2, max_epochs=2).fit(train_x)
    assert model.top_k_ == 2 and model.threshold_ == 2.0


def test_unsupervised_models_learn_only_from_normal_sessions():
    train_x, train_y = toy_data(4, 40, 20)
    with_labels = tiny(DeepLog, max_epochs=3).fit(train_x, train_y)
    normals_only = tiny(DeepLog, max_epochs=3).fit(train_x[:40])
    test_x, _ = toy_data(5, 10, 10)
    assert np.array_equal(with_labels.decision_function(test_x), normals_only.decision_function(test_x))


@pytest.mark.parametrize("cls", SUPERVISED, ids=lambda c: c.__name__)
def test_supervised_models_refuse_one_class_or_no_labels(cls):
    sessions, _ = toy_data(6, 20, 0)
    with pytest.raises(DetectorInputError, match=cls.__name__):
        tiny(cls).fit(sessions, np.zeros(len(sessions)))
    with pytest.raises(DetectorInputError, match=cls.__name__):
        tiny(cls).fit(sessions)


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_empty_training_set_is_refused_by_name(cls):
    with pytest.raises(DetectorInputError, match=f"{cls.__name__}.*empty"):
        tiny(cls).fit([], [])


@pytest.mark.parametrize("name", NEURAL)
def test_registry_builds_each_with_its_parameters(name):
    assert make_detector(name, random_state=3).get_params()["random_state"] == 3


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_clone_of_a_fitted_detector_keeps_parameters_and_nothing_learnt(fitted, cls):
    (model, _), _, _, _ = fitted[cls]
    fresh = clone(model)
    assert fresh.get_params() == model.get_params()
    assert vars(fresh) == fresh.get_params() and hasattr(model, "threshold_")


def test_fitting_leaves_global_torch_state_alone():
    threads, rng_state = torch.get_num_threads(), torch.random.get_rng_state()
    train_x, _ = toy_data(7, 30, 0)
    tiny(DeepLog, max_epochs=1, n_threads=1).fit(train_x)
    assert torch.get_num_threads() == threads
    assert torch.equal(torch.random.get_rng_state(), rng_state)
    assert not torch.are_deterministic_algorithms_enabled()
    assert torch.utils.deterministic.fill_uninitialized_memory  # turned off for the fit only


def test_device_choice():
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ValueError, match="unknown device"):
        resolve_device("abacus")


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 1), max_size=60), st.floats(0.0, 0.9), st.integers(0, 2**31))
def test_validation_carve_is_a_stratified_partition(labels, fraction, seed):
    y = np.array(labels, dtype=np.int64)
    train, validation = carve_validation(len(y), fraction, seed, y)
    assert sorted(np.concatenate([train, validation]).tolist()) == list(range(len(y)))
    assert set(y[train].tolist()) == set(y.tolist())  # every class keeps a training example
    for label in set(y.tolist()):  # each class gives its own share to validation
        assert abs((y[validation] == label).sum() - fraction * (y == label).sum()) <= 1
    again = carve_validation(len(y), fraction, seed, y)
    assert np.array_equal(train, again[0]) and np.array_equal(validation, again[1])


def test_deduplicate_counts_identical_examples():
    rows = np.array([[1, 2], [1, 2], [3, 4], [1, 2]])
    unique, targets, counts = deduplicate(rows, np.array([5, 5, 6, 7]))
    assert unique.tolist() == [[1, 2], [1, 2], [3, 4]]
    assert targets.tolist() == [5, 7, 6] and counts.tolist() == [2, 1, 1]


class _Lookup(torch.nn.Module):
    """A network whose logits depend only on the history's first index (enough to compare losses)."""

    def __init__(self):
        super().__init__()
        self.table = torch.nn.Embedding(6, 4)

    def forward(self, histories):
        return self.table(histories[:, 0])


def test_merged_histories_keep_the_loss_and_every_target():
    rows = np.array([[2, 3], [2, 3], [2, 3], [4, 5], [2, 3], [5, 5]])
    pairs, targets, counts = deduplicate(rows, np.array([1, 1, 2, 3, 0, 3]))
    histories, owners = np.unique(pairs, axis=0, return_inverse=True)
    plain = ExampleSet((torch.as_tensor(pairs),), torch.as_tensor(targets), torch.as_tensor(counts))
    merged = ExampleSet((torch.as_tensor(histories),), torch.as_tensor(targets), torch.as_tensor(counts),
                        torch.as_tensor(owners.reshape(-1)))
    assert len(plain) == 5 and len(merged) == 3  # (2, 3) is followed by 0, 1 and 2
    network = _Lookup()
    assert torch.allclose(weighted_loss(network, plain, cross_entropy), weighted_loss(network, merged, cross_entropy))
    seen = []
    for batch in merged.batches(2, torch.Generator().manual_seed(3)):
        assert len(batch) <= 2 and int(batch.owners.max()) == len(batch) - 1
        seen += [(tuple(batch.inputs[0][o].tolist()), int(t), float(w))
                 for o, t, w in zip(batch.owners, batch.targets, batch.weights, strict=True)]
    assert sorted(seen) == sorted(zip(map(tuple, pairs.tolist()), targets.tolist(), counts.tolist(), strict=True))


@pytest.mark.parametrize("cls", UNSUPERVISED, ids=lambda c: c.__name__)
def test_merged_histories_train_a_model_as_good_and_as_deterministic(fitted, cls):
    train_x, train_y = toy_data(1, 150, 30)
    _, test_x, test_y, _ = fitted[cls]
    first, second = (tiny(cls, random_state=7, merge_histories=True).fit(train_x, train_y) for _ in range(2))
    scores = first.decision_function(test_x)
    assert np.array_equal(scores, second.decision_function(test_x))
    assert roc_auc_score(test_y, scores) > 0.9
