"""Consistency checking of execution paths: one protocol (:class:`Checker`), heuristic and LLM back-ends, a cache.

    from synthlog.synth.checking import CheckContext, HeuristicChecker
    verdict = HeuristicChecker().check(path, CheckContext(statements=by_id, sources=method_sources))

See :mod:`.base` (protocol, Verdict, reason codes), :mod:`.heuristic` (+ :mod:`.conditions`, :mod:`.mutations`),
:mod:`.llm` (+ :mod:`.prompts`, :mod:`.sources` for method texts), :mod:`.cache` (verdict cache), :mod:`.factory`
(``make_checker`` for the CLI).
"""

from synthlog.synth.checking.base import CheckContext, Checker, Verdict, check_all, count_reasons, reason_code
from synthlog.synth.checking.cache import CachingChecker
from synthlog.synth.checking.factory import CHECKERS, make_checker
from synthlog.synth.checking.heuristic import HeuristicChecker, HeuristicConfig
from synthlog.synth.checking.llm import LLMChecker, values_problem
from synthlog.synth.checking.mutations import MutationIndex
from synthlog.synth.checking.sources import method_sources

__all__ = ["CHECKERS", "CachingChecker", "CheckContext", "Checker", "HeuristicChecker", "HeuristicConfig", "LLMChecker",
           "MutationIndex", "Verdict", "check_all", "count_reasons", "make_checker", "method_sources", "reason_code",
           "values_problem"]
