"""``synthlog.evaluate(real, synthetic)``: fidelity, privacy and side-by-side distributions of a synthetic data set,
as a :class:`Report` (SDMetrics-style: an overall ``score`` and its ``details``), viewable as HTML or JSON.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synthlog.io.atomic import atomic_open
from synthlog.records import LabeledDataset
from synthlog.stats.spec import Spec


@dataclass
class Report:
    """What :func:`evaluate` measured: ``score`` (the mean of the fidelity metrics, in [0, 1]) and ``details``
    (every metric, privacy, and the distributions ``synthlog report`` draws)."""

    score: float | None
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self, path: str | os.PathLike[str] | None = None) -> str:
        """The report as JSON text (the shape of ``validation.json``), also written to ``path`` when given."""
        text = json.dumps(self.details, indent=2) + "\n"
        if path is not None:
            with atomic_open(path, "w") as fh:
                fh.write(text)
        return text

    def to_html(self, path: str | os.PathLike[str] | None = None) -> str:
        """One self-contained HTML page (see docs/report.md), also written to ``path`` when given."""
        from synthlog.evaluate.html import render_html

        page = render_html("validation", self.details)
        if path is not None:
            with atomic_open(path, "w") as fh:
                fh.write(page)
        return page


def _dataset(data: LabeledDataset | str | os.PathLike[str]) -> LabeledDataset:
    if isinstance(data, LabeledDataset):
        return data
    from synthlog.io.datasets import load_dataset

    return load_dataset(data)


def evaluate(real: LabeledDataset | Spec | str | os.PathLike[str], synthetic: LabeledDataset | str | os.PathLike[str],
             seed: int = 0) -> Report:
    """Measure ``synthetic`` against ``real`` (data sets, data set names or folders; ``real`` may also be a spec).

    >>> import synthlog
    >>> real = synthlog.load_dataset("examples/logs/blockstore.log")
    >>> from synthlog.stats.profile import ProfileOptions
    >>> options = ProfileOptions(min_sessions=2)  # the example has 36 sessions: release what 2 of them show
    >>> synthetic = synthlog.StatsSynthesizer().fit(real, options=options).sample_dataset(n_lines=2000, seed=1)
    >>> report = synthlog.evaluate(real, synthetic)
    >>> 0.8 < report.score <= 1.0
    True
    >>> report.details["privacy"]["leakage"]["kinds"]["block_id"]["leaked"]
    0
    """
    from synthlog.evaluate.fidelity import reference_from_dataset
    from synthlog.evaluate.report import measure

    if isinstance(real, Spec) or (isinstance(real, str | os.PathLike) and Path(real).suffix in (".yaml", ".yml")):
        from synthlog.stats.specfile import load_spec

        reference: Any = real if isinstance(real, Spec) else load_spec(real)
    else:
        reference = reference_from_dataset(_dataset(real))
    details = measure(reference, _dataset(synthetic), seed=seed)
    return Report(score=details.get("score"), details=details)
