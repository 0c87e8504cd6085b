"""Bench reporting: mean and spread per cell, paired tests against the real regime (F1, recall, false alarms,
precision at a fixed recall), summary.md with the coverage figures, and F1 plots."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from synthlog.detect.stats_tests import paired_test
from synthlog.io.atomic import atomic_path

BASELINE = "flag_everything"  # its one regime needs no plot of its own
METRICS = ("precision", "recall", "f1", "fpr", "false_alarms_per_1k", "p_at_r", "r_at_r", "auc")
TESTED_METRICS = ("f1", "recall", "fpr", "p_at_r")  # false alarms per 1,000 is FPR x 1,000: the same test
METRIC_NAMES = {"f1": "F1", "recall": "recall", "fpr": "FPR (false alarms per normal session)",
                "p_at_r": "precision at the fixed recall"}


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
            values = np.asarray([r.get(metric, math.nan) for r in group], dtype=np.float64)
            values = values[np.isfinite(values)]
            cell[f"{metric}_mean"] = float(values.mean()) if values.size else math.nan
            cell[f"{metric}_std"] = float(values.std(ddof=1)) if values.size > 1 else math.nan
        cell["fit_seconds_mean"] = float(np.mean([r["fit_seconds"] for r in group]))
        cell["score_seconds_mean"] = float(np.nanmean([r["score_seconds"] for r in group])) \
            if any(np.isfinite(r["score_seconds"]) for r in group) else math.nan
        cell["timeouts"] = sum(1 for r in group if r.get("status") == "timeout")
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


def _pm(cell: dict[str, Any], metric: str, digits: int = 3) -> str:
    mean, std = cell[f"{metric}_mean"], cell[f"{metric}_std"]
    if math.isnan(mean):
        return "n/a"
    return f"{mean:.{digits}f} ± {std:.{digits}f}" if not math.isnan(std) else f"{mean:.{digits}f}"


def _ratio(ratio: float | None) -> str:
    return "" if ratio is None else f"{ratio:g}"


def _p(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.4f}"


def summary_markdown(config, data: dict[str, Any], cells: list[dict[str, Any]], tests: list[dict[str, Any]],
                     warnings: Sequence[str] = (), coverage: dict[str, Any] | None = None) -> str:
    """The human-readable report of a bench run."""
    lines = [
        f"# Detector benchmark: {config.name}",
        "",
        f"Real data: `{config.data.real}` ({data['real']['sessions']} sessions, "
        f"{data['real']['anomalies']} anomalous).",
    ]
    for name, info in data.get("synthetic", {}).items():
        sizes = sorted({(v["sessions"], v["anomalies"]) for v in info.get("by_seed", {}).values()})
        size = (f"{sizes[0][0]} sessions, {sizes[0][1]} anomalous" if len(sizes) == 1 else
                f"{min(s for s, _ in sizes)}-{max(s for s, _ in sizes)} sessions per seed") if sizes else "unused"
        lines.append(f"Synthetic data `{name}` (from {info.get('from', 'file')}): {size}.")
    lines += [f"**Warning:** {w}" for w in warnings]
    lines += ["", _protocol(config), "",
              "## Results (mean ± standard deviation over seeds, sample std)", "",
              f"FA/1k = false alarms per 1,000 normal test sessions. P@R and R@R: test precision and recall at the "
              f"threshold that reaches recall {config.recall_target:g} on the validation part.", "",
              "| detector | regime | ratio | seeds | precision | recall | F1 | FPR | FA/1k | P@R | R@R | ROC-AUC "
              "| fit s |",
              "|---|---|---:|---:|---|---|---|---|---|---|---|---|---:|"]
    for c in cells:
        timeouts = f" ({c['timeouts']} timed out)" if c.get("timeouts") else ""
        lines.append(f"| {c['detector']} | {c['regime']} | {_ratio(c['ratio'])} | {c['seeds']}{timeouts} "
                     + "".join(f"| {_pm(c, m)} " for m in ("precision", "recall", "f1", "fpr"))
                     + f"| {_pm(c, 'false_alarms_per_1k', 1)} | {_pm(c, 'p_at_r')} | {_pm(c, 'r_at_r')} "
                     f"| {_pm(c, 'auc')} | {c['fit_seconds_mean']:.2f} |")
    if tests:
        lines += ["", "## Paired tests against the real regime (paired by seed)", "",
                  "Wilcoxon signed-rank test, two-sided, exact (primary; with n seeds its smallest possible p-value "
                  "is 2/2^n: 0.0625 with 5, 0.002 with 10), and the paired t-test (secondary). Difference = regime "
                  "minus real."]
        for metric in dict.fromkeys(t["metric"] for t in tests):
            lines += ["", f"### {METRIC_NAMES.get(metric, metric)}", "",
                      f"| detector | regime | ratio | seeds | mean Δ{metric} | Wilcoxon p | paired t p |",
                      "|---|---|---:|---:|---:|---:|---:|"]
            for t in (t for t in tests if t["metric"] == metric):
                lines.append(f"| {t['detector']} | {t['regime']} | {_ratio(t['ratio'])} | {t['seeds']} "
                             f"| {t['mean_difference']:+.4f} | {_p(t['wilcoxon_p'])} | {_p(t['ttest_p'])} |")
    if coverage:
        lines += ["", *coverage_markdown(coverage)]
    if data.get("skipped"):
        lines += ["", "## Skipped", ""]
        for item in sorted({(s["detector"], s["regime"], s["why"]) for s in data["skipped"]}):
            lines.append(f"- {item[0]} on {item[1]}: {item[2]}")
    lines.append("")
    return "\n".join(lines)


def _protocol(config) -> str:
    split = config.split
    if split.method == "predefined":
        where = ("Split: the data set's own train / test parts" + ", validation carved from train per seed "
                 f"({split.validation_fraction:g}, stratified)")
    else:
        anomaly_fraction = (split.train_fraction if split.anomaly_train_fraction is None
                            else split.anomaly_train_fraction)
        where = (f"Split: {split.method}, stratified by label; training part = {split.train_fraction:g} of the real "
                 f"normal sessions and {anomaly_fraction:g} of the real anomalies, of which "
                 f"{split.validation_fraction:g} is kept for validation; the rest is the held-out test set, the same "
                 "for every regime of a seed")
    if split.test_anomaly_rate is not None:
        where += f"; test anomalies sampled down to {split.test_anomaly_rate:g} of the test part (seeded)"
    threshold = ("calibrated on the validation part (best F1, or the "
                 f"{config.normal_quantile:g} quantile of normal scores without validation anomalies), never on test."
                 if config.threshold == "validation" else "each detector's own default rule.")
    augment = ("only normal synthetic sessions" if config.augment == "normal" else "synthetic sessions of both classes")
    return (f"{where}. Seeds: {', '.join(str(s) for s in config.seeds)}. Threshold: {threshold} Augmented regimes "
            f"add {augment}, ratio x the real normal training sessions. Unsupervised detectors learn from the normal "
            "training sessions only; supervised ones from both classes.")


def coverage_markdown(coverage: dict[str, Any]) -> list[str]:
    """Mean over seeds of coverage.json's figures, one line per synthetic set."""
    by_set: dict[str, list[dict[str, Any]]] = {}
    for per_set in coverage.values():
        for name, entry in per_set.items():
            by_set.setdefault(name, []).append(entry)
    if not by_set:
        return []
    lines = ["## Coverage of unseen normal behaviour (coverage.json; evaluation only)", "",
             "Normal test sessions whose exact sequence (or count vector) no real normal training session has, and "
             "the share of them the synthetic set's normal sessions hold; label agreement of synthetic sessions "
             "whose sequence occurs in the real training or test part. Mean over seeds (min-max).", "",
             "| set | unseen by sequence | covered | unseen by count vector | covered | found in real "
             "| label agreement |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for name, entries in by_set.items():
        lines.append(f"| {name} | {_range([e['unseen_sessions'] for e in entries], '.0f')} "
                     f"| {_range([e['exact'] for e in entries], '.1%')} "
                     f"| {_range([e['unseen_vector_sessions'] for e in entries], '.0f')} "
                     f"| {_range([e['count_vector'] for e in entries], '.1%')} "
                     f"| {_range([e['synthetic_found_in_real'] for e in entries], '.0f')} "
                     f"| {_range([e['label_agreement'] for e in entries], '.3f')} |")
    return lines


def _range(values: list[float | None], fmt: str) -> str:
    known = [v for v in values if v is not None]
    if not known:
        return "n/a"
    mean = format(float(np.mean(known)), fmt)
    return mean if min(known) == max(known) else f"{mean} ({format(min(known), fmt)}-{format(max(known), fmt)})"


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
    detectors = list(dict.fromkeys(c["detector"] for c in cells if c["detector"] != BASELINE))
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
