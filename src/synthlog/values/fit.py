"""Learning a :class:`~synthlog.values.model.ValueModel` from observed values under the privacy rules.

- A value is kept verbatim (a category) only when it was seen in at least ``min_sessions`` distinct sessions and
  holds nothing the secret scan (:mod:`synthlog.privacy.secrets`) or the leakage kinds of ``validate`` (address,
  block id, path, host, long number) would report.
- Every other value joins the pattern of its skeleton (its tokens' kinds, punctuation written out): per token
  position a literal (the same letters in every value, seen in ``min_sessions`` sessions, not secret-like, in a form
  whose values hold no credential, address or key), a number (quantiles rounded to two significant digits, never an
  exact value seen in fewer than ``min_sessions`` sessions; only its digit count when the position was seen in fewer
  sessions) or a run of characters of the smallest alphabet that holds them, with its length histogram.
- ``scope: session`` when a session nearly always repeats one value; ``pool`` (an entity such as a node) when the
  values repeat across the run: as many synthetic entities as distinct real values.
Counts (category and pattern weights, length histograms) pass through ``rules.noise``, the pool size through
``rules.pool_noise``.
"""

from __future__ import annotations

import math
import os
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from synthlog.privacy.secrets import find_secrets, is_secret_like
from synthlog.privacy.values import VALUE_PATTERNS
from synthlog.values.model import ALPHABETS, NumberPiece, Pattern, Piece, ValueModel
from synthlog.values.shape import FLOAT, OTHER, skeleton, tokens

# Secret classes that make a whole form unsafe for literals (an identifier mixing letters and digits is not: its
# varying parts are drawn anyway, only what every value shares may stay).
_IDENTITY_ONLY = frozenset({"letters_digits", "high_entropy"})
_SUBRUN = re.compile(r"\d+|[^\W\d_]+")
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


@dataclass(frozen=True)
class FitRules:
    """``min_sessions``: k of k-anonymity; ``max_categories`` / ``max_patterns``: how many verbatim values and
    forms a model keeps at most; ``noise``: applied to every weight (identity by default); ``pool_noise``: applied
    to the pool size (``noise`` when None)."""

    min_sessions: int = 5
    max_categories: int = 32
    max_patterns: int = 8
    noise: Callable[[float], float] = float
    pool_noise: Callable[[float], float] | None = None


def releasable(value: str) -> bool:
    """Whether a value may be written verbatim (sessions aside): no secret-like token, no leakage-kind value."""
    return (bool(value.strip()) and value.isprintable() and not is_secret_like(value)
            and not any(p.search(value) for p in VALUE_PATTERNS.values()))


def fit(values: Sequence[str], sessions: Sequence[str] | None = None, rules: FitRules | None = None) -> ValueModel:
    """A model of ``values`` (``sessions[i]`` is the session of ``values[i]``; without sessions no value counts as
    seen in enough sessions to be released)."""
    rules = rules or FitRules()
    if not values:
        raise ValueError("fit needs at least one value")
    sessions = sessions if sessions is not None else [f"\0{i}" for i in range(len(values))]
    seen: dict[str, set[str]] = defaultdict(set)
    counts = Counter(values)
    for value, session in zip(values, sessions, strict=True):
        seen[value].add(session)
    k = rules.min_sessions
    released = [v for v, _ in counts.most_common() if len(seen[v]) >= k and releasable(v)][:rules.max_categories]
    patterns = [Pattern(pieces=[Piece(text=v)], weight=_weight(rules.noise(counts[v]))) for v in released]
    kept = set(released)
    rest = [(v, s) for v, s in zip(values, sessions, strict=True) if v not in kept]
    groups: dict[tuple[str, ...], list[tuple[str, str]]] = defaultdict(list)
    for value, session in rest:
        groups[skeleton(value)].append((value, session))
    ranked = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:rules.max_patterns]
    for _, members in ranked:
        patterns.append(Pattern(pieces=_form(members, rules), weight=_weight(rules.noise(len(members)))))
    patterns = [p for p in patterns if p.weight > 0] or patterns[:1]
    if all(p.weight <= 0 for p in patterns):
        patterns = [patterns[0].model_copy(update={"weight": 1.0})]
    scope, pool = _repetition(list(zip(values, sessions, strict=True)), kept, rules)
    return ValueModel(patterns=patterns, scope=scope, pool=pool)


def _weight(count: float) -> float:
    return round(max(count, 0.0), 3)


def _form(members: list[tuple[str, str]], rules: FitRules) -> list[Piece]:
    """The pieces of one skeleton's values."""
    distinct = sorted({v for v, _ in members})
    classes = [set(find_secrets(v)) for v in distinct[:500]]
    unsafe = any(c - _IDENTITY_ONLY for c in classes) or any(p.search(v) for v in distinct[:500]
                                                             for p in VALUE_PATTERNS.values())
    identity = any(classes)  # an identifier: its digits are drawn, never summarised (a summary could spell it out)
    pieces = _pieces(members, rules, allow_literal=not unsafe, identity=identity)
    if all(p.text is not None for p in pieces):  # literals alone would spell out a value that was not released
        pieces = _pieces(members, rules, allow_literal=False, identity=identity)
    return _merge_literals(pieces)


def _pieces(members: list[tuple[str, str]], rules: FitRules, allow_literal: bool, identity: bool) -> list[Piece]:
    token_lists = [tokens(v) for v, _ in members]
    pieces: list[Piece] = []
    for position, (kind, text) in enumerate(token_lists[0]):
        column = [(t[position][1], s) for t, (_, s) in zip(token_lists, members, strict=True)]
        if kind == OTHER:
            pieces.append(Piece(text=text))
        elif kind == FLOAT:
            pieces.append(_number_piece(column, rules))
        else:
            pieces += _word_pieces(column, rules, allow_literal, identity)
    return pieces


def _merge_literals(pieces: list[Piece]) -> list[Piece]:
    out: list[Piece] = []
    for piece in pieces:
        if piece.text is not None and out and out[-1].text is not None:
            out[-1] = Piece(text=out[-1].text + piece.text)
        else:
            out.append(piece)
    return out


def _sessions(column: list[tuple[str, str]]) -> int:
    return len({s for _, s in column})


def _word_pieces(column: list[tuple[str, str]], rules: FitRules, allow_literal: bool,
                 identity: bool = False) -> list[Piece]:
    """Pieces of one letter/digit run position."""
    texts = [t for t, _ in column]
    k = rules.min_sessions
    first = texts[0]
    if first in ("0x", "0X") and all(t == first for t in texts):  # a hex prefix is notation, not data
        return [Piece(text=first)]
    if allow_literal and all(t == first for t in texts) and _sessions(column) >= k and not is_secret_like(first):
        return [Piece(text=first)]
    if all(t.isascii() and t.isdigit() for t in texts):
        padded = any(len(t) > 1 and t[0] == "0" for t in texts)
        if not padded and not identity:
            return [_number_piece(column, rules)]
        return [_chars_piece(texts, rules)]  # zero-padded digits (R02, U11): a digit run of the same widths
    parts = [tuple(_SUBRUN.findall(t)) for t in texts]
    shapes = {tuple(p[0].isdigit() for p in ps) for ps in parts}
    if len(shapes) == 1 and len(parts[0]) > 1 and all("".join(ps) == t for ps, t in zip(parts, texts, strict=True)):
        pieces = []
        for i in range(len(parts[0])):
            pieces += _word_pieces([(ps[i], s) for ps, (_, s) in zip(parts, column, strict=True)], rules,
                                   allow_literal, identity)
        return pieces
    if allow_literal and _sessions(column) >= k and not any(is_secret_like(t) for t in set(texts)):
        return _aligned(texts, rules)
    return [_chars_piece(texts, rules)]


def _aligned(texts: list[str], rules: FitRules) -> list[Piece]:
    """Runs whose characters agree at some positions: the shared characters (a common prefix and suffix, or, for
    runs of one length, every position where all agree) stay, the varying stretches become character runs."""
    if len({len(t) for t in texts}) == 1:
        width = len(texts[0])
        constant = [len({t[i] for t in texts}) == 1 for i in range(width)]
        pieces, start = [], 0
        while start < width:
            end = start
            while end < width and constant[end] == constant[start]:
                end += 1
            stretch = [t[start:end] for t in texts]
            pieces.append(Piece(text=stretch[0]) if constant[start] else _chars_piece(stretch, rules))
            start = end
        return pieces
    prefix = os.path.commonprefix(texts)
    suffix = os.path.commonprefix([t[len(prefix):][::-1] for t in texts])[::-1]
    middles = [t[len(prefix):len(t) - len(suffix)] for t in texts]
    if any(not m for m in middles):
        return [_chars_piece(texts, rules)]
    return [p for p in (Piece(text=prefix) if prefix else None, _chars_piece(middles, rules),
                        Piece(text=suffix) if suffix else None) if p is not None]


def alphabet_of(chars: set[str]) -> str:
    """The smallest alphabet of :data:`ALPHABETS` holding these characters (non-ASCII letters count as letters)."""
    normal = {c if c.isascii() else ("a" if c.isalpha() else "0") for c in chars}
    has_digit = any(c.isdigit() for c in normal)
    order = (("digit", "hex", "HEX", "lower_alnum", "upper_alnum", "alnum") if has_digit
             else ("lower", "upper", "alpha"))
    return next((name for name in order if normal <= set(ALPHABETS[name])), "alnum")


def _chars_piece(texts: list[str], rules: FitRules) -> Piece:
    lengths = Counter(len(t) for t in texts)
    sizes = sorted(lengths)
    weights = [_weight(rules.noise(lengths[n])) for n in sizes]
    if sum(weights) <= 0:
        weights = [1.0] * len(sizes)
    n = len(texts)
    digits = sum(t.isdigit() for t in texts) / n
    letters = sum(not any(c.isdigit() for c in t) for t in texts) / n
    return Piece(chars=alphabet_of(set("".join(texts))), lengths=sizes, weights=weights,
                 digits_only=round(digits, 3), letters_only=round(min(letters, 1 - round(digits, 3)), 3))


def significant(x: float, digits: int = 2) -> float:
    if x == 0 or not math.isfinite(x):
        return 0.0
    return round(x, digits - 1 - int(math.floor(math.log10(abs(x)))))


def _number_piece(column: list[tuple[str, str]], rules: FitRules, width: int = 0) -> Piece:
    """Quantiles of the numbers (two significant digits, never an exact value seen in fewer than k sessions), or,
    for a position seen in fewer than k sessions, only the magnitude (every number of its digit count)."""
    texts = [t for t, _ in column]
    decimals = Counter(len(t.partition(".")[2]) for t in texts).most_common(1)[0][0]
    numbers = np.array([float(t) for t in texts])
    k = rules.min_sessions
    if _sessions(column) < k:
        digits = int(np.median([len(t.partition(".")[0]) for t in texts]))
        low = 0.0 if digits <= 1 else float(10 ** (digits - 1))
        return Piece(number=NumberPiece(quantiles=[low, float(10 ** digits - 1)], decimals=decimals, width=width))
    seen: dict[float, set[str]] = defaultdict(set)
    for value, (_, session) in zip(numbers.tolist(), column, strict=True):
        seen[value].add(session)
    rare = {v for v, s in seen.items() if len(s) < k}
    points = []
    for q in np.quantile(numbers, QUANTILES).tolist():
        value = significant(q)
        step = max(10.0 ** (math.floor(math.log10(abs(value))) - 1) if value else 1.0, 10.0 ** -decimals)
        for _ in range(100):  # up by one unit of the second significant digit until no rare value is hit
            value = round(value, decimals) if decimals else float(round(value))
            if value not in rare:
                points.append(value)
                break
            value += step
    if len(points) < 2:  # every candidate hit a rare value: publish the magnitude only
        return _number_piece([(t, "") for t in texts], rules, width)
    points.sort()
    log = points[0] > 0 and points[-1] / points[0] > 20
    return Piece(number=NumberPiece(quantiles=points, decimals=decimals, width=width, log=log))


def _repetition(pairs: list[tuple[str, str]], released: set[str], rules: FitRules) -> tuple[str, int | None]:
    """``scope`` and ``pool`` from how values repeat within sessions and across the run."""
    by_session: dict[str, list[str]] = defaultdict(list)
    for value, session in pairs:
        by_session[session].append(value)
    repeated = [set(vs) for vs in by_session.values() if len(vs) >= 2]
    distinct = {v for v, _ in pairs}
    scope = "line"
    if len(distinct) >= 2 and len(repeated) >= 3 and sum(len(s) == 1 for s in repeated) >= 0.9 * len(repeated):
        scope = "session"
    shaped = distinct - released
    occurrences = len({(v, s) for v, s in pairs if v not in released})  # a value counts once per session
    pool = None
    if len(shaped) >= 2 and len(shaped) <= occurrences / 2:  # values recur across sessions: entities
        pool = max(1, round((rules.pool_noise or rules.noise)(len(shaped))))
    return scope, pool
