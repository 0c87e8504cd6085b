"""Classical detectors: estimator contract, detection on toy sessions, OOV, clear errors on bad training sets."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.metrics import roc_auc_score

from detect_toydata import toy_sequences
from synthlog.detect import registry
from synthlog.detect.base import DetectorInputError, calibrate_threshold
from synthlog.detect.registry import CLASSICAL, detector_class, make_detector
from synthlog.errors import InputError

SUPERVISED = {"logistic", "svm", "decision_tree"}


@pytest.fixture(scope="module")
def toy():
    X_train, y_train = toy_sequences(300, 30, seed=1)
    X_test, y_test = toy_sequences(200, 20, seed=2)
    return X_train, y_train, X_test, y_test


@pytest.mark.parametrize("name", CLASSICAL)
def test_contract_and_detection(name, toy):
    X_train, y_train, X_test, y_test = toy
    detector = make_detector(name)
    assert clone(detector).get_params() == detector.get_params()  # the constructor only stores parameters
    assert detector.fit(X_train, y_train) is detector
    assert vars(clone(detector)) == detector.get_params()  # a clone of a fitted detector keeps nothing learnt
    scores = detector.decision_function(X_test)
    predicted = detector.predict(X_test)
    assert scores.shape == predicted.shape == (len(X_test),)
    assert set(np.unique(predicted)) <= {0, 1}
    assert np.array_equal(predicted, (scores > detector.threshold_).astype(int))
    assert roc_auc_score(y_test, scores) > 0.9, name  # the toy anomalies are plain to see


@pytest.mark.parametrize("name", CLASSICAL)
def test_unseen_templates_and_empty_sessions_never_crash(name, toy):
    X_train, y_train, _, _ = toy
    detector = make_detector(name).fit(X_train, y_train)
    odd = [["never", "seen"], [], ["A", "UNKNOWN", "B"], ["A", "B", "B", "C", "C", "D", "D"]]
    scores = detector.decision_function(odd)
    assert scores.shape == (4,) and np.isfinite(scores).all()
    assert detector.predict(odd).shape == (4,)
    assert detector.decision_function([]).shape == (0,)


@pytest.mark.parametrize("name", CLASSICAL)
def test_empty_training_set_is_a_clear_error(name):
    with pytest.raises(DetectorInputError, match="training set is empty") as err:
        make_detector(name).fit([], [])
    assert isinstance(err.value, ValueError) and isinstance(err.value, InputError)
    assert detector_class(name).__name__ in str(err.value)


@pytest.mark.parametrize("name", CLASSICAL)
def test_one_class_training_set(name, toy):
    X_train, y_train, _, _ = toy
    normal_only = [s for s, label in zip(X_train, y_train, strict=True) if label == 0]
    anomalies_only = [s for s, label in zip(X_train, y_train, strict=True) if label == 1]
    if name in SUPERVISED:
        with pytest.raises(DetectorInputError, match="both normal") as err:
            make_detector(name).fit(normal_only, np.zeros(len(normal_only), dtype=int))
        assert detector_class(name).__name__ in str(err.value)
    else:  # unsupervised: normal sessions are all it needs, anomalies alone are nothing to learn from
        make_detector(name).fit(normal_only, np.zeros(len(normal_only), dtype=int))
        make_detector(name).fit(normal_only)
        with pytest.raises(DetectorInputError, match="no normal session"):
            make_detector(name).fit(anomalies_only, np.ones(len(anomalies_only), dtype=int))


@pytest.mark.parametrize("name", registry.DETECTORS)
def test_constructor_only_stores_its_parameters(name):
    """scikit-learn's contract, for every registered detector: no validation or derived state in __init__."""
    detector = make_detector(name)
    assert vars(detector) == detector.get_params()
    assert all(not key.endswith("_") for key in vars(detector))


@pytest.mark.parametrize("name", [n for n in CLASSICAL if n not in SUPERVISED])
def test_unsupervised_detectors_learn_nothing_from_anomalies(name, toy):
    """Given labels, an unsupervised detector's vocabulary, idf and model come from the normal sessions alone
    (Isolation Forest when told to: by default it fits unlabeled data, below)."""
    X_train, y_train, X_test, _ = toy
    params = {"train_on": "normal"} if name == "isolation_forest" else {}
    normal_only = [s for s, label in zip(X_train, y_train, strict=True) if label == 0]
    with_labels = make_detector(name, **params).fit(X_train, y_train)
    assert "E" in {e for s in X_train for e in s} and "E" not in with_labels.features_.vocabulary_
    normals_only = make_detector(name, **params).fit(normal_only)
    assert np.array_equal(with_labels.decision_function(X_test), normals_only.decision_function(X_test))


def test_isolation_forest_fits_every_session_and_sees_what_normal_ones_never_vary():
    """Unsupervised as in the paper: labels are ignored, so a column constant in the normal sessions (an anomaly's
    own event) varies in its sample and the trees split on it; fitted on normal sessions only it cannot."""
    X_train, y_train, X_test, y_test = toy_sequences(300, 30, seed=1) + toy_sequences(200, 20, seed=2)
    unlabeled = make_detector("isolation_forest").fit(X_train, y_train)
    assert "E" in unlabeled.features_.vocabulary_
    assert np.array_equal(unlabeled.decision_function(X_test),
                          make_detector("isolation_forest").fit(X_train).decision_function(X_test))
    normal = make_detector("isolation_forest", train_on="normal").fit(X_train, y_train)
    assert roc_auc_score(y_test, unlabeled.decision_function(X_test)) > \
        roc_auc_score(y_test, normal.decision_function(X_test)) + 0.1
    for labels in (y_train, None):
        with pytest.raises(DetectorInputError, match="train_on"):
            make_detector("isolation_forest", train_on="anomalous").fit(X_train, labels)


def test_bad_inputs_are_named():
    with pytest.raises(DetectorInputError, match="list of sessions"):
        make_detector("pca").fit("A B C")
    with pytest.raises(DetectorInputError, match="one label per session"):
        make_detector("pca").fit([["A"], ["B"]], [0])
    with pytest.raises(DetectorInputError, match="only 0"):
        make_detector("logistic").fit([["A"], ["B"]], [0, 2])
    with pytest.raises(DetectorInputError, match="call fit"):
        make_detector("lof").decision_function([["A"]])
    with pytest.raises(DetectorInputError, match="labels y"):
        make_detector("svm").fit([["A"], ["B"]])


@pytest.mark.parametrize("name", ["isolation_forest", "svm", "decision_tree", "logclustering"])
def test_same_seed_same_scores(name, toy):
    X_train, y_train, X_test, _ = toy
    first = make_detector(name).fit(X_train, y_train).decision_function(X_test)
    again = make_detector(name).fit(X_train, y_train).decision_function(X_test)
    assert np.array_equal(first, again)


def test_invariants_are_integer_and_hold_on_normal_sessions(toy):
    X_train, y_train, _, _ = toy
    miner = make_detector("invariants").fit(X_train, y_train)
    assert miner.invariants_
    for _, theta in miner.invariants_:
        assert np.array_equal(theta, np.round(theta)) and (theta != 0).all()
    normal = [s for s, label in zip(X_train, y_train, strict=True) if label == 0]
    assert (miner.decision_function(normal) == 0).mean() >= miner.percentage


def test_set_threshold_and_calibration():
    scores, labels = np.array([0.1, 0.2, 0.3, 0.8, 0.9]), np.array([0, 0, 0, 1, 1])
    threshold = calibrate_threshold(scores, labels)
    assert 0.3 < threshold < 0.8
    assert calibrate_threshold(np.arange(101.0), np.zeros(101), normal_quantile=0.99) == 99.0
    X_train, y_train = toy_sequences(50, 5, seed=3)
    detector = make_detector("pca").fit(X_train, y_train)
    assert detector.set_threshold(-1.0) is detector and detector.predict(X_train).all()


def test_calibration_at_a_natural_anomaly_rate_flags_less():
    # five anomalies, four normal sessions: the validation part's own F1 is best flagging scores >= 2 (one false
    # alarm of four), but where anomalies are 2.9 % of the sessions each false alarm weighs ~42 anomalies' worth
    scores = np.array([9.0, 8.0, 7.0, 2.0, 2.0, 3.0, 1.0, 1.0, 1.0])
    labels = np.array([1, 1, 1, 1, 1, 0, 0, 0, 0])
    assert calibrate_threshold(scores, labels) == 1.5
    assert calibrate_threshold(scores, labels, anomaly_rate=0.029) == 5.0
    assert calibrate_threshold(scores, labels, anomaly_rate=5 / 9) == 1.5  # the validation part's own rate


def test_registry_errors_are_clear(monkeypatch):
    assert set(registry.NEURAL) | set(CLASSICAL) == set(registry.DETECTORS)
    with pytest.raises(InputError, match="unknown detector 'nope'"):
        detector_class("nope")
    monkeypatch.setitem(registry.DETECTORS, "later", "synthlog.detect.not_written_yet:Later")
    with pytest.raises(InputError, match="not available"):
        detector_class("later")
    with pytest.raises(InputError, match="no parameter wrong"):
        make_detector("pca", wrong=1)
