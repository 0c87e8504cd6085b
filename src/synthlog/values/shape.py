"""The shape of a value: its tokens (decimal numbers, letter/digit runs, single punctuation characters), the skeleton
that groups values of one form, and the coarse shape class ``validate`` compares (``9`` digits, ``f`` decimal
number, ``a`` letters, ``x`` letters and digits mixed, punctuation as itself)."""

from __future__ import annotations

import re
from functools import lru_cache

_TOKEN = re.compile(r"(?<![\d.])\d+\.\d+(?![.\d])|\b0[xX](?=[0-9A-Fa-f])|[^\W_]+|\s+|.", re.DOTALL)
FLOAT, WORD, OTHER = "F", "W", "P"


@lru_cache(maxsize=1 << 16)
def tokens(value: str) -> tuple[tuple[str, str], ...]:
    """``value`` as (kind, text) tokens: ``F`` a decimal number, ``W`` a run of letters and digits, ``P`` one other
    character (or a run of white space)."""
    out = []
    for match in _TOKEN.finditer(value):
        text = match.group(0)
        if text[0].isdigit() and "." in text:
            out.append((FLOAT, text))
        elif text[0].isalnum():
            out.append((WORD, text))
        else:
            out.append((OTHER, " " if text.isspace() else text))
    return tuple(out)


def skeleton(value: str) -> tuple[str, ...]:
    """What values of one form share: the kinds of the tokens, punctuation written out."""
    return tuple(text if kind == OTHER else kind for kind, text in tokens(value))


def _run_class(text: str) -> str:
    if text.isdigit():
        return "9"
    if not any(c.isdigit() for c in text):
        return "a"
    return "x"


@lru_cache(maxsize=1 << 16)
def shape_class(value: str) -> str:
    """The coarse shape of a value: ``R02-M1-N0-C:J12-U11`` -> ``x-x-x-x:x-x``, ``10.0.0.1`` -> ``9.9.9.9``,
    ``0.25`` -> ``f``, ``/data/blk_12`` -> ``/a/a_9``."""
    return "".join("f" if kind == FLOAT else _run_class(text) if kind == WORD else text
                   for kind, text in tokens(value.strip()))
