"""The epsilon budget of ``profile --epsilon``: one epsilon split across families of released counts.

A family is a vector of counts (template counts, Markov transitions, gap bins ...) whose L1 change when one session
is added or removed is bounded by its ``sensitivity`` (the profiler bounds each session's contribution first: see
:func:`bound_sessions`). Each family is released once by the discrete Laplace mechanism of scale
``sensitivity / epsilon_family``, so it is ``epsilon_family``-DP for one session, and the families add up to the whole
epsilon (sequential composition). OpenDP's privacy map of that mechanism (``make_laplace`` on integer vectors under
the L1 distance) gives the epsilon each family spends, so the ledger is OpenDP's accounting, not ours.

The noise itself is drawn from a generator seeded by ``--seed`` (OpenDP's sampler cannot be seeded, and the project's
rule is same input + seed -> same output). The guarantee therefore needs the seed to be secret: whoever knows it can
draw the same noise and subtract it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from synthlog.errors import InputError
from synthlog.extras import require
from synthlog.records import Session


@dataclass(frozen=True)
class Spend:
    """One family's release: its share of epsilon (as OpenDP's privacy map states it), sensitivity and scale."""

    family: str
    epsilon: float
    sensitivity: int
    scale: float


def check_epsilon(epsilon: float) -> None:
    """Refuse an epsilon that is not a finite number above 0 (inf would mean no noise under a privacy name)."""
    if not 0 < epsilon < math.inf:
        raise InputError(f"epsilon must be a finite number above 0 (got {epsilon})", field="--epsilon")


@dataclass
class Budget:
    """``epsilon`` split across ``shares`` (family -> relative weight); :meth:`family` releases one family."""

    epsilon: float
    seed: int
    shares: dict[str, float]
    ledger: list[Spend] = field(default_factory=list)

    def __post_init__(self) -> None:
        check_epsilon(self.epsilon)
        self.rng = np.random.default_rng([self.seed, 0xD1FF])

    def share(self, family: str) -> float:
        return self.epsilon * self.shares[family] / sum(self.shares.values())

    def family(self, name: str, sensitivity: int) -> Callable[[float], float]:
        """The noisy-count function of family ``name`` whose counts one session changes by at most ``sensitivity``
        in L1 (a family is released once: asking twice would spend its share twice)."""
        if any(spend.family == name for spend in self.ledger):
            raise ValueError(f"the {name} family was released already")
        epsilon = self.share(name)
        scale = sensitivity / epsilon
        spent = privacy_map(scale, sensitivity)
        if spent > epsilon * (1 + 1e-9):
            raise ValueError(f"family {name} would spend {spent} of its {epsilon}")
        self.ledger.append(Spend(name, spent, sensitivity, scale))
        p = -math.expm1(-1.0 / scale)  # the discrete Laplace as the difference of two geometric draws

        def noisy(count: float) -> float:
            noise = int(self.rng.geometric(p)) - int(self.rng.geometric(p))
            return float(max(0, round(count) + noise))

        return noisy

    @property
    def spent(self) -> float:
        return sum(spend.epsilon for spend in self.ledger)

    def to_dict(self) -> dict:
        return {"epsilon": self.epsilon, "spent": round(self.spent, 9),
                "families": [{"family": s.family, "epsilon": round(s.epsilon, 9), "sensitivity": s.sensitivity,
                              "scale": round(s.scale, 6)} for s in self.ledger]}


def privacy_map(scale: float, sensitivity: int) -> float:
    """The epsilon OpenDP's discrete Laplace mechanism of ``scale`` spends on integer count vectors whose L1 distance
    is ``sensitivity``."""
    dp = require("opendp.prelude", "profile --epsilon")
    dp.enable_features("contrib")
    space = dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int)
    return float(dp.m.make_laplace(*space, scale=scale).map(sensitivity))


def bound_sessions(sessions: list[Session], max_lines: int) -> list[Session]:
    """Each session cut to its first ``max_lines`` events (contribution bounding: no session adds more lines to any
    count than this)."""
    return [s if len(s.events) <= max_lines else replace(s, events=s.events[:max_lines]) for s in sessions]
