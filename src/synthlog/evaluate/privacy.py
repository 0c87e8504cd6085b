"""Privacy checks of a synthetic data set against the real logs it was derived from: leakage of parameter values
(IP addresses, block ids, paths, hosts, long numbers), of secret-like values (:mod:`synthlog.privacy.secrets`) and of
rare tokens (seen in fewer than k real sessions), and the distance to the closest real record (DCR) of synthetic
sessions compared with a real holdout.

Definitions: docs/stats.md, "Profiling and validation".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from synthlog.logstats import session_keys
from synthlog.privacy.values import KINDS
from synthlog.records import LabeledDataset


def directory_files(directory: Path) -> list[Path]:
    """Every regular file under a generated data set's directory."""
    return sorted(p for p in Path(directory).rglob("*") if p.is_file())


@dataclass(slots=True)
class LeakageReport:
    """Per kind: distinct real values, distinct synthetic values, and the real values found in the synthetic output."""

    real: dict[str, int]
    synthetic: dict[str, int]
    leaked: dict[str, list[str]]

    @property
    def leaked_total(self) -> int:
        return sum(len(v) for v in self.leaked.values())

    @property
    def leaked_values(self) -> set[str]:
        """Every leaked value, whatever its kind (a value can be of several kinds)."""
        return set().union(*self.leaked.values())

    def to_dict(self, examples: int = 5) -> dict[str, Any]:
        return {
            "leaked_total": self.leaked_total,
            "leaked_distinct": len(self.leaked_values),
            "kinds": {kind: {"real": self.real[kind], "synthetic": self.synthetic[kind],
                             "leaked": len(self.leaked[kind]), "examples": self.leaked[kind][:examples]}
                      for kind in KINDS},
        }


def leakage_check(real: dict[str, set[str]], synthetic: dict[str, set[str]]) -> LeakageReport:
    """Which real values re-appear in the synthetic output, per kind (sorted, so reports are stable). For
    ``rare_token`` the synthetic side holds only tokens of the real rare set, so ``synthetic`` counts leaks too."""
    return LeakageReport(
        real={k: len(real.get(k, ())) for k in KINDS},
        synthetic={k: len(synthetic.get(k, ())) for k in KINDS},
        leaked={k: sorted(real.get(k, set()) & synthetic.get(k, set())) for k in KINDS},
    )


def _count_matrix(sequences: list[list[str]], vocabulary: dict[str, int]) -> np.ndarray:
    matrix = np.zeros((len(sequences), len(vocabulary)), dtype=float)
    for row, seq in enumerate(sequences):
        for key in seq:
            matrix[row, vocabulary[key]] += 1
    return matrix


def _summary(distances: np.ndarray) -> dict[str, float]:
    return {"median": float(np.median(distances)), "mean": float(distances.mean()),
            "exact_match_share": float((distances == 0).mean())}


def distance_to_closest_record(real: LabeledDataset, synthetic: LabeledDataset, seed: int = 0,
                               max_sessions: int = 5000) -> dict[str, Any]:
    """DCR on template-count vectors (Euclidean): synthetic sessions to the closest real "train" session, against the
    baseline of real holdout sessions to the same train half.

    The real sessions are split in two halves at random (seeded). A synthetic set that copies real sessions sits
    closer to the train half than the holdout does (``synthetic_to_holdout_median_ratio`` < 1, exact-match share above
    the holdout's); at most ``max_sessions`` sessions per side are used."""
    rng = np.random.default_rng(seed)
    real_keys = [k for k in session_keys(real) if k]
    syn_keys = [k for k in session_keys(synthetic) if k]
    if len(real_keys) < 4 or not syn_keys:
        return {"available": False, "reason": "need at least 4 real and 1 synthetic non-empty sessions"}
    order = rng.permutation(len(real_keys))
    half = len(order) // 2
    train = [real_keys[i] for i in order[:half][:max_sessions]]
    holdout = [real_keys[i] for i in order[half:][:max_sessions]]
    syn_pick = rng.permutation(len(syn_keys))[:max_sessions]
    syn = [syn_keys[i] for i in syn_pick]
    vocabulary = {k: i for i, k in enumerate(sorted({k for seq in train + holdout + syn for k in seq}))}
    tree = cKDTree(_count_matrix(train, vocabulary))
    syn_dist, _ = tree.query(_count_matrix(syn, vocabulary), k=1)
    hold_dist, _ = tree.query(_count_matrix(holdout, vocabulary), k=1)
    syn_summary, hold_summary = _summary(syn_dist), _summary(hold_dist)
    ratios = {f"synthetic_to_holdout_{stat}_ratio": (syn_summary[stat] / hold_summary[stat]
                                                     if hold_summary[stat] else None) for stat in ("median", "mean")}
    return {"available": True, "train_sessions": len(train), "holdout_sessions": len(holdout),
            "synthetic_sessions": len(syn), "synthetic_to_train": syn_summary, "holdout_to_train": hold_summary,
            **ratios}
