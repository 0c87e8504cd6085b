"""Build a checker from command-line style settings: ``heuristic`` (default, offline) or ``llm``.

    checker = make_checker("llm", llm_url="http://localhost:8000/v1", llm_model="qwen2.5-7b-instruct")

The LLM checker's answers are cached under ``cache_dir / "llm"`` (default :func:`synthlog.llm.default_cache_dir`),
so a re-run makes no requests; ``cache_dir=False`` turns the cache off. A failed request stops the run unless
``allow_failures`` (the command line's ``--allow-llm-failures``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from synthlog.errors import ConfigError
from synthlog.llm import LLMClient, LLMConfig, default_cache_dir
from synthlog.synth.checking.base import Checker
from synthlog.synth.checking.heuristic import HeuristicChecker, HeuristicConfig
from synthlog.synth.checking.llm import LLMChecker

CHECKERS = ("heuristic", "llm")


def make_checker(name: str = "heuristic", *, llm_url: str | None = None, llm_model: str | None = None,
                 cache_dir: Path | Literal[False] | None = None, heuristic: HeuristicConfig | None = None,
                 concurrency: int = 4, timeout: float = 60.0, allow_failures: bool = False) -> Checker:
    if name == "heuristic":
        return HeuristicChecker(heuristic)
    if name != "llm":
        raise ConfigError(f"unknown checker {name!r} (choose {' or '.join(CHECKERS)})", field="--checker")
    if not llm_url or not llm_model:
        raise ConfigError("the llm checker needs --llm-url and --llm-model", field="--checker")
    directory = None if cache_dir is False else (cache_dir or default_cache_dir()) / "llm"
    client = LLMClient(LLMConfig(base_url=llm_url, model=llm_model, cache_dir=directory, concurrency=concurrency,
                                 timeout=timeout))
    return LLMChecker(client, prefilter=HeuristicChecker(heuristic), allow_failures=allow_failures)
