"""Match the templates of a real data set to the logging statements that print them.

Both sides are token sequences (words, single punctuation marks, ``<*>``; whitespace ignored, so ``<*>Received
block<*>`` and ``Received block <*>`` read the same). A wildcard on either side may absorb a run of the other
side's tokens: a code ``<*>`` covers the value the real log shows (``tickTime set to 2000``), a real ``<*>`` covers
literal text a template miner masked or merged (``blk_<*>``, ``0x<*>``, the AIT leading ``<*>``). A dynamic program
finds the alignment that matches the most literal text; the score is the F1 of

- precision: the share of the statement's literal text found in the template, and
- recall: the share of the template's literal text explained, counting text under a code wildcard at half.

A template is matched to its best statement when the score reaches :data:`THRESHOLD`. What the template's log lines
say (:mod:`synthlog.code.evidence`: the class and source line that wrote them, their level, their thread) decides
between statements that qualify; a tie nothing decides is reported (``DecidedBy`` ``order``), never silent.
"""

from __future__ import annotations

import csv
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from synthlog.code.evidence import Evidence
from synthlog.code.records import Statement
from synthlog.errors import InputError
from synthlog.io.atomic import atomic_open
from synthlog.records import Template

THRESHOLD = 0.75
CANDIDATES = 40  # statements sharing the rarest words with a template that are aligned in full
_TOKEN = re.compile(r"<\*>|[A-Za-z0-9_]+|[^\sA-Za-z0-9_]")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]+")
_WILD = "<*>"
_TEST_DIR = re.compile(r"(^|/)(test|tests|testing|src/test)/")


@dataclass(slots=True)
class Match:
    """The statement that best explains a template (``statement`` None when nothing reaches the threshold).

    ``candidates`` counts the statements whose text scores as high as the chosen one's (1: no tie); ``tied`` are
    the others among them; ``runner_up`` is the best score of any other statement; ``decided_by`` says what chose:
    ``text`` (the only best score), ``place``/``class``/``level``/``thread`` (what the log lines say), or
    ``order`` (an unresolved tie, settled by production code first, token count, file and line).
    """

    template: Template
    statement: Statement | None
    score: float
    candidates: int = 0
    runner_up: float = 0.0
    tied: list[Statement] = field(default_factory=list)
    decided_by: str = ""


@dataclass(slots=True)
class Coverage:
    templates: int
    templates_matched: int
    statements: int
    statements_seen: int
    ties: int = 0  # matched templates whose best text score several statements share
    ties_unresolved: int = 0  # of those, settled by order only

    @property
    def template_share(self) -> float:
        return self.templates_matched / self.templates if self.templates else 0.0

    @property
    def statement_share(self) -> float:
        return self.statements_seen / self.statements if self.statements else 0.0

    def summary(self) -> str:
        return (f"{self.templates_matched}/{self.templates} templates found in the code "
                f"({self.template_share:.1%}); {self.statements_seen}/{self.statements} logging statements "
                f"seen in the data ({self.statement_share:.1%}); {self.ties} ties "
                f"({self.ties - self.ties_unresolved} settled by the log lines, {self.ties_unresolved} by order)")


def tokens(template: str) -> list[str]:
    """Words, punctuation marks and ``<*>`` of a template, whitespace dropped; runs of ``<*>`` merged."""
    return _tokenize(template)[0]


def _tokenize(template: str) -> tuple[list[str], list[bool]]:
    """Tokens, and for each whether it is glued to a wildcard (``0x<*>``, ``id=<*>``): a template miner masks the
    whole whitespace-separated chunk, so losing such text to a real wildcard costs little."""
    out: list[str] = []
    glued: list[bool] = []
    for chunk in template.split():
        has_wild = _WILD in chunk
        for token in _TOKEN.findall(chunk):
            if token == _WILD and out and out[-1] == _WILD:
                continue
            out.append(token)
            glued.append(has_wild)
    return out, glued


def align(code: list[str], real: list[str], glued: list[bool] | None = None) -> tuple[float, float, float]:
    """Best wildcard-aware alignment of two token lists: (matched, real text under code wildcards, code text glued
    to a code wildcard that a real wildcard absorbed).

    Token weight is its length. The alignment maximises 2*matched - code text under real wildcards (a tenth for
    glued text) - half the real text under code wildcards - 2*text matched by nothing.
    """
    n, m = len(code), len(real)
    glued = glued if glued is not None else [False] * n
    weight_code = [0 if t == _WILD else len(t) for t in code]
    weight_real = [0 if t == _WILD else len(t) for t in real]
    neg = -math.inf
    # per cell: value, matched, real text absorbed, glued code text absorbed
    value = [[neg] * (m + 1) for _ in range(n + 1)]
    matched = [[0.0] * (m + 1) for _ in range(n + 1)]
    absorbed = [[0.0] * (m + 1) for _ in range(n + 1)]
    soft = [[0.0] * (m + 1) for _ in range(n + 1)]
    value[0][0] = 0.0
    for i in range(n + 1):
        code_wild = i > 0 and code[i - 1] == _WILD
        for j in range(m + 1):
            if i == 0 and j == 0:
                continue
            real_wild = j > 0 and real[j - 1] == _WILD
            best, cell = neg, (0.0, 0.0, 0.0)
            if i > 0 and j > 0 and not code_wild and not real_wild and code[i - 1] == real[j - 1]:
                w = weight_code[i - 1]
                best = value[i - 1][j - 1] + 2 * w
                cell = (matched[i - 1][j - 1] + w, absorbed[i - 1][j - 1], soft[i - 1][j - 1])
            if j > 0:  # real token j-1 absorbed by code wildcard i-1, or unmatched, or a real wildcard ending
                w = weight_real[j - 1]
                extra = w if code_wild else 0.0
                cand = value[i][j - 1] - (0.5 * w if code_wild else 0.0 if real_wild else 2 * w)
                if cand > best:
                    best, cell = cand, (matched[i][j - 1], absorbed[i][j - 1] + extra, soft[i][j - 1])
            if i > 0:  # code token i-1 absorbed by real wildcard j-1, or unmatched, or a code wildcard ending
                w = weight_code[i - 1]
                if real_wild:
                    cand = value[i - 1][j] - (0.1 * w if glued[i - 1] else w)
                    extra = w if glued[i - 1] else 0.0
                else:
                    cand, extra = value[i - 1][j] - (0.0 if code_wild else 2 * w), 0.0
                if cand > best:
                    best, cell = cand, (matched[i - 1][j], absorbed[i - 1][j], soft[i - 1][j] + extra)
            value[i][j] = best
            matched[i][j], absorbed[i][j], soft[i][j] = cell
    return matched[n][m], absorbed[n][m], soft[n][m]


def score(code: list[str], real: list[str], glued: list[bool] | None = None) -> float:
    """Similarity in [0, 1] of a statement's template tokens and a real template's tokens (see module doc)."""
    code_text = sum(len(t) for t in code if t != _WILD)
    real_text = sum(len(t) for t in real if t != _WILD)
    if code_text == 0:
        return 0.0
    matched, absorbed, soft = align(code, real, glued)
    if matched == 0:
        return 0.0
    precision = matched / (code_text - soft)
    recall = (matched + 0.5 * absorbed) / real_text if real_text else 0.0
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


class _Index:
    """Statements by the words of their literal text, weighted by rarity."""

    def __init__(self, statements: list[Statement]):
        self.statements = statements
        tokenized = [_tokenize(s.template) for s in statements]
        self.tokens = [toks for toks, _ in tokenized]
        self.glued = [glued for _, glued in tokenized]
        self.postings: dict[str, list[int]] = {}
        for number, toks in enumerate(self.tokens):
            for word in sorted({t for t in toks if _WORD.fullmatch(t)}):
                self.postings.setdefault(word, []).append(number)
        total = max(len(statements), 1)
        self.idf = {word: math.log(1 + total / len(hits)) for word, hits in self.postings.items()}
        self._by_class: dict[str, list[int]] | None = None

    def candidates(self, real: list[str]) -> list[int]:
        weights: dict[int, float] = {}
        for word in sorted({t for t in real if _WORD.fullmatch(t)}):
            for number in self.postings.get(word, []):
                weights[number] = weights.get(number, 0.0) + self.idf[word]
        ranked = sorted(weights, key=lambda k: (-weights[k], k))
        return ranked[:CANDIDATES]


    def at(self, places: Iterable[tuple[str, int]]) -> list[int]:
        """Statements of the given classes whose source lines span one of the given lines."""
        if self._by_class is None:
            self._by_class = {}
            for number, statement in enumerate(self.statements):
                self._by_class.setdefault(statement.cls, []).append(number)
        found = set()
        for cls, line in places:
            for number in self._by_class.get(cls, ()):
                statement = self.statements[number]
                if statement.line <= line <= max(statement.line, statement.end_line):
                    found.add(number)
        return sorted(found)


def _preference(statement: Statement, code: list[str], real: list[str]) -> tuple[int, int, str, int]:
    """Among equal scores: production code before test code, then the closer token count, then file and line."""
    return (1 if _TEST_DIR.search(statement.file) else 0, abs(len(code) - len(real)), statement.file, statement.line)


EVIDENCE_KINDS = ("place", "class", "level", "thread")


def support(statement: Statement, said: Evidence | None) -> tuple[float, float, float, float]:
    """Shares of a template's lines whose place (class and line), class, level and thread fit ``statement``.

    A class fits in full when it is the statement's, at half when only the outermost class is the same (a logger
    named after the outer class); a thread fits when its name holds the statement's innermost class name."""
    if said is None or not said.lines:
        return (0.0, 0.0, 0.0, 0.0)
    cls, last = statement.cls, max(statement.line, statement.end_line)
    outer, inner = cls.split("$", 1)[0], cls.rsplit("$", 1)[-1]
    place = sum(n for (c, line), n in said.places.items() if c == cls and statement.line <= line <= last)
    same = sum(n if c == cls else 0.5 * n for c, n in said.classes.items() if c.split("$", 1)[0] == outer)
    thread = sum(n for name, n in said.threads.items() if inner and inner in name)
    total = said.lines
    return (place / total, same / total, said.levels.get(statement.level, 0) / total, thread / total)


def match_templates(statements: list[Statement], templates: Iterable[Template], threshold: float = THRESHOLD,
                    evidence: Mapping[str, Evidence] | None = None) -> list[Match]:
    """The best statement for each template, in the templates' order.

    Among statements scoring at least ``threshold``, the one at the place the template's log lines name wins
    (``evidence``, by template id); then the best text score; equal scores go to the class, level and thread the
    lines show, then to :func:`_preference`. Every statement sharing the chosen one's score is reported."""
    index = _Index(statements)
    evidence = evidence or {}
    matches = []
    for template in templates:
        real = tokens(template.text)
        said = evidence.get(template.id)
        numbers = index.candidates(real)
        if said is not None and said.places:
            numbers = sorted(set(numbers) | set(index.at(said.places)))
        scored = {n: round(score(index.tokens[n], real, index.glued[n]), 6) for n in numbers}
        best_text = max(scored.values(), default=0.0)
        eligible = [n for n in numbers if scored[n] >= threshold]
        if not eligible:
            matches.append(Match(template, None, best_text, 0, best_text))
            continue
        backing = {n: support(statements[n], said) for n in eligible}
        chosen = min(eligible, key=lambda n: (-backing[n][0], -scored[n], *(-v for v in backing[n][1:]),
                                              _preference(statements[n], index.tokens[n], real)))
        statement = statements[chosen]
        tied = [n for n in eligible if scored[n] == scored[chosen] and statements[n].id != statement.id]
        others = [scored[n] for n in numbers if statements[n].id != statement.id]
        if scored[chosen] < best_text:
            decided = "place"
        elif not tied:
            decided = "text"
        else:
            decided = _separated_by(backing[chosen], [backing[n] for n in tied])
        unique_tied = list({statements[n].id: statements[n] for n in tied}.values())
        matches.append(Match(template, statement, scored[chosen], 1 + len(unique_tied), max(others, default=0.0),
                             unique_tied, decided))
    return matches


def _separated_by(mine: tuple[float, ...], rivals: list[tuple[float, ...]]) -> str:
    """The deepest kind of evidence needed to set the chosen statement above each rival ("order" if none does)."""
    deepest = 0
    for rival in rivals:
        kind = next((k for k, (a, b) in enumerate(zip(mine, rival, strict=True)) if a != b), None)
        if kind is None:
            return "order"
        deepest = max(deepest, kind)
    return EVIDENCE_KINDS[deepest]


def coverage(matches: list[Match], statements: list[Statement]) -> Coverage:
    """Share of templates found in the code, and of the code's statements seen in the data; ties counted."""
    seen = {m.statement.id for m in matches if m.statement is not None}
    ties = [m for m in matches if m.statement is not None and m.candidates > 1]
    return Coverage(len(matches), sum(m.statement is not None for m in matches), len({s.id for s in statements}),
                    len(seen), len(ties), sum(m.decided_by == "order" for m in ties))


MATCH_COLUMNS = ["EventId", "EventTemplate", "StatementId", "File", "Line", "Class", "Level", "Score", "Candidates",
                 "RunnerUp", "DecidedBy", "Tied"]


def write_matches_csv(matches: list[Match], path: str | os.PathLike[str]) -> None:
    """One row per template, in the templates' order; empty statement columns when nothing matched. ``Tied`` lists
    the other statements with the same score as ``File:Line:StatementId``, separated by spaces."""
    with atomic_open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(MATCH_COLUMNS)
        for m in matches:
            s = m.statement
            where = [s.id, s.file, s.line, s.cls, s.level] if s is not None else ["", "", "", "", ""]
            tied = " ".join(f"{t.file}:{t.line}:{t.id}" for t in m.tied)
            writer.writerow([m.template.id, m.template.text, *where, f"{m.score:.3f}", m.candidates,
                             f"{m.runner_up:.3f}", m.decided_by, tied])


def match_code(src: str | os.PathLike[str], templates: str | os.PathLike[str] | None = None,
               logs: str | os.PathLike[str] | None = None, fmt: str | None = None, exclude: Sequence[str] = (),
               threshold: float = THRESHOLD) -> tuple[list[Match], list[Statement]]:
    """Scan ``src`` (statements specialised per call site) and match templates to them.

    Templates come from ``templates`` or, if not given, from the structured CSV ``logs``; with ``logs`` (a structured
    CSV, or a raw log split by the format ``fmt``, by default the built-in format that fits it) the lines' class,
    source line, level and thread are evidence."""
    from synthlog.code.evidence import from_raw, from_structured
    from synthlog.code.propagate import specialise
    from synthlog.code.scan import scan
    from synthlog.io.logformat import detect_format
    from synthlog.io.loghub import read_templates

    if logs is not None and fmt is None and not _is_structured(logs):
        fmt = detect_format(logs).text  # a raw log: the built-in format that fits it
    if templates is None and logs is None:
        raise InputError("give --templates, or --logs with a structured CSV (which names its templates)")
    if templates is None and fmt is not None:
        raise InputError("a raw log names no templates: give --templates too", path=logs)
    wanted = read_templates(templates) if templates is not None else {}
    evidence: dict[str, Evidence] = {}
    if logs is not None and fmt is not None:
        evidence = from_raw(logs, fmt, wanted.values())
    elif logs is not None:
        named, by_id = from_structured(logs)
        if not wanted:
            wanted, evidence = named, by_id
        else:  # the same template text, else the same id
            by_text = {named[tid].text: found for tid, found in by_id.items()}
            evidence = {tid: found for tid, t in wanted.items()
                        if (found := by_text.get(t.text, by_id.get(tid))) is not None}
    result = scan(src, exclude)
    statements = specialise(result)
    return match_templates(statements, wanted.values(), threshold, evidence), statements


def _is_structured(path: str | os.PathLike[str]) -> bool:
    """Whether a file starts with a structured CSV header (a ``Content`` column)."""
    from synthlog.io.text import iter_lines

    first = next(iter_lines(path), (0, ""))[1].lstrip("\ufeff")
    return "Content" in first.split(",")
