"""Issue 14's bench protocol: natural test anomaly rates, predefined splits, normal-only augmentation, precision at a
fixed recall, coverage, per-seed synthetic sets made inside the bench (profile, code), timeouts, warnings."""

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from detect_toydata import toy_dataset
from synthlog.detect import bench as bench_module
from synthlog.detect.bench import SplitSpec, bench, predefined_parts, split_indices
from synthlog.detect.bench_sources import SyntheticSource, SyntheticSpec
from synthlog.detect.coverage import identical_anomalies, seed_coverage
from synthlog.detect.metrics import at_threshold, recall_threshold
from synthlog.errors import ConfigError, InputError
from synthlog.io.datasets import write_dataset
from synthlog.records import LogEvent, Session, Template

REPO = Path(__file__).resolve().parents[1]
BASE = {"data": {"real": "real"}, "detectors": ["pca"], "seeds": [0, 1, 2, 3, 4]}


def write_config(tmp_path: Path, **changes) -> Path:
    path = tmp_path / "bench.yaml"
    path.write_text(yaml.safe_dump({**BASE, **changes}), encoding="utf-8")
    return path


def test_test_anomalies_are_thinned_to_the_asked_rate_and_only_there():
    labels = np.array([0] * 1000 + [1] * 500)
    plain = SplitSpec(train_fraction=0.5, validation_fraction=0.2)
    thin = SplitSpec(train_fraction=0.5, validation_fraction=0.2, test_anomaly_rate=0.05)
    full, split = split_indices(labels, plain, seed=3), split_indices(labels, thin, seed=3)
    assert np.array_equal(full.train, split.train) and np.array_equal(full.validation, split.validation)
    test_labels = labels[split.test]
    assert (test_labels == 0).sum() == 500 and (test_labels == 1).sum() == round(0.05 / 0.95 * 500)
    assert set(split.test) <= set(full.test)
    again = split_indices(labels, thin, seed=3)
    assert np.array_equal(again.test, split.test)
    assert not np.array_equal(split_indices(labels, thin, seed=4).test, split.test)


def _with_parts(parts: list[str]):
    dataset = toy_dataset(len(parts) - 10, 10, seed=2)
    for session, part in zip(dataset.sessions, parts, strict=True):
        session.attributes["split"] = part
    return dataset


def test_predefined_split_keeps_the_shipped_test_part_and_carves_validation_from_train():
    parts = ["train"] * 80 + ["test"] * 40
    dataset = _with_parts(parts)
    labels = np.asarray(dataset.labels)
    spec = SplitSpec(method="predefined", validation_fraction=0.25)
    split = split_indices(labels, spec, seed=1, parts=predefined_parts(dataset))
    assert split.test.tolist() == list(range(80, 120))
    assert sorted(split.train.tolist() + split.validation.tolist()) == list(range(80))
    for label in (0, 1):
        assert (labels[split.validation] == label).sum() == round(0.25 * (labels[:80] == label).sum())
    other = split_indices(labels, spec, seed=2, parts=predefined_parts(dataset))
    assert np.array_equal(other.test, split.test) and not np.array_equal(other.validation, split.validation)
    shipped = _with_parts(["train"] * 60 + ["valid"] * 20 + ["test"] * 40)
    fixed = split_indices(labels, spec, seed=1, parts=predefined_parts(shipped))
    assert fixed.validation.tolist() == list(range(60, 80))  # a shipped validation part is used as it is


def test_predefined_split_needs_parts():
    dataset = toy_dataset(5, 1)
    with pytest.raises(InputError, match="has no predefined part"):
        predefined_parts(dataset)


def test_normal_augmentation_adds_only_normal_sessions_counted_against_real_normals():
    labels = np.array([0, 0, 0, 1] * 30)
    real_X = [["A", f"real-{i}"] for i in range(len(labels))]
    synthetic = {"gen": ([["A", f"gen-{i}"] for i in range(40)], np.array([0, 1] * 20))}
    config = bench_module.BenchConfig.model_validate({**BASE, "data": {"real": "r", "synthetic": [{"path": "g"}]},
                                                      "regimes": ["augmented"], "augment": "normal",
                                                      "ratios": [0.5, 3.0]})
    split = split_indices(labels, config.split, 0)
    n_normal = int((labels[split.train] == 0).sum())
    for training in bench_module.training_sets(config, real_X, labels, split, synthetic, 0):
        added = training.X_train[len(split.train):]
        assert training.n_synthetic == len(added) == round(training.ratio * n_normal)
        assert all(int(s[1].split("-")[1]) % 2 == 0 for s in added)  # even gen sessions are the normal ones
        assert (training.y_train[len(split.train):] == 0).all()


def test_precision_at_recall_threshold_comes_from_validation_scores():
    scores = np.array([0.1, 0.2, 0.5, 0.9, 0.8, 0.4, 0.35])
    labels = np.array([0, 0, 0, 1, 1, 1, 0])
    threshold = recall_threshold(scores, labels, 2 / 3)
    assert (scores[labels == 1] > threshold).sum() == 2 and not (scores[labels == 1][2] > threshold)
    assert recall_threshold(scores, labels, 1.0) < 0.4 and (scores[labels == 1] > recall_threshold(
        scores, labels, 1.0)).all()
    assert np.isnan(recall_threshold(scores, np.zeros(7), 0.9))
    measured = at_threshold(labels, scores, recall_threshold(scores, labels, 1.0))
    assert measured["r_at_r"] == 1.0 and measured["p_at_r"] == pytest.approx(3 / 4)  # 0.5 is a false alarm


def test_coverage_of_one_seed_reads_its_training_and_test_parts():
    train, train_y = [["a", "b"], ["a", "b", "b"], ["b", "a"]], np.array([0, 0, 1])
    test, test_y = [["b", "a"], ["b", "a"], ["a", "c"], ["a", "b"], ["c"]], np.array([0, 0, 0, 0, 1])
    synthetic = {"gen": ([["b", "a"], ["c", "a"], ["a", "c"], ["c"]], np.array([0, 0, 1, 0]))}
    coverage = seed_coverage(train, train_y, test, test_y, synthetic)["gen"]
    # unseen among the normal training sessions: ["b","a"] twice (seen only as an anomaly) and ["a","c"]
    assert (coverage["unseen_sessions"], coverage["unseen_covered_sessions"]) == (3, 2)
    assert coverage["exact"] == pytest.approx(2 / 3)  # ["a","c"] is in the set, but labeled anomalous
    assert (coverage["unseen_vector_sessions"], coverage["count_vector"]) == (1, 1.0)  # {a, c}: ["c","a"] has it
    # found in real data: ["b","a"] (normal twice in test, anomalous once in train), ["a","c"] (normal), ["c"]
    assert coverage["synthetic_found_in_real"] == 3
    assert coverage["label_agreement"] == pytest.approx((2 / 3 + 0 + 0) / 3)


def test_identical_anomalies_are_counted():
    real = [["a"], ["a"], ["b"], ["c"], ["c"]]
    assert identical_anomalies(real, np.array([0, 0, 1, 0, 1])) == {"anomalous_sessions": 2,
                                                                    "identical_to_a_normal_session": 1}


def marked_dataset(n_normal: int, n_anomalous: int, seed: int):
    """Toy sessions that end with a marker template of their group of 6 (the profiler releases a template seen in 5
    sessions), so a set made from them shows its sources."""
    dataset = toy_dataset(n_normal, n_anomalous, seed=seed)
    for i, session in enumerate(dataset.sessions):
        tid = f"M{i // 6}"
        word = "".join(chr(ord("a") + int(d)) for d in str(i // 6))  # letters: a profiler keeps words, masks numbers
        dataset.templates[tid] = Template(tid, f"marker {word} done")
        session.events.append(LogEvent(content="", template_id=tid))
    return dataset


def test_profile_regime_learns_from_the_seed_training_part_only(tmp_path):
    real = marked_dataset(100, 20, seed=4)
    write_dataset(real, tmp_path / "real", "real")
    config = write_config(tmp_path, data={"real": "real", "synthetic": [{"from": "profile", "lines": 1500}]},
                          regimes=["synthetic", "augmented"], ratios=[1.0], augment="normal")
    loaded = bench_module.load_config(config)
    real_loaded, sources = bench_module.load_data(loaded, tmp_path)
    labels = np.asarray(real_loaded.labels)
    marker_of = {s.id: s.events[-1].template_id for s in real_loaded.sessions}
    made = []
    for seed in (0, 1):
        split = split_indices(labels, loaded.split, seed)
        train = bench_module._subset(real_loaded, split.train, "train")
        synthetic = sources["profile"].for_seed(seed, train)
        aligned, _ = bench_module.aligned_sequences(synthetic, real_loaded)
        markers = {e for sequence in aligned for e in sequence if e.startswith("M")}
        allowed = {marker_of[real_loaded.sessions[i].id] for i in split.train}
        assert markers and markers <= allowed  # learnt from the training sessions, never validation or test
        made.append(markers)
    assert made[0] != made[1]  # each seed profiles its own training part


def test_code_guided_set_generated_by_the_bench(tmp_path, monkeypatch):
    write_dataset(toy_dataset(200, 20, seed=6), tmp_path / "real", "real")
    spec = {"from": "code", "name": "blocks", "src": "${EXAMPLE_SRC}/src",
            "recipe": str(REPO / "examples/blockstore/recipe.yaml"), "sessions": 150, "seed": 3}
    config = write_config(tmp_path, data={"real": "real", "synthetic": [spec]}, regimes=["real", "augmented"],
                          ratios=[1.0], augment="normal", detectors=["pca"])
    monkeypatch.delenv("EXAMPLE_SRC", raising=False)
    with pytest.raises(InputError, match="set the environment variable EXAMPLE_SRC"):
        bench(config, tmp_path / "out")
    monkeypatch.setenv("EXAMPLE_SRC", str(REPO / "examples" / "blockstore"))
    result, paths = bench(config, tmp_path / "out")
    assert {r["regime"] for r in result.rows} == {"real", "augmented:blocks"}
    sizes = result.data["synthetic"]["blocks"]["by_seed"]
    assert {v["sessions"] for v in sizes.values()} == {150}
    coverage = json.loads(paths["coverage"].read_text())
    assert set(coverage["by_seed"]) == {str(s) for s in range(5)}
    assert coverage["by_seed"]["0"]["blocks"]["synthetic_normal_sessions"] > 0
    assert "## Coverage of unseen normal behaviour" in paths["summary"].read_text(encoding="utf-8")


def test_code_guided_spec_needs_source_and_recipe(tmp_path):
    with pytest.raises(ConfigError, match="needs 'src'"):
        bench_module.load_config(write_config(tmp_path, data={"real": "r", "synthetic": [{"from": "code"}]}))
    assert SyntheticSpec.model_validate({"from": "profile"}).label == "profile"
    assert SyntheticSpec.model_validate({"from": "code", "src": "x", "recipe": "y", "calibrate": "train"}).per_seed


def test_a_cell_past_its_timeout_is_recorded_as_timed_out(tmp_path):
    write_dataset(toy_dataset(300, 30, seed=7), tmp_path / "real", "real")
    config = write_config(tmp_path, detectors=["logistic"], cell_timeout=1e-6)
    result, paths = bench(config, tmp_path / "out")
    rows = [r for r in result.rows if r["detector"] == "logistic"]
    assert len(rows) == 5 and {r["status"] for r in rows} == {"timeout"} and all(np.isnan(r["f1"]) for r in rows)
    assert "(5 timed out)" in paths["summary"].read_text(encoding="utf-8")


def test_warns_when_anomalies_look_exactly_like_normal_sessions(tmp_path):
    real = toy_dataset(200, 20, seed=8)
    copy = next(s for s in real.sessions if s.label == 0)
    real.sessions.append(Session.from_event_ids("twin", [e.template_id for e in copy.events], 1))
    write_dataset(real, tmp_path / "real", "real")
    warnings = []
    result, paths = bench(write_config(tmp_path), tmp_path / "out", warn=warnings.append)
    assert any(w.startswith("1 of 21 anomalous sessions") for w in warnings)
    assert result.data["real"]["identical_to_a_normal_session"] == 1
    assert "**Warning:** 1 of 21" in paths["summary"].read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["proof_hdfs_ait_2pct.yaml", "proof_hdfs_ait_10pct.yaml", "proof_hdfs100k.yaml"])
def test_shipped_proof_configs_are_valid(name, tmp_path):
    config = bench_module.load_config(REPO / "configs" / "bench" / name)
    assert len(config.seeds) >= 10 and config.augment == "normal"
    assert [s.source for s in config.data.synthetic] == ["code", "profile"]
    assert {"deeplog", "transformer", "loganomaly"} <= {d.name for d in config.detectors}
    source = SyntheticSource(config.data.synthetic[0], 0, (REPO / "configs" / "bench"))
    assert Path(bench_module.resolve(source.spec.recipe, source.base_dir)).is_file()


def test_synthetic_regime_trains_on_a_seeded_sample_when_asked():
    labels = np.array([0, 1] * 30)
    real_X = [["A", f"real-{i}"] for i in range(len(labels))]
    synthetic = {"gen": ([["A", f"gen-{i}"] for i in range(400)], np.array([0, 0, 0, 1] * 100))}
    config = bench_module.BenchConfig.model_validate({**BASE, "data": {"real": "r", "synthetic": [{"path": "g"}]},
                                                      "regimes": ["synthetic"], "synthetic_sample": 100})
    split = split_indices(labels, config.split, 0)
    (training,) = bench_module.training_sets(config, real_X, labels, split, synthetic, 0)
    used = [s[1] for s in training.X_train + training.X_val]
    assert len(used) == len(set(used)) == 100 and len(training.X_val) == 20
    (again,) = bench_module.training_sets(config, real_X, labels, split, synthetic, 0)
    assert again.X_train == training.X_train


def test_proof_tables_read_a_finished_run(tmp_path, capsys):
    import importlib.util

    write_dataset(toy_dataset(300, 30, seed=9), tmp_path / "real", "real")
    write_dataset(toy_dataset(200, 20, seed=10, prefix="gen-", name="gen"), tmp_path / "gen", "gen")
    config = write_config(tmp_path, data={"real": "real", "synthetic": ["gen"]}, regimes=["real", "augmented"],
                          ratios=[1.0], augment="normal", detectors=["pca"])
    bench(config, tmp_path / "out")
    spec = importlib.util.spec_from_file_location("proof_tables", REPO / "benchmarks" / "proof_tables.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main([str(tmp_path / "out")])
    printed = capsys.readouterr().out
    row = next(line for line in printed.splitlines() if line.startswith("| pca | augmented:gen | 1 |"))
    assert row.endswith(("| yes |", "| no |")) and "## Coverage of unseen normal behaviour" in printed
    # one run's seeds split over two processes read as one run: its paired tests over all ten seeds
    bench(write_config(tmp_path, data={"real": "real", "synthetic": ["gen"]}, regimes=["real", "augmented"],
                       ratios=[1.0], augment="normal", detectors=["pca"], seeds=[5, 6, 7, 8, 9]), tmp_path / "more")
    runs = [module.read_run(tmp_path / name) for name in ("out", "more")]
    module.main([str(tmp_path / "out"), str(tmp_path / "more")])
    printed = capsys.readouterr().out
    assert f"## {runs[0]['config']['name']} + {runs[1]['config']['name']}" in printed
    rows = [r for run in runs for r in run["rows"]]
    (test,) = [t for t in module.significance(rows, "fpr") if t["detector"] == "pca"]
    row = next(line for line in printed.splitlines() if line.startswith("| pca | augmented:gen | 1 |"))
    assert test["seeds"] == 10 and f"| {module._fmt_p(test)} |" in row
    by_seed = next(line for line in printed.splitlines() if line.startswith("| pca | ") and line.count("/") >= 10)
    fa = {(r["regime"], r["seed"]): r["false_alarms_per_1k"] for r in rows if r["detector"] == "pca"}
    tally = [int(n) for n in by_seed.split("|")[-2].split("/")]
    assert tally[0] == sum(fa[("augmented:gen", s)] < fa[("real", s)] for s in range(10)) and sum(tally) == 10


def test_code_guided_set_calibrated_per_seed(tmp_path):
    spec = {"from": "code", "name": "blocks", "src": str(REPO / "examples/blockstore/src"),
            "recipe": str(REPO / "examples/blockstore/recipe.yaml"), "sessions": 120, "calibrate": "train"}
    config = write_config(tmp_path, data={"real": str(REPO / "examples" / "logs"), "synthetic": [spec]},
                          split={"train_fraction": 0.6, "validation_fraction": 0.25}, regimes=["real", "augmented"],
                          ratios=[1.0], augment="normal")
    result, paths = bench(config, tmp_path / "out")
    assert {(r["regime"], r["seed"]) for r in result.rows if r["detector"] == "pca"} == {
        (regime, seed) for regime in ("real", "augmented:blocks") for seed in range(5)}
    assert result.data["synthetic"]["blocks"]["calibrate"] == "train"
    assert set(json.loads(paths["coverage"].read_text())["by_seed"]["4"]) == {"blocks"}


def test_distinct_augmentation_takes_each_sequence_once_most_frequent_first():
    labels = np.array([0, 0, 0, 1] * 30)
    real_X = [["A", f"real-{i}"] for i in range(len(labels))]
    # normal synthetic sequences: "x" 5 times, "y" 3 times, "z" once; anomalous "bad" 4 times
    syn_X = [["x"]] * 5 + [["bad"]] * 4 + [["y"]] * 3 + [["z"]]
    syn_y = np.array([0] * 5 + [1] * 4 + [0] * 3 + [0])
    changes = {**BASE, "data": {"real": "r", "synthetic": [{"path": "g"}]}, "regimes": ["augmented"],
               "augment": "normal", "augment_pick": "distinct"}
    split = split_indices(labels, SplitSpec(), 0)
    n_normal = int((labels[split.train] == 0).sum())
    few = bench_module.BenchConfig.model_validate({**changes, "ratios": [2 / n_normal]})
    (training,) = bench_module.training_sets(few, real_X, labels, split, {"g": (syn_X, syn_y)}, 0)
    assert training.X_train[len(split.train):] == [["x"], ["y"]]
    many = bench_module.BenchConfig.model_validate({**changes, "ratios": [7 / n_normal]})
    (training,) = bench_module.training_sets(many, real_X, labels, split, {"g": (syn_X, syn_y)}, 0)
    added = training.X_train[len(split.train):]
    assert added[:3] == [["x"], ["y"], ["z"]] and len(added) == 7 and ["bad"] not in added


def test_a_sets_training_data_does_not_depend_on_the_other_sets_listed():
    labels = np.array([0, 0, 0, 1] * 30)
    real_X = [["A", f"real-{i}"] for i in range(len(labels))]
    one = ([["B", f"one-{i}"] for i in range(40)], np.zeros(40, dtype=np.int64))
    two = ([["C", f"two-{i}"] for i in range(60)], np.zeros(60, dtype=np.int64))
    changes = {**BASE, "regimes": ["synthetic", "augmented"], "augment": "normal", "synthetic_sample": 30,
               "ratios": [0.5, 1.0]}
    split = split_indices(labels, SplitSpec(), 3)

    def sets(names, ratios):
        config = bench_module.BenchConfig.model_validate(
            {**changes, "ratios": ratios, "data": {"real": "r", "synthetic": [{"path": n} for n in names]}})
        chosen = {"one": one, "two": two}
        trainings = bench_module.training_sets(config, real_X, labels, split, {n: chosen[n] for n in names}, 3)
        return {(t.regime, t.ratio): t.X_train + t.X_val for t in trainings}

    both = sets(["one", "two"], [0.5, 1.0])
    alone = sets(["two"], [1.0])
    assert both[("synthetic:two", None)] == alone[("synthetic:two", None)]
    assert both[("augmented:two", 1.0)] == alone[("augmented:two", 1.0)]
    assert both[("augmented:two", 1.0)] != both[("augmented:one", 1.0)]
