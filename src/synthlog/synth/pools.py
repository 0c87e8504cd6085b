"""Path pools: the checked, labeled variants of each entry point's paths that session assemblers draw from.

A :class:`Variant` is what one run of an entry point logs: its statements (after the level and entity filters),
each line's label and rule, the path's exit and a sampling weight. Paths that the checker rejects never enter a
pool; paths that log nothing after filtering are kept apart, used only when an entry has nothing else.

Weights favour the common case: a variant's weight is its checker plausibility times ``decay`` to the power of
the lines it logs beyond the shortest variant of its pool, so the main path of a method dominates and long,
rare paths still occur. ``decay = 1`` samples distinct variants uniformly.
"""

from __future__ import annotations

import bisect
import itertools
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from synthlog.code.records import ExecutionPath, Statement
from synthlog.records import ANOMALY, NORMAL
from synthlog.synth.checking import Verdict
from synthlog.synth.labels import LabelRules

LEVELS = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"]


_ALIASES = {"WARNING": "WARN", "CRITICAL": "FATAL", "SEVERE": "FATAL"}  # Python and java.util.logging words


def level_word(level: str) -> str:
    """The log4j word for a level as code writes it: ``warning`` -> ``WARN``, ``SEVERE`` -> ``FATAL``."""
    upper = level.upper()
    return _ALIASES.get(upper, upper)


def level_rank(level: str) -> int:
    """The position of a level in :data:`LEVELS`; an unknown level ranks as INFO."""
    word = level_word(level)
    return LEVELS.index(word) if word in LEVELS else LEVELS.index("INFO")


@dataclass(slots=True)
class Variant:
    """The lines one run of an entry point logs, labeled."""

    path_id: str
    exit: str
    statements: list[Statement]
    labels: list[tuple[int, str | None]]
    weight: float = 1.0
    proposed: list[list[str] | None] | None = None  # slot values a checker proposed, per line

    @property
    def label(self) -> int:
        return ANOMALY if any(label == ANOMALY for label, _ in self.labels) else NORMAL

    @property
    def key(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.statements)


@dataclass
class Pool:
    """Normal and anomalous variants of one entry point, with cumulative weights for fast seeded sampling."""

    entry: str
    normal: list[Variant] = field(default_factory=list)
    anomalous: list[Variant] = field(default_factory=list)
    rejected: int = 0
    silent: int = 0  # feasible paths that log nothing after filtering
    _cumulative: dict = field(default_factory=dict, repr=False)  # main patterns -> their Drawing

    def pick(self, rng: random.Random, fault_rate: float, main: Sequence[re.Pattern[str]] | None = None,
             rare_rate: float = 0.0) -> Variant | None:
        """A normal variant, or with probability ``fault_rate`` an anomalous one (when either pool is empty,
        the other). With ``main`` patterns, a normal run takes a main variant (see :func:`is_main`) except with
        probability ``rare_rate``; when no variant is main, any normal variant serves."""
        return self.drawing(main).pick(rng.random, fault_rate, rare_rate)

    def drawing(self, main: Sequence[re.Pattern[str]] | None = None) -> Drawing:
        """What :meth:`pick` draws from with ``main`` (worked out once; keep it to skip the look-up)."""
        key = tuple(main or ())  # patterns hash by their text
        found = self._cumulative.get(key)
        if found is None:
            usual = [v for v in self.normal if is_main(v, main)] if main else []
            found = self._cumulative[key] = Drawing(*_cumulated(self.normal), *_cumulated(usual),
                                                    *_cumulated(self.anomalous))
        return found


@dataclass(frozen=True, slots=True)
class Drawing:
    """A pool's groups of variants with the running sums of their weights: what :meth:`Pool.pick` draws from."""

    normal: list[Variant]
    normal_sums: list[float]
    usual: list[Variant]  # the main variants among the normal ones
    usual_sums: list[float]
    anomalous: list[Variant]
    anomalous_sums: list[float]

    def pick(self, random_, fault_rate: float, rare_rate: float) -> Variant | None:
        """:meth:`Pool.pick` with ``random_`` (a generator's ``random`` method): the same draws, in one call."""
        if (random_() < fault_rate and self.anomalous) or not self.normal:
            group, sums = self.anomalous, self.anomalous_sums
            if not group:
                return None
        else:
            usual = self.usual
            if usual and random_() >= rare_rate:  # see weighted: the same draw, written out
                return usual[bisect.bisect(self.usual_sums, random_() * (self.usual_sums[-1] + 0.0), 0,
                                           len(usual) - 1)]
            group, sums = self.normal, self.normal_sums
        return group[bisect.bisect(sums, random_() * (sums[-1] + 0.0), 0, len(group) - 1)]


def _cumulated(group: list[Variant]) -> tuple[list[Variant], list[float]]:
    """A group of variants and the running sums of their weights (what :func:`~synthlog.synth.draws.weighted`
    draws from)."""
    return group, list(itertools.accumulate(v.weight for v in group))


def is_main(variant: Variant, main: list[re.Pattern[str]]) -> bool:
    """Whether a variant logs exactly the usual lines: one line per pattern, each pattern matching one of its
    templates and each template matching a pattern."""
    templates = [s.template for s in variant.statements]
    return (len(templates) == len(main) and all(any(p.search(t) for t in templates) for p in main)
            and all(any(p.search(t) for p in main) for t in templates))


def build_pool(entry: str, paths: list[ExecutionPath], verdicts: list[Verdict], statements: dict[str, Statement],
               rules: LabelRules, keep=lambda statement: True, decay: float = 0.5) -> Pool:
    """Check, filter, label and weight one entry's paths; duplicates after filtering merge (max weight)."""
    pool = Pool(entry)
    seen: dict[tuple[tuple[str, ...], str], Variant] = {}
    for path, verdict in zip(paths, verdicts, strict=True):
        if not verdict.feasible:
            pool.rejected += 1
            continue
        labels = rules.label_path(path, statements)
        proposals = verdict.values or {}
        kept = [(statements[sid], lab, proposals.get(i)) for i, (sid, lab) in enumerate(zip(path.statements, labels,
                                                                                          strict=True))
                if sid in statements and keep(statements[sid])]
        if not kept:
            pool.silent += 1
            continue
        proposed = [p for _, _, p in kept] if proposals else None
        variant = Variant(path.id, path.exit, [s for s, _, _ in kept], [lab for _, lab, _ in kept], verdict.score,
                          proposed)
        previous = seen.get((variant.key, variant.exit))
        if previous is None or variant.weight > previous.weight:
            seen[(variant.key, variant.exit)] = variant
    for variant in seen.values():
        (pool.anomalous if variant.label == ANOMALY else pool.normal).append(variant)
    for group in (pool.normal, pool.anomalous):
        group.sort(key=lambda v: (len(v.statements), v.key, v.exit))
        if group:
            shortest = len(group[0].statements)
            for variant in group:
                variant.weight = max(variant.weight, 1e-6) * decay ** (len(variant.statements) - shortest)
    return pool
