"""The LLM checker: asks an OpenAI-compatible model whether a path is feasible and for values of its slots.

Usage::

    client = LLMClient(LLMConfig(base_url=url, model=model, cache_dir=cache / "llm"))
    checker = LLMChecker(client)                           # heuristic pre-filter on by default
    verdicts = checker.check_many(paths, context)          # concurrent; checker.stats counts what happened

- Paths the heuristic checker rejects are not sent (``prefilter=None`` sends everything).
- The answer must parse into :class:`~.prompts.PathAnswer`; when it does not, the model is told what was wrong
  and asked again, at most ``max_repairs`` times; then the path is rejected (``llm-invalid-answer``).
- The model never adds log text. A proposed line that is not the path's line at that index (an invented or
  moved line) is dropped (``llm-dropped-line``); so is a value set of the wrong length or whose values contain a
  control, format or line/paragraph separator character (:func:`synthlog.llm.unsafe_character`), ``<*>``, more
  than ``max_value_length`` characters or a literal part of the template (``llm-dropped-values``). Verdict
  ``values`` keep only what passed, by log-line index; the session assembler generates the rest.
- An endpoint failure (retries exhausted) rejects the path with ``llm-error`` when ``allow_failures`` (counted,
  never silent); otherwise it stops the run with :class:`synthlog.llm.LLMUnavailable`.
- Answers are cached (by the client) only when they parse; the verdict cache never stores an ``llm-error``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from synthlog.code.records import ExecutionPath, Statement
from synthlog.llm import LLMClient, LLMError, LLMUnavailable, unsafe_character
from synthlog.parse.drain import WILDCARD
from synthlog.synth.checking.base import CheckContext, Checker, Verdict
from synthlog.synth.checking.heuristic import HeuristicChecker
from synthlog.synth.checking.prompts import PROMPT_VERSION, REPAIR, PathAnswer, parse_answer, path_messages

_DEFAULT_PREFILTER = HeuristicChecker()


def values_problem(statement: Statement, values: Sequence[str], max_length: int = 200) -> str | None:
    """Why ``values`` cannot fill ``statement``'s template, or None when they make a genuine instance of it."""
    pieces = statement.template.split(WILDCARD)
    if len(values) != len(pieces) - 1:
        return f"{len(values)} values for {len(pieces) - 1} slots"
    literals = [p.strip() for p in pieces if len(p.strip()) >= 4]
    for value in values:
        unsafe = unsafe_character(value)
        if unsafe is not None:  # a line break, control or format character could forge or hide log lines
            return f"a value holds the character {unsafe}"
        if WILDCARD in value:
            return "a value contains <*>"
        if len(value) > max_length:
            return f"a value is longer than {max_length} characters"
        for literal in literals:
            if literal in value:
                return f"a value repeats template text {literal!r}"
    return None


def _parses(answer: str) -> bool:
    try:
        parse_answer(answer)
    except ValueError:
        return False
    return True


class LLMChecker:
    """Consistency checking and value proposal by an LLM; see the module docstring."""

    name = "llm"

    def __init__(self, client: LLMClient, prefilter: Checker | None = _DEFAULT_PREFILTER, max_repairs: int = 2,
                 max_value_length: int = 200, allow_failures: bool = True):
        self.client = client
        self.prefilter = prefilter
        self.max_repairs = max_repairs
        self.max_value_length = max_value_length
        self.allow_failures = allow_failures
        self.stats: Counter = Counter()

    @property
    def fingerprint(self) -> str:
        pre = getattr(self.prefilter, "fingerprint", None) if self.prefilter else None
        config = self.client.config
        return f"llm:{config.base_url.rstrip('/')}:{config.model}:prompt-v{PROMPT_VERSION}:prefilter={pre}"

    def check(self, path: ExecutionPath, context: CheckContext) -> Verdict:
        return self.check_many([path], context)[0]

    def check_many(self, paths: Sequence[ExecutionPath], context: CheckContext) -> list[Verdict]:
        """Verdicts in input order; the first question of every path is sent concurrently."""
        verdicts: list[Verdict | None] = [None] * len(paths)
        asked: list[tuple[int, Verdict | None]] = []
        for i, path in enumerate(paths):
            pre = self.prefilter.check(path, context) if self.prefilter is not None else None
            if pre is not None and not pre.feasible:
                self.stats["prefiltered"] += 1
                verdicts[i] = pre
            else:
                asked.append((i, pre))
        conversations = [path_messages(paths[i], context) for i, _ in asked]
        answers = self.client.complete_many(conversations, valid=_parses)
        failed = [a for a in answers if isinstance(a, LLMError)]
        if failed and not self.allow_failures:
            raise LLMUnavailable(len(failed), len(answers), self.client.config.base_url, failed[-1])
        for (i, pre), messages, answer in zip(asked, conversations, answers, strict=True):
            verdict = self._conclude(paths[i], context, messages, answer)
            if pre is not None and verdict.feasible:  # keep the heuristic's plausibility penalties
                verdict.score *= pre.score
                verdict.reasons = [*pre.reasons, *verdict.reasons]
            verdicts[i] = verdict
        return [v for v in verdicts if v is not None]

    def _conclude(self, path: ExecutionPath, context: CheckContext, messages: list[dict[str, str]],
                  answer: str | LLMError) -> Verdict:
        for attempt in range(self.max_repairs + 1):
            if isinstance(answer, LLMError):
                self.stats["errors"] += 1
                return Verdict(feasible=False, score=0.0, reasons=[f"llm-error: {answer}"])
            try:
                parsed = parse_answer(answer)
            except ValueError as error:
                self.stats["invalid_answers"] += 1
                if attempt == self.max_repairs:
                    break
                problem = re.sub(r"\s+", " ", str(error))[:300]
                messages = [*messages, {"role": "assistant", "content": answer},
                            {"role": "user", "content": REPAIR.format(error=problem)}]
                try:
                    answer = self.client.complete(messages, valid=_parses)
                except LLMError as failure:
                    if not self.allow_failures:
                        raise LLMUnavailable(1, 1, self.client.config.base_url, failure) from None
                    answer = failure
                continue
            return self._verdict(path, context, parsed)
        self.stats["rejected_invalid"] += 1
        return Verdict(feasible=False, score=0.0,
                       reasons=[f"llm-invalid-answer: no valid answer after {self.max_repairs + 1} attempts"])

    def _verdict(self, path: ExecutionPath, context: CheckContext, answer: PathAnswer) -> Verdict:
        reasons: list[str] = []
        values: dict[int, list[str]] = {}
        on_path = path.statements
        for line in answer.lines:
            if not 0 <= line.index < len(on_path) or line.statement != on_path[line.index] or line.index in values:
                self.stats["dropped_lines"] += 1
                reasons.append(f"llm-dropped-line: line {line.index} ({line.statement}) is not that line of the path")
                continue
            statement = context.statements.get(line.statement)
            problem = "unknown statement" if statement is None else values_problem(statement, line.values,
                                                                                    self.max_value_length)
            if problem is not None:
                self.stats["dropped_values"] += 1
                reasons.append(f"llm-dropped-values: line {line.index} ({line.statement}): {problem}")
                continue
            values[line.index] = list(line.values)
        self.stats["answers"] += 1
        if not answer.feasible:
            self.stats["infeasible"] += 1
            summary = re.sub(r"\s+", " ", answer.reasoning).strip()[:300]
            return Verdict(feasible=False, score=0.0, reasons=[f"llm-infeasible: {summary}", *reasons],
                           values=values or None)
        return Verdict(feasible=True, score=answer.confidence, reasons=reasons, values=values)
