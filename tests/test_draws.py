"""synth.draws returns what random.Random's own methods return from the same stream (the goldens rely on it)."""

from __future__ import annotations

import itertools
import random

from hypothesis import given
from hypothesis import strategies as st

from synthlog.synth.draws import below, between, weighted


@given(seed=st.integers(0, 2**32), n=st.integers(1, 10**12))
def test_below_is_randrange(seed, n):
    mine, theirs = random.Random(seed), random.Random(seed)
    assert [below(mine, n) for _ in range(5)] == [theirs.randrange(n) for _ in range(5)]
    assert mine.random() == theirs.random()  # the same number of bits consumed


@given(seed=st.integers(0, 2**32), low=st.integers(-1000, 1000), width=st.integers(0, 5000))
def test_between_is_randint(seed, low, width):
    mine, theirs = random.Random(seed), random.Random(seed)
    assert [between(mine, low, low + width) for _ in range(5)] == [theirs.randint(low, low + width) for _ in range(5)]


@given(seed=st.integers(0, 2**32), weights=st.lists(st.floats(0.0, 100.0), min_size=1, max_size=12)
       .filter(lambda w: sum(w) > 0))
def test_weighted_is_choices(seed, weights):
    population = list(range(len(weights)))
    cumulative = list(itertools.accumulate(weights))
    mine, theirs = random.Random(seed), random.Random(seed)
    assert [weighted(mine, population, cumulative) for _ in range(5)] == \
        [theirs.choices(population, weights=weights, k=1)[0] for _ in range(5)]
