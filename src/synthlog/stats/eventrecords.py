"""The simulator's lines as event records: ``(LogEvent, session id)`` pairs from a block of rendered columns.

What :meth:`StatsSynthesizer.iter_events` yields and what the event files (``--formats parquet,otel``) and streams
take. An event caused by an anomaly episode is labeled ``ANOMALY``, every other ``NORMAL``; its ``error_type``
(when its message has one) is an attribute. A line of no request or session (a background line) has no session id
(``None``).
"""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa

from synthlog.records import ANOMALY, NORMAL, LogEvent
from synthlog.stats.compiled import US, CompiledSpec


class EventRecords:
    """Builds records for one compiled spec; ``columns`` are the rendered columns a block must carry."""

    def __init__(self, compiled: CompiledSpec):
        start = compiled.spec.start
        self.name = compiled.spec.name  # the OpenTelemetry resource of events without a service
        self.start_us = int(start.timestamp()) * US + start.microsecond
        # a layout draws each line's level word; without one the message's level is the line's
        self.columns: tuple[str, ...] = ("content", "id", "level") if compiled.spec.layout is not None \
            else ("content", "id")
        self.service = [compiled.service_names[compiled.message_service[m]] for m, _, _ in compiled.texts]
        self.level = [compiled.messages[m].level for m, _, _ in compiled.texts]
        self.attributes = [{"error_type": compiled.messages[m].error_type} if compiled.messages[m].error_type
                           else {} for m, _, _ in compiled.texts]
        self.template_id = [event_id for _, event_id, _ in compiled.texts]

    def of_block(self, lines: pa.Table) -> Iterator[tuple[LogEvent, str | None]]:
        """The block's lines as records, in its (time) order."""
        micros = (lines["t"].to_numpy() + self.start_us).tolist()
        texts = lines["text"].to_pylist()
        levels = lines["level"].to_pylist() if "level" in lines.column_names else [self.level[i] for i in texts]
        episodes = lines["episode"].to_pylist()
        service, template_id, attributes = self.service, self.template_id, self.attributes
        for t, text, level, content, owner, episode in zip(micros, texts, levels, lines["content"].to_pylist(),
                                                           lines["id"].to_pylist(), episodes, strict=True):
            yield LogEvent(content=content, timestamp=t, level=level, component=service[text],
                           template_id=template_id[text], label=ANOMALY if episode else NORMAL,
                           attributes=dict(attributes[text])), owner or None
