"""profile --epsilon: one budget split across families of counts (OpenDP's accounting), each session's contribution
bounded, the same seed giving the same spec."""

import json
import math
import subprocess
import sys
from copy import copy
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from synthlog.extras import missing_message
from synthlog.privacy.budget import Budget, bound_sessions, privacy_map
from synthlog.records import LabeledDataset
from synthlog.stats.profile import BUDGET_SHARES, ProfileOptions, load_logs, profile_dataset
from synthlog.stats.specfile import dump_spec

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "logs"


@pytest.fixture(scope="module")
def blockstore():
    return load_logs(EXAMPLES / "blockstore.log", log_format="hdfs", labels=EXAMPLES / "blockstore_labels.csv")


@pytest.mark.parametrize("epsilon", [5.0, 20.0])  # 36 sessions of 14-16 lines: a smaller budget leaves no process
def test_the_families_spend_the_whole_epsilon_and_no_more(blockstore, epsilon):
    options = ProfileOptions(epsilon=epsilon, seed=1, min_sessions=2, max_session_lines=16)
    _, summary = profile_dataset(blockstore, options=options)
    budget = summary.privacy_budget
    families = {f["family"]: f for f in budget["families"]}
    assert set(families) == set(BUDGET_SHARES)  # a raw log with a layout: every family is released, once
    assert math.isclose(sum(f["epsilon"] for f in families.values()), epsilon, rel_tol=1e-6)
    assert math.isclose(budget["spent"], epsilon, rel_tol=1e-6)
    total_share = sum(BUDGET_SHARES.values())
    for name, f in families.items():
        # each family's epsilon is OpenDP's privacy map of its mechanism, and the family's share of the whole
        assert math.isclose(f["epsilon"], privacy_map(f["scale"], f["sensitivity"]), rel_tol=1e-6)
        assert math.isclose(f["epsilon"], epsilon * BUDGET_SHARES[name] / total_share, rel_tol=1e-6)
        assert math.isclose(f["scale"], f["sensitivity"] / f["epsilon"], rel_tol=1e-5)


def test_a_family_is_released_once_and_its_noise_is_discrete_laplace_of_its_scale():
    budget = Budget(2.0, seed=4, shares={"a": 1.0, "b": 3.0})
    noisy = budget.family("a", sensitivity=5)  # epsilon 0.5, scale 10
    with pytest.raises(ValueError, match="released already"):
        budget.family("a", sensitivity=5)
    draws = np.array([noisy(10_000) - 10_000 for _ in range(20_000)])
    assert np.all(draws == np.round(draws))
    scale = 10.0
    q = math.exp(-1 / scale)
    expected_mean_abs = 2 * q / ((1 + q) * (1 - q))  # E|X| of the discrete Laplace P(k) ~ q^|k|
    assert abs(np.abs(draws).mean() - expected_mean_abs) < 0.05 * expected_mean_abs
    assert abs(draws.mean()) < 0.3
    assert budget.spent == pytest.approx(0.5)


def test_one_long_session_adds_at_most_max_session_lines_to_the_counts(blockstore):
    copies = [copy(event) for _ in range(200) for event in blockstore.sessions[0].events]  # new lines, not shared
    giant = replace(blockstore.sessions[0], id="blk_999", events=copies)
    more = LabeledDataset(blockstore.name, [*blockstore.sessions, giant], blockstore.templates, blockstore.metadata)
    bound = 8
    noiseless = ProfileOptions(epsilon=1e9, seed=1, min_sessions=2, max_session_lines=bound)  # noise rounds to 0
    before = profile_dataset(blockstore, options=noiseless)[1].events
    after = profile_dataset(more, options=noiseless)[1].events
    assert 0 < after - before <= bound
    exact = ProfileOptions(seed=1, min_sessions=2)  # without epsilon nothing is cut
    assert profile_dataset(more, options=exact)[1].events - profile_dataset(blockstore, options=exact)[1].events \
        == len(giant.events)
    assert [len(s.events) for s in bound_sessions([giant], bound)] == [bound]


def test_the_same_seed_gives_the_same_spec_and_another_seed_other_noise(blockstore):
    def spec(seed):
        options = ProfileOptions(epsilon=10.0, seed=seed, min_sessions=2, max_session_lines=16)
        return dump_spec(profile_dataset(blockstore, options=options)[0])

    first = spec(5)
    assert first == spec(5) and first != spec(6)
    assert "normal:" in first  # a session process survived the noise: the comparison is of real content
    assert "budget of epsilon 10 per session of at most 16 lines" in first


def test_without_opendp_the_message_names_the_extra():
    assert missing_message("opendp", "profile --epsilon").endswith("pip install 'synthlog[privacy]'")


def test_the_cli_prints_the_split_and_the_summary_holds_the_ledger(tmp_path):
    out, summary = tmp_path / "spec.yaml", tmp_path / "summary.json"
    result = subprocess.run([sys.executable, "-m", "synthlog", "profile", str(EXAMPLES / "blockstore.log"),
                             "--format", "hdfs", "--min-sessions", "2", "--epsilon", "2", "--max-session-lines", "8",
                             "--seed", "11", "--out", str(out), "--summary", str(summary)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "epsilon 2 spent over templates 0.25, nodes 0.125, sessions 0.5" in result.stderr + result.stdout
    ledger = json.loads(summary.read_text())["privacy_budget"]
    assert {f["family"]: f["sensitivity"] for f in ledger["families"]}["sessions"] == 9  # L + 1
    assert "at most 8 lines" in out.read_text() and "warning" not in result.stderr
    default_seed = subprocess.run([sys.executable, "-m", "synthlog", "profile", str(EXAMPLES / "blockstore.log"),
                                   "--format", "hdfs", "--min-sessions", "2", "--epsilon", "2",
                                   "--max-session-lines", "16", "--out", str(tmp_path / "other.yaml")],
                                  capture_output=True, text=True, timeout=120)
    assert default_seed.returncode == 0 and "warning: --epsilon with seed 0" in default_seed.stderr


def test_a_budget_too_small_for_the_data_is_said_not_hidden(tmp_path):
    result = subprocess.run([sys.executable, "-m", "synthlog", "profile", str(EXAMPLES / "blockstore.log"),
                             "--format", "hdfs", "--min-sessions", "2", "--epsilon", "0.5", "--seed", "1",
                             "--out", str(tmp_path / "spec.yaml")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0
    assert "warning: the noise left no session process, so the spec logs nothing: profile more than 36 sessions" \
        in result.stderr
