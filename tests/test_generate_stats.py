"""`synthlog generate stats` end to end on both example specs, small runs."""

import json
import subprocess
import sys
from pathlib import Path

from synthlog.io.loghub import read_labels

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "specs"


def synthlog(*args):
    return subprocess.run([sys.executable, "-m", "synthlog", "--quiet", *args], capture_output=True, text=True)


def events(out: Path) -> list[dict]:
    return [json.loads(line) for line in next(out.glob("*.jsonl")).read_text().splitlines()]


def test_payment_spec_end_to_end_with_two_dask_workers(tmp_path):
    one = synthlog("generate", "stats", str(EXAMPLES / "payment.yaml"), "--duration", "15s", "--out",
                   str(tmp_path / "one"), "--seed", "4")
    assert one.returncode == 0, one.stderr
    assert "wrote" in one.stdout
    names = ["payment.jsonl", "payment.log", "payment.log_structured.csv", "payment.log_templates.csv",
             "payment.sequences", "payment.metadata.json", "anomaly_label.csv", ".synthlog-manifest.json"]
    assert sorted(p.name for p in (tmp_path / "one").iterdir()) == sorted(names)
    found = events(tmp_path / "one")
    assert {e["component"] for e in found} == {"api-gateway", "payment-api", "auth-service", "fraud-check", "ledger-db"}
    labels = read_labels(tmp_path / "one" / "anomaly_label.csv")
    assert set(labels) == {e["attributes"]["session"] for e in found if "session" in e["attributes"]}
    two = synthlog("generate", "stats", str(EXAMPLES / "payment.yaml"), "--duration", "15s", "--out",
                   str(tmp_path / "two"), "--seed", "4", "--workers", "2")
    assert two.returncode == 0, two.stderr
    for name in names:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name


def test_storage_spec_makes_block_sessions_labeled_per_block(tmp_path):
    out = synthlog("generate", "stats", str(EXAMPLES / "storage.yaml"), "--lines", "20000", "--out", str(tmp_path),
                   "--seed", "2", "--formats", "jsonl")
    assert out.returncode == 0, out.stderr
    assert not (tmp_path / "storage.log").exists() and (tmp_path / "storage.log_templates.csv").exists()
    found = events(tmp_path)
    assert len(found) == 20000
    first: dict[str, str] = {}
    for event in found:
        block = event["attributes"].get("block_id")
        if block is not None:
            first.setdefault(block, event["content"])
            assert block in event["content"]
    assert len(first) > 100 and all(m.startswith("BLOCK* NameSystem.allocateBlock") for m in first.values())
    assert (tmp_path / "anomaly_label.csv").read_text().startswith("BlockId,Label\n")
    labels = read_labels(tmp_path / "anomaly_label.csv")
    anomalous_blocks = {b for b in first if labels[b] == 1}
    assert anomalous_blocks and len(anomalous_blocks) < len(first) / 5
    assert all(e["attributes"]["anomaly"] == "block_write_failure" and e["label"] == 1 for e in found
               if e["attributes"].get("block_id") in anomalous_blocks)


def test_impossible_spec_is_refused_before_anything_runs(tmp_path):
    text = (EXAMPLES / "payment.yaml").read_text().replace("probability: 0.7", "probability: 1.7")
    spec = tmp_path / "bad.yaml"
    spec.write_text(text)
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "probability: 1.7" in t)
    out = synthlog("generate", "stats", str(spec), "--lines", "10", "--out", str(tmp_path / "out"))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert f"{spec}:{line}: causal.0.probability" in out.stderr
    assert not (tmp_path / "out").exists()
    both = synthlog("generate", "stats", str(EXAMPLES / "payment.yaml"), "--lines", "10", "--duration", "1m",
                    "--out", str(tmp_path / "out"))
    assert both.returncode == 2 and "exactly one" in both.stderr
