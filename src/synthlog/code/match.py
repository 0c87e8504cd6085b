"""Match the templates of a real data set to the logging statements that print them.

Both sides are token sequences (words, single punctuation marks, ``<*>``; whitespace ignored, so ``<*>Received
block<*>`` and ``Received block <*>`` read the same). A wildcard on either side may absorb a run of the other
side's tokens: a code ``<*>`` covers the value the real log shows (``tickTime set to 2000``), a real ``<*>`` covers
literal text a template miner masked or merged (``blk_<*>``, ``0x<*>``, the AIT leading ``<*>``). A dynamic program
finds the alignment that matches the most literal text; the score is the F1 of

- precision: the share of the statement's literal text found in the template, and
- recall: the share of the template's literal text explained, counting text under a code wildcard at half.

A template is matched to its best statement when the score reaches :data:`THRESHOLD`.
"""

from __future__ import annotations

import csv
import math
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass

from synthlog.code.records import Statement
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
    """The statement that best explains a template (``statement`` None when nothing reaches the threshold)."""

    template: Template
    statement: Statement | None
    score: float


@dataclass(slots=True)
class Coverage:
    templates: int
    templates_matched: int
    statements: int
    statements_seen: int

    @property
    def template_share(self) -> float:
        return self.templates_matched / self.templates if self.templates else 0.0

    @property
    def statement_share(self) -> float:
        return self.statements_seen / self.statements if self.statements else 0.0

    def summary(self) -> str:
        return (f"{self.templates_matched}/{self.templates} templates found in the code "
                f"({self.template_share:.1%}); {self.statements_seen}/{self.statements} logging statements "
                f"seen in the data ({self.statement_share:.1%})")


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

    def candidates(self, real: list[str]) -> list[int]:
        weights: dict[int, float] = {}
        for word in sorted({t for t in real if _WORD.fullmatch(t)}):
            for number in self.postings.get(word, []):
                weights[number] = weights.get(number, 0.0) + self.idf[word]
        ranked = sorted(weights, key=lambda k: (-weights[k], k))
        return ranked[:CANDIDATES]


def _preference(statement: Statement, code: list[str], real: list[str]) -> tuple[int, int, str, int]:
    """Among equal scores: production code before test code, then the closer token count, then file and line."""
    return (1 if _TEST_DIR.search(statement.file) else 0, abs(len(code) - len(real)), statement.file, statement.line)


def match_templates(statements: list[Statement], templates: Iterable[Template],
                    threshold: float = THRESHOLD) -> list[Match]:
    """The best statement for each template, in the templates' order."""
    index = _Index(statements)
    matches = []
    for template in templates:
        real = tokens(template.text)
        best: tuple[float, tuple[int, int, str, int], int] | None = None
        for number in index.candidates(real):
            similarity = round(score(index.tokens[number], real, index.glued[number]), 6)
            preference = _preference(statements[number], index.tokens[number], real)
            if best is None or similarity > best[0] or (similarity == best[0] and preference < best[1]):
                best = (similarity, preference, number)
        if best is not None and best[0] >= threshold:
            matches.append(Match(template, statements[best[2]], best[0]))
        else:
            matches.append(Match(template, None, best[0] if best is not None else 0.0))
    return matches


def coverage(matches: list[Match], statements: list[Statement]) -> Coverage:
    """Share of templates found in the code, and of the code's statements seen in the data."""
    seen = {m.statement.id for m in matches if m.statement is not None}
    return Coverage(len(matches), sum(m.statement is not None for m in matches), len(statements), len(seen))


MATCH_COLUMNS = ["EventId", "EventTemplate", "StatementId", "File", "Line", "Class", "Level", "Score"]


def write_matches_csv(matches: list[Match], path: str | os.PathLike[str]) -> None:
    """One row per template, in the templates' order; empty statement columns when nothing matched."""
    with atomic_open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(MATCH_COLUMNS)
        for m in matches:
            s = m.statement
            where = [s.id, s.file, s.line, s.cls, s.level] if s is not None else ["", "", "", "", ""]
            writer.writerow([m.template.id, m.template.text, *where, f"{m.score:.3f}"])
