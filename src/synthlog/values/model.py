"""What a value model is (pydantic, so it sits in a spec's YAML): a weighted mixture of patterns, each a sequence of
pieces (literal text, a run of characters of one class, a number), plus how values repeat (entities).

A literal piece is text the privacy rules released (see :mod:`synthlog.values.fit`); every other piece is drawn
fresh. Example, a node name ``R02-M1-N0-C:J12-U11``::

    patterns:
      - weight: 1
        pieces: [{text: R}, {chars: digit, lengths: [2]}, {text: "-M"}, {chars: digit, lengths: [1]}, ...]
    scope: line       # line: a value per line; session: one value per session
    pool: 48          # distinct values across the run (an entity such as a node); null: every draw is new
"""

from __future__ import annotations

import hashlib
from functools import cached_property
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

ALPHABETS: dict[str, str] = {
    "digit": "0123456789",
    "hex": "0123456789abcdef",
    "HEX": "0123456789ABCDEF",
    "lower": "abcdefghijklmnopqrstuvwxyz",
    "upper": "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "alpha": "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "lower_alnum": "0123456789abcdefghijklmnopqrstuvwxyz",
    "upper_alnum": "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "alnum": "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
}
Weight = Annotated[float, Field(ge=0.0)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NumberPiece(_Model):
    """A number drawn between ``quantiles`` (values at equally spaced probabilities, interpolated on a log scale when
    ``log``), written with ``decimals`` digits after the point and zero-padded to ``width`` digits."""

    quantiles: Annotated[list[float], Field(min_length=2)]
    decimals: Annotated[int, Field(ge=0, le=9)] = 0
    width: Annotated[int, Field(ge=0, le=32)] = 0
    log: bool = False

    @model_validator(mode="after")
    def _sorted(self) -> NumberPiece:
        if any(b < a for a, b in zip(self.quantiles, self.quantiles[1:], strict=False)):
            raise ValueError("quantiles must not decrease")
        if self.log and self.quantiles[0] <= 0:
            raise ValueError("a log-scale number needs quantiles above 0")
        return self


class Piece(_Model):
    """One piece of a pattern: exactly one of ``text`` (literal), ``chars`` (a run of ``lengths`` characters from an
    alphabet of :data:`ALPHABETS`; ``digits_only`` / ``letters_only`` are the shares of runs made of digits or of
    letters alone, the rest mixing both) or ``number``."""

    text: str | None = None
    chars: Literal[tuple(ALPHABETS)] | None = None  # type: ignore[valid-type]
    lengths: list[Annotated[int, Field(ge=1, le=4096)]] | None = None
    weights: list[Weight] | None = None
    digits_only: Annotated[float, Field(ge=0.0, le=1.0)] = 0.0
    letters_only: Annotated[float, Field(ge=0.0, le=1.0)] = 0.0
    number: NumberPiece | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Piece:
        if sum(x is not None for x in (self.text, self.chars, self.number)) != 1:
            raise ValueError("a piece is exactly one of text, chars or number")
        if self.chars is not None:
            if not self.lengths:
                raise ValueError("a chars piece needs lengths")
            if self.weights is not None and (len(self.weights) != len(self.lengths) or sum(self.weights) <= 0):
                raise ValueError("weights must match lengths one to one and not all be zero")
        if self.digits_only + self.letters_only > 1 + 1e-9:
            raise ValueError("digits_only + letters_only is above 1")
        return self


class Pattern(_Model):
    pieces: list[Piece]
    weight: Weight = 1.0


class ValueModel(_Model):
    """A slot's values: a mixture of patterns; ``scope`` and ``pool`` say how values repeat (see the module doc)."""

    patterns: Annotated[list[Pattern], Field(min_length=1)]
    scope: Literal["line", "session"] = "line"
    pool: Annotated[int, Field(ge=1, le=1_000_000)] | None = None

    @model_validator(mode="after")
    def _weighted(self) -> ValueModel:
        if sum(p.weight for p in self.patterns) <= 0:
            raise ValueError("the pattern weights are all zero")
        return self

    @cached_property
    def fingerprint(self) -> int:
        """A stable 63-bit hash of the model: two slots with the same model draw the same entity values."""
        digest = hashlib.blake2b(self.model_dump_json().encode(), digest_size=8).digest()
        return int.from_bytes(digest, "little") >> 1

    def sample(self, rng: np.random.Generator, entity: str | int | None = None) -> str:
        """One value; the same ``entity`` (a node, an instance, a session id) always gets the same value."""
        from synthlog.values.sample import sample_column

        keys = None if entity is None else np.array([entity_key(entity)], dtype=np.uint64)
        return sample_column(self, rng, 1, owners=keys, by_owner=keys is not None).item()


def entity_key(entity: str | int) -> int:
    """A stable 64-bit key of an entity name or number."""
    if isinstance(entity, int):
        return entity & ((1 << 64) - 1)
    return int.from_bytes(hashlib.blake2b(str(entity).encode(), digest_size=8).digest(), "little")
