"""Bench reporting: mean and spread per cell, paired tests against the real regime, summary.md and F1 plots."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from synthlog.detect.stats_tests import paired_test
from synthlog.io.atomic import atomic_path

METRICS = ("precision", "recall", "f1", "fpr", "auc")


def _cell_key(row: dict[str, Any]) -> tuple[str, str, float | None]:
    return row["detector"], row["regime"], row["ratio"]


def _grouped(rows: Sequence[dict[str, Any]]) -> dict[tuple, list[dict[str, Any]]]:
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for row in rows:  # first-appearance order: the run's own order, deterministic
        groups.setdefault(_cell_key(row), []).append(row)
    return groups


def aggregate(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per (detector, regime, ratio): seeds, and mean and sample standard deviation (ddof=1) per metric.

    A metric that is NaN for some seed (AUC with one test class) is averaged over the seeds where it exists.
    """
    cells = []
    for (detector, regime, ratio), group in _grouped(rows).items():
        cell: dict[str, Any] = {"detector": detector, "regime": regime, "ratio": ratio, "seeds": len(group)}
        for metric in METRICS:
            values = np.asarray([r[metric] for r in group], dtype=np.float64)
            values = values[np.isfinite(values)]
            cell[f"{metric}_mean"] = float(values.mean()) if values.size else math.nan
            cell[f"{metric}_std"] = float(values.std(ddof=1)) if values.size > 1 else math.nan
        cell["fit_seconds_mean"] = float(np.mean([r["fit_seconds"] for r in group]))
        cell["score_seconds_mean"] = float(np.mean([r["score_seconds"] for r in group]))
        cells.append(cell)
    return cells


def significance(rows: Sequence[dict[str, Any]], metric: str = "f1") -> list[dict[str, Any]]:
    """Each non-real cell of a detector against its real cell, paired by seed (see :mod:`stats_tests`)."""
    groups = _grouped(rows)
    tests = []
    for (detector, regime, ratio), group in groups.items():
        baseline = groups.get((detector, "real", None))
        if regime == "real" or baseline is None:
            continue
        real_by_seed = {r["seed"]: r[metric] for r in baseline}
        seeds = [r["seed"] for r in group if r["seed"] in real_by_seed]
        other_by_seed = {r["seed"]: r[metric] for r in group}
        test = paired_test([real_by_seed[s] for s in seeds], [other_by_seed[s] for s in seeds])
        tests.append({"detector": detector, "regime": regime, "ratio": ratio, "metric": metric, "seeds": test.n,
                      "mean_difference": test.mean_difference, "wilcoxon_p": test.wilcoxon_p,
                      "ttest_p": test.ttest_p})
    return tests


def _pm(cell: dict[str, Any], metric: str) -> str:
    mean, std = cell[f"{metric}_mean"], cell[f"{metric}_std"]
    if math.isnan(mean):
        return "n/a"
    return f"{mean:.3f} ± {std:.3f}" if not math.isnan(std) else f"{mean:.3f}"


def _ratio(ratio: float | None) -> str:
    return "" if ratio is None else f"{ratio:g}"


def _p(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.4f}"


def summary_markdown(config, data: dict[str, Any], cells: list[dict[str, Any]], tests: list[dict[str, Any]]) -> str:
    """The human-readable report of a bench run."""
    split = config.split
    lines = [
        f"# Detector benchmark: {config.name}",
        "",
        f"Real data: `{config.data.real}` ({data['real']['sessions']} sessions, "
        f"{data['real']['anomalies']} anomalous).",
    ]
    for name, info in data.get("synthetic", {}).items():
        lines.append(f"Synthetic data `{name}`: {info['sessions']} sessions, {info['anomalies']} anomalous.")
    anomaly_fraction = split.train_fraction if split.anomaly_train_fraction is None else split.anomaly_train_fraction
    lines += [
        "",
        f"Split: {split.method}, stratified by label; training part = {split.train_fraction:g} of the real normal "
        f"sessions and {anomaly_fraction:g} of the real anomalies, of which {split.validation_fraction:g} is kept "
        "for validation; the rest is the held-out test set, the same for every regime of a seed.",
        f"Seeds: {', '.join(str(s) for s in config.seeds)}. Threshold: "
        + ("calibrated on the validation part (best F1, or the "
           f"{config.normal_quantile:g} quantile of normal scores without validation anomalies), never on test."
           if config.threshold == "validation" else "each detector's own default rule."),
        "Unsupervised detectors learn from the normal training sessions only; supervised ones from both classes.",
        "",
        "## Results (mean ± standard deviation over seeds, sample std)",
        "",
        "| detector | regime | ratio | seeds | precision | recall | F1 | FPR | ROC-AUC | fit s |",
        "|---|---|---:|---:|---|---|---|---|---|---:|",
    ]
    for c in cells:
        lines.append(f"| {c['detector']} | {c['regime']} | {_ratio(c['ratio'])} | {c['seeds']} | {_pm(c, 'precision')} "
                     f"| {_pm(c, 'recall')} | {_pm(c, 'f1')} | {_pm(c, 'fpr')} | {_pm(c, 'auc')} "
                     f"| {c['fit_seconds_mean']:.2f} |")
    if tests:
        lines += [
            "",
            "## Paired tests against the real regime (F1, paired by seed)",
            "",
            "Wilcoxon signed-rank test, two-sided, exact (primary; with 5 seeds its smallest possible p-value is "
            "0.0625), and the paired t-test (secondary). Difference = regime minus real.",
            "",
            "| detector | regime | ratio | seeds | mean ΔF1 | Wilcoxon p | paired t p |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        for t in tests:
            lines.append(f"| {t['detector']} | {t['regime']} | {_ratio(t['ratio'])} | {t['seeds']} "
                         f"| {t['mean_difference']:+.3f} | {_p(t['wilcoxon_p'])} | {_p(t['ttest_p'])} |")
    lines.append("")
    return "\n".join(lines)


def plot_f1(cells: list[dict[str, Any]], out_dir: Path) -> dict[str, Path]:
    """One PNG per detector: mean F1 of each regime (and ratio) with its standard deviation (none without
    matplotlib, the ``report`` extra: the figures are in results.json and summary.md all the same)."""
    try:
        import matplotlib
    except ModuleNotFoundError:
        return {}
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths: dict[str, Path] = {}
    detectors = list(dict.fromkeys(c["detector"] for c in cells))
    for detector in detectors:
        mine = [c for c in cells if c["detector"] == detector]
        labels = [c["regime"] + ("" if c["ratio"] is None else f"\n×{c['ratio']:g}") for c in mine]
        means = [c["f1_mean"] for c in mine]
        errors = [0.0 if math.isnan(c["f1_std"]) else c["f1_std"] for c in mine]
        fig, ax = plt.subplots(figsize=(max(4.0, 1.1 * len(mine) + 1.5), 3.6))
        ax.bar(range(len(mine)), means, yerr=errors, capsize=4, color="#4c72b0")
        ax.set_xticks(range(len(mine)), labels, fontsize=8)
        ax.set_ylim(0, 1.05)
        ax.set_ylabel("F1 (mean ± std over seeds)")
        ax.set_title(f"{detector}: F1 by training regime")
        fig.tight_layout()
        path = out_dir / f"f1_{detector}.png"
        out_dir.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png", dpi=110, metadata={"Software": None})
        plt.close(fig)
        paths[detector] = path
    return paths
