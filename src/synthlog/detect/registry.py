"""Detectors by name: lazy ``module:Class`` strings, so a detector's module is imported only when it is asked for."""

from __future__ import annotations

import importlib
from typing import Any

from synthlog.errors import InputError
from synthlog.extras import EXTRAS, MissingExtra, missing_message

DETECTORS: dict[str, str] = {
    # classical (loglizer family)
    "pca": "synthlog.detect.pca:PCADetector",
    "invariants": "synthlog.detect.invariants:InvariantsMiner",
    "logclustering": "synthlog.detect.logclustering:LogClustering",
    "isolation_forest": "synthlog.detect.isolation_forest:IsolationForestDetector",
    "ocsvm": "synthlog.detect.ocsvm:OneClassSVMDetector",
    "lof": "synthlog.detect.lof:LOFDetector",
    "logistic": "synthlog.detect.logistic:LogisticRegressionDetector",
    "svm": "synthlog.detect.svm:LinearSVMDetector",
    "decision_tree": "synthlog.detect.decision_tree:DecisionTreeDetector",
    # neural (deep-loglizer family)
    "deeplog": "synthlog.detect.deeplog:DeepLog",
    "loganomaly": "synthlog.detect.loganomaly:LogAnomaly",
    "logrobust": "synthlog.detect.logrobust:LogRobust",
    "transformer": "synthlog.detect.transformer:TransformerDetector",
    "cnn": "synthlog.detect.cnn:CNNDetector",
}

CLASSICAL = ("pca", "invariants", "logclustering", "isolation_forest", "ocsvm", "lof", "logistic", "svm",
             "decision_tree")
NEURAL = ("deeplog", "loganomaly", "logrobust", "transformer", "cnn")


def detector_class(name: str) -> type:
    """The class registered under ``name``; a clear error if the name is unknown or its module is not there."""
    try:
        target = DETECTORS[name]
    except KeyError:
        raise InputError(f"unknown detector {name!r}; known: {', '.join(DETECTORS)}", field="detector") from None
    module_name, class_name = target.split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        top = (exc.name or "").split(".")[0]
        if top in EXTRAS:  # an optional dependency (PyTorch for the neural detectors): say which extra brings it
            raise MissingExtra(missing_message(top, f"detector {name!r}")) from None
        if exc.name != module_name:
            raise  # a dependency of the module is missing: that is the module's problem, keep its message
        raise InputError(f"detector {name!r} is registered as {target} but module {module_name} is not available "
                         "in this installation", field="detector") from None
    try:
        return getattr(module, class_name)
    except AttributeError:
        raise InputError(f"detector {name!r}: module {module_name} has no class {class_name}",
                         field="detector") from None


def make_detector(name: str, **params: Any):
    """A new, unfitted detector ``name`` with ``params`` (unknown parameters are refused by name)."""
    cls = detector_class(name)
    known = cls().get_params()
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise InputError(f"detector {name!r} has no parameter {', '.join(unknown)}; it takes: "
                         f"{', '.join(sorted(known)) or 'none'}", field="detector")
    return cls(**params)
