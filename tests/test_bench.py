"""The bench: config validation, splits, id alignment, regimes end to end, determinism, Ctrl-C, significance."""

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from detect_toydata import toy_dataset
from synthlog.detect import bench as bench_module
from synthlog.detect.bench import (
    RESULT_COLUMNS,
    SplitSpec,
    TrainingSet,
    aligned_sequences,
    bench,
    load_config,
    run_cell,
    split_indices,
)
from synthlog.detect.pca import PCADetector
from synthlog.detect.report import aggregate, significance
from synthlog.detect.stats_tests import paired_test
from synthlog.errors import ConfigError, InputError
from synthlog.io.datasets import write_dataset
from synthlog.records import Template

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
BASE = {"data": {"real": "real"}, "detectors": ["pca"], "seeds": [0, 1, 2, 3, 4]}


def write_config(tmp_path: Path, **changes) -> Path:
    path = tmp_path / "bench.yaml"
    path.write_text(yaml.safe_dump({**BASE, **changes}), encoding="utf-8")
    return path


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"seeds": [1, 2, 3]}, "seeds", "at least 5 distinct seeds"),
    ({"detectors": ["pca", "nope"]}, "detectors.1", "unknown detector 'nope'"),  # as written: a plain name
    ({"regimes": ["real", "augmented"]}, None, "needs at least one data.synthetic"),
    ({"split": {"train_fraction": 1.5}}, "split.train_fraction", "less than 1"),
    ({"ratios": [0.1, -1]}, "ratios", "positive"),
    ({"detector": ["pca"]}, "detector", "Extra inputs"),
])
def test_config_errors_name_the_field(tmp_path, changes, field, message):
    path = write_config(tmp_path, **changes)
    with pytest.raises(ConfigError, match=message) as err:
        load_config(path)
    assert err.value.path == str(path) and err.value.field == field


def test_config_defaults_and_bad_yaml(tmp_path):
    config = load_config(write_config(tmp_path))
    assert config.regimes == ["real"] and config.threshold == "validation" and config.detectors[0].params == {}
    bad = tmp_path / "bad.yaml"
    bad.write_text("data: {real: x\nseeds: [1", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML") as err:
        load_config(bad)
    assert err.value.line is not None


@pytest.mark.parametrize("method", ["random", "chronological"])
def test_split_is_stratified_disjoint_and_seeded(method):
    labels = np.array([0] * 900 + [1] * 100)
    spec = SplitSpec(method=method, train_fraction=0.5, anomaly_train_fraction=0.2, validation_fraction=0.2)
    split = split_indices(labels, spec, seed=3)
    parts = [split.train, split.validation, split.test]
    assert sorted(np.concatenate(parts).tolist()) == list(range(1000))
    assert (labels[split.train] == 0).sum() == 360 and (labels[split.validation] == 0).sum() == 90
    assert (labels[split.train] == 1).sum() == 16 and (labels[split.validation] == 1).sum() == 4
    again = split_indices(labels, spec, seed=3)
    assert all(np.array_equal(a, b) for a, b in zip(parts, [again.train, again.validation, again.test], strict=True))
    other = split_indices(labels, spec, seed=4)
    if method == "random":
        assert not np.array_equal(split.test, other.test)
    else:  # earliest sessions train, then validation, later ones test, whatever the seed
        assert np.array_equal(split.test, other.test)
        assert split.train[labels[split.train] == 0].max() < split.validation[labels[split.validation] == 0].min()
        assert split.validation[labels[split.validation] == 0].max() < split.test[labels[split.test] == 0].min()


def test_chronological_order_follows_first_timestamps():
    dataset = toy_dataset(3, 1, seed=0)
    for session, start in zip(dataset.sessions, [30.0, 10.0, 40.0, 20.0], strict=True):
        for offset, event in enumerate(session.events):
            event.timestamp = start + offset
    assert bench_module._chronological_order(dataset).tolist() == [1, 3, 0, 2]
    dataset.sessions[2].events = dataset.sessions[2].events[:1]
    dataset.sessions[2].events[0].timestamp = None
    assert bench_module._chronological_order(dataset).tolist() == [0, 1, 2, 3]  # a session without time: data order


def test_split_refuses_an_empty_part():
    with pytest.raises(InputError, match="the train part is empty"):
        split_indices(np.array([0, 0, 1]), SplitSpec(train_fraction=0.1, validation_fraction=0.5), seed=0)


def test_synthetic_ids_align_by_template_text():
    real = toy_dataset(5, 1, seed=0)
    synthetic = toy_dataset(5, 1, seed=1, prefix="syn-")
    synthetic.templates["syn-Z"] = Template("syn-Z", "DataXceiver <*> dropped")
    synthetic.sessions[0].events[0].template_id = "syn-Z"
    synthetic.templates["bare"] = Template("bare", "")
    synthetic.sessions[1].events[0].template_id = "bare"
    sequences, new_texts = aligned_sequences(synthetic, real)
    assert sequences[0][0] == "synthetic:syn-Z" and new_texts == {"synthetic:syn-Z": "DataXceiver <*> dropped"}
    assert sequences[1][0] == "bare"  # no text: the generator's id is kept
    assert {e for s in sequences[2:] for e in s} <= set(real.templates)


def test_threshold_never_depends_on_test_labels():
    real = toy_dataset(200, 20, seed=5)
    X, y = real.sequences, np.asarray(real.labels)
    training = TrainingSet("real", None, X[:150], y[:150], X[150:190], y[150:190])
    config = load_config_from({**BASE})
    rows = [run_cell(config.detectors[0], training, X[190:], labels, 0, config, {})
            for labels in (y[190:], 1 - y[190:])]
    assert rows[0]["threshold"] == rows[1]["threshold"]


@pytest.mark.parametrize("method", ["random", "chronological"])
def test_no_regime_trains_or_validates_on_a_test_session(method):
    """Each real session carries an event of its own, so any test session reaching fit or calibration shows."""
    labels = np.array([0, 1] * 60)
    real_X = [["A", f"real-{i}"] for i in range(len(labels))]
    synthetic = {"gen": ([["A", f"gen-{i}"] for i in range(40)], np.array([0, 0, 0, 1] * 10))}
    config = load_config_from({**BASE, "split": {"method": method}, "data": {"real": "r", "synthetic": [{"path": "g"}]},
                               "regimes": ["real", "synthetic", "augmented"], "ratios": [0.5, 2.0]})
    for seed in config.seeds:
        split = split_indices(labels, config.split, seed)
        test_events = {real_X[i][1] for i in split.test}
        sets = bench_module.training_sets(config, real_X, labels, split, synthetic, seed)
        assert [t.regime for t in sets] == ["real", "synthetic:gen", "augmented:gen", "augmented:gen"]
        for training in sets:
            seen = {e for session in training.X_train + training.X_val for e in session}
            assert not seen & test_events, (training.regime, training.ratio)
            assert {0, 1} <= set(training.y_train.tolist()) and {0, 1} <= set(training.y_val.tolist())


def load_config_from(raw: dict):
    return bench_module.BenchConfig.model_validate(raw)


@pytest.fixture()
def bench_dir(tmp_path):
    write_dataset(toy_dataset(400, 40, seed=11), tmp_path / "real", "real")
    synthetic = toy_dataset(300, 30, seed=12, prefix="gen-", name="gen")
    write_dataset(synthetic, tmp_path / "gen", "gen")
    config = write_config(tmp_path, data={"real": "real", "synthetic": ["gen"]},
                          regimes=["real", "synthetic", "augmented"], ratios=[0.1, 1.0],
                          detectors=["invariants", {"name": "logistic", "params": {"C": 10.0}}])
    return tmp_path, config


def test_bench_end_to_end_is_deterministic(bench_dir):
    tmp_path, config = bench_dir
    result, paths = bench(config, tmp_path / "out")
    with open(paths["csv"], newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == RESULT_COLUMNS
    # seeds x detectors x (real, synthetic, augmented 0.1, augmented 1), and the flag-everything row per seed
    assert len(rows) == 5 * 2 * 4 + 5
    cells = {(r["detector"], r["regime"], r["ratio"]) for r in rows}
    assert ("logistic", "augmented:gen", "1.000000") in cells and ("invariants", "synthetic:gen", "") in cells
    assert all(0 <= float(r["f1"]) <= 1 for r in rows)
    assert all(r[c] != "" for r in rows for c in RESULT_COLUMNS if c != "ratio")  # every row complete
    assert all((r["ratio"] == "") == (not r["regime"].startswith("augmented")) for r in rows)
    baseline = [r for r in rows if r["detector"] == "flag_everything"]
    assert len(baseline) == 5 and all(float(r["recall"]) == 1 and float(r["fpr"]) == 1 for r in baseline)
    real_f1 = [float(r["f1"]) for r in rows if r["regime"] == "real" and r["detector"] != "flag_everything"]
    assert np.mean(real_f1) > 0.8  # toy anomalies are easy: the protocol must not lose them
    summary = paths["summary"].read_text(encoding="utf-8")
    assert "Wilcoxon" in summary and "| invariants | synthetic:gen |" in summary
    assert "### FPR" in summary and "### precision at the fixed recall" in summary
    assert {p.name for p in (tmp_path / "out" / "plots").iterdir()} == {"f1_invariants.png", "f1_logistic.png"}
    assert result.data["synthetic"]["gen"]["by_seed"][0]["sessions"] == 330
    by_cell = {(r["regime"], r["ratio"], r["seed"]): r for r in result.rows if r["detector"] == "logistic"}
    real = by_cell[("real", None, 0)]
    real_normal = real["n_train"] - real["n_train_anomalies"]  # ratios count real *normal* training sessions
    assert by_cell[("augmented:gen", 0.1, 0)]["n_synthetic"] == round(0.1 * real_normal)
    assert by_cell[("augmented:gen", 1.0, 0)]["n_train"] == real["n_train"] + real_normal
    assert by_cell[("synthetic:gen", None, 0)]["n_validation"] == round(0.2 * 300) + round(0.2 * 30)
    _, again = bench(config, tmp_path / "again")
    assert again["csv"].read_bytes() == paths["csv"].read_bytes()


def test_cells_in_two_processes_give_the_same_results(bench_dir):
    tmp_path, config = bench_dir
    one, paths_one = bench(config, tmp_path / "one")
    two, paths_two = bench(config, tmp_path / "two", jobs=2)
    assert len(two.rows) == len(one.rows) == 45
    assert paths_two["csv"].read_bytes() == paths_one["csv"].read_bytes()


def test_a_synthetic_set_without_anomalies_skips_only_the_cells_that_need_them(tmp_path):
    write_dataset(toy_dataset(100, 10, seed=1), tmp_path / "real", "real")
    write_dataset(toy_dataset(50, 0, seed=2, name="calm"), tmp_path / "calm", "calm")
    config = write_config(tmp_path, data={"real": "real", "synthetic": ["calm"]},
                          regimes=["real", "synthetic", "augmented"], ratios=[1.0], detectors=["pca", "svm"])
    warnings = []
    result, paths = bench(config, tmp_path / "out", warn=warnings.append)
    cells = {(r["detector"], r["regime"]) for r in result.rows}
    assert ("svm", "synthetic:calm") not in cells  # svm needs anomalies to train on
    assert {("pca", "synthetic:calm"), ("svm", "augmented:calm"), ("svm", "real")} <= cells
    assert {(s["detector"], s["regime"]) for s in result.data["skipped"]} == {("svm", "synthetic:calm")}
    assert any("svm on synthetic:calm" in w for w in warnings)
    assert "## Skipped" in paths["summary"].read_text(encoding="utf-8")


def test_ctrl_c_keeps_the_finished_cells(bench_dir, monkeypatch):
    tmp_path, config = bench_dir
    calls = []
    original = PCADetector.fit

    def interrupted_fit(self, X, y=None):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return original(self, X, y)

    monkeypatch.setattr(PCADetector, "fit", interrupted_fit)
    config.write_text(config.read_text().replace("invariants", "pca"), encoding="utf-8")
    with pytest.raises(KeyboardInterrupt):
        bench(config, tmp_path / "out")
    # no summary: not finished; coverage.json is known before the first cell
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["coverage.json", "results.csv"]
    with open(tmp_path / "out" / "results.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    # the flag-everything rows, then seed 0's real pca, real logistic, synthetic pca, synthetic logistic finished;
    # augmented pca was the third fit
    assert [r["detector"] for r in rows] == ["flag_everything"] * 5 + ["pca", "logistic"] * 2
    assert all(r["status"] == "ok" for r in rows)


def test_cli_reports_errors_in_one_line(tmp_path):
    config = write_config(tmp_path, seeds=[1])
    out = subprocess.run([sys.executable, "-m", "synthlog", "bench", str(config), "--out", str(tmp_path / "o")],
                         capture_output=True, text=True)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    line = config.read_text().splitlines().index("seeds:") + 1
    assert out.stderr.strip() == (f"error: {config}:{line}: seeds: give at least 5 distinct seeds (mean and spread "
                                  "need them)")


@pytest.mark.skipif(not (SHARED / "hdfs" / "deeploglizer_hdfs100k_sessions").is_dir(), reason="shared data absent")
def test_shipped_smoke_config_runs_on_real_data(tmp_path):
    out = subprocess.run([sys.executable, "-m", "synthlog", "--quiet", "bench", str(REPO / "configs/bench/smoke.yaml"),
                          "--out", str(tmp_path)], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    with open(tmp_path / "results.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 5 * 5 and {r["detector"] for r in rows} == {"pca", "invariants", "logistic", "decision_tree",
                                                                    "flag_everything"}
    assert min(float(r["precision"]) for r in rows if r["detector"] == "logistic") > 0.8


@pytest.mark.parametrize("name", ["hdfs100k.yaml", "hdfs100k_augmented.yaml", "hdfs100k_suite.yaml",
                                  "hdfs_v1_sequences.yaml", "smoke.yaml"])
def test_shipped_configs_are_valid(name):
    path = REPO / "configs" / "bench" / name
    if name == "hdfs100k_augmented.yaml":
        with pytest.raises(ConfigError, match="needs at least one data.synthetic"):
            load_config(path)
        assert len(load_config(path, synthetic=["somewhere"]).detectors) == 14
    elif name == "hdfs100k_suite.yaml":  # issue 13's grid: 14 detectors x 3 regimes x 5 seeds, its set made per seed
        config = load_config(path)
        assert len(config.detectors) == 14 and config.regimes == ["real", "synthetic", "augmented"]
        assert config.ratios == [1.0] and len(config.seeds) == 5 and config.data.synthetic[0].source == "code"
    else:
        assert load_config(path).seeds == [0, 1, 2, 3, 4]


def test_paired_test_and_aggregation():
    test = paired_test([0.5, 0.6, 0.55, 0.5, 0.52], [0.6, 0.7, 0.65, 0.61, 0.6])
    assert test.n == 5 and test.mean_difference > 0 and test.wilcoxon_p == pytest.approx(0.0625)
    assert paired_test([0.5] * 5, [0.5] * 5).wilcoxon_p == 1.0
    shifted = paired_test([0.5] * 5, [0.6] * 5)
    assert shifted.ttest_p == 0.0 and shifted.wilcoxon_p == pytest.approx(0.0625)
    assert paired_test([0.5, 0.6, np.nan], [0.7, 0.6, 0.9]).n == 2  # a seed without a value is not paired
    assert np.isnan(paired_test([0.5], [0.6]).wilcoxon_p)
    rows = [{"detector": "d", "regime": regime, "ratio": None, "seed": seed, "f1": f1, "precision": 1.0,
             "recall": 1.0, "fpr": 0.0, "auc": float("nan") if seed == 0 else 0.9, "fit_seconds": 0.0,
             "score_seconds": 0.0}
            for regime, base in (("real", 0.5), ("synthetic", 0.4))
            for seed, f1 in enumerate(base + np.arange(5) / 100)]
    cells = aggregate(rows)
    assert [c["regime"] for c in cells] == ["real", "synthetic"]
    assert cells[0]["f1_mean"] == pytest.approx(0.52) and cells[0]["auc_mean"] == pytest.approx(0.9)
    (versus,) = significance(rows)
    assert versus["regime"] == "synthetic" and versus["mean_difference"] == pytest.approx(-0.1)
    real_rows, other_rows = rows[:5], rows[5:]
    (by_seed,) = significance(real_rows + other_rows[::-1][:-1])  # seed 0 missing, the others reversed
    assert by_seed["seeds"] == 4 and by_seed["mean_difference"] == pytest.approx(-0.1)  # paired by seed
