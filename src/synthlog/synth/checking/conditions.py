"""Branch conditions as formulas, and a store of facts that finds contradictions between them.

``parse_condition("x != null && n > 0")`` gives a small formula tree; :meth:`Facts.assume` adds "this formula
evaluated to True/False" and returns a :class:`Conflict` when that contradicts what is already known. Facts are
sound and deliberately simple:

- boolean atoms (``flag``, ``a.isEmpty()``, ``x instanceof T``): known true or false;
- equality with constants (``null``/``None``, ``true``/``false``, string and char literals, ``ENUM_NAMES``):
  ``==`` one constant, ``!=`` a set of constants;
- comparisons with numbers: an interval with open or closed ends, plus excluded points (reals, so ``n > 0`` and
  ``n < 1`` do not conflict: the variable may not be an integer);
- comparisons between two expressions (``a < b``): the set of possible orderings among ``<``, ``=``, ``>``.

Conjunctions learn every part when true; when false, a part is learned only once all the others are known true
(and dually for disjunctions). Java (``&&``, ``||``, ``!``, ``null``) and Python (``and``, ``or``, ``not``,
``is None``) spellings are understood. Anything else (ternaries, casts, bit operations) is an opaque atom keyed
by its text without spaces. The store is copy-on-write so snapshots (:meth:`Facts.copy`) are cheap.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, replace

_TOKEN = re.compile(r"""
    "(?:\\.|[^"\\])*" | '(?:\\.|[^'\\])*'       # string and char literals
  | &&|\|\||==|!=|<=|>=|<<|>>|->|::
  | [A-Za-z_$][\w$]*                            # identifiers and keywords
  | 0[xX][0-9a-fA-F_]+[lL]? | \d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?[lLfFdD]? | \.\d+
  | \S
""", re.VERBOSE)
_ENUM_CONST = re.compile(r"(?:[A-Za-z_$][\w$]*\.)*[A-Z][A-Z0-9_]+")
_NUMBER = re.compile(r"-?(?:0[xX][0-9a-fA-F_]+|\d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?|\.\d+)[lLfFdD]?")

_AND = {"&&", "and"}
_OR = {"||", "or"}
_NOT = {"!", "not"}
_COMPARE = {"==", "!=", "<", "<=", ">", ">=", "is", "is not", "in", "not in"}
_NEGATE = {"==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">"}
_MIRROR = {"==": "==", "!=": "!=", "<": ">", ">": "<", "<=": ">=", ">=": "<="}
_ORDERS = {"==": frozenset("="), "!=": frozenset("<>"), "<": frozenset("<"), "<=": frozenset("<="),
           ">": frozenset(">"), ">=": frozenset(">=")}
_CONSTANT_WORDS = {"null": "null", "None": "null", "true": "true", "True": "true", "false": "false",
                   "False": "false"}


# ---- formulas ------------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Atom:
    text: str


@dataclass(frozen=True, slots=True)
class Compare:
    left: str
    op: str
    right: str


@dataclass(frozen=True, slots=True)
class Not:
    operand: Formula


@dataclass(frozen=True, slots=True)
class And:
    parts: tuple[Formula, ...]


@dataclass(frozen=True, slots=True)
class Or:
    parts: tuple[Formula, ...]


Formula = Atom | Compare | Not | And | Or


@functools.lru_cache(maxsize=65536)
def normalize(text: str) -> str:
    """An expression's text with one space only between words (``x instanceof T``) and no leading
    ``this.``/``self.``: the key facts are stored under."""
    out = ""
    for token in _TOKEN.findall(text):
        if out and (out[-1].isalnum() or out[-1] in "_$") and (token[0].isalnum() or token[0] in "_$"):
            out += " "
        out += token
    for prefix in ("this.", "self."):
        if out.startswith(prefix):
            out = out[len(prefix):]
    return out


class _Parser:
    def __init__(self, text: str):
        tokens = _TOKEN.findall(text)
        merged: list[str] = []
        for tok in tokens:  # Python's two-word operators
            if merged and (merged[-1], tok) in {("is", "not"), ("not", "in")}:
                merged[-1] = f"{merged[-1]} {tok}"
            else:
                merged.append(tok)
        self.tokens = merged
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def parse(self) -> Formula:
        formula = self.disjunction()
        if self.pos != len(self.tokens):  # unbalanced or unusual text: keep it whole
            return Atom(normalize(" ".join(self.tokens)))
        return formula

    def disjunction(self) -> Formula:
        return self._joined(_OR, self.conjunction, Or)

    def conjunction(self) -> Formula:
        return self._joined(_AND, self.negation, And)

    def _joined(self, operators: set[str], part, node: type[And] | type[Or]) -> Formula:
        parts = [part()]
        while self.peek() in operators:
            self.pos += 1
            parts.append(part())
        return parts[0] if len(parts) == 1 else node(tuple(parts))

    def negation(self) -> Formula:
        if self.peek() in _NOT:
            self.pos += 1
            return Not(self.negation())
        return self.comparison()

    def comparison(self) -> Formula:
        if self.peek() == "(" and self._group_is_whole_operand():
            self.pos += 1
            inner = self.disjunction()
            if self.peek() == ")":
                self.pos += 1
            if self.peek() not in _COMPARE:
                return inner
            left = _formula_text(inner)
        else:
            left = self.operand()
        if self.peek() in _COMPARE:
            op = self.peek()
            self.pos += 1
            right = self.operand()
            if op in ("in", "not in"):
                atom = Atom(f"{left} in {right}")
                return Not(atom) if op == "not in" else atom
            return Compare(left, {"is": "==", "is not": "!="}.get(op, op), right)
        return Atom(left)

    def _group_is_whole_operand(self) -> bool:
        depth, i = 0, self.pos
        while i < len(self.tokens):
            depth += {"(": 1, ")": -1}.get(self.tokens[i], 0)
            if depth == 0:
                break
            i += 1
        after = self.tokens[i + 1] if i + 1 < len(self.tokens) else None
        return after is None or after in _AND | _OR | _COMPARE | {")"}

    def operand(self) -> str:
        depth, start = 0, self.pos
        while self.pos < len(self.tokens):
            tok = self.tokens[self.pos]
            if depth == 0 and (tok in _AND or tok in _OR or tok in _COMPARE or tok == ")"):
                break
            depth += {"(": 1, ")": -1, "[": 1, "]": -1}.get(tok, 0)
            self.pos += 1
        return normalize(" ".join(self.tokens[start:self.pos]))


def _formula_text(formula: Formula) -> str:
    match formula:
        case Atom(text):
            return text
        case Compare(left, op, right):
            return f"{left}{op}{right}"
        case Not(operand):
            return f"!({_formula_text(operand)})"
        case And(parts):
            return "&&".join(f"({_formula_text(p)})" for p in parts)
        case Or(parts):
            return "||".join(f"({_formula_text(p)})" for p in parts)
    raise TypeError(formula)


@functools.lru_cache(maxsize=65536)
def parse_condition(text: str) -> Formula:
    """Parse a branch condition's source text; never fails (unknown shapes become atoms). Cached: formulas are
    immutable."""
    return _Parser(text).parse()


# ---- facts ---------------------------------------------------------------------------------------------------

def _constant(text: str) -> tuple[str, float | str] | None:
    """``("num", value)`` or ``("const", canonical text)`` when ``text`` is a literal or an enum-like name."""
    if text in _CONSTANT_WORDS:
        return ("const", _CONSTANT_WORDS[text])
    if _NUMBER.fullmatch(text):
        digits = text.rstrip("lLfFdD").replace("_", "") if not text.lower().startswith(("0x", "-0x")) else text
        try:
            value = float(int(digits, 16)) if digits.lower().lstrip("-").startswith("0x") else float(digits)
        except ValueError:
            return None
        return ("num", value)
    if text[:1] in "\"'" and len(text) >= 2:
        return ("const", text)
    if _ENUM_CONST.fullmatch(text):
        return ("const", text.rsplit(".", 1)[-1])
    return None


@dataclass(frozen=True, slots=True)
class Literal:
    """One fact: ``key op value``; kind is ``bool`` (value "true"/"false"), ``const``, ``num`` or ``rel``."""

    kind: str
    key: str
    op: str
    value: str | float
    source: str  # how the user wrote it, for reasons

    def negated(self) -> Literal:
        if self.kind == "bool":
            return replace(self, value="false" if self.value == "true" else "true")
        return replace(self, op=_NEGATE[self.op])


def literal_of(formula: Atom | Compare, truth: bool, source: str) -> Literal | None:
    """The fact that ``formula`` evaluated to ``truth``; None when nothing sound can be learned."""
    if isinstance(formula, Atom):
        return Literal("bool", formula.text, "==", "true" if truth else "false", source)
    left, op, right = formula.left, formula.op, formula.right
    if op not in _NEGATE:
        return None
    if not truth:
        op = _NEGATE[op]
    lc, rc = _constant(left), _constant(right)
    if lc and not rc:
        left, right, lc, rc, op = right, left, rc, lc, _MIRROR[op]
    if lc and rc:
        return None  # constant against constant teaches nothing about variables
    if rc and rc[0] == "num":
        return Literal("num", left, op, float(rc[1]), source)
    if rc:
        if op not in ("==", "!="):
            return None
        if rc[1] in ("true", "false"):
            positive = (op == "==") == (rc[1] == "true")
            return Literal("bool", left, "==", "true" if positive else "false", source)
        return Literal("const", left, op, str(rc[1]), source)
    if left == right:
        return None
    if left > right:
        left, right, op = right, left, _MIRROR[op]
    return Literal("rel", f"{left}\x00{right}", op, "", source)


@dataclass(frozen=True, slots=True)
class _Knowledge:
    """What is known about one key; immutable, replaced on update."""

    eq: str | None = None
    eq_source: str = ""
    ne: frozenset[str] = frozenset()
    lo: float = -math.inf
    lo_open: bool = True
    hi: float = math.inf
    hi_open: bool = True
    ne_nums: frozenset[float] = frozenset()
    orders: frozenset[str] = frozenset("<=>")
    sources: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Conflict:
    code: str  # contradiction-null | -boolean | -constant | -interval | -relation
    new: str
    old: tuple[str, ...]

    def reason(self) -> str:
        return f"{self.code}: {self.new} contradicts {' and '.join(self.old)}"


def _update(k: _Knowledge, lit: Literal) -> tuple[_Knowledge | None, str | None]:
    """The knowledge after adding ``lit``, or (None, conflict code)."""
    sources = (*k.sources, lit.source)
    if lit.kind in ("bool", "const"):
        code = "contradiction-boolean" if lit.kind == "bool" else (
            "contradiction-null" if lit.value == "null" or k.eq == "null" else "contradiction-constant")
        value = str(lit.value)
        if lit.op == "==":
            if (k.eq is not None and k.eq != value) or value in k.ne:
                return None, code
            return replace(k, eq=value, sources=sources), None
        if k.eq == value:
            return None, code
        return replace(k, ne=k.ne | {value}, sources=sources), None
    if lit.kind == "rel":
        orders = k.orders & _ORDERS[lit.op]
        if not orders:
            return None, "contradiction-relation"
        return replace(k, orders=orders, sources=sources), None
    c = float(lit.value)
    lo, lo_open, hi, hi_open, ne_nums = k.lo, k.lo_open, k.hi, k.hi_open, k.ne_nums
    if lit.op == "!=":
        ne_nums = ne_nums | {c}
    if lit.op in ("==", ">", ">=") and (c > lo or (c == lo and lit.op == ">")):
        lo, lo_open = c, lit.op == ">"
    if lit.op in ("==", "<", "<=") and (c < hi or (c == hi and lit.op == "<")):
        hi, hi_open = c, lit.op == "<"
    empty = lo > hi or (lo == hi and (lo_open or hi_open or lo in ne_nums))
    if empty:
        return None, "contradiction-interval"
    return replace(k, lo=lo, lo_open=lo_open, hi=hi, hi_open=hi_open, ne_nums=ne_nums, sources=sources), None


class Facts:
    """Known facts, keyed by normalized expression text; see the module docstring."""

    def __init__(self, known: dict[str, _Knowledge] | None = None):
        self._known: dict[str, _Knowledge] = dict(known or {})

    def copy(self) -> Facts:
        return Facts(self._known)

    def __len__(self) -> int:
        return len(self._known)

    def add(self, lit: Literal, dry_run: bool = False) -> Conflict | None:
        before = self._known.get(lit.key, _Knowledge())
        after, code = _update(before, lit)
        if after is None:
            return Conflict(code or "contradiction", lit.source, before.sources[-2:] or ("earlier facts",))
        if not dry_run:
            self._known[lit.key] = after
        return None

    def truth(self, formula: Formula) -> bool | None:
        """True/False when the facts decide ``formula``, None when they do not."""
        match formula:
            case Not(operand):
                value = self.truth(operand)
                return None if value is None else not value
            case And(parts):
                values = [self.truth(p) for p in parts]
                return False if False in values else (True if all(v is True for v in values) else None)
            case Or(parts):
                values = [self.truth(p) for p in parts]
                return True if True in values else (False if all(v is False for v in values) else None)
        lit = literal_of(formula, True, "")
        if lit is None:
            return None
        if self.add(lit.negated(), dry_run=True) is not None:
            return True
        if self.add(lit, dry_run=True) is not None:
            return False
        return None

    def assume(self, formula: Formula, truth: bool, source: str) -> Conflict | None:
        """Learn that ``formula`` evaluated to ``truth``; a Conflict if that cannot be."""
        match formula:
            case Not(operand):
                return self.assume(operand, not truth, source)
            case And(parts) | Or(parts):
                all_follow = truth == isinstance(formula, And)  # true conjunction / false disjunction
                if all_follow:
                    for part in parts:
                        conflict = self.assume(part, truth, source)
                        if conflict is not None:
                            return conflict
                    return None
                values = [self.truth(p) for p in parts]
                if truth in values:  # a part already explains the outcome (a false conjunct, a true disjunct)
                    return None
                unknown = [p for p, v in zip(parts, values, strict=True) if v is None]
                if not unknown:
                    return Conflict("contradiction-compound", source, ("the facts that decide every part",))
                if len(unknown) == 1:
                    return self.assume(unknown[0], truth, source)
                return None
        lit = literal_of(formula, truth, source)
        return None if lit is None else self.add(lit)

    def forget(self, predicate) -> None:
        """Drop the facts whose key satisfies ``predicate(key)``."""
        for key in [k for k in self._known if predicate(k)]:
            del self._known[key]


@functools.lru_cache(maxsize=4096)
def _mention_pattern(variable: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w$.]){re.escape(variable)}(?![\w$])")


def mentions(key: str, variable: str) -> bool:
    """Whether a fact key refers to ``variable`` (``x`` is in ``x.size()`` and ``x>y`` but not in ``y.x``)."""
    return _mention_pattern(variable).search(key) is not None
