"""Distributions that show real and synthetic data side by side: template frequencies, session lengths,
inter-arrival times, transitions between templates and the level mix.

``compare_distributions(real, synthetic)`` returns plain, JSON-ready numbers (shares, bin edges, matrices), so
``validation.json`` keeps them and ``synthlog report`` draws them without reading either data set again. Keys are
the same template keys the fidelity metrics use (:func:`synthlog.logstats.session_keys`).
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import numpy as np

from synthlog.logstats import session_keys, session_times
from synthlog.records import US, LabeledDataset

TOP_TEMPLATES = 25  # bars in the template chart; the rest is summed as "other"
TOP_TRANSITIONS = 15  # rows/columns of the transition heatmaps
LENGTH_BINS = 20
GAP_EDGES = [0.0, 1e-3, 1e-2, 0.1, 1.0, 10.0, 60.0, 600.0, 3600.0, math.inf]  # seconds, log-like


def _shares(counts: Counter[str], keys: list[str]) -> list[float]:
    total = sum(counts.values()) or 1
    return [counts.get(k, 0) / total for k in keys]


def template_frequencies(real_keys: list[list[str]], synthetic_keys: list[list[str]]) -> dict[str, Any]:
    """The most frequent real templates (then synthetic-only ones) with their share of lines on each side."""
    real = Counter(k for seq in real_keys for k in seq)
    synthetic = Counter(k for seq in synthetic_keys for k in seq)
    order = [k for k, _ in sorted(real.items(), key=lambda kv: (-kv[1], kv[0]))]
    order += [k for k, _ in sorted(synthetic.items(), key=lambda kv: (-kv[1], kv[0])) if k not in real]
    shown = order[:TOP_TEMPLATES]
    real_shares, synthetic_shares = _shares(real, shown), _shares(synthetic, shown)
    return {
        "templates": shown,
        "real": real_shares,
        "synthetic": synthetic_shares,
        "real_other": max(0.0, 1.0 - sum(real_shares)) if real else 0.0,
        "synthetic_other": max(0.0, 1.0 - sum(synthetic_shares)) if synthetic else 0.0,
        "real_only": sum(1 for k in real if k not in synthetic),
        "synthetic_only": sum(1 for k in synthetic if k not in real),
    }


def _histogram(values: list[float], edges: list[float]) -> list[float]:
    if not values:
        return [0.0] * (len(edges) - 1)
    counts, _ = np.histogram(np.asarray(values, dtype=float), bins=np.asarray(edges, dtype=float))
    return (counts / max(1, len(values))).tolist()


def session_lengths(real_keys: list[list[str]], synthetic_keys: list[list[str]]) -> dict[str, Any]:
    """Share of sessions by number of events, on common bins (integer-wide when the lengths are small)."""
    lengths = [len(s) for s in real_keys] + [len(s) for s in synthetic_keys]
    top = max(lengths, default=1)
    width = max(1, math.ceil((top + 1) / LENGTH_BINS))
    edges = [float(i * width) for i in range(math.ceil((top + 1) / width) + 1)]
    return {"edges": edges, "real": _histogram([len(s) for s in real_keys], edges),
            "synthetic": _histogram([len(s) for s in synthetic_keys], edges)}


def _gaps(dataset: LabeledDataset) -> list[float]:
    out: list[float] = []
    for session in dataset.sessions:
        times = session_times(session)
        if times:
            out.extend(max(0.0, (b - a) / US) for a, b in zip(times, times[1:], strict=False))
    return out


def inter_arrivals(real: LabeledDataset, synthetic: LabeledDataset) -> dict[str, Any]:
    """Share of within-session gaps between consecutive events, in log-spaced bins of seconds (empty when a side has
    no timestamps, as event-id sequence files do)."""
    real_gaps, synthetic_gaps = _gaps(real), _gaps(synthetic)
    return {"edges": [e if math.isfinite(e) else None for e in GAP_EDGES],
            "real": _histogram(real_gaps, GAP_EDGES), "synthetic": _histogram(synthetic_gaps, GAP_EDGES),
            "real_count": len(real_gaps), "synthetic_count": len(synthetic_gaps)}


def _transition_matrix(keys: list[list[str]], states: list[str]) -> list[list[float]]:
    index = {s: i for i, s in enumerate(states)}
    m = np.zeros((len(states), len(states)))
    for seq in keys:
        for a, b in zip(seq, seq[1:], strict=False):
            if a in index and b in index:
                m[index[a], index[b]] += 1
    rows = m.sum(axis=1, keepdims=True)
    return np.divide(m, rows, out=np.zeros_like(m), where=rows > 0).round(6).tolist()


def transitions(real_keys: list[list[str]], synthetic_keys: list[list[str]]) -> dict[str, Any]:
    """Row-normalised transition probabilities among the most frequent real templates, for both sides."""
    counts = Counter(k for seq in real_keys for k in seq) or Counter(k for seq in synthetic_keys for k in seq)
    states = [k for k, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))][:TOP_TRANSITIONS]
    return {"states": states, "real": _transition_matrix(real_keys, states),
            "synthetic": _transition_matrix(synthetic_keys, states)}


def level_mix(real: LabeledDataset, synthetic: LabeledDataset) -> dict[str, Any]:
    """Share of lines per level word on each side (lines without a level count as ``-``)."""
    real_levels = Counter((e.level or "-").upper() for e in real.events())
    synthetic_levels = Counter((e.level or "-").upper() for e in synthetic.events())
    levels = sorted(set(real_levels) | set(synthetic_levels))
    return {"levels": levels, "real": _shares(real_levels, levels), "synthetic": _shares(synthetic_levels, levels)}


def compare_distributions(real: LabeledDataset, synthetic: LabeledDataset) -> dict[str, Any]:
    """Every side-by-side distribution ``synthlog report`` draws, as JSON-ready numbers."""
    real_keys, synthetic_keys = session_keys(real), session_keys(synthetic)
    return {
        "template_frequencies": template_frequencies(real_keys, synthetic_keys),
        "session_lengths": session_lengths(real_keys, synthetic_keys),
        "inter_arrivals": inter_arrivals(real, synthetic),
        "transitions": transitions(real_keys, synthetic_keys),
        "levels": level_mix(real, synthetic),
        "sessions": {"real": len(real), "synthetic": len(synthetic)},
    }
