"""collector.fewer_collections raises the collector's first threshold for a block and restores it, even on error."""

from __future__ import annotations

import gc

import pytest

from synthlog.collector import fewer_collections


def test_the_threshold_is_raised_inside_and_restored_after():
    before = gc.get_threshold()
    with fewer_collections(before[0] + 5000):
        assert gc.get_threshold() == (before[0] + 5000, *before[1:])
        with fewer_collections(1):  # never lowered by a nested block
            assert gc.get_threshold()[0] == before[0] + 5000
        assert gc.get_threshold()[0] == before[0] + 5000
    assert gc.get_threshold() == before
    with pytest.raises(RuntimeError), fewer_collections():
        raise RuntimeError("stopped")
    assert gc.get_threshold() == before
