"""Other wordings of a spec's message templates, asked of an LLM: the simulator keeps the structure, the LLM only
varies wording.

Each message's template (never an example log line, so nothing can be copied into the data) goes to the model
with its level and service; the answer must be a JSON list of rewordings. A rewording is kept only if it is one
line free of control, format and separator characters (see :func:`synthlog.llm.unsafe_character`), keeps exactly
the template's slots in the same order, and differs from the template and from the others; the rest are dropped
and counted. Kept wordings become the message's ``variants`` (see :class:`synthlog.stats.spec.Message`); the spec
is validated again. Only readable, safe answers are cached; with the cache and temperature 0, a second run asks
nothing and gives the same spec. A failed request stops the run unless failures are allowed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from synthlog.llm import LLMClient, LLMConfig, LLMError, LLMUnavailable, default_cache_dir, unsafe_character
from synthlog.stats.spec import SLOT, Message, Spec

SYSTEM = ("You reword log message templates of a software system. You answer with a JSON list of strings and "
          "nothing else.")
PROMPT = """Give {n} other wordings of this {level} log message template of the service "{service}", as another \
developer might have written it. Keep every placeholder in angle brackets ({slots}) exactly as written and in the \
same order; change only the words around them. One line each. Answer with a JSON list of {n} strings.

Template: {template}"""


@dataclass(slots=True)
class ParaphraseReport:
    """What the model gave: wordings kept, answers that were not a list, wordings refused, failed requests."""

    kept: int = 0
    unreadable: int = 0
    refused: int = 0
    failed: int = 0


def prompt_for(message: Message, service: str, n: int) -> list[dict[str, str]]:
    slots = " ".join(f"<{s}>" for s in message.slots) or "there are none"
    return [{"role": "system", "content": SYSTEM},
            {"role": "user", "content": PROMPT.format(n=n, level=message.level, service=service, slots=slots,
                                                      template=message.template)}]


def _wordings(answer: str) -> list | None:
    """The JSON list in an answer (code fences and chatter around it tolerated), or None."""
    start, end = answer.find("["), answer.rfind("]")
    if start < 0 or end <= start:
        return None
    try:
        value = json.loads(answer[start:end + 1])
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, list) else None


def acceptable(message: Message, wording: object, taken: list[str]) -> bool:
    """One line without control, format or separator characters, the template's slots in order, new, and of a
    sane length."""
    return (isinstance(wording, str) and bool(wording.strip()) and unsafe_character(wording) is None
            and SLOT.findall(wording) == message.slots and wording.strip() != message.template.strip()
            and wording.strip() not in taken and len(wording) <= 2 * len(message.template) + 80)


def _cacheable(answer: str) -> bool:
    """A readable list of strings with no character that may never reach a log line."""
    wordings = _wordings(answer)
    return wordings is not None and all(isinstance(w, str) and unsafe_character(w) is None for w in wordings)


def paraphrase_spec(spec: Spec, client: LLMClient, variants: int = 2) -> tuple[Spec, ParaphraseReport]:
    """The spec with up to ``variants`` LLM rewordings added to every message's ``variants``."""
    report = ParaphraseReport()
    pairs = spec.messages()
    answers = client.complete_many([prompt_for(message, service.name, variants) for service, message in pairs],
                                   valid=_cacheable)
    found: dict[str, list[str]] = {}
    for (_, message), answer in zip(pairs, answers, strict=True):
        if isinstance(answer, LLMError):
            report.failed += 1
            continue
        wordings = _wordings(answer)
        if wordings is None:
            report.unreadable += 1
            continue
        taken = [v.strip() for v in message.variants]
        for wording in wordings:
            if len(taken) - len(message.variants) >= variants:
                break
            if acceptable(message, wording, taken):
                taken.append(wording.strip())
            else:
                report.refused += 1
        found[message.id] = taken
        report.kept += len(taken) - len(message.variants)
    data = spec.model_dump(mode="json")
    for service in data["services"]:
        for message in service["messages"]:
            message["variants"] = found.get(message["id"], message["variants"])
    return Spec.model_validate(data), report


def paraphrase_with(spec: Spec, llm_url: str, llm_model: str, variants: int = 2,
                    allow_failures: bool = False) -> tuple[Spec, ParaphraseReport]:
    """:func:`paraphrase_spec` through an OpenAI-compatible endpoint, answers cached on disk; a failed request is
    an :class:`LLMUnavailable` error unless ``allow_failures``."""
    client = LLMClient(LLMConfig(base_url=llm_url, model=llm_model, cache_dir=default_cache_dir() / "llm"))
    worded, report = paraphrase_spec(spec, client, variants)
    if report.failed and not allow_failures:
        raise LLMUnavailable(report.failed, len(spec.messages()), llm_url, client.last_error)
    return worded, report
