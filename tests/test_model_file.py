"""CodeSynthesizer.save / load: a fitted (and calibrated) model as one JSON file that samples the same bytes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from blockstore import RECIPE, TEMPLATES
from synthlog.errors import InputError
from synthlog.records import LabeledDataset
from synthlog.synth.generate import CodeGenConfig, CodeSynthesizer

ROOT = Path(__file__).resolve().parents[1]


def same_files(first: Path, second: Path) -> None:
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(p.name for p in second.iterdir())
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def round_trip(synth: CodeSynthesizer, tmp_path: Path, n: int, seed: int) -> CodeSynthesizer:
    """Save and load ``synth``; the loaded one writes the same files (data set, summary, event files)."""
    saved = synth.save(tmp_path / "model.json")
    loaded = CodeSynthesizer.load(saved)
    synth.write(tmp_path / "original", n, seed=seed, formats=("parquet",))
    loaded.write(tmp_path / "loaded", n, seed=seed, formats=("parquet",))
    same_files(tmp_path / "original", tmp_path / "loaded")
    return loaded


def test_a_recipe_model_with_learned_values_samples_the_same_bytes(graph, tmp_path):
    parsed = tmp_path / "parsed"
    log = ROOT / "examples" / "logs" / "blockstore.log"
    done = subprocess.run([sys.executable, "-m", "synthlog", "parse", str(log), "--format", "hdfs", "--sessions", "blk",
                           "--out", str(parsed)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    synth = CodeSynthesizer(CodeGenConfig(recipe=RECIPE, align_to=TEMPLATES, values_from=parsed)).fit(graph)
    loaded = round_trip(synth, tmp_path, 150, seed=7)
    assert loaded.values_model_ is not None and loaded.values_model_.subnets == synth.values_model_.subnets
    # the file is JSON through and through (never a pickle), and names its version
    document = json.loads((tmp_path / "model.json").read_text(encoding="utf-8"))
    assert document["kind"] == "synthlog.CodeSynthesizer" and document["version"] == 2


def test_a_calibrated_model_samples_the_same_bytes_and_calibrates_again_alike(graph, tmp_path):
    synth = CodeSynthesizer(CodeGenConfig(recipe=RECIPE, align_to=TEMPLATES)).fit(graph)
    real = LabeledDataset("train", synth.sample(120, seed=3).sessions)
    synth.calibrate(real, timing_sessions=40)
    loaded = round_trip(synth, tmp_path, 120, seed=2)
    assert loaded.calibration_report_ == synth.calibration_report_
    again = [s.event_ids for s in loaded.calibrate(real, timing_sessions=40).sample(60, seed=4).sessions]
    assert again == [s.event_ids for s in synth.calibrate(real, timing_sessions=40).sample(60, seed=4).sessions]


def test_a_per_path_model_streams_the_same_events(graph, tmp_path):
    synth = CodeSynthesizer(CodeGenConfig(entries=["auto"], start="2025-05-01T00:00:00")).fit(graph)
    loaded = CodeSynthesizer.load(synth.save(tmp_path / "paths.json"))
    assert [(e.content, e.timestamp, sid) for e, sid in loaded.iter_events(40, seed=9)] == \
        [(e.content, e.timestamp, sid) for e, sid in synth.iter_events(40, seed=9)]


@pytest.fixture(scope="module")
def saved(graph, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("model") / "model.json"
    CodeSynthesizer(CodeGenConfig(recipe=RECIPE)).fit(graph).save(path)
    return path


def test_a_truncated_file_is_one_error_naming_it(saved, tmp_path):
    bad = tmp_path / "cut.json"
    bad.write_bytes(saved.read_bytes()[:5000])
    with pytest.raises(InputError, match="not a saved model") as caught:
        CodeSynthesizer.load(bad)
    assert "cut.json" in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d.update(version=0), "version 0"),
    (lambda d: d.update(kind="spec"), "not a saved CodeSynthesizer"),
    (lambda d: d["state"]["$d"].pop(-1), "missing path_summary_"),
    (lambda d: d["state"]["$d"].pop(1), r"record \d+ used before it is defined"),
    (lambda d: d["state"]["$d"][1][1]["$d"][0][1].update({"$o": "Popen"}), "unknown record type 'Popen'"),
])
def test_a_mismatched_or_damaged_file_is_refused(saved, tmp_path, change, message):
    document = json.loads(saved.read_text(encoding="utf-8"))
    change(document)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(InputError, match=message):
        CodeSynthesizer.load(bad)


def test_an_unfitted_synthesizer_cannot_be_saved(tmp_path):
    with pytest.raises(InputError, match="not fitted"):
        CodeSynthesizer(CodeGenConfig(recipe=RECIPE)).save(tmp_path / "m.json")
    assert not (tmp_path / "m.json").exists()
