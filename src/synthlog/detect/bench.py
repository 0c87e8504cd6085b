"""The detector benchmark: real, synthetic and augmented training regimes, tested on held-out real sessions.

One run = one YAML config (:class:`BenchConfig`). For every seed the real sessions are split (stratified by label,
randomly or chronologically) into a training part, a validation part carved from it, and a held-out test part;
every regime of that seed is tested on the same test sessions, so regimes pair up seed by seed. Thresholds are
calibrated on the validation part only (:func:`synthlog.detect.base.calibrate_threshold`); the test part is
touched once, to measure. ``results.csv`` grows as cells finish (a crash keeps the finished cells) and is rewritten
in cell order at the end; ``results.json``, ``summary.md``, ``coverage.json`` and the plots are written when every
cell has run, each file atomically.
"""

from __future__ import annotations

import csv
import json
import math
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from synthlog.configfile import load_config as read_config
from synthlog.detect.base import calibrate_threshold
from synthlog.detect.bench_exec import CellTimeout, bench_executor, can_travel, time_limit
from synthlog.detect.bench_sources import SyntheticSource, SyntheticSpec, resolve
from synthlog.detect.coverage import identical_anomalies, seed_coverage
from synthlog.detect.features import Sessions, Vocabulary, count_matrix, normalise_template
from synthlog.detect.metrics import at_threshold, evaluate, recall_threshold
from synthlog.detect.registry import DETECTORS, detector_class, make_detector
from synthlog.detect.report import BASELINE
from synthlog.errors import ConfigError, InputError
from synthlog.execute import InProcess
from synthlog.io.atomic import atomic_directory, atomic_open, check_output_directory
from synthlog.progress import Progress
from synthlog.records import ANOMALY, NORMAL, LabeledDataset

RESULT_COLUMNS = ("detector", "regime", "ratio", "seed", "precision", "recall", "f1", "fpr", "false_alarms_per_1k",
                  "p_at_r", "r_at_r", "auc", "status")
MIN_SEEDS = 5
COVERAGE_NOTE = ("per seed and synthetic set, synthlog.evaluate.coverage.unseen_coverage of the seed's real training "
                 "part, its test part and the set: of the real normal test sessions whose exact event sequence "
                 "(count vector) no real normal training session has, the share that some synthetic normal session "
                 "has ('exact', 'count_vector'); of the synthetic sessions whose sequence occurs in those real "
                 "sessions, the mean share of them that carry the synthetic label ('label_agreement'). Evaluation "
                 "only: nothing here feeds training or thresholds.")
SPLIT_NAMES = {"train": "train", "valid": "validation", "validation": "validation", "val": "validation",
               "test": "test"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DetectorSpec(_Strict):
    """A detector by registry name, with constructor parameters."""

    name: str
    params: dict[str, Any] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _known(cls, name: str) -> str:
        if name not in DETECTORS:
            raise ValueError(f"unknown detector {name!r}; known: {', '.join(DETECTORS)}")
        return name

    @model_validator(mode="after")
    def _params_accepted(self) -> DetectorSpec:
        """Build the detector once, so a bad parameter is refused at load time, with its line."""
        try:
            make_detector(self.name, **self.params)
        except InputError as exc:
            raise ValueError(exc.reason) from None
        except (TypeError, ValueError) as exc:
            raise ValueError(f"detector {self.name!r}: {exc}") from None
        return self


class DataSpec(_Strict):
    real: str = Field(description="the real labeled data set: a name or path that load_dataset understands")
    synthetic: list[SyntheticSpec] = Field(default_factory=list)

    @field_validator("synthetic", mode="before")
    @classmethod
    def _paths_as_specs(cls, value):
        return [{"path": v} if isinstance(v, str) else v for v in (value or [])]


class SplitSpec(_Strict):
    method: Literal["random", "chronological", "predefined"] = "random"
    train_fraction: float = Field(0.8, gt=0, lt=1, description="share of the real normal sessions used to train")
    anomaly_train_fraction: float | None = Field(None, ge=0, lt=1,
                                                 description="share of real anomalies used to train "
                                                             "(default: train_fraction)")
    validation_fraction: float = Field(0.2, gt=0, lt=1, description="share of the training part kept for validation")
    test_anomaly_rate: float | None = Field(None, gt=0, lt=1,
                                            description="subsample the test anomalies (seeded) to this share of the "
                                                        "test sessions (HDFS_v1: 0.029)")


class BenchConfig(_Strict):
    """A benchmark run, as read from YAML; errors name the field at fault."""

    name: str = "bench"
    data: DataSpec
    split: SplitSpec = Field(default_factory=SplitSpec)
    regimes: list[Literal["real", "synthetic", "augmented"]] = Field(default_factory=lambda: ["real"], min_length=1)
    ratios: list[float] = Field(default_factory=lambda: [0.01, 0.1, 1.0],
                                description="augmented regime: synthetic sessions / real normal training sessions")
    synthetic_sample: int | None = Field(None, gt=0, description="synthetic regime: train and validate on a seeded "
                                                                 "sample of at most this many synthetic sessions")
    augment: Literal["all", "normal"] = Field("all", description="augmented regime: add synthetic sessions of both "
                                                                 "classes, or only normal ones (AnomalyGen's default)")
    augment_pick: Literal["random", "distinct"] = Field(
        "random", description="augmented regime: draw the added sessions at random (the set's own frequencies), or "
                              "take distinct sequences, most frequent first, each once (more variety per session)")
    detectors: list[DetectorSpec] = Field(min_length=1)
    seeds: list[int] = Field(default_factory=lambda: [0, 1, 2, 3, 4])
    threshold: Literal["validation", "default"] = "validation"
    threshold_anomaly_rate: float | None = Field(
        None, gt=0, lt=1, description="threshold: validation picks the best F1 expected where anomalies are this "
                                      "share of the sessions (e.g. the test part's natural rate), not the validation "
                                      "part's own share")
    normal_quantile: float = Field(0.99, gt=0, le=1,
                                   description="threshold quantile of normal validation scores when validation has "
                                               "no anomaly")
    recall_target: float = Field(0.9, gt=0, le=1, description="precision is also reported at this recall, its "
                                                              "threshold chosen on validation")
    cell_timeout: float | None = Field(None, gt=0, description="seconds one cell may run; a slower one is recorded "
                                                               "as timed out")

    @field_validator("detectors", mode="before")
    @classmethod
    def _names_as_specs(cls, value):
        return [{"name": v} if isinstance(v, str) else v for v in (value or [])]

    @field_validator("ratios")
    @classmethod
    def _positive(cls, ratios: list[float]) -> list[float]:
        if any(not (r > 0 and math.isfinite(r)) for r in ratios):
            raise ValueError("every ratio must be a positive number")
        return sorted(set(ratios))

    @field_validator("seeds")
    @classmethod
    def _enough_seeds(cls, seeds: list[int]) -> list[int]:
        if any(seed < 0 for seed in seeds):
            raise ValueError(f"a seed is a whole number of 0 or more, not {min(seeds)}")
        if len(set(seeds)) < MIN_SEEDS:
            raise ValueError(f"give at least {MIN_SEEDS} distinct seeds (mean and spread need them)")
        return list(dict.fromkeys(seeds))

    @model_validator(mode="after")
    def _synthetic_present(self) -> BenchConfig:
        needs = [r for r in self.regimes if r != "real"]
        if needs and not self.data.synthetic:
            raise ValueError(f"regime {needs[0]!r} needs at least one data.synthetic data set")
        return self


def load_config(path: str | Path, synthetic: Sequence[str] = ()) -> BenchConfig:
    """Read and validate a bench config; a bad field raises ConfigError naming the file, line and field.

    ``synthetic`` adds synthetic data sets to ``data.synthetic`` (the CLI's ``--synthetic``).
    """
    def add_synthetic(raw: dict) -> dict:
        if synthetic:
            data = raw.setdefault("data", {})
            if not isinstance(data, dict):
                raise ConfigError("expected a mapping", path=path, field="data")
            data["synthetic"] = [*(data.get("synthetic") or []),
                                 *({"path": str(Path(p).resolve()) if Path(p).exists() else p} for p in synthetic)]
        return raw

    return read_config(BenchConfig, path, "bench config", prepare=add_synthetic)


# ----------------------------------------------------------------------------------------------------- data


def load_data(config: BenchConfig, base_dir: Path) -> tuple[LabeledDataset, dict[str, SyntheticSource]]:
    """The real data set (read with :func:`synthlog.io.datasets.load_dataset`) and the synthetic sources by label
    (prepared later, by :func:`run_bench`)."""
    from synthlog.io.datasets import load_dataset

    real = load_dataset(resolve(config.data.real, base_dir))
    labels = [spec.label for spec in config.data.synthetic]
    if len(set(labels)) < len(labels):
        raise InputError("two synthetic data sets have the same name; give each a 'name'", field="data.synthetic")
    return real, {spec.label: SyntheticSource(spec, i, base_dir) for i, spec in enumerate(config.data.synthetic)}


def aligned_sequences(synthetic: LabeledDataset, real: LabeledDataset) -> tuple[list[list[str]], dict[str, str]]:
    """The synthetic sessions with template ids expressed in the real data set's ids, and texts of new templates.

    A synthetic template with text takes the id of the real template with the same normalised text; one with
    text that no real template has becomes ``synthetic:<id>`` (unknown to a model trained on real data, so OOV
    there); one without text keeps its id (the generator aligned it).
    """
    by_text: dict[str, str] = {}
    for tid in sorted(real.templates):
        by_text.setdefault(normalise_template(real.templates[tid].text), tid)
    mapping: dict[str, str] = {}
    new_texts: dict[str, str] = {}
    for tid in sorted(synthetic.templates):
        text = synthetic.templates[tid].text
        if not text:
            continue
        key = normalise_template(text)
        if key in by_text:
            mapping[tid] = by_text[key]
        else:
            mapping[tid] = f"synthetic:{tid}"
            new_texts[mapping[tid]] = text
    return [[mapping.get(e, e) for e in seq] for seq in synthetic.sequences], new_texts


def _labels(dataset: LabeledDataset, what: str) -> np.ndarray:
    labels = dataset.labels
    missing = sum(label is None for label in labels)
    if missing:
        raise InputError(f"{missing} of {len(labels)} sessions have no label; the bench needs labeled sessions",
                         field=what)
    return np.asarray(labels, dtype=np.int64)


def _chronological_order(dataset: LabeledDataset) -> np.ndarray:
    """Sessions by the time of their first event when every session has one, else in data set order."""
    starts = [min((e.timestamp for e in s.events if e.timestamp is not None), default=None) for s in dataset.sessions]
    if any(t is None for t in starts):
        return np.arange(len(starts))
    return np.argsort(np.asarray(starts, dtype=np.float64), kind="stable")


def predefined_parts(dataset: LabeledDataset) -> np.ndarray:
    """Each session's part as its data set ships it (``attributes["split"]``: train, valid/validation, test)."""
    parts = []
    for session in dataset.sessions:
        part = SPLIT_NAMES.get(str(session.attributes.get("split", "")).lower())
        if part is None:
            raise InputError(f"session {session.id!r} has no predefined part (its 'split' attribute is "
                             f"{session.attributes.get('split')!r}; expected one of {', '.join(SPLIT_NAMES)})",
                             field="split.method")
        parts.append(part)
    return np.asarray(parts)


@dataclass(frozen=True)
class Split:
    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray


def split_indices(labels: np.ndarray, spec: SplitSpec, seed: int, order: np.ndarray | None = None,
                  parts: np.ndarray | None = None) -> Split:
    """Train / validation / test indices, stratified by label.

    Within each class the sessions are shuffled with ``seed`` (``random``) or kept in ``order`` (``chronological``:
    earliest sessions train, the latest of the training part validate, later ones test). ``predefined`` takes
    ``parts`` (see :func:`predefined_parts`); without a shipped validation part, ``validation_fraction`` of each
    class of the training part is carved with the seed. ``test_anomaly_rate`` then keeps a seeded sample of the
    test anomalies, that share of the test part.
    """
    rng = np.random.default_rng(seed)
    if spec.method == "predefined":
        split = _predefined(labels, parts, spec, rng)
    else:
        split = _stratified(labels, spec, rng, np.arange(len(labels)) if order is None else np.asarray(order))
    if spec.test_anomaly_rate is not None:
        split = Split(split.train, split.validation, _thin_anomalies(split.test, labels, spec.test_anomaly_rate,
                                                                     np.random.default_rng([seed, 2])))
    for name in ("train", "validation", "test"):
        if len(getattr(split, name)) == 0:
            raise InputError(f"the {name} part is empty with {len(labels)} sessions; change the fractions",
                             field="split")
    return split


def _stratified(labels: np.ndarray, spec: SplitSpec, rng: np.random.Generator, base: np.ndarray) -> Split:
    parts: dict[str, list[np.ndarray]] = {"train": [], "validation": [], "test": []}
    for label, fraction in ((NORMAL, spec.train_fraction), (ANOMALY, spec.anomaly_train_fraction)):
        fraction = spec.train_fraction if fraction is None else fraction
        members = base[labels[base] == label]
        if spec.method == "random":
            members = rng.permutation(members)
        n_pool = int(round(fraction * len(members)))
        n_val = int(round(spec.validation_fraction * n_pool))
        if spec.method == "random":
            parts["validation"].append(members[:n_val])
            parts["train"].append(members[n_val:n_pool])
        else:
            parts["train"].append(members[: n_pool - n_val])
            parts["validation"].append(members[n_pool - n_val: n_pool])
        parts["test"].append(members[n_pool:])
    return Split(*(np.sort(np.concatenate(parts[k])).astype(np.int64) for k in ("train", "validation", "test")))


def _predefined(labels: np.ndarray, parts: np.ndarray | None, spec: SplitSpec, rng: np.random.Generator) -> Split:
    if parts is None:
        raise InputError("split.method predefined needs the data set's own parts", field="split.method")
    train, validation = np.flatnonzero(parts == "train"), np.flatnonzero(parts == "validation")
    if validation.size == 0:  # carved per seed, stratified, as the data set ships none
        kept, carved = _carve(labels[train], spec.validation_fraction, rng)
        train, validation = train[kept], train[carved]
    return Split(np.sort(train), np.sort(validation), np.flatnonzero(parts == "test"))


def _thin_anomalies(test: np.ndarray, labels: np.ndarray, rate: float, rng: np.random.Generator) -> np.ndarray:
    """The test part with its anomalies sampled down to ``rate`` of it (all kept when there are too few)."""
    normal, anomalous = test[labels[test] == NORMAL], test[labels[test] == ANOMALY]
    wanted = int(round(rate / (1 - rate) * len(normal)))
    if wanted >= len(anomalous):
        return test
    return np.sort(np.concatenate([normal, rng.choice(anomalous, size=wanted, replace=False)])).astype(np.int64)


def _carve(labels: np.ndarray, fraction: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(train, validation) indices of a synthetic set, the validation part stratified by label."""
    train, validation = [], []
    for label in (NORMAL, ANOMALY):
        members = rng.permutation(np.flatnonzero(labels == label))
        n_val = int(round(fraction * len(members)))
        validation.append(members[:n_val])
        train.append(members[n_val:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(validation))


# ---------------------------------------------------------------------------------------------------- cells


@dataclass(frozen=True)
class TrainingSet:
    """What one regime of one seed trains and validates on."""

    regime: str
    ratio: float | None
    X_train: list[list[str]]
    y_train: np.ndarray
    X_val: list[list[str]]
    y_val: np.ndarray
    n_synthetic: int = 0
    synthetic_anomalies: bool = True  # the synthetic set it trains on holds anomalies (synthetic regime)


def training_sets(config: BenchConfig, real_X: list[list[str]], real_y: np.ndarray, split: Split,
                  synthetic: dict[str, tuple[list[list[str]], np.ndarray]], seed: int) -> list[TrainingSet]:
    """The regimes of one seed, in config order: real, synthetic per set, augmented per set and ratio.

    A regime is named after its set (``synthetic:<name>``, ``augmented:<name>``). The augmented regime adds
    ``ratio x`` the number of real *normal* training sessions, drawn from the set's normal sessions only with
    ``augment: normal``; a set lacking what a regime draws from gives no regime (the run says so).
    """
    pick = lambda X, idx: [X[i] for i in idx]  # noqa: E731
    real_X = real_X if isinstance(real_X, Sessions) else Sessions(real_X)
    tr_X, tr_y = real_X.take(split.train), real_y[split.train]
    va_X, va_y = real_X.take(split.validation), real_y[split.validation]
    n_normal = int((tr_y == NORMAL).sum())
    out: list[TrainingSet] = []
    for regime in config.regimes:
        if regime == "real":
            out.append(TrainingSet("real", None, tr_X, tr_y, va_X, va_y))
            continue
        for name, (syn_X, syn_y) in synthetic.items():
            label = f"{regime}:{name}"
            if regime == "synthetic":
                rng = _draws(seed, label)
                if not (syn_y == NORMAL).any():
                    continue
                kept = np.arange(len(syn_y))
                if config.synthetic_sample is not None and config.synthetic_sample < len(kept):
                    kept = np.sort(rng.choice(len(kept), size=config.synthetic_sample, replace=False))
                train, val = (kept[part] for part in _carve(syn_y[kept], config.split.validation_fraction, rng))
                if len(val) == 0 or len(train) == 0:
                    raise InputError(f"synthetic data set {name!r} ({len(syn_y)} sessions) is too small to keep a "
                                     "validation part and a training part", field="split.validation_fraction")
                out.append(TrainingSet(label, None, Sessions(pick(syn_X, train)), syn_y[train],
                                       Sessions(pick(syn_X, val)), syn_y[val],
                                       n_synthetic=len(train), synthetic_anomalies=bool((syn_y == ANOMALY).any())))
                continue
            pool = np.flatnonzero(syn_y == NORMAL) if config.augment == "normal" else np.arange(len(syn_y))
            if pool.size == 0:
                continue
            ranked = _distinct_first(syn_X, pool) if config.augment_pick == "distinct" else None
            for ratio in config.ratios:
                rng = _draws(seed, f"{label}x{ratio!r}")
                n = max(1, int(round(ratio * n_normal)))
                if ranked is not None and n <= ranked.size:
                    chosen = ranked[:n]
                else:  # at random; distinct sequences first when there are fewer of them than sessions to add
                    head = ranked if ranked is not None else pool[:0]
                    rest = n - head.size
                    chosen = np.concatenate([head, pool[rng.choice(pool.size, size=rest, replace=rest > pool.size)]])
                out.append(TrainingSet(label, ratio, Sessions(tr_X + pick(syn_X, chosen)),
                                       np.concatenate([tr_y, syn_y[chosen]]),
                                       va_X, va_y, n_synthetic=n))
    return out


def _draws(seed: int, training_set: str) -> np.random.Generator:
    """The random stream of one training set of one seed: apart from the split's, and from every other set's, so
    what a set trains on never depends on which other sets, regimes or ratios the config lists before it."""
    return np.random.default_rng([seed, 1, zlib.crc32(training_set.encode("utf-8"))])


def _distinct_first(X: list[list[str]], pool: np.ndarray) -> np.ndarray:
    """One session of ``pool`` per distinct sequence, most frequent sequence first (ties: first seen first).

    Why: a forecasting detector flags a real normal session whose orders it never saw; sessions drawn at random
    repeat the common sequences and leave out most of the rare ones, the same number of distinct ones holds more
    of the orders real sessions take (chosen from the synthetic set's own frequencies: no real data is read)."""
    first: dict[tuple[str, ...], int] = {}
    counts: dict[tuple[str, ...], int] = {}
    for i in pool:
        key = tuple(X[i])
        first.setdefault(key, int(i))
        counts[key] = counts.get(key, 0) + 1
    order = sorted(first, key=lambda k: (-counts[k], first[k]))
    return np.array([first[k] for k in order], dtype=np.int64)


def _scores(detector, sessions: list[list[str]]) -> np.ndarray:
    """Scores of the sessions, each distinct sequence scored once (test parts repeat sequences many times)."""
    distinct, inverse = (sessions if isinstance(sessions, Sessions) else Sessions(sessions)).distinct()
    return np.asarray(detector.decision_function(distinct), dtype=np.float64)[inverse]


def run_cell(spec: DetectorSpec, training: TrainingSet, X_test: list[list[str]], y_test: np.ndarray, seed: int,
             config: BenchConfig, templates: dict[str, str]) -> dict[str, Any]:
    """Fit one detector on one regime, set its threshold on validation, and measure it on the test sessions."""
    row = {"detector": spec.name, "regime": training.regime, "ratio": training.ratio, "seed": seed,
           "n_train": len(training.X_train), "n_train_anomalies": int((training.y_train == ANOMALY).sum()),
           "n_synthetic": training.n_synthetic, "n_validation": len(training.X_val), "n_test": len(X_test)}
    started = time.perf_counter()
    try:
        with time_limit(config.cell_timeout):
            return {**row, **_fit_and_measure(spec, training, X_test, y_test, seed, config, templates)}
    except CellTimeout:
        nan = math.nan
        return {**row, **dict.fromkeys(("precision", "recall", "f1", "fpr", "false_alarms_per_1k", "p_at_r",
                                        "r_at_r", "auc", "threshold"), nan),
                "status": "timeout", "fit_seconds": time.perf_counter() - started, "score_seconds": nan,
                "fit_cpu_seconds": nan, "score_cpu_seconds": nan}


def _fit_and_measure(spec: DetectorSpec, training: TrainingSet, X_test: list[list[str]], y_test: np.ndarray,
                     seed: int, config: BenchConfig, templates: dict[str, str]) -> dict[str, Any]:
    detector = make_detector(spec.name, **spec.params)
    params = detector.get_params()
    if "random_state" in params and "random_state" not in spec.params:
        detector.set_params(random_state=seed)
    if "templates" in params and "templates" not in spec.params:
        detector.set_params(templates=templates)
    started, started_cpu = time.perf_counter(), time.process_time()
    detector.fit(training.X_train, training.y_train)
    fitted, fitted_cpu = time.perf_counter(), time.process_time()
    validation = _scores(detector, training.X_val)
    if config.threshold == "validation":
        detector.set_threshold(calibrate_threshold(validation, training.y_val, config.normal_quantile,
                                                     config.threshold_anomaly_rate))
    at_recall = recall_threshold(validation, training.y_val, config.recall_target)
    scores = _scores(detector, X_test)
    predicted = (scores > detector.threshold_).astype(np.int64)
    finished, finished_cpu = time.perf_counter(), time.process_time()
    return {**evaluate(y_test, predicted, scores), **at_threshold(y_test, scores, at_recall), "status": "ok",
            "threshold": float(detector.threshold_), "fit_seconds": fitted - started,
            "score_seconds": finished - fitted, "fit_cpu_seconds": fitted_cpu - started_cpu,
            "score_cpu_seconds": finished_cpu - fitted_cpu}


def baseline_row(y_test: np.ndarray, seed: int) -> dict[str, Any]:
    """The detector that flags every test session: recall 1, precision = the anomaly share, every normal a false
    alarm. Any detector worth running must beat its precision."""
    flags = np.ones_like(y_test)
    return {"detector": BASELINE, "regime": "real", "ratio": None, "seed": seed,
            **evaluate(y_test, flags, flags.astype(np.float64)), **at_threshold(y_test, flags.astype(np.float64), 0.0),
            "status": "ok", "threshold": 0.0, "n_train": 0, "n_train_anomalies": 0, "n_synthetic": 0,
            "n_validation": 0, "n_test": len(y_test), "fit_seconds": 0.0, "score_seconds": 0.0, "fit_cpu_seconds": 0.0,
            "score_cpu_seconds": 0.0}


def _needs_anomalies(spec: DetectorSpec, training: TrainingSet) -> bool:
    return detector_class(spec.name).supervised and not training.synthetic_anomalies


@dataclass
class BenchResult:
    config: BenchConfig
    rows: list[dict[str, Any]] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    coverage: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _as_source(name: str, value: SyntheticSource | LabeledDataset) -> SyntheticSource:
    return value if isinstance(value, SyntheticSource) else SyntheticSource.of(name, value)


def _subset(dataset: LabeledDataset, indices: np.ndarray, name: str) -> LabeledDataset:
    return LabeledDataset(name=name, sessions=[dataset.sessions[i] for i in indices], templates=dataset.templates,
                          metadata=dict(dataset.metadata))


def run_bench(config: BenchConfig, real: LabeledDataset, synthetic: dict[str, SyntheticSource | LabeledDataset],
              jobs: int = 1, out_dir: Path | None = None, warn: Callable[[str], None] | None = None,
              workers: int = 1, scheduler: str | None = None) -> BenchResult:
    """Every cell (seed x regime x ratio x detector) as a task: here, in ``jobs`` forked processes, or on the
    execution seam (``workers`` / ``scheduler``, see :mod:`synthlog.detect.bench_exec`); so are the per-seed
    synthetic sets. Rows come in cell order wherever they ran, and every cell is seeded, so results do not depend
    on the place. With ``out_dir``, ``results.csv`` there grows as cells finish. Raises KeyboardInterrupt
    untouched (finished cells kept)."""
    with bench_executor(jobs, workers, scheduler) as executor:
        return _run(config, real, synthetic, executor, out_dir, warn)


def _run(config: BenchConfig, real: LabeledDataset, synthetic: dict[str, SyntheticSource | LabeledDataset],
         executor, out_dir: Path | None, warn: Callable[[str], None] | None) -> BenchResult:
    real_X, real_y = Sessions(real.sequences), _labels(real, "data.real")
    sources = {name: _as_source(name, value) for name, value in synthetic.items()}
    templates = {tid: t.text for tid, t in sorted(real.templates.items())}
    order = _chronological_order(real) if config.split.method == "chronological" else None
    parts = predefined_parts(real) if config.split.method == "predefined" else None
    identical = identical_anomalies(real_X, real_y)
    timing = {"sources_seconds": 0.0, "seeds_seconds": 0.0, "features_seconds": 0.0, "cells_seconds": 0.0}
    result = BenchResult(config, data={
        "real": {"name": real.name, "sessions": len(real), "anomalies": int((real_y == ANOMALY).sum()),
                 **identical}, "synthetic": {}, "seeds": {}, "skipped": [], "timing": timing})
    if identical["identical_to_a_normal_session"]:
        result.warnings.append(
            f"{identical['identical_to_a_normal_session']} of {identical['anomalous_sessions']} anomalous sessions of "
            f"{real.name} have exactly the event sequence of some normal session: no sequence-based detector can "
            "flag them without a false alarm (compare with the flag_everything row)")
    started = time.perf_counter()
    for source in sources.values():
        source.prepare(real)
    timing["sources_seconds"] = time.perf_counter() - started
    started = time.perf_counter()
    cells, baselines, bundles = [], [], {}
    splits = {seed: split_indices(real_y, config.split, seed, order, parts) for seed in config.seeds}
    seed_place = executor
    if not can_travel(executor, sources):
        seed_place = InProcess()
        result.warnings.append("a synthetic source cannot travel to the dask workers (it does not pickle): the "
                               "per-seed synthetic sets are made in this process, the cells on the workers")
    shared_sources, shared_real = seed_place.share(sources), seed_place.share(real)
    seed_tasks = [(seed, shared_sources, shared_real, splits[seed].train) for seed in config.seeds]
    with Progress("preparing seeds", total=len(config.seeds)) as bar:
        for seed, sets in zip(config.seeds, seed_place.map(synthetic_for_seed, seed_tasks), strict=True):
            split = splits[seed]
            X_test, y_test = real_X.take(split.test), real_y[split.test]
            aligned = {}
            for name, (sequences, labels, new_texts, seconds) in sets.items():
                aligned[name] = (sequences, labels)
                templates.update(new_texts)
                info = result.data["synthetic"].setdefault(name, {**sources[name].describe(), "by_seed": {}})
                info["by_seed"][seed] = {"sessions": len(sequences), "anomalies": int((labels == ANOMALY).sum()),
                                         "seconds": round(seconds, 2)}
            result.coverage[str(seed)] = _coverage(real_X, real_y, split, aligned)
            result.data["seeds"][str(seed)] = {
                part: {"sessions": len(ix), "anomalies": int((real_y[ix] == ANOMALY).sum())}
                for part, ix in (("train", split.train), ("validation", split.validation), ("test", split.test))}
            trainings = training_sets(config, real_X, real_y, split, aligned, seed)
            features_started = time.perf_counter()
            build_shared_features(trainings, X_test)
            timing["features_seconds"] += time.perf_counter() - features_started
            bundles[seed] = (trainings, X_test, y_test)
            for index, training in enumerate(trainings):
                for spec in config.detectors:
                    if _needs_anomalies(spec, training):
                        result.data["skipped"].append({"detector": spec.name, "regime": training.regime,
                                                       "seed": seed, "why": "the synthetic set has no anomalous "
                                                                            "session and the detector is supervised"})
                        continue
                    cells.append((spec, seed, index))
            _note_missing_regimes(config, aligned, seed, result)
            baselines.append(baseline_row(y_test, seed))
            bar.advance()
    timing["seeds_seconds"] = time.perf_counter() - started - timing["features_seconds"]
    if result.data["skipped"]:
        kinds = sorted({(s["detector"], s["regime"]) for s in result.data["skipped"]})
        result.warnings.append("skipped (a synthetic set lacks what they need): "
                               + ", ".join(f"{d} on {r}" for d, r in kinds))
    for message in result.warnings if warn else ():
        warn(message)
    if out_dir is not None:  # known before any cell runs: an unfinished run keeps it too
        write_coverage(result.coverage, out_dir)
    partial = _PartialCsv(out_dir) if out_dir is not None else None
    result.rows.extend(baselines)  # first: known before any cell, so an unfinished run has them too
    for row in baselines if partial else ():
        partial.add(row)
    started = time.perf_counter()
    # each seed's parts (with their features) and the template texts travel once to every worker, not per cell
    shared = {seed: executor.share(bundle) for seed, bundle in bundles.items()}
    shared_templates = executor.share(templates)
    tasks = ((spec, shared[seed], index, seed, config, shared_templates) for spec, seed, index in cells)
    try:
        with Progress("bench", total=len(cells)) as bar:
            for row in executor.map(_cell_task, tasks):
                result.rows.append(row)
                if partial:
                    partial.add(row)
                bar.advance()
    finally:
        if partial:
            partial.close()
    timing["cells_seconds"] = time.perf_counter() - started
    return result


def build_shared_features(trainings: list[TrainingSet], X_test: Sessions) -> None:
    """Build, once per seed and regime, what the detectors of its cells read (remembered by each
    :class:`~synthlog.detect.features.Sessions`): every part's encoding, the distinct validation and test
    sessions, and their count matrices under the two vocabularies the count-vector detectors fit (all training
    sessions for the supervised ones, the normal ones for the others). Cells forked or shipped afterwards get
    them with the parts."""
    test, _ = X_test.distinct()
    for training in trainings:
        validation, _ = training.X_val.distinct()
        normal = training.X_train.take(np.flatnonzero(training.y_train == NORMAL))
        for part in (training.X_train, normal):
            vocabulary = Vocabulary.fit(part)
            for sessions in (part, validation, test):
                count_matrix(sessions, vocabulary)


def _cell_task(spec: DetectorSpec, bundle: tuple[list[TrainingSet], Sessions, np.ndarray], index: int, seed: int,
               config: BenchConfig, templates: dict[str, str]) -> dict[str, Any]:
    trainings, X_test, y_test = bundle
    return run_cell(spec, trainings[index], X_test, y_test, seed, config, templates)


def _note_missing_regimes(config: BenchConfig, aligned: dict[str, tuple[list[list[str]], np.ndarray]], seed: int,
                          result: BenchResult) -> None:
    """Record the regimes a synthetic set cannot give (no normal session to train on, or none to add)."""
    for name, (_, labels) in aligned.items():
        has_normal = bool((labels == NORMAL).any())
        for regime in config.regimes:
            if regime != "real" and not has_normal and (regime == "synthetic" or config.augment == "normal"):
                result.data["skipped"].append({"detector": "all", "regime": f"{regime}:{name}", "seed": seed,
                                               "why": "the synthetic set has no normal session"})


def _coverage(real_X: list[list[str]], real_y: np.ndarray, split: Split,
              aligned: dict[str, tuple[list[list[str]], np.ndarray]]) -> dict[str, Any]:
    """coverage.json's entry for one seed (evaluation only)."""
    pick = lambda idx: [real_X[i] for i in idx]  # noqa: E731
    return seed_coverage(pick(split.train), real_y[split.train], pick(split.test), real_y[split.test], aligned)


SeedSet = tuple[list[list[str]], np.ndarray, dict[str, str], float]


def synthetic_for_seed(seed: int, sources: dict[str, SyntheticSource], real: LabeledDataset,
                       train: np.ndarray) -> dict[str, SeedSet]:
    """Each set of one seed, aligned to the real ids: (sequences, labels, texts of new templates, seconds to make).
    ``train``: the seed's real training sessions (indices), all that per-seed sets may see."""
    train_part = _subset(real, train, f"{real.name}-train-seed{seed}")
    out = {}
    for name, source in sources.items():
        started = time.perf_counter()
        dataset = source.for_seed(seed, train_part)
        sequences, new_texts = aligned_sequences(dataset, real)
        out[name] = (sequences, _labels(dataset, f"data.synthetic[{name}]"), new_texts, time.perf_counter() - started)
    return out


class _PartialCsv:
    """``results.csv`` written row by row as cells finish (flushed), so a crash keeps every finished cell; the
    finished run rewrites it atomically (same bytes when every cell ran)."""

    def __init__(self, out_dir: Path):
        out_dir.mkdir(parents=True, exist_ok=True)
        self._fh = open(out_dir / "results.csv", "w", newline="", encoding="utf-8")  # noqa: SIM115
        self._writer = csv.writer(self._fh, lineterminator="\n")
        self._writer.writerow(RESULT_COLUMNS)
        self._fh.flush()

    def add(self, row: dict[str, Any]) -> None:
        self._writer.writerow([_fmt(row[c]) for c in RESULT_COLUMNS])
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()


# --------------------------------------------------------------------------------------------------- output


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.6f}"
    return str(value)


def write_results_csv(rows: Sequence[dict[str, Any]], path: Path) -> None:
    with atomic_open(path, "w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(RESULT_COLUMNS)
        for row in rows:
            writer.writerow([_fmt(row[c]) for c in RESULT_COLUMNS])


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def write_coverage(coverage: dict[str, Any], out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "coverage.json"
    with atomic_open(path) as fh:
        json.dump(_json_safe({"what": COVERAGE_NOTE, "by_seed": coverage}), fh, indent=2)
        fh.write("\n")
    return path


def write_outputs(result: BenchResult, out_dir: Path) -> dict[str, Path]:
    """coverage.json, results.json, summary.md, plots, and results.csv in cell order last."""
    from synthlog.detect.report import TESTED_METRICS, aggregate, plot_f1, significance, summary_markdown

    cells = aggregate(result.rows)
    tests = [t for metric in TESTED_METRICS for t in significance(result.rows, metric)]
    paths = {"json": out_dir / "results.json", "summary": out_dir / "summary.md", "csv": out_dir / "results.csv",
             "coverage": out_dir / "coverage.json"}
    # every output of the run or none; bench() checked the folder before the run, whose partial results.csv is ours
    with atomic_directory(out_dir, force=True) as stage:
        with atomic_open(stage / paths["coverage"].name) as fh:
            json.dump(_json_safe({"what": COVERAGE_NOTE, "by_seed": result.coverage}), fh, indent=2)
            fh.write("\n")
        with atomic_open(stage / paths["json"].name) as fh:
            json.dump(_json_safe({"config": result.config.model_dump(mode="json", by_alias=True),
                                  "data": result.data, "warnings": result.warnings, "rows": result.rows,
                                  "summary": cells, "significance": tests}), fh, indent=2)
            fh.write("\n")
        with atomic_open(stage / paths["summary"].name) as fh:
            fh.write(summary_markdown(result.config, result.data, cells, tests, result.warnings, result.coverage))
        for detector, png in plot_f1(cells, stage / "plots").items():
            paths[f"plot:{detector}"] = out_dir / "plots" / png.name
        write_results_csv(result.rows, stage / paths["csv"].name)
    return paths


def bench(config_path: str | Path, out: str | Path | None = None, synthetic: Sequence[str] = (), jobs: int = 1,
          warn: Callable[[str], None] | None = None, workers: int = 1,
          scheduler: str | None = None) -> tuple[BenchResult, dict[str, Path]]:
    """Read the config (plus ``synthetic`` data sets), load the data, run every cell, write the outputs into
    ``out`` (nothing is written without it: the rows and summary are in the returned result); ``warn`` hears each
    warning as soon as it is known."""
    config_path = Path(config_path)
    if out is not None:
        check_output_directory(out)  # refuse a folder of foreign files before hours of work, not after
    config = load_config(config_path, synthetic)
    real, synthetic = load_data(config, config_path.resolve().parent)
    result = run_bench(config, real, synthetic, jobs, out_dir=None if out is None else Path(out), warn=warn,
                       workers=workers, scheduler=scheduler)
    return result, ({} if out is None else write_outputs(result, Path(out)))
