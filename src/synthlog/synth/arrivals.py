"""Session arrivals: when session ``i`` of a run starts, from a rate with optional bursts, computed from ``i`` alone.

Session ``i`` starts at ``Λ⁻¹(i + u_i)``: ``Λ(t)`` is the expected number of sessions started by time ``t`` (the
integral of the arrival rate) and ``u_i`` in ``[0, 1)`` comes from a hash of ``(seed, i)``. So starts never
decrease with ``i``, any interval holds the number of sessions its rate asks for, and session ``i`` starts at the
same time in a run of 10 sessions, a run of a million, or a shard of a run that begins at ``i``.

Bursts repeat every ``every_s`` seconds: one window of ``duration_s`` seconds per period, at a seeded position
inside the period, where the rate is ``factor`` times the base rate (a factor below 1 is a lull). Every period
expects the same number of sessions, so finding session ``i``'s period is one division.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from synthlog.synth.recipe import Recipe

_UNIT = float(1 << 64)


def unit(seed: int, stream: str, index: int) -> float:
    """A uniform number in ``[0, 1)`` fixed by ``(seed, stream, index)`` (no shared generator state)."""
    digest = hashlib.blake2b(f"{seed}:{stream}:{index}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / _UNIT


@dataclass(frozen=True)
class Bursts:
    """A window of ``duration_s`` seconds in every ``every_s`` seconds where the rate is ``factor`` times higher."""

    every_s: float
    duration_s: float
    factor: float


@dataclass(frozen=True)
class Arrivals:
    """Start times of sessions (seconds since the epoch) at ``rate_per_s``, with optional :class:`Bursts`."""

    start: float
    rate_per_s: float  # math.inf: every session starts at ``start``
    seed: int = 0
    bursts: Bursts | None = None

    def time(self, index: int) -> float:
        """When session ``index`` starts; never earlier than session ``index - 1``."""
        rate = self.rate_per_s
        if math.isinf(rate):
            return self.start
        x = index + unit(self.seed, "arrival", index)  # expected sessions before this one starts
        bursts = self.bursts
        if bursts is None:
            return self.start + x / rate
        period, length, factor = bursts.every_s, bursts.duration_s, bursts.factor
        per_period = rate * (period + (factor - 1.0) * length)
        k = math.floor(x / per_period)
        r = x - k * per_period
        offset = (period - length) * unit(self.seed, "burst", k)  # where period k's burst window begins
        before = rate * offset
        during = rate * factor * length
        at = self.start + k * period
        if r < before:
            return at + r / rate
        if r < before + during:
            return at + offset + (r - before) / (rate * factor)
        return at + offset + length + (r - before - during) / rate


def recipe_arrivals(recipe: Recipe, seed: int, start: float) -> Arrivals:
    """The recipe's ``arrivals``, else one session per mean ``session_gap_ms`` (a gap of 0: all at ``start``)."""
    spec = recipe.arrivals
    if spec is not None:
        bursts = spec.bursts
        return Arrivals(start, spec.rate_per_s, seed,
                        Bursts(bursts.every_s, bursts.duration_s, bursts.factor) if bursts else None)
    gap_s = (recipe.session_gap_ms.min + recipe.session_gap_ms.max) / 2000.0
    return Arrivals(start, 1.0 / gap_s if gap_s > 0 else math.inf, seed)
