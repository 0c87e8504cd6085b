"""The detector benchmark: real, synthetic and augmented training regimes, tested on held-out real sessions.

One run = one YAML config (:class:`BenchConfig`). For every seed the real sessions are split (stratified by label,
randomly or chronologically) into a training part, a validation part carved from it, and a held-out test part;
every regime of that seed is tested on the same test sessions, so regimes pair up seed by seed. Thresholds are
calibrated on the validation part only (:func:`synthlog.detect.base.calibrate_threshold`); the test part is
touched once, to measure. Outputs (``results.csv``, ``results.json``, ``summary.md``, plots) are written only when
every cell has run, each file atomically.
"""

from __future__ import annotations

import csv
import json
import math
import multiprocessing
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sklearn.metrics import confusion_matrix, roc_auc_score

from synthlog.configfile import load_config as read_config
from synthlog.detect.base import calibrate_threshold
from synthlog.detect.features import normalise_template
from synthlog.detect.registry import DETECTORS, detector_class, make_detector
from synthlog.errors import ConfigError, InputError
from synthlog.io.atomic import atomic_open
from synthlog.progress import Progress
from synthlog.records import ANOMALY, NORMAL, LabeledDataset

RESULT_COLUMNS = ("detector", "regime", "ratio", "seed", "precision", "recall", "f1", "fpr", "auc")
MIN_SEEDS = 5


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


class SyntheticSpec(_Strict):
    """A synthetic data set (a directory written by ``synthlog generate``, or anything ``load_dataset`` reads)."""

    path: str
    name: str | None = None

    @property
    def label(self) -> str:
        return self.name or Path(self.path).name


class DataSpec(_Strict):
    real: str = Field(description="the real labeled data set: a name or path that load_dataset understands")
    synthetic: list[SyntheticSpec] = Field(default_factory=list)

    @field_validator("synthetic", mode="before")
    @classmethod
    def _paths_as_specs(cls, value):
        return [{"path": v} if isinstance(v, str) else v for v in (value or [])]


class SplitSpec(_Strict):
    method: Literal["random", "chronological"] = "random"
    train_fraction: float = Field(0.8, gt=0, lt=1, description="share of the real normal sessions used to train")
    anomaly_train_fraction: float | None = Field(None, ge=0, lt=1,
                                                 description="share of real anomalies used to train "
                                                             "(default: train_fraction)")
    validation_fraction: float = Field(0.2, gt=0, lt=1, description="share of the training part kept for validation")


class BenchConfig(_Strict):
    """A benchmark run, as read from YAML; errors name the field at fault."""

    name: str = "bench"
    data: DataSpec
    split: SplitSpec = Field(default_factory=SplitSpec)
    regimes: list[Literal["real", "synthetic", "augmented"]] = Field(default_factory=lambda: ["real"], min_length=1)
    ratios: list[float] = Field(default_factory=lambda: [0.01, 0.1, 1.0],
                                description="augmented regime: synthetic sessions / real training sessions")
    detectors: list[DetectorSpec] = Field(min_length=1)
    seeds: list[int] = Field(default_factory=lambda: [0, 1, 2, 3, 4])
    threshold: Literal["validation", "default"] = "validation"
    normal_quantile: float = Field(0.99, gt=0, le=1,
                                   description="threshold quantile of normal validation scores when validation has "
                                               "no anomaly")

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


def _resolve(reference: str, base_dir: Path) -> str:
    """A path relative to the config's directory when it exists there, else the reference unchanged (a name)."""
    candidate = Path(reference).expanduser()
    if not candidate.is_absolute() and (base_dir / candidate).exists():
        return str(base_dir / candidate)
    return str(candidate) if candidate.is_absolute() else reference


def load_data(config: BenchConfig, base_dir: Path) -> tuple[LabeledDataset, dict[str, LabeledDataset]]:
    """The real data set and the synthetic ones by label, read with :func:`synthlog.io.datasets.load_dataset`."""
    from synthlog.io.datasets import load_dataset

    real = load_dataset(_resolve(config.data.real, base_dir))
    synthetic = {spec.label: load_dataset(_resolve(spec.path, base_dir)) for spec in config.data.synthetic}
    return real, synthetic


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


@dataclass(frozen=True)
class Split:
    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray


def split_indices(labels: np.ndarray, spec: SplitSpec, seed: int, order: np.ndarray | None = None) -> Split:
    """Train / validation / test indices, stratified by label.

    Within each class the sessions are shuffled with ``seed`` (``random``) or kept in ``order`` (``chronological``:
    earliest sessions train, the latest of the training part validate, later ones test).
    """
    rng = np.random.default_rng(seed)
    base = np.arange(len(labels)) if order is None else np.asarray(order)
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
    split = Split(*(np.sort(np.concatenate(parts[k])).astype(np.int64) for k in ("train", "validation", "test")))
    for name in ("train", "validation", "test"):
        if len(getattr(split, name)) == 0:
            raise InputError(f"the {name} part is empty with {len(labels)} sessions; change the fractions",
                             field="split")
    return split


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


def training_sets(config: BenchConfig, real_X: list[list[str]], real_y: np.ndarray, split: Split,
                  synthetic: dict[str, tuple[list[list[str]], np.ndarray]], seed: int) -> list[TrainingSet]:
    """The regimes of one seed, in config order: real, synthetic per set, augmented per set and ratio."""
    rng = np.random.default_rng([seed, 1])  # a stream of its own: sampling synthetic data never moves the split
    pick = lambda X, idx: [X[i] for i in idx]  # noqa: E731
    tr_X, tr_y = pick(real_X, split.train), real_y[split.train]
    va_X, va_y = pick(real_X, split.validation), real_y[split.validation]
    several = len(synthetic) > 1
    out: list[TrainingSet] = []
    for regime in config.regimes:
        if regime == "real":
            out.append(TrainingSet("real", None, tr_X, tr_y, va_X, va_y))
            continue
        for name, (syn_X, syn_y) in synthetic.items():
            label = f"{regime}:{name}" if several else regime
            if regime == "synthetic":
                train, val = _carve(syn_y, config.split.validation_fraction, rng)
                if len(val) == 0 or len(train) == 0:
                    raise InputError(f"synthetic data set {name!r} ({len(syn_y)} sessions) is too small to keep a "
                                     "validation part and a training part", field="split.validation_fraction")
                out.append(TrainingSet(label, None, pick(syn_X, train), syn_y[train], pick(syn_X, val), syn_y[val],
                                       n_synthetic=len(train)))
                continue
            for ratio in config.ratios:
                n = max(1, int(round(ratio * len(tr_X))))
                chosen = rng.choice(len(syn_X), size=n, replace=n > len(syn_X))
                out.append(TrainingSet(label, ratio, tr_X + pick(syn_X, chosen), np.concatenate([tr_y, syn_y[chosen]]),
                                       va_X, va_y, n_synthetic=n))
    return out


def evaluate(y_true: np.ndarray, predicted: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    """Precision, recall, F1, false-positive rate, and ROC-AUC of the scores (NaN with one class only)."""
    tn, fp, fn, tp = confusion_matrix(y_true, predicted, labels=[NORMAL, ANOMALY]).ravel()
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    fpr = fp / (fp + tn) if fp + tn else 0.0
    both = len(set(y_true.tolist())) == 2 and np.isfinite(scores).all()
    auc = float(roc_auc_score(y_true, scores)) if both else math.nan
    return {"precision": float(precision), "recall": float(recall), "f1": float(f1), "fpr": float(fpr), "auc": auc}


def run_cell(spec: DetectorSpec, training: TrainingSet, X_test: list[list[str]], y_test: np.ndarray, seed: int,
             config: BenchConfig, templates: dict[str, str]) -> dict[str, Any]:
    """Fit one detector on one regime, set its threshold on validation, and measure it on the test sessions."""
    detector = make_detector(spec.name, **spec.params)
    params = detector.get_params()
    if "random_state" in params and "random_state" not in spec.params:
        detector.set_params(random_state=seed)
    if "templates" in params and "templates" not in spec.params:
        detector.set_params(templates=templates)
    started = time.perf_counter()
    detector.fit(training.X_train, training.y_train)
    fitted = time.perf_counter()
    if config.threshold == "validation":
        detector.set_threshold(calibrate_threshold(detector.decision_function(training.X_val), training.y_val,
                                                   config.normal_quantile))
    scores = detector.decision_function(X_test)
    predicted = (scores > detector.threshold_).astype(np.int64)
    finished = time.perf_counter()
    return {"detector": spec.name, "regime": training.regime, "ratio": training.ratio, "seed": seed,
            **evaluate(y_test, predicted, scores), "threshold": float(detector.threshold_),
            "n_train": len(training.X_train), "n_train_anomalies": int((training.y_train == ANOMALY).sum()),
            "n_synthetic": training.n_synthetic, "n_validation": len(training.X_val), "n_test": len(X_test),
            "fit_seconds": fitted - started, "score_seconds": finished - fitted}


def _check_synthetic_training(config: BenchConfig, aligned: dict[str, tuple[list[list[str]], np.ndarray]]) -> None:
    """Refuse before any cell runs a synthetic regime that some detector cannot train on."""
    if "synthetic" not in config.regimes:
        return
    supervised = [d.name for d in config.detectors if detector_class(d.name).supervised]
    for name, (_, labels) in aligned.items():
        if not (labels == NORMAL).any():
            raise InputError(f"synthetic data set {name!r} has no normal session to train on", field="data.synthetic")
        if supervised and not (labels == ANOMALY).any():
            raise InputError(f"synthetic data set {name!r} has no anomalous session, but {', '.join(supervised)} "
                             "need both classes in the synthetic regime; remove them or that regime",
                             field="detectors")


@dataclass
class BenchResult:
    config: BenchConfig
    rows: list[dict[str, Any]] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)


def run_bench(config: BenchConfig, real: LabeledDataset, synthetic: dict[str, LabeledDataset],
              jobs: int = 1) -> BenchResult:
    """Every cell (seed x regime x ratio x detector), in ``jobs`` processes; rows come in cell order whatever the
    number of processes, and every cell is seeded, so results do not depend on ``jobs``. Raises KeyboardInterrupt
    untouched, having written nothing."""
    real_X, real_y = real.sequences, _labels(real, "data.real")
    aligned: dict[str, tuple[list[list[str]], np.ndarray]] = {}
    templates = {tid: t.text for tid, t in sorted(real.templates.items())}
    for name, dataset in synthetic.items():
        sequences, new_texts = aligned_sequences(dataset, real)
        aligned[name] = (sequences, _labels(dataset, f"data.synthetic[{name}]"))
        templates.update(new_texts)
    _check_synthetic_training(config, aligned)
    order = _chronological_order(real) if config.split.method == "chronological" else None
    result = BenchResult(config, data={
        "real": {"name": real.name, "sessions": len(real), "anomalies": int((real_y == ANOMALY).sum())},
        "synthetic": {name: {"sessions": len(X), "anomalies": int((y == ANOMALY).sum())}
                      for name, (X, y) in aligned.items()}})
    cells = []
    for seed in config.seeds:
        split = split_indices(real_y, config.split, seed, order)
        X_test, y_test = [real_X[i] for i in split.test], real_y[split.test]
        for training in training_sets(config, real_X, real_y, split, aligned, seed):
            cells.extend((spec, training, X_test, y_test, seed, config, templates) for spec in config.detectors)
    with Progress("bench", total=len(cells)) as bar:
        for row in _run_cells(cells, jobs):
            result.rows.append(row)
            bar.advance()
    return result


_CELLS: list[tuple] = []  # the cells of the running bench, inherited by forked worker processes


def _run_cell_at(index: int) -> dict[str, Any]:
    return run_cell(*_CELLS[index])


def _run_cells(cells: list[tuple], jobs: int) -> Iterator[dict[str, Any]]:
    """Rows of the cells in order; with ``jobs > 1`` forked processes run them (cells stay in the parent's memory,
    nothing is pickled but the index and the row)."""
    if jobs <= 1 or len(cells) <= 1:
        yield from (run_cell(*cell) for cell in cells)
        return
    _CELLS[:] = cells
    try:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            yield from pool.map(_run_cell_at, range(len(cells)))
    finally:
        _CELLS.clear()


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


def write_outputs(result: BenchResult, out_dir: Path) -> dict[str, Path]:
    """results.json, summary.md, plots, and results.csv last (its presence marks a finished run)."""
    from synthlog.detect.report import aggregate, plot_f1, significance, summary_markdown

    out_dir.mkdir(parents=True, exist_ok=True)
    cells = aggregate(result.rows)
    tests = significance(result.rows)
    paths = {"json": out_dir / "results.json", "summary": out_dir / "summary.md", "csv": out_dir / "results.csv"}
    with atomic_open(paths["json"]) as fh:
        json.dump(_json_safe({"config": result.config.model_dump(mode="json"), "data": result.data,
                              "rows": result.rows, "summary": cells, "significance": tests}), fh, indent=2)
        fh.write("\n")
    with atomic_open(paths["summary"]) as fh:
        fh.write(summary_markdown(result.config, result.data, cells, tests))
    for detector, png in plot_f1(cells, out_dir / "plots").items():
        paths[f"plot:{detector}"] = png
    write_results_csv(result.rows, paths["csv"])
    return paths


def bench(config_path: str | Path, out: str | Path | None = None, synthetic: Sequence[str] = (),
          jobs: int = 1) -> tuple[BenchResult, dict[str, Path]]:
    """Read the config (plus ``synthetic`` data sets), load the data, run every cell, write the outputs into
    ``out`` (nothing is written without it: the rows and summary are in the returned result)."""
    config_path = Path(config_path)
    config = load_config(config_path, synthetic)
    real, synthetic = load_data(config, config_path.resolve().parent)
    result = run_bench(config, real, synthetic, jobs)
    return result, ({} if out is None else write_outputs(result, Path(out)))
