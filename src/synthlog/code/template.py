"""Message pieces shared by the Java and Python front ends: literal text, variable parts, placeholder filling.

A logging call's message is reduced to a list of pieces: ``str`` for literal text kept exactly, :class:`Var` for a
part only known at run time. Placeholders inside literal text (``{}``, ``%s``, ``{0}``) are turned into variables
by :func:`substitute`; :func:`render` gives the template (``<*>`` per variable) and the slot expressions.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

WILDCARD = "<*>"
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class Var:
    """A variable part of a message; ``expr`` is its source expression."""

    expr: str


Piece = str | Var

# printf-style specifiers as used by String.format and Python's % operator (incl. Python's %(name)s)
PRINTF = re.compile(r"%(?:\((?P<key>[^)]*)\))?[-#0 +,(<]*(?:\d+\$)?\*?\d*(?:\.\d+)?(?P<conv>[a-zA-Z%])")
SLF4J = re.compile(r"\{\}")
MESSAGE_FORMAT = re.compile(r"\{(?P<index>\d+)(?:,[^}]*)?\}")
STR_FORMAT = re.compile(r"\{\{|\}\}|\{(?P<field>[^{}!:]*)(?:![rsa])?(?::[^{}]*)?\}")


def substitute(pieces: list[Piece], pattern: re.Pattern[str],
               choose: Callable[[re.Match[str], int], Piece]) -> tuple[list[Piece], int]:
    """Replace every match of ``pattern`` in the literal pieces by ``choose(match, n)``.

    ``n`` counts the matches for which ``choose`` returned a :class:`Var` so far (the next sequential argument).
    Returns the new pieces and how many variables were produced.
    """
    out: list[Piece] = []
    produced = 0
    for piece in pieces:
        if isinstance(piece, Var):
            out.append(piece)
            continue
        pos = 0
        for match in pattern.finditer(piece):
            out.append(piece[pos:match.start()])
            replacement = choose(match, produced)
            if isinstance(replacement, Var):
                produced += 1
            out.append(replacement)
            pos = match.end()
        out.append(piece[pos:])
    return [p for p in out if p != ""], produced


def has_literal(pieces: list[Piece], pattern: re.Pattern[str]) -> bool:
    return any(isinstance(p, str) and pattern.search(p) for p in pieces)


def render(pieces: list[Piece]) -> tuple[str, list[str]]:
    """The template (literal text kept, ``<*>`` per variable) and the expressions that fill the slots, in order.

    The template is always encodable as UTF-8."""
    text: list[str] = []
    args: list[str] = []
    for piece in pieces:
        if isinstance(piece, Var):
            text.append(WILDCARD)
            args.append(piece.expr)
        else:
            text.append(piece)
    template = "".join(text)
    if _SURROGATE.search(template):
        # escapes can spell UTF-16 surrogates: join pairs (as Java's UTF-16 strings do); a lone one, which has no
        # UTF-8 form and would stop every writer, becomes U+FFFD
        template = template.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return template, args


def printf_choice(values: list[str], java: bool,
                  named: dict[str, str] | None = None) -> Callable[[re.Match[str], int], Piece]:
    """A :func:`substitute` chooser for printf specifiers filled from ``values`` in order (``named`` for
    Python's ``%(name)s``)."""
    def choose(match: re.Match[str], n: int) -> Piece:
        conv = match.group("conv")
        if conv == "%":
            return "%"
        if conv == "n" and java:
            return "\n"
        key = match.group("key")
        if key is not None:
            return Var((named or {}).get(key, key))
        return Var(values[n] if n < len(values) else match.group(0))
    return choose
