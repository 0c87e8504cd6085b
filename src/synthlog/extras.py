"""Optional dependencies: each heavy feature names the extra that installs what it needs.

The base install (``pip install synthlog``) scans code, generates from code and statistics, parses, validates and runs
the classical detectors. Five extras add one feature each: ``neural`` (PyTorch detectors), ``llm`` (the ``openai``
client for LLM checking and paraphrasing), ``distributed`` (dask.distributed scale-out), ``report`` (matplotlib
and jinja2 for plots and HTML reports) and ``privacy`` (OpenDP, the accounting of ``profile --epsilon``).
``pip install 'synthlog[all]'`` installs every one.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from synthlog.errors import SynthlogError

EXTRAS = {"torch": "neural", "openai": "llm", "dask": "distributed", "distributed": "distributed",
          "matplotlib": "report", "jinja2": "report", "opendp": "privacy"}


class MissingExtra(SynthlogError):
    """A feature's optional dependency is not installed; the message says which extra brings it."""


def require(module: str, feature: str) -> ModuleType:
    """Import ``module`` for ``feature`` or raise :class:`MissingExtra` naming the extra to install."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        top = (exc.name or module).split(".")[0]
        if top not in EXTRAS:
            raise
        raise MissingExtra(missing_message(top, feature)) from None


def missing_message(top: str, feature: str) -> str:
    return f"{feature} needs {top}, which is not installed: pip install 'synthlog[{EXTRAS[top]}]'"
