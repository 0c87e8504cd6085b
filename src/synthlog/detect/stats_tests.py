"""Paired significance tests between two regimes of one detector, over the seeds they share.

The primary test is the Wilcoxon signed-rank test (two-sided, exact distribution for small samples, zero
differences dropped): it assumes nothing about the shape of the differences, but with 5 seeds its smallest possible
p-value is 0.0625, so five seeds can never reach p < 0.05 with it. The paired t-test is reported beside it as a
secondary figure (it assumes normally distributed differences). Both p-values are reported as computed, except
that differences all equal and non-zero (no spread: t is infinite) give the t-test's limit, p = 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class PairedTest:
    n: int
    mean_difference: float  # mean of (b - a)
    wilcoxon_p: float
    ttest_p: float


def paired_test(a, b) -> PairedTest:
    """Compare paired samples ``a`` and ``b`` (e.g. F1 per seed of two regimes); NaN p-values when undefined."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"paired samples differ in size: {a.shape} and {b.shape}")
    keep = np.isfinite(a) & np.isfinite(b)
    diff = b[keep] - a[keep]
    n = int(diff.size)
    if n < 2:
        return PairedTest(n, float(diff.mean()) if n else math.nan, math.nan, math.nan)
    if not np.any(diff):
        return PairedTest(n, 0.0, 1.0, 1.0)  # identical results: no evidence of any difference
    wilcoxon_p = float(stats.wilcoxon(diff, zero_method="wilcox", alternative="two-sided").pvalue)
    constant = np.ptp(diff) <= 1e-12 * max(1.0, float(np.abs(diff).max()))  # t undefined: zero spread
    ttest_p = 0.0 if constant else float(stats.ttest_1samp(diff, 0.0).pvalue)
    return PairedTest(n, float(diff.mean()), wilcoxon_p, ttest_p)
