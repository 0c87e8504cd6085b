"""``synthlog validate``: load a reference (spec or real data) and a generated data set, measure fidelity and, for a
real reference, privacy; write the result as JSON. A generated folder is read by
:func:`synthlog.io.datasets.load_directory` (either generator's folder, and the simulator's older ``events.jsonl``
folders).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from synthlog.errors import InputError
from synthlog.evaluate.distributions import compare_distributions
from synthlog.evaluate.fidelity import METRICS, ReferenceStats, evaluate_fidelity, reference_from_dataset
from synthlog.evaluate.privacy import directory_files, distance_to_closest_record, leakage_check
from synthlog.evaluate.values import value_shape_agreement
from synthlog.io.atomic import atomic_open
from synthlog.io.datasets import load_directory
from synthlog.io.inputs import is_file_like, members
from synthlog.privacy.values import MIN_SESSIONS, RARE, dataset_values, files_values, leak_tokens
from synthlog.records import LabeledDataset
from synthlog.stats.spec import Spec

REPORT_NAME = "validation.json"


def validate(reference: ReferenceStats | LabeledDataset | Spec, directory: str | Path, seed: int = 0,
             reference_files: list[Path] | None = None, report: Path | None = None,
             min_sessions: int = MIN_SESSIONS) -> dict[str, Any]:
    """Fidelity of the generated data set in ``directory`` to ``reference``; for a real data set also privacy:
    leakage of its parameter values into any file of ``directory``, and DCR against a real holdout.

    Validation reports (``validation.json`` and ``report``) are not scanned: they quote leaked real values as
    examples, so they are not part of the data set to publish."""
    return measure(reference, load_directory(directory), seed=seed, reference_files=reference_files,
                   published=_published_files(Path(directory), report), directory=Path(directory),
                   min_sessions=min_sessions)


def measure(reference: ReferenceStats | LabeledDataset | Spec, synthetic: LabeledDataset, seed: int = 0,
            reference_files: list[Path] | None = None, published: list[Path] | None = None,
            directory: Path | None = None, min_sessions: int = MIN_SESSIONS) -> dict[str, Any]:
    """Every figure of a validation for a synthetic data set in memory: fidelity to ``reference``; the layout
    metrics of the raw log in ``directory`` (None without one); for real data also the side-by-side distributions
    and privacy (real values in the ``published`` files, else in the synthetic events themselves, and the distance
    to the closest real record). ``min_sessions`` (k) also decides which real error types ``D_errdist`` leaves out
    (see :func:`synthlog.evaluate.fidelity.evaluate_fidelity`)."""
    result = evaluate_fidelity(reference, synthetic, min_sessions=min_sessions).to_dict()
    result.update(_layout_metrics(reference, directory, synthetic) if directory is not None
                  else {"format_roundtrip": None, "time_order": None})
    real = reference if isinstance(reference, LabeledDataset) else getattr(reference, "dataset", None)
    if real is not None:
        result.update(_value_shapes(real, synthetic))
        result["privacy"] = {"leakage": _leakage(real, synthetic, reference_files, published, min_sessions),
                             "dcr": distance_to_closest_record(real, synthetic, seed=seed)}
        result["distributions"] = compare_distributions(real, synthetic)  # what `synthlog report` draws
    return result


def _value_shapes(real: LabeledDataset, synthetic: LabeledDataset) -> dict[str, Any]:
    shapes = value_shape_agreement(real, synthetic)
    return {"value_shape_agreement": shapes.pop("value_shape_agreement"), "value_shapes": shapes}


def _leakage(real: LabeledDataset, synthetic: LabeledDataset, reference_files: list[Path] | None,
             published: list[Path] | None, min_sessions: int) -> dict[str, Any]:
    """Real values (parameters, secrets, tokens seen in fewer than ``min_sessions`` sessions) found in the
    ``published`` files, else in the synthetic events themselves."""
    real_values = dataset_values(real, min_sessions=min_sessions)
    if reference_files:
        real_values = _union(real_values, files_values(reference_files))
    if published is not None:
        found = files_values(published, rare=real_values[RARE], secrets="bulk")
    else:
        found = dataset_values(synthetic, min_sessions=None)
        found[RARE] = set().union(*(leak_tokens(e.content) for s in synthetic.sessions for e in s.events)) & \
            real_values[RARE]
    return leakage_check(real_values, found).to_dict()


def _layout_metrics(reference: ReferenceStats | LabeledDataset | Spec, directory: Path,
                    synthetic: LabeledDataset) -> dict[str, Any]:
    """``format_roundtrip`` and ``time_order`` of the generated raw log under the reference's layout (``None``
    when the reference has no layout or no raw log was written)."""
    from synthlog.evaluate.layoutcheck import check_raw_log, raw_log, reference_layout

    layout = reference.layout if isinstance(reference, ReferenceStats) else reference_layout(reference)
    name = reference.name if isinstance(reference, Spec) else None
    path = raw_log(directory, name)
    if layout is None or path is None:
        return {"format_roundtrip": None, "time_order": None}
    return check_raw_log(layout, path, synthetic)


def _published_files(directory: Path, report: Path | None) -> list[Path]:
    skip = {(directory / REPORT_NAME).resolve()} | ({report.resolve()} if report is not None else set())
    return [p for p in directory_files(directory) if p.resolve() not in skip]


def _union(a: dict[str, set[str]], b: dict[str, set[str]]) -> dict[str, set[str]]:
    return {k: a[k] | b.get(k, set()) for k in a}


def write_report(result: dict[str, Any], path: str | Path) -> Path:
    """The validation result as pretty JSON, written atomically."""
    with atomic_open(path, "w") as fh:
        json.dump(result, fh, indent=2, sort_keys=False)
        fh.write("\n")
    return Path(path)


def headline(result: dict[str, Any]) -> str:
    """One line with the main figures."""
    def fmt(value: Any) -> str:
        return f"{value:.3f}" if _finite(value) else "n/a"

    parts = [f"{m}={fmt(result.get(m))}" for m in ("D_errdist", "C_temporal", "R_anomaly", "template_similarity",
                                                   "transition_similarity", "level_similarity", "format_roundtrip",
                                                   "time_order", "value_shape_agreement")]
    line = f"score={fmt(result.get('score'))} " + " ".join(parts)
    privacy = result.get("privacy")
    if privacy:
        kinds = privacy["leakage"]["kinds"]
        line += " leaked=" + ",".join(f"{k}:{v['leaked']}" for k, v in kinds.items() if v["leaked"] or k != RARE)
    return line


def run_validation(reference: str | Path, directory: str | Path, out: str | Path | None = None,
                   log_format: str | None = None, labels: str | Path | None = None,
                   session_pattern: str | None = None, seed: int = 0, sessions: str | None = None,
                   line_labels: str | None = None, min_sessions: int = MIN_SESSIONS) -> tuple[dict[str, Any], Path]:
    """``synthlog validate``: REFERENCE is a spec (``.yaml``/``.yml``) or real logs (anything
    :func:`synthlog.stats.profile.load_logs` reads); the JSON goes to ``out`` or ``DIR/validation.json``."""
    from synthlog.stats.profile import load_logs
    from synthlog.stats.specfile import load_spec

    ref_path = Path(reference)
    files: list[Path] | None = None
    if ref_path.suffix in (".yaml", ".yml"):
        ref: Spec | ReferenceStats = load_spec(ref_path)
    else:
        ref = reference_from_dataset(load_logs(reference, log_format=log_format, labels=labels,
                                               session_pattern=session_pattern, sessions=sessions,
                                               line_labels=line_labels))
        files = members(ref_path) if is_file_like(ref_path) else None  # a folder of parts: every part
    target = Path(out) if out is not None else Path(directory) / REPORT_NAME
    result = validate(ref, directory, seed=seed, reference_files=files, report=target, min_sessions=min_sessions)
    require_score(result, directory)
    return result, write_report(result, target)


def require_score(result: dict[str, Any], directory: str | Path) -> None:
    """Refuse a validation whose score is missing or not finite: nothing was comparable, and no figure is not a
    figure (it printed ``score=nan`` with exit 0 once)."""
    score = result.get("score")
    if score is None or not math.isfinite(score):
        undefined = [m for m in METRICS if not _finite(result.get(m))]
        raise InputError(f"no fidelity score can be computed ({', '.join(undefined)} undefined: too few events, "
                         "sessions or templates to compare)", path=directory)


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)
