"""How close a window recipe's output (``synthlog generate code --recipe``) comes to a real log of the same system.

Usage: python benchmarks/window_recipe.py OUT_DIR --templates FULL_LOG_TEMPLATES.csv --real REAL.log --format F
                                           [--window-s 300]

Prints: the share of generated lines whose template is one of the real templates (the id ``--align-to`` gave, or a
statement template that matches one at the matching threshold); how many real templates are produced; the median
lines per window against the real log cut into windows of the same length (one stream: the real sample does not
say which server wrote most lines); whether every window and the raw log are in time order; the layout check
(every raw line parses back with the format).
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import Counter
from pathlib import Path

from synthlog.code.evidence import template_regex
from synthlog.code.match import THRESHOLD, score, tokens
from synthlog.io.logformat import read_raw
from synthlog.io.loghub import read_labels, read_templates


def _sessions(path: Path) -> list[dict]:
    """Sessions from an events JSONL (one event a line, its session in ``attributes.session``, in time order) or
    a sessions JSONL (one session a line); each session's labels come from ``anomaly_label.csv`` beside it."""
    by_id: dict[str, dict] = {}
    for line in path.open():
        record = json.loads(line)
        if "events" in record:
            by_id[record["id"]] = record
        else:
            sid = record["attributes"]["session"]
            by_id.setdefault(sid, {"id": sid, "events": []})["events"].append(record)
    labels = read_labels(path.parent / "anomaly_label.csv")
    for sid, session in by_id.items():
        session["label"] = labels.get(sid, session.get("label"))
    return list(by_id.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--templates", required=True)
    parser.add_argument("--real", required=True)
    parser.add_argument("--format", required=True)
    parser.add_argument("--window-s", type=float, default=300.0)
    args = parser.parse_args()
    out = Path(args.out)
    real = read_templates(args.templates)
    real_tokens = {tid: tokens(t.text) for tid, t in real.items()}
    patterns = {tid: template_regex(t.text) for tid, t in real.items() if "<*>" in t.text}
    generated = read_templates(next(out.glob("*.log_templates.csv")))
    on_real: dict[str, str | None] = {}
    for tid, template in generated.items():
        if tid in real:
            on_real[tid] = tid
            continue
        mine = tokens(template.text)
        best = max(real_tokens, key=lambda r: (score(mine, real_tokens[r]), r))
        # or a real template that covers it (a miner merged two statements: "Client attempting to <*> <*> <*> at")
        covering = next((r for r, p in patterns.items() if p.fullmatch(template.text)), None)
        on_real[tid] = best if score(mine, real_tokens[best]) >= THRESHOLD else covering
    sessions = _sessions(next(out.glob("*.jsonl")))
    lines = [e for s in sessions for e in s["events"]]
    counts = Counter(e["template_id"] for e in lines)
    covered = sum(n for tid, n in counts.items() if on_real.get(tid))
    produced = {on_real[tid] for tid in counts if on_real.get(tid)}
    print(f"lines: {len(lines)} in {len(sessions)} windows; on a real template: {covered}/{len(lines)} "
          f"({covered / max(len(lines), 1):.1%}); real templates produced: {len(produced)}/{len(real)}")
    off = Counter({generated[tid].text: n for tid, n in counts.items() if not on_real.get(tid)})
    print("  real templates not produced: " + "; ".join(repr(real[r].text[:50]) for r in real if r not in produced))
    print("  most frequent lines on no real template: " + "; ".join(f"{t!r} x{n}" for t, n in off.most_common(6)))
    lengths = sorted(len(s["events"]) for s in sessions)
    stamps = [e.timestamp / 1e6 for e in read_raw(args.real, args.format) if e.timestamp is not None]
    real_windows = sorted(Counter(int(t // args.window_s) for t in stamps).values())
    print(f"lines per window: generated median {statistics.median(lengths)}, mean "
          f"{sum(lengths) / max(len(lengths), 1):.1f}; real ({args.window_s:g} s windows of {Path(args.real).name}) "
          f"median {statistics.median(real_windows)}, mean {sum(real_windows) / len(real_windows):.1f}")
    ordered = all([e["timestamp"] for e in s["events"]] == sorted(e["timestamp"] for e in s["events"])
                  for s in sessions)
    raw = next(out.glob("*.log"))
    parsed = sum(1 for _ in read_raw(raw, args.format, strict=True))
    labels = Counter(s["label"] for s in sessions)
    stamps_out = [e.timestamp for e in read_raw(raw, args.format)]
    print(f"raw log in time order: {stamps_out == sorted(stamps_out)}")
    print(f"every window in time order: {ordered}; raw lines parsed back with the format: {parsed}/{len(lines)}; "
          f"windows by label: {dict(sorted(labels.items()))}")


if __name__ == "__main__":
    main()
