"""Do synthetic logs help detectors on real HDFS data? The whole experiment of docs/results.md, end to end.

Usage: python benchmarks/augmentation.py [--out DIR] [--small] [--detectors a,b] [--neural-seeds 0,1] [--shard I/N]

Steps, each skipped when its output is already there (an interrupted run resumes where it stopped):

1. the real data set's templates (HDFS100k: 19) to ``OUT/real_templates.csv`` (Loghub templates CSV);
2. code-guided synthetic data in that vocabulary:
   ``synthlog generate code SRC --recipe RECIPE --align-to OUT/real_templates.csv -n N --seed S --out OUT/codegen``;
3. statistics-driven synthetic data: ``synthlog profile REAL --out OUT/spec.yaml`` then
   ``synthlog generate stats OUT/spec.yaml --lines L --seed S --out OUT/stats``;
4. the alignment check: share of synthetic events that carry a real template id once the bench has aligned them;
5. the bench (``--config``, by default ``configs/bench/hdfs100k_augmented.yaml``: real, synthetic-only and
   augmented at 0.01/0.1/1 on the real 80/20 split, 5 seeds) with both synthetic sets, in groups: the classical
   detectors together, each neural detector and seed alone (``--neural-seeds`` to run fewer), each group to
   ``OUT/bench/<group>/`` with its wall time, CPU time and load average (``timing.json``), so a long run keeps every
   finished group and a second run (or a parallel one with ``--shard``) resumes;
6. every group's rows merged into ``OUT/bench/all/`` (results.csv, results.json, summary.md with the paired tests)
   and the tables printed;
7. what the sets contain (``OUT/template_presence.md``: share of normal / anomalous sessions with each template,
   median length, distinct sequences), and example sessions side by side (``OUT/examples.md``): the first three
   normal sessions and the first anomalous one of each synthetic set and of the real data, as event ids and raw
   lines (real raw lines from ``--real-raw``, whose blocks overlap HDFS100k's; the statistics-driven lines come
   from NAME.jsonl, their text does not name the block).

``--small`` is a quick pass of the same pipeline (a few hundred synthetic sessions, two fast detectors).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from synthlog.detect.bench import BenchResult, aligned_sequences, load_config, run_bench, write_outputs
from synthlog.detect.registry import NEURAL
from synthlog.detect.report import BASELINE, aggregate, significance
from synthlog.io.datasets import load_dataset
from synthlog.io.loghub import write_templates
from synthlog.records import ANOMALY

ROOT = Path(__file__).resolve().parents[1]
SYNTHLOG = [sys.executable, "-m", "synthlog"]
BLOCK = re.compile(r"blk_-?\d+")


def run(command: list[str]) -> None:
    """Run one synthlog command, echoing it (these are the commands docs/results.md cites)."""
    print("$", " ".join(["synthlog", *command]), flush=True)
    subprocess.run([*SYNTHLOG, *command], check=True, cwd=ROOT)


def alignment_report(name: str, directory: Path, real) -> dict:
    """Sessions, anomalies and the share of events the bench maps to a real template id."""
    synthetic = load_dataset(directory)
    sequences, new_texts = aligned_sequences(synthetic, real)
    events = Counter(e for s in sequences for e in s)
    total = sum(events.values())
    real_ids = sum(n for e, n in events.items() if e in real.templates)
    report = {"name": name, "sessions": len(synthetic), "anomalous": sum(1 for x in synthetic.labels if x == ANOMALY),
              "events": total, "events_with_real_id": real_ids, "share_real_id": real_ids / total if total else 0.0,
              "real_templates_used": sorted(e for e in events if e in real.templates),
              "templates_outside_real": len(new_texts)}
    print(f"{name}: {report['sessions']} sessions ({report['anomalous']} anomalous), {total} events, "
          f"{real_ids / max(total, 1):.1%} with a real template id ({len(report['real_templates_used'])} of "
          f"{len(real.templates)} real templates used), {len(new_texts)} templates outside the real set")
    return report


def presence_table(real, synthetic: dict[str, Path]) -> str:
    """Markdown: per template, the share of normal and of anomalous sessions of each set that contain it, plus
    median session length and distinct event sequences per class (the "what the synthetic data lacks" figures)."""
    import statistics

    sets = {"real": (real.sequences, real.labels)}
    texts = {tid: t.text for tid, t in real.templates.items()}
    for name, directory in synthetic.items():
        dataset = load_dataset(directory)
        sequences, new_texts = aligned_sequences(dataset, real)
        sets[name] = (sequences, dataset.labels)
        texts.update({tid: f"{text} ({tid}, not in the real data)" for tid, text in new_texts.items()})
    present: dict[str, dict[int, Counter]] = {}
    sizes: dict[str, dict[int, int]] = {}
    for name, (sequences, labels) in sets.items():
        present[name], sizes[name] = {0: Counter(), 1: Counter()}, {0: 0, 1: 0}
        for sequence, label in zip(sequences, labels, strict=True):
            present[name][label].update(set(sequence))
            sizes[name][label] += 1
    events = sorted({e for n in present for c in present[n].values() for e in c},
                    key=lambda e: (-present["real"][ANOMALY][e], e))
    heads = [f"{n} {w}" for n in sets for w in ("normal", "anomalous")]
    lines = ["| template | " + " | ".join(heads) + " |", "|---" + "|---:" * len(heads) + "|"]
    for event in events:
        text = " ".join(texts.get(event, event).split())
        shares = [f"{100 * present[n][k][event] / max(sizes[n][k], 1):.1f} %" for n in sets for k in (0, 1)]
        lines.append(f"| {text.replace('|', '/')} | " + " | ".join(shares) + " |")
    lines += ["", "| set | class | sessions | median length | distinct sequences |", "|---|---|---:|---:|---:|"]
    for name, (sequences, labels) in sets.items():
        for label, word in ((0, "normal"), (1, "anomalous")):
            members = [s for s, x in zip(sequences, labels, strict=True) if x == label]
            median = statistics.median(len(s) for s in members) if members else 0
            lines.append(f"| {name} | {word} | {len(members)} | {median:g} | {len({tuple(s) for s in members})} |")
    return "\n".join(lines) + "\n"


def raw_lines_by_block(path: Path, blocks: set[str]) -> dict[str, list[str]]:
    """The lines of a raw HDFS log that name each of ``blocks`` (by whole block id)."""
    found: dict[str, list[str]] = {b: [] for b in blocks}
    with path.open(encoding="utf-8", errors="replace") as fh:
        for line in fh:
            for block in set(BLOCK.findall(line)) & blocks:
                found[block].append(line.rstrip("\n"))
    return found


def example_sessions(dataset, ids: list[list[str]], raw: dict[str, list[str]] | None, title: str) -> list[str]:
    """Markdown: the first three normal sessions and the first anomalous one whose event sequence no normal session
    has (else the first anomalous one), as event ids (``ids``, aligned to the real data's) and raw lines."""
    normal = [i for i, s in enumerate(dataset.sessions) if s.label == 0]
    shapes = {tuple(ids[i]) for i in normal}
    anomalies = [i for i, s in enumerate(dataset.sessions) if s.label == ANOMALY]
    unusual = [i for i in anomalies if tuple(ids[i]) not in shapes]
    lines = [f"### {title}", ""]
    for index in normal[:3] + (unusual[:1] or anomalies[:1]):
        session = dataset.sessions[index]
        word = "anomalous" if session.label == ANOMALY else "normal"
        rule = f", rule `{session.label_rule}`" if session.label == ANOMALY and session.label_rule else ""
        lines += [f"**{session.id}** ({word}{rule}): `{' '.join(ids[index])}`", "", "```"]
        text = raw.get(session.id) if raw is not None else None
        lines += text if text else [e.content or dataset.templates[e.template_id].text for e in session.events]
        lines += ["```", ""]
    return lines


def write_examples(out: Path, real, codegen: Path, stats: Path, real_raw: Path | None) -> Path:
    """OUT/examples.md: generated sessions beside real ones (see step 7)."""
    code_ds, stats_ds = load_dataset(codegen), load_dataset(stats)
    logs = sorted(codegen.glob("*.log"))
    code_raw = raw_lines_by_block(logs[0], {s.id for s in code_ds.sessions}) if logs else None
    real_view, real_lines = real, None
    if real_raw is not None and real_raw.is_file():  # prefer real sessions whose raw lines are all there
        real_lines = raw_lines_by_block(real_raw, {s.id for s in real.sessions})
        complete = [s for s in real.sessions if len(real_lines.get(s.id, ())) == len(s.events)]
        real_view = type(real)(name=real.name, sessions=complete, templates=real.templates)
    lines = ["# Example sessions", "", "Event ids as the bench sees them (aligned to the real templates; "
             "`synthetic:E..` = a template the real data lacks).", ""]
    lines += example_sessions(code_ds, aligned_sequences(code_ds, real)[0], code_raw, f"Code-guided ({codegen})")
    lines += example_sessions(stats_ds, aligned_sequences(stats_ds, real)[0], None,
                              f"Statistics-driven ({stats}; message text of its JSONL events)")
    lines += example_sessions(real_view, real_view.sequences, real_lines,
                              f"Real ({real.name}; raw lines from {real_raw})")
    path = out / "examples.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def run_group(group: str, detectors: list, seeds: list[int], config_path: str, real_name: str,
              synthetic_dirs: list[Path], out: Path) -> list:
    """One bench run for a group of detectors and seeds; its rows (read back when the group already ran).

    The config is validated as given (at least 5 seeds); a group may then run a subset of them, so that a slow
    detector's seeds finish (and are kept) one by one.
    """
    group_dir = out / "bench" / group
    if (group_dir / "results.json").is_file() and (group_dir / "results.csv").is_file():
        print(f"bench {group}: done before, reusing {group_dir}")
        return json.loads((group_dir / "results.json").read_text())["rows"]
    config = load_config(config_path, [str(d) for d in synthetic_dirs])
    config = config.model_validate({**config.model_dump(), "detectors": detectors}).model_copy(update={"seeds": seeds})
    real = load_dataset(real_name)
    synthetic = {d.name: load_dataset(d) for d in synthetic_dirs}
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    started, cpu_before = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    load_before = os.getloadavg()
    result = run_bench(config, real, synthetic)
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    timing = {"group": group, "commit_at_start": commit.strip(), "detectors": [d.name for d in config.detectors],
              "seeds": config.seeds,
              "cells": len(result.rows), "wall_seconds": round(time.perf_counter() - started, 1),
              "cpu_seconds": round(cpu_after.ru_utime + cpu_after.ru_stime - cpu_before.ru_utime
                                   - cpu_before.ru_stime, 1),
              "load_average_before": [round(x, 2) for x in load_before],
              "load_average_after": [round(x, 2) for x in os.getloadavg()]}
    write_outputs(result, group_dir)
    (group_dir / "timing.json").write_text(json.dumps(timing, indent=2) + "\n")
    print(f"bench {group}: {timing['cells']} cells, {timing['wall_seconds']} s wall, {timing['cpu_seconds']} s CPU, "
          f"load {timing['load_average_before']} -> {timing['load_average_after']}", flush=True)
    return result.rows


def _one_baseline_row_per_seed(rows: list) -> list:
    """Every group's bench adds a flag-everything row per seed; the merged table keeps the first of each seed."""
    seen: set = set()
    kept = []
    for row in rows:
        key = (row["detector"], row["seed"])
        if row["detector"] == BASELINE and key in seen:
            continue
        seen.add(key)
        kept.append(row)
    return kept


def _pm(cell: dict, metric: str) -> str:
    mean, std = cell[f"{metric}_mean"], cell[f"{metric}_std"]
    return f"{mean:.3f}" if std != std else f"{mean:.3f} ± {std:.3f}"  # std is NaN with one seed


def compact_tables(rows: list) -> str:
    """Markdown: real-only P/R/F1/FPR/AUC per detector, then per synthetic set F1 of every regime with its paired
    difference to real (mean over seeds) and the Wilcoxon / t-test p-values."""
    cells = {(c["detector"], c["regime"], c["ratio"]): c for c in aggregate(rows)}
    tests = {(t["detector"], t["regime"], t["ratio"]): t for t in significance(rows)}
    detectors = list(dict.fromkeys(c[0] for c in cells if c[0] != BASELINE))
    lines = ["| detector | seeds | P | R | F1 | FPR | ROC-AUC |", "|---|---:|---|---|---|---|---|"]
    for d in detectors:
        c = cells[(d, "real", None)]
        metrics = " | ".join(_pm(c, m) for m in ("precision", "recall", "f1", "fpr", "auc"))
        lines.append(f"| {d} | {c['seeds']} | {metrics} |")
    names = list(dict.fromkeys(k[1].split(":", 1)[1] for k in cells if ":" in k[1]))
    ratios = sorted({k[2] for k in cells if k[2] is not None})
    for name in names:
        columns = [(f"synthetic:{name}", None)] + [(f"augmented:{name}", r) for r in ratios]
        heads = ["synthetic only"] + [f"augmented {r:g}" for r in ratios]
        lines += ["", f"F1 with `{name}` (mean ± std; ΔF1 vs real, Wilcoxon p / t-test p)", "",
                  "| detector | real | " + " | ".join(heads) + " |", "|---|---" + "|---" * len(heads) + "|"]
        for d in detectors:
            parts = [_pm(cells[(d, "real", None)], "f1")]
            for key in ((d, *col) for col in columns):
                if key not in cells:
                    parts.append("not run")
                    continue
                t = tests.get(key)
                test = (f" ({t['mean_difference']:+.3f}; {t['wilcoxon_p']:.3g} / {t['ttest_p']:.3g})"
                        if t and t["seeds"] > 1 else "")
                parts.append(_pm(cells[key], "f1") + test)
            lines.append(f"| {d} | " + " | ".join(parts) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "augmentation")
    parser.add_argument("--real", default="hdfs-100k-sessions", help="real data set (name or directory)")
    parser.add_argument("--src", default="/work/ext/hadoop-0.18.2/src", help="code base of the code-guided generator")
    parser.add_argument("--recipe", default=str(ROOT / "recipes" / "hdfs-0.18.yaml"))
    parser.add_argument("--config", default=str(ROOT / "configs" / "bench" / "hdfs100k_augmented.yaml"))
    parser.add_argument("--sessions", type=int, default=20000, help="code-guided sessions")
    parser.add_argument("--stats-lines", type=int, default=300000, help="statistics-driven lines")
    parser.add_argument("--seed", type=int, default=1, help="seed of both generators")
    parser.add_argument("--detectors", default="", help="comma list (default: the config's)")
    parser.add_argument("--neural-seeds", default="", help="comma list: the neural detectors run only these seeds "
                        "(default: the config's), one group per detector and seed, seed by seed")
    parser.add_argument("--shard", default="0/1", help="I/N: run only every N-th group from the I-th (parallel runs)")
    parser.add_argument("--real-raw", type=Path, default=Path("/work/shared/data/hdfs/logai_hdfs_v1_first20k_raw/"
                                                                   "HDFS_20000.log"),
                        help="raw HDFS log with the real blocks' lines (for the examples)")
    parser.add_argument("--small", action="store_true", help="quick pass: 300 sessions, 5,000 lines, pca + logistic")
    args = parser.parse_args(argv)
    if args.small:
        args.sessions, args.stats_lines = min(args.sessions, 300), min(args.stats_lines, 5000)
        args.detectors = args.detectors or "pca,logistic"
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)

    real = load_dataset(args.real)
    templates_csv = out / "real_templates.csv"
    write_templates(templates_csv, dict(sorted(real.templates.items())))
    codegen, spec, stats = out / "codegen", out / "spec.yaml", out / "stats"
    if not (codegen / "summary.json").is_file():
        run(["generate", "code", args.src, "--recipe", args.recipe, "--align-to", str(templates_csv),
             "-n", str(args.sessions), "--seed", str(args.seed), "--out", str(codegen)])
    if not spec.is_file():
        run(["profile", args.real, "--out", str(spec)])
    if not (stats / "anomaly_label.csv").is_file():
        run(["generate", "stats", str(spec), "--lines", str(args.stats_lines), "--seed", str(args.seed),
             "--out", str(stats)])
    alignment = [alignment_report(d.name, d, real) for d in (codegen, stats)]
    (out / "alignment.json").write_text(json.dumps(alignment, indent=2) + "\n")
    (out / "template_presence.md").write_text(presence_table(real, {"codegen": codegen, "stats": stats}))

    config = load_config(args.config, [str(codegen), str(stats)])
    wanted = [d.strip() for d in args.detectors.split(",") if d.strip()]
    specs = [d for d in config.detectors if not wanted or d.name in wanted]
    neural_seeds = [int(x) for x in args.neural_seeds.split(",") if x.strip()] or config.seeds
    classical = [d.model_dump() for d in specs if d.name not in NEURAL]
    groups = [("classical", classical, config.seeds)] if classical else []
    groups += [(f"{d.name}-seed{seed}", [d.model_dump()], [seed]) for seed in neural_seeds
               for d in specs if d.name in NEURAL]
    shard, shards = (int(x) for x in args.shard.split("/"))
    rows = []
    for index, (group, detectors, seeds) in enumerate(groups):
        if index % shards == shard:
            rows += run_group(group, detectors, seeds, args.config, args.real, [codegen, stats], out)
    rows = _one_baseline_row_per_seed(rows)
    merged = config.model_validate({**config.model_dump(), "detectors": [d.model_dump() for d in specs]})
    data = {"real": {"name": real.name, "sessions": len(real),
                     "anomalies": sum(1 for x in real.labels if x == ANOMALY)},
            "synthetic": {a["name"]: {"sessions": a["sessions"], "anomalies": a["anomalous"]} for a in alignment}}
    merged_dir = out / "bench" / ("all" if shards == 1 else f"shard{shard}of{shards}")
    paths = write_outputs(BenchResult(merged, rows, data), merged_dir)
    print(f"examples: {write_examples(out, real, codegen, stats, args.real_raw)}")
    tables = compact_tables(rows)
    (merged_dir / "tables.md").write_text(tables, encoding="utf-8")
    print(tables)
    return paths["csv"]


if __name__ == "__main__":
    main()
