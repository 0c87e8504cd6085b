"""Code-guided values and layout against real logs: prints type validity and the share of raw lines that parse.

Type validity: of the slots of generated lines on a real template (``--align-to`` gave them the real id), the
share whose value has a shape class the real lines of that template show at that slot (values are re-extracted
with the real template's text, so slot counts always agree). Layout: the share of generated raw lines the given
reference format parses, with a timestamp. Also prints real and generated lines of the same templates.

    python benchmarks/code_values.py OUT_DIR REAL_STRUCTURED.csv [--format zookeeper] [--examples 5]
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from synthlog.io.logformat import get_format  # noqa: E402
from synthlog.io.loghub import read_structured  # noqa: E402
from synthlog.parse.drain import ParameterExtractor  # noqa: E402

_IP = r"\d{1,3}(?:\.\d{1,3}){3}"
SHAPE_CLASSES = [(name, re.compile(p)) for name, p in [
    ("empty", r""), ("socket_address", rf"/{_IP}:\d+"), ("host_port", rf"{_IP}:\d+"), ("inet_address", rf"/{_IP}"),
    ("ipv4", _IP), ("block", r"blk_-?\d+"), ("hex", r"0x[0-9a-fA-F]+"), ("integer", r"-?\d+"),
    ("decimal", r"-?\d+\.\d+"), ("boolean", r"true|false"),
    ("uuid", r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
    ("exception", r"(?:[\w$]+\.)+[\w$]*(?:Exception|Error)(?::.*)?"), ("path", r"/\S*"),
    ("hex_digits", r"[0-9a-f]*[a-f][0-9a-f]*"), ("upper_word", r"[A-Z][A-Z0-9_]*"), ("word", r"\S+"), ("text", r".+"),
]]


def shape_class(value: str) -> str:
    value = value.strip()
    return next(name for name, pattern in SHAPE_CLASSES if pattern.fullmatch(value))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("generated", type=Path)
    ap.add_argument("real", type=Path, help="Loghub structured CSV of the real logs")
    ap.add_argument("--format", default=None, help="reference format the generated raw log must parse with")
    ap.add_argument("--examples", type=int, default=5)
    args = ap.parse_args()
    extract = ParameterExtractor()
    real_templates: dict = {}
    real_events = list(read_structured(args.real, real_templates))
    real_shapes: dict[tuple[str, int], set[str]] = defaultdict(set)
    real_line: dict[str, str] = {}
    for event in real_events:
        params = extract(real_templates[event.template_id].text, event.content) if event.template_id else None
        for i, value in enumerate(params or []):
            real_shapes[(event.template_id, i)].add(shape_class(value))
        real_line.setdefault(event.template_id, event.content)
    generated = sorted(args.generated.glob("*.log_structured.csv"))[0]
    gen_templates: dict = {}
    compared = agree = unmatched = lines_on_real = 0
    misses: Counter = Counter()
    gen_line: dict[str, str] = {}
    for event in read_structured(generated, gen_templates):
        template = real_templates.get(event.template_id)
        if template is None:
            continue
        lines_on_real += 1
        gen_line.setdefault(event.template_id, event.content)
        params = extract(template.text, event.content)
        if params is None:
            unmatched += 1
            continue
        for i, value in enumerate(params):
            seen = real_shapes.get((event.template_id, i))
            if not seen:
                continue
            compared += 1
            got = shape_class(value)
            if got in seen:
                agree += 1
            else:
                misses[(event.template_id, i, got, "/".join(sorted(seen)))] += 1
    print(f"lines on a real template: {lines_on_real} ({len(gen_line)} templates); not re-extractable: {unmatched}")
    print(f"type validity: {agree}/{compared} slots = {agree / compared if compared else float('nan'):.3f}")
    for (tid, i, got, seen), count in misses.most_common(8):
        print(f"  miss {tid} slot {i}: generated {got}, real {seen} ({count}x)")
    if args.format:
        fmt = get_format(args.format)
        raw = sorted(args.generated.glob("*.log"))[0]
        total = parsed = stamped = 0
        for line in raw.read_text(encoding="utf-8").splitlines():
            total += 1
            event = fmt.event(line)
            parsed += event is not None
            stamped += event is not None and event.timestamp is not None
        print(f"raw lines parsed by {args.format!r}: {parsed}/{total}, with a timestamp: {stamped}/{total}")
    shown = [t for t in sorted(gen_line, key=lambda t: int(t[1:]) if t[1:].isdigit() else 0) if t in real_line]
    print("\nreal | generated (same template)")
    for tid in shown[:args.examples]:
        print(f"{tid}: {real_line[tid]}\n{' ' * len(tid)}  {gen_line[tid]}")


if __name__ == "__main__":
    main()
