"""Progress reporting: a rich bar on a terminal, plain lines otherwise, nothing when quiet."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

_settings = {"quiet": False, "stop": False}


def set_quiet(quiet: bool) -> None:
    _settings["quiet"] = quiet


def is_quiet() -> bool:
    return _settings["quiet"]


def request_stop() -> None:
    """A stop was asked for (SIGTERM): from now on :meth:`Progress.advance` raises ``KeyboardInterrupt`` too, in
    case the first one was swallowed (raised while a finaliser ran, where Python only prints it and goes on)."""
    _settings["stop"] = True


def notice(message: str) -> None:
    """A status line for humans on stderr (something done on their behalf), silenced by ``--quiet``."""
    if not is_quiet():
        print(message, file=sys.stderr, flush=True)


class Progress:
    """Report advancement of one task; use as a context manager, call :meth:`advance`.

    On a terminal this draws a rich progress bar on stderr; otherwise it prints a plain line at most every
    ``interval`` seconds, so logs of batch jobs stay readable.
    """

    def __init__(self, description: str, total: float | None = None, interval: float = 5.0):
        self.description = description
        self.total = total
        self.interval = interval
        self.done = 0.0
        self._rich = None
        self._task = None
        self._last = 0.0

    def __enter__(self) -> Progress:
        if is_quiet():
            return self
        if sys.stderr.isatty():
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn
            from rich.progress import Progress as RichProgress
            self._rich = RichProgress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                      TimeElapsedColumn(), TimeRemainingColumn(), transient=True)
            self._rich.start()
            self._task = self._rich.add_task(self.description, total=self.total)
        self._last = time.monotonic()
        return self

    def advance(self, amount: float = 1) -> None:
        if _settings["stop"]:
            raise KeyboardInterrupt
        self.done += amount
        if self._rich is not None:
            self._rich.update(self._task, advance=amount)
        elif not is_quiet():
            now = time.monotonic()
            if now - self._last >= self.interval:
                self._last = now
                of = f"/{_count(self.total)}" if self.total is not None else ""
                print(f"{self.description}: {_count(self.done)}{of}", file=sys.stderr, flush=True)

    def __exit__(self, *exc) -> None:
        if self._rich is not None:
            self._rich.stop()


def _count(amount: float) -> str:
    """``1,048,576`` rather than ``:g``'s ``1.04858e+06``; fractions keep two decimals."""
    return f"{amount:,.0f}" if float(amount).is_integer() else f"{amount:,.2f}"


def track(items: Iterable[T], description: str, total: float | None = None) -> Iterator[T]:
    """Iterate over ``items`` while reporting progress."""
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    with Progress(description, total) as bar:
        for item in items:
            yield item
            bar.advance()
