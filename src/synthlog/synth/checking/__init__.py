"""Consistency checking of execution paths: one protocol (:class:`Checker`), heuristic and LLM back-ends, a cache.

    from synthlog.synth.checking import CheckContext, HeuristicChecker
    verdict = HeuristicChecker().check(path, CheckContext(statements=by_id, sources=method_sources))

See :mod:`.base` (protocol, Verdict, reason codes), :mod:`.heuristic`, :mod:`.llm`, :mod:`.cache`.
"""

from synthlog.synth.checking.base import CheckContext, Checker, Verdict, count_reasons, reason_code
from synthlog.synth.checking.cache import CachingChecker
from synthlog.synth.checking.heuristic import HeuristicChecker, HeuristicConfig
from synthlog.synth.checking.llm import LLMChecker, values_problem

__all__ = ["CachingChecker", "CheckContext", "Checker", "HeuristicChecker", "HeuristicConfig", "LLMChecker",
           "Verdict", "count_reasons", "reason_code", "values_problem"]
