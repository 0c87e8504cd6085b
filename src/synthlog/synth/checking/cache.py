"""A verdict cache around any checker: a re-run over the same paths, code and settings reuses stored verdicts.

Usage::

    checker = CachingChecker(LLMChecker(client), ".synthlog-cache/verdicts")
    verdicts = checker.check_many(paths, context)   # checker.hits / checker.misses

The key is a SHA-256 of the inner checker's ``fingerprint`` (its name and settings, e.g. model and prompt
version), the path, the statements on it and the sources of the methods it runs through; so a change to any of
them asks again. A verdict that only records a failed request (``llm-error``) is not stored. Entries are JSON
files written atomically (see :class:`synthlog.llm.DiskCache`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from synthlog.code.records import ExecutionPath
from synthlog.llm import DiskCache, stable_hash
from synthlog.synth.checking.base import CheckContext, Checker, Verdict, check_all


class CachingChecker:
    """A :class:`Checker` that answers from disk what ``inner`` answered before."""

    def __init__(self, inner: Checker, directory: str | os.PathLike[str]):
        self.inner = inner
        self.name = inner.name
        self.cache = DiskCache(directory)
        self.hits = 0
        self.misses = 0

    def key(self, path: ExecutionPath, context: CheckContext) -> str:
        statements = {sid: context.statements[sid].to_dict() for sid in path.statements if sid in context.statements}
        sources = {m: context.sources[m] for m in context.methods_on(path) if m in context.sources}
        return stable_hash({"checker": getattr(self.inner, "fingerprint", self.inner.name), "path": path.to_dict(),
                            "statements": statements, "sources": sources, "system": context.system})

    def check(self, path: ExecutionPath, context: CheckContext) -> Verdict:
        return self.check_many([path], context)[0]

    def check_many(self, paths: Sequence[ExecutionPath], context: CheckContext) -> list[Verdict]:
        keys = [self.key(p, context) for p in paths]
        found: list[Verdict | None] = []
        for key in keys:
            data = self.cache.get(key)
            found.append(Verdict.from_dict(data) if isinstance(data, dict) else None)
        missing = [i for i, v in enumerate(found) if v is None]
        self.hits += len(paths) - len(missing)
        self.misses += len(missing)
        if missing:
            fresh = check_all(self.inner, [paths[i] for i in missing], context)
            for i, verdict in zip(missing, fresh, strict=True):
                if not any(reason.startswith("llm-error") for reason in verdict.reasons):  # a failure is no verdict
                    self.cache.put(keys[i], verdict.to_dict())
                found[i] = verdict
        return [v for v in found if v is not None]
