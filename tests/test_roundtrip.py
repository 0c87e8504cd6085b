"""Round trip on real data: profile the first 5,000 HDFS_v1 lines, simulate the spec, validate against the real lines.

Thresholds (measured over seeds 1-3: score 0.976-0.978, D 1.00, C 0.915-0.935, R 1.00, template 0.965-0.975,
transition 0.988-0.991; with one gap distribution per session model, before per-transition gaps, C was 0.79-0.82):
template and transition similarity >= 0.9 and D_errdist >= 0.8 say the catalogue and its first-order order model
came through; C_temporal >= 0.85 says the per-transition gaps came through (lags within the real pairs' ranges),
while honest about what a first-order Markov model loses in order (the real data keeps its own pairs at 0.98); every
anomaly type of the input must be produced. No IP address or block id of the input may appear in any output file.
"""

from pathlib import Path

import pytest

from synthlog.evaluate.report import validate
from synthlog.stats.profile import ProfileOptions, load_logs, profile_dataset
from synthlog.stats.simulate import StatsSynthesizer

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "hdfs" / "logai_hdfs_v1_first20k_raw"


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    if not DATA.is_dir():
        pytest.skip("shared data not present")
    head = tmp_path_factory.mktemp("real") / "HDFS_5000.log"
    with open(DATA / "HDFS_20000.log", encoding="utf-8") as src:
        head.write_text("".join(line for _, line in zip(range(5000), src, strict=False)), encoding="utf-8")
    return head, load_logs(head, log_format="hdfs", labels=DATA / "block_labels.csv")


def test_profile_generate_validate_hdfs(real, tmp_path):
    head, dataset = real
    spec, summary = profile_dataset(dataset, name="hdfs", options=ProfileOptions(seed=1))
    assert summary.sessions == len(dataset) and summary.anomalous_sessions > 0
    StatsSynthesizer(spec).write(tmp_path / "gen", n_lines=5000, seed=1)
    from synthlog.evaluate.fidelity import reference_from_dataset

    result = validate(reference_from_dataset(dataset), tmp_path / "gen", reference_files=[head])
    assert result["template_similarity"] >= 0.9
    assert result["transition_similarity"] >= 0.9
    assert result["D_errdist"] >= 0.8
    assert result["C_temporal"] >= 0.85
    assert result["causal_pairs"]["reference_C_temporal"] > result["C_temporal"] - 0.05
    assert result["R_anomaly"] == 1.0
    assert result["templates"]["synthetic_in_reference"] == 1.0
    leakage = result["privacy"]["leakage"]["kinds"]
    assert leakage["ip"]["real"] > 50 and leakage["block_id"]["real"] > 500
    assert leakage["ip"]["leaked"] == 0 and leakage["block_id"]["leaked"] == 0
    assert result["privacy"]["leakage"]["leaked_total"] == 0
    dcr = result["privacy"]["dcr"]
    assert dcr["available"] and dcr["synthetic_to_train"]["exact_match_share"] < 1.0
