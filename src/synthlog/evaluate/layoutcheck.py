"""Layout metrics of a generated raw log against the reference's layout: ``format_roundtrip`` (share of lines the
reference's format string parses), ``time_order`` (share of consecutive lines whose times do not go backwards),
and whether the parsed content gives back the generated message (same template). Definitions: docs/stats.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synthlog.io.clock import Clock
from synthlog.io.logformat import LogFormat, get_format
from synthlog.io.text import iter_lines
from synthlog.records import LabeledDataset
from synthlog.stats.layoutprofile import layout_clock
from synthlog.stats.spec import Spec


@dataclass(frozen=True)
class LayoutReference:
    """The reference's layout as the metrics need it: the format and the clock of its time headers."""

    format: LogFormat
    clock: Clock | None


def reference_layout(source: Any) -> LayoutReference | None:
    """The layout of a spec (its ``layout``) or of a raw reference log (what :func:`~synthlog.stats.profile.
    read_layout` found, kept in the data set's metadata); ``None`` when the reference has none."""
    if isinstance(source, Spec):
        if source.layout is None:
            return None
        return LayoutReference(get_format(source.layout.format), layout_clock(source.layout))
    if isinstance(source, LabeledDataset):
        raw = source.metadata.get("layout")
        if raw is not None:
            return LayoutReference(raw.format, raw.clock)
    return None


def raw_log(directory: Path, name: str | None = None) -> Path | None:
    """The raw log of a generated data set (``NAME.log``), if it was written."""
    candidates = [directory / f"{name}.log"] if name else sorted(directory.glob("*.log"))
    return next((p for p in candidates if p.is_file()), None)


def check_raw_log(reference: LayoutReference, path: Path, synthetic: LabeledDataset | None = None) -> dict[str, Any]:
    """``format_roundtrip``, ``time_order`` and the layout details of the raw log at ``path``: lines, lines the
    format parses, the first line it does not, lines whose times the clock reads, backward steps, and (given the
    generated data set) the share of parsed lines whose content equals the generated message of that line."""
    messages = {}
    if synthetic is not None:
        messages = {e.line_id: e.content for s in synthetic.sessions for e in s.events if e.line_id is not None}
    lines = parsed = timed = ordered = steps = same_content = 0
    first_failure = None
    previous = None
    for number, line in iter_lines(path):
        lines += 1
        event = reference.format.event(line, number)
        if event is None:
            first_failure = first_failure or number
            continue
        parsed += 1
        if messages.get(number) == event.content:
            same_content += 1
        if reference.clock is None:
            continue
        now = reference.clock.read(event)
        if now is None:
            continue
        timed += 1
        if previous is not None:
            steps += 1
            ordered += now >= previous
        previous = now
    return {
        "format_roundtrip": parsed / lines if lines else None,
        "time_order": ordered / steps if steps else None,
        "layout": {"format": reference.format.text, "lines": lines, "parsed": parsed,
                   "first_unparsed_line": first_failure, "timed": timed, "backward_steps": steps - ordered,
                   "content_roundtrip": same_content / parsed if parsed and messages else None},
    }
