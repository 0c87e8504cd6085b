"""How many templates `code match` puts on the statement that wrote them, by the lines' own ``Class@line``.

Usage: python benchmarks/code_match.py SRC --logs STRUCTURED.csv [--templates T.csv]

The truth is the place most of a template's lines name (needs a layout that prints class and line, as ZooKeeper's
``%C{1}@%L``). Prints the count right, the ties and what decided them, once with the text alone and once with the
log lines as evidence, and lists every template on a wrong place.
"""

from __future__ import annotations

import argparse
import time

from synthlog.code.evidence import from_structured
from synthlog.code.match import coverage, match_templates
from synthlog.code.propagate import specialise
from synthlog.code.scan import scan
from synthlog.io.loghub import read_templates
from synthlog.progress import set_quiet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src")
    parser.add_argument("--logs", required=True)
    parser.add_argument("--templates")
    args = parser.parse_args()
    set_quiet(True)
    named, evidence = from_structured(args.logs)
    templates = read_templates(args.templates) if args.templates else named
    truth = {tid: ev.places.most_common(1)[0][0] for tid, ev in evidence.items() if ev.places}
    cpu = time.process_time()
    statements = specialise(scan(args.src))
    print(f"scan + call-site specialisation: {time.process_time() - cpu:.2f} s CPU, {len(statements)} statements")
    for label, said in (("text only", None), ("with log evidence", evidence)):
        cpu = time.process_time()
        matches = match_templates(statements, templates.values(), evidence=said)
        seconds = time.process_time() - cpu
        wrong = []
        for m in matches:
            place = truth.get(m.template.id)
            s = m.statement
            if place is None:
                continue
            if s is None or s.cls != place[0] or not s.line <= place[1] <= max(s.line, s.end_line):
                wrong.append(f"  {m.template.id} {m.template.text[:60]!r}: truth {place[0]}@{place[1]}, got "
                             + (f"{s.cls}@{s.line} ({m.decided_by}, {m.candidates} candidates)" if s else "nothing"))
        decided: dict[str, int] = {}
        for m in matches:
            if m.statement is not None:
                decided[m.decided_by] = decided.get(m.decided_by, 0) + 1
        print(f"{label}: {len(truth) - len(wrong)}/{len(truth)} on the right class@line; match {seconds:.2f} s CPU; "
              f"{coverage(matches, statements).summary()}; decided by {dict(sorted(decided.items()))}")
        print("\n".join(wrong))


if __name__ == "__main__":
    main()
