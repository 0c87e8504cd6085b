"""Issue 14's criteria read from a finished bench run: false alarms, recall and F1 of every augmented regime
against real-only training, with the paired tests, and the coverage figures.

Usage: python benchmarks/proof_tables.py OUT_DIR [OUT_DIR ...] [--regime augmented:codegen]

Prints Markdown (the tables of docs/results.md). A row passes when false alarms per 1,000 normal test sessions
fall by at least 30 % (Wilcoxon p < 0.01), recall moves by at most 1 point and F1 falls by at most 1 point.
An unfinished run (a results.csv that grew as cells finished, no results.json) is read from its rows: the paired
tests then use the seeds each pair of cells has. Several output directories (one run's seeds split over
processes, each seed in one of them) are read as one run: their rows and coverage together, the paired tests
recomputed over all their seeds.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
from pathlib import Path

from synthlog.detect.report import BASELINE, TESTED_METRICS, aggregate, coverage_markdown, significance

FA_CUT, RECALL_BAND, F1_FLOOR, ALPHA = 0.30, 0.01, -0.01, 0.01


def _tests(results: dict) -> dict:
    return {(t["detector"], t["regime"], t["ratio"], t["metric"]): t for t in results["significance"]}


def _fmt_p(test: dict | None) -> str:
    if not test or test["wilcoxon_p"] is None or math.isnan(test["wilcoxon_p"]):
        return "n/a"
    return f"{test['wilcoxon_p']:.3g} / {test['ttest_p']:.3g}"


def criteria_table(results: dict, regimes: list[str] | None = None) -> str:
    """One row per detector and augmented (or synthetic) cell: real vs regime on FA/1k, recall, F1, with tests."""
    cells = {(c["detector"], c["regime"], c["ratio"]): c for c in aggregate(results["rows"])}
    tests = _tests(results)
    lines = ["| detector | regime | ratio | FA/1k real | FA/1k regime | change | p (Wilcoxon / t) | recall real "
             "| Δ recall | F1 real | Δ F1 | p F1 | P@R real | P@R regime | passes |",
             "|---|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---|---:|---:|---|"]
    for (detector, regime, ratio), cell in cells.items():
        if regime == "real" or detector == BASELINE or (regimes and regime not in regimes):
            continue
        real = cells[(detector, "real", None)]
        fa_real, fa = real["false_alarms_per_1k_mean"], cell["false_alarms_per_1k_mean"]
        change = (fa - fa_real) / fa_real if fa_real else math.nan
        d_recall = cell["recall_mean"] - real["recall_mean"]
        d_f1 = cell["f1_mean"] - real["f1_mean"]
        fpr_test = tests.get((detector, regime, ratio, "fpr"))
        passes = (change <= -FA_CUT and fpr_test is not None and (fpr_test["wilcoxon_p"] or 1) < ALPHA
                  and abs(d_recall) <= RECALL_BAND and d_f1 >= F1_FLOOR)
        lines.append(f"| {detector} | {regime} | {'' if ratio is None else f'{ratio:g}'} | {fa_real:.1f} | {fa:.1f} "
                     f"| {change:+.0%} | {_fmt_p(fpr_test)} | {real['recall_mean']:.3f} | {d_recall:+.3f} "
                     f"| {real['f1_mean']:.3f} | {d_f1:+.3f} | {_fmt_p(tests.get((detector, regime, ratio, 'f1')))} "
                     f"| {real['p_at_r_mean']:.3f} | {cell['p_at_r_mean']:.3f} | {'yes' if passes else 'no'} |")
    return "\n".join(lines) + "\n"


def per_seed_table(results: dict, regime: str, detectors: list[str]) -> str:
    """False alarms per 1,000 normal test sessions, seed by seed: real-only / ``regime`` (first ratio), per detector:
    which seeds a paired test counts as gains, losses and ties."""
    rows = results["rows"]
    fa = {(r["detector"], r["regime"], r["seed"]): r["false_alarms_per_1k"] for r in rows
          if r["regime"] == "real" or (r["regime"] == regime and r["ratio"] == min(
              x["ratio"] for x in rows if x["regime"] == regime))}
    seeds = sorted({seed for _, _, seed in fa})
    lines = ["| detector | " + " | ".join(f"seed {s}" for s in seeds) + " | lower / higher / same |",
             "|---|" + "---:|" * len(seeds) + "---|"]
    for detector in detectors:
        pairs = [(fa.get((detector, "real", s)), fa.get((detector, regime, s))) for s in seeds]
        known = [(a, b) for a, b in pairs if a is not None and b is not None]
        cells = ["" if a is None or b is None else f"{a:.1f} / {b:.1f}" for a, b in pairs]
        tally = (sum(b < a for a, b in known), sum(b > a for a, b in known), sum(b == a for a, b in known))
        lines.append(f"| {detector} | " + " | ".join(cells) + " | " + " / ".join(map(str, tally)) + " |")
    return "\n".join(lines) + "\n"


def real_table(results: dict) -> str:
    cells = [c for c in aggregate(results["rows"]) if c["regime"] == "real"]
    lines = ["| detector | P | R | F1 | FPR | FA/1k | P@R | R@R | ROC-AUC |", "|---|---|---|---|---|---:|---|---|---|"]
    for c in cells:
        pm = [f"{c[f'{m}_mean']:.3f} ± {c[f'{m}_std']:.3f}" for m in ("precision", "recall", "f1", "fpr")]
        lines.append(f"| {c['detector']} | {' | '.join(pm)} | {c['false_alarms_per_1k_mean']:.1f} "
                     f"| {c['p_at_r_mean']:.3f} | {c['r_at_r_mean']:.3f} | {c['auc_mean']:.3f} |")
    return "\n".join(lines) + "\n"


def read_run(out: Path) -> dict:
    """results.json of a finished run, or the rows of an unfinished one's results.csv with their paired tests."""
    if (out / "results.json").is_file():
        return json.loads((out / "results.json").read_text())
    with (out / "results.csv").open(newline="") as fh:
        rows = []
        for raw in csv.DictReader(fh):
            row = {k: (float(v) if v not in ("", "ok", "timeout") and k not in ("detector", "regime") else v)
                   for k, v in raw.items()}
            row.update(ratio=None if raw["ratio"] == "" else float(raw["ratio"]), seed=int(raw["seed"]),
                       fit_seconds=math.nan, score_seconds=math.nan)
            rows.append(row)
    tests = [t for metric in TESTED_METRICS for t in significance(rows, metric)]
    return {"config": {"name": f"{out.name} (unfinished: {len(rows)} rows of results.csv)"}, "rows": rows,
            "significance": tests}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, nargs="+", help="`synthlog bench` output directories (one run's parts)")
    parser.add_argument("--regime", action="append", help="only these regimes (repeatable)")
    args = parser.parse_args(argv)
    runs = [read_run(out) for out in args.out]
    results = runs[0]
    if len(runs) > 1:
        rows = [row for run in runs for row in run["rows"]]
        results = {"config": {"name": " + ".join(run["config"]["name"] for run in runs)}, "rows": rows,
                   "significance": [t for metric in TESTED_METRICS for t in significance(rows, metric)]}
    coverage = {}
    for out in args.out:
        coverage_file = out / "coverage.json"
        coverage |= json.loads(coverage_file.read_text())["by_seed"] if coverage_file.is_file() else {}
    print(f"## {results['config']['name']}\n\nReal-only training (mean ± std over seeds)\n")
    print(real_table(results))
    print("Against real-only training (means over seeds; p: paired, by seed)\n")
    print(criteria_table(results, args.regime))
    detectors = list(dict.fromkeys(r["detector"] for r in results["rows"] if r["detector"] != BASELINE))
    # the forecasting models, the subject, where the run has them
    shown = [d for d in ("deeplog", "transformer", "loganomaly") if d in detectors] or detectors
    for regime in sorted({r["regime"] for r in results["rows"] if r["regime"].startswith("augmented")}):
        if not args.regime or regime in args.regime:
            print(f"False alarms per 1,000 normal test sessions by seed, real / {regime}\n")
            print(per_seed_table(results, regime, shown))
    print("\n".join(coverage_markdown(coverage)))


if __name__ == "__main__":
    main()
