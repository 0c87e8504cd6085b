"""benchmarks/augmentation.py end to end in its small mode, and load_dataset on a `synthlog generate stats` output."""

import csv
import importlib.util
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from synthlog.io.datasets import load_dataset
from synthlog.io.loghub import read_labels

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def load_script():
    spec = importlib.util.spec_from_file_location("augmentation", REPO / "benchmarks" / "augmentation.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generate_stats_output_loads_as_labeled_sessions(tmp_path):
    out = tmp_path / "storage"
    spec = REPO / "examples" / "specs" / "storage.yaml"
    subprocess.run([sys.executable, "-m", "synthlog", "-q", "generate", "stats", str(spec), "--lines", "3000",
                    "--seed", "3", "--out", str(out)], check=True)
    ds = load_dataset(out)
    labels = read_labels(out / "anomaly_label.csv")
    assert sum(len(s) for s in ds.sessions) == 3000
    assert {s.id: s.label for s in ds.sessions} == labels  # one session per labeled request or block, same label
    blocks = [s for s in ds.sessions if s.id.startswith("blk_")]
    assert blocks and all(e.template_id in ds.templates for s in blocks for e in s.events)


@pytest.mark.skipif(not (SHARED / "hdfs" / "deeploglizer_hdfs100k_sessions").is_dir(), reason="shared data absent")
def test_small_run_generates_aligns_benches_and_resumes(tmp_path):
    script = load_script()
    argv = ["--small", "--detectors", "logistic", "--src", str(REPO / "examples/blockstore/src"),
            "--recipe", str(REPO / "examples/blockstore/recipe.yaml"), "--out", str(tmp_path)]
    results = script.main(argv)

    alignment = {a["name"]: a for a in json.loads((tmp_path / "alignment.json").read_text())}
    # the block store logs HDFS's messages: most of its events must land on real HDFS100k ids, not OOV
    assert alignment["codegen"]["share_real_id"] > 0.5
    assert alignment["stats"]["share_real_id"] == 1.0  # profiled from the real data: its templates only
    with results.open() as fh:
        rows = list(csv.DictReader(fh))
    cells = Counter((r["detector"], r["regime"], r["ratio"]) for r in rows)
    expected = {("logistic", "real", "")} | {("logistic", f"synthetic:{n}", "") for n in ("codegen", "stats")} | {
        ("logistic", f"augmented:{n}", r) for n in ("codegen", "stats") for r in ("0.010000", "0.100000", "1.000000")}
    assert set(cells) == expected | {("flag_everything", "real", "")} and set(cells.values()) == {5}
    summary = (tmp_path / "bench" / "all" / "summary.md").read_text()
    assert "| logistic | augmented:codegen | 1 | 5 |" in summary and "Wilcoxon" in summary

    codegen_written = (tmp_path / "codegen" / "summary.json").stat().st_mtime_ns
    first = results.read_bytes()
    assert script.main(argv).read_bytes() == first  # a second run reuses every step and writes the same results
    assert (tmp_path / "codegen" / "summary.json").stat().st_mtime_ns == codegen_written
    timing = json.loads((tmp_path / "bench" / "classical" / "timing.json").read_text())
    assert timing["cells"] == len(rows) and timing["cpu_seconds"] > 0

