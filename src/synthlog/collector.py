"""Fewer passes of Python's cyclic garbage collector while a batch of long-lived objects is built.

Making sessions allocates many small objects that stay alive (the sessions of a task, the rows the time merge
holds), and every 700 allocations the collector walks the young ones; those that survive are walked again and
again, and each full pass walks the fitted model too. The sessions hold no reference cycles, so reference
counting frees them either way: a higher first threshold only makes the passes rarer (measured in
docs/generate-code.md, *Speed and memory*). Output never depends on it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

BATCH_THRESHOLD = 100_000  # allocations between passes over the youngest generation while a batch is built


@contextmanager
def fewer_collections(threshold: int = BATCH_THRESHOLD) -> Iterator[None]:
    """Run the block with the collector's first threshold at ``threshold`` (never lowered), restored afterwards."""
    old = gc.get_threshold()
    gc.set_threshold(max(threshold, old[0]), *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)
