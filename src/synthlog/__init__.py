"""synthlog: realistic, labeled synthetic logs for training and testing log anomaly detectors.

The user's API, SDV-style (each name is imported on first use, so ``import synthlog`` stays fast)::

    import synthlog
    real = synthlog.load_dataset("hdfs-100k-sessions")               # a shared data set, a folder or a file
    stats = synthlog.StatsSynthesizer().fit(real)                     # profile: a spec holding no raw value
    synthetic = stats.sample_dataset(n_lines=10_000, seed=1)          # a LabeledDataset
    report = synthlog.evaluate(real, synthetic)                       # .score, .details, .to_html(), .to_json()
    code = synthlog.CodeSynthesizer(synthlog.CodeGenConfig(recipe="recipes/hdfs-0.18.yaml")).fit("hadoop/src")
    result, files = synthlog.bench("configs/bench/smoke.yaml", out="bench-out")
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"  # the one place the version is written; pyproject.toml reads it from here

_API = {
    "CodeSynthesizer": "synthlog.synth.generate:CodeSynthesizer",
    "CodeGenConfig": "synthlog.synth.generate:CodeGenConfig",
    "StatsSynthesizer": "synthlog.stats.simulate:StatsSynthesizer",
    "load_dataset": "synthlog.io.datasets:load_dataset",
    "Report": "synthlog.evaluate.quality:Report",
    "bench": "synthlog.detect.bench:bench",
    "make_detector": "synthlog.detect.registry:make_detector",
    "LabeledDataset": "synthlog.records:LabeledDataset",
    "Session": "synthlog.records:Session",
    "LogEvent": "synthlog.records:LogEvent",
    "Template": "synthlog.records:Template",
}
__all__ = sorted([*_API, "evaluate", "__version__"])


def __getattr__(name: str) -> Any:
    if name == "evaluate":  # the package is callable: synthlog.evaluate(real, synthetic) -> Report
        return importlib.import_module("synthlog.evaluate")
    target = _API.get(name)
    if target is None:
        raise AttributeError(f"module 'synthlog' has no attribute {name!r}")
    module, attribute = target.split(":")
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
