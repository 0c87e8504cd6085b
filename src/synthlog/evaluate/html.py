"""``synthlog report``: one self-contained HTML page for a validation (``validation.json``) or a bench run
(``results.json``), with charts drawn as inline SVG, so it opens anywhere with no network and no other file.

A validation page shows the headline metrics, template frequencies real vs synthetic, session lengths, inter-arrival
times, transition heatmaps, the level mix, value-shape agreement and the privacy scan; a bench page shows F1 and FPR
(and every other reported rate) by detector and regime with error bars over seeds, and the paired tests with marks.
Sections with nothing to show say so instead of disappearing, so every report has the same outline.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from synthlog import __version__
from synthlog.errors import InputError
from synthlog.extras import require
from synthlog.io.atomic import atomic_open

REAL, SYNTHETIC = "#4c72b0", "#dd8452"
SIGNIFICANT = 0.05  # p below this gets a mark in the bench tables
VALIDATION_SECTIONS = ("metrics", "templates", "session-lengths", "inter-arrivals", "transitions", "levels",
                       "value-shapes", "privacy")
BENCH_SECTIONS = ("overview", "f1", "fpr", "metrics", "significance")


def _plt():
    """matplotlib's pyplot on the Agg back-end with reproducible SVG ids (the same input gives the same page)."""
    matplotlib = require("matplotlib", "synthlog report")
    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "synthlog"
    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: smaller and searchable
    import matplotlib.pyplot as plt

    return plt


def _svg(fig) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    _plt().close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg"):]  # drop the XML prolog and doctype: the page is HTML


def _short(text: str, width: int = 48) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _paired_bars(labels: Sequence[str], real: Sequence[float], synthetic: Sequence[float], title: str,
                 ylabel: str, horizontal: bool = False) -> str:
    plt = _plt()
    n = len(labels)
    positions = list(range(n))
    if horizontal:
        fig, ax = plt.subplots(figsize=(9, max(2.5, 0.32 * n + 1)))
        ax.barh([p - 0.2 for p in positions], real, height=0.4, color=REAL, label="real")
        ax.barh([p + 0.2 for p in positions], synthetic, height=0.4, color=SYNTHETIC, label="synthetic")
        ax.set_yticks(positions, [_short(label) for label in labels], fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel(ylabel)
    else:
        fig, ax = plt.subplots(figsize=(9, 3.4))
        ax.bar([p - 0.2 for p in positions], real, width=0.4, color=REAL, label="real")
        ax.bar([p + 0.2 for p in positions], synthetic, width=0.4, color=SYNTHETIC, label="synthetic")
        ax.set_xticks(positions, labels, fontsize=7, rotation=30 if n > 8 else 0)
        ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return _svg(fig)


def _heatmaps(states: list[str], real: list[list[float]], synthetic: list[list[float]]) -> str:
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.6))
    ticks = [f"T{i + 1}" for i in range(len(states))]
    for ax, matrix, name in ((axes[0], real, "real"), (axes[1], synthetic, "synthetic")):
        image = ax.imshow(matrix, vmin=0.0, vmax=1.0, cmap="viridis")
        ax.set_title(f"{name}: P(next | current)", fontsize=10)
        ax.set_xticks(range(len(states)), ticks, fontsize=6, rotation=90)
        ax.set_yticks(range(len(states)), ticks, fontsize=6)
    fig.colorbar(image, ax=axes, shrink=0.8)
    return _svg(fig)


def _cell(value: Any, digits: int = 3) -> dict[str, Any]:
    if isinstance(value, bool) or value is None:
        return {"text": "n/a" if value is None else str(value)}
    if isinstance(value, int):
        return {"text": f"{value:,}", "num": True}
    if isinstance(value, float):
        return {"text": "n/a" if math.isnan(value) else f"{value:.{digits}f}", "num": True}
    return {"text": str(value)}


def _section(sid: str, title: str, note: str = "", figures: list[str] | None = None,
             tables: list[dict[str, Any]] | None = None, cards: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"id": sid, "title": title, "note": note, "figures": figures or [], "tables": tables or [],
            "cards": cards or []}


# -- validation -----------------------------------------------------------------------------------------------------
def _scalar_metrics(result: dict[str, Any]) -> dict[str, float]:
    return {k: v for k, v in result.items() if isinstance(v, int | float) and not isinstance(v, bool)}


def _validation_sections(result: dict[str, Any]) -> list[dict[str, Any]]:
    metrics = _scalar_metrics(result)
    cards = [{"name": k, "value": _cell(v)["text"]} for k, v in metrics.items()]
    sections = [_section("metrics", "Headline metrics", "Definitions: docs/stats.md, 'Profiling and validation'.",
                         cards=cards)]
    dist = result.get("distributions")
    missing = "Not in this validation.json (written by an older synthlog, or the reference is a spec)."
    if dist:
        tf = dist["template_frequencies"]
        labels = [f"T{i + 1}" for i in range(len(tf["templates"]))]
        sections.append(_section(
            "templates", "Template frequencies",
            f"Share of lines per template, the {len(labels)} most frequent; {tf['real_only']} templates only in "
            f"real data, {tf['synthetic_only']} only in synthetic data.",
            figures=[_paired_bars(labels, tf["real"], tf["synthetic"], "template share of lines", "share",
                                  horizontal=False)],
            tables=[{"header": ["id", "template", "real", "synthetic"],
                     "rows": [[_cell(label), _cell(text), _cell(r), _cell(s)] for label, text, r, s in
                              zip(labels, tf["templates"], tf["real"], tf["synthetic"], strict=True)]}]))
        sl = dist["session_lengths"]
        edges = sl["edges"]
        labels = [f"{int(a)}" if b - a <= 1 else f"{int(a)}-{int(b) - 1}" for a, b in zip(edges, edges[1:],
                                                                                          strict=False)]
        sections.append(_section("session-lengths", "Session lengths", "Share of sessions by number of events.",
                                 figures=[_paired_bars(labels, sl["real"], sl["synthetic"], "events per session",
                                                       "share of sessions")]))
        ia = dist["inter_arrivals"]
        if ia["real_count"] or ia["synthetic_count"]:
            edges = ia["edges"]
            labels = [f"<{b:g}s" if b is not None else f">={a:g}s" for a, b in zip(edges, edges[1:], strict=False)]
            figures = [_paired_bars(labels, ia["real"], ia["synthetic"], "gaps between consecutive events of a "
                                    "session", "share of gaps")]
            note = f"{ia['real_count']:,} real and {ia['synthetic_count']:,} synthetic gaps."
        else:
            figures, note = [], "Neither side has timestamps (event-id sequences)."
        sections.append(_section("inter-arrivals", "Inter-arrival times", note, figures=figures))
        tr = dist["transitions"]
        sections.append(_section(
            "transitions", "Transitions", "Row-normalised probability of the next template, among the most "
            "frequent real templates (T1.. as in the template table).",
            figures=[_heatmaps(tr["states"], tr["real"], tr["synthetic"])] if tr["states"] else []))
        lv = dist["levels"]
        sections.append(_section("levels", "Level mix", "Share of lines per level.",
                                 figures=[_paired_bars(lv["levels"], lv["real"], lv["synthetic"], "level mix",
                                                       "share of lines")]))
    else:
        sections += [_section(sid, title, missing) for sid, title in
                     (("templates", "Template frequencies"), ("session-lengths", "Session lengths"),
                      ("inter-arrivals", "Inter-arrival times"), ("transitions", "Transitions"),
                      ("levels", "Level mix"))]
    shape = result.get("value_shape_agreement")
    sections.append(_section("value-shapes", "Value-shape agreement",
                             "Share of generated slot values whose shape class the reference shows for that slot."
                             if shape is not None else "Not measured in this validation.",
                             cards=[{"name": "value_shape_agreement", "value": _cell(shape)["text"]}]
                             if shape is not None else []))
    sections.append(_privacy_section(result.get("privacy")))
    return sections


def _privacy_section(privacy: dict[str, Any] | None) -> dict[str, Any]:
    if not privacy:
        return _section("privacy", "Privacy", "No privacy scan: the reference is a spec, not real data.")
    kinds = privacy.get("leakage", {}).get("kinds", {})
    rows = []
    for kind, info in kinds.items():
        leaked = info.get("leaked", 0)
        rows.append([_cell(kind), _cell(info.get("real", info.get("reference"))), {
            "text": f"{leaked:,}" if isinstance(leaked, int) else str(leaked), "num": True,
            "cls": "bad" if leaked else "good"}])
    tables = [{"header": ["kind", "real values", "leaked into output"], "rows": rows}] if rows else []
    dcr = privacy.get("dcr")
    cards = [{"name": f"DCR {k}", "value": _cell(v)["text"]} for k, v in (dcr or {}).items()
             if isinstance(v, int | float)]
    return _section("privacy", "Privacy", "Real values found in the published files, and the distance from each "
                    "synthetic session to its closest real one.", tables=tables, cards=cards)


# -- bench ----------------------------------------------------------------------------------------------------------
def _regime(cell: dict[str, Any]) -> str:
    ratio = cell.get("ratio")
    return str(cell["regime"]) + ("" if ratio is None else f" ×{ratio:g}")


def _metric_chart(summary: list[dict[str, Any]], metric: str, label: str) -> str:
    plt = _plt()
    detectors = list(dict.fromkeys(c["detector"] for c in summary))
    regimes = list(dict.fromkeys(_regime(c) for c in summary))
    by_key = {(c["detector"], _regime(c)): c for c in summary}
    width = 0.8 / max(1, len(regimes))
    fig, ax = plt.subplots(figsize=(max(6.0, 0.9 * len(detectors) * max(1, len(regimes)) ** 0.5 + 2), 3.8))
    colors = plt.get_cmap("tab10")
    for j, regime in enumerate(regimes):
        xs, means, lows, highs = [], [], [], []
        for i, detector in enumerate(detectors):
            cell = by_key.get((detector, regime))
            if cell is None or cell.get(f"{metric}_mean") is None:
                continue
            mean, std = cell[f"{metric}_mean"], cell.get(f"{metric}_std")
            xs.append(i - 0.4 + width * (j + 0.5))
            spread = 0.0 if std is None or math.isnan(std) else std
            means.append(mean)
            lows.append(min(spread, mean))  # rates are never negative: the bar's error stops at 0
            highs.append(spread)
        ax.bar(xs, means, width=width, yerr=[lows, highs], capsize=2, color=colors(j % 10), label=regime)
    ax.set_xticks(range(len(detectors)), detectors, fontsize=7, rotation=30)
    ax.set_ylabel(f"{label} (mean ± std over seeds)")
    ax.set_title(f"{label} by detector and training regime", fontsize=10)
    ax.legend(fontsize=7, ncols=min(4, len(regimes)))
    fig.tight_layout()
    return _svg(fig)


def _bench_metrics(summary: list[dict[str, Any]]) -> list[str]:
    names = [k[: -len("_mean")] for k in (summary[0] if summary else {}) if k.endswith("_mean")]
    return [n for n in names if n not in ("fit_seconds", "score_seconds")]


def _bench_sections(results: dict[str, Any]) -> list[dict[str, Any]]:
    summary = results.get("summary") or []
    config = results.get("config", {})
    data = results.get("data", {})
    real = data.get("real", {})
    cards = [{"name": "real sessions", "value": _cell(real.get("sessions"))["text"]},
             {"name": "real anomalies", "value": _cell(real.get("anomalies"))["text"]},
             {"name": "detectors", "value": str(len(config.get("detectors", [])))},
             {"name": "seeds", "value": str(len(config.get("seeds", [])))}]
    sections = [_section("overview", "Overview", f"Config {config.get('name', '?')}: data {real.get('name', '?')}; "
                         "thresholds chosen on validation data only; mean ± std over seeds.", cards=cards)]
    for metric, label in (("f1", "F1"), ("fpr", "false-positive rate")):
        if summary and f"{metric}_mean" in summary[0]:
            sections.append(_section(metric, label, figures=[_metric_chart(summary, metric, label)]))
        else:
            sections.append(_section(metric, label, f"No {label} in these results."))
    metrics = _bench_metrics(summary)
    header = ["detector", "regime", "seeds", *metrics]
    rows = [[_cell(c["detector"]), _cell(_regime(c)), _cell(c.get("seeds")),
             *[{"text": _pm(c, m), "num": True} for m in metrics]] for c in summary]
    sections.append(_section("metrics", "All metrics", tables=[{"header": header, "rows": rows}]))
    tests = results.get("significance") or []
    if tests:
        keys = [k for k in tests[0] if k.endswith("_p")]
        header = ["detector", "regime", "metric", "seeds", *[k for k in tests[0] if k.startswith("mean_")], *keys]
        rows = []
        for t in tests:  # the bench tests several metrics (F1, recall, FPR, precision at a fixed recall)
            row = [_cell(t["detector"]), _cell(_regime(t)), _cell(t.get("metric", "f1")), _cell(t.get("seeds"))]
            row += [_cell(t[k]) for k in t if k.startswith("mean_")]
            for k in keys:
                p = t[k]
                mark = "*" if isinstance(p, float) and p < SIGNIFICANT else ""
                row.append({"text": ("n/a" if p is None or (isinstance(p, float) and math.isnan(p))
                                     else f"{p:.4f}{mark}"), "num": True, "cls": "good" if mark else ""})
            rows.append(row)
        sections.append(_section("significance", "Paired tests against real-only training",
                                 f"Paired by seed; * marks p < {SIGNIFICANT}.", tables=[{"header": header,
                                                                                          "rows": rows}]))
    else:
        sections.append(_section("significance", "Paired tests against real-only training",
                                 "No paired tests: the run has only the real regime."))
    return sections


def _pm(cell: dict[str, Any], metric: str) -> str:
    mean, std = cell.get(f"{metric}_mean"), cell.get(f"{metric}_std")
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return "n/a"
    return f"{mean:.3f}" + ("" if std is None or math.isnan(std) else f" ± {std:.3f}")


# -- page -----------------------------------------------------------------------------------------------------------
def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON: {exc.msg}", path=path, line=exc.lineno) from None
    if not isinstance(data, dict):
        raise InputError("not a synthlog result (a JSON object is expected)", path=path)
    return data


def find_result(path: str | Path) -> tuple[str, Path]:
    """What ``path`` holds: ``("validation", file)`` or ``("bench", file)``; a folder is searched for
    ``validation.json`` or ``results.json``."""
    p = Path(path)
    if p.is_dir():
        for name, kind in (("validation.json", "validation"), ("results.json", "bench")):
            if (p / name).is_file():
                return kind, p / name
        raise InputError("holds neither validation.json (synthlog validate) nor results.json (synthlog bench)",
                         path=p)
    if not p.is_file():
        raise InputError("no such file or folder", path=p)
    data = _read_json(p)
    if "rows" in data and "summary" in data:
        return "bench", p
    if any(k in data for k in ("score", "D_errdist", "template_similarity")):
        return "validation", p
    raise InputError("neither a validation.json nor a bench results.json", path=p)


def render_html(kind: str, result: dict[str, Any], source: str = "") -> str:
    """The page for a validation or bench result (see the module docstring)."""
    jinja2 = require("jinja2", "synthlog report")
    Environment, select_autoescape = jinja2.Environment, jinja2.select_autoescape
    if kind == "validation":
        title, sections = "synthlog validation report", _validation_sections(result)
    else:
        title, sections = "synthlog bench report", _bench_sections(result)
    env = Environment(autoescape=select_autoescape(default=True), trim_blocks=True, lstrip_blocks=True)
    template = env.from_string(resources.files("synthlog").joinpath("data/report.html.j2").read_text("utf-8"))
    return template.render(title=title, subtitle=f"from {source}" if source else "", sections=sections,
                           version=__version__)


def write_html_report(path: str | Path, out: str | Path) -> tuple[str, Path]:
    """``synthlog report``: read a validation or bench result and write its page to ``out`` atomically."""
    kind, source = find_result(path)
    page = render_html(kind, _read_json(source), source=str(source))
    with atomic_open(out, "w") as fh:
        fh.write(page)
    return kind, Path(out)
