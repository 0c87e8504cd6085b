"""``value_shape_agreement``: do generated slot values have the shapes the reference shows for the same slot?

For every generated line whose template (scrubbed as the profiler scrubs it, normalised as the other metrics do)
is a reference template, each slot value is cut out with the reference template and its shape class
(:func:`synthlog.values.shape.shape_class`: digits, decimal number, letters, mixed, punctuation as itself) is
compared with the classes the reference's own values show in that slot. The metric is the share of such slots whose
class the reference shows; a line the reference template cannot cut counts every slot as a miss.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from synthlog.logstats import template_key, template_texts
from synthlog.parse.drain import WILDCARD, ParameterExtractor
from synthlog.records import LabeledDataset, LogEvent
from synthlog.values.shape import shape_class

MAX_VALUES = 5000  # reference values read per template (enough to see its shapes, bounded time)


def _template(event: LogEvent, texts: dict[str, str]) -> str | None:
    from synthlog.stats.profile import scrub

    text = texts.get(event.template_id or "") or event.attributes.get("template")
    return scrub(str(text)) if text else None


def value_shape_agreement(reference: LabeledDataset, synthetic: LabeledDataset) -> dict[str, Any]:
    """The metric and its counts (``value_shape_agreement`` is None when no generated slot could be compared; lines
    on a reference template without slots count nowhere)."""
    extract = ParameterExtractor()
    ref_texts = template_texts(reference)
    wordings: dict[str, Counter[str]] = defaultdict(Counter)
    classes: dict[str, list[set[str]]] = {}
    seen: Counter[str] = Counter()
    plain: set[str] = set()  # reference templates without a slot
    for session in reference.sessions:
        for event in session.events:
            text = _template(event, ref_texts)
            if not text or WILDCARD not in text:
                plain.add(template_key(text or event.content))
                continue
            key = template_key(text)
            wordings[key][text] += 1
            if seen[key] >= MAX_VALUES:
                continue
            values = extract(text, event.content)
            if len(values) == text.count(WILDCARD):
                seen[key] += 1
                slots = classes.setdefault(key, [set() for _ in values])
                if len(slots) == len(values):
                    for slot, value in zip(slots, values, strict=True):
                        slot.add(shape_class(value))
    cutter = {key: counts.most_common(1)[0][0] for key, counts in wordings.items()}
    syn_texts = template_texts(synthetic)
    agree = compared = lines = outside = 0
    for session in synthetic.sessions:
        for event in session.events:
            text = _template(event, syn_texts)
            key = template_key(text) if text else None
            if key not in classes:
                outside += key not in plain
                continue
            lines += 1
            slots = classes[key]
            values = extract(cutter[key], event.content)
            compared += len(slots)
            if len(values) == len(slots):
                agree += sum(shape_class(v) in slot for v, slot in zip(values, slots, strict=True))
    return {"value_shape_agreement": agree / compared if compared else None, "slots_compared": compared,
            "lines_on_reference_templates": lines, "lines_on_other_templates": outside}
