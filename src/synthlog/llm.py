"""A cached, rate-limited client for any OpenAI-compatible chat-completions endpoint.

Usage::

    client = LLMClient(LLMConfig(base_url="http://localhost:8000/v1", model="qwen2.5-7b-instruct",
                                 cache_dir=".synthlog-cache/llm"))
    answer = client.complete([{"role": "user", "content": "Say hi"}])
    answers = client.complete_many([messages_a, messages_b])   # concurrently, at most ``concurrency`` at once

- The API key comes from ``SYNTHLOG_LLM_API_KEY`` (local servers that need none work without it).
- Temperature is 0 unless the caller passes ``temperature=...``.
- Every answer is stored on disk under a SHA-256 of (endpoint, model, messages, params); a repeated request is
  answered from the cache and never reaches the server. Only answers the caller calls valid are stored
  (``complete(..., valid=...)``); an answer over ``max_answer_chars`` is an error and never stored. Cache files
  are JSON, written atomically.
- Answers are untrusted: :func:`unsafe_character` finds what must never reach a log line (control, format and
  line or paragraph separator characters: a hostile endpoint could otherwise inject whole fake lines).
- Timeouts, connection errors, HTTP 429 and 5xx are retried with exponential backoff (``backoff * 2**attempt``,
  capped at ``max_backoff``); other HTTP errors fail at once. When retries run out, :class:`LLMError` is raised.
- :attr:`LLMClient.stats` counts requests sent, cache hits, retries and failures (thread-safe).

:class:`DiskCache` (JSON values under hashed keys) is reused by other caches, e.g. the checker verdict cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time
import unicodedata
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from synthlog.errors import InputError
from synthlog.extras import require
from synthlog.io.atomic import atomic_open

API_KEY_ENV = "SYNTHLOG_LLM_API_KEY"
CACHE_ENV = "SYNTHLOG_CACHE_DIR"
_NO_KEY = "no-key"  # the openai client refuses an empty key; local servers ignore it

Message = dict[str, str]


class LLMError(RuntimeError):
    """The endpoint did not give an answer (retries exhausted, or a non-retryable HTTP error)."""


class LLMUnavailable(InputError):
    """Requests failed and the user did not allow failures (``--allow-llm-failures``): a one-line error."""

    def __init__(self, failed: int, asked: int, base_url: str, last: object):
        detail = re.sub(r"\s+", " ", str(last))[:200]
        super().__init__(f"{failed} of {asked} requests to {base_url} failed (last: {detail}); nothing was written. "
                         "Pass --allow-llm-failures to go on without those answers", field="--llm-url")


_UNSAFE = ("Cc", "Cf", "Zl", "Zp")  # control (NUL, ESC, VT, FF, FS-RS, U+0085), format, line/paragraph separators


def unsafe_character(text: str) -> str | None:
    """The first character of ``text`` that must not reach a log line, as ``U+XXXX (category)``; None if none.

    Control characters (tab and newline included), format characters (bidi overrides, zero-width) and the
    Unicode line and paragraph separators can each end a line or hide text for some reader; a plain space
    (``Zs``) is fine."""
    for char in text:
        category = unicodedata.category(char)
        if category in _UNSAFE:
            return f"U+{ord(char):04X} ({category})"
    return None


class LLMConfig(BaseModel):
    """Where and how to ask; every field has a safe default except the endpoint and model."""

    base_url: str
    model: str
    api_key: str | None = Field(default=None, description=f"defaults to ${API_KEY_ENV}")
    timeout: float = 60.0
    max_retries: int = 4
    backoff: float = 1.0
    max_backoff: float = 30.0
    concurrency: int = 4
    temperature: float = 0.0
    max_tokens: int | None = 1024
    max_answer_chars: int = Field(65_536, ge=1, description="a longer answer is an error, never cached")
    cache_dir: Path | None = None


def default_cache_dir() -> Path:
    """``$SYNTHLOG_CACHE_DIR``, else ``$XDG_CACHE_HOME/synthlog``, else ``~/.cache/synthlog``."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "synthlog"


def stable_hash(payload: Any) -> str:
    """SHA-256 hex of a JSON-serialisable value, independent of dict order."""
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class DiskCache:
    """JSON values stored one file per key (``<dir>/<key[:2]>/<key>.json``), written atomically."""

    def __init__(self, directory: str | os.PathLike[str]):
        self.directory = Path(directory)

    def _file(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> Any | None:
        try:
            with open(self._file(key), encoding="utf-8") as fh:
                return json.load(fh)
        except FileNotFoundError:
            return None
        except (json.JSONDecodeError, UnicodeDecodeError):
            return None  # a damaged entry is a miss; the next put replaces it

    def put(self, key: str, value: Any) -> None:
        with atomic_open(self._file(key), "w") as fh:
            json.dump(value, fh, ensure_ascii=False, sort_keys=True, indent=1)


@dataclass
class LLMStats:
    """Counters of one client's work; ``requests`` counts HTTP attempts that reached for the server."""

    requests: int = 0
    cache_hits: int = 0
    retries: int = 0
    failures: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, name: str, n: int = 1) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + n)

    def as_dict(self) -> dict[str, int]:
        return {"requests": self.requests, "cache_hits": self.cache_hits, "retries": self.retries,
                "failures": self.failures}


def _retryable(error: Exception) -> bool:
    import openai

    if isinstance(error, openai.APITimeoutError | openai.APIConnectionError | openai.RateLimitError):
        return True
    return isinstance(error, openai.APIStatusError) and error.status_code >= 500


class LLMClient:
    """Chat completions with caching, retries and a concurrency limit; see the module docstring."""

    def __init__(self, config: LLMConfig):
        self.config = config
        openai = require("openai", "an LLM endpoint")
        key = config.api_key or os.environ.get(API_KEY_ENV) or _NO_KEY
        # our own retry loop owns backoff and counting, so the library's is switched off
        self._client = openai.OpenAI(base_url=config.base_url, api_key=key, timeout=config.timeout, max_retries=0)
        self._openai_error = openai.OpenAIError
        self._cache = DiskCache(config.cache_dir) if config.cache_dir is not None else None
        self._slots = threading.Semaphore(max(1, config.concurrency))
        self.stats = LLMStats()
        self.last_error: LLMError | None = None  # the latest failure, for the one-line error that reports it

    def _params(self, overrides: dict[str, Any]) -> dict[str, Any]:
        params: dict[str, Any] = {"temperature": self.config.temperature}
        if self.config.max_tokens is not None:
            params["max_tokens"] = self.config.max_tokens
        params.update(overrides)
        return params

    def cache_key(self, messages: Sequence[Message], **params: Any) -> str:
        """The endpoint, model, conversation and parameters: one server's answers never answer for another."""
        return stable_hash({"endpoint": self.config.base_url.rstrip("/"), "model": self.config.model,
                            "messages": list(messages), "params": self._params(params)})

    def complete(self, messages: Sequence[Message], valid: Callable[[str], bool] | None = None,
                 **params: Any) -> str:
        """The assistant's answer text for ``messages`` (from the cache when this exact request was made before);
        the answer is cached only when ``valid`` (if given) accepts it."""
        full = self._params(params)
        key = self.cache_key(messages, **params)
        if self._cache is not None:
            hit = self._cache.get(key)
            if isinstance(hit, dict) and isinstance(hit.get("answer"), str) and \
                    len(hit["answer"]) <= self.config.max_answer_chars and (valid is None or valid(hit["answer"])):
                self.stats.add("cache_hits")
                return hit["answer"]
        answer = self._ask(list(messages), full)
        if self._cache is not None and (valid is None or valid(answer)):
            self._cache.put(key, {"endpoint": self.config.base_url, "model": self.config.model,
                                  "messages": list(messages), "params": full, "answer": answer})
        return answer

    def complete_many(self, batch: Sequence[Sequence[Message]], valid: Callable[[str], bool] | None = None,
                      **params: Any) -> list[str | LLMError]:
        """Answers for many conversations, in input order; a failed one yields its :class:`LLMError`."""

        def one(messages: Sequence[Message]) -> str | LLMError:
            try:
                return self.complete(messages, valid, **params)
            except LLMError as error:
                return error

        workers = max(1, min(self.config.concurrency, len(batch)))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(one, batch))

    def _ask(self, messages: list[Message], params: dict[str, Any]) -> str:
        attempt = 0
        while True:
            try:
                with self._slots:
                    self.stats.add("requests")
                    response = self._client.chat.completions.create(model=self.config.model, messages=messages,
                                                                    **params)
                content = response.choices[0].message.content if response.choices else None
                if content is None:
                    raise LLMError("the endpoint answered without message content")
                if len(content) > self.config.max_answer_chars:
                    self.stats.add("failures")
                    self.last_error = LLMError(f"{self.config.base_url}: an answer of {len(content):,} characters, "
                                               f"above the cap of {self.config.max_answer_chars:,}")
                    raise self.last_error
                return content
            except self._openai_error as error:
                if not _retryable(error) or attempt >= self.config.max_retries:
                    self.stats.add("failures")
                    self.last_error = LLMError(f"{self.config.base_url}: {type(error).__name__}: {error}")
                    raise self.last_error from error
                self.stats.add("retries")
                time.sleep(min(self.config.max_backoff, self.config.backoff * 2**attempt))
                attempt += 1
