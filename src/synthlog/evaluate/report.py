"""``synthlog validate``: load a reference (spec or real data) and a generated data set, measure fidelity and, for a
real reference, privacy; write the result as JSON.

A generated data set directory is read from the simulator's ``events.jsonl`` (session id from its context, anomaly
type, error type) zipped line by line with its structured CSV (template ids) and templates CSV.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from synthlog.errors import InputError
from synthlog.evaluate.fidelity import ReferenceStats, evaluate_fidelity, reference_from_dataset
from synthlog.evaluate.privacy import (
    MIN_SESSIONS,
    RARE,
    dataset_values,
    directory_files,
    distance_to_closest_record,
    files_values,
    leakage_check,
)
from synthlog.evaluate.values import value_shape_agreement
from synthlog.io.atomic import atomic_open
from synthlog.io.text import iter_lines
from synthlog.records import ANOMALY, NORMAL, LabeledDataset, LogEvent, Session
from synthlog.stats.spec import Spec


def load_generated(directory: str | Path) -> LabeledDataset:
    """A data set written by ``synthlog generate stats``: one session per request or entity, in first-seen order,
    anomalous when one of its lines carries an anomaly episode (as the simulator's anomaly_label.csv says)."""
    from synthlog.io.loghub import read_structured, read_templates

    folder = Path(directory)
    jsonl = folder / "events.jsonl"
    structured = sorted(folder.glob("*.log_structured.csv"))
    template_files = sorted(folder.glob("*.log_templates.csv"))
    if not jsonl.is_file() or len(structured) != 1 or len(template_files) != 1:
        raise InputError("not a generated data set (needs events.jsonl, one *.log_structured.csv and one "
                         "*.log_templates.csv)", path=folder)
    templates = read_templates(template_files[0])
    sessions: dict[str, Session] = {}
    rows = read_structured(structured[0])
    for number, line in iter_lines(jsonl):
        try:
            data = json.loads(line)
            row = next(rows)
        except (json.JSONDecodeError, StopIteration):
            raise InputError("line does not match the structured CSV or is not JSON", path=jsonl,
                             line=number) from None
        if not isinstance(data, dict):
            raise InputError("an event line is a JSON object", path=jsonl, line=number)
        context = data.get("context") or {}
        owner = next(iter(context.values()), f"line-{number}")
        anomaly = data.get("anomaly") or {}
        attributes: dict[str, Any] = {"error_type": data.get("error_type")}
        if anomaly:
            attributes["anomaly"] = anomaly.get("type")
        event = LogEvent(content=data.get("message", ""), timestamp=row.timestamp, level=data.get("level"),
                         component=data.get("service"), template_id=row.template_id, line_id=row.line_id,
                         attributes=attributes)
        session = sessions.get(owner)
        if session is None:
            session = sessions[owner] = Session(id=owner)
        session.events.append(event)
    if next(rows, None) is not None:
        raise InputError(f"has more lines than {jsonl.name}", path=structured[0])
    for session in sessions.values():  # the simulator labels a session anomalous when a line carries an episode
        session.label = ANOMALY if any(e.attributes.get("anomaly") for e in session.events) else NORMAL
    return LabeledDataset(name=folder.name, sessions=list(sessions.values()), templates=templates,
                          metadata={"source": str(folder)})


REPORT_NAME = "validation.json"


def validate(reference: ReferenceStats | LabeledDataset | Spec, directory: str | Path, seed: int = 0,
             reference_files: list[Path] | None = None, report: Path | None = None,
             min_sessions: int = MIN_SESSIONS) -> dict[str, Any]:
    """Fidelity of the generated data set in ``directory`` to ``reference``; for a real data set also privacy:
    leakage of its parameter values into any file of ``directory``, and DCR against a real holdout.

    Validation reports (``validation.json`` and ``report``) are not scanned: they quote leaked real values as
    examples, so they are not part of the data set to publish."""
    synthetic = load_generated(directory)
    result = evaluate_fidelity(reference, synthetic).to_dict()
    real = reference if isinstance(reference, LabeledDataset) else getattr(reference, "dataset", None)
    if real is not None:
        result.update(_value_shapes(real, synthetic))
        result["privacy"] = {"leakage": _leakage(real, Path(directory), reference_files, report, min_sessions),
                             "dcr": distance_to_closest_record(real, synthetic, seed=seed)}
    return result


def _value_shapes(real: LabeledDataset, synthetic: LabeledDataset) -> dict[str, Any]:
    shapes = value_shape_agreement(real, synthetic)
    return {"value_shape_agreement": shapes.pop("value_shape_agreement"), "value_shapes": shapes}


def _leakage(real: LabeledDataset, directory: Path, reference_files: list[Path] | None, report: Path | None,
             min_sessions: int) -> dict[str, Any]:
    """Real values (parameters, secrets, tokens seen in fewer than ``min_sessions`` sessions) found in the output."""
    real_values = dataset_values(real, min_sessions=min_sessions)
    if reference_files:
        real_values = _union(real_values, files_values(reference_files))
    published = files_values(_published_files(directory, report), rare=real_values[RARE])
    return leakage_check(real_values, published).to_dict()


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
        return "n/a" if value is None else f"{value:.3f}"

    parts = [f"{m}={fmt(result.get(m))}" for m in ("D_errdist", "C_temporal", "R_anomaly", "template_similarity",
                                                   "transition_similarity")]
    if "value_shape_agreement" in result:
        parts.append(f"value_shape_agreement={fmt(result['value_shape_agreement'])}")
    line = f"score={fmt(result.get('score'))} " + " ".join(parts)
    privacy = result.get("privacy")
    if privacy:
        kinds = privacy["leakage"]["kinds"]
        line += " leaked=" + ",".join(f"{k}:{v['leaked']}" for k, v in kinds.items() if v["leaked"] or k != RARE)
    return line


def run_validation(reference: str | Path, directory: str | Path, out: str | Path | None = None,
                   log_format: str | None = None, labels: str | Path | None = None,
                   session_pattern: str | None = None, seed: int = 0,
                   min_sessions: int = MIN_SESSIONS) -> tuple[dict[str, Any], Path]:
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
                                               session_pattern=session_pattern))
        files = [ref_path] if ref_path.is_file() else None
    target = Path(out) if out is not None else Path(directory) / REPORT_NAME
    result = validate(ref, directory, seed=seed, reference_files=files, report=target, min_sessions=min_sessions)
    return result, write_report(result, target)
