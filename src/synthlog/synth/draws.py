"""Seeded draws that return exactly what :class:`random.Random`'s methods return, from the same stream, in fewer
Python calls (``randint`` is three Python frames deep; these are one): the hot loops of session making use them.
"""

from __future__ import annotations

import bisect
import random


def below(rng: random.Random, n: int) -> int:
    """``rng.randrange(n)`` (``n`` > 0): what ``Random._randbelow_with_getrandbits`` draws."""
    if n <= 0:
        raise ValueError(f"empty range for a draw below {n}")
    getrandbits = rng.getrandbits
    k = n.bit_length()
    r = getrandbits(k)
    while r >= n:
        r = getrandbits(k)
    return r


def between(rng: random.Random, low: int, high: int) -> int:
    """``rng.randint(low, high)``."""
    return low + below(rng, high - low + 1)


def weighted(rng: random.Random, population: list, cumulative: list[float]):
    """``rng.choices(population, cum_weights=cumulative, k=1)[0]`` without its per-call set-up (``cumulative``:
    the running sums of the weights, worked out once)."""
    return population[bisect.bisect(cumulative, rng.random() * (cumulative[-1] + 0.0), 0, len(population) - 1)]
